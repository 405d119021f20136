//! The attacks of the security review, replayed against the real app: each test
//! reproduces one finding and asserts that it no longer works (issue 14).

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{TestApp, TestClient, extract_csrf, location};

const PASSWORD: &str = "correct horse battery";

/// Posts a form with the session's token, as if relayed by a proxy that says the client
/// is `forwarded_for` (only believed from a peer in `TRUSTED_PROXIES`).
async fn post_from(
    client: &TestClient,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut body = fields.to_vec();
    body.push(("_csrf", token));
    let mut request = client.http.post(client.url(path)).form(&body);
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    request.send().await.expect("POST")
}

async fn token_of(client: &TestClient) -> String {
    extract_csrf(&client.get_text("/login").await).expect("a CSRF token")
}

fn trusting_localhost(config: &mut teamwork::config::Config) {
    config.trusted_proxies = teamwork::domain::client_ip::parse_proxies("127.0.0.1/32").unwrap();
}

/// The resident memory of this process (the app runs in it), in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[actix_web::test]
async fn a_flood_of_signups_is_hashed_a_core_at_a_time_and_a_signed_in_page_stays_fast() {
    // At the production cost (19 MiB a hash): the memory bound is what is tested.
    let app = TestApp::spawn_with(|c| {
        trusting_localhost(c);
        c.password_cost = Default::default();
    })
    .await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let members = format!("/orgs/{slug}/members");
    assert_eq!(admin.get(&members).await.status(), StatusCode::OK);
    let mut quiet = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(admin.get(&members).await.status(), StatusCode::OK);
        quiet.push(started.elapsed());
    }

    // 200 attackers, each from its own address (so the per-IP limit does not stop them
    // and the hashing bound is what is tested), sign up with an existing email.
    const FLOOD: usize = 200;
    let mut attackers = Vec::new();
    for _ in 0..FLOOD {
        let client = app.client();
        let token = token_of(&client).await;
        attackers.push((client, token));
    }
    let rss_before = rss_mib();
    let flood_started = Instant::now();
    let flood = attackers.iter().enumerate().map(|(i, (client, token))| {
        let ip = format!("198.51.{}.{}", i / 250, i % 250 + 1);
        async move {
            let response = post_from(
                client,
                token,
                "/signup",
                &[
                    ("name", "Mallory"),
                    ("email", "ada.admin@example.com"),
                    ("password", "a long enough password"),
                ],
                Some(&ip),
            )
            .await;
            let retry_after = response.headers().contains_key("retry-after");
            (response.status(), retry_after)
        }
    });
    let flood = futures_util::future::join_all(flood);
    let probe = async {
        let mut peak_rss = rss_before;
        let mut latencies = Vec::new();
        // Let the flood arrive, then read the page while it is being worked off.
        tokio::time::sleep(Duration::from_millis(100)).await;
        for _ in 0..10 {
            let started = Instant::now();
            let status = admin.get(&members).await.status();
            latencies.push(started.elapsed());
            assert_eq!(status, StatusCode::OK);
            peak_rss = peak_rss.max(rss_mib());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (latencies, peak_rss)
    };
    let (outcomes, (latencies, peak_rss)) = tokio::join!(flood, probe);
    let flood_took = flood_started.elapsed();
    let busy = outcomes
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    // A taken address gets the same 200 as a new one (no account enumeration).
    let answered = outcomes
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .count();
    let slowest = latencies.iter().max().unwrap();
    let quiet_slowest = quiet.iter().max().unwrap();
    println!(
        "signup flood: {FLOOD} concurrent sign-ups in {flood_took:.2?}: {answered} hashed and answered, \
         {busy} told 503 + Retry-After; members page while flooded: slowest {slowest:.2?} \
         (quiet {quiet_slowest:.2?}); RSS {rss_before:.0} MiB before, peak {peak_rss:.0} MiB"
    );
    assert_eq!(answered + busy, FLOOD, "only 200 or 503: {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|(s, retry)| *s != StatusCode::SERVICE_UNAVAILABLE || *retry),
        "every 503 says when to come back"
    );
    // Generous bounds for a shared 2-core machine and a debug build; the figures are
    // printed above.
    assert!(
        *slowest < Duration::from_secs(2),
        "slowest page {slowest:?}"
    );
    assert!(
        peak_rss - rss_before < 200.0,
        "RSS grew from {rss_before:.0} to {peak_rss:.0} MiB"
    );
    assert_eq!(
        app.count_where("users", "email = 'ada.admin@example.com'"),
        1
    );
}

