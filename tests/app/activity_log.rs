//! The Activity log: who may read it, its sentences, filters, keyset pages, exports.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use teamwork::domain::{ProjectRole, Role};
use teamwork::schema::{activity, memberships};
use uuid::Uuid;

use crate::helpers::{TestApp, TestClient, location};

const PASSWORD: &str = "correct horse battery";

fn log(slug: &str) -> String {
    format!("/orgs/{slug}/activity")
}

/// The sentences of a page or fragment, newest first, as a person reads them.
fn sentences(html: &str) -> Vec<String> {
    let doc = Html::parse_fragment(html);
    let summary = Selector::parse("tr[id^=entry-] details.entry > summary").unwrap();
    doc.select(&summary)
        .map(|s| s.text().collect::<String>())
        .collect()
}

/// The entry ids of a page or fragment, in order.
fn entry_ids(html: &str) -> Vec<Uuid> {
    let doc = Html::parse_fragment(html);
    let row = Selector::parse("tr[id^=entry-]").unwrap();
    doc.select(&row)
        .map(|r| {
            let id = r.value().id().unwrap().trim_start_matches("entry-");
            Uuid::parse_str(id).unwrap()
        })
        .collect()
}

/// The href of the first link with exactly this text.
fn link(html: &str, text: &str) -> Option<String> {
    let doc = Html::parse_fragment(html);
    let a = Selector::parse("a").unwrap();
    doc.select(&a)
        .find(|a| a.text().collect::<String>().trim() == text)
        .and_then(|a| a.value().attr("href").map(str::to_owned))
}

/// The `data-hx-get` of the "Load more" button, if any.
fn load_more(html: &str) -> Option<String> {
    let doc = Html::parse_fragment(html);
    let button = Selector::parse("#activity-more button[data-hx-get]").unwrap();
    doc.select(&button)
        .next()
        .and_then(|b| b.value().attr("data-hx-get").map(str::to_owned))
}

async fn get_hx(client: &TestClient, path: &str, target: &str) -> reqwest::Response {
    client
        .http
        .get(client.url(path))
        .header("HX-Request", "true")
        .header("HX-Target", target)
        .send()
        .await
        .unwrap()
}

/// Signs up a person with any name (names that are not email-friendly included) and
/// makes them a member with `role`.
async fn person(app: &TestApp, slug: &str, name: &str, email: &str, role: Role) -> TestClient {
    let client = app.client();
    let response = client.sign_up_and_log_in(name, email, PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "signup of {email}"
    );
    diesel::insert_into(memberships::table)
        .values((
            memberships::id.eq(Uuid::now_v7()),
            memberships::org_id.eq(app.org_id(slug)),
            memberships::user_id.eq(app.user_id(email)),
            memberships::role.eq(role),
        ))
        .execute(&mut app.conn())
        .unwrap();
    crate::helpers::recount(&mut app.conn(), app.org_id(slug));
    client
}

/// An entry written straight into the table (inserts are allowed; only changes are refused).
struct Fixture<'a> {
    at: DateTime<Utc>,
    actor: Option<Uuid>,
    actor_name: &'a str,
    action: &'a str,
    target: Option<Uuid>,
    target_label: &'a str,
}

impl Fixture<'_> {
    fn id(&self) -> Uuid {
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            self.at.timestamp() as u64,
            self.at.timestamp_subsec_nanos(),
        );
        Uuid::new_v7(ts)
    }
}

fn insert(app: &TestApp, slug: &str, fixtures: &[Fixture]) -> Vec<Uuid> {
    let org_id = app.org_id(slug);
    let mut ids = Vec::new();
    let rows: Vec<_> = fixtures
        .iter()
        .map(|f| {
            let id = f.id();
            ids.push(id);
            (
                activity::id.eq(id),
                activity::org_id.eq(org_id),
                activity::actor_id.eq(f.actor),
                activity::actor_name.eq(f.actor_name),
                activity::action.eq(f.action),
                activity::target_type.eq("member"),
                activity::target_id.eq(f.target),
                activity::target_label.eq(f.target_label),
                activity::created_at.eq(f.at),
            )
        })
        .collect();
    let mut conn = app.conn();
    for chunk in rows.chunks(1000) {
        diesel::insert_into(activity::table)
            .values(chunk)
            .execute(&mut conn)
            .unwrap();
    }
    ids
}

