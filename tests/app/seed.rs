//! `teamwork seed-demo`: a consistent demo organization whose accounts can sign in.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::schema::{activity, billing_accounts, credit_ledger, organizations};

use crate::helpers::TestApp;

#[actix_web::test]
async fn the_demo_organization_is_consistent_and_its_people_can_sign_in() {
    let app = TestApp::spawn().await;
    let options = teamwork::seed::Options {
        members: 30,
        activity: 2_000,
        days: 10,
    };
    teamwork::seed::seed_demo(&app.db, &app.address, options)
        .await
        .unwrap();
    let mut conn = app.conn();
    let org: uuid::Uuid = organizations::table
        .filter(organizations::slug.eq("demo-co"))
        .select(organizations::id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        app.count("memberships"),
        34,
        "30 generated and one per role"
    );
    assert_eq!(app.count("project_members"), 2);
    assert_eq!(app.count_where("invitations", "status = 'pending'"), 5);
    assert_eq!(
        app.count("usage_events"),
        10 * 24 * 10,
        "hourly, for 10 keys"
    );
    assert_eq!(app.count("activity"), 2_000);
    for role in ["administrator", "developer", "billing_manager", "viewer"] {
        assert!(
            app.count_where("memberships", &format!("role = '{role}'")) >= 1,
            "{role}"
        );
    }

    let amounts: Vec<i64> = credit_ledger::table
        .filter(credit_ledger::org_id.eq(org))
        .select(credit_ledger::amount_micro)
        .load(&mut conn)
        .unwrap();
    let balance: i64 = billing_accounts::table
        .find(org)
        .select(billing_accounts::balance_micro)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        amounts.iter().sum::<i64>(),
        balance,
        "the balance is the ledger's sum"
    );
    assert!(balance > 0);
    assert_eq!(app.count_where("credit_ledger", "kind = 'usage'"), 2_400);
    let unmatched = app.count_where(
        "credit_ledger l JOIN usage_events e ON e.id = l.usage_event_id",
        "l.amount_micro <> -e.cost_micro",
    );
    assert_eq!(unmatched, 0, "each charge is its report's cost");
    // The demo's invitations read as delivered, each with its own email.
    assert_eq!(
        app.count_where(
            "invitations i JOIN outbox o ON o.id = i.outbox_id",
            "o.status = 'sent' AND o.recipient = i.email"
        ),
        app.count("invitations")
    );

    // UUIDv7 ids from the entries' times: paging by id pages by time.
    let by_id: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> = activity::table
        .order(activity::id)
        .select((activity::id, activity::created_at))
        .load(&mut conn)
        .unwrap();
    assert!(by_id.iter().all(|(id, _)| id.get_version_num() == 7));
    assert!(
        by_id.windows(2).all(|w| w[0].1 <= w[1].1),
        "ids follow time"
    );
    for (id, at) in &by_id {
        let (seconds, nanos) = id.get_timestamp().unwrap().to_unix();
        assert_eq!(
            seconds as i64 * 1000 + nanos as i64 / 1_000_000,
            at.timestamp_millis()
        );
    }

    let bill = app.client();
    let response = bill
        .login("bill@demo-co.example", teamwork::seed::PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = bill.get_text("/orgs/demo-co/billing").await;
    // Ten days of hourly usage read as a line a day, so the purchase is on the first page.
    assert!(
        page.contains("Enterprise") && page.contains(" charges") && page.contains("INV-DEMO-0001"),
        "{page}"
    );
    assert_eq!(
        app.count_where("credit_ledger", "reference = 'INV-DEMO-0001'"),
        1
    );
    let usage = bill.get_text("/orgs/demo-co/usage?days=7").await;
    assert!(
        usage.contains("<rect class=\"series-4\""),
        "five projects in the chart"
    );
}
