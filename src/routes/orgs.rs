//! Creating organizations, the home redirect and the organization overview.

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;

use serde::Deserialize;

use super::FieldErrors;
use crate::auth::session::TypedSession;
use crate::auth::{CurrentUser, OrgMember};
use crate::config::Config;
use crate::db::Db;
use crate::domain::Credits;
use crate::domain::{OrgName, Permission};
use crate::error::AppError;
use crate::htmx::{html, html_with_status, redirect};
use crate::layout::{Layout, Section};
use crate::models::memberships::{Membership, OrgLink};
use crate::models::{activity, billing, usage};
use crate::ops;

/// GET /: the first organization's overview, the new-organization form, or login. A
/// person who deleted organizations they can still restore gets a page instead: their
/// organizations, and the deleted ones with "Restore".
pub async fn home(
    req: HttpRequest,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    let Some(user_id) = TypedSession::of(&req).user_id()? else {
        return Ok(redirect(&Default::default(), "/login"));
    };
    let deleted_orgs = super::org_deletion::deleted_orgs(&db, user_id, config.clock.now()).await?;
    let orgs = db
        .run(move |conn| Ok::<_, AppError>(Membership::orgs_of_user(conn, user_id)?))
        .await?;
    if !deleted_orgs.is_empty() {
        let current = CurrentUser::from_request(&req, &mut actix_web::dev::Payload::None).await?;
        return html(&HomePage {
            layout: current.layout("Organizations"),
            orgs,
            deleted_orgs,
        });
    }
    let target = match orgs.first() {
        Some(org) => format!("/orgs/{}", org.slug),
        None => "/orgs/new".to_owned(),
    };
    Ok(redirect(&Default::default(), &target))
}

#[derive(Template)]
#[template(path = "orgs/home.html")]
struct HomePage {
    layout: Layout,
    orgs: Vec<OrgLink>,
    deleted_orgs: Vec<super::org_deletion::DeletedOrgRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgForm {
    name: String,
}

#[derive(Template)]
#[template(path = "orgs/new.html")]
struct NewOrgPage {
    layout: Layout,
    name: String,
    errors: FieldErrors,
}

/// GET /orgs/new
pub async fn new_org(current: CurrentUser) -> Result<HttpResponse, AppError> {
    html(&NewOrgPage {
        layout: current.layout("New organization"),
        name: String::new(),
        errors: FieldErrors::default(),
    })
}

/// POST /orgs: the creator becomes its first Administrator; the organization starts on
/// the Free plan, with its starting credits when the creator's address is confirmed.
pub async fn create_org(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<NewOrgForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("name", OrgName::parse(&form.name)) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewOrgPage {
                layout: current.layout("New organization"),
                name: form.name,
                errors,
            },
        );
    };
    let (actor, now) = (current.actor(), config.clock.now());
    let org = db
        .run(move |conn| ops::orgs::found(conn, &name, &actor, now))
        .await?;
    let members = format!("/orgs/{}/members", org.slug);
    if current.user.email_verified_at.is_none() {
        // Said at once, so that a zero balance is not a surprise later (R42).
        return Ok(crate::auth::session::redirect_with_flash(
            &req,
            &current.meta.hx,
            &members,
            "Organization created with 0 credits: confirm your email address to get the starting credits on your next organization, or add credits on the Billing page.",
        ));
    }
    Ok(redirect(&current.meta.hx, &members))
}

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct OrgPage {
    layout: Layout,
    slug: String,
    role: String,
    members: MembersCard,
    billing: Option<BillingCard>,
    usage: Option<UsageCard>,
    recent: Vec<super::activity::EntryView>,
    can_view_activity: bool,
    /// The viewer's alerts in this organization, newest first; shown to administrators
    /// and to anyone who has some.
    alerts: Option<Vec<AlertView>>,
}

/// One line of the "Alerts" box.
struct AlertView {
    message: String,
    security: bool,
    ago: String,
    at: String,
}

/// Lines of the "Alerts" box at most.
const OVERVIEW_ALERTS: i64 = 10;

