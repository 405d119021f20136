//! Usage reports at gateway scale: group commit under concurrency, the batch endpoint,
//! idempotent retries (also across two app instances), and bad input.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::projects::{create_key, create_project};

/// 1,000 gpt-large input tokens: 2,500 micro-credits.
const COST: i64 = 2_500;

fn small(id: Option<&str>) -> Value {
    let mut body = json!({ "model": "gpt-large", "input_tokens": 1000, "output_tokens": 0 });
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    body
}

/// Acme with one project and key; returns the org's slug and the key.
async fn acme(app: &TestApp) -> (String, String) {
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &project, "gateway").await;
    (slug, key)
}

#[derive(QueryableByName, Debug, PartialEq, Eq, Clone, Copy)]
struct Books {
    #[diesel(sql_type = BigInt)]
    balance: i64,
    #[diesel(sql_type = BigInt)]
    ledger_sum: i64,
    #[diesel(sql_type = BigInt)]
    charges: i64,
    #[diesel(sql_type = BigInt)]
    events: i64,
}

/// The balance, the ledger's sum, the reports its usage entries charge and the usage
/// events of the org.
fn books(app: &TestApp, slug: &str) -> Books {
    diesel::sql_query(
        "SELECT (SELECT balance_micro FROM billing_accounts WHERE org_id = $1) AS balance, \
                (SELECT sum(amount_micro)::int8 FROM credit_ledger WHERE org_id = $1) AS ledger_sum, \
                (SELECT count(*) FROM credit_ledger l, \
                   unnest(coalesce(l.usage_event_ids, ARRAY[l.usage_event_id])) AS charged \
                 WHERE l.org_id = $1 AND l.kind = 'usage') AS charges, \
                (SELECT count(*) FROM usage_events WHERE org_id = $1) AS events",
    )
    .bind::<SqlUuid, _>(app.org_id(slug))
    .get_result(&mut app.conn())
    .unwrap()
}

/// Leaves exactly `micro` on the org's balance, through a ledger adjustment.
fn set_balance(app: &TestApp, slug: &str, micro: i64) {
    diesel::sql_query(
        "WITH account AS (UPDATE billing_accounts SET balance_micro = $2 WHERE org_id = $1 \
                          RETURNING balance_micro) \
         INSERT INTO credit_ledger (org_id, kind, amount_micro, balance_after_micro, actor_name) \
         SELECT $1, 'adjustment', $2 - (SELECT sum(amount_micro) FROM credit_ledger WHERE org_id = $1), \
                balance_micro, 'Test' FROM account",
    )
    .bind::<SqlUuid, _>(app.org_id(slug))
    .bind::<BigInt, _>(micro)
    .execute(&mut app.conn())
    .unwrap();
}

async fn post(address: &str, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{address}/api/v1/{path}"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[actix_web::test]
async fn two_hundred_concurrent_reports_on_credits_for_150_charge_exactly_150() {
    let app = TestApp::spawn().await;
    let (slug, key) = acme(&app).await;
    set_balance(&app, &slug, 150 * COST);
    let answers = join_all((0..200).map(|n| {
        let (address, key) = (app.address.clone(), key.clone());
        async move {
            let id = format!("req-{n}");
            let (status, body) = post(&address, "usage", &key, &small(Some(&id))).await;
            (id, status, body)
        }
    }))
    .await;
    let accepted: Vec<_> = answers
        .iter()
        .filter(|(_, s, _)| *s == StatusCode::CREATED)
        .collect();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(_, s, _)| *s == StatusCode::PAYMENT_REQUIRED)
        .collect();
    assert_eq!((accepted.len(), refused.len()), (150, 50));
    assert!(
        refused
            .iter()
            .all(|(_, _, b)| b["error"] == "insufficient_credits")
    );
    let books = books(&app, &slug);
    assert_eq!(books.balance, 0);
    assert_eq!(books.ledger_sum, books.balance);
    assert_eq!((books.charges, books.events), (150, 150));
    // No report both refused and charged: the recorded ids are exactly the accepted ones.
    let mut recorded: Vec<String> =
        diesel::sql_query("SELECT request_id AS name FROM usage_request_ids ORDER BY 1")
            .load::<Named>(&mut app.conn())
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect();
    let mut ids: Vec<String> = accepted.iter().map(|(id, _, _)| id.clone()).collect();
    ids.sort();
    recorded.sort();
    assert_eq!(recorded, ids);
    let mut event_ids: Vec<i64> = accepted
        .iter()
        .map(|(_, _, b)| b["id"].as_i64().unwrap())
        .collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    assert_eq!(
        event_ids.len(),
        150,
        "each accepted report has its own event"
    );
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[actix_web::test]
async fn a_batch_answers_each_report_in_order() {
    let app = TestApp::spawn().await;
    let (slug, key) = acme(&app).await;
    let before = books(&app, &slug);
    let old = (chrono::Utc::now() - chrono::Duration::days(8)).to_rfc3339();
    let items = json!([
        small(Some("a")),
        { "model": "gpt-large", "input_tokens": -1, "output_tokens": 0 },
        { "model": "gpt-large", "input_tokens": 1, "output_tokens": 0, "price": 0 },
        { "model": "gpt-large", "input_tokens": 1, "output_tokens": 0, "timestamp": old },
        small(Some("a")),
        small(None),
        "not a report",
    ]);
    let (status, body) = post(&app.address, "usage/batch", &key, &items).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().unwrap();
    let statuses: Vec<i64> = results
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 400, 400, 400, 201, 201, 400]);
    assert_eq!(results[0]["cost_micro"], COST);
    assert!(results[1]["message"].as_str().unwrap().contains("-1"));
    assert!(results[2]["message"].as_str().unwrap().contains("price"));
    assert!(results[3]["message"].as_str().unwrap().contains("7 days"));
    assert_eq!(
        results[4]["duplicate"], true,
        "the same id again in one batch"
    );
    assert_eq!(results[4]["id"], results[0]["id"]);
    assert!(results[0].get("duplicate").is_none() && results[5].get("duplicate").is_none());
    assert_eq!(
        (body["recorded"].as_i64(), body["refused"].as_i64()),
        (Some(3), Some(4))
    );
    let after = books(&app, &slug);
    assert_eq!(after.events - before.events, 2, "two charges");
    assert_eq!(after.balance, before.balance - 2 * COST);
    assert_eq!(after.ledger_sum, after.balance);
}

