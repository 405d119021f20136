//! Audit log streaming: signed POSTs of activity entries to an organization's endpoint
//! (the HTTP side here, the delivery loop in `worker`). README, "Audit log streaming".

pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::config::{AppEnv, Config};
use crate::domain::audit_stream::{
    EVENT_HEADER, EndpointPolicy, SIGNATURE_HEADER, StreamEndpoint, is_public, signature,
};
use crate::domain::sealed::SecretsKey;
use crate::models::activity::ActivityRow;
use crate::models::audit_streams::Target;

/// A delivery that takes longer than this failed (and is retried).
pub const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub fn policy(config: &Config) -> EndpointPolicy {
    match config.app_env {
        AppEnv::Production => EndpointPolicy::Production,
        AppEnv::Development => EndpointPolicy::Development,
    }
}

/// The HTTP client of streaming: rustls, timeouts, no redirects, no proxy from the
/// environment, and in production a resolver that refuses private and local addresses
/// at every connection (a name that resolved to a public address when saved may not,
/// later: DNS rebinding).
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    /// Opens the stored secrets (sealed under `SECRETS_KEY`).
    key: SecretsKey,
}

impl Sender {
    pub fn new(policy: EndpointPolicy, key: SecretsKey) -> Result<Sender, String> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("Teamwork-Audit-Stream/", env!("CARGO_PKG_VERSION")));
        if policy == EndpointPolicy::Production {
            builder = builder.https_only(true).dns_resolver(Arc::new(PublicOnly));
        }
        let client = builder
            .build()
            .map_err(|e| format!("audit stream HTTP client: {e}"))?;
        Ok(Sender { client, key })
    }

    pub fn for_config(config: &Config) -> Result<Sender, String> {
        Sender::new(policy(config), crate::secrets_key::load_or_create(config)?)
    }

    /// Sends one entry, as the JSON Lines export writes it.
    pub async fn send_entry(&self, target: &Target, row: &ActivityRow) -> Result<(), String> {
        let body = row.export_json().to_string().into_bytes();
        self.post(target, "activity", body).await
    }

    /// "Send test event": signed like an entry, marked `test`, with no seq.
    pub async fn send_test(
        &self,
        target: &Target,
        org_id: uuid::Uuid,
        org_slug: &str,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let body = json!({
            "test": true,
            "org_id": org_id,
            "organization": org_slug,
            "time": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "message": "A test event from Teamwork audit log streaming; not an entry of the activity log.",
        });
        self.post(target, "test", body.to_string().into_bytes())
            .await
    }

    async fn post(&self, target: &Target, event: &str, body: Vec<u8>) -> Result<(), String> {
        let secret = self.open_secret(target)?;
        let timestamp = Utc::now().timestamp();
        let signed = signature(&secret, timestamp, &body);
        let response = self
            .client
            .post(&target.url)
            .header(CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, event)
            .header(SIGNATURE_HEADER, signed)
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(format!(
                "the endpoint answered {status}: redirects are not followed, save the final address"
            ))
        } else {
            Err(format!("the endpoint answered {status}"))
        }
    }
}

impl Sender {
    fn open_secret(&self, target: &Target) -> Result<String, String> {
        let unreadable = || {
            "the saved secret cannot be opened (was SECRETS_KEY changed?): save a new secret"
                .to_owned()
        };
        let sealed = STANDARD.decode(&target.secret).map_err(|_| unreadable())?;
        let plain = self
            .key
            .open(&sealed, target.org_id.as_bytes())
            .map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

/// A failed request in words for administrators, without the URL (it may hold a token)
/// and never with the secret.
fn describe(error: reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut detail = Vec::new();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push(cause.to_string());
        source = cause.source();
    }
    let text = match detail.last() {
        Some(root) => format!("{what}: {root}"),
        None => what.to_owned(),
    };
    text.chars().take(500).collect()
}

/// Production's resolver: a name resolving to any private or local address is refused.
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs = public_addresses(name.as_str(), 0)
                .await
                .map_err(|refusal| refusal.as_str())?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    Unresolved,
    Private,
}

impl Refusal {
    fn as_str(self) -> &'static str {
        match self {
            Refusal::Unresolved => "That host name does not resolve: check the address.",
            Refusal::Private => {
                "That address is private or local: the endpoint must be reachable on the internet."
            }
        }
    }
}

async fn public_addresses(host: &str, port: u16) -> Result<Vec<SocketAddr>, Refusal> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Refusal::Unresolved)?
        .collect();
    if addrs.is_empty() {
        return Err(Refusal::Unresolved);
    }
    if addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(Refusal::Private);
    }
    Ok(addrs)
}

/// At saving, in production: the endpoint's host must resolve, to public addresses only.
/// (Addresses written as IP literals were checked when the URL was parsed.)
pub async fn check_resolves_public(
    endpoint: &StreamEndpoint,
    policy: EndpointPolicy,
) -> Result<(), &'static str> {
    if policy == EndpointPolicy::Development {
        return Ok(());
    }
    match endpoint.url().host() {
        Some(url::Host::Domain(host)) => public_addresses(host, 443)
            .await
            .map(drop)
            .map_err(Refusal::as_str),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_resolves_to_this_machine_is_refused_in_production() {
        assert!(matches!(
            public_addresses("localhost", 443).await,
            Err(Refusal::Private)
        ));
        assert!(matches!(
            public_addresses("no-such-host.invalid", 443).await,
            Err(Refusal::Unresolved)
        ));
    }
}
