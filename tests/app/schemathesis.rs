//! Schemathesis (PyPI, pinned in `tests/run`) fuzzes every operation of the served
//! OpenAPI document with a real admin key on a seeded organization: examples, coverage
//! (edge and invalid values), fuzzing and stateful sequences. 0 server errors and 0
//! answers outside the document are the bar; its report is printed.

use std::path::PathBuf;
use std::process::Stdio;

use teamwork::domain::Role;

use crate::admin_api::{ALL_SCOPES, admin_key};
use crate::helpers::TestApp;

/// Where `tests/run` installs it; `SCHEMATHESIS` points elsewhere.
fn schemathesis() -> PathBuf {
    match std::env::var_os("SCHEMATHESIS") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/schemathesis/bin/st"),
    }
}

#[actix_web::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    // The app's own account of any server error, next to the fuzzer's report.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .with_test_writer()
        .try_init();
    let st = schemathesis();
    assert!(
        st.exists(),
        "{} is missing: run tests/run once, it installs schemathesis",
        st.display()
    );
    // The fuzzer sends thousands of requests: no rate limit in its way.
    let app = TestApp::spawn_with(|config| config.limits.admin_api_per_minute = 1_000_000).await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    for (name, role) in [
        ("Grace Dev", Role::Developer),
        ("Bill Money", Role::BillingManager),
        ("Vera View", Role::Viewer),
    ] {
        app.member_with_role(&slug, name, role).await;
    }
    for name in ["Apollo", "Gemini"] {
        admin
            .post_form(&format!("/orgs/{slug}/projects"), &[("name", name)])
            .await;
    }
    admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "pending@example.com"), ("role", "viewer")],
        )
        .await;
    let key = admin_key(&admin, &slug, "Fuzzer", &ALL_SCOPES).await;
    let address = app.address.clone();
    let output = tokio::process::Command::new(&st)
        .args([
            "--no-color",
            "run",
            &format!("{address}/api/v1/openapi.json"),
            "--url",
            &address,
            "--header",
            &format!("Authorization: Bearer {key}"),
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-time",
            "75",
            // One worker: with two, Python 3.11's `ast` module (which Hypothesis calls to
            // describe strategies) sometimes fails in both threads at once, a crash of
            // the tool that is no finding about the API.
            "--workers",
            "1",
            "--request-timeout",
            "10",
        ])
        // Its cache of past failures stays out of the checkout.
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run schemathesis");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Visible in the test command's output.
    println!("{report}");
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}"
    );
}
