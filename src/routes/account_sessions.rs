//! The Sessions page: every signed-in session of the account, and signing them out.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::auth::session::{TypedSession, redirect_with_flash};
use crate::config::Config;
use crate::db::Db;
use crate::domain::device::Browser;
use crate::domain::time::ago;
use crate::error::AppError;
use crate::htmx::{html, redirect};
use crate::layout::Layout;
use crate::models::sessions;
use crate::ops;

/// One session as the page shows it.
struct SessionView {
    id: Uuid,
    device: String,
    ip: String,
    signed_in: String,
    signed_in_at: String,
    last_seen: String,
    last_seen_at: String,
    /// The session of this browser.
    current: bool,
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionView>,
    others: usize,
}

/// GET /account/sessions
pub async fn list_sessions(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    let (user_id, now) = (current.user.id, config.clock.now());
    let this = TypedSession::of(&req).session_id();
    let rows = db
        .run(move |conn| Ok::<_, AppError>(sessions::live_for_user(conn, user_id, now)?))
        .await?;
    let mut views: Vec<SessionView> = rows
        .into_iter()
        .map(|row| SessionView {
            id: row.id,
            device: Browser::parse(row.user_agent.as_deref().unwrap_or_default()).describe(),
            ip: row.ip.unwrap_or_else(|| "unknown".into()),
            signed_in: ago(row.created_at, now),
            signed_in_at: row.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            last_seen: ago(row.last_seen_at, now),
            last_seen_at: row.last_seen_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            current: Some(row.id) == this,
        })
        .collect();
    // This device first, then the others, most recently seen first.
    views.sort_by_key(|view| !view.current);
    let others = views.iter().filter(|view| !view.current).count();
    html(&SessionsPage {
        layout: current.layout("Sessions"),
        sessions: views,
        others,
    })
}

/// POST /account/sessions/{id}/sign-out: ends one session of the account. Another
/// account's session is a 404, like one that does not exist. This browser's own session
/// is signed out like "Sign out" in the menu.
pub async fn delete_session(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let user_id = current.user.id;
    db.run(move |conn| ops::sessions::sign_out(conn, user_id, id))
        .await?;
    let session = TypedSession::of(&req);
    if session.session_id() == Some(id) {
        session.sign_out();
        return Ok(redirect(&current.meta.hx, "/login"));
    }
    Ok(redirect_with_flash(
        &req,
        &current.meta.hx,
        "/account/sessions",
        "That session was signed out.",
    ))
}

/// POST /account/sessions/sign-out-others: "Sign out everywhere else".
pub async fn delete_other_sessions(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    // A signed-in request always has a stored session, so it has its id.
    let keep = TypedSession::of(&req)
        .session_id()
        .ok_or_else(|| AppError::Internal("signed-in session without an id".into()))?;
    let user_id = current.user.id;
    let ended = db
        .run(move |conn| ops::sessions::sign_out_others(conn, user_id, keep))
        .await?;
    let message = match ended {
        0 => "No other session was signed in.".to_owned(),
        1 => "1 other session was signed out.".to_owned(),
        n => format!("{n} other sessions were signed out."),
    };
    Ok(redirect_with_flash(
        &req,
        &current.meta.hx,
        "/account/sessions",
        &message,
    ))
}
