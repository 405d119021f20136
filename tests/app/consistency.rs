//! Pages that do the same thing alike: confirmations open at clean addresses from
//! controls that keep their accessible names, both invite forms share one layout, the
//! new key's "Copy key" and "Done" sit side by side, the organization switcher marks
//! the current organization, and sign-up gives one password hint.

use fantoccini::key::Key;
use reqwest::StatusCode;
use scraper::{CaseSensitivity::CaseSensitive, ElementRef, Html, Selector};
use teamwork::domain::{ProjectRole, Role};

use crate::browser::{Browser, Region};
use crate::helpers::{TestApp, TestClient, location};

const PASSWORD: &str = "correct horse battery";
const ADA: &str = "ada.admin@example.com";

/// Lists, on the page shown, every GET form whose submission carries no field (its
/// address ends in a bare `?`) and every link whose address ends in `?`.
const TRAILING_QUESTION_MARKS: &str = r#"
    const bare = [];
    for (const form of document.querySelectorAll("form")) {
        if ((form.getAttribute("method") || "get").toLowerCase() !== "get") continue;
        if (new URLSearchParams(new FormData(form)).toString() === "") {
            bare.push("form " + form.action + " (" + form.textContent.replace(/\s+/g, " ").trim() + ")");
        }
    }
    for (const link of document.querySelectorAll("a[href]")) {
        if (link.href.endsWith("?")) bare.push("link " + link.href);
    }
    return bare;
"#;

async fn create_project(client: &TestClient, slug: &str, name: &str) -> String {
    let created = client
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", name)])
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    location(&created)
}

/// Clicks the control named `name` and checks that the confirmation titled `heading`
/// opens at `path` exactly: no query, no trailing `?`.
async fn opens_at(browser: &Browser, app: &TestApp, name: &str, heading: &str, path: &str) {
    browser.click_named(name).await;
    browser.wait_for_text_in(Region::Heading, heading).await;
    assert_eq!(
        browser.current_url().await,
        format!("{}{path}", app.address),
        "{name:?} opens {heading:?}"
    );
}

