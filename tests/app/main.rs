//! The integration suite: one binary, a real Postgres, the real `Application` per test.

mod account_links;
mod accounts;
mod activity;
mod activity_log;
mod browser;
mod csrf;
mod headers;
mod health;
mod helpers;
mod invitations;
mod journeys;
mod mail;
mod members;
mod orgs;
mod smtp;
