//! An organization's single sign-on settings and verified domains (administrators).

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck};
use crate::domain::activity::{Actor, Event};
use crate::domain::sealed::SecretsKey;
use crate::domain::sso::{ClientId, ClientSecret, DomainName, IssuerUrl, TXT_PREFIX, new_token};
use crate::domain::{Permission, Role};
use crate::models::sso::{self, Domain};
use crate::models::{activity, is_unique_violation};

/// Saves the connection. `secret` `None` keeps the saved one (a first save needs one).
/// A change of issuer, client or secret needs a new "Test connection" before sign-in
/// through the provider works again.
#[allow(clippy::too_many_arguments)]
pub fn save(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    issuer: &IssuerUrl,
    client_id: &ClientId,
    secret: Option<&ClientSecret>,
    default_role: Role,
    key: &SecretsKey,
    now: DateTime<Utc>,
) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let before = sso::lock(conn, org_id)?;
        if before.is_none() && secret.is_none() {
            return Err(OpError::Invalid(
                "Enter the client secret your identity provider gave this application.".into(),
            ));
        }
        let changed_identity = before
            .as_ref()
            .is_none_or(|b| b.issuer_url != issuer.as_str() || b.client_id != client_id.as_str())
            || secret.is_some();
        let sealed = secret.map(|s| s.sealed(key, org_id));
        let settings = sso::Settings {
            issuer_url: issuer.as_str(),
            client_id: client_id.as_str(),
            sealed_secret: sealed.as_deref(),
            default_role,
        };
        sso::save(conn, org_id, &settings, changed_identity, now)?;
        let event = Event::SsoConfigured {
            org: org_id,
            org_name: org.name.clone(),
            issuer: issuer.as_str().to_owned(),
            client_id: client_id.as_str().to_owned(),
            default_role,
            secret_replaced: secret.is_some() && before.is_some(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}

/// "Test connection" came back from the provider with `email`: the settings, if they
/// are still the ones the test ran with, may now be turned on.
pub fn record_test(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    issuer: &str,
    client_id: &str,
    email: &str,
    now: DateTime<Utc>,
) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let current = sso::lock(conn, org_id)?.ok_or(OpError::NotFound)?;
        if current.issuer_url != issuer || current.client_id != client_id {
            return Err(OpError::refused(
                "The settings changed while the test ran: run \"Test connection\" again.",
            ));
        }
        sso::mark_tested(conn, org_id, now)?;
        let event = Event::SsoTested {
            org: org_id,
            org_name: org.name.clone(),
            issuer: issuer.to_owned(),
            email: email.to_owned(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}

/// Turns sign-in through the provider on (only after a successful test of the saved
/// settings) or off. Turning it off also ends "Require SSO": nobody could sign in.
pub fn set_active(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    active: bool,
) -> OpResult<bool> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let current = sso::lock(conn, org_id)?
            .ok_or_else(|| OpError::refused("Save the single sign-on settings first."))?;
        if current.active == active {
            return Ok(false);
        }
        if active && current.tested_at.is_none() {
            return Err(OpError::refused(
                "Run \"Test connection\" with these settings first: it must complete a sign-in at your identity provider.",
            ));
        }
        sso::set_active(conn, org_id, active)?;
        let (org_name, event_org) = (org.name.clone(), org_id);
        if !active && org.require_sso {
            sso::set_require_sso(conn, org_id, false)?;
            let event = Event::SsoOptional {
                org: event_org,
                org_name: org_name.clone(),
            };
            activity::record(conn, org_id, actor, &event)?;
        }
        let event = if active {
            Event::SsoEnabled {
                org: event_org,
                org_name,
                issuer: current.issuer_url.clone(),
            }
        } else {
            Event::SsoDisabled {
                org: event_org,
                org_name,
            }
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(true)
    })
}

/// "Require SSO" on or off. On needs active single sign-on and a verified domain.
pub fn set_required(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    required: bool,
) -> OpResult<bool> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        if org.require_sso == required {
            return Ok(false);
        }
        if required {
            let active = sso::lock(conn, org_id)?.is_some_and(|c| c.active);
            let verified = sso::domains(conn, org_id)?
                .iter()
                .any(|d| d.verified_at.is_some());
            if !active || !verified {
                return Err(OpError::refused(
                    "Turn on single sign-on and verify a domain first: \"Require SSO\" applies to addresses in your verified domains.",
                ));
            }
        }
        sso::set_require_sso(conn, org_id, required)?;
        let (org, org_name) = (org_id, org.name.clone());
        let event = if required {
            Event::SsoRequired { org, org_name }
        } else {
            Event::SsoOptional { org, org_name }
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(true)
    })
}

pub fn add_domain(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    domain: &DomainName,
    now: DateTime<Utc>,
) -> OpResult<Domain> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let added = sso::add_domain(conn, org_id, domain.as_str(), &new_token(), now)
            .map_err(|e| OpError::taken(e, "This organization has added this domain already."))?;
        let event = Event::DomainAdded {
            org: org_id,
            org_name: org.name.clone(),
            domain: domain.as_str().to_owned(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(added)
    })
}

/// "Verify": `records` are the TXT strings the resolver returned for the domain, looked
/// up just before (outside the transaction). One organization per verified domain.
pub fn verify_domain(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    domain_id: Uuid,
    records: &[String],
    now: DateTime<Utc>,
) -> OpResult<Domain> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let domain = sso::find_domain(conn, org_id, domain_id)?.ok_or(OpError::NotFound)?;
        if domain.verified_at.is_some() {
            return Ok(domain);
        }
        let expected = format!("{TXT_PREFIX}{}", domain.token);
        if !records.iter().any(|r| r.trim() == expected) {
            return Err(OpError::refused(format!(
                "No TXT record {expected} was found at {}. DNS changes can take a while to appear; try again later.",
                domain.domain
            )));
        }
        // A savepoint: the unique violation must not end the transaction.
        let marked =
            diesel::Connection::transaction(conn, |conn| sso::mark_verified(conn, domain.id, now));
        match marked {
            Err(e) if is_unique_violation(&e) => {
                return Err(OpError::Conflict(
                    "Another organization has verified this domain.".into(),
                ));
            }
            other => other?,
        }
        let event = Event::DomainVerified {
            org: org_id,
            org_name: org.name.clone(),
            domain: domain.domain.clone(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(Domain {
            verified_at: Some(now),
            ..domain
        })
    })
}

pub fn remove_domain(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    domain_id: Uuid,
) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let domain = sso::find_domain(conn, org_id, domain_id)?.ok_or(OpError::NotFound)?;
        sso::remove_domain(conn, domain.id)?;
        let event = Event::DomainRemoved {
            org: org_id,
            org_name: org.name.clone(),
            domain: domain.domain.clone(),
            was_verified: domain.verified_at.is_some(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}
