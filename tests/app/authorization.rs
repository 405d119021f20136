//! The authorization matrix (SECURITY.md T1): every route of the URL map against every
//! kind of principal. Allowed cells get through; denied cells answer 303-to-login, 403
//! or 404 and change nothing (no row, no email, no activity entry).

use std::collections::BTreeMap;

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::{Access, Grant, Permission, ProjectRole, Role};
use uuid::Uuid;

use crate::helpers::{TestApp, TestClient, location};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Principal {
    Anonymous,
    /// An API key sent as a cookie and as a Bearer token: a key is never a session.
    ApiKey,
    NonMember,
    /// Administrator of another organization.
    OtherOrgAdmin,
    /// Was a Developer; removed, session still open.
    Removed,
    Member(Role),
    /// Project-only on the project the routes name.
    OwnProject(ProjectRole),
    /// Project-only Developer on another project of the organization.
    OtherProject,
}

/// What a route asks of the principal.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, signed in or not (sign-up, log-in, mailed links).
    Public,
    /// Any signed-in account.
    SignedIn,
    /// Anyone with access to the organization, project-only members included.
    AnyAccess,
    /// Organization members only (not project-only).
    OrgMember,
    /// A permission held organization-wide.
    Org(Permission),
    /// A permission held organization-wide or within the member's own project (lists).
    Any(Permission),
    /// A permission on the project named in the path.
    Project(Permission),
    /// Signing out a session of another account (the path names one): a 404 for every
    /// signed-in principal, as for a session that does not exist.
    OthersSession,
    /// Only the administrator who deleted the organization, while it is deleted: in
    /// this world nobody did, so it is a 404 for every signed-in principal
    /// (`delete_org::restore_answers_...` covers a deleted organization).
    DeletingAdmin,
}