#[actix_web::test]
async fn confirmations_open_at_addresses_without_a_trailing_question_mark() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    let website = create_project(&ada, &slug, "Website").await;
    let key = ada
        .post_form(&format!("{website}/keys"), &[("name", "production")])
        .await;
    assert_eq!(key.status(), StatusCode::OK);
    let project_id = website.rsplit('/').next().unwrap().parse().unwrap();
    // Carla has access to Website only; she signs in with a browser below.
    app.project_only_member(
        &slug,
        project_id,
        "Carla Contractor",
        ProjectRole::Developer,
    )
    .await;

    let browser = Browser::start().await;
    browser.log_in(&app, ADA, PASSWORD).await;
    let org = format!("/orgs/{slug}");
    for (path, heading) in [
        (format!("{org}/members"), "Members"),
        (website.clone(), "Website"),
        (format!("{org}/api-keys"), "API keys"),
    ] {
        browser.goto(&format!("{}{path}", app.address)).await;
        browser.wait_for_text_in(Region::Heading, heading).await;
        let bare = browser.execute(TRAILING_QUESTION_MARKS, vec![]).await;
        assert_eq!(bare, serde_json::json!([]), "on {path}");
    }

    let grace = app.user_id("grace.hopper@example.com");
    let carla = app.user_id("carla.contractor@example.com");
    let key_id = app.with_conn(|conn| {
        use diesel::prelude::*;
        use teamwork::schema::api_keys;
        api_keys::table
            .select(api_keys::id)
            .first::<uuid::Uuid>(conn)
            .unwrap()
    });
    let members = format!("{}{org}/members", app.address);
    browser.goto(&members).await;
    opens_at(
        &browser,
        &app,
        "Remove Grace Hopper",
        "Remove member",
        &format!("{org}/members/{grace}/remove"),
    )
    .await;
    let project = format!("{}{website}", app.address);
    for (name, heading, path) in [
        (
            "Rotate production",
            "Rotate API key",
            format!("{website}/keys/{key_id}/rotate"),
        ),
        (
            "Revoke production",
            "Revoke API key",
            format!("{website}/keys/{key_id}/revoke"),
        ),
        (
            "Remove access of Carla Contractor",
            "Remove project access",
            format!("{website}/access/{carla}/remove"),
        ),
        (
            "Archive project",
            "Archive project",
            format!("{website}/archive"),
        ),
    ] {
        browser.goto(&project).await;
        browser.wait_for_text_in(Region::Heading, "Website").await;
        opens_at(&browser, &app, name, heading, &path).await;
    }

    // A keyboard user reaches a row's confirmation with Tab and opens it with Enter,
    // hearing the same name a mouse user's control carries.
    browser.goto(&members).await;
    browser.wait_for_text_in(Region::Heading, "Members").await;
    let mut reached = false;
    for _ in 0..60 {
        browser.press(Key::Tab).await;
        let focused = browser
            .execute(
                "const e = document.activeElement; \
                 return e.tagName + ' ' + (e.getAttribute('aria-label') || e.textContent.trim());",
                vec![],
            )
            .await;
        if focused == serde_json::json!("A Remove Grace Hopper") {
            reached = true;
            break;
        }
    }
    assert!(
        reached,
        "Tab reaches the link named \"Remove Grace Hopper\""
    );
    browser.press(Key::Enter).await;
    browser
        .wait_for_text_in(Region::Heading, "Remove member")
        .await;
    assert!(!browser.current_url().await.ends_with('?'));
    browser.close().await;

    // A project-only member leaves from the project page.
    let contractor = Browser::start().await;
    contractor
        .log_in(&app, "carla.contractor@example.com", PASSWORD)
        .await;
    contractor.goto(&project).await;
    contractor
        .wait_for_text_in(Region::Heading, "Website")
        .await;
    let bare = contractor.execute(TRAILING_QUESTION_MARKS, vec![]).await;
    assert_eq!(bare, serde_json::json!([]), "on the project page, as Carla");
    opens_at(
        &contractor,
        &app,
        "Leave organization",
        "Leave organization",
        &format!("{org}/leave"),
    )
    .await;
    contractor.close().await;
}

/// The outline of a form's fields and actions: each element's tag and classes, in
/// document order, leaving out what differs by design (the options of the role select
/// and their descriptions, and text).
fn outline(page: &str) -> Vec<String> {
    outline_except(page, None)
}

/// [`outline`] without the field that holds the control `#id`.
fn outline_except(page: &str, id: Option<&str>) -> Vec<String> {
    let html = Html::parse_document(page);
    let form = Selector::parse("main form[method=post]").unwrap();
    let form = html.select(&form).next().expect("a form");
    let skipped = id.map(|id| Selector::parse(&format!("#{id}")).unwrap());
    let mut outline = Vec::new();
    for part in form.children().filter_map(ElementRef::wrap) {
        if skipped
            .as_ref()
            .is_some_and(|s| part.select(s).next().is_some())
        {
            continue;
        }
        if part.value().has_class("field", CaseSensitive)
            || part.value().has_class("actions", CaseSensitive)
        {
            walk(part, &mut outline);
        }
    }
    outline
}

fn walk(element: ElementRef, outline: &mut Vec<String>) {
    let tag = element.value().name();
    let classes: Vec<&str> = element.value().classes().collect();
    let attributes: Vec<&str> = ["id", "name", "aria-describedby", "data-check-emails"]
        .into_iter()
        .filter(|a| element.value().attr(a).is_some())
        .collect();
    outline.push(format!("{tag}.{} {attributes:?}", classes.join(".")));
    if matches!(tag, "select" | "dl") {
        return;
    }
    for child in element.children().filter_map(ElementRef::wrap) {
        walk(child, outline);
    }
}