#[actix_web::test]
async fn signups_are_limited_per_address_before_any_hashing() {
    let app = TestApp::spawn_with(|config| {
        config.limits = teamwork::config::Limits::default();
        // A proxy range that does not include the test's own address.
        config.trusted_proxies = teamwork::domain::client_ip::parse_proxies("10.0.0.0/8").unwrap();
    })
    .await;
    for i in 0..5 {
        let client = app.client();
        let email = format!("person{i}@example.com");
        let response = client.signup("Person", &email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "sign-up {i}");
    }
    // The sixth from the same address, pretending to come from elsewhere: the header
    // is not believed from a peer that is not a trusted proxy.
    let client = app.client();
    let token = token_of(&client).await;
    let response = post_from(
        &client,
        &token,
        "/signup",
        &[
            ("name", "Person"),
            ("email", "person5@example.com"),
            ("password", PASSWORD),
        ],
        Some("203.0.113.50"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(app.count("users"), 5, "no account past the limit");
    assert_eq!(
        app.count_where("outbox", "kind = 'email_verification'"),
        5,
        "no confirmation mail past the limit"
    );
}

#[actix_web::test]
async fn fifty_parallel_wrong_passwords_get_exactly_the_limit_checked() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let attacker = app.client();
    let token = token_of(&attacker).await;
    let guesses = (0..50).map(|i| {
        let (attacker, token) = (&attacker, &token);
        async move {
            let password = format!("guess number {i}");
            post_from(
                attacker,
                token,
                "/login",
                &[("email", "ada@example.com"), ("password", &password)],
                None,
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    println!(
        "login throttle: 50 parallel wrong passwords: {checked} checked against the password, {refused} refused (limit 10 per 15 minutes)"
    );
    assert_eq!(checked, 10, "{statuses:?}");
    assert_eq!(refused, 40);
    assert_eq!(app.count("login_failures"), 10);
    // The owner, from the same address, waits like the attacker does.
    let response = attacker.login("ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn failures_from_a_shared_address_or_from_elsewhere_do_not_lock_out_an_account() {
    let app = TestApp::spawn_with(trusting_localhost).await;
    app.signed_up("Ada").await;
    app.signed_up("Bob").await;
    let office = app.client();
    let token = token_of(&office).await;
    // Someone in the office mistypes made-up accounts ten times...
    for i in 0..10 {
        let email = format!("nobody{i}@example.com");
        let response = post_from(
            &office,
            &token,
            "/login",
            &[("email", &email), ("password", "wrong password")],
            Some("192.0.2.10"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // ...and a colleague behind the same address still gets in.
    let colleague = app.client();
    let token = token_of(&colleague).await;
    let response = post_from(
        &colleague,
        &token,
        "/login",
        &[("email", "bob@example.com"), ("password", PASSWORD)],
        Some("192.0.2.10"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "shared address");

    // An attacker elsewhere exhausts Ada's attempts from their own address...
    let attacker = app.client();
    let token = token_of(&attacker).await;
    for _ in 0..11 {
        post_from(
            &attacker,
            &token,
            "/login",
            &[("email", "ada@example.com"), ("password", "wrong password")],
            Some("203.0.113.66"),
        )
        .await;
    }
    let response = post_from(
        &attacker,
        &token,
        "/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
        Some("203.0.113.66"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...and Ada, from home, is slowed down but gets in.
    let ada = app.client();
    let token = token_of(&ada).await;
    let started = Instant::now();
    let response = post_from(
        &ada,
        &token,
        "/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
        Some("198.51.100.20"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "owner elsewhere");
    assert!(started.elapsed() >= Duration::from_secs(1), "slowed down");
}

#[actix_web::test]
async fn an_address_signed_up_by_someone_else_is_not_confirmed_by_its_owner_clicking_the_link() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    // The attacker signs up with the victim's address and a password of their own.
    let attacker = app.client();
    let response = attacker
        .sign_up_and_log_in("Victim", "victim@example.com", "attacker password 1")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The victim gets the unsolicited mail and clicks "Confirm", signed out.
    let confirm = app
        .mailed_path("victim@example.com", "/verify-email/", 1)
        .await;
    let victim = app.client();
    assert_eq!(victim.get(&confirm).await.status(), StatusCode::OK);
    let clicked = victim.post_form(&confirm, &[]).await;
    assert_eq!(clicked.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&clicked).starts_with("/login?next=/verify-email/"),
        "asked to log in to that account"
    );
    // Signed in as another account, the link does nothing either.
    let clicked = admin.post_form(&confirm, &[]).await;
    assert_eq!(clicked.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.count_where(
            "users",
            "email = 'victim@example.com' AND email_verified_at IS NOT NULL"
        ),
        0,
        "still unconfirmed"
    );

    // An administrator invites the victim. The join link goes to the victim's mailbox,
    // and opening it proves that mailbox (R14): the account holding the address accepts
    // in one step. The attacker never receives the link; the victim, without the
    // attacker's password, is asked to log in, and no other account can use the link.
    let invited = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "victim@example.com"), ("role", "viewer")],
        )
        .await;
    assert!(invited.status().is_success() || invited.status().is_redirection());
    let join = app.join_path("victim@example.com", 1).await;
    assert!(victim.get_text(&join).await.contains("Log in to accept"));
    let signed_out = victim.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(
        location(&signed_out),
        join,
        "back to the link, nothing taken"
    );
    let other = admin.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(other.status(), StatusCode::CONFLICT, "another account");
    assert_eq!(app.role_of(&slug, "victim@example.com"), None);
    assert_eq!(
        attacker
            .get(&format!("/orgs/{slug}/members"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The victim takes the address back by resetting the password, which proves the
    // mailbox and ends the attacker's session, then joins.
    let forgot = victim
        .post_form("/password/forgot", &[("email", "victim@example.com")])
        .await;
    assert!(forgot.status().is_success() || forgot.status().is_redirection());
    let reset = app
        .mailed_path("victim@example.com", "/password/reset/", 1)
        .await;
    let reset = victim
        .post_form(&reset, &[("password", "the victim's own password")])
        .await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        attacker.get("/orgs/new").await.status(),
        StatusCode::SEE_OTHER,
        "the attacker's session ended"
    );
    let victim = app.client();
    assert_eq!(
        victim
            .login("victim@example.com", "the victim's own password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let joined = victim.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.role_of(&slug, "victim@example.com"),
        Some(teamwork::domain::Role::Viewer)
    );
}

#[actix_web::test]
async fn nul_bytes_in_a_path_or_query_get_400_not_a_database_error() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    for path in [
        "/orgs/%00/members".to_owned(),
        format!("/orgs/{slug}/members?q=%00"),
        format!("/orgs/{slug}/activity?action=%00"),
        "/login?next=/%00".to_owned(),
        "/invitations/inv_%00".to_owned(),
    ] {
        let response = admin.get(&path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let anonymous = app.client().get("/verify-email/%00").await;
    assert_eq!(anonymous.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        admin
            .get(&format!("/orgs/{slug}/members?q=100"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn an_address_the_mail_library_would_refuse_takes_no_invitation() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let response = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[
                ("emails", "\"<script>alert(3)</script>\"@x-test.example"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert!(!response.status().is_server_error());
    assert_eq!(app.count("invitations"), 0, "no seat taken");
    assert_eq!(app.count_where("outbox", "kind = 'invitation'"), 0);
}

#[actix_web::test]
async fn squatted_numbered_slugs_do_not_block_an_organization_name() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    // Someone took `acme` and `acme-2` ... `acme-1000` ahead of Ada.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO organizations (id, name, slug) \
             SELECT gen_random_uuid(), 'Acme', CASE WHEN n = 1 THEN 'acme' ELSE 'acme-' || n END \
             FROM generate_series(1, 1000) n",
        ),
        &mut app.conn(),
    )
    .unwrap();
    let started = Instant::now();
    let slug = ada.create_org("Acme").await;
    println!(
        "slug squatting: created {slug:?} in {:.0?} with acme..acme-1000 taken",
        started.elapsed()
    );
    assert!(
        slug.starts_with("acme-") && slug.len() == "acme-".len() + 6,
        "{slug}"
    );
}

#[actix_web::test]
async fn an_unconfirmed_account_sends_at_most_ten_invitation_emails_a_day_in_all_its_organizations()
{
    let app = TestApp::spawn_with(|config| {
        config.limits.unverified_invitations_per_day =
            teamwork::config::Limits::default().unverified_invitations_per_day;
    })
    .await;
    // Never confirms the address (`admin_with_org` would confirm it).
    let mallory = app.signed_up("Ada Admin").await;
    let first = mallory.create_org("First").await;
    let second = mallory.create_org("Second").await;
    app.unlimited_seats(&first);
    app.unlimited_seats(&second);
    let invite = |slug: &str, emails: String| {
        let path = format!("/orgs/{slug}/invitations");
        let mallory = &mallory;
        async move {
            mallory
                .post_form(&path, &[("emails", &emails), ("role", "viewer")])
                .await
        }
    };
    let addresses = |from: usize, to: usize| {
        (from..to)
            .map(|i| format!("target{i}@elsewhere.example"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert!(invite(&first, addresses(0, 6)).await.status().is_success());
    assert!(
        invite(&second, addresses(6, 10))
            .await
            .status()
            .is_success()
    );
    assert_eq!(app.count("invitations"), 10);
    // The eleventh, in either organization, new or resent, is refused and sends nothing.
    let refused = invite(&second, addresses(10, 11)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = refused.text().await.unwrap();
    assert!(page.contains("confirm your email address") && page.contains("Send the link again"));
    let id: uuid::Uuid = {
        use diesel::prelude::*;
        teamwork::schema::invitations::table
            .select(teamwork::schema::invitations::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let slug_of_id = if app.count_where(
        "invitations",
        &format!("id = '{id}' AND org_id = '{}'", app.org_id(&first)),
    ) == 1
    {
        first.clone()
    } else {
        second.clone()
    };
    let resent = mallory
        .post_form(&format!("/orgs/{slug_of_id}/invitations/{id}/resend"), &[])
        .await;
    assert_eq!(resent.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("invitations"), 10);
    assert_eq!(app.count_where("outbox", "kind = 'invitation'"), 10);
    // Confirming the address lifts the limit to the ordinary one.
    app.confirm_email(&mallory, "ada.admin@example.com").await;
    assert!(
        invite(&second, addresses(10, 11))
            .await
            .status()
            .is_success()
    );
    assert_eq!(app.count("invitations"), 11);
}

#[actix_web::test]
async fn a_name_in_a_subject_line_is_short_plain_text() {
    let app = TestApp::spawn().await;
    let mallory = app.client();
    let name = "URGENT your account is suspended: call +1 555 0100 or visit evil.example today";
    assert_eq!(
        mallory
            .sign_up_and_log_in(name, "mallory@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let slug = mallory.create_org("Acme").await;
    mallory
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "victim@example.com"), ("role", "viewer")],
        )
        .await;
    app.join_path("victim@example.com", 1).await;
    let mail = app
        .smtp
        .messages()
        .into_iter()
        .find(|m| m.to.iter().any(|t| t == "victim@example.com"))
        .unwrap();
    println!("subject: {:?}", mail.subject);
    let inviter = mail.subject.split(" invited you").next().unwrap();
    assert!(inviter.chars().count() <= 60, "{inviter:?}");
    assert!(
        !inviter.contains(':') && !inviter.contains('+'),
        "{inviter:?}"
    );
    assert!(
        mail.subject
            .ends_with("invited you to join Acme on Teamwork")
    );
}

fn balance_micro(app: &TestApp, slug: &str) -> i64 {
    use diesel::prelude::*;
    teamwork::schema::billing_accounts::table
        .find(app.org_id(slug))
        .select(teamwork::schema::billing_accounts::balance_micro)
        .first(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn one_usage_report_cannot_sink_an_organization_into_unbounded_debt() {
    use crate::projects::{create_key, create_project, report};
    use serde_json::json;
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &project, "production").await;
    let before = balance_micro(&app, &slug);
    let events = || app.count("usage_events");

    // The review's report: an unlisted model, 10^9 tokens each way.
    let huge = json!({ "model": "unlisted-model", "input_tokens": 1_000_000_000u64, "output_tokens": 1_000_000_000u64 });
    let response = report(&app, &key, huge).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // At the cap, but far beyond what the balance and the overdraft cover.
    let capped = json!({ "model": "unlisted-model", "input_tokens": 10_000_000, "output_tokens": 10_000_000 });
    let response = report(&app, &key, capped).await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(events(), 0, "nothing recorded");
    assert_eq!(balance_micro(&app, &slug), before);

    // A report that ends within the overdraft is charged; then the balance is spent.
    let within =
        json!({ "model": "unlisted-model", "input_tokens": 0, "output_tokens": 2_500_000 });
    let response = report(&app, &key, within).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let after = balance_micro(&app, &slug);
    let overdraft = teamwork::config::Limits::default().overdraft_micro;
    println!(
        "usage: 2x10^9 tokens -> 400; 2x10^7 -> 402, nothing recorded; balance {before} -> {after} micro-credits (overdraft limit {overdraft})"
    );
    assert!(after < 0 && after >= -overdraft, "{after}");
    let response = report(
        &app,
        &key,
        json!({ "model": "gpt-small", "input_tokens": 1, "output_tokens": 1 }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(events(), 1);
}

#[actix_web::test]
async fn billing_managers_see_no_key_prefixes_and_project_viewers_no_pending_addresses() {
    use crate::projects::{create_key, create_project, report};
    use teamwork::domain::{ProjectRole, Role};
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    let website = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &website, "production").await;
    let body = serde_json::json!({ "model": "gpt-small", "input_tokens": 10, "output_tokens": 10 });
    assert_eq!(report(&app, &key, body).await.status(), StatusCode::CREATED);
    let prefix: String = {
        use diesel::prelude::*;
        teamwork::schema::api_keys::table
            .select(teamwork::schema::api_keys::prefix)
            .first(&mut app.conn())
            .unwrap()
    };
    let billing = app
        .member_with_role(&slug, "Bill Payer", Role::BillingManager)
        .await;
    let page = billing.get_text(&format!("/orgs/{slug}/usage")).await;
    assert!(page.contains("production"), "the key's name stays");
    assert!(!page.contains(&prefix), "no prefix on the page");
    let csv = billing.get_text(&format!("/orgs/{slug}/usage.csv")).await;
    assert!(
        csv.contains("production") && !csv.contains(&prefix),
        "{csv}"
    );
    // A developer still sees it.
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    assert!(
        dev.get_text(&format!("/orgs/{slug}/usage"))
            .await
            .contains(&prefix)
    );

    // A project-only viewer does not see whom the project is inviting.
    let response = admin
        .post_form(
            &format!("{website}/invitations"),
            &[
                ("emails", "carla@contractor.example"),
                ("role", "developer"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let project_id: uuid::Uuid = website.rsplit('/').next().unwrap().parse().unwrap();
    let viewer = app
        .project_only_member(&slug, project_id, "Vic Viewer", ProjectRole::Viewer)
        .await;
    let page = viewer.get(&website).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        !page
            .text()
            .await
            .unwrap()
            .contains("carla@contractor.example")
    );
    assert!(
        admin
            .get_text(&website)
            .await
            .contains("carla@contractor.example")
    );
}

#[actix_web::test]
async fn organizations_of_unconfirmed_accounts_get_no_credits_and_confirmed_ones_once_a_month() {
    let app = TestApp::spawn().await;
    let farmer = app.signed_up("Farmer").await;
    let started = Instant::now();
    let mut slugs = Vec::new();
    for i in 0..20 {
        slugs.push(farmer.create_org(&format!("Farm {i}")).await);
    }
    let took = started.elapsed();
    let total: i64 = slugs.iter().map(|s| balance_micro(&app, s)).sum();
    println!(
        "credit farming: 20 organizations of an unconfirmed account in {took:.1?}: {total} micro-credits in all"
    );
    assert_eq!(total, 0);
    assert_eq!(app.count_where("credit_ledger", "kind = 'grant'"), 0);
    let page = farmer
        .get_text(&format!("/orgs/{}/members", slugs[19]))
        .await;
    assert!(page.contains("created with 0 credits"), "a clear note");

    // Once confirmed: the next organization gets the starting credits, the one after
    // that does not, until 30 days have passed.
    app.confirm_email(&farmer, "farmer@example.com").await;
    let first = farmer.create_org("Real Co").await;
    assert_eq!(balance_micro(&app, &first), 25_000_000);
    let second = farmer.create_org("Second Co").await;
    assert_eq!(balance_micro(&app, &second), 0);
    app.clock
        .advance(chrono::Duration::days(30) + chrono::Duration::seconds(1));
    let later = farmer.create_org("Later Co").await;
    assert_eq!(balance_micro(&app, &later), 25_000_000);
}

#[actix_web::test]
async fn a_sign_up_with_a_taken_address_tells_its_holder_once_an_hour() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    for _ in 0..3 {
        let response = app
            .client()
            .signup("Mallory", "ada@example.com", "another password 1")
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let notice = app
        .mail_with_subject(
            "ada@example.com",
            "Someone tried to sign up to Teamwork with your address",
        )
        .await;
    assert!(notice.raw.contains("/password/forgot"));
    assert_eq!(app.count_where("outbox", "kind = 'signup_attempt'"), 1);
    assert_eq!(app.count("users"), 1);
}