/// The rule of every route; the test fails when the URL map has a route missing here.
fn rule(method: &str, path: &str) -> Option<Rule> {
    use Permission::*;
    use Rule::*;
    Some(match (method, path) {
        (_, "/" | "/signup" | "/login" | "/logout" | "/password/forgot") => Public,
        (_, "/verify-email/{token}" | "/password/reset/{token}") => Public,
        (
            _,
            "/invitations/{token}"
            | "/invitations/{token}/accept"
            | "/invitations/{token}/signup"
            | "/invitations/{token}/request",
        ) => Public,
        ("post", "/verify-email") => SignedIn,
        (_, "/login/two-factor") => Public,
        (_, p) if p.starts_with("/account/security") => SignedIn,
        ("post", "/orgs/{org}/settings/two-factor") => Org(ManageOrganization),
        (_, "/account/email/{token}") => Public,
        (_, "/account" | "/account/name" | "/account/email" | "/account/password") => SignedIn,
        ("post", "/account/emails") => SignedIn,
        (_, "/account/sessions" | "/account/sessions/sign-out-others") => SignedIn,
        ("post", "/account/sessions/{id}/sign-out") => OthersSession,
        ("get", "/orgs/new") | ("post", "/orgs") => SignedIn,
        ("get", "/orgs/{org}") => AnyAccess,
        (_, "/orgs/{org}/leave") => AnyAccess,
        ("get", "/orgs/{org}/settings") => OrgMember,
        ("post", "/orgs/{org}/settings") => Org(ManageOrganization),
        ("post", "/orgs/{org}/settings/retention") => Org(ManageOrganization),
        (_, "/orgs/{org}/delete") => Org(ManageOrganization),
        (_, "/orgs/{org}/restore") => DeletingAdmin,
        (_, p) if p.starts_with("/orgs/{org}/settings/streaming") => Org(ManageOrganization),
        (_, p) if p.starts_with("/orgs/{org}/settings/admin-keys") => Org(ManageOrganization),
        ("get", "/docs/api") => Public,
        ("get", "/orgs/{org}/members") => Org(ViewMembers),
        ("get", "/orgs/{org}/members/{user_id}" | "/orgs/{org}/members.csv") => Org(ViewMembers),
        (_, p) if p.starts_with("/orgs/{org}/members/") => Org(ManageMembers),
        (_, p) if p.starts_with("/orgs/{org}/invitations") => Org(ManageMembers),
        ("get", "/orgs/{org}/projects") => Any(ViewProjects),
        ("post", "/orgs/{org}/projects") | ("get", "/orgs/{org}/projects/new") => {
            Org(CreateProjects)
        }
        ("get", "/orgs/{org}/projects/{project_id}") => Project(ViewProjects),
        (
            _,
            "/orgs/{org}/projects/{project_id}/rename"
            | "/orgs/{org}/projects/{project_id}/archive",
        ) => Org(ManageOrganization),
        (_, p) if p.starts_with("/orgs/{org}/projects/{project_id}/invitations") => {
            Org(ManageProjectAccess)
        }
        (_, p) if p.starts_with("/orgs/{org}/projects/{project_id}/access/") => {
            Org(ManageProjectAccess)
        }
        (_, p) if p.starts_with("/orgs/{org}/projects/{project_id}/keys") => Project(ManageApiKeys),
        ("get", "/orgs/{org}/api-keys") => Any(ViewApiKeys),
        ("post", "/orgs/{org}/api-keys/env") => Org(ManageApiKeys),
        ("get", "/orgs/{org}/usage" | "/orgs/{org}/usage.csv") => Any(ViewUsage),
        ("get", "/orgs/{org}/billing") => Org(ViewBilling),
        ("post", "/orgs/{org}/billing/credits" | "/orgs/{org}/billing/plan") => Org(ManageBilling),
        ("get", p) if p.starts_with("/orgs/{org}/activity") => Org(ViewActivity),
        ("get", "/orgs/{org}/health") => Org(ViewAccessHealth),
        (_, "/sso" | "/sso/callback") => Public,
        (_, p) if p.starts_with("/orgs/{org}/settings/sso") => Org(ManageOrganization),
        (_, p) if p.starts_with("/orgs/{org}/settings/scim") => Org(ManageOrganization),
        ("get", "/orgs/{org}/sso/required") => AnyAccess,
        ("post", "/orgs/{org}/sso/bypass") => Org(ManageOrganization),
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Login,
    Forbidden,
    NotFound,
}

/// The role table as the README writes it (a copy of PRODUCT.md's contract): the cell
/// of `permission` for `access`, read from the text, not from the code under test.
fn table_grant(access: Access, permission: Permission) -> Grant {
    use Permission::*;
    const README: &str = include_str!("../../README.md");
    let row_name = match permission {
        ViewMembers => "see members and pending invitations",
        ManageMembers => "invite, resend, cancel, change roles, remove",
        ManageOrganization => "rename or delete the organization, settings",
        ViewProjects => "see projects",
        CreateProjects => "create projects",
        ManageProjectAccess => "give or take project-only access",
        ViewApiKeys => "see API keys",
        ManageApiKeys => "create, revoke, rotate API keys",
        ViewUsage => "see usage",
        ViewBilling => "see credits, transactions, subscription",
        ManageBilling => "add credits, change the subscription",
        ViewActivity => "see the activity log",
        LeaveOrganization => "leave the organization",
        ViewAccessHealth => "see access health",
    };
    let column = match access {
        Access::Org(Role::Administrator) => 1,
        Access::Org(Role::Developer) => 2,
        Access::Org(Role::BillingManager) => 3,
        Access::Org(Role::Viewer) => 4,
        Access::Project(ProjectRole::Developer) => 5,
        Access::Project(ProjectRole::Viewer) => 6,
    };
    let row = README
        .lines()
        .find(|line| line.starts_with(&format!("| {row_name} |")))
        .unwrap_or_else(|| panic!("the README's role table has no row {row_name:?}"));
    let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
    match cells[column] {
        "yes" | "all" | "yes, unless last admin" => Grant::Organization,
        "their project" => Grant::OwnProject,
        "no" => Grant::Denied,
        other => panic!("unknown cell {other:?} in {row_name:?}"),
    }
}

fn expect(principal: Principal, rule: Rule) -> Expect {
    use Expect::*;
    let grant_for = table_grant;
    match (principal, rule) {
        (_, Rule::Public) => Allowed,
        (Principal::Anonymous | Principal::ApiKey, _) => Login,
        (_, Rule::DeletingAdmin) => NotFound,
        (_, Rule::SignedIn) => Allowed,
        (_, Rule::OthersSession) => NotFound,
        (Principal::NonMember | Principal::OtherOrgAdmin | Principal::Removed, _) => NotFound,
        (Principal::Member(_), Rule::AnyAccess | Rule::OrgMember) => Allowed,
        (Principal::Member(role), Rule::Org(p) | Rule::Any(p) | Rule::Project(p)) => {
            if grant_for(Access::Org(role), p) == Grant::Organization {
                Allowed
            } else {
                Forbidden
            }
        }
        (Principal::OwnProject(_) | Principal::OtherProject, Rule::AnyAccess) => Allowed,
        (Principal::OwnProject(_) | Principal::OtherProject, Rule::OrgMember | Rule::Org(_)) => {
            NotFound
        }
        (Principal::OwnProject(role), Rule::Any(p)) => {
            if grant_for(Access::Project(role), p) == Grant::Denied {
                NotFound
            } else {
                Allowed
            }
        }
        (Principal::OtherProject, Rule::Any(p)) => {
            if grant_for(Access::Project(ProjectRole::Developer), p) == Grant::Denied {
                NotFound
            } else {
                Allowed
            }
        }
        (Principal::OwnProject(role), Rule::Project(p)) => {
            if grant_for(Access::Project(role), p) == Grant::Denied {
                Forbidden
            } else {
                Allowed
            }
        }
        (Principal::OtherProject, Rule::Project(_)) => NotFound,
    }
}

/// An organization with one principal of each kind, and the ids the routes name.
pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) slug: String,
    project: Uuid,
    key_id: Uuid,
    key_secret: String,
    /// A Viewer the member routes act on.
    target: Uuid,
    /// A project-only Viewer the access routes act on.
    access_target: Uuid,
    /// A session of the Viewer `target`, whom no principal is.
    target_session: Uuid,
    invitation: Uuid,
    join_token: String,
    /// A claimed, not yet verified domain (single sign-on routes).
    domain: Uuid,
    clients: Vec<(Principal, TestClient)>,
}

