//! Security headers and cookie flags (R21, R28).

use crate::helpers::TestApp;

#[actix_web::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    for path in [
        "/login",
        "/signup",
        "/orgs/new",
        &format!("/orgs/{slug}/members"),
        "/no/such/page",
    ] {
        let response = admin.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{path}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over http"
        );
    }
}

#[actix_web::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::spawn().await;
    let response = app.client().get("/login").await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("teamwork="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain="), "{cookie}");
}

#[actix_web::test]
async fn static_assets_are_served_from_the_binary_and_cacheable() {
    let app = TestApp::spawn().await;
    let client = app.client();
    for (path, kind) in [
        ("/static/htmx.min.js", "javascript"),
        ("/static/app.js", "javascript"),
        ("/static/app.css", "css"),
        ("/static/favicon.svg", "image/svg+xml"),
        // Asked for by browsers whatever the page links; served without a session.
        ("/favicon.ico", "image/svg+xml"),
    ] {
        let response = client.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains(kind)
        );
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
    }
    assert!(
        client
            .get("/favicon.ico")
            .await
            .headers()
            .get("set-cookie")
            .is_none(),
        "the icon starts no session"
    );
    assert_eq!(client.get("/static/../Cargo.toml").await.status(), 404);
}
