//! The URL map on one screen, and one module per feature.

use actix_web::web;

mod accounts;
pub mod assets;
mod forms;
pub mod health;
mod members;
mod orgs;
mod settings;

pub use forms::FieldErrors;

/// Every route behind the session and CSRF middleware. Health checks and static files
/// are mounted outside it in `startup`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(orgs::home))
        .route("/signup", web::get().to(accounts::new_account))
        .route("/signup", web::post().to(accounts::create_account))
        .route("/login", web::get().to(accounts::new_session))
        .route("/login", web::post().to(accounts::create_session))
        .route("/logout", web::post().to(accounts::delete_session))
        .route("/orgs/new", web::get().to(orgs::new_org))
        .route("/orgs", web::post().to(orgs::create_org))
        .route("/orgs/{org}", web::get().to(orgs::show_org))
        .route("/orgs/{org}/members", web::get().to(members::list_members))
        .route(
            "/orgs/{org}/members/{user_id}/role",
            web::post().to(members::update_member_role),
        )
        .route(
            "/orgs/{org}/members/{user_id}/remove",
            web::get().to(members::confirm_remove_member),
        )
        .route(
            "/orgs/{org}/members/{user_id}/remove",
            web::post().to(members::remove_member),
        )
        .route(
            "/orgs/{org}/leave",
            web::get().to(members::confirm_leave_org),
        )
        .route("/orgs/{org}/leave", web::post().to(members::leave_org))
        .route(
            "/orgs/{org}/settings",
            web::get().to(settings::show_settings),
        )
        .route("/orgs/{org}/settings", web::post().to(settings::rename_org));
}
