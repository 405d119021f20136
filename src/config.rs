//! Settings read from the environment (and `.env` in development), validated once at startup.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// Every setting an operator can set. clap reads them from the environment, so `--help`
/// lists them all with their variables; [`Config::from_settings`] validates them.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Postgres connection URL. Unset: a private cluster under DATA_DIR/postgres is started.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Address and port the HTTP server listens on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: String,
    /// Public URL of the console, used in emailed links. Default: http://BIND_ADDR.
    #[arg(long, env = "BASE_URL")]
    pub base_url: Option<String>,
    /// SMTP server, smtp://user:pass@host:587 (STARTTLS) or smtps://... Unset: mail is written to DATA_DIR/mail.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of every email.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Teamwork <teamwork@localhost>"
    )]
    pub mail_from: String,
    /// At least 32 random bytes signing and encrypting session cookies. Unset in development: generated once under DATA_DIR.
    #[arg(long, env = "SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,
    /// The Ed25519 key (base64 of its 32-byte seed) that signs activity checkpoints. Unset in development: generated once under DATA_DIR.
    #[arg(long, env = "AUDIT_SIGNING_KEY", hide_env_values = true)]
    pub audit_signing_key: Option<String>,
    /// Base64 of 32 random bytes encrypting secrets at rest (two-factor secrets). Unset in development: generated once under DATA_DIR; production requires it.
    #[arg(long, env = "SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<String>,
    /// Where local state lives: the dev database, dev mail, the dev session key.
    #[arg(long, env = "DATA_DIR", default_value = "./var")]
    pub data_dir: PathBuf,
    /// `development` or `production` (production refuses unsafe defaults).
    #[arg(long, env = "APP_ENV", default_value = "development")]
    pub app_env: String,
    /// A session ends after this long without a request.
    #[arg(long, env = "SESSION_IDLE_TIMEOUT", default_value = "2h", value_parser = humantime::parse_duration)]
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    #[arg(long, env = "SESSION_LIFETIME", default_value = "7days", value_parser = humantime::parse_duration)]
    pub session_lifetime: Duration,
    /// Database connections per app instance (requests wait at most 3 s for one).
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub db_pool_size: u32,
    /// A separate listener serving Prometheus metrics at /metrics only, e.g. 127.0.0.1:9187; keep it off the public network. Unset: no metrics endpoint.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// `text` (for people) or `json` (one JSON object per line, for log collectors); every line of a request carries its request id.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// Comma-separated CIDRs of the reverse proxies in front of the console, e.g. 10.0.0.0/8,::1; X-Forwarded-For and Forwarded are read only from these peers. Unset: the TCP peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Sign-ups accepted per client IP and hour; more are refused (429) before any password is hashed.
    #[arg(long, env = "SIGNUPS_PER_IP_PER_HOUR", default_value_t = Limits::default().signups_per_ip_per_hour, value_parser = clap::value_parser!(u32).range(1..))]
    pub signups_per_ip_per_hour: u32,
    /// Input tokens, and output tokens, accepted in one usage report; larger reports get 400 and must be split.
    #[arg(long, env = "MAX_TOKENS_PER_REPORT", default_value_t = Limits::default().max_tokens_per_report, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_tokens_per_report: u64,
    /// Requests per minute each organization admin key may make to /api/v1/organization/; more get 429 with Retry-After.
    #[arg(long, env = "ADMIN_API_REQUESTS_PER_MINUTE", default_value_t = Limits::default().admin_api_per_minute, value_parser = clap::value_parser!(u32).range(1..))]
    pub admin_api_requests_per_minute: u32,
    /// Days raw usage reports are kept: older monthly partitions are dropped whole (the hourly totals that the pages show stay).
    #[arg(long, env = "USAGE_RAW_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(u32).range(8..))]
    pub usage_raw_retention_days: u32,
    /// Argon2id memory per password hash, in KiB. Production refuses less than the default (OWASP's m=19 MiB); development and tests may lower it to save time.
    #[arg(long, env = "ARGON2_MEMORY_KIB", default_value_t = PasswordCost::default().memory_kib, value_parser = clap::value_parser!(u32).range(8..))]
    pub argon2_memory_kib: u32,
    /// Argon2id passes per password hash; production refuses less than the default (2).
    #[arg(long, env = "ARGON2_ITERATIONS", default_value_t = PasswordCost::default().iterations, value_parser = clap::value_parser!(u32).range(1..))]
    pub argon2_iterations: u32,
    /// The DNS resolver "Verify" asks for a domain's TXT record, as ip:port, e.g. 1.1.1.1:53. Unset: the first nameserver of /etc/resolv.conf.
    #[arg(long, env = "DNS_RESOLVER")]
    pub dns_resolver: Option<std::net::SocketAddr>,
}