impl World {
    /// The administrator's client.
    pub(crate) fn admin(&self) -> &TestClient {
        &self.clients[0].1
    }

    pub(crate) fn key_secret(&self) -> &str {
        &self.key_secret
    }
}

const PASSWORD: &str = "correct horse battery";

impl World {
    pub(crate) async fn build() -> World {
        let app = TestApp::spawn().await;
        let (admin, slug) = app.admin_with_org("Acme").await;
        // Requiring two-factor sign-in needs it on the acting administrator's account.
        crate::two_factor::turn_on_directly(&app, "ada.admin@example.com");
        // Room for everyone below and for the invitation an allowed cell sends.
        app.unlimited_seats(&slug);
        let project_path = create(
            &admin,
            &format!("/orgs/{slug}/projects"),
            &[("name", "Website")],
        )
        .await;
        let other_project_path = create(
            &admin,
            &format!("/orgs/{slug}/projects"),
            &[("name", "Other")],
        )
        .await;
        let project = id_at_end(&project_path);
        let other_project = id_at_end(&other_project_path);
        let key_page = admin
            .post_form(&format!("{project_path}/keys"), &[("name", "prod")])
            .await
            .text()
            .await
            .unwrap();
        let key_secret = crate::helpers::shown_key(&key_page);
        let key_id: Uuid = teamwork::schema::api_keys::table
            .select(teamwork::schema::api_keys::id)
            .first(&mut app.conn())
            .unwrap();
        // An admin key with the project key's id, so that `{key_id}` names one of each
        // (the two kinds live in different tables).
        diesel::sql_query(
            "INSERT INTO admin_keys (id, org_id, name, prefix, secret_hash, scopes, created_by, created_by_name) \
             SELECT $1, o.id, 'HR sync', 'tw_admin_abcdefgh', gen_random_uuid()::text::bytea, '{members:read}', u.id, u.name \
             FROM organizations o, users u WHERE o.slug = $2 AND u.email = 'ada.admin@example.com'",
        )
        .bind::<diesel::sql_types::Uuid, _>(key_id)
        .bind::<diesel::sql_types::Text, _>(&slug)
        .execute(&mut app.conn())
        .unwrap();
        admin
            .post_form(
                &format!("/orgs/{slug}/invitations"),
                &[("emails", "invitee@example.com"), ("role", "viewer")],
            )
            .await;
        // Streaming on (to a port nobody listens on), so that turning it off and
        // "Send test event" have something to act on.
        admin
            .post_form(
                &format!("/orgs/{slug}/settings/streaming"),
                &[
                    ("url", "http://127.0.0.1:9/audit"),
                    ("secret", "0123456789abcdef"),
                ],
            )
            .await;
        // Single sign-on saved, tested and on (its provider at a port nobody listens
        // on), with one verified and one claimed domain, so that every button of
        // Settings > Single sign-on has something to act on.
        admin
            .post_form(
                &format!("/orgs/{slug}/settings/sso"),
                &[
                    ("issuer_url", "http://127.0.0.1:9"),
                    ("client_id", "teamwork"),
                    ("client_secret", "a-client-secret"),
                    ("default_role", "viewer"),
                ],
            )
            .await;
        // A SCIM token, so that rotating and revoking it have something to act on.
        admin
            .post_form(&format!("/orgs/{slug}/settings/scim/token"), &[])
            .await;
        for domain in ["verified.example", "corp.example"] {
            admin
                .post_form(
                    &format!("/orgs/{slug}/settings/sso/domains"),
                    &[("domain", domain)],
                )
                .await;
        }
        for sql in [
            "UPDATE sso_connections SET tested_at = now(), active = true",
            "UPDATE verified_domains SET verified_at = now() WHERE domain = 'verified.example'",
        ] {
            diesel::sql_query(sql).execute(&mut app.conn()).unwrap();
        }
        let domain: Uuid = teamwork::schema::verified_domains::table
            .filter(teamwork::schema::verified_domains::domain.eq("corp.example"))
            .select(teamwork::schema::verified_domains::id)
            .first(&mut app.conn())
            .unwrap();
        let join = app.join_path("invitee@example.com", 1).await;
        let join_token = join.trim_start_matches("/invitations/").to_owned();
        let invitation: Uuid = teamwork::schema::invitations::table
            .select(teamwork::schema::invitations::id)
            .first(&mut app.conn())
            .unwrap();

        app.member_with_role(&slug, "Target", Role::Viewer).await;
        let target = app.user_id("target@example.com");
        let mut clients = vec![(Principal::Member(Role::Administrator), admin)];
        for role in [Role::Developer, Role::BillingManager, Role::Viewer] {
            let name = format!("Member {}", role.as_str());
            clients.push((
                Principal::Member(role),
                app.member_with_role(&slug, &name, role).await,
            ));
        }
        let org_uuid = app.org_id(&slug);
        let project_only = |name: &'static str, project: Uuid, role: ProjectRole| {
            let app = &app;
            async move {
                let client = app.signed_up(name).await;
                let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
                diesel::sql_query("INSERT INTO project_members (id, org_id, project_id, user_id, role) SELECT $1, org_id, id, $2, $3 FROM projects WHERE id = $4")
                    .bind::<diesel::sql_types::Uuid, _>(Uuid::now_v7())
                    .bind::<diesel::sql_types::Uuid, _>(app.user_id(&email))
                    .bind::<diesel::sql_types::Text, _>(role.as_str())
                    .bind::<diesel::sql_types::Uuid, _>(project)
                    .execute(&mut app.conn())
                    .unwrap();
                crate::helpers::recount(&mut app.conn(), org_uuid);
                (client, app.user_id(&email))
            }
        };
        let (pat, access_target) = project_only("Pat", project, ProjectRole::Viewer).await;
        // With an end date, so that clearing it ("until" posted empty) changes it.
        diesel::sql_query(
            "UPDATE project_members SET access_until = current_date + 30 WHERE user_id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(access_target)
        .execute(&mut app.conn())
        .unwrap();
        drop(pat);
        clients.push((
            Principal::OwnProject(ProjectRole::Developer),
            project_only("Pdev", project, ProjectRole::Developer)
                .await
                .0,
        ));
        clients.push((
            Principal::OwnProject(ProjectRole::Viewer),
            project_only("Pview", project, ProjectRole::Viewer).await.0,
        ));
        clients.push((
            Principal::OtherProject,
            project_only("Qdev", other_project, ProjectRole::Developer)
                .await
                .0,
        ));

        let removed = app
            .member_with_role(&slug, "Removed", Role::Developer)
            .await;
        diesel::sql_query("DELETE FROM memberships WHERE user_id = $1")
            .bind::<diesel::sql_types::Uuid, _>(app.user_id("removed@example.com"))
            .execute(&mut app.conn())
            .unwrap();
        crate::helpers::recount(&mut app.conn(), app.org_id(&slug));
        clients.push((Principal::Removed, removed));
        clients.push((Principal::NonMember, app.signed_up("Nobody").await));
        let other_admin = app.signed_up("Mallory").await;
        other_admin.create_org("Evil").await;
        clients.push((Principal::OtherOrgAdmin, other_admin));
        clients.push((Principal::Anonymous, app.client()));
        clients.push((Principal::ApiKey, TestClient::new(&app.address)));
        let target_session: Uuid = teamwork::schema::sessions::table
            .filter(teamwork::schema::sessions::user_id.eq(target))
            .select(teamwork::schema::sessions::id)
            .first(&mut app.conn())
            .unwrap();
        World {
            app,
            slug,
            project,
            key_id,
            key_secret,
            target,
            access_target,
            target_session,
            invitation,
            join_token,
            domain,
            clients,
        }
    }

