//! The removal wizard: the keys a member created, "Rotate" per key and one "Overlap";
//! "Remove member" removes and rotates in one transaction, shows each new secret once
//! and offers "Download as .env"; the removed person gets an email.

use reqwest::StatusCode;
use serde_json::json;
use teamwork::domain::Role;
use uuid::Uuid;

use crate::browser::Browser;
use crate::helpers::{TestApp, TestClient};
use crate::projects::{create_key, create_project, report};

fn usage() -> serde_json::Value {
    json!({ "model": "gpt-large", "requests": 1, "input_tokens": 10, "output_tokens": 5 })
}

fn key_id(app: &TestApp, name: &str) -> Uuid {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use teamwork::schema::api_keys;
        api_keys::table
            .filter(api_keys::name.eq(name))
            .filter(api_keys::replaced_by.is_null())
            .select(api_keys::id)
            .first(conn)
            .unwrap()
    })
}

/// The secrets step 2 shows, in order.
fn shown_secrets(page: &str) -> Vec<String> {
    page.split("id=\"secret-")
        .skip(1)
        .map(|rest| {
            let start = rest.find('>').unwrap() + 1;
            let end = rest.find('<').unwrap();
            rest[start..end].trim().to_owned()
        })
        .collect()
}

/// Acme with a Website project and Grace, a Developer who created two keys: one she
/// used a moment ago and one never used. Returns (admin, slug, grace's id, used key,
/// unused key).
async fn grace_with_keys(app: &TestApp) -> (TestClient, String, Uuid, String, String) {
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let grace = app.member_with_role(&slug, "Grace", Role::Developer).await;
    let used = create_key(&grace, &website, "grace-prod").await;
    let unused = create_key(&grace, &website, "grace-ci").await;
    assert_eq!(
        report(app, &used, usage()).await.status(),
        StatusCode::CREATED
    );
    (admin, slug, app.user_id("grace@example.com"), used, unused)
}

#[actix_web::test]
async fn step_one_lists_the_keys_with_rotate_preselected_for_recent_use() {
    let app = TestApp::spawn().await;
    let (admin, slug, grace, _, _) = grace_with_keys(&app).await;
    let page = admin
        .get_text(&format!("/orgs/{slug}/members/{grace}/remove"))
        .await;
    let prod = key_id(&app, "grace-prod");
    let ci = key_id(&app, "grace-ci");
    assert!(page.contains("grace-prod") && page.contains("grace-ci") && page.contains("Website"));
    assert!(page.contains("<legend>Overlap</legend>") && page.contains("7 days"));
    assert!(page.contains(&format!(
        "value=\"{prod}\" id=\"rotate-{prod}\" aria-label=\"Rotate grace-prod\" checked"
    )));
    assert!(page.contains(&format!(
        "value=\"{ci}\" id=\"rotate-{ci}\" aria-label=\"Rotate grace-ci\">"
    )));
    assert!(page.contains(">Remove member</button>"));
}

