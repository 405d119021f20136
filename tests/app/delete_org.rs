//! Deleting an organization: the confirmation, who may, what a deleted organization
//! answers, restoring it exactly as it was, and the purge after the window.

use std::collections::BTreeMap;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use teamwork::domain::{ProjectRole, Role};
use uuid::Uuid;

use crate::helpers::{TestApp, TestClient, location, shown_key};
use crate::projects::report;

const ADA: &str = "ada.admin@example.com";
const DEV: &str = "dev.eloper@example.com";
const PAT: &str = "pat.contractor@example.com";
const INVITEE: &str = "invitee@example.com";

/// Acme: Ada (Administrator), a Developer, a project-only Viewer, the project Website
/// with a key that reported usage, one pending invitation.
struct Acme {
    app: TestApp,
    ada: TestClient,
    dev: TestClient,
    pat: TestClient,
    slug: String,
    org_id: Uuid,
    project: Uuid,
    key: String,
    join: String,
}

async fn acme() -> Acme {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    let dev = app
        .member_with_role(&slug, "Dev Eloper", Role::Developer)
        .await;
    let response = ada
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Website")])
        .await;
    let project_path = location(&response);
    let project: Uuid = project_path.rsplit('/').next().unwrap().parse().unwrap();
    let page = ada
        .post_form(&format!("{project_path}/keys"), &[("name", "prod")])
        .await
        .text()
        .await
        .unwrap();
    let key = shown_key(&page);
    let pat = app
        .project_only_member(&slug, project, "Pat Contractor", ProjectRole::Viewer)
        .await;
    ada.post_form(
        &format!("/orgs/{slug}/invitations"),
        &[("emails", INVITEE), ("role", "viewer")],
    )
    .await;
    let join = app.join_path(INVITEE, 1).await;
    assert_eq!(
        report(&app, &key, usage()).await.status(),
        StatusCode::CREATED
    );
    let org_id = app.org_id(&slug);
    Acme {
        app,
        ada,
        dev,
        pat,
        slug,
        org_id,
        project,
        key,
        join,
    }
}

fn usage() -> Value {
    json!({ "model": "gpt-large", "requests": 1, "input_tokens": 100, "output_tokens": 10 })
}

impl Acme {
    async fn delete(&self) -> reqwest::Response {
        self.ada
            .post_form(&format!("/orgs/{}/delete", self.slug), &[("name", "Acme")])
            .await
    }

    fn deleted_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        use teamwork::schema::organizations;
        organizations::table
            .find(self.org_id)
            .select(organizations::deleted_at)
            .first(&mut self.app.conn())
            .unwrap()
    }

    fn path(&self, pattern: &str) -> String {
        pattern
            .replace("{org}", &self.slug)
            .replace("{project_id}", &self.project.to_string())
            .replace("{user_id}", &self.app.user_id(DEV).to_string())
            .replace("{key_id}", &Uuid::nil().to_string())
            .replace("{id}", &Uuid::nil().to_string())
    }
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// The tables with an `org_id` column.
fn org_tables(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT table_name::text AS value FROM information_schema.columns \
         WHERE column_name = 'org_id' AND table_schema = 'public' ORDER BY 1",
    )
    .load::<Text>(conn)
    .unwrap()
    .into_iter()
    .map(|t| t.value)
    .collect()
}

/// Every row that belongs to the organization, as JSON, by table (the organization's
/// own row under "organizations"), in a stable order. Emails are left out: they are
/// not the organization's state, and the mail worker changes their rows as it sends.
fn rows_of(app: &TestApp, org_id: Uuid) -> BTreeMap<String, Value> {
    let mut conn = app.conn();
    let mut tables: Vec<(String, &str)> = org_tables(&mut conn)
        .into_iter()
        .filter(|t| t != "outbox")
        .map(|t| (t, "org_id"))
        .collect();
    tables.push(("organizations".into(), "id"));
    tables
        .into_iter()
        .map(|(table, column)| {
            // Table and column names come from the catalog, never from input.
            let sql = format!(
                "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]')::text \
                 AS value FROM {table} t WHERE {column} = $1"
            );
            let text = diesel::sql_query(sql)
                .bind::<diesel::sql_types::Uuid, _>(org_id)
                .get_result::<Text>(&mut conn)
                .unwrap()
                .value;
            (table, serde_json::from_str(&text).unwrap())
        })
        .collect()
}

