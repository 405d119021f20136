//! `teamwork seed-demo`: a consistent demo organization whose accounts can sign in.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;
use teamwork::domain::{Access, Permission, ProjectRole, Role};
use teamwork::schema::{
    activity, api_keys, billing_accounts, credit_ledger, invitations, memberships, organizations,
    project_members, users,
};
use uuid::Uuid;

use crate::helpers::TestApp;

#[actix_web::test]
async fn the_demo_organization_is_consistent_and_its_people_can_sign_in() {
    let app = TestApp::spawn().await;
    let options = teamwork::seed::Options {
        members: 30,
        activity: 2_000,
        days: 10,
    };
    let printed = teamwork::seed::seed_demo(&app.db, &app.address, options)
        .await
        .unwrap();
    assert!(printed.contains(&format!("Sign in at {}/login", app.address)));
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

/// An entry as the story check reads it.
struct Entry {
    seq: i64,
    at: DateTime<Utc>,
    actor: Uuid,
    action: String,
    target: Option<Uuid>,
    before: Option<Value>,
    after: Option<Value>,
}

fn role_in(json: &Option<Value>) -> &str {
    json.as_ref()
        .and_then(|j| j["role"].as_str())
        .expect("a role")
}

/// What an entry's actor must have been allowed to do (PRODUCT.md's role table).
fn needed(action: &str) -> Permission {
    match action {
        "invitation.sent" | "invitation.resent" | "invitation.cancelled" => {
            Permission::ManageMembers
        }
        "member.role_changed" | "member.removed" => Permission::ManageMembers,
        "project_access.granted" | "project_access.changed" | "project_access.revoked" => {
            Permission::ManageProjectAccess
        }
        "project.created" => Permission::CreateProjects,
        "api_key.created" | "api_key.rotated" | "api_key.revoked" => Permission::ManageApiKeys,
        "billing.credits_added" | "billing.plan_changed" => Permission::ManageBilling,
        "member.left" => Permission::LeaveOrganization,
        other => panic!("seed-demo wrote an entry the story check does not know: {other}"),
    }
}

#[actix_web::test]
async fn the_demo_log_tells_a_true_story() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: teamwork::config::Settings,
    }
    let app = TestApp::spawn().await;
    // The printed links follow the configured address, wherever the console listens.
    let cli = Cli::try_parse_from([
        "teamwork",
        "--bind-addr",
        "127.0.0.1:9876",
        "--database-url",
        "postgres://unused",
    ])
    .unwrap();
    let config = teamwork::config::Config::from_settings(cli.settings).unwrap();
    let options = teamwork::seed::Options {
        members: 60,
        activity: 4_000,
        days: 40,
    };
    let printed = teamwork::seed::seed_demo(&app.db, &config.base_url, options)
        .await
        .unwrap();
    let seeded_by = Utc::now();
    assert!(
        printed.contains("Sign in at http://127.0.0.1:9876/login ")
            && printed.contains("curl -X POST http://127.0.0.1:9876/api/v1/usage "),
        "{printed}"
    );

    let mut conn = app.conn();
    let org: Uuid = organizations::table
        .filter(organizations::slug.eq("demo-co"))
        .select(organizations::id)
        .first(&mut conn)
        .unwrap();
    let entries: Vec<Entry> = activity::table
        .filter(activity::org_id.eq(org))
        .order(activity::seq)
        .select((
            activity::seq,
            activity::created_at,
            activity::actor_id,
            activity::action,
            activity::target_id,
            activity::before,
            activity::after,
        ))
        .load::<(
            i64,
            DateTime<Utc>,
            Option<Uuid>,
            String,
            Option<Uuid>,
            Option<Value>,
            Option<Value>,
        )>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|(seq, at, actor, action, target, before, after)| Entry {
            seq,
            at,
            actor: actor.expect("every seeded entry has an actor"),
            action,
            target,
            before,
            after,
        })
        .collect();
    assert_eq!(entries.len(), 4_000, "exactly the entries asked for");
    assert!(
        entries.windows(2).all(|w| w[0].at <= w[1].at),
        "the chain follows time"
    );
    for kind in [
        "member.role_changed",
        "member.removed",
        "member.left",
        "api_key.rotated",
        "invitation.cancelled",
        "billing.credits_added",
    ] {
        assert!(entries.iter().any(|e| e.action == kind), "some {kind}");
    }

    // Replay the log: who had which access when, and each key's prefix.
    let mut access: HashMap<Uuid, Access> = HashMap::new();
    let mut gone: HashSet<Uuid> = HashSet::new();
    let mut prefixes: HashMap<Uuid, String> = HashMap::new();
    let mut latest: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for e in &entries {
        let what = format!("entry #{} ({})", e.seq, e.action);
        latest.insert(e.actor, e.at);
        match e.action.as_str() {
            "organization.created" => {
                assert!(
                    access.is_empty(),
                    "{what}: the log starts with the founding"
                );
                access.insert(e.actor, Access::Org(Role::Administrator));
                continue;
            }
            "invitation.accepted" => {
                assert!(!access.contains_key(&e.actor), "{what}: joins once");
                let role = Role::parse(role_in(&e.after)).unwrap();
                access.insert(e.actor, Access::Org(role));
                continue;
            }
            _ => {}
        }
        let actor = access
            .get(&e.actor)
            .unwrap_or_else(|| panic!("{what}: by someone who is not a member"));
        assert!(
            actor.grant(needed(&e.action)).is_allowed(),
            "{what}: by {actor:?}, who may not"
        );
        let target = e.target.unwrap_or_default();
        match e.action.as_str() {
            "member.role_changed" => {
                let now = access.get_mut(&target).expect("a member's role changes");
                assert_eq!(
                    Access::Org(Role::parse(role_in(&e.before)).unwrap()),
                    *now,
                    "{what}: starts from the role the member has"
                );
                assert_ne!(role_in(&e.before), role_in(&e.after), "{what}");
                *now = Access::Org(Role::parse(role_in(&e.after)).unwrap());
            }
            "member.removed" | "member.left" => {
                if e.action == "member.left" {
                    assert_eq!(target, e.actor, "{what}: one leaves by oneself");
                }
                let had = access.remove(&target).expect("a member goes");
                assert_eq!(
                    had,
                    Access::Org(Role::parse(role_in(&e.before)).unwrap()),
                    "{what}"
                );
                gone.insert(target);
            }
            "project_access.granted" => {
                let role = ProjectRole::parse(role_in(&e.after)).unwrap();
                assert!(access.insert(target, Access::Project(role)).is_none());
            }
            "api_key.created" => {
                let prefix = e.after.as_ref().unwrap()["prefix"].as_str().unwrap();
                prefixes.insert(target, prefix.to_owned());
            }
            "api_key.rotated" => {
                let now = prefixes.get_mut(&target).expect("a created key");
                assert_eq!(e.before.as_ref().unwrap()["prefix"], now.as_str(), "{what}");
                *now = e.after.as_ref().unwrap()["new_prefix"]
                    .as_str()
                    .unwrap()
                    .to_owned();
            }
            _ => {}
        }
    }

    // The replayed state is the final state.
    let members: Vec<(Uuid, Role)> = memberships::table
        .filter(memberships::org_id.eq(org))
        .select((memberships::user_id, memberships::role))
        .load(&mut conn)
        .unwrap();
    let project_only: Vec<(Uuid, ProjectRole)> = project_members::table
        .filter(project_members::org_id.eq(org))
        .select((project_members::user_id, project_members::role))
        .load(&mut conn)
        .unwrap();
    let mut expected: HashMap<Uuid, Access> = HashMap::new();
    expected.extend(members.iter().map(|(u, r)| (*u, Access::Org(*r))));
    expected.extend(project_only.iter().map(|(u, r)| (*u, Access::Project(*r))));
    assert_eq!(access, expected, "the log ends where the organization is");
    assert!(gone.len() >= 2);
    assert!(gone.iter().all(|g| !expected.contains_key(g)));
    let keys: HashMap<Uuid, String> = api_keys::table
        .filter(api_keys::org_id.eq(org))
        .select((api_keys::id, api_keys::prefix))
        .load::<(Uuid, String)>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(prefixes, keys, "each key's rotations end on its prefix");

    // Everyone with access was last active after their latest entry, and not later than now.
    let last_active: HashMap<Uuid, Option<DateTime<Utc>>> = users::table
        .filter(users::id.eq_any(expected.keys().copied().collect::<Vec<_>>()))
        .select((users::id, users::last_active_at))
        .load(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    for (user, seen) in &last_active {
        let seen = seen.unwrap_or_else(|| panic!("{user} has a last-active time"));
        assert!(
            seen <= seeded_by,
            "{user}: last active {seen}, in the future"
        );
        if let Some(acted) = latest.get(user) {
            assert!(
                seen >= *acted,
                "{user}: last active {seen}, acted at {acted}"
            );
        }
    }

    // The pending invitations were sent, by the log and by their delivered emails.
    let pending: Vec<Uuid> = invitations::table
        .filter(invitations::org_id.eq(org))
        .filter(invitations::status.eq("pending"))
        .select(invitations::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(pending.len(), 5);
    for id in &pending {
        assert!(
            entries
                .iter()
                .any(|e| e.action == "invitation.sent" && e.target == Some(*id)),
            "invitation {id} was sent"
        );
    }
    assert_eq!(
        app.count_where(
            "invitations i JOIN outbox o ON o.id = i.outbox_id",
            "i.status = 'pending' AND o.status = 'sent' AND o.recipient = i.email"
        ),
        5
    );
}