/// `n` entries by Ada, a minute apart, ending an hour ago.
fn insert_many(app: &TestApp, slug: &str, n: i64) -> Vec<Uuid> {
    let ada = app.user_id("ada.admin@example.com");
    let start = Utc::now() - Duration::hours(1) - Duration::minutes(n);
    let fixtures: Vec<Fixture> = (0..n)
        .map(|i| Fixture {
            at: start + Duration::minutes(i),
            actor: Some(ada),
            actor_name: "Ada Admin",
            action: "invitation.sent",
            target: None,
            target_label: "someone@example.com",
        })
        .collect();
    insert(app, slug, &fixtures)
}

/// Every entry id of the organization, newest first.
fn all_ids(app: &TestApp, slug: &str) -> Vec<Uuid> {
    activity::table
        .filter(activity::org_id.eq(app.org_id(slug)))
        .order(activity::id.desc())
        .select(activity::id)
        .load(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn only_administrators_and_viewers_open_the_activity_log_and_its_exports() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let developer = app.member_with_role(&slug, "Dev", Role::Developer).await;
    let billing = app
        .member_with_role(&slug, "Bill", Role::BillingManager)
        .await;
    let viewer = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let project = crate::projects::create_project(&admin, &slug, "Apollo").await;
    let project_id = Uuid::parse_str(project.rsplit('/').next().unwrap()).unwrap();
    let contractor = app
        .project_only_member(&slug, project_id, "Carl", ProjectRole::Developer)
        .await;
    let outsider = app.signed_up("Mallory").await;
    let anonymous = app.client();
    let paths = [
        log(&slug),
        format!("{}/export.csv", log(&slug)),
        format!("{}/export.jsonl", log(&slug)),
        format!("{}?action=members&member={}", log(&slug), Uuid::now_v7()),
    ];
    let entries = app.count("activity");
    let outbox = app.count("outbox");
    for path in &paths {
        let response = anonymous.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login?next="), "{path}");
        for hidden in [&outsider, &contractor] {
            assert_eq!(
                hidden.get(path).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        for denied in [&developer, &billing] {
            assert_eq!(
                denied.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        for allowed in [&admin, &viewer] {
            assert_eq!(allowed.get(path).await.status(), StatusCode::OK, "{path}");
        }
    }
    assert_eq!(app.count("activity"), entries, "reading writes no entry");
    assert_eq!(app.count("outbox"), outbox);

    let members_page = format!("/orgs/{slug}/members");
    for (client, sees) in [
        (&admin, true),
        (&viewer, true),
        (&developer, false),
        (&billing, false),
        (&contractor, false),
    ] {
        let page = client.get_text(&project).await;
        assert_eq!(
            page.contains(&format!("href=\"{}\"", log(&slug))),
            sees,
            "sidebar link"
        );
        if !sees {
            continue;
        }
        let page = client.get_text(&members_page).await;
        assert_eq!(
            page.contains(&format!("href=\"{}\"", log(&slug))),
            sees,
            "sidebar link"
        );
    }
}

#[actix_web::test]
async fn member_actions_done_through_the_console_read_as_sentences() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let renamed = admin
        .post_form(&format!("/orgs/{slug}/settings"), &[("name", "Acme Labs")])
        .await;
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    let _vera = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let change = admin
        .post_form(
            &format!(
                "/orgs/{slug}/members/{}/role",
                app.user_id("vera@example.com")
            ),
            &[("role", "developer")],
        )
        .await;
    assert_eq!(change.status(), StatusCode::SEE_OTHER);

    let invite = |emails: &'static str, role: &'static str| {
        let (admin, slug) = (&admin, &slug);
        async move {
            let response = admin
                .post_form(
                    &format!("/orgs/{slug}/invitations"),
                    &[("emails", emails), ("role", role)],
                )
                .await;
            assert!(response.status().is_success() || response.status().is_redirection());
        }
    };
    invite("grace@example.com", "developer").await;
    invite("alan@example.com", "viewer").await;
    let invitation_of = |email: &str| -> Uuid {
        use teamwork::schema::invitations;
        invitations::table
            .filter(invitations::email.eq(email))
            .select(invitations::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let resend = admin
        .post_form(
            &format!(
                "/orgs/{slug}/invitations/{}/resend",
                invitation_of("grace@example.com")
            ),
            &[],
        )
        .await;
    assert_eq!(resend.status(), StatusCode::SEE_OTHER);
    let cancel = admin
        .post_form(
            &format!(
                "/orgs/{slug}/invitations/{}/cancel",
                invitation_of("alan@example.com")
            ),
            &[],
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::SEE_OTHER);

    let join = app.join_path("grace@example.com", 2).await;
    let grace = app.client();
    let joined = grace
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Grace Hopper"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    let removed = admin
        .post_form(
            &format!(
                "/orgs/{slug}/members/{}/remove",
                app.user_id("vera@example.com")
            ),
            &[],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let left = grace.post_form(&format!("/orgs/{slug}/leave"), &[]).await;
    assert_eq!(left.status(), StatusCode::SEE_OTHER);

    let page = admin.get_text(&log(&slug)).await;
    assert_eq!(
        sentences(&page),
        [
            "Grace Hopper left the organization",
            "Ada Admin removed Vera (Developer) from the organization",
            "Grace Hopper accepted the invitation and joined as Developer",
            "Ada Admin cancelled the invitation to alan@example.com",
            "Ada Admin resent the invitation to grace@example.com",
            "Ada Admin invited alan@example.com as Viewer",
            "Ada Admin invited grace@example.com as Developer",
            "Ada Admin changed Vera's role from Viewer to Developer",
            "Ada Admin renamed the organization from Acme to Acme Labs",
            "Ada Admin created the organization Acme",
        ]
    );
    // The overview's "Recent activity" reads the same sentences.
    let overview = Html::parse_document(&admin.get_text(&format!("/orgs/{slug}")).await);
    let item = Selector::parse("main [aria-labelledby=overview-activity] li").unwrap();
    let recent: Vec<String> = overview
        .select(&item)
        .map(|li| li.text().collect::<String>())
        .collect();
    assert!(
        recent[0].starts_with("Grace Hopper left the organization "),
        "{recent:?}"
    );
    let doc = Html::parse_document(&page);
    let time = Selector::parse("tr[id^=entry-] time").unwrap();
    let first = doc.select(&time).next().unwrap().value();
    assert_eq!(
        doc.select(&time).next().unwrap().text().collect::<String>(),
        "just now"
    );
    let exact = first.attr("title").unwrap();
    assert!(
        exact.ends_with(" UTC") && first.attr("datetime").unwrap().ends_with('Z'),
        "{exact}"
    );
    let details = Selector::parse("tr[id^=entry-] details dd").unwrap();
    let shown: Vec<String> = doc.select(&details).map(|d| d.text().collect()).collect();
    assert!(
        shown.iter().any(|d| d == "127.0.0.1"),
        "the IP is shown on expand"
    );
}

#[actix_web::test]
async fn project_key_and_billing_actions_done_through_the_console_read_as_sentences() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = crate::projects::create_project(&admin, &slug, "Apollo").await;
    let ok = |response: reqwest::Response| {
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "{}",
            response.url()
        );
    };
    ok(admin
        .post_form(&format!("{project}/rename"), &[("name", "Artemis")])
        .await);
    crate::projects::create_key(&admin, &project, "deploy").await;
    let key_id: Uuid = teamwork::schema::api_keys::table
        .select(teamwork::schema::api_keys::id)
        .first(&mut app.conn())
        .unwrap();
    ok(admin
        .post_form(
            &format!("{project}/keys/{key_id}/rotate"),
            &[("overlap", "24")],
        )
        .await);
    ok(admin
        .post_form(&format!("{project}/keys/{key_id}/revoke"), &[])
        .await);
    ok(admin
        .post_form(
            &format!("{project}/invitations"),
            &[("emails", "carl@example.com"), ("role", "developer")],
        )
        .await);
    let join = app.join_path("carl@example.com", 1).await;
    ok(app
        .client()
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Carl Contractor"), ("password", PASSWORD)],
        )
        .await);
    let carl = app.user_id("carl@example.com");
    ok(admin
        .post_form(
            &format!("{project}/access/{carl}/role"),
            &[("role", "viewer")],
        )
        .await);
    ok(admin
        .post_form(&format!("{project}/access/{carl}/remove"), &[])
        .await);
    ok(admin
        .post_form(
            &format!("/orgs/{slug}/billing/credits"),
            &[("amount", "1250.50"), ("reference", "INV-42")],
        )
        .await);
    ok(admin
        .post_form(&format!("/orgs/{slug}/billing/plan"), &[("plan", "team")])
        .await);
    ok(admin.post_form(&format!("{project}/archive"), &[]).await);

    let page = admin
        .get_text(&format!("{}?action=invitations", log(&slug)))
        .await;
    assert_eq!(
        sentences(&page),
        ["Ada Admin invited carl@example.com as Developer to the project Artemis"]
    );
    let page = admin.get_text(&log(&slug)).await;
    // Key prefixes are random: "tw_live_" and 8 characters.
    let shown: Vec<String> = sentences(&page)
        .into_iter()
        .map(|s| match s.find("tw_live_") {
            Some(at) => format!("{}tw_live_…{}", &s[..at], &s[at + 16..]),
            None => s,
        })
        .collect();
    assert_eq!(
        shown,
        [
            "Ada Admin archived the project Artemis",
            "Ada Admin changed the plan from Free to Team",
            "Ada Admin added 1,250.50 credits (payment reference INV-42)",
            "Ada Admin took away Carl Contractor's access to the project Artemis",
            "Ada Admin changed Carl Contractor's access to the project Artemis from Developer to Viewer",
            "Carl Contractor accepted the invitation and joined the project Artemis as Developer",
            "Ada Admin invited carl@example.com as Developer to the project Artemis",
            "Ada Admin revoked the API key deploy in the project Artemis",
            "Ada Admin rotated the API key deploy (new prefix tw_live_…) and kept the old key working for 24 hours",
            "Ada Admin created the API key deploy starting with tw_live_… in the project Artemis",
            "Ada Admin renamed the project from Apollo to Artemis",
            "Ada Admin created the project Apollo",
            "Ada Admin created the organization Acme",
        ]
    );
}

#[actix_web::test]
async fn names_stay_as_they_were_recorded_after_a_person_is_renamed() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Vera", Role::Viewer).await;
    admin
        .post_form(
            &format!(
                "/orgs/{slug}/members/{}/role",
                app.user_id("vera@example.com")
            ),
            &[("role", "billing_manager")],
        )
        .await;
    diesel::sql_query("UPDATE users SET name = 'Someone Else ' || name")
        .execute(&mut app.conn())
        .unwrap();
    let page = admin.get_text(&log(&slug)).await;
    assert_eq!(
        sentences(&page)[0],
        "Ada Admin changed Vera's role from Viewer to Billing Manager"
    );
    let found = admin
        .get_text(&format!("{}/people?member_q=vera", log(&slug)))
        .await;
    assert!(
        found.contains("Someone Else Vera"),
        "the member search shows current names"
    );
}

#[actix_web::test]
async fn filters_by_action_member_and_dates_narrow_exactly() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let (ada, vera, former) = (
        app.user_id("ada.admin@example.com"),
        app.user_id("vera@example.com"),
        {
            // Someone who acted in the log and is no longer a member.
            app.signed_up("Fred Former").await;
            app.user_id("fred.former@example.com")
        },
    );
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 10, d, h, 0, 0).unwrap();
    #[rustfmt::skip]
    let fixtures = [
        (day(1, 9),  ada,    "Ada Admin",   "member.role_changed",    Some(vera),   "Vera"),
        (day(2, 0),  former, "Fred Former", "api_key.created",        None,         "deploy"),
        (day(2, 23), vera,   "Vera",        "project_access.granted", Some(former), "Fred"),
        (day(3, 12), ada,    "Ada Admin",   "project.created",        None,         "Apollo"),
        (day(4, 8),  vera,   "Vera",        "member.left",            Some(vera),   "Vera"),
    ];
    let fixtures = fixtures.map(
        |(at, actor, actor_name, action, target, target_label)| Fixture {
            at,
            actor: Some(actor),
            actor_name,
            action,
            target,
            target_label,
        },
    );
    let ids = insert(&app, &slug, &fixtures);
    let expect = |query: &str, wanted: &[usize]| {
        let admin = &admin;
        let slug = &slug;
        let ids = &ids;
        let query = query.to_owned();
        let wanted: Vec<Uuid> = wanted.iter().rev().map(|i| ids[*i]).collect();
        async move {
            let page = admin.get_text(&format!("{}?{query}", log(slug))).await;
            let shown: Vec<Uuid> = entry_ids(&page)
                .into_iter()
                .filter(|id| ids.contains(id))
                .collect();
            assert_eq!(shown, wanted, "?{query}");
        }
    };
    expect("action=member.role_changed", &[0]).await;
    expect("action=projects", &[2, 3]).await;
    expect("action=members", &[0, 4]).await;
    expect("action=api_keys", &[1]).await;
    expect(&format!("member={}", vera), &[0, 2, 4]).await;
    expect(&format!("member={}", former), &[1, 2]).await;
    expect(&format!("member={}&action=projects", vera), &[2]).await;
    expect("from=2026-10-02&to=2026-10-02", &[1, 2]).await;
    expect("from=2026-10-03", &[3, 4]).await;
    expect("to=2026-10-01", &[0]).await;
    expect(
        &format!("member={}&from=2026-10-02&to=2026-10-03", ada),
        &[3],
    )
    .await;
    expect(
        "action=nonsense&member=nope&from=yesterday",
        &[0, 1, 2, 3, 4],
    )
    .await;

    // The member search finds past actors by name or email, as links that apply the
    // filter and keep the others; the page without JavaScript lists the same.
    for path in [
        format!("{}/people?member_q=FORMER&action=api_keys", log(&slug)),
        format!("{}?member_q=fred.former%40&action=api_keys", log(&slug)),
    ] {
        let page = admin.get_text(&path).await;
        let doc = Html::parse_document(&page);
        let result = Selector::parse("#member-results li").unwrap();
        let results: Vec<String> = doc
            .select(&result)
            .map(|li| {
                li.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            results,
            ["Fred Former fred.former@example.com · former member"],
            "{path}"
        );
        assert_eq!(
            link(&page, "Fred Former").unwrap(),
            format!("/orgs/{slug}/activity?action=api_keys&member={former}")
        );
    }
    let none = admin
        .get_text(&format!("{}/people?member_q=nobody", log(&slug)))
        .await;
    assert!(none.contains("No member or former member matches"));
    let chosen = admin
        .get_text(&format!("{}?member={former}", log(&slug)))
        .await;
    assert!(chosen.contains("<strong>Fred Former</strong>") && chosen.contains("Show everyone"));

    // A filtered view is a shareable URL, and htmx gets only the list.
    let query = format!("action=projects&member={}", vera);
    let fragment = get_hx(&admin, &format!("{}?{query}", log(&slug)), "activity-list")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        fragment
            .trim_start()
            .starts_with("<div id=\"activity-list\"")
    );
    assert_eq!(sentences(&fragment), ["Vera gave Fred access to a project"]);
    let export = link(&fragment, "Export CSV").unwrap();
    assert_eq!(
        export,
        format!("/orgs/{slug}/activity/export.csv?{query}"),
        "the export keeps the filter"
    );
}

#[actix_web::test]
async fn keyset_pages_return_every_entry_exactly_once() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    insert_many(&app, &slug, 130);
    let expected = all_ids(&app, &slug);
    assert_eq!(expected.len(), 131);

    // Without JavaScript: "Older" links, 50 per page.
    let mut seen = Vec::new();
    let mut path = log(&slug);
    let mut pages = 0;
    loop {
        let page = admin.get_text(&path).await;
        let ids = entry_ids(&page);
        assert!(ids.len() <= 50);
        seen.extend(ids);
        pages += 1;
        match link(&page, "Older") {
            Some(older) => path = older,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected, "each entry once, newest first");

    // With htmx: "Load more" appends rows and replaces its own row.
    let first = admin.get_text(&log(&slug)).await;
    let mut seen = entry_ids(&first);
    let mut next = load_more(&first);
    while let Some(path) = next {
        let fragment = get_hx(&admin, &path, "activity-more")
            .await
            .text()
            .await
            .unwrap();
        assert!(fragment.trim_start().starts_with("<tr"), "rows, not a page");
        // Rows parse only inside a table, as htmx knows.
        let fragment = format!("<table><tbody>{fragment}</tbody></table>");
        seen.extend(entry_ids(&fragment));
        next = load_more(&fragment);
    }
    assert_eq!(seen, expected);
}

#[actix_web::test]
async fn the_csv_export_of_a_filtered_view_holds_exactly_its_rows() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let vera = app.user_id("vera@example.com");
    insert_many(&app, &slug, 1_200);
    admin
        .post_form(
            &format!("/orgs/{slug}/members/{vera}/role"),
            &[("role", "developer")],
        )
        .await;
    let wanted: Vec<Uuid> = activity::table
        .filter(activity::action.eq("invitation.sent"))
        .order(activity::id.desc())
        .select(activity::id)
        .load(&mut app.conn())
        .unwrap();

    let response = admin
        .get(&format!("{}/export.csv?action=invitations", log(&slug)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let today = Utc::now().format("%Y-%m-%d");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"{slug}-activity-{today}.csv\"").as_str()
    );
    let body = response.text().await.unwrap();
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,time,actor_id,actor,action,summary,target_type,target_id,target,before,after,ip,user_agent,\
         org_id,seq,created_at,personal,prev_hash,hash"
    );
    let ids: Vec<Uuid> = lines[1..]
        .iter()
        .map(|line| Uuid::parse_str(&line[..36]).unwrap())
        .collect();
    assert_eq!(ids, wanted, "1,200 rows across two chunks, none twice");
    assert!(lines[1].contains(",Ada Admin invited someone@example.com,"));
    let time = lines[1].split(',').nth(1).unwrap();
    assert!(
        DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
        "{time}"
    );

    let jsonl = admin
        .get(&format!("{}/export.jsonl?member={vera}", log(&slug)))
        .await;
    assert_eq!(
        jsonl.headers()["content-type"],
        "application/x-ndjson; charset=utf-8"
    );
    let body = jsonl.text().await.unwrap();
    let entries: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["summary"],
        "Ada Admin changed Vera's role from Viewer to Developer"
    );
    assert_eq!(entries[0]["before"]["role"], "viewer");
}