#[actix_web::test]
async fn ndjson_batches_and_the_balance_running_out_inside_a_batch() {
    let app = TestApp::spawn().await;
    let (slug, key) = acme(&app).await;
    set_balance(&app, &slug, 2 * COST);
    let lines = [
        small(None).to_string(),
        "{oops".into(),
        small(None).to_string(),
        small(None).to_string(),
    ];
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/usage/batch", app.address))
        .bearer_auth(&key)
        .header("content-type", "application/x-ndjson")
        .body(lines.join("\n") + "\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let statuses: Vec<i64> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 400, 201, 402]);
    let books = books(&app, &slug);
    assert_eq!((books.balance, books.ledger_sum, books.events), (0, 0, 2));
}

#[actix_web::test]
async fn batches_over_1000_reports_or_5_mb_are_413_with_a_reason() {
    let app = TestApp::spawn().await;
    let (slug, key) = acme(&app).await;
    let before = books(&app, &slug);
    let many = Value::Array((0..1001).map(|_| small(None)).collect());
    let (status, body) = post(&app.address, "usage/batch", &key, &many).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"], "too_large");
    assert!(body["message"].as_str().unwrap().contains("1000"));

    let long_model = "m".repeat(6 * 1024 * 1024);
    let huge = json!([{ "model": long_model, "input_tokens": 1, "output_tokens": 1 }]);
    let (status, body) = post(&app.address, "usage/batch", &key, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["message"].as_str().unwrap().contains("5 MB"));

    let exactly = Value::Array((0..1000).map(|_| small(None)).collect());
    let (status, body) = post(&app.address, "usage/batch", &key, &exactly).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["recorded"], 1000);
    let after = books(&app, &slug);
    assert_eq!(after.events - before.events, 1000);
    assert_eq!(after.ledger_sum, after.balance);
}

