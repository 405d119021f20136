//! Teamwork: a console where organizations manage who can reach their API platform.

pub mod audit_key;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod dev_postgres;
pub mod domain;
pub mod error;
pub mod htmx;
pub mod layout;
pub mod mail;
pub mod metrics;
pub mod models;
pub mod nul_guard;
pub mod ops;
mod request_log;
pub mod routes;
pub mod schema;
pub mod secrets_key;
pub mod security_headers;
pub mod seed;
pub mod session_key;
pub mod sso;
pub mod startup;
pub mod stream;
pub mod toast;
