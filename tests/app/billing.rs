//! Credits, the ledger, plans and seats: the Billing page and the charges of the usage API.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use teamwork::domain::{ProjectRole, Role};
use teamwork::schema::{activity, billing_accounts, credit_ledger};

use crate::helpers::{TestApp, TestClient, location};
use crate::projects::{create_key, create_project, report};

/// 1,200 input and 300 output tokens of gpt-large: 0.006 credits.
fn usage_body() -> Value {
    json!({ "model": "gpt-large", "requests": 3, "input_tokens": 1200, "output_tokens": 300 })
}
const USAGE_COST: i64 = 6_000;
const STARTING: i64 = 25_000_000;

fn billing(slug: &str) -> String {
    format!("/orgs/{slug}/billing")
}

fn balance(app: &TestApp, slug: &str) -> i64 {
    billing_accounts::table
        .find(app.org_id(slug))
        .select(billing_accounts::balance_micro)
        .first(&mut app.conn())
        .unwrap()
}

fn plan(app: &TestApp, slug: &str) -> String {
    billing_accounts::table
        .find(app.org_id(slug))
        .select(billing_accounts::plan)
        .first(&mut app.conn())
        .unwrap()
}

fn ledger_sum(app: &TestApp, slug: &str) -> i64 {
    let amounts: Vec<i64> = credit_ledger::table
        .filter(credit_ledger::org_id.eq(app.org_id(slug)))
        .select(credit_ledger::amount_micro)
        .load(&mut app.conn())
        .unwrap();
    amounts.iter().sum()
}

/// What a denied or refused request must leave untouched.
fn snapshot(app: &TestApp, slug: &str) -> (i64, i64, i64, String, i64, i64) {
    (
        app.count("credit_ledger"),
        app.count("activity"),
        balance(app, slug),
        plan(app, slug),
        app.count("invitations"),
        app.count("usage_events"),
    )
}

fn last_entry(app: &TestApp) -> (String, Option<Value>, Option<Value>) {
    activity::table
        .order(activity::id.desc())
        .select((activity::action, activity::before, activity::after))
        .first(&mut app.conn())
        .unwrap()
}

async fn add_credits(client: &TestClient, slug: &str, amount: &str) -> reqwest::Response {
    client
        .post_form(
            &format!("{}/credits", billing(slug)),
            &[("amount", amount), ("reference", "INV-2026-0042")],
        )
        .await
}

async fn change_plan(client: &TestClient, slug: &str, plan: &str) -> reqwest::Response {
    client
        .post_form(&format!("{}/plan", billing(slug)), &[("plan", plan)])
        .await
}