#[actix_web::test]
async fn csv_injection_payloads_in_names_come_out_neutralized() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let payload = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let mallory = person(&app, &slug, payload, "mallory@example.com", Role::Viewer).await;
    person(&app, &slug, "@SUM(1+1)", "sum@example.com", Role::Viewer).await;
    for email in ["mallory@example.com", "sum@example.com"] {
        admin
            .post_form(
                &format!("/orgs/{slug}/members/{}/role", app.user_id(email)),
                &[("role", "developer")],
            )
            .await;
    }
    mallory.post_form(&format!("/orgs/{slug}/leave"), &[]).await;

    let body = admin.get_text(&format!("{}/export.csv", log(&slug))).await;
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    // Mallory left: the actor cell is the payload.
    assert!(
        lines[1].contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",member.left,"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(",'@SUM(1+1)"), "{}", lines[2]);
    for line in &lines[1..] {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell starts a formula: {line}"
            );
        }
    }
}

#[actix_web::test]
async fn html_payloads_in_names_render_escaped() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let payload = "<img src=x onerror=alert(1)>";
    let mallory = person(&app, &slug, payload, "mallory@example.com", Role::Viewer).await;
    admin
        .post_form(
            &format!(
                "/orgs/{slug}/members/{}/role",
                app.user_id("mallory@example.com")
            ),
            &[("role", "developer")],
        )
        .await;
    mallory.post_form(&format!("/orgs/{slug}/leave"), &[]).await;
    let page = admin.get_text(&log(&slug)).await;
    assert!(!page.contains(payload) && !page.contains("<img"));
    let doc = Html::parse_document(&page);
    assert_eq!(doc.select(&Selector::parse("img").unwrap()).count(), 0);
    assert_eq!(
        sentences(&page)[..2],
        [
            format!("{payload} left the organization"),
            format!("Ada Admin changed {payload}'s role from Viewer to Developer"),
        ]
    );
}

