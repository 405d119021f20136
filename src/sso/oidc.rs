//! OpenID Connect with an organization's provider, through the `openidconnect` crate:
//! discovery, the Authorization Code flow with PKCE, `state` and `nonce`, and the ID
//! token's signature and claims (issuer, audience, expiry, nonce) checked by the crate.
//! We add one rule: the address must be verified at the provider (`email_verified`).

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::config::{AppEnv, Config};

const TIMEOUT: Duration = Duration::from_secs(10);

/// What the provider is asked, and what a flow needs to finish: kept server-side in the
/// session until the callback, which takes it (single use).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The identity the provider vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why a flow failed, in words for the person (never the secret, never a stack).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Failed(pub String);

/// The connection settings a flow runs with.
pub struct Provider<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// The redirect URI every provider is given: one for all organizations (the state
/// names the flow).
pub fn redirect_uri(config: &Config) -> String {
    format!("{}/sso/callback", config.base_url)
}

/// rustls, timeouts, no redirects (the crate's advice: a redirect could leak the code),
/// no proxy from the environment; in production, private and local addresses are
/// refused at every connection, as for audit log streaming.
fn http_client(config: &Config) -> Result<reqwest::Client, Failed> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("Teamwork-SSO/", env!("CARGO_PKG_VERSION")));
    if config.app_env == AppEnv::Production {
        builder = builder
            .https_only(true)
            .dns_resolver(Arc::new(crate::stream::PublicOnly));
    }
    builder
        .build()
        .map_err(|e| Failed(format!("The HTTP client could not start: {e}")))
}

async fn client(
    config: &Config,
    provider: &Provider<'_>,
    http: &reqwest::Client,
) -> Result<
    openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Failed,
> {
    let issuer = IssuerUrl::new(provider.issuer.to_owned())
        .map_err(|_| Failed("The issuer URL is not a valid URL.".into()))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "OIDC discovery failed");
            Failed(format!(
                "The identity provider's discovery document ({}/.well-known/openid-configuration) could not be read or does not match the issuer URL.",
                provider.issuer
            ))
        })?;
    let redirect = RedirectUrl::new(redirect_uri(config))
        .map_err(|_| Failed("BASE_URL does not make a valid redirect URI.".into()))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.to_owned()),
        Some(ClientSecret::new(provider.client_secret.to_owned())),
    )
    .set_redirect_uri(redirect))
}

/// Discovers the provider and builds the URL that sends the browser to it, with a fresh
/// `state`, `nonce` and PKCE challenge (S256). `login_hint` pre-fills the address.
pub async fn start(
    config: &Config,
    provider: &Provider<'_>,
    login_hint: Option<&str>,
) -> Result<Started, Failed> {
    let http = http_client(config)?;
    let client = client(config, provider, &http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    if let Some(hint) = login_hint {
        request = request.add_extra_param("login_hint", hint.to_owned());
    }
    let (url, state, nonce) = request.url();
    Ok(Started {
        authorize_url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Redeems the code (with the PKCE verifier) and checks the ID token: signature by the
/// provider's published keys, issuer, audience (our client id), expiry and nonce. The
/// caller has already matched `state` to the flow it took from the session.
pub async fn finish(
    config: &Config,
    provider: &Provider<'_>,
    flow: &Started,
    code: &str,
) -> Result<Claims, Failed> {
    let http = http_client(config)?;
    let client = client(config, provider, &http).await?;
    let request = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|_| Failed("The identity provider has no token endpoint.".into()))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()));
    let response = request.request_async(&http).await.map_err(|e| {
        tracing::warn!(error = %e, "OIDC code exchange refused");
        Failed("The identity provider refused the sign-in (the code was used already, expired, or was issued to another client). Try again.".into())
    })?;
    let id_token = response
        .id_token()
        .ok_or_else(|| Failed("The identity provider sent no ID token.".into()))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(flow.nonce.clone()))
        .map_err(|e| {
            tracing::warn!(error = %e, "ID token refused");
            Failed(format!("The ID token was refused: {e}."))
        })?;
    let mut email = claims.email().map(|e| e.as_str().to_owned());
    let mut email_verified = claims.email_verified();
    let mut name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned());
    // Providers that keep the ID token small (and certified ones by default) give the
    // address at the UserInfo endpoint, for the same subject.
    if email.is_none() || email_verified.is_none() {
        let info: CoreUserInfoClaims = client
            .user_info(
                response.access_token().clone(),
                Some(claims.subject().clone()),
            )
            .map_err(|_| {
                Failed("The identity provider sent no email address: allow the email scope.".into())
            })?
            .request_async(&http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "OIDC userinfo refused");
                Failed("The identity provider's UserInfo answer was refused.".into())
            })?;
        email = email.or_else(|| info.email().map(|e| e.as_str().to_owned()));
        email_verified = email_verified.or(info.email_verified());
        name = name.or_else(|| {
            info.name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned())
        });
    }
    let email = email.ok_or_else(|| {
        Failed("The identity provider sent no email address: allow the email scope.".into())
    })?;
    Ok(Claims {
        subject: claims.subject().as_str().to_owned(),
        email,
        email_verified: email_verified == Some(true),
        name,
    })
}
