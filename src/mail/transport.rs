//! How a message leaves: an SMTP server (`SMTP_URL`), or `.eml` files under `DATA_DIR/mail`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::MailError;
use crate::config::Config;

/// Longest wait for any one step of an SMTP conversation before the attempt counts as
/// failed (and is retried): a stuck server must not hold a worker.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest error text kept with a row.
const MAX_REASON_CHARS: usize = 500;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development without `SMTP_URL`: each message is written to `<dir>/<outbox id>.eml`.
    Files(PathBuf),
}

/// Why one attempt failed. Transient failures are retried; permanent ones are final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendError {
    Transient(String),
    Permanent(String),
}

impl Transport {
    /// `SMTP_URL` when set, else files under `DATA_DIR/mail`. Call it on the actix runtime.
    pub fn from_config(config: &Config) -> Result<Transport, MailError> {
        match &config.smtp_url {
            Some(url) => Transport::smtp(url.expose_secret()),
            None => {
                let dir = config.data_dir.join("mail");
                tracing::info!(
                    dir = %dir.display(),
                    "SMTP_URL is unset: emails are written as .eml files"
                );
                Ok(Transport::Files(dir))
            }
        }
    }

    /// An SMTP transport with a short timeout and a connection pool. URL forms:
    /// `smtps://user:pass@host[:465]` (TLS from the first byte);
    /// `smtp://user:pass@host[:587]` (STARTTLS required, unless the host is loopback);
    /// `smtp://host:port` on a loopback host (plain text: a local relay or test sink);
    /// `?tls=required|opportunistic|none` to choose explicitly (`none`: plain text).
    /// Call it on the actix (tokio) runtime: the pool starts its cleanup task there.
    pub fn smtp(url: &str) -> Result<Transport, MailError> {
        let url = effective_smtp_url(url)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| MailError::SmtpUrl(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Transport::Smtp(transport))
    }

    /// Sends one message; `file_stem` names the file of the `Files` transport.
    pub(crate) async fn send(&self, file_stem: &str, message: Message) -> Result<(), SendError> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(classify),
            Transport::Files(dir) => {
                let dir = dir.clone();
                let path = dir.join(format!("{file_stem}.eml"));
                let written = {
                    let path = path.clone();
                    actix_web::web::block(move || write_eml(&dir, &path, &message.formatted()))
                        .await
                };
                match written {
                    Ok(Ok(())) => {
                        tracing::info!(path = %path.display(), "mail written");
                        Ok(())
                    }
                    Ok(Err(e)) => Err(SendError::Transient(format!(
                        "cannot write {}: {e}",
                        path.display()
                    ))),
                    Err(e) => Err(SendError::Transient(e.to_string())),
                }
            }
        }
    }

    /// Closes pooled SMTP connections.
    pub(crate) async fn shutdown(&self) {
        if let Transport::Smtp(smtp) = self {
            smtp.shutdown().await;
        }
    }
}

/// lettre reads `smtp://` without `tls=` as plain text, which would send credentials in
/// the clear; we read it as STARTTLS required except on a loopback host, and accept
/// `tls=none` (which lettre does not know) as the explicit plain-text form.
fn effective_smtp_url(raw: &str) -> Result<String, MailError> {
    // The URL holds the password: errors name the problem, never the value.
    let mut url =
        url::Url::parse(raw).map_err(|e| MailError::SmtpUrl(format!("not a URL ({e})")))?;
    let tls = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    // `smtp` is not a special scheme for the url crate: an IP address stays a name here.
    let host = url
        .host_str()
        .map(|host| host.trim_start_matches('[').trim_end_matches(']'))
        .filter(|host| !host.is_empty())
        .ok_or_else(|| MailError::SmtpUrl("no host".into()))?;
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match (url.scheme(), tls.as_deref()) {
        ("smtps", _) | ("smtp", Some("required" | "opportunistic")) => {}
        ("smtp", None) if loopback => {}
        ("smtp", None) => {
            url.query_pairs_mut().append_pair("tls", "required");
        }
        ("smtp", Some("none")) => {
            if !loopback {
                tracing::warn!("SMTP_URL has tls=none: mail and credentials travel unencrypted");
            }
            let rest: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(key, _)| key != "tls")
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect();
            url.set_query(None);
            if !rest.is_empty() {
                url.query_pairs_mut().extend_pairs(rest);
            }
        }
        ("smtp", Some(_)) => {
            return Err(MailError::SmtpUrl(
                "tls= must be required, opportunistic or none".into(),
            ));
        }
        _ => {
            return Err(MailError::SmtpUrl(
                "must start with smtp:// or smtps://".into(),
            ));
        }
    }
    Ok(url.into())
}

