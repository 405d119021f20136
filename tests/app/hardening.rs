//! CSRF on every form (T4), headers on every page (T10), and hostile input through every
//! form and the JSON API (T8, T9): never a 5xx, never a side effect, always escaped.

use reqwest::StatusCode;

use crate::authorization::{World, form_for, routes};
use crate::helpers::TestApp;

/// What a forged request lacks or adds: a description, the token it sends, a header.
type Forgery<'a> = (&'a str, Option<&'a str>, Option<(&'a str, &'a str)>);

#[actix_web::test]
async fn every_form_refuses_requests_without_the_sessions_token_and_changes_nothing() {
    let world = World::build().await;
    let admin = world.admin();
    let own = admin.csrf().await;
    let others = world.app.signed_up("Other").await.csrf().await;
    let before = world.snapshot();
    let mut cells = 0;
    for pattern in routes("post") {
        let path = world.path(pattern);
        let mut fields = form_for(&path);
        let attempts: [Forgery; 5] = [
            ("no token", None, None),
            ("wrong token", Some("not-the-token"), None),
            ("another session's token", Some(&others), None),
            (
                "cross-site request",
                Some(&own),
                Some(("Sec-Fetch-Site", "cross-site")),
            ),
            (
                "foreign origin",
                Some(&own),
                Some(("Origin", "https://evil.example")),
            ),
        ];
        for (what, token, headers) in attempts {
            let mut form = fields.clone();
            if let Some(token) = token {
                form.push(("_csrf", token));
            }
            let mut request = admin.http.post(admin.url(&path)).form(&form);
            if let Some((name, value)) = headers {
                request = request.header(name, value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "POST {pattern}: {what}"
            );
            let csp = response.headers().get("content-security-policy");
            assert!(
                csp.is_some(),
                "POST {pattern}: the refusal page lacks the security headers"
            );
            cells += 1;
        }
        let in_query = admin
            .http
            .post(admin.url(&format!("{path}?_csrf={own}")))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(
            in_query.status(),
            StatusCode::FORBIDDEN,
            "POST {pattern}: token in the query string"
        );
        cells += 1;
        fields.clear();
    }
    assert_eq!(world.snapshot(), before, "a refused request changed rows");
    println!(
        "CSRF: {cells} forged requests on {} forms, all 403, 0 rows changed",
        routes("post").len()
    );
}

#[actix_web::test]
async fn every_page_and_fragment_carries_the_security_headers() {
    let world = World::build().await;
    let admin = world.admin();
    let mut checked = 0;
    for pattern in routes("get") {
        let path = world.path(pattern);
        for htmx in [false, true] {
            let mut request = admin.http.get(admin.url(&path));
            if htmx {
                request = request.header("HX-Request", "true");
            }
            let response = request.send().await.unwrap();
            let headers = response.headers();
            let csp = headers["content-security-policy"].to_str().unwrap();
            for directive in [
                "default-src 'self'",
                "script-src 'self'",
                "object-src 'none'",
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "form-action 'self'",
            ] {
                assert!(
                    csp.contains(directive),
                    "GET {pattern}: CSP lacks {directive}"
                );
            }
            assert_eq!(
                headers["x-content-type-options"], "nosniff",
                "GET {pattern}"
            );
            let referrer = headers["referrer-policy"].to_str().unwrap();
            let token_page = pattern.contains("{token}");
            assert_eq!(
                referrer,
                if token_page {
                    "no-referrer"
                } else {
                    "same-origin"
                },
                "GET {pattern}"
            );
            assert_eq!(headers["cache-control"], "no-store", "GET {pattern}");
            let html = headers
                .get("content-type")
                .is_some_and(|t| t.to_str().unwrap_or("").starts_with("text/html"));
            if response.status() == StatusCode::OK && html {
                assert_eq!(headers["vary"], "HX-Request", "GET {pattern}");
            }
            checked += 1;
        }
    }
    println!("headers: {checked} page and fragment responses checked, 0 missing");
}

#[actix_web::test]
async fn over_https_cookies_are_secure_host_prefixed_and_hsts_is_sent() {
    let app = TestApp::spawn_with(|c| c.base_url = "https://console.example.com".into()).await;
    let response = app.client().get("/login").await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-teamwork="), "{cookie}");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(!cookie.contains("Domain="));
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

/// What attackers and clumsy fingers type.
const PAYLOADS: &[&str] = &[
    "",
    "   ",
    "\t\n",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "{{7*7}}",
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "name\r\nBcc: victim@example.com",
    "a\u{0000}b",
    "\u{202e}evil\u{202d}",
    "😀🚀 ünïcödé",
    "=HYPERLINK(\"http://evil.example\")",
    "-1",
    "99999999999999999999999999",
    "1e308",
    "../../etc/passwd",
    "%00%ff",
];

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(1)>";

#[actix_web::test]
async fn hostile_input_in_every_form_never_breaks_the_app_and_is_rendered_escaped() {
    let world = World::build().await;
    let admin = world.admin();
    let mut inputs = 0;
    for pattern in routes("post") {
        // Leaving or archiving ends the test's own access; they take no text anyway.
        if pattern.ends_with("/leave") || pattern.ends_with("/archive") || pattern == "/logout" {
            continue;
        }
        let path = world.path(pattern);
        let fields = form_for(&path);
        for (index, _) in fields.iter().enumerate() {
            for payload in PAYLOADS {
                let mut form = fields.clone();
                form[index].1 = payload;
                let response = admin.post_form(&path, &form).await;
                let status = response.status();
                assert!(
                    !status.is_server_error(),
                    "POST {pattern} {}={payload:?}: {status}",
                    form[index].0
                );
                let body = response.text().await.unwrap();
                assert!(
                    !body.contains(SCRIPT) && !body.contains(IMG),
                    "POST {pattern}: a payload came back unescaped"
                );
                inputs += 1;
            }
        }
        if fields.is_empty() {
            continue;
        }
        // Unknown fields and oversized bodies are refused, not ignored.
        let mut extra = fields.clone();
        extra.push(("org_id", "00000000-0000-0000-0000-000000000000"));
        let status = admin.post_form(&path, &extra).await.status();
        assert!(
            status.is_client_error(),
            "POST {pattern} with an extra field: {status}"
        );
        let huge = "x".repeat(200 * 1024);
        let status = admin
            .post_form(&path, &[("name", huge.as_str())])
            .await
            .status();
        assert!(
            status.is_client_error(),
            "POST {pattern} with 200 KB: {status}"
        );
        inputs += 2;
    }
    // Whatever was stored along the way renders escaped on every page.
    let mut shown_escaped = 0;
    for pattern in routes("get") {
        let response = admin.get(&world.path(pattern)).await;
        let header = |name: &str| {
            let value = response.headers().get(name);
            value.map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        if header("content-disposition").is_some_and(|v| v.starts_with("attachment")) {
            // Exports carry the data as typed: downloads, never rendered as a page.
            assert!(!header("content-type").unwrap_or_default().contains("html"));
            continue;
        }
        let page = response.text().await.unwrap();
        assert!(
            !page.contains(SCRIPT) && !page.contains(IMG),
            "GET {pattern} shows a payload unescaped"
        );
        shown_escaped += usize::from(
            page.contains("&#60;script&#62;alert(1)")
                || page.contains("&#60;img src=x onerror=alert(1)&#62;"),
        );
    }
    assert!(
        shown_escaped > 0,
        "the stored payloads were expected on some page, escaped"
    );
    println!("bad input: {inputs} hostile form inputs, 0 server errors, 0 unescaped payloads");
    assert!(inputs >= 300, "only {inputs} inputs");
}

#[actix_web::test]
async fn hostile_json_never_breaks_the_usage_api() {
    let world = World::build().await;
    let url = format!("{}/api/v1/usage", world.app.address);
    let http = reqwest::Client::new();
    let key = world.key_secret().to_owned();
    let mut inputs = 0;
    let bodies: Vec<Vec<u8>> = PAYLOADS
        .iter()
        .flat_map(|p| {
            [
                serde_json::json!({ "model": p, "input_tokens": 1, "output_tokens": 1 })
                    .to_string()
                    .into_bytes(),
                format!(r#"{{"model":"m","input_tokens":{p},"output_tokens":1}}"#).into_bytes(),
                p.as_bytes().to_vec(),
            ]
        })
        .chain([
            vec![0xff, 0xfe, 0x00],
            b"{".to_vec(),
            b"[]".to_vec(),
            b"null".to_vec(),
            vec![b'{'; 20_000],
        ])
        .collect();
    for body in bodies {
        let response = http
            .post(&url)
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{:?}: {status}",
            String::from_utf8_lossy(&body)
        );
        if status.is_client_error() {
            let reason: serde_json::Value = response.json().await.expect("a JSON reason");
            assert!(reason["error"].is_string());
        }
        inputs += 1;
    }
    println!("bad input: {inputs} hostile API bodies, 0 server errors");
}
