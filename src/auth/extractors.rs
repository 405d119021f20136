//! `CurrentUser` and `OrgMember`: identity and membership, loaded from the database on
//! every request so that a role change or removal applies to the very next one (R7).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::USER_AGENT;
use actix_web::{FromRequest, HttpRequest, web};
use uuid::Uuid;

use super::session::{SignedInWith, TypedSession};
use crate::db::Db;
use crate::domain::sso::DomainName;
use crate::domain::{Access, Credits, Grant, Permission};
use crate::error::AppError;
use crate::htmx::Hx;
use crate::models::access_health;
use crate::models::activity::Actor;
use crate::models::memberships::{Membership, OrgLink};
use crate::models::organizations::Organization;
use crate::models::project_members;
use crate::models::sso;
use crate::models::two_factor;
use crate::models::users::User;

/// Facts about the request that handlers and the activity log need.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// The TCP peer, or the client named by a proxy in `TRUSTED_PROXIES` (R25, R41).
    pub ip: String,
    pub user_agent: Option<String>,
    pub hx: Hx,
    /// The CSRF token forms must carry; created with the session if needed.
    pub csrf: String,
    /// A confirmation left by the previous request (plain form posts).
    pub flash: Option<String>,
}

impl RequestMeta {
    fn of(req: &HttpRequest) -> Result<Self, AppError> {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let trusted = req
            .app_data::<web::Data<crate::config::Config>>()
            .map(|c| c.trusted_proxies.as_slice())
            .unwrap_or_default();
        let ip = crate::domain::client_ip::client_ip(
            req.peer_addr().map(|a| a.ip()),
            trusted,
            header("forwarded"),
            header("x-forwarded-for"),
        );
        Ok(RequestMeta {
            ip: ip.map(|ip| ip.to_string()).unwrap_or_default(),
            user_agent: req
                .headers()
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
            hx: Hx::from_request(req),
            csrf: TypedSession::of(req).csrf_token()?,
            flash: TypedSession::of(req).take_flash(),
        })
    }
}

impl RequestMeta {
    /// The client address and user agent of a key-authenticated API request (which has
    /// no session, so no CSRF token or flash).
    pub fn api(req: &HttpRequest) -> (String, Option<String>) {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let trusted = req
            .app_data::<web::Data<crate::config::Config>>()
            .map(|c| c.trusted_proxies.as_slice())
            .unwrap_or_default();
        let ip = crate::domain::client_ip::client_ip(
            req.peer_addr().map(|a| a.ip()),
            trusted,
            header("forwarded"),
            header("x-forwarded-for"),
        );
        (
            ip.map(|ip| ip.to_string()).unwrap_or_default(),
            header("user-agent").map(|ua| ua.chars().take(512).collect()),
        )
    }
}

impl FromRequest for RequestMeta {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(RequestMeta::of(req))
    }
}

/// The signed-in user. Fails with `Unauthenticated` (a redirect to the login page).
pub struct CurrentUser {
    pub user: User,
    /// The user's organizations, for the header's switcher.
    pub orgs: Vec<OrgLink>,
    pub meta: RequestMeta,
}

/// The signed-in user's access to the organization named by the `{org}` path segment.
/// Fails with `Unauthenticated`, or `NotFound` for non-members so that the existence of
/// an organization is not revealed (R3).
pub struct OrgMember {
    pub user: User,
    pub org: Organization,
    pub access: Access,
    /// The one project of a project-only member; `None` for organization members.
    pub project_id: Option<Uuid>,
    pub orgs: Vec<OrgLink>,
    pub meta: RequestMeta,
    /// The organization's credits, loaded for organization members only (the warning
    /// banner of those who manage billing).
    pub balance: Option<Credits>,
    /// Access health checks with open items, for the sidebar's badge: read for full
    /// pages shown to those who may see access health (as kept, up to a minute old, or
    /// computed and kept anew), else `None`.
    pub health_open: Option<i64>,
}

fn unauthenticated(req: &HttpRequest) -> AppError {
    let next = match req.uri().path_and_query() {
        Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_owned(),
        _ => "/".to_owned(),
    };
    AppError::Unauthenticated {
        htmx: Hx::from_request(req).is_htmx(),
        next,
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = TypedSession::of(req);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let meta = RequestMeta::of(req);
        let denied = unauthenticated(req);
        Box::pin(async move {
            let user_id = session.user_id()?.ok_or(denied)?;
            let meta = meta?;
            let db = db.ok_or_else(|| AppError::Internal("Db not registered".into()))?;
            let loaded = db
                .run(move |conn| Ok::<_, AppError>(User::find_with_orgs(conn, user_id)?))
                .await?;
            match loaded {
                Some((user, orgs)) => Ok(CurrentUser { user, orgs, meta }),
                None => {
                    // The account is gone: end the session rather than loop on it.
                    session.sign_out();
                    Err(AppError::Unauthenticated {
                        htmx: meta.hx.is_htmx(),
                        next: "/".into(),
                    })
                }
            }
        })
    }
}