    /// The same world on a copy of this one's (frozen) database.
    async fn fork(&self) -> World {
        let app = self.app.fork().await;
        let clients = self
            .clients
            .iter()
            .map(|(principal, client)| (*principal, client.fork_to(&app.address)))
            .collect();
        World {
            app,
            slug: self.slug.clone(),
            project: self.project,
            key_id: self.key_id,
            key_secret: self.key_secret.clone(),
            target: self.target,
            access_target: self.access_target,
            target_session: self.target_session,
            invitation: self.invitation,
            join_token: self.join_token.clone(),
            domain: self.domain,
            clients,
        }
    }

    pub(crate) fn path(&self, pattern: &str) -> String {
        let user = if pattern.contains("/access/") {
            self.access_target
        } else {
            self.target
        };
        let token = match pattern {
            p if p.starts_with("/invitations/") => self.join_token.clone(),
            p if p.starts_with("/verify-email/") => "ver_unknown".to_owned(),
            p if p.starts_with("/account/email/") => "eml_unknown".to_owned(),
            _ => "rst_unknown".to_owned(),
        };
        let id = if pattern.starts_with("/account/sessions/") {
            self.target_session
        } else if pattern.contains("/domains/") {
            self.domain
        } else {
            self.invitation
        };
        pattern
            .replace("{org}", &self.slug)
            .replace("{project_id}", &self.project.to_string())
            .replace("{user_id}", &user.to_string())
            .replace("{key_id}", &self.key_id.to_string())
            .replace("{id}", &id.to_string())
            .replace("{token}", &token)
    }

