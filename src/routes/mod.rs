//! The URL map on one screen, and one module per feature.

use actix_web::web;

mod access_health;
mod access_until;
mod account_links;
mod account_sessions;
mod account_settings;
mod accounts;
mod activity;
mod activity_export;
pub mod admin_api;
mod admin_keys;
pub mod api;
mod api_keys;
mod api_usage;
pub mod assets;
mod audit_stream;
mod billing;
mod forms;
pub mod health;
mod invitation_role;
mod invitations;
mod join;
mod leave;
mod member_detail;
mod member_export;
mod member_removal;
mod members;
mod members_on_date;
mod org_deletion;
mod orgs;
mod project_access;
mod projects;
pub mod scim;
mod scim_settings;
mod settings;
mod sign_in;
mod sso;
mod sso_settings;
mod two_factor;
mod two_factor_login;
mod two_factor_policy;
mod usage;

pub use forms::FieldErrors;

/// Declares the URL map once: `configure` registers it, and `ROUTES` lists it so that
/// the authorization tests can check that every route has an entry (R1).
macro_rules! url_map {
    ($($method:ident $path:literal => $handler:path,)*) => {
        /// Every page and form route as (method, path pattern).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Every route behind the session and CSRF middleware. Health checks, static
        /// files and the key-authenticated API are mounted outside it in `startup`.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
}

#[rustfmt::skip]
url_map! {
    get  "/"                                                              => orgs::home,
    get  "/signup"                                                        => accounts::new_account,
    post "/signup"                                                        => accounts::create_account,
    get  "/login"                                                         => accounts::new_session,
    post "/login"                                                         => accounts::create_session,
    post "/logout"                                                        => accounts::delete_session,
    post "/verify-email"                                                  => account_links::resend_email_confirmation,
    get  "/verify-email/{token}"                                          => account_links::show_email_confirmation,
    post "/verify-email/{token}"                                          => account_links::confirm_email,
    get  "/password/forgot"                                               => account_links::new_password_reset,
    post "/password/forgot"                                               => account_links::create_password_reset,
    get  "/password/reset/{token}"                                        => account_links::edit_password,
    post "/password/reset/{token}"                                        => account_links::update_password,
    get  "/invitations/{token}"                                           => join::show_invitation,
    post "/invitations/{token}/accept"                                    => join::accept_invitation,
    post "/invitations/{token}/signup"                                    => join::create_account_and_join,
    get  "/orgs/new"                                                      => orgs::new_org,
    post "/orgs"                                                          => orgs::create_org,
    get  "/orgs/{org}"                                                    => orgs::show_org,
    get  "/orgs/{org}/members"                                            => members::list_members,
    post "/orgs/{org}/members/notice/dismiss"                             => members::dismiss_second_admin_notice,
    get  "/orgs/{org}/members/{user_id}/role"                             => members::confirm_member_role,
    post "/orgs/{org}/members/{user_id}/role"                             => members::update_member_role,
    get  "/orgs/{org}/members/{user_id}/remove"                           => member_removal::confirm_remove_member,
    post "/orgs/{org}/members/{user_id}/remove"                           => member_removal::remove_member,
    get  "/orgs/{org}/invitations/new"                                    => invitations::new_invitation,
    post "/orgs/{org}/invitations"                                        => invitations::create_invitation,
    post "/orgs/{org}/invitations/{id}/resend"                            => invitations::resend_invitation,
    post "/orgs/{org}/invitations/{id}/cancel"                            => invitations::cancel_invitation,
    get  "/orgs/{org}/projects"                                           => projects::list_projects,
    post "/orgs/{org}/projects"                                           => projects::create_project,
    get  "/orgs/{org}/projects/new"                                       => projects::new_project,
    get  "/orgs/{org}/projects/{project_id}"                              => projects::show_project,
    post "/orgs/{org}/projects/{project_id}/rename"                       => projects::rename_project,
    get  "/orgs/{org}/projects/{project_id}/archive"                      => projects::confirm_archive_project,
    post "/orgs/{org}/projects/{project_id}/archive"                      => projects::archive_project,
    get  "/orgs/{org}/projects/{project_id}/invitations/new"              => project_access::new_project_invitation,
    post "/orgs/{org}/projects/{project_id}/invitations"                  => project_access::create_project_invitation,
    post "/orgs/{org}/projects/{project_id}/access/{user_id}/role"        => project_access::update_project_access,
    get  "/orgs/{org}/projects/{project_id}/access/{user_id}/remove"      => project_access::confirm_revoke_project_access,
    post "/orgs/{org}/projects/{project_id}/access/{user_id}/remove"      => project_access::revoke_project_access,
    post "/orgs/{org}/projects/{project_id}/keys"                         => api_keys::create_api_key,
    get  "/orgs/{org}/projects/{project_id}/keys/{key_id}/rotate"         => api_keys::confirm_rotate_api_key,
    post "/orgs/{org}/projects/{project_id}/keys/{key_id}/rotate"         => api_keys::rotate_api_key,
    get  "/orgs/{org}/projects/{project_id}/keys/{key_id}/revoke"         => api_keys::confirm_revoke_api_key,
    post "/orgs/{org}/projects/{project_id}/keys/{key_id}/revoke"         => api_keys::revoke_api_key,
    get  "/orgs/{org}/api-keys"                                           => api_keys::list_api_keys,
    get  "/orgs/{org}/usage"                                              => usage::show_usage,
    get  "/orgs/{org}/usage.csv"                                          => usage::export_usage,
    get  "/orgs/{org}/billing"                                            => billing::show_billing,
    post "/orgs/{org}/billing/credits"                                    => billing::add_credits,
    post "/orgs/{org}/billing/plan"                                       => billing::change_plan,
    get  "/orgs/{org}/activity"                                           => activity::list_activity,
    get  "/orgs/{org}/activity/people"                                    => activity::search_activity_people,
    get  "/orgs/{org}/activity/export.csv"                                => activity_export::export_activity_csv,
    get  "/orgs/{org}/activity/export.jsonl"                              => activity_export::export_activity_jsonl,
    get  "/orgs/{org}/activity/checkpoints.jsonl"                         => activity_export::export_activity_checkpoints,
    get  "/orgs/{org}/leave"                                              => leave::confirm_leave_org,
    post "/orgs/{org}/leave"                                              => leave::leave_org,
    get  "/orgs/{org}/settings"                                           => settings::show_settings,
    post "/orgs/{org}/settings"                                           => settings::rename_org,
    post "/orgs/{org}/settings/retention"                                 => settings::update_retention,
    get  "/login/two-factor"                                              => two_factor_login::new_two_factor_session,
    post "/login/two-factor"                                              => two_factor_login::create_two_factor_session,
    get  "/account/security"                                              => two_factor::show_security,
    post "/account/security/two-factor"                                   => two_factor::start_two_factor_setup,
    get  "/account/security/two-factor"                                   => two_factor::show_two_factor_setup,
    post "/account/security/two-factor/confirm"                           => two_factor::confirm_two_factor_setup,
    post "/account/security/two-factor/disable"                           => two_factor::disable_two_factor,
    post "/orgs/{org}/settings/two-factor"                                => two_factor_policy::update_two_factor_requirement,
    get  "/account"                                                       => account_settings::show_account,
    post "/account/name"                                                  => account_settings::update_name,
    post "/account/email"                                                 => account_settings::request_email_change,
    get  "/account/email/{token}"                                         => account_links::show_email_change,
    post "/account/email/{token}"                                         => account_links::confirm_email_change,
    post "/account/password"                                              => account_settings::update_password,
    get  "/account/sessions"                                              => account_sessions::list_sessions,
    post "/account/sessions/sign-out-others"                              => account_sessions::delete_other_sessions,
    post "/account/sessions/{id}/sign-out"                                => account_sessions::delete_session,
    get  "/orgs/{org}/delete"                                             => org_deletion::confirm_delete_org,
    post "/orgs/{org}/delete"                                             => org_deletion::delete_org,
    get  "/orgs/{org}/restore"                                            => org_deletion::confirm_restore_org,
    post "/orgs/{org}/restore"                                            => org_deletion::restore_org,
    get  "/orgs/{org}/settings/streaming"                                 => audit_stream::show_audit_stream,
    post "/orgs/{org}/settings/streaming"                                 => audit_stream::update_audit_stream,
    post "/orgs/{org}/settings/streaming/disable"                         => audit_stream::disable_audit_stream,
    post "/orgs/{org}/settings/streaming/test"                            => audit_stream::test_audit_stream,
    // Role history, members CSV, pending invitation roles (governance)
    get  "/orgs/{org}/members.csv"                                        => member_export::export_members_csv,
    get  "/orgs/{org}/members/{user_id}"                                  => member_detail::show_member,
    get  "/orgs/{org}/invitations/{id}/role"                              => invitation_role::confirm_invitation_role,
    post "/orgs/{org}/invitations/{id}/role"                              => invitation_role::update_invitation_role,
    // Access governance: admin alerts, asking for a new invitation, bulk invite preview
    post "/invitations/{token}/request"                                   => join::request_invitation,
    post "/orgs/{org}/invitations/review"                                 => invitations::review_invitations,
    post "/account/emails"                                                => account_settings::update_email_preferences,
    // Access governance: the removal wizard's download, access health, access until.
    post "/orgs/{org}/api-keys/env"                                       => member_removal::download_api_keys_env,
    get  "/orgs/{org}/health"                                             => access_health::show_access_health,
    get  "/orgs/{org}/projects/{project_id}/access/{user_id}/until"       => access_until::edit_access_until,
    post "/orgs/{org}/projects/{project_id}/access/{user_id}/until"       => access_until::update_access_until,
    // Admin keys and the organization API's reference (issue 19)
    get  "/orgs/{org}/settings/admin-keys"                                => admin_keys::list_admin_keys,
    post "/orgs/{org}/settings/admin-keys"                                => admin_keys::create_admin_key,
    get  "/orgs/{org}/settings/admin-keys/{key_id}/revoke"                => admin_keys::confirm_revoke_admin_key,
    post "/orgs/{org}/settings/admin-keys/{key_id}/revoke"                => admin_keys::revoke_admin_key,
    get  "/docs/api"                                                      => admin_api::docs::show_api_reference,
    // Single sign-on (OpenID Connect), verified domains, Require SSO
    get  "/sso"                                                           => sso::new_sso_session,
    post "/sso"                                                           => sso::create_sso_session,
    get  "/sso/callback"                                                  => sso::sso_callback,
    get  "/orgs/{org}/settings/sso"                                       => sso_settings::show_sso,
    post "/orgs/{org}/settings/sso"                                       => sso_settings::update_sso,
    post "/orgs/{org}/settings/sso/test"                                  => sso_settings::test_sso,
    post "/orgs/{org}/settings/sso/active"                                => sso_settings::update_sso_active,
    post "/orgs/{org}/settings/sso/require"                               => sso_settings::update_sso_requirement,
    post "/orgs/{org}/settings/sso/domains"                               => sso_settings::add_domain,
    post "/orgs/{org}/settings/sso/domains/{id}/verify"                   => sso_settings::verify_domain,
    post "/orgs/{org}/settings/sso/domains/{id}/remove"                   => sso_settings::remove_domain,
    get  "/orgs/{org}/sso/required"                                       => sso::show_sso_required,
    post "/orgs/{org}/sso/bypass"                                         => sso::bypass_sso,
    get  "/orgs/{org}/settings/scim"                                      => scim_settings::show_scim,
    post "/orgs/{org}/settings/scim/token"                                => scim_settings::create_scim_token,
    post "/orgs/{org}/settings/scim/token/revoke"                         => scim_settings::revoke_scim_token,
    post "/orgs/{org}/settings/scim/groups"                               => scim_settings::update_scim_group_role,
}
