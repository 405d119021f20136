//! The Usage page and its CSV export: who sees what, the chart and its table, the table
//! by project and key, filters, and the export.

use diesel::prelude::*;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::json;
use teamwork::domain::{ProjectRole, Role};
use teamwork::schema::api_keys;
use uuid::Uuid;

use crate::helpers::{TestApp, TestClient};
use crate::projects::{create_key, create_project, report};

fn usage(slug: &str) -> String {
    format!("/orgs/{slug}/usage")
}

fn project_id(path: &str) -> Uuid {
    path.rsplit('/').next().unwrap().parse().unwrap()
}

fn key_id(app: &TestApp, name: &str) -> Uuid {
    api_keys::table
        .filter(api_keys::name.eq(name))
        .select(api_keys::id)
        .first(&mut app.conn())
        .unwrap()
}

/// `n` reports a day of 1,000 gpt-large input tokens (0.0025 credits each) by key `key`,
/// on each of the days `days_ago` back, straight into the table (the API takes the last
/// 7 days only).
fn old_usage(
    app: &TestApp,
    slug: &str,
    key: &str,
    days_ago: std::ops::RangeInclusive<i32>,
    n: i32,
) {
    diesel::sql_query(
        "INSERT INTO usage_events (org_id, project_id, api_key_id, model, requests, input_tokens, \
                                   output_tokens, cost_micro, occurred_at) \
         SELECT $1, k.project_id, k.id, 'gpt-large', 1, 1000, 0, 2500, now() - make_interval(days => d) \
         FROM api_keys k, generate_series($3, $4) AS d, generate_series(1, $5) WHERE k.id = $2",
    )
    .bind::<diesel::sql_types::Uuid, _>(app.org_id(slug))
    .bind::<diesel::sql_types::Uuid, _>(key_id(app, key))
    .bind::<diesel::sql_types::Integer, _>(*days_ago.start())
    .bind::<diesel::sql_types::Integer, _>(*days_ago.end())
    .bind::<diesel::sql_types::Integer, _>(n)
    .execute(&mut app.conn())
    .unwrap();
}

/// Acme with projects Website (key "production") and Mobile (key "app"), each with usage.
async fn acme_with_usage(app: &TestApp) -> (TestClient, String, String, String) {
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let mobile = create_project(&admin, &slug, "Mobile").await;
    let production = create_key(&admin, &website, "production").await;
    let app_key = create_key(&admin, &mobile, "app").await;
    let large =
        json!({ "model": "gpt-large", "requests": 3, "input_tokens": 1200, "output_tokens": 300 });
    for _ in 0..2 {
        assert_eq!(
            report(app, &production, large.clone()).await.status(),
            StatusCode::CREATED
        );
    }
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let small = json!({ "model": "gpt-small", "input_tokens": 1000, "output_tokens": 1000, "timestamp": two_days_ago });
    assert_eq!(
        report(app, &app_key, small).await.status(),
        StatusCode::CREATED
    );
    (admin, slug, website, mobile)
}