    /// Rows in every table a request could change (sessions aside: visiting a page may
    /// open one), counted in one statement.
    pub(crate) fn snapshot(&self) -> BTreeMap<&'static str, i64> {
        const TABLES: [&str; 20] = [
            "users",
            "organizations",
            "memberships",
            "project_members",
            "projects",
            "api_keys",
            "invitations",
            "invitation_sends",
            "outbox",
            "activity",
            "usage_events",
            "user_tokens",
            "audit_streams",
            "alerts",
            "email_preferences",
            "admin_keys",
            "sso_connections",
            "verified_domains",
            "scim_tokens",
            "scim_group_roles",
        ];
        #[derive(QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::BigInt>)]
            counts: Vec<i64>,
        }
        let sql = format!(
            "SELECT ARRAY[{}] AS counts",
            TABLES
                .iter()
                .map(|t| format!("(SELECT count(*) FROM {t})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let counts = self.app.with_conn(|conn| {
            diesel::sql_query(&sql)
                .get_result::<Counts>(conn)
                .expect("count rows")
                .counts
        });
        TABLES.into_iter().zip(counts).collect()
    }

    async fn send(
        &self,
        principal: Principal,
        client: &TestClient,
        method: &str,
        path: &str,
    ) -> reqwest::Response {
        let fields = form_for(path);
        if principal == Principal::ApiKey {
            let request = if method == "get" {
                client.http.get(client.url(path))
            } else {
                client.http.post(client.url(path)).form(&fields)
            };
            return request
                .header("cookie", format!("teamwork={}", self.key_secret))
                .bearer_auth(&self.key_secret)
                .send()
                .await
                .unwrap();
        }
        if method == "get" {
            client.get(path).await
        } else {
            client.post_form(path, &fields).await
        }
    }
}