fn rows(snapshot: &BTreeMap<String, Value>, table: &str) -> Vec<Value> {
    snapshot[table].as_array().unwrap().clone()
}

#[actix_web::test]
async fn the_delete_page_says_what_happens_and_offers_the_export_first() {
    let acme = acme().await;
    let settings = acme
        .ada
        .get_text(&format!("/orgs/{}/settings", acme.slug))
        .await;
    assert!(settings.contains("Danger zone") && settings.contains("Delete organization"));
    let page = acme
        .ada
        .get_text(&format!("/orgs/{}/delete", acme.slug))
        .await;
    for said in [
        "lose access",
        "API keys stop working at once",
        "get 401",
        "pending invitations are cancelled",
        "kept for 30 days",
        "Export activity (CSV)",
        &format!("href=\"/orgs/{}/activity/export.csv\"", acme.slug),
        "Type the organization",
    ] {
        assert!(page.contains(said), "the delete page does not say {said:?}");
    }
    let export = acme
        .ada
        .get(&format!("/orgs/{}/activity/export.csv", acme.slug))
        .await;
    assert_eq!(export.status(), StatusCode::OK);
    // Not offered to those who may not use it.
    let settings = acme
        .dev
        .get_text(&format!("/orgs/{}/settings", acme.slug))
        .await;
    assert!(!settings.contains("Delete organization"));
}

#[actix_web::test]
async fn a_wrong_name_is_refused_with_a_message_and_changes_nothing() {
    let acme = acme().await;
    let before = rows_of(&acme.app, acme.org_id);
    let outbox = acme.app.count("outbox");
    for typed in ["acme", "Acme Inc", ""] {
        let response = acme
            .ada
            .post_form(&format!("/orgs/{}/delete", acme.slug), &[("name", typed)])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed:?}"
        );
        let page = response.text().await.unwrap();
        assert!(
            page.contains("That is not the name of this organization. Type Acme exactly"),
            "{typed:?}"
        );
    }
    assert_eq!(rows_of(&acme.app, acme.org_id), before);
    assert_eq!(acme.app.count("outbox"), outbox);
}

