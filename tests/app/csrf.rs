//! Every unsafe request needs the session's CSRF token and must not come from another site (R26).

use reqwest::StatusCode;

use crate::helpers::{TestApp, TestClient, extract_csrf};

/// A rename attempt by the org's administrator, with the given token and headers.
async fn rename(
    admin: &TestClient,
    slug: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> StatusCode {
    let mut form = vec![("name", "Renamed")];
    if let Some(token) = token {
        form.push(("_csrf", token));
    }
    let mut request = admin
        .http
        .post(admin.url(&format!("/orgs/{slug}/settings")))
        .form(&form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status()
}

#[actix_web::test]
async fn unsafe_requests_without_the_right_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let other = app.signed_up("Other").await;
    let others_token = other.csrf().await;
    let token = admin.csrf().await;
    let activity_before = app.count("activity");

    assert_eq!(
        rename(&admin, &slug, None, &[]).await,
        StatusCode::FORBIDDEN,
        "no token"
    );
    assert_eq!(
        rename(&admin, &slug, Some("wrong"), &[]).await,
        StatusCode::FORBIDDEN,
        "wrong token"
    );
    assert_eq!(
        rename(&admin, &slug, Some(&others_token), &[]).await,
        StatusCode::FORBIDDEN,
        "another session's token"
    );
    assert_eq!(
        rename(
            &admin,
            &slug,
            Some(&token),
            &[("Sec-Fetch-Site", "cross-site")]
        )
        .await,
        StatusCode::FORBIDDEN,
        "cross-site fetch metadata"
    );
    assert_eq!(
        rename(
            &admin,
            &slug,
            Some(&token),
            &[("Origin", "https://evil.example")]
        )
        .await,
        StatusCode::FORBIDDEN,
        "foreign origin"
    );
    let in_query = admin
        .http
        .post(admin.url(&format!("/orgs/{slug}/settings?_csrf={token}")))
        .form(&[("name", "Renamed")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        in_query.status(),
        StatusCode::FORBIDDEN,
        "token in the query string"
    );

    assert_eq!(app.count("activity"), activity_before);
    assert!(
        admin
            .get_text(&format!("/orgs/{slug}/settings"))
            .await
            .contains("value=\"Acme\"")
    );

    // The same request with the token is accepted, as a form field or as htmx's header.
    assert_eq!(
        rename(&admin, &slug, Some(&token), &[("Origin", &app.address)]).await,
        StatusCode::SEE_OTHER
    );
    let by_header = admin
        .http
        .post(admin.url(&format!("/orgs/{slug}/settings")))
        .header("X-CSRF-Token", &token)
        .header("HX-Request", "true")
        .form(&[("name", "Renamed again")])
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), StatusCode::OK);
    assert!(by_header.headers().get("hx-redirect").is_some());
    assert_eq!(app.count("activity"), activity_before + 2);
}

#[actix_web::test]
async fn login_itself_needs_the_pre_session_token() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let client = app.client();
    let page = client.get_text("/login").await;
    assert!(
        extract_csrf(&page).is_some(),
        "the login form carries a token"
    );
    let response = client
        .http
        .post(client.url("/login"))
        .form(&[
            ("email", "ada@example.com"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// A page sent with `Referrer-Policy: no-referrer` (a join link) makes Chromium post its
/// own forms with `Origin: null`: accepted when the browser says the form is
/// same-origin, refused otherwise.
#[actix_web::test]
async fn a_null_origin_is_accepted_only_from_a_same_origin_form() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let token = admin.csrf().await;
    for (headers, why) in [
        (vec![("Origin", "null")], "no fetch metadata"),
        (
            vec![("Origin", "null"), ("Sec-Fetch-Site", "cross-site")],
            "cross-site",
        ),
        (
            vec![("Origin", "null"), ("Sec-Fetch-Site", "same-site")],
            "another origin of the site",
        ),
    ] {
        assert_eq!(
            rename(&admin, &slug, Some(&token), &headers).await,
            StatusCode::FORBIDDEN,
            "{why}"
        );
    }
    assert_eq!(
        rename(
            &admin,
            &slug,
            None,
            &[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")]
        )
        .await,
        StatusCode::FORBIDDEN,
        "still needs the token"
    );
    let same_origin = [("Origin", "null"), ("Sec-Fetch-Site", "same-origin")];
    assert_eq!(
        rename(&admin, &slug, Some(&token), &same_origin).await,
        StatusCode::SEE_OTHER
    );
}