/// Plausible fields for each form, so that an allowed request gets past parsing.
pub(crate) fn form_for(path: &str) -> Vec<(&'static str, &'static str)> {
    let last = path.rsplit('/').next().unwrap_or("");
    match last {
        "signup" if path == "/signup" => vec![
            ("name", "Someone"),
            ("email", "someone@example.com"),
            ("password", PASSWORD),
        ],
        "signup" => vec![("name", "Someone"), ("password", PASSWORD)],
        "login" => vec![("email", "someone@example.com"), ("password", PASSWORD)],
        "forgot" => vec![("email", "someone@example.com")],
        "orgs" | "projects" | "keys" | "rename" | "settings" => vec![("name", "A name")],
        "role" => vec![("role", "developer")],
        "retention" => vec![("keep_personal_days", "30")],
        "delete" => vec![("name", "Acme")],
        "admin-keys" => vec![("name", "HR sync"), ("scopes", "members:read")],
        "streaming" => vec![
            ("url", "http://127.0.0.1:9/audit"),
            ("secret", "a-new-secret-0123456789"),
        ],
        "invitations" => vec![("emails", "new.person@example.com"), ("role", "viewer")],
        "review" => vec![
            ("emails", "new.person@example.com, other.person@example.com"),
            ("role", "viewer"),
            ("invite", "new.person@example.com"),
            ("invite_role", "developer"),
            ("step", "send"),
        ],
        "sso" if path.starts_with("/orgs/") => vec![
            ("issuer_url", "http://127.0.0.1:9/other"),
            ("client_id", "another-client"),
            ("client_secret", "another-secret"),
            ("default_role", "developer"),
        ],
        "sso" => vec![("email", "someone@example.com")],
        "active" => vec![("active", "false")],
        "require" => vec![("required", "true")],
        "domains" => vec![("domain", "new.example")],
        "groups" if path.contains("/scim/") => vec![("group_name", "eng"), ("role", "developer")],
        "rotate" => vec![("overlap", "1")],
        "credits" => vec![("amount", "12.50"), ("reference", "INV-1")],
        "plan" => vec![("plan", "team")],
        "two-factor" if path.starts_with("/orgs/") => vec![("required", "true")],
        "two-factor" if path.starts_with("/login/") => vec![("code", "000000")],
        "confirm" => vec![("code", "000000")],
        "disable" => vec![("password", PASSWORD), ("code", "000000")],
        "name" => vec![("name", "A new name")],
        "email" if path == "/account/email" => {
            vec![("email", "new.address@example.com"), ("password", PASSWORD)]
        }
        "password" if path == "/account/password" => vec![
            ("current_password", PASSWORD),
            ("new_password", "another secret phrase"),
        ],
        _ if path.starts_with("/password/reset/") => vec![("password", "a new secret phrase")],
        _ => vec![],
    }
}

fn id_at_end(path: &str) -> Uuid {
    path.rsplit('/')
        .next()
        .unwrap()
        .parse()
        .expect("an id at the end of the path")
}