/// People: members, pending invitations and, for those who see billing, seats.
struct MembersCard {
    members: i64,
    pending: i64,
    /// "7 of 50 seats (Team plan)", for those who see billing.
    seats: Option<String>,
}

struct BillingCard {
    balance: Credits,
}

/// The last 7 days of the whole organization.
struct UsageCard {
    cost: Credits,
    requests: i64,
    chart: super::usage::ChartView,
}

impl OrgPage {
    fn grouped(&self, n: &i64) -> String {
        crate::domain::billing::group_digits((*n).max(0) as u64)
    }
}

/// Days of usage on the overview.
const OVERVIEW_DAYS: i64 = 7;

/// GET /orgs/{org}: the overview, each card for those whose role may open its page; a
/// project-only member lands on their project.
pub async fn show_org(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    if let Some(project_id) = member.project_id {
        return Ok(redirect(
            &member.meta.hx,
            &format!("/orgs/{}/projects/{project_id}", member.org.slug),
        ));
    }
    member.require_org_wide(Permission::ViewMembers)?;
    let can_view_activity = member.can(Permission::ViewActivity);
    let can_view_billing = member.can(Permission::ViewBilling);
    let can_view_usage = member.can(Permission::ViewUsage);
    let (org_id, now) = (member.org.id, config.clock.now());
    let first_day = now.date_naive() - chrono::Duration::days(OVERVIEW_DAYS - 1);
    let since = first_day.and_time(chrono::NaiveTime::MIN).and_utc();
    // The counts came with the organization, kept on its row.
    let counts = member.org.counts;
    let pending = i64::from(counts.pending_invitations);
    let user_id = member.user.id;
    let (account_seats, usage_rows, recent, alerts) = db
        .run(move |conn| {
            let alerts = crate::models::alerts::recent_for(conn, org_id, user_id, OVERVIEW_ALERTS)?;
            let account_seats = if can_view_billing {
                Some((
                    billing::find(conn, org_id)?,
                    billing::seats_used(conn, org_id)?,
                ))
            } else {
                None
            };
            let usage_rows = if can_view_usage {
                Some((
                    usage::daily(conn, org_id, None, since)?,
                    usage::by_key(conn, org_id, None, since)?,
                ))
            } else {
                None
            };
            let recent = if can_view_activity {
                activity::recent(conn, org_id, 5)?
            } else {
                Vec::new()
            };
            Ok::<_, AppError>((account_seats, usage_rows, recent, alerts))
        })
        .await?;
    let recent = recent
        .into_iter()
        .map(|row| super::activity::EntryView::of(row, now))
        .collect();
    let role = match member.access {
        crate::domain::Access::Org(role) => role.label().to_owned(),
        crate::domain::Access::Project(role) => format!("Project {}", role.label()),
    };
    let members = MembersCard {
        members: counts.total(),
        pending,
        seats: account_seats.as_ref().map(|(account, seats)| {
            let plan = account.plan;
            match plan.seat_limit() {
                Some(limit) => format!("{seats} of {limit} seats ({} plan)", plan.label()),
                None => format!("{seats} seats ({} plan, no limit)", plan.label()),
            }
        }),
    };
    let billing = account_seats.map(|(account, _)| BillingCard {
        balance: account.balance(),
    });
    let usage = usage_rows.map(|(daily, keys)| UsageCard {
        cost: Credits::from_micro(keys.iter().map(|k| k.cost_micro).sum()),
        requests: keys.iter().map(|k| k.requests).sum(),
        chart: super::usage::ChartView::build(first_day, OVERVIEW_DAYS, &daily),
    });
    let alerts = (member.can(Permission::ManageMembers) || !alerts.is_empty()).then(|| {
        alerts
            .into_iter()
            .map(|a| AlertView {
                message: a.message,
                security: a.security,
                ago: crate::domain::time::ago(a.created_at, now),
                at: a.created_at.to_rfc3339(),
            })
            .collect()
    });
    html(&OrgPage {
        layout: member.layout(Section::Overview, "Overview"),
        slug: member.org.slug.clone(),
        role,
        members,
        billing,
        usage,
        recent,
        can_view_activity,
        alerts,
    })
}