#[actix_web::test]
async fn billing_is_seen_by_administrators_billing_managers_and_viewers_and_changed_by_the_first_two()
 {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    let project_id: uuid::Uuid = project.rsplit('/').next().unwrap().parse().unwrap();
    let bill = app
        .member_with_role(&slug, "Bill", Role::BillingManager)
        .await;
    let vera = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    let pat = app
        .project_only_member(&slug, project_id, "Pat", ProjectRole::Developer)
        .await;
    let pia = app
        .project_only_member(&slug, project_id, "Pia", ProjectRole::Viewer)
        .await;
    let stranger = app.signed_up("Stranger").await;
    let anonymous = app.client();

    let nav_has_billing = async |client: &TestClient| {
        let page = client.get_text(&format!("/orgs/{slug}/projects")).await;
        page.contains(">Billing</a>")
    };
    for (who, client, can_view, can_manage) in [
        ("administrator", &admin, true, true),
        ("billing manager", &bill, true, true),
        ("viewer", &vera, true, false),
    ] {
        let response = client.get(&billing(&slug)).await;
        assert_eq!(response.status(), StatusCode::OK, "{who}");
        let page = response.text().await.unwrap();
        assert!(page.contains("25.00") && page.contains("Free"), "{who}");
        assert!(page.contains("Starting credits"), "{who} sees the ledger");
        assert_eq!(page.contains("Add credits"), can_manage, "{who}");
        assert_eq!(page.contains("Change plan"), can_manage, "{who}");
        assert_eq!(nav_has_billing(client).await, can_view, "{who}");
    }
    let before = snapshot(&app, &slug);
    for (who, client, status) in [
        ("developer", &dev, StatusCode::FORBIDDEN),
        ("project-only developer", &pat, StatusCode::NOT_FOUND),
        ("project-only viewer", &pia, StatusCode::NOT_FOUND),
        ("non-member", &stranger, StatusCode::NOT_FOUND),
        ("anonymous", &anonymous, StatusCode::SEE_OTHER),
    ] {
        assert_eq!(client.get(&billing(&slug)).await.status(), status, "{who}");
        if status != StatusCode::SEE_OTHER {
            assert!(!nav_has_billing(client).await, "{who}");
        }
    }
    for (who, client, status) in [
        ("viewer", &vera, StatusCode::FORBIDDEN),
        ("developer", &dev, StatusCode::FORBIDDEN),
        ("project-only developer", &pat, StatusCode::NOT_FOUND),
        ("project-only viewer", &pia, StatusCode::NOT_FOUND),
        ("non-member", &stranger, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            add_credits(client, &slug, "10").await.status(),
            status,
            "{who}"
        );
        assert_eq!(
            change_plan(client, &slug, "team").await.status(),
            status,
            "{who}"
        );
    }
    // Anonymous posts have no session: refused by the CSRF check before anything else.
    let forged = anonymous
        .http
        .post(anonymous.url(&format!("{}/credits", billing(&slug))))
        .form(&[("amount", "10"), ("reference", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        snapshot(&app, &slug),
        before,
        "denied requests change nothing"
    );

    for (client, amount) in [(&admin, "10"), (&bill, "2.50")] {
        let response = add_credits(client, &slug, amount).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), billing(&slug));
    }
    assert_eq!(balance(&app, &slug), STARTING + 12_500_000);
    assert_eq!(
        change_plan(&bill, &slug, "team").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(plan(&app, &slug), "team");
}

#[actix_web::test]
async fn adding_credits_records_the_amount_the_reference_who_and_when() {
    let app = TestApp::spawn().await;
    let (_admin, slug) = app.admin_with_org("Acme").await;
    let bill = app
        .member_with_role(&slug, "Bill Payer", Role::BillingManager)
        .await;
    let response = add_credits(&bill, &slug, "12.50").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = bill.get_text(&billing(&slug)).await;
    assert!(
        page.contains("Added 12.50 credits. The balance is now 37.50."),
        "{page}"
    );
    assert!(page.contains("INV-2026-0042") && page.contains("Bill Payer"));
    assert_eq!(balance(&app, &slug), 37_500_000);
    assert_eq!(ledger_sum(&app, &slug), balance(&app, &slug));
    let (kind, amount, reference, actor, created_at): (
        String,
        i64,
        Option<String>,
        Option<uuid::Uuid>,
        chrono::DateTime<chrono::Utc>,
    ) = credit_ledger::table
        .order(credit_ledger::id.desc())
        .select((
            credit_ledger::kind,
            credit_ledger::amount_micro,
            credit_ledger::reference,
            credit_ledger::actor_id,
            credit_ledger::created_at,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!((kind.as_str(), amount), ("purchase", 12_500_000));
    assert_eq!(reference.as_deref(), Some("INV-2026-0042"));
    assert_eq!(actor, Some(app.user_id("bill.payer@example.com")));
    assert!((chrono::Utc::now() - created_at).num_seconds().abs() < 60);
    let (action, before, after) = last_entry(&app);
    assert_eq!(action, "billing.credits_added");
    assert_eq!(before, None);
    assert_eq!(
        after,
        Some(json!({ "amount_micro": 12_500_000, "reference": "INV-2026-0042" }))
    );
}

#[actix_web::test]
async fn bad_amounts_are_refused_with_a_message_and_write_nothing() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let before = snapshot(&app, &slug);
    for (amount, message) in [
        ("-5", "Enter a positive amount."),
        ("0", "Enter an amount greater than zero."),
        ("1000000.01", "At most 1,000,000 credits at a time."),
        (
            "99999999999999999999",
            "At most 1,000,000 credits at a time.",
        ),
        ("ten", "Enter an amount like 25 or 12.50."),
        ("1.005", "Use at most two decimals."),
        ("", "Enter an amount of credits."),
    ] {
        let response = add_credits(&admin, &slug, amount).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount:?}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{amount:?}: {message}");
        assert!(page.contains("aria-invalid=\"true\""), "{amount:?}");
    }
    let no_reference = admin
        .post_form(
            &format!("{}/credits", billing(&slug)),
            &[("amount", "10"), ("reference", " ")],
        )
        .await;
    assert_eq!(no_reference.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reference
            .text()
            .await
            .unwrap()
            .contains("reference (invoice or receipt number)")
    );
    let extra = admin
        .post_form(
            &format!("{}/credits", billing(&slug)),
            &[("amount", "10"), ("reference", "x"), ("org_id", "x")],
        )
        .await;
    assert_eq!(extra.status(), StatusCode::BAD_REQUEST, "unknown fields");
    assert_eq!(snapshot(&app, &slug), before);
}

#[actix_web::test]
async fn every_report_is_charged_and_the_ledger_sum_is_the_balance_under_100_parallel_reports() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &project, "production").await;
    let reports = (0..100).map(|_| report(&app, &key, usage_body()));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(reports)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let charged = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count() as i64;
    // Reports the ledger charges (an entry charges the reports committed together).
    let usage_entries: i64 = credit_ledger::table
        .filter(credit_ledger::kind.eq("usage"))
        .select(credit_ledger::usage_event_ids)
        .load::<Option<Vec<i64>>>(&mut app.conn())
        .unwrap()
        .iter()
        .map(|ids| ids.as_ref().map_or(1, Vec::len) as i64)
        .sum();
    // Charges the balance shows: each report that was answered 201 must be among them.
    let applied = (STARTING - balance(&app, &slug)) / USAGE_COST;
    let lost = charged - applied;
    println!("100 reports: {charged} charged, {lost} lost");
    assert_eq!(charged, 100, "{statuses:?}");
    assert_eq!(app.count("usage_events"), 100);
    assert_eq!(usage_entries, 100);
    assert_eq!(balance(&app, &slug), STARTING - 100 * USAGE_COST);
    assert_eq!(ledger_sum(&app, &slug), balance(&app, &slug));
    assert_eq!(lost, 0);
    // Each entry's running balance follows from the previous one.
    let entries: Vec<(i64, i64)> = credit_ledger::table
        .order(credit_ledger::id)
        .select((
            credit_ledger::amount_micro,
            credit_ledger::balance_after_micro,
        ))
        .load(&mut app.conn())
        .unwrap();
    let mut running = 0;
    for (amount, after) in entries {
        running += amount;
        assert_eq!(after, running);
    }
    let page = admin.get_text(&billing(&slug)).await;
    // The charges of the day read as one line of usage, not 100.
    assert!(
        page.contains("24.40") && page.contains(" charges") && !page.contains(">1 charge<"),
        "{page}"
    );
}

