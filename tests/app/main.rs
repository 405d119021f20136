//! The integration suite: one binary, a real Postgres, the real `Application` per test.

mod a11y;
mod account_links;
mod accounts;
mod activity;
mod activity_log;
mod authorization;
mod billing;
mod browser;
mod csrf;
mod hardening;
mod headers;
mod health;
mod helpers;
mod html_check;
mod invitations;
mod journeys;
mod mail;
mod members;
mod observability;
mod orgs;
mod projects;
mod reliability;
mod seed;
mod shutdown;
mod smtp;
mod usage;
