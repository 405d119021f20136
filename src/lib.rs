//! Teamwork: a console where organizations manage who can reach their API platform.

pub mod account_links;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod dev_postgres;
pub mod domain;
pub mod error;
pub mod htmx;
pub mod invitations;
pub mod layout;
pub mod mail;
pub mod metrics;
pub mod models;
mod request_log;
pub mod routes;
pub mod schema;
pub mod seed;
pub mod session_key;
pub mod startup;
