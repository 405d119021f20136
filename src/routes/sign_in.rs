//! The end of every sign-in (password, reset link, joining with a new account, and any
//! later step such as a second factor, or an organization's identity provider): one place
//! that establishes the session, and records how.

use actix_web::{HttpRequest, web};
use uuid::Uuid;

use crate::auth::RequestMeta;
use crate::auth::session::{SignedInWith, TypedSession};
use crate::config::Config;
use crate::db::Db;
use crate::domain::device::Device;
use crate::error::AppError;
use crate::mail::{Context, WorkerHandle};
use crate::models::known_devices::Seen;
use crate::ops;

fn registered<T: 'static>(req: &HttpRequest) -> Result<web::Data<T>, AppError> {
    req.app_data::<web::Data<T>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("app data not registered".into()))
}

/// A session was established for `user_id` from this request: the account's devices
/// learn this one (a new one gets a "new sign-in" notice), then the browser gets a new
/// session id that records the device and address it came from (R20). Call it once the
/// person has proven everything sign-in asks for, and only then.
pub async fn session_established(
    req: &HttpRequest,
    meta: &RequestMeta,
    user_id: Uuid,
    how: SignedInWith,
) -> Result<(), AppError> {
    let (db, config) = (registered::<Db>(req)?, registered::<Config>(req)?);
    let device = Device::new(meta.user_agent.as_deref(), &meta.ip);
    let (seen_from, ctx) = (device.clone(), Context::from_config(&config));
    let seen = db
        .run(move |conn| ops::sessions::signed_in(conn, user_id, &seen_from, &ctx))
        .await?;
    if seen == Seen::New
        && let Ok(mail) = registered::<WorkerHandle>(req)
    {
        mail.wake();
    }
    TypedSession::of(req).sign_in(user_id, &device, how)
}
