//! Deleting an organization: the confirmation, who may, what a deleted organization
//! answers; restoring it (`restore`), the purge and the append-only log (`purge`), the
//! browser journey (`journey`).

mod journey;
mod purge;
mod restore;

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
        // The outbox drains on its own; the kept badge is a count any page view may refresh.
        .filter(|t| t != "outbox" && t != "access_health_badges")
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
        admin_key: None,
        scim: None,
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