/// The page costs the same number of SQL statements with 100 or 10,000 entries.
#[actix_web::test]
async fn the_activity_page_runs_a_constant_number_of_statements() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Vera", Role::Viewer).await;
    insert_many(&app, &slug, 100);
    let small = statements_for(&app, &admin, &slug).await;
    insert_many(&app, &slug, 9_900);
    let large = statements_for(&app, &admin, &slug).await;
    println!(
        "activity page: {small:?} statements with 101 entries, {large:?} with 10,001 (page, member filter, action group, load more)"
    );
    assert_eq!(small, large);
    // At most 6 for the page, and one for the sidebar's "Access health" badge.
    assert!(large.iter().all(|n| *n <= 7), "{large:?}");
}

async fn statements_for(app: &TestApp, admin: &TestClient, slug: &str) -> Vec<u64> {
    let vera = app.user_id("vera@example.com");
    let cursor = all_ids(app, slug)[60];
    let mut counts = Vec::new();
    for (query, target) in [
        (String::new(), None),
        (format!("?member={vera}"), None),
        ("?action=invitations".to_owned(), None),
        (format!("?before={cursor}"), Some("activity-more")),
    ] {
        let path = format!("{}{query}", log(slug));
        admin.get(&path).await; // warm the session's last-seen touch
        let before = app.db.statements();
        let response = match target {
            Some(target) => get_hx(admin, &path, target).await,
            None => admin.get(&path).await,
        };
        assert_eq!(response.status(), StatusCode::OK);
        counts.push(app.db.statements() - before);
    }
    counts
}
