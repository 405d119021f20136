//! Liveness and readiness (R37).

use std::net::TcpListener;
use std::time::{Duration, Instant};

use teamwork::db::Db;
use teamwork::mail::WorkerHandle;
use teamwork::startup::Application;

use crate::helpers::{TestApp, test_config};

#[actix_web::test]
async fn healthz_and_readyz_answer_when_the_database_is_up() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(client.get_text("/healthz").await, "ok");
    let ready = client.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert!(
        ready.headers().get("set-cookie").is_none(),
        "probes do not create sessions"
    );
}

#[actix_web::test]
async fn readyz_says_503_quickly_when_the_database_is_unreachable() {
    // A port nothing listens on: the app must still start, and answer within ~3 s.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!(
        "postgres://postgres@127.0.0.1:{}/nothing",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let db = Db::new(&dead_url, 2);
    let app = Application::build(
        test_config(port, &dead_url),
        listener,
        db,
        actix_web::cookie::Key::generate(),
        WorkerHandle::detached(),
    )
    .unwrap();
    actix_web::rt::spawn(app.run_until_stopped());

    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let started = Instant::now();
    let response = http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // A page that needs the session store fails closed too: the generic 503 page.
    let page = http
        .get(format!("http://127.0.0.1:{port}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 503);
    assert!(!page.text().await.unwrap().contains("127.0.0.1"));
}