/// The Argon2id cost of new password hashes (existing hashes carry their own). `Default`
/// is OWASP's recommendation and what production must use at least (R23).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost {
            memory_kib: 19_456,
            iterations: 2,
        }
    }
}

/// Abuse limits (R40-R42). `Default` is what production runs with.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Sign-up attempts per client IP and hour (counted before hashing).
    pub signups_per_ip_per_hour: u32,
    /// Log-in attempts per account and client IP in [`Limits::login_window`].
    pub logins_per_account_and_ip: u32,
    /// Log-in attempts per client IP, whatever the accounts, in the same window. Larger
    /// than the per-account limit: many people can share one address (an office, a NAT).
    pub logins_per_ip: u32,
    pub login_window: chrono::Duration,
    /// Failures on one account from any address within the window after which each
    /// attempt is slowed down (not refused: the owner must still get in).
    pub login_slowdown_after: u32,
    pub login_slowdown: Duration,
    /// Invitation emails a day from an account whose address is not confirmed, in all
    /// its organizations, resends included: otherwise anyone could relay mail to
    /// arbitrary addresses by signing up.
    pub unverified_invitations_per_day: u32,
    /// Input tokens, and output tokens, one usage report may carry (400 beyond).
    pub max_tokens_per_report: u64,
    /// How far below zero one usage report may take a balance (402 beyond, nothing
    /// recorded), in micro-credits.
    pub overdraft_micro: i64,
    /// Requests a minute per organization admin key (429 beyond).
    pub admin_api_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            signups_per_ip_per_hour: 5,
            logins_per_account_and_ip: 10,
            logins_per_ip: 100,
            login_window: chrono::Duration::minutes(15),
            login_slowdown_after: 10,
            login_slowdown: Duration::from_secs(1),
            unverified_invitations_per_day: 10,
            max_tokens_per_report: 10_000_000,
            overdraft_micro: crate::domain::pricing::default_overdraft_micro(),
            admin_api_per_minute: 600,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