#[actix_web::test]
async fn a_request_id_is_charged_once_across_batches_instances_and_racing_retries() {
    let app = TestApp::spawn().await;
    let (slug, key) = acme(&app).await;
    let start = books(&app, &slug);
    let (_, first) = post(
        &app.address,
        "usage/batch",
        &key,
        &json!([small(Some("x-1"))]),
    )
    .await;
    let (_, again) = post(
        &app.address,
        "usage/batch",
        &key,
        &json!([small(Some("x-1"))]),
    )
    .await;
    assert_eq!(again["results"][0]["duplicate"], true);
    assert_eq!(again["results"][0]["id"], first["results"][0]["id"]);
    let (status, single) = post(&app.address, "usage", &key, &small(Some("x-1"))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (single["duplicate"].clone(), single["id"].clone()),
        (json!(true), first["results"][0]["id"].clone())
    );

    // Two instances on one database, retries of one id racing on both.
    let second = app.second_instance().await;
    let addresses = [app.address.clone(), second.address.clone()];
    let answers = join_all((0..20).map(|n| {
        let (address, key) = (addresses[n % 2].clone(), key.clone());
        async move { post(&address, "usage", &key, &small(Some("x-2"))).await }
    }))
    .await;
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED));
    let ids: std::collections::BTreeSet<i64> = answers
        .iter()
        .map(|(_, b)| b["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "every retry gets the first result");
    assert_eq!(
        answers
            .iter()
            .filter(|(_, b)| b.get("duplicate").is_none())
            .count(),
        1
    );
    let end = books(&app, &slug);
    assert_eq!(end.events - start.events, 2, "x-1 and x-2, once each");
    assert_eq!(end.balance, start.balance - 2 * COST);
    assert_eq!(end.ledger_sum, end.balance);
    // Another organization may use the same id.
    let (admin, other) = app.admin_with_org("Globex").await;
    let project = create_project(&admin, &other, "Site").await;
    let other_key = create_key(&admin, &project, "gw").await;
    let (_, theirs) = post(&app.address, "usage", &other_key, &small(Some("x-1"))).await;
    assert!(theirs.get("duplicate").is_none(), "{theirs}");
    second.server.stop(true).await;
}

#[actix_web::test]
async fn bad_reports_are_400_with_a_reason_and_charge_nothing() {
    let app = TestApp::spawn().await;
    let (slug, key) = acme(&app).await;
    let before = books(&app, &slug);
    let now = chrono::Utc::now();
    let at = |d: chrono::Duration| (now + d).to_rfc3339();
    let bodies = [
        json!({ "model": "m", "input_tokens": -5, "output_tokens": 1 }),
        json!({ "model": "m", "input_tokens": 1.5, "output_tokens": 1 }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "requests": -1 }),
        json!({ "model": "m", "input_tokens": 1_000_000_000_001u64, "output_tokens": 1 }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "tokens": 2 }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "timestamp": at(-chrono::Duration::days(7) - chrono::Duration::minutes(1)) }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "timestamp": at(chrono::Duration::minutes(6)) }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "id": "" }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "id": "x".repeat(65) }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "id": "has space" }),
    ];
    for body in &bodies {
        let (status, reason) = post(&app.address, "usage", &key, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(!reason["message"].as_str().unwrap().is_empty(), "{body}");
    }
    let (_, batch) = post(
        &app.address,
        "usage/batch",
        &key,
        &Value::Array(bodies.to_vec()),
    )
    .await;
    assert!(
        batch["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == 400 && r["message"].is_string())
    );
    assert_eq!(books(&app, &slug), before, "nothing charged");
    // Within the window at both ends: accepted.
    for d in [
        -chrono::Duration::days(7) + chrono::Duration::minutes(1),
        chrono::Duration::minutes(4),
    ] {
        let body =
            json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "timestamp": at(d) });
        assert_eq!(
            post(&app.address, "usage", &key, &body).await.0,
            StatusCode::CREATED
        );
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(&mut app.conn())
        .unwrap()
        .n
}

#[actix_web::test]
async fn reports_are_stored_without_their_month_partition_and_the_rollup_outlives_raw_rows() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &project, "gateway").await;
    let now = chrono::Utc::now();
    let month = format!("usage_events_{}", now.format("%Y_%m"));
    diesel::sql_query(format!("DROP TABLE {month}"))
        .execute(&mut app.conn())
        .unwrap();
    let (status, _) = post(&app.address, "usage", &key, &small(Some("r-1"))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM usage_events_default"),
        1
    );

    // The maintenance pass creates the month and moves the report into it.
    let (added, dropped) =
        app.with_conn(|conn| teamwork::ops::maintenance::usage_partitions(conn, now, 400).unwrap());
    assert_eq!((added, dropped), (1, 0));
    assert_eq!(
        count(&app, &format!("SELECT count(*) AS n FROM {month}")),
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM usage_events_default"),
        0
    );

    // Past the retention, the month's raw rows go; the Usage page keeps their totals.
    let later = now + chrono::Duration::days(500);
    app.with_conn(|conn| teamwork::ops::maintenance::usage_partitions(conn, later, 400).unwrap());
    assert_eq!(count(&app, "SELECT count(*) AS n FROM usage_events"), 0);
    let sums = count(
        &app,
        "SELECT (sum(reports) * 1000000 + sum(cost_micro))::int8 AS n FROM usage_hourly",
    );
    assert_eq!(sums, 1_000_000 + COST);
    let page = admin.get_text(&format!("/orgs/{slug}/usage")).await;
    assert!(page.contains("gateway"), "the key's usage is still listed");
    let csv = admin.get_text(&format!("/orgs/{slug}/usage.csv")).await;
    assert!(csv.contains("gateway"), "{csv}");
}