#[actix_web::test]
async fn at_zero_credits_the_usage_api_answers_402_and_records_nothing() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &project, "production").await;
    // 10 million input tokens of gpt-large cost exactly the 25 starting credits.
    let all = json!({ "model": "gpt-large", "input_tokens": 10_000_000, "output_tokens": 0 });
    let response = report(&app, &key, all).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.json::<Value>().await.unwrap()["cost_micro"],
        25_000_000
    );
    assert_eq!(balance(&app, &slug), 0);

    let before = snapshot(&app, &slug);
    let refused = report(&app, &key, usage_body()).await;
    assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_credits");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("nothing was recorded")
    );
    assert_eq!(snapshot(&app, &slug), before, "nothing recorded");
    let page = admin.get_text(&format!("/orgs/{slug}/projects")).await;
    assert!(page.contains("no credits left"), "the warning says so");

    add_credits(&admin, &slug, "1").await;
    assert_eq!(
        report(&app, &key, usage_body()).await.status(),
        StatusCode::CREATED
    );
    // A report may overdraw what is left; the next one is refused.
    let big = json!({ "model": "gpt-large", "input_tokens": 1_000_000, "output_tokens": 0 });
    assert_eq!(report(&app, &key, big).await.status(), StatusCode::CREATED);
    assert_eq!(balance(&app, &slug), 1_000_000 - USAGE_COST - 2_500_000);
    assert_eq!(
        report(&app, &key, usage_body()).await.status(),
        StatusCode::PAYMENT_REQUIRED
    );
    assert_eq!(ledger_sum(&app, &slug), balance(&app, &slug));
}

