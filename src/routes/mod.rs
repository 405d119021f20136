//! The URL map on one screen, and one module per feature.

use actix_web::web;

mod account_links;
mod accounts;
mod activity;
pub mod assets;
mod forms;
pub mod health;
mod invitations;
mod join;
mod members;
mod orgs;
mod settings;

pub use forms::FieldErrors;

/// Every route behind the session and CSRF middleware. Health checks and static files
/// are mounted outside it in `startup`.
#[rustfmt::skip]
pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{get, post};
    cfg
        .route("/",                                      get().to(orgs::home))
        .route("/signup",                                get().to(accounts::new_account))
        .route("/signup",                                post().to(accounts::create_account))
        .route("/login",                                 get().to(accounts::new_session))
        .route("/login",                                 post().to(accounts::create_session))
        .route("/logout",                                post().to(accounts::delete_session))
        .route("/verify-email",                          post().to(account_links::resend_email_confirmation))
        .route("/verify-email/{token}",                  get().to(account_links::show_email_confirmation))
        .route("/verify-email/{token}",                  post().to(account_links::confirm_email))
        .route("/password/forgot",                       get().to(account_links::new_password_reset))
        .route("/password/forgot",                       post().to(account_links::create_password_reset))
        .route("/password/reset/{token}",                get().to(account_links::edit_password))
        .route("/password/reset/{token}",                post().to(account_links::update_password))
        .route("/invitations/{token}",                   get().to(join::show_invitation))
        .route("/invitations/{token}/accept",            post().to(join::accept_invitation))
        .route("/invitations/{token}/signup",            post().to(join::create_account_and_join))
        .route("/orgs/new",                              get().to(orgs::new_org))
        .route("/orgs",                                  post().to(orgs::create_org))
        .route("/orgs/{org}",                            get().to(orgs::show_org))
        .route("/orgs/{org}/members",                    get().to(members::list_members))
        .route("/orgs/{org}/members/{user_id}/role",     post().to(members::update_member_role))
        .route("/orgs/{org}/members/{user_id}/remove",   get().to(members::confirm_remove_member))
        .route("/orgs/{org}/members/{user_id}/remove",   post().to(members::remove_member))
        .route("/orgs/{org}/invitations/new",            get().to(invitations::new_invitation))
        .route("/orgs/{org}/invitations",                post().to(invitations::create_invitation))
        .route("/orgs/{org}/invitations/{id}/resend",    post().to(invitations::resend_invitation))
        .route("/orgs/{org}/invitations/{id}/cancel",    post().to(invitations::cancel_invitation))
        .route("/orgs/{org}/leave",                      get().to(members::confirm_leave_org))
        .route("/orgs/{org}/leave",                      post().to(members::leave_org))
        .route("/orgs/{org}/activity",                   get().to(activity::list_activity))
        .route("/orgs/{org}/activity/export.csv",        get().to(activity::export_activity_csv))
        .route("/orgs/{org}/activity/export.jsonl",      get().to(activity::export_activity_jsonl))
        .route("/orgs/{org}/settings",                   get().to(settings::show_settings))
        .route("/orgs/{org}/settings",                   post().to(settings::rename_org));
}