/// Validated configuration. Tests build it in code; `serve` builds it from [`Settings`].
#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    /// `None`: start the embedded cluster under `data_dir`.
    pub database_url: Option<SecretString>,
    pub bind_addr: String,
    /// Without a trailing slash, e.g. `https://console.example.com`.
    pub base_url: String,
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    /// `None`: generated once and kept under `data_dir` (development only).
    pub session_key: Option<SecretString>,
    /// `None`: generated once and kept under `data_dir` (development); in production
    /// no checkpoints are signed without it.
    pub audit_signing_key: Option<SecretString>,
    /// `None`: generated once and kept under `data_dir` (development only).
    pub secrets_key: Option<SecretString>,
    pub data_dir: PathBuf,
    pub session_idle_timeout: Duration,
    pub session_lifetime: Duration,
    /// `METRICS_ADDR`: where `/metrics` is served, never on the public listener.
    pub metrics_addr: Option<String>,
    pub db_pool_size: u32,
    /// `USAGE_RAW_RETENTION_DAYS`: raw usage partitions older than this are dropped.
    pub usage_raw_retention_days: u32,
    /// `TRUSTED_PROXIES`: peers whose forwarding headers name the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub limits: Limits,
    pub password_cost: PasswordCost,
    pub clock: crate::clock::Clock,
    /// `DNS_RESOLVER`: where domain verification looks up TXT records.
    pub dns_resolver: Option<std::net::SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("APP_ENV must be `development` or `production`, not {0:?}")]
    AppEnv(String),
    #[error("BASE_URL must start with http:// or https:// and have a host, not {0:?}")]
    BaseUrl(String),
    #[error("TRUSTED_PROXIES: {0}")]
    TrustedProxies(String),
    #[error("SESSION_KEY must be at least 32 characters of random data")]
    SessionKeyTooShort,
    #[error("APP_ENV=production needs {0}")]
    Production(&'static str),
    #[error("settings: {0}")]
    Parse(#[from] clap::Error),
}

impl Config {
    /// Reads the settings from the environment only (no command line).
    pub fn from_env() -> Result<Self, ConfigError> {
        #[derive(clap::Parser)]
        struct EnvOnly {
            #[command(flatten)]
            settings: Settings,
        }
        let parsed = <EnvOnly as clap::Parser>::try_parse_from(["teamwork"])?;
        Self::from_settings(parsed.settings)
    }

    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let app_env = match s.app_env.as_str() {
            "development" => AppEnv::Development,
            "production" => AppEnv::Production,
            other => return Err(ConfigError::AppEnv(other.to_owned())),
        };
        let base_url = s
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", s.bind_addr));
        let base_url = base_url.trim_end_matches('/').to_owned();
        let host = base_url
            .strip_prefix("https://")
            .or_else(|| base_url.strip_prefix("http://"));
        if host.is_none_or(|h| h.is_empty() || h.contains(char::is_whitespace)) {
            return Err(ConfigError::BaseUrl(base_url));
        }
        if s.session_key.as_ref().is_some_and(|k| k.len() < 32) {
            return Err(ConfigError::SessionKeyTooShort);
        }
        let trusted_proxies = crate::domain::client_ip::parse_proxies(&s.trusted_proxies)
            .map_err(ConfigError::TrustedProxies)?;
        let config = Config {
            app_env,
            database_url: s.database_url.map(SecretString::from),
            bind_addr: s.bind_addr,
            base_url,
            smtp_url: s.smtp_url.map(SecretString::from),
            mail_from: s.mail_from,
            session_key: s.session_key.map(SecretString::from),
            audit_signing_key: s.audit_signing_key.map(SecretString::from),
            secrets_key: s.secrets_key.map(SecretString::from),
            data_dir: s.data_dir,
            session_idle_timeout: s.session_idle_timeout,
            session_lifetime: s.session_lifetime,
            metrics_addr: s.metrics_addr,
            db_pool_size: s.db_pool_size,
            usage_raw_retention_days: s.usage_raw_retention_days,
            trusted_proxies,
            limits: Limits {
                signups_per_ip_per_hour: s.signups_per_ip_per_hour,
                max_tokens_per_report: s.max_tokens_per_report,
                admin_api_per_minute: s.admin_api_requests_per_minute,
                ..Limits::default()
            },
            password_cost: PasswordCost {
                memory_kib: s.argon2_memory_kib,
                iterations: s.argon2_iterations,
            },
            clock: Default::default(),
            dns_resolver: s.dns_resolver,
        };
        config.check_production()?;
        Ok(config)
    }

    fn check_production(&self) -> Result<(), ConfigError> {
        if self.app_env != AppEnv::Production {
            return Ok(());
        }
        if self.database_url.is_none() {
            return Err(ConfigError::Production("DATABASE_URL"));
        }
        if self.smtp_url.is_none() {
            return Err(ConfigError::Production("SMTP_URL"));
        }
        if self.session_key.is_none() {
            return Err(ConfigError::Production("SESSION_KEY"));
        }
        if self.secrets_key.is_none() {
            return Err(ConfigError::Production("SECRETS_KEY"));
        }
        if !self.is_https() {
            return Err(ConfigError::Production("an https:// BASE_URL"));
        }
        let floor = PasswordCost::default();
        if self.password_cost.memory_kib < floor.memory_kib
            || self.password_cost.iterations < floor.iterations
        {
            return Err(ConfigError::Production(
                "ARGON2_MEMORY_KIB and ARGON2_ITERATIONS at least at their defaults",
            ));
        }
        Ok(())
    }

    /// Cookies get `Secure` and the `__Host-` prefix only when the console is served over https (R21).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(|u| u.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            database_url: None,
            bind_addr: "127.0.0.1:8080".into(),
            base_url: None,
            smtp_url: None,
            mail_from: "Teamwork <teamwork@localhost>".into(),
            session_key: None,
            audit_signing_key: None,
            secrets_key: None,
            data_dir: "./var".into(),
            app_env: "development".into(),
            session_idle_timeout: Duration::from_secs(7200),
            session_lifetime: Duration::from_secs(7 * 86400),
            metrics_addr: None,
            db_pool_size: 10,
            log_format: "text".into(),
            trusted_proxies: String::new(),
            signups_per_ip_per_hour: 5,
            max_tokens_per_report: 10_000_000,
            admin_api_requests_per_minute: 600,
            usage_raw_retention_days: 400,
            argon2_memory_kib: PasswordCost::default().memory_kib,
            argon2_iterations: PasswordCost::default().iterations,
            dns_resolver: None,
        }
    }

    #[test]
    fn development_defaults_need_no_settings() {
        let config = Config::from_settings(settings()).unwrap();
        assert_eq!(config.base_url, "http://127.0.0.1:8080");
        assert!(!config.is_https());
    }

    #[test]
    fn production_refuses_missing_settings_one_by_one() {
        let mut s = settings();
        s.app_env = "production".into();
        let err = |s: &Settings| Config::from_settings(s.clone()).unwrap_err().to_string();
        assert!(err(&s).contains("DATABASE_URL"));
        s.database_url = Some("postgres://db/teamwork".into());
        assert!(err(&s).contains("SMTP_URL"));
        s.smtp_url = Some("smtps://mail.example.com".into());
        assert!(err(&s).contains("SESSION_KEY"));
        s.session_key = Some("k".repeat(64));
        assert!(err(&s).contains("SECRETS_KEY"));
        s.secrets_key = Some("a2V5".repeat(11));
        assert!(err(&s).contains("https"));
        s.base_url = Some("https://console.example.com/".into());
        s.argon2_memory_kib = 4096;
        assert!(err(&s).contains("ARGON2_MEMORY_KIB"));
        s.argon2_memory_kib = PasswordCost::default().memory_kib;
        let config = Config::from_settings(s).unwrap();
        assert_eq!(config.base_url, "https://console.example.com");
        assert_eq!(config.password_cost, PasswordCost::default());
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        let mut s = settings();
        s.app_env = "staging".into();
        assert!(
            Config::from_settings(s)
                .unwrap_err()
                .to_string()
                .contains("APP_ENV")
        );
        let mut s = settings();
        s.base_url = Some("ftp://x".into());
        assert!(
            Config::from_settings(s)
                .unwrap_err()
                .to_string()
                .contains("BASE_URL")
        );
        let mut s = settings();
        s.trusted_proxies = "10.0.0.0/8, nonsense".into();
        assert!(
            Config::from_settings(s)
                .unwrap_err()
                .to_string()
                .contains("TRUSTED_PROXIES")
        );
        let mut s = settings();
        s.session_key = Some("short".into());
        assert!(matches!(
            Config::from_settings(s),
            Err(ConfigError::SessionKeyTooShort)
        ));
    }
}