#[actix_web::test]
async fn the_low_credit_warning_shows_to_those_who_can_add_credits() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let bill = app
        .member_with_role(&slug, "Bill", Role::BillingManager)
        .await;
    let vera = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let warning = "Credits are running low";
    assert!(
        !admin
            .get_text(&format!("/orgs/{slug}/members"))
            .await
            .contains(warning)
    );
    let project = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &project, "production").await;
    // 6 million input tokens: 15 credits, leaving 10.00: not yet below the threshold.
    let spend = json!({ "model": "gpt-large", "input_tokens": 6_000_000, "output_tokens": 0 });
    report(&app, &key, spend).await;
    assert!(
        !admin
            .get_text(&format!("/orgs/{slug}/members"))
            .await
            .contains(warning)
    );
    report(&app, &key, usage_body()).await;
    for client in [&admin, &bill] {
        let page = client.get_text(&format!("/orgs/{slug}/members")).await;
        assert!(
            page.contains(warning) && page.contains("9.99 left"),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/orgs/{slug}/billing\">Add credits")));
    }
    let page = vera.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(!page.contains(warning), "viewers cannot add credits");
}

#[actix_web::test]
async fn invitations_past_the_seat_limit_are_refused_per_address_with_a_way_to_change_plan() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Dev", Role::Developer).await;
    let project = create_project(&admin, &slug, "Website").await;
    // Ada, Dev, and one pending invitation: 3 of the Free plan's 5 seats.
    admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "first@example.com"), ("role", "viewer")],
        )
        .await;
    let before = (
        app.count("invitations"),
        app.count("outbox"),
        app.count("activity"),
    );
    let response = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[
                (
                    "emails",
                    "a@example.com b@example.com c@example.com first@example.com",
                ),
                ("role", "developer"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert_eq!(
        page.matches(">Invited<").count(),
        2,
        "a and b take seats 4 and 5"
    );
    assert_eq!(
        page.matches("Seat limit reached").count(),
        1,
        "c does not fit"
    );
    assert!(
        page.contains("Already invited"),
        "first@ holds its seat already"
    );
    assert!(page.contains("The Free plan has up to 5 seats"));
    assert!(page.contains(&format!("<a href=\"/orgs/{slug}/billing\">Change plan</a>")));
    assert_eq!(
        (
            app.count("invitations"),
            app.count("outbox"),
            app.count("activity")
        ),
        (before.0 + 2, before.1 + 2, before.2 + 2),
        "nothing written for c"
    );
    assert_eq!(app.count_where("invitations", "email = 'c@example.com'"), 0);

    // Project invitations take seats too.
    let response = admin
        .post_form(
            &format!("{project}/invitations"),
            &[
                ("emails", "carla@contractor.example"),
                ("role", "developer"),
            ],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Seat limit reached")
    );

    assert_eq!(
        change_plan(&admin, &slug, "team").await.status(),
        StatusCode::SEE_OTHER
    );
    let response = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "c@example.com"), ("role", "developer")],
        )
        .await;
    assert!(response.text().await.unwrap().contains(">Invited<"));
}