/// A 5xx reply is the recipient's (or the message's) problem and final, except replies
/// about our own authentication or TLS: those are a configuration to fix, so keep retrying.
fn classify(error: lettre::transport::smtp::Error) -> SendError {
    let reason = bounded(error.to_string());
    let configuration = error
        .status()
        .is_some_and(|code| matches!(code.to_string().as_str(), "530" | "534" | "535" | "538"));
    if error.is_permanent() && !configuration {
        SendError::Permanent(reason)
    } else {
        SendError::Transient(reason)
    }
}

pub(crate) fn bounded(mut reason: String) -> String {
    if let Some((cut, _)) = reason.char_indices().nth(MAX_REASON_CHARS) {
        reason.truncate(cut);
    }
    reason
}

/// Writes through a temporary name so a reader never sees half a message. Folder and files
/// are private: the files hold join links.
fn write_eml(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let partial = path.with_extension("eml.partial");
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)?
        .write_all(bytes)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_without_tls_means_starttls_required_except_on_loopback() {
        assert_eq!(
            effective_smtp_url("smtp://user:pw@mail.example.com:587").unwrap(),
            "smtp://user:pw@mail.example.com:587?tls=required"
        );
        assert_eq!(
            effective_smtp_url("smtp://127.0.0.1:2525").unwrap(),
            "smtp://127.0.0.1:2525"
        );
        assert_eq!(
            effective_smtp_url("smtp://localhost:1025").unwrap(),
            "smtp://localhost:1025"
        );
        assert_eq!(
            effective_smtp_url("smtp://[::1]:1025").unwrap(),
            "smtp://[::1]:1025"
        );
        assert_eq!(
            effective_smtp_url("smtp://mailpit:1025?tls=none").unwrap(),
            "smtp://mailpit:1025"
        );
        assert_eq!(
            effective_smtp_url("smtp://relay.example.com/helo.example.com?tls=opportunistic")
                .unwrap(),
            "smtp://relay.example.com/helo.example.com?tls=opportunistic"
        );
        assert_eq!(
            effective_smtp_url("smtps://u:p@mail.example.com").unwrap(),
            "smtps://u:p@mail.example.com"
        );
    }

    #[test]
    fn bad_smtp_urls_are_refused_without_echoing_the_password() {
        for bad in [
            "http://u:secret@mail.example.com",
            "smtp://u:secret@mail.example.com?tls=maybe",
            "u:secret@mail.example.com",
            "smtp://u:secret@",
        ] {
            let message = effective_smtp_url(bad).unwrap_err().to_string();
            assert!(message.starts_with("SMTP_URL"), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }

    #[actix_web::test]
    async fn tls_transports_build_without_an_installed_crypto_provider() {
        // lettre falls back to its ring provider when none is installed process-wide.
        assert!(matches!(
            Transport::smtp("smtps://u:p@mail.example.com"),
            Ok(Transport::Smtp(_))
        ));
        assert!(matches!(
            Transport::smtp("smtp://u:p@mail.example.com"),
            Ok(Transport::Smtp(_))
        ));
    }
}