#[actix_web::test]
async fn only_administrators_may_delete() {
    let acme = acme().await;
    let viewer = acme
        .app
        .member_with_role(&acme.slug, "Vi Ewer", Role::Viewer)
        .await;
    let billing = acme
        .app
        .member_with_role(&acme.slug, "Bill Ing", Role::BillingManager)
        .await;
    let before = rows_of(&acme.app, acme.org_id);
    let path = format!("/orgs/{}/delete", acme.slug);
    for client in [&acme.dev, &viewer, &billing] {
        assert_eq!(client.get(&path).await.status(), StatusCode::FORBIDDEN);
        let response = client.post_form(&path, &[("name", "Acme")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(acme.pat.get(&path).await.status(), StatusCode::NOT_FOUND);
    let response = acme.pat.post_form(&path, &[("name", "Acme")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(rows_of(&acme.app, acme.org_id), before);
    assert_eq!(acme.deleted_at(), None);
}

#[actix_web::test]
async fn a_deleted_organization_answers_nothing_its_keys_and_links_are_dead_and_everyone_is_told() {
    let acme = acme().await;
    let response = acme.delete().await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    assert!(acme.deleted_at().is_some());
    assert_eq!(
        acme.app.count_where(
            "activity",
            &format!(
                "org_id = '{}' AND action = 'organization.deleted'",
                acme.org_id
            )
        ),
        1
    );

    // The kept counts agree with the rows; an operation that takes the organization
    // lock (as one queued behind the deletion would) finds no organization.
    let org_row = rows_of(&acme.app, acme.org_id)["organizations"].clone();
    crate::helpers::recount(&mut acme.app.conn(), acme.org_id);
    assert_eq!(rows_of(&acme.app, acme.org_id)["organizations"], org_row);
    let ada = teamwork::domain::activity::Actor {
        user_id: acme.app.user_id(ADA),
        name: "Ada Admin".into(),
        ip: None,
        user_agent: None,
    };
    let name = teamwork::domain::OrgName::parse("Acme Two").unwrap();
    let renamed = teamwork::ops::orgs::rename(&mut acme.app.conn(), acme.org_id, &ada, &name);
    assert!(matches!(renamed, Err(teamwork::ops::OpError::NotFound)));

    // Every page and form of the organization: 404 for everyone, nothing changes.
    let before = rows_of(&acme.app, acme.org_id);
    let mut checked = 0;
    for (method, pattern) in teamwork::routes::ROUTES {
        if !pattern.starts_with("/orgs/{org}") || pattern.ends_with("/restore") {
            continue;
        }
        let path = acme.path(pattern);
        for client in [&acme.ada, &acme.dev, &acme.pat] {
            let response = match *method {
                "get" => client.get(&path).await,
                _ => {
                    let fields = crate::authorization::form_for(&path);
                    client.post_form(&path, &fields).await
                }
            };
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{method} {pattern} of a deleted organization"
            );
            checked += 1;
        }
    }
    assert_eq!(rows_of(&acme.app, acme.org_id), before);
    println!("deleted organization: {checked} page and form requests, all 404");

    // Its keys authenticate nothing; nothing is recorded.
    let usage_rows = acme.app.count("usage_events");
    let response = report(&acme.app, &acme.key, usage()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_key");
    let whoami = reqwest::Client::new()
        .get(format!("{}/api/v1/whoami", acme.app.address))
        .bearer_auth(&acme.key)
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(acme.app.count("usage_events"), usage_rows);

    // The pending invitation died: its link is refused, also to the invited address.
    assert_eq!(
        acme.app
            .count_where("invitations", "status = 'pending' OR cancelled_at IS NULL"),
        0
    );
    assert_eq!(
        acme.app.client().get(&acme.join).await.status(),
        StatusCode::GONE
    );
    let invitee = acme.app.signed_up("Invitee").await;
    let response = invitee
        .post_form(&format!("{}/accept", acme.join), &[])
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(
        acme.app.count_where(
            "memberships",
            &format!("user_id = '{}'", acme.app.user_id(INVITEE))
        ),
        0
    );

    // Gone from the switcher and the home page; the slug stays taken.
    let home = acme.dev.get("/").await;
    assert_eq!(location(&home), "/orgs/new");
    let page = acme.dev.get_text("/orgs/new").await;
    assert!(!page.contains("/orgs/acme\""), "the switcher lists it");
    let other = acme.app.signed_up("Other Founder").await;
    assert_eq!(other.create_org("Acme").await, "acme-2");

    // Everyone with access is told; only the deleter's email can restore.
    let mail = acme.app.mail_with_subject(ADA, "Acme was deleted").await;
    assert!(mail.text.contains("You deleted Acme"));
    assert_eq!(
        mail.link(&format!("{}/orgs/", acme.app.address)).as_deref(),
        Some(format!("{}/orgs/acme/restore", acme.app.address).as_str())
    );
    for to in [DEV, PAT] {
        let mail = acme.app.mail_with_subject(to, "Acme was deleted").await;
        assert!(mail.text.contains("Ada Admin deleted Acme"), "{to}");
        assert!(!mail.text.contains("/restore"), "{to}");
    }
}

#[actix_web::test]
async fn the_deleter_restores_the_organization_exactly_as_it_was() {
    let acme = acme().await;
    // Rows in the tables the fixture leaves empty: a dismissed notice, a verification
    // and a signed checkpoint of the activity chain, a revoked key.
    acme.ada
        .post_form(&format!("/orgs/{}/members/notice/dismiss", acme.slug), &[])
        .await;
    let page = acme
        .ada
        .post_form(
            &format!("/orgs/{}/projects/{}/keys", acme.slug, acme.project),
            &[("name", "old")],
        )
        .await
        .text()
        .await
        .unwrap();
    let old_key = shown_key(&page);
    let key_id: Uuid = teamwork::schema::api_keys::table
        .filter(teamwork::schema::api_keys::name.eq("old"))
        .select(teamwork::schema::api_keys::id)
        .first(&mut acme.app.conn())
        .unwrap();
    acme.ada
        .post_form(
            &format!(
                "/orgs/{}/projects/{}/keys/{key_id}/revoke",
                acme.slug, acme.project
            ),
            &[],
        )
        .await;
    assert_eq!(
        report(&acme.app, &old_key, usage()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let now = chrono::Utc::now();
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let mut conn = acme.app.conn();
    teamwork::ops::audit::verify_incrementally(&mut conn, now, &acme.app.address).unwrap();
    teamwork::ops::audit::checkpoint(&mut conn, &signing, now).unwrap();
    let before = rows_of(&acme.app, acme.org_id);
    for table in [
        "notice_dismissals",
        "activity_verifications",
        "activity_checkpoints",
    ] {
        assert!(
            !rows(&before, table).is_empty(),
            "{table} has rows to compare"
        );
    }
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);

    // The home page lists it with "Restore"; the mailed link leads to the same page.
    let home = acme.ada.get_text("/").await;
    assert!(home.contains("Deleted organizations") && home.contains("Acme"));
    assert!(home.contains("href=\"/orgs/acme/restore\""));
    let mail = acme.app.mail_with_subject(ADA, "Acme was deleted").await;
    let link = mail
        .link(&format!("{}/orgs/", acme.app.address))
        .unwrap()
        .strip_prefix(&acme.app.address)
        .unwrap()
        .to_owned();
    let page = acme.ada.get_text(&link).await;
    assert!(page.contains("Restore organization") && page.contains(">Restore</button>"));
    // A GET restores nothing.
    assert!(acme.deleted_at().is_some());

    let response = acme.ada.post_form(&link, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/orgs/acme");
    assert_eq!(acme.deleted_at(), None);
    let after = rows_of(&acme.app, acme.org_id);

    // Every row as it was, but for the two entries of the deletion and the restore,
    // the chain's head that moved past them, and the invitation that the
    // deletion cancelled (a restore does not revive join links).
    let mut compared = 0;
    for (table, rows_before) in &before {
        let mut rows_before = rows_before.as_array().unwrap().clone();
        let mut rows_after = rows(&after, table);
        match table.as_str() {
            "activity" => {
                let (new, old): (Vec<Value>, Vec<Value>) = rows_after.into_iter().partition(|r| {
                    r["action"] == "organization.deleted" || r["action"] == "organization.restored"
                });
                assert_eq!(new.len(), 2);
                rows_after = old;
            }
            "activity_chains" => {
                let seq = |rows: &[Value]| rows[0]["seq"].as_i64().unwrap();
                assert_eq!(seq(&rows_after), seq(&rows_before) + 2);
                continue;
            }
            "invitations" => {
                for row in rows_before.iter_mut() {
                    assert_eq!(row["status"], "pending");
                    row["status"] = json!("cancelled");
                }
                for row in rows_after.iter_mut() {
                    assert!(row["cancelled_at"].is_string());
                    row["cancelled_at"] = Value::Null;
                }
            }
            "organizations" => {
                assert_eq!(rows_before[0]["pending_invitations"], 1);
                rows_before[0]["pending_invitations"] = json!(0);
            }
            _ => {}
        }
        assert_eq!(rows_after, rows_before, "rows of {table} after the restore");
        compared += rows_before.len();
    }
    for table in [
        "memberships",
        "api_keys",
        "billing_accounts",
        "credit_ledger",
    ] {
        assert!(
            !rows(&before, table).is_empty(),
            "{table} has rows to compare"
        );
    }
    println!(
        "restore: {compared} rows of {} tables compared, all equal",
        before.len()
    );

    // Back in use: pages, keys, the switcher.
    assert_eq!(
        acme.dev.get("/orgs/acme/members").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        report(&acme.app, &acme.key, usage()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(location(&acme.dev.get("/").await), "/orgs/acme");
    // The cancelled invitation stays cancelled.
    assert_eq!(
        acme.app.client().get(&acme.join).await.status(),
        StatusCode::GONE
    );
    let mail = acme.app.mail_with_subject(DEV, "Acme was restored").await;
    assert!(mail.text.contains("Ada Admin restored Acme"));
}

#[actix_web::test]
async fn only_the_deleter_may_restore_and_only_within_the_window() {
    let acme = acme().await;
    let bob = acme
        .app
        .member_with_role(&acme.slug, "Bob Admin", Role::Administrator)
        .await;
    let nobody = acme.app.signed_up("Nobody").await;
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);
    let path = "/orgs/acme/restore";
    let before = rows_of(&acme.app, acme.org_id);

    for client in [&bob, &acme.dev, &acme.pat, &nobody] {
        assert_eq!(client.get(path).await.status(), StatusCode::NOT_FOUND);
        let response = client.post_form(path, &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    // Bob's home page does not offer it.
    assert!(
        !bob.get_text("/orgs/new")
            .await
            .contains("Deleted organizations")
    );
    let anonymous = acme.app.client();
    assert!(location(&anonymous.get(path).await).starts_with("/login"));
    assert_eq!(rows_of(&acme.app, acme.org_id), before);
    assert!(acme.deleted_at().is_some());

    // Past the window: refused with the reason, and no longer listed.
    acme.app.clock.advance(chrono::Duration::days(30));
    let response = acme.ada.post_form(path, &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = response.text().await.unwrap();
    assert!(page.contains("Acme can no longer be restored: the 30 days to restore it ended on"));
    assert_eq!(acme.ada.get(path).await.status(), StatusCode::CONFLICT);
    assert_eq!(location(&acme.ada.get("/").await), "/orgs/new");
    assert_eq!(rows_of(&acme.app, acme.org_id), before);
    assert!(acme.deleted_at().is_some());
}

/// Moves the organization's deletion `days` into the past, as time would.
fn deleted_days_ago(app: &TestApp, org_id: Uuid, days: i32) {
    diesel::sql_query(
        "UPDATE organizations SET deleted_at = now() - make_interval(days => $2) WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Integer, _>(days)
    .execute(&mut app.conn())
    .unwrap();
}

fn count_rows(app: &TestApp, org_id: Uuid) -> BTreeMap<String, usize> {
    rows_of(app, org_id)
        .into_iter()
        .map(|(table, rows)| (table, rows.as_array().unwrap().len()))
        .collect()
}

fn purge(app: &TestApp) -> usize {
    teamwork::ops::maintenance::purge_deleted_orgs(&mut app.conn()).unwrap()
}

#[actix_web::test]
async fn the_purge_drops_a_deleted_organization_after_the_window_and_nothing_else() {
    let acme = acme().await;
    let app = &acme.app;
    let other_slug = acme.ada.create_org("Other").await;
    let other = app.org_id(&other_slug);
    acme.ada
        .post_form(&format!("/orgs/{other_slug}/projects"), &[("name", "Kept")])
        .await;
    let other_before = rows_of(app, other);
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);
    app.mail_settled().await;

    // Within the window nothing goes.
    let kept = count_rows(app, acme.org_id);
    deleted_days_ago(app, acme.org_id, 29);
    assert_eq!(purge(app), 0);
    assert_eq!(count_rows(app, acme.org_id), kept);

    deleted_days_ago(app, acme.org_id, 31);
    assert_eq!(purge(app), 1);
    let left = count_rows(app, acme.org_id);
    assert!(left.values().all(|n| *n == 0), "rows left: {left:?}");
    assert!(kept["activity"] > 0 && kept["credit_ledger"] > 0 && kept["usage_events"] > 0);
    assert_eq!(rows_of(app, other), other_before, "the other organization");
    // The emails stay, no longer linked to it; the slug is free again.
    assert!(app.count_where("outbox", "subject = 'Acme was deleted'") >= 3);
    assert_eq!(acme.dev.create_org("Acme").await, "acme");
    assert_eq!(purge(app), 0);
    println!("purge: {kept:?} rows dropped, the other organization untouched");
}

/// Runs `statements` as the app's database role, in a transaction rolled back after.
fn try_sql(app: &TestApp, statements: &[String]) -> Result<(), String> {
    let result = app
        .conn()
        .transaction::<(), diesel::result::Error, _>(|conn| {
            for sql in statements {
                diesel::sql_query(sql).execute(conn)?;
            }
            Err(diesel::result::Error::RollbackTransaction)
        });
    match result {
        Err(diesel::result::Error::RollbackTransaction) | Ok(()) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[actix_web::test]
async fn the_activity_log_and_ledger_stay_append_only_outside_the_purge() {
    let acme = acme().await;
    let app = &acme.app;
    let org = acme.org_id;
    let refused = |statements: &[String]| {
        let result = try_sql(app, statements);
        assert!(
            result.as_ref().is_err_and(|e| e.contains("append-only")),
            "{statements:?} was not refused: {result:?}"
        );
    };
    let activity = app.count("activity");
    refused(&["DELETE FROM activity".into()]);
    refused(&["DELETE FROM credit_ledger".into()]);
    refused(&["TRUNCATE activity".into()]);

    // Deleted and past the window, still not by a plain DELETE, nor by setting the
    // purge's marker for a live organization.
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);
    deleted_days_ago(app, org, 31);
    refused(&[format!("DELETE FROM activity WHERE org_id = '{org}'")]);
    let other = app.org_id(&acme.dev.create_org("Other").await);
    refused(&[
        format!("SELECT set_config('teamwork.purging', '{other}', true)"),
        format!("DELETE FROM activity WHERE org_id = '{other}'"),
    ]);
    // The purge function refuses a live organization and deletes nothing.
    #[derive(QueryableByName)]
    struct Purged {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        purged: bool,
    }
    let purged = diesel::sql_query("SELECT purge_organization($1) AS purged")
        .bind::<diesel::sql_types::Uuid, _>(other)
        .get_result::<Purged>(&mut app.conn())
        .unwrap();
    assert!(!purged.purged);
    assert!(app.count("activity") > activity);
}

/// The browser journey: an administrator deletes the organization from Settings (a
/// wrong name first), finds it on the home page and restores it. Each page is checked
/// by the Nu Html Checker and axe, and photographed at desktop and phone width.
#[actix_web::test]
async fn an_administrator_deletes_an_organization_and_restores_it_in_the_browser() {
    use crate::browser::{Browser, Region};
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    let browser = Browser::start().await;
    browser.log_in(&app, ADA, "correct horse battery").await;
    let mut html = crate::html_check::HtmlCheck::default();
    let mut violations = Vec::new();
    let shoot = async |name: &str| {
        for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
            browser.resize(width, height).await;
            browser
                .screenshot_whole_page(&format!("delete-org/{name}-{size}.png"))
                .await;
        }
        browser.resize(1280, 900).await;
    };

    browser
        .goto(&format!("{}/orgs/{slug}/settings", app.address))
        .await;
    browser.click_button("Delete organization").await;
    browser
        .wait_for_text_in(Region::Heading, "Delete organization")
        .await;
    html.keep(&browser, "delete").await;
    violations.extend(crate::a11y::serious_violations(&browser, "delete").await);
    shoot("delete").await;

    let confirm = "Type the organization's name to confirm";
    browser.fill(confirm, "acme").await;
    browser.click_button("Delete organization").await;
    browser
        .wait_for_text("That is not the name of this organization")
        .await;
    html.keep(&browser, "delete-wrong-name").await;
    violations.extend(crate::a11y::serious_violations(&browser, "delete-wrong-name").await);
    assert_eq!(
        app.count_where("organizations", "deleted_at IS NOT NULL"),
        0
    );

    browser.fill(confirm, "Acme").await;
    browser.click_button("Delete organization").await;
    browser
        .wait_for_text_in(Region::Heading, "Organizations")
        .await;
    assert!(
        browser
            .has_text("Acme was deleted. You can restore it until")
            .await
    );
    assert!(browser.has_text("Deleted organizations").await);
    html.keep(&browser, "home-with-deleted").await;
    violations.extend(crate::a11y::serious_violations(&browser, "home-with-deleted").await);
    shoot("home").await;

    browser.click_link("Restore Acme").await;
    browser
        .wait_for_text_in(Region::Heading, "Restore organization")
        .await;
    html.keep(&browser, "restore").await;
    violations.extend(crate::a11y::serious_violations(&browser, "restore").await);
    shoot("restore").await;
    browser.click_button("Restore").await;
    browser.wait_for_text("Acme was restored.").await;
    assert_eq!(browser.current_path().await, "/orgs/acme");
    assert_eq!(
        app.count_where("organizations", "deleted_at IS NOT NULL"),
        0
    );
    browser.close().await;

    let errors = html.errors();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