#[actix_web::test]
async fn a_downgrade_below_the_seats_in_use_is_refused_and_plan_changes_are_logged() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    assert_eq!(
        change_plan(&admin, &slug, "enterprise").await.status(),
        StatusCode::SEE_OTHER
    );
    let (action, before, after) = last_entry(&app);
    assert_eq!(action, "billing.plan_changed");
    assert_eq!(before, Some(json!({ "plan": "free" })));
    assert_eq!(after, Some(json!({ "plan": "enterprise" })));
    let page = admin.get_text(&billing(&slug)).await;
    assert!(page.contains("The plan is now Enterprise, with no seat limit."));
    for name in ["B", "C", "D", "E"] {
        app.member_with_role(&slug, name, Role::Viewer).await;
    }
    admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "f@example.com"), ("role", "viewer")],
        )
        .await;

    let before = snapshot(&app, &slug);
    let refused = change_plan(&admin, &slug, "free").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("The Free plan allows 5 seats and 6 are in use"),
        "{page}"
    );
    assert!(page.contains("cancel invitations first"));
    assert_eq!(snapshot(&app, &slug), before, "nothing changed");

    assert_eq!(
        change_plan(&admin, &slug, "team").await.status(),
        StatusCode::SEE_OTHER
    );
    let activity_count = app.count("activity");
    assert_eq!(
        change_plan(&admin, &slug, "team").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("activity"), activity_count, "no change, no entry");
    let bad = change_plan(&admin, &slug, "platinum").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(plan(&app, &slug), "team");
}

#[actix_web::test]
async fn the_ledger_pages_newest_first_as_links_and_htmx_fragments() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    for i in 1..=30 {
        add_credits(&admin, &slug, &format!("{i}")).await;
    }
    let first = admin.get_text(&billing(&slug)).await;
    assert!(first.contains(">30.00<") && first.contains(">6.00<"));
    assert!(!first.contains(">5.00<"), "25 per page");
    let next = first
        .split("billing?before=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to older entries")
        .to_owned();
    let older = admin
        .http
        .get(admin.url(&format!("{}?before={next}", billing(&slug))))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        older.starts_with("<div id=\"ledger\">")
            || older.trim_start().starts_with("<div id=\"ledger\">")
    );
    assert!(older.contains(">5.00<") && older.contains("Starting credits"));
    assert!(!older.contains(">6.00<") && !older.contains("<html"));
    assert!(!older.contains("rel=\"next\""), "the last page");
    let bad_cursor = admin.get(&format!("{}?before=abc", billing(&slug))).await;
    assert_eq!(bad_cursor.status(), StatusCode::OK, "lenient");
}

/// Usage charges are one line per day, so purchases stay in sight; a filter by type.
#[actix_web::test]
async fn usage_charges_read_as_one_line_per_day_and_the_ledger_filters_by_type() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = location(
        &admin
            .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Website")])
            .await,
    );
    let page = admin
        .post_form(&format!("{project}/keys"), &[("name", "production")])
        .await
        .text()
        .await
        .unwrap();
    let key = crate::helpers::shown_key(&page);
    for _ in 0..12 {
        report(&app, &key, usage_body()).await;
    }
    add_credits(&admin, &slug, "10").await;

    let page = admin.get_text(&billing(&slug)).await;
    let html = scraper::Html::parse_document(&page);
    let rows = scraper::Selector::parse("#ledger tbody tr").unwrap();
    let lines: Vec<String> = html
        .select(&rows)
        .map(|r| {
            r.text()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        lines.len(),
        3,
        "a purchase, one line of usage, starting credits: {lines:?}"
    );
    assert!(lines[0].contains("Purchase"), "{lines:?}");
    assert!(
        lines[1].contains("Usage") && lines[1].contains("12 charges"),
        "{lines:?}"
    );
    assert!(lines[2].contains("Starting credits"), "{lines:?}");
    let day_link = scraper::Selector::parse("#ledger tbody tr td a").unwrap();
    let links: Vec<_> = html
        .select(&day_link)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(
        links,
        [format!("/orgs/{slug}/usage")],
        "the usage line leads to its breakdown"
    );

    let purchases = admin
        .get_text(&format!("{}?type=purchases", billing(&slug)))
        .await;
    assert!(purchases.contains("Purchase") && !purchases.contains("12 charges"));
    assert!(!purchases.contains("Starting credits</td>"));
    let usage = admin
        .get_text(&format!("{}?type=usage", billing(&slug)))
        .await;
    assert!(usage.contains("12 charges") && !usage.contains(">Purchase<"));
    let adjustments = admin
        .get_text(&format!("{}?type=adjustments", billing(&slug)))
        .await;
    assert!(adjustments.contains(">Starting credits<") && !adjustments.contains("12 charges"));
}