#[actix_web::test]
async fn both_invite_forms_share_one_layout() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&ada, &slug, "Website").await;
    let org_form = ada.get_text(&format!("/orgs/{slug}/invitations/new")).await;
    let project_form = ada.get_text(&format!("{website}/invitations/new")).await;
    // The project form has one more field, "Access until" (project-only access may end);
    // the rest is the organization's form.
    assert!(project_form.contains("Access until"));
    let (org_outline, project_outline) = (
        outline(&org_form),
        outline_except(&project_form, Some("field-access-until")),
    );
    assert!(org_outline.len() > 8, "{org_outline:?}");
    assert_eq!(org_outline, project_outline);
    // Cancel goes back where each form was opened from.
    assert!(org_form.contains(&format!("href=\"/orgs/{slug}/members\">Cancel<")));
    assert!(project_form.contains(&format!("href=\"{website}\">Cancel<")));
    for page in [&org_form, &project_form] {
        for words in ["Email address", "Role", "Send Invitation", "Cancel"] {
            assert!(page.contains(words), "{words}");
        }
    }
}

#[actix_web::test]
async fn the_new_key_page_puts_copy_key_and_done_side_by_side() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&ada, &slug, "Website").await;
    let browser = Browser::start().await;
    browser.log_in(&app, ADA, PASSWORD).await;
    for (width, height) in [(1280, 800), (390, 844)] {
        browser.resize(width, height).await;
        browser.goto(&format!("{}{website}", app.address)).await;
        browser.fill("Key name", &format!("key-{width}")).await;
        browser.click_button("Create key").await;
        browser
            .wait_for_text_in(Region::Heading, "Copy your API key")
            .await;
        let boxes = browser
            .execute(
                "const box = (e) => { const r = e.getBoundingClientRect(); \
                                      return [r.left, r.top, r.right, r.bottom]; }; \
                 const copy = [...document.querySelectorAll('main button')] \
                     .find((b) => b.textContent.trim() === 'Copy key'); \
                 const done = [...document.querySelectorAll('main a')] \
                     .find((a) => a.textContent.trim() === 'Done'); \
                 return [box(copy), box(done)];",
                vec![],
            )
            .await;
        let b: Vec<Vec<f64>> = serde_json::from_value(boxes).unwrap();
        let (copy, done) = (&b[0], &b[1]);
        assert!(
            (copy[1] - done[1]).abs() < 2.0 && copy[2] <= done[0],
            "at {width} px, \"Copy key\" {copy:?} and \"Done\" {done:?} share a line, in that order"
        );
    }
    browser.close().await;
}

#[actix_web::test]
async fn the_organization_switcher_marks_the_current_organization() {
    let app = TestApp::spawn().await;
    let (ada, acme) = app.admin_with_org("Acme").await;
    let globex = ada.create_org("Globex").await;
    for (here, other) in [(&acme, &globex), (&globex, &acme)] {
        let page = Html::parse_document(&ada.get_text(&format!("/orgs/{here}/members")).await);
        let current = Selector::parse("a[aria-current]").unwrap();
        let marked: Vec<&str> = page
            .select(&current)
            .filter_map(|a| a.value().attr("href"))
            .filter(|href| *href == format!("/orgs/{here}") || *href == format!("/orgs/{other}"))
            .collect();
        assert_eq!(marked, vec![format!("/orgs/{here}")], "on {here}");
    }
}

#[actix_web::test]
async fn sign_up_gives_one_password_hint() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let password_messages = |page: &str| -> usize {
        let html = Html::parse_document(page);
        let input = Selector::parse("#field-password").unwrap();
        let messages = Selector::parse(".hint, .field-error").unwrap();
        let input = html.select(&input).next().expect("the password field");
        let field = input
            .ancestors()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().has_class("field", CaseSensitive))
            .expect("the password field's box");
        field.select(&messages).count()
    };
    let page = client.get_text("/signup").await;
    assert_eq!(password_messages(&page), 1, "{page}");
    assert_eq!(page.matches("At least 8 characters").count(), 1);
    let refused = client.signup("Short", "short@example.com", "short").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert_eq!(password_messages(&page), 1, "{page}");
}