async fn create(client: &TestClient, path: &str, fields: &[(&str, &str)]) -> String {
    let response = client.post_form(path, fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    location(&response)
}

fn outcome(response: &reqwest::Response) -> Expect {
    match response.status() {
        StatusCode::FORBIDDEN => Expect::Forbidden,
        StatusCode::NOT_FOUND => Expect::NotFound,
        StatusCode::SEE_OTHER if location(response).starts_with("/login") => Expect::Login,
        StatusCode::UNAUTHORIZED => Expect::Forbidden,
        _ => Expect::Allowed,
    }
}

/// Runs every principal against one route on `world`; denied ones first, so that an
/// allowed change cannot hide a denied one. The first allowed principal of a form of an
/// organization must really have done the thing: a success and one more activity entry
/// (later ones may meet the state it left, e.g. a name now taken). Administrators go
/// last among the allowed: the only administrator may not leave. Returns the number of
/// cells.
async fn check_route(world: &World, method: &str, pattern: &str) -> usize {
    let rule = rule(method, pattern)
        .unwrap_or_else(|| panic!("{method} {pattern} has no entry in the authorization matrix"));
    let path = world.path(pattern);
    let mut order: Vec<&(Principal, TestClient)> = world.clients.iter().collect();
    order.sort_by_key(|(p, _)| {
        (
            expect(*p, rule) == Expect::Allowed,
            *p == Principal::Member(Role::Administrator),
        )
    });
    // Dismissing a notice is the viewer's own preference, not a change to the
    // organization: it is not in the log.
    // Nor is downloading the secrets a page just showed: it changes nothing.
    let preference = pattern.ends_with("/notice/dismiss") || pattern.ends_with("/api-keys/env");
    // These need a peer this world does not run (an identity provider, a DNS server) or
    // a session established with a two-factor code: the allowed cells get a refusal
    // that changes nothing; tests/app/sso.rs covers what they do.
    let needs_peer = ["/settings/sso/test", "/verify", "/sso/bypass"]
        .iter()
        .any(|end| pattern.ends_with(end));
    let org_form = method == "post"
        && !preference
        && !needs_peer
        && !matches!(rule, Rule::DeletingAdmin)
        && (pattern == "/orgs" || pattern.starts_with("/orgs/{org}/"));
    let mut effect_checked = false;
    for (principal, client) in order {
        let wanted = expect(*principal, rule);
        let refused =
            wanted != Expect::Allowed || (*principal == Principal::ApiKey && method == "post");
        let must_act = org_form && !refused && !effect_checked;
        let before = (refused || must_act).then(|| world.snapshot());
        let response = world.send(*principal, client, method, &path).await;
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{method} {pattern} as {principal:?}: {status}"
        );
        let got = match outcome(&response) {
            // A public route may send a visitor to log in (the home page does).
            Expect::Login if matches!(rule, Rule::Public) => Expect::Allowed,
            got => got,
        };
        let wanted = match (principal, method) {
            // Without a session there is no CSRF token: any form post of a key is refused.
            (Principal::ApiKey, "post") => Expect::Forbidden,
            _ => wanted,
        };
        assert_eq!(
            got, wanted,
            "{method} {pattern} as {principal:?} answered {status}"
        );
        match before {
            Some(before) if refused => assert_eq!(
                world.snapshot(),
                before,
                "{method} {pattern} as {principal:?} was refused but changed rows"
            ),
            Some(before) => {
                assert!(
                    status.is_success() || status.is_redirection(),
                    "{method} {pattern} as {principal:?} was allowed but answered {status}"
                );
                assert_eq!(
                    world.snapshot()["activity"],
                    before["activity"] + 1,
                    "{method} {pattern} as {principal:?} did not record what it did"
                );
                effect_checked = true;
            }
            None => {}
        }
    }
    assert!(
        !org_form || effect_checked,
        "{method} {pattern}: no principal may use it"
    );
    world.clients.len()
}

pub(crate) fn routes(method: &str) -> Vec<&'static str> {
    teamwork::routes::ROUTES
        .iter()
        .filter(|(m, _)| *m == method)
        .map(|(_, p)| *p)
        .collect()
}

#[test]
fn every_route_of_the_url_map_has_a_rule() {
    for (method, path) in teamwork::routes::ROUTES {
        assert!(
            rule(method, path).is_some(),
            "{method} {path} has no entry in the authorization matrix"
        );
    }
}

/// Pages change nothing, so one world serves every GET route.
#[actix_web::test]
async fn every_page_answers_each_principal_as_the_role_table_says() {
    let world = World::build().await;
    let mut cells = 0;
    for pattern in routes("get") {
        cells += check_route(&world, "get", pattern).await;
    }
    println!("authorization matrix, pages: {cells} cells passed");
}

/// Each form gets a fresh world, a copy of one built once: an allowed change must not
/// hide the next cell.
#[actix_web::test]
async fn every_form_answers_each_principal_as_the_role_table_says_and_refusals_change_nothing() {
    let template = World::build().await;
    template.app.freeze();
    let mut cells = 0;
    for pattern in routes("post") {
        let world = template.fork().await;
        cells += check_route(&world, "post", pattern).await;
    }
    println!("authorization matrix, forms: {cells} cells passed, denied cells changed 0 rows");
}
