//! The values of single sign-on, parsed at the edge: the provider's issuer URL, the
//! client id and secret, a claimed email domain and its DNS verification record.

use super::FieldError;
use super::audit_stream::EndpointPolicy;
use super::sealed::SecretsKey;

/// The prefix of the TXT record that proves control of a domain.
pub const TXT_PREFIX: &str = "teamwork-verification=";

/// The issuer, as the provider names itself in its discovery document and ID tokens.
/// HTTPS; plain http only for a loopback provider in development (and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerUrl(String);

impl IssuerUrl {
    pub fn parse(text: &str, policy: EndpointPolicy) -> Result<Self, FieldError> {
        let text = text.trim().trim_end_matches('/');
        if text.is_empty() {
            return Err(FieldError(
                "Enter the issuer URL of your identity provider, e.g. https://login.example.com.",
            ));
        }
        let invalid = FieldError("Enter an https:// issuer URL without a query or fragment.");
        if text.len() > 2000 {
            return Err(invalid);
        }
        let url = url::Url::parse(text).map_err(|_| invalid.clone())?;
        let host = url.host_str().ok_or(invalid.clone())?;
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
        let scheme_ok = url.scheme() == "https"
            || (url.scheme() == "http" && loopback && policy == EndpointPolicy::Development);
        if !scheme_ok
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(invalid);
        }
        Ok(IssuerUrl(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let text = text.trim();
        if text.is_empty() || text.len() > 500 || text.chars().any(char::is_control) {
            return Err(FieldError(
                "Enter the client ID your identity provider gave this application.",
            ));
        }
        Ok(ClientId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The client secret: sealed before it is stored, never shown again. `Debug` hides it.
#[derive(Clone)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let text = text.trim();
        if text.is_empty() || text.len() > 2000 || text.chars().any(char::is_control) {
            return Err(FieldError(
                "Enter the client secret your identity provider gave this application.",
            ));
        }
        Ok(ClientSecret(text.to_owned()))
    }

    /// Sealed under `SECRETS_KEY`, bound to the organization.
    pub fn sealed(&self, key: &SecretsKey, org_id: uuid::Uuid) -> Vec<u8> {
        key.seal(self.0.as_bytes(), context(org_id).as_bytes())
    }

    pub fn open(
        sealed: &[u8],
        key: &SecretsKey,
        org_id: uuid::Uuid,
    ) -> Result<Self, super::sealed::Unsealable> {
        let plain = key.open(sealed, context(org_id).as_bytes())?;
        String::from_utf8(plain)
            .map(ClientSecret)
            .map_err(|_| super::sealed::Unsealable)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(..)")
    }
}

fn context(org_id: uuid::Uuid) -> String {
    format!("sso-client-secret:{org_id}")
}

/// An email domain an organization claims, lower-case, e.g. `example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let text = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let labels: Vec<&str> = text.split('.').collect();
        if text.len() > 253
            || labels.len() < 2
            || !labels.iter().all(|l| label_ok(l))
            || labels
                .last()
                .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(FieldError(
                "Enter a domain name such as example.com (no @, no https://).",
            ));
        }
        Ok(DomainName(text))
    }

    /// The domain of an address, for the routing of "Continue with SSO".
    pub fn of_email(email: &str) -> Option<DomainName> {
        let (_, domain) = email.rsplit_once('@')?;
        DomainName::parse(domain).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The TXT record value the administrator publishes for `token`.
pub fn txt_record(token: &str) -> String {
    format!("{TXT_PREFIX}{token}")
}

/// A fresh verification token (random, URL-safe).
pub fn new_token() -> String {
    super::PlainToken::generate("").expose().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_except_loopback_in_development() {
        use EndpointPolicy::{Development, Production};
        assert!(IssuerUrl::parse("https://login.example.com/", Production).is_ok());
        assert!(IssuerUrl::parse("http://127.0.0.1:4000", Development).is_ok());
        assert!(IssuerUrl::parse("http://127.0.0.1:4000", Production).is_err());
        assert!(IssuerUrl::parse("http://idp.example.com", Development).is_err());
        assert!(IssuerUrl::parse("https://idp.example.com/?x=1", Production).is_err());
        assert!(IssuerUrl::parse("", Production).is_err());
    }

    #[test]
    fn domains_are_lower_case_names_with_a_dot() {
        assert_eq!(
            DomainName::parse(" Example.COM. ").unwrap().as_str(),
            "example.com"
        );
        for bad in [
            "example",
            "a@example.com",
            "https://example.com",
            "-a.com",
            "1.2.3.4",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            DomainName::of_email("ada@Corp.Example").unwrap().as_str(),
            "corp.example"
        );
    }

    #[test]
    fn a_client_secret_opens_only_for_its_organization() {
        let key = SecretsKey::from_bytes(&[3; 32]);
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let sealed = ClientSecret::parse("s3cret").unwrap().sealed(&key, a);
        assert_eq!(
            ClientSecret::open(&sealed, &key, a).unwrap().expose(),
            "s3cret"
        );
        assert!(ClientSecret::open(&sealed, &key, b).is_err());
        assert_eq!(
            format!("{:?}", ClientSecret::parse("s3cret").unwrap()),
            "ClientSecret(..)"
        );
    }
}