impl FromRequest for OrgMember {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = TypedSession::of(req);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let meta = RequestMeta::of(req);
        let slug = req.match_info().get("org").map(str::to_owned);
        let denied = unauthenticated(req);
        let page = req.method() == actix_web::http::Method::GET;
        let now = req
            .app_data::<web::Data<crate::config::Config>>()
            .map(|c| c.clock.now());
        Box::pin(async move {
            let user_id = session.user_id()?.ok_or(denied)?;
            let meta = meta?;
            let (Some(slug), Some(db)) = (slug, db) else {
                return Err(AppError::NotFound);
            };
            // One statement for members (switcher and kept badge included); project-only
            // members take two.
            let (user, org, access, project_id, orgs, balance, kept_badge) = db
                .run(move |conn| {
                    if let Some(m) = Membership::load_member(conn, user_id, &slug)? {
                        let balance = m.balance_micro.map(Credits::from_micro);
                        let access = Access::Org(m.membership.role);
                        return Ok::<_, AppError>((
                            m.user,
                            m.org,
                            access,
                            None,
                            m.orgs,
                            balance,
                            m.health_badge,
                        ));
                    }
                    let p = project_members::load_access(conn, user_id, &slug)?
                        .ok_or(AppError::NotFound)?;
                    Ok((
                        p.user,
                        p.org,
                        Access::Project(p.role),
                        Some(p.project_id),
                        p.orgs,
                        None,
                        None,
                    ))
                })
                .await?;
            if org.require_two_factor {
                let user_id = user.id;
                let enabled = db
                    .run(move |conn| Ok::<_, AppError>(two_factor::is_enabled(conn, user_id)?))
                    .await?;
                if !enabled {
                    return Err(AppError::TwoFactorRequired {
                        htmx: meta.hx.is_htmx(),
                        org: org.slug,
                    });
                }
            }
            // "Require SSO": only organizations that turned it on pay one indexed lookup,
            // and only for sessions that did not come through their provider.
            if org.require_sso
                && session.signed_in_with() != SignedInWith::Sso(org.id)
                && !session.bypassed_sso(org.id)
                && let Some(domain) = DomainName::of_email(&user.email)
            {
                let org_id = org.id;
                let covered = db
                    .run(move |conn| {
                        Ok::<_, AppError>(sso::is_verified_by(conn, org_id, domain.as_str())?)
                    })
                    .await?;
                if covered {
                    return Err(AppError::SsoRequired {
                        htmx: meta.hx.is_htmx(),
                        org: org.slug,
                    });
                }
            }
            // Only where the sidebar is drawn for someone who may open "Access health": the
            // kept number while it is fresh, else one bounded statement that keeps it anew.
            let health_open = match now {
                Some(now)
                    if page
                        && !meta.hx.wants_fragment()
                        && access.can(Permission::ViewAccessHealth) =>
                {
                    match kept_badge.and_then(|kept| kept.fresh_at(now)) {
                        Some(open) => Some(open),
                        None => {
                            let org_id = org.id;
                            Some(
                                db.run(move |conn| {
                                    Ok::<_, AppError>(access_health::refresh_badge(
                                        conn, org_id, now,
                                    )?)
                                })
                                .await?,
                            )
                        }
                    }
                }
                _ => None,
            };
            Ok(OrgMember {
                user,
                org,
                access,
                project_id,
                orgs,
                meta,
                balance,
                health_open,
            })
        })
    }
}

impl OrgMember {
    /// Opens every org handler. Denied: 403 for a member whose role is too low, 404 for
    /// a project-only member on an organization-level page (R3, R6).
    pub fn require(&self, permission: Permission) -> Result<Grant, AppError> {
        match self.access.grant(permission) {
            Grant::Denied if self.access.is_project_only() => Err(AppError::NotFound),
            Grant::Denied => Err(AppError::Forbidden),
            grant => Ok(grant),
        }
    }

    /// For something inside one project: organization-wide grants reach every project,
    /// a project-only member's only their own; another project is a 404 (R6).
    pub fn require_project(
        &self,
        permission: Permission,
        project_id: Uuid,
    ) -> Result<(), AppError> {
        let own_project = self.project_id == Some(project_id);
        match self.access.grant(permission) {
            Grant::Organization => Ok(()),
            Grant::OwnProject if own_project => Ok(()),
            // Inside their own project, a role too low is a 403 like anywhere else.
            Grant::Denied if own_project || !self.access.is_project_only() => {
                Err(AppError::Forbidden)
            }
            _ => Err(AppError::NotFound),
        }
    }

    /// For organization-level pages that every organization member may open (Overview,
    /// Settings): project-only members get a 404 (R6).
    pub fn require_org_member(&self) -> Result<(), AppError> {
        if self.access.is_project_only() {
            Err(AppError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Like [`require`](Self::require), for pages that exist only organization-wide.
    pub fn require_org_wide(&self, permission: Permission) -> Result<(), AppError> {
        match self.require(permission)? {
            Grant::Organization => Ok(()),
            _ => Err(AppError::NotFound),
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.access.can(permission)
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id,
            name: self.user.name.clone(),
            ip: Some(self.meta.ip.clone()),
            user_agent: self.meta.user_agent.clone(),
            admin_key: None,
            scim: None,
        }
    }
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id,
            name: self.user.name.clone(),
            ip: Some(self.meta.ip.clone()),
            user_agent: self.meta.user_agent.clone(),
            admin_key: None,
            scim: None,
        }
    }
}