#[actix_web::test]
async fn removing_rotates_the_chosen_keys_shows_them_once_and_mails_the_member() {
    let app = TestApp::spawn().await;
    let (admin, slug, grace, used, unused) = grace_with_keys(&app).await;
    let prod = key_id(&app, "grace-prod").to_string();
    let response = admin
        .post_form(
            &format!("/orgs/{slug}/members/{grace}/remove"),
            &[("rotate", &prod), ("overlap", "168")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let secrets = shown_secrets(&page);
    assert_eq!(secrets.len(), 1, "one rotated key");
    let new = &secrets[0];
    assert!(new.starts_with("tw_") && new != &used);
    assert!(page.contains("Download as .env") && page.contains("keeps working for 7 days"));
    assert_eq!(app.role_of(&slug, "grace@example.com"), None);

    // The old secret keeps working through the overlap, beside the new one; the key
    // not rotated stays active, flagged.
    for key in [&used, new, &unused] {
        assert_eq!(
            report(&app, key, usage()).await.status(),
            StatusCode::CREATED
        );
    }
    let keys = admin.get_text(&format!("/orgs/{slug}/api-keys")).await;
    assert!(keys.contains("grace-ci") && keys.contains("creator removed"));
    assert_eq!(app.count_where("activity", "action = 'member.removed'"), 1);
    assert_eq!(app.count_where("activity", "action = 'api_key.rotated'"), 1);

    let mail = app
        .mail_with_subject(
            "grace@example.com",
            "You were removed from Acme by Ada Admin",
        )
        .await;
    assert!(mail.text.contains("Ada Admin removed you from Acme"));
    assert!(mail.html.contains("removed you from <strong>Acme</strong>"));

    // "Download as .env" posts the shown secrets back and gets them as a file.
    let download = admin
        .post_form(&format!("/orgs/{slug}/api-keys/env"), &[("secrets", new)])
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(
        download.text().await.unwrap(),
        format!("WEBSITE_GRACE_PROD={new}\n")
    );
}

#[actix_web::test]
async fn the_download_writes_only_this_organizations_live_keys() {
    let app = TestApp::spawn().await;
    let (admin, slug, _, _, _) = grace_with_keys(&app).await;
    let made_up = format!("tw_live_{}", "A".repeat(43));
    let refused = admin
        .post_form(
            &format!("/orgs/{slug}/api-keys/env"),
            &[("secrets", &format!("{made_up} EVIL=1"))],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.text().await.unwrap().contains("EVIL=1"));
}

#[actix_web::test]
async fn without_an_overlap_the_old_secret_stops_at_once() {
    let app = TestApp::spawn().await;
    let (admin, slug, grace, used, _) = grace_with_keys(&app).await;
    let prod = key_id(&app, "grace-prod").to_string();
    let page = admin
        .post_form(
            &format!("/orgs/{slug}/members/{grace}/remove"),
            &[("rotate", &prod), ("overlap", "0")],
        )
        .await
        .text()
        .await
        .unwrap();
    let new = &shown_secrets(&page)[0];
    assert_eq!(
        report(&app, &used, usage()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        report(&app, new, usage()).await.status(),
        StatusCode::CREATED
    );
}

#[actix_web::test]
async fn a_bad_plan_removes_nobody_and_rotates_nothing() {
    let app = TestApp::spawn().await;
    let (admin, slug, grace, _, _) = grace_with_keys(&app).await;
    // A key Ada created, not Grace: the plan may only name Grace's keys.
    let website = format!(
        "/orgs/{slug}/projects/{}",
        app.with_conn(|conn| {
            use diesel::prelude::*;
            teamwork::schema::projects::table
                .select(teamwork::schema::projects::id)
                .first::<Uuid>(conn)
                .unwrap()
        })
    );
    create_key(&admin, &website, "ada-own").await;
    let prod = key_id(&app, "grace-prod").to_string();
    let foreign = key_id(&app, "ada-own").to_string();
    let (keys, entries, outbox) = (
        app.count("api_keys"),
        app.count("activity"),
        app.count("outbox"),
    );
    let path = format!("/orgs/{slug}/members/{grace}/remove");
    for fields in [
        vec![("rotate", prod.as_str()), ("rotate", foreign.as_str())],
        vec![("rotate", prod.as_str()), ("overlap", "5")],
        vec![("rotate", "not-a-key")],
        vec![("role", "viewer")],
    ] {
        let response = admin.post_form(&path, &fields).await;
        assert!(
            matches!(
                response.status(),
                StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{fields:?}: {}",
            response.status()
        );
    }
    assert_eq!(
        app.role_of(&slug, "grace@example.com"),
        Some(Role::Developer)
    );
    assert_eq!(app.count("api_keys"), keys);
    assert_eq!(app.count("activity"), entries);
    assert_eq!(app.count("outbox"), outbox);
}

#[actix_web::test]
async fn an_administrator_removes_a_member_and_rotates_her_key_in_the_browser() {
    let app = TestApp::spawn().await;
    let (_, slug, _, _, _) = grace_with_keys(&app).await;
    let browser = Browser::start().await;
    browser
        .log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    browser
        .goto(&format!("{}/orgs/{slug}/members", app.address))
        .await;
    browser.click_named("Remove Grace").await;
    browser.wait_for_text("Keys Grace created").await;
    browser.screenshot("removal-wizard-step-1").await;
    browser.click_button("Remove member").await;
    browser.wait_for_text("Copy the new keys").await;
    let page = browser.page_text().await;
    assert!(page.contains("grace-prod") && page.contains("Download as .env"));
    assert!(
        !page.contains("grace-ci"),
        "only the preselected key was rotated"
    );
    browser.screenshot("removal-wizard-step-2").await;
    browser.resize(390, 844).await;
    browser.screenshot("removal-wizard-step-2-narrow").await;
    browser.click_link("Done").await;
    browser.wait_for_text("Members").await;
    assert!(
        !browser
            .row_text("grace@example.com")
            .await
            .contains("Developer")
    );
    browser.close().await;
}