/// The rows of the table by project and key, cell texts with whitespace squashed; an
/// amount shown rounded reads as its exact value (its title).
fn key_table(page: &str) -> Vec<Vec<String>> {
    let html = Html::parse_document(page);
    let rows = Selector::parse("#usage-by-key tbody tr").unwrap();
    let cells = Selector::parse("td").unwrap();
    let money = Selector::parse(".money[title]").unwrap();
    html.select(&rows)
        .map(|row| {
            row.select(&cells)
                .map(|c| {
                    if let Some(exact) = c.select(&money).next().and_then(|m| m.attr("title")) {
                        return exact.trim_start_matches("Exactly ").to_owned();
                    }
                    c.text()
                        .collect::<String>()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .collect()
}

#[actix_web::test]
async fn every_role_sees_usage_and_project_only_members_only_their_project() {
    let app = TestApp::spawn().await;
    let (admin, slug, website, mobile) = acme_with_usage(&app).await;
    for (name, role) in [
        ("Dev", Role::Developer),
        ("Bill", Role::BillingManager),
        ("Vera", Role::Viewer),
    ] {
        let member = app.member_with_role(&slug, name, role).await;
        for client in [&admin, &member] {
            let page = client.get_text(&usage(&slug)).await;
            // The key's name for every role; its prefix only with API-key access.
            assert!(
                page.contains("production") && (page.contains(">app ") || page.contains(">app<")),
                "{role:?}"
            );
            assert!(page.contains(">Usage</a>"), "{role:?}: in the sidebar");
            let csv = client.get(&format!("/orgs/{slug}/usage.csv")).await;
            assert_eq!(csv.status(), StatusCode::OK, "{role:?}");
        }
    }
    let before = app.count("usage_events");
    for role in [ProjectRole::Developer, ProjectRole::Viewer] {
        let name = format!("Pat {}", role.as_str());
        let pat = app
            .project_only_member(&slug, project_id(&website), &name, role)
            .await;
        for query in ["", &format!("?project={}", project_id(&mobile))] {
            let response = pat.get(&format!("{}{query}", usage(&slug))).await;
            assert_eq!(response.status(), StatusCode::OK, "{role:?} {query}");
            let page = response.text().await.unwrap();
            assert!(page.contains("production"), "{role:?}: their project's key");
            assert!(
                !page.contains(">app ") && !page.contains(">app<") && !page.contains("Mobile"),
                "{role:?}: nothing else"
            );
            assert!(page.contains(">Usage</a>") && !page.contains(">Billing</a>"));
            let csv = pat
                .get_text(&format!("/orgs/{slug}/usage.csv{query}"))
                .await;
            assert!(
                csv.contains("production") && !csv.contains("Mobile"),
                "{csv}"
            );
        }
    }
    let stranger = app.signed_up("Stranger").await;
    for path in [usage(&slug), format!("/orgs/{slug}/usage.csv")] {
        assert_eq!(stranger.get(&path).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            app.client().get(&path).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(app.count("usage_events"), before, "looking records nothing");
}

#[actix_web::test]
async fn the_page_shows_cost_per_day_and_project_as_a_chart_and_a_table() {
    let app = TestApp::spawn().await;
    let (admin, slug, ..) = acme_with_usage(&app).await;
    let page = admin.get_text(&usage(&slug)).await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    // Projects in name order: Mobile, then Website.
    assert!(page.contains("<rect class=\"series-0\"") && page.contains("<rect class=\"series-1\""));
    assert!(page.contains("Cost per day and project, in credits"));
    let html = Html::parse_document(&page);
    let rows = Selector::parse(".sr-only table tbody tr").unwrap();
    let days: Vec<String> = html
        .select(&rows)
        .map(|r| r.text().collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(days.len(), 30, "one row per day of the period");
    assert_eq!(days[29], format!("{today}|0.00|0.012|0.012"));
    assert_eq!(days[27], format!("{two_days_ago}|0.00075|0.00|0.00075"));
    assert!(!page.contains("style="), "no inline styles (CSP)");
    // The y axis has round gridlines with labels, up to the first above the tallest day.
    for label in ["0", "0.0025", "0.005", "0.0075", "0.01", "0.0125"] {
        assert!(
            page.contains(&format!("text-anchor=\"end\">{label}</text>")),
            "gridline {label}"
        );
    }

    // The key cell shows the name, then the key's public prefix.
    let rows: Vec<Vec<String>> = key_table(&page)
        .into_iter()
        .map(|mut row| {
            row[1] = row[1].split(" tw_live_").next().unwrap().to_owned();
            row
        })
        .collect();
    assert_eq!(
        rows,
        [
            ["Website", "production", "6", "2,400", "600", "0.012"],
            ["Mobile", "app", "1", "1,000", "1,000", "0.00075"],
        ]
        .map(|row| row.map(String::from))
    );
    assert!(page.contains("0.01275"), "the total");
    // Costs read like money, to the hundredth; the exact amount is on hover.
    assert!(
        page.contains(r#"<span class="money" title="Exactly 0.012">0.01</span>"#),
        "{page}"
    );
    assert!(
        page.contains("gpt-large") && page.contains("0.0025") && page.contains("any other model")
    );
}

/// Parses RFC 4180 CSV: quoted fields may hold commas, quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[actix_web::test]
async fn the_csv_export_matches_the_table_and_neutralizes_formulas() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let evil = create_project(&admin, &slug, "=HYPERLINK(\"http://evil.example\",\"x\")").await;
    let plain = create_project(&admin, &slug, "Website").await;
    let k1 = create_key(&admin, &evil, "@risky, \"quoted\" key").await;
    let k2 = create_key(&admin, &plain, "production").await;
    let body = json!({ "model": "gpt-large", "requests": 1000, "input_tokens": 5_000_000, "output_tokens": 1_000 });
    report(&app, &k1, body).await;
    report(
        &app,
        &k2,
        json!({ "model": "new-model", "input_tokens": 7, "output_tokens": 0 }),
    )
    .await;

    let page = admin.get_text(&format!("{}?days=7", usage(&slug))).await;
    assert!(
        page.contains(&format!("href=\"/orgs/{slug}/usage.csv?days=7\"")),
        "Export CSV keeps the filter"
    );
    let response = admin.get(&format!("/orgs/{slug}/usage.csv?days=7")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"usage-acme-"),
        "{disposition}"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.ends_with("\r\n") && text.contains("\r\n"),
        "CRLF lines"
    );
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""),
        "{text}"
    );
    assert!(text.contains("\"'@risky, \"\"quoted\"\" key\""), "{text}");
    let csv = parse_csv(&text);
    assert_eq!(
        csv[0],
        [
            "Project",
            "Key",
            "Key prefix",
            "Requests",
            "Input tokens",
            "Output tokens",
            "Cost (credits)"
        ]
    );
    let table = key_table(&page);
    assert_eq!(csv.len() - 1, table.len());
    let plain_number = |cell: &str| cell.replace(',', "");
    let unneutralized = |cell: &str| cell.strip_prefix('\'').unwrap_or(cell).to_owned();
    for (row, cells) in csv[1..].iter().zip(&table) {
        assert_eq!(unneutralized(&row[0]), cells[0]);
        assert_eq!(format!("{} {}…", unneutralized(&row[1]), row[2]), cells[1]);
        for i in 3..7 {
            assert_eq!(row[i], plain_number(&cells[i - 1]), "column {i} of {row:?}");
        }
    }
    assert_eq!(csv[1][3..], ["1000", "5000000", "1000", "12.51"]);
    assert_eq!(
        csv[2][6], "0.000021",
        "7 tokens at the default price, rounded up"
    );
}

#[actix_web::test]
async fn filters_work_as_plain_links_and_as_htmx_fragments() {
    let app = TestApp::spawn().await;
    let (admin, slug, website, _mobile) = acme_with_usage(&app).await;
    old_usage(&app, &slug, "production", 20..=20, 4);
    old_usage(&app, &slug, "app", 80..=80, 2);

    let month = key_table(&admin.get_text(&usage(&slug)).await);
    assert_eq!(month[0][2], "10", "6 requests this week, 4 twenty days ago");
    let week = key_table(&admin.get_text(&format!("{}?days=7", usage(&slug))).await);
    assert_eq!(week[0][2], "6");
    let quarter = admin.get_text(&format!("{}?days=90", usage(&slug))).await;
    assert!(quarter.contains("value=\"90\" selected"));
    assert_eq!(
        key_table(&quarter)[1][2],
        "3",
        "the app key: 1 + 2 eighty days ago"
    );

    let only_website = format!("{}?days=30&project={}", usage(&slug), project_id(&website));
    let page = admin.get_text(&only_website).await;
    let rows = key_table(&page);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "Website");

    let fragment = admin
        .http
        .get(admin.url(&only_website))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        fragment
            .trim_start()
            .starts_with("<div id=\"usage-report\""),
        "{fragment}"
    );
    assert!(!fragment.contains("<html") && fragment.contains("production"));
    assert!(!fragment.contains(">app "));

    for lenient in ["?days=abc", "?days=12", "?project=nope", "?days=7&project="] {
        let response = admin.get(&format!("{}{lenient}", usage(&slug))).await;
        assert_eq!(response.status(), StatusCode::OK, "{lenient}");
    }
    let defaulted = admin.get_text(&format!("{}?days=12", usage(&slug))).await;
    assert!(
        defaulted.contains("value=\"30\" selected"),
        "an unknown period shows 30 days"
    );
}

#[actix_web::test]
async fn the_usage_page_runs_a_constant_number_of_statements() {
    let app = TestApp::spawn().await;
    let (admin, slug, ..) = acme_with_usage(&app).await;
    let statements = async || {
        let mut counts = Vec::new();
        for query in ["", "?days=90", "?days=7"] {
            admin.get(&format!("{}{query}", usage(&slug))).await;
            let before = app.db.statements();
            let response = admin.get(&format!("{}{query}", usage(&slug))).await;
            assert_eq!(response.status(), StatusCode::OK);
            counts.push(app.db.statements() - before);
        }
        counts
    };
    let small = statements().await;
    old_usage(&app, &slug, "production", 0..=89, 200);
    let large = statements().await;
    println!("usage page: {small:?} statements with 3 reports, {large:?} with 18,003");
    assert_eq!(small, large);
    assert!(large.iter().all(|n| *n <= 6), "{large:?}");
}

#[actix_web::test]
async fn without_usage_the_page_says_what_to_do_instead_of_drawing_empty_axes() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let page = admin.get_text(&usage(&slug)).await;
    assert!(page.contains("No usage in this period."));
    assert!(page.contains("Keys are created on a project"), "{page}");
    assert!(!page.contains("<svg"), "no empty chart");
}
