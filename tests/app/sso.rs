//! Single sign-on against real peers: the certified OpenID provider `oidc-provider`
//! (node, started here on a free port) and a DNS server answering TXT questions on a
//! local UDP port. Never the internet.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use diesel::prelude::*;
use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use reqwest::StatusCode;
use teamwork::domain::Role;
use teamwork::schema::{two_factor_secrets, verified_domains};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{TestApp, TestClient, location};

/// TXT records by domain, answered by a UDP responder on 127.0.0.1 (NXDOMAIN for
/// anything else).
#[derive(Clone)]
struct DnsServer {
    addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl DnsServer {
    async fn start() -> DnsServer {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let records: Arc<Mutex<HashMap<String, Vec<String>>>> = Default::default();
        let zone = records.clone();
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 4096];
            while let Ok((n, peer)) = socket.recv_from(&mut buffer).await {
                let Ok(question) = Message::from_vec(&buffer[..n]) else {
                    continue;
                };
                let mut reply =
                    Message::new(question.metadata.id, MessageType::Response, OpCode::Query);
                reply.metadata.recursion_available = true;
                reply.add_queries(question.queries.iter().cloned());
                let mut found = false;
                if let Some(query) = question.queries.first()
                    && query.query_type() == RecordType::TXT
                {
                    let name = query.name().to_ascii().trim_end_matches('.').to_owned();
                    if let Some(texts) = zone.lock().unwrap().get(&name) {
                        found = true;
                        for text in texts {
                            reply.add_answer(Record::from_rdata(
                                query.name().clone(),
                                60,
                                RData::TXT(TXT::new(vec![text.clone()])),
                            ));
                        }
                    }
                }
                if !found {
                    reply.metadata.response_code = hickory_proto::op::ResponseCode::NXDomain;
                }
                let _ = socket.send_to(&reply.to_vec().unwrap(), peer).await;
            }
        });
        DnsServer { addr, records }
    }

    fn publish(&self, domain: &str, text: &str) {
        self.records
            .lock()
            .unwrap()
            .entry(domain.to_owned())
            .or_default()
            .push(text.to_owned());
    }
}

/// The OpenID provider: `oidc-provider` in node, with clients "teamwork" and
/// "wrong-aud" (whose ID tokens carry another audience), secret "test-secret".
struct Idp {
    issuer: String,
    _child: tokio::process::Child,
}

impl Idp {
    async fn start(app: &TestApp) -> Idp {
        let modules = std::env::var("TOOLS_NODE_MODULES").unwrap_or_else(|_| {
            format!("{}/target/tools/node_modules", env!("CARGO_MANIFEST_DIR"))
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = format!("{}/tests/app/oidc_provider.js", env!("CARGO_MANIFEST_DIR"));
        let mut child = tokio::process::Command::new("node")
            .arg(script)
            .env("TOOLS_NODE_MODULES", modules)
            .env("PORT", port.to_string())
            .env("REDIRECT_URI", format!("{}/sso/callback", app.address))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node (tests/run installs oidc-provider into target/tools)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("ready") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "oidc-provider did not start");
        // Keep reading: a write to a closed pipe would end the provider.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Idp {
            issuer: format!("http://localhost:{port}"),
            _child: child,
        }
    }
}

/// Signs in at the provider as `login` from `response` (the app's redirect to it), the
/// way a browser would: its login form, then its consent form. Returns the app path the
/// provider sends the browser back to (`/sso/callback?code=..&state=..`).
async fn sign_in_at_idp(client: &TestClient, response: reqwest::Response, login: &str) -> String {
    // A page that navigates to the provider (a 303 would meet `form-action 'self'`).
    assert_eq!(response.status(), StatusCode::OK, "to the provider");
    let refresh = response.headers()["refresh"].to_str().unwrap().to_owned();
    let mut url = refresh.trim_start_matches("0; url=").to_owned();
    for _ in 0..12 {
        if url.starts_with(&client.address) {
            return url.trim_start_matches(&client.address).to_owned();
        }
        let current = reqwest::Url::parse(&url).unwrap();
        let response = client
            .http
            .get(current.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {current}: {e:?}"));
        if response.status().is_redirection() {
            url = current.join(&location(&response)).unwrap().to_string();
            continue;
        }
        let page = response.text().await.unwrap();
        let action = between(&page, "action=\"", "\"").expect("a form at the provider");
        let prompt = between(&page, "name=\"prompt\" value=\"", "\"").unwrap_or_default();
        let mut form = vec![("prompt", prompt.clone())];
        if prompt == "login" {
            form.push(("login", login.to_owned()));
            form.push(("password", "any".to_owned()));
        }
        let target = current.join(&action).unwrap();
        let posted = client
            .http
            .post(target.clone())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(
            posted.status().is_redirection(),
            "the provider's {prompt} form"
        );
        url = target.join(&location(&posted)).unwrap().to_string();
    }
    panic!("the provider never sent the browser back");
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].replace("&amp;", "&"))
}

/// An organization whose administrator saved single sign-on with the provider, ran
/// "Test connection", turned it on, and verified `domain` through the DNS server.
async fn org_with_sso(
    app: &TestApp,
    idp: &Idp,
    dns: &DnsServer,
    domain: &str,
) -> (TestClient, String) {
    let (admin, slug) = app.admin_with_org("Acme").await;
    let settings = format!("/orgs/{slug}/settings/sso");
    let saved = admin
        .post_form(
            &settings,
            &[
                ("issuer_url", &idp.issuer),
                ("client_id", "teamwork"),
                ("client_secret", "test-secret"),
                ("default_role", "viewer"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let early = admin
        .post_form(&format!("{settings}/active"), &[("active", "true")])
        .await;
    assert_eq!(early.status(), StatusCode::CONFLICT, "on before a test");
    let test = admin.post_form(&format!("{settings}/test"), &[]).await;
    let callback = sign_in_at_idp(&admin, test, &format!("it@{domain}")).await;
    let claims = admin.get(&callback).await;
    let status = claims.status();
    let page = claims.text().await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        between(&page, "role=\"alert\">", "<").unwrap_or_default()
    );
    assert!(page.contains("Claims received") && page.contains(&format!("it@{domain}")));
    let on = admin
        .post_form(&format!("{settings}/active"), &[("active", "true")])
        .await;
    assert_eq!(on.status(), StatusCode::SEE_OTHER);
    add_and_verify(app, &admin, &slug, dns, domain).await;
    (admin, slug)
}

async fn add_and_verify(
    app: &TestApp,
    admin: &TestClient,
    slug: &str,
    dns: &DnsServer,
    domain: &str,
) {
    let domains = format!("/orgs/{slug}/settings/sso/domains");
    let added = admin.post_form(&domains, &[("domain", domain)]).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let org_id = app.org_id(slug);
    let (id, token): (uuid::Uuid, String) = verified_domains::table
        .filter(verified_domains::org_id.eq(org_id))
        .filter(verified_domains::domain.eq(domain))
        .select((verified_domains::id, verified_domains::token))
        .first(&mut app.conn())
        .unwrap();
    dns.publish(domain, &format!("teamwork-verification={token}"));
    let verified = admin
        .post_form(&format!("{domains}/{id}/verify"), &[])
        .await;
    assert_eq!(verified.status(), StatusCode::SEE_OTHER, "verify {domain}");
}

fn entries(app: &TestApp, action: &str) -> i64 {
    app.count_where("activity", &format!("action = '{action}'"))
}

#[actix_web::test]
async fn a_domain_is_verified_by_its_txt_record_and_by_one_organization_only() {
    let dns = DnsServer::start().await;
    let resolver = dns.addr;
    let app = TestApp::spawn_with(|c| c.dns_resolver = Some(resolver)).await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let domains = format!("/orgs/{slug}/settings/sso/domains");
    assert_eq!(
        admin
            .post_form(&domains, &[("domain", "https://x")])
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    admin
        .post_form(&domains, &[("domain", "Corp.Example")])
        .await;
    let page = admin.get_text(&format!("/orgs/{slug}/settings/sso")).await;
    let (id, token): (uuid::Uuid, String) = verified_domains::table
        .select((verified_domains::id, verified_domains::token))
        .first(&mut app.conn())
        .unwrap();
    assert!(page.contains(&format!("teamwork-verification={token}")));
    let verify = format!("{domains}/{id}/verify");

    // No record yet, then a wrong one: refused, nothing verified.
    let none = admin.post_form(&verify, &[]).await;
    assert_eq!(none.status(), StatusCode::CONFLICT);
    assert!(none.text().await.unwrap().contains("No TXT record"));
    dns.publish("corp.example", "teamwork-verification=someone-else");
    assert_eq!(
        admin.post_form(&verify, &[]).await.status(),
        StatusCode::CONFLICT
    );
    // A Developer may not verify.
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    dns.publish("corp.example", &format!("teamwork-verification={token}"));
    assert_eq!(
        dev.post_form(&verify, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.count_where("verified_domains", "verified_at IS NOT NULL"),
        0
    );

    assert_eq!(
        admin.post_form(&verify, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.count_where("verified_domains", "verified_at IS NOT NULL"),
        1
    );
    assert_eq!(entries(&app, "organization.domain_verified"), 1);

    // Another organization can claim it and publish its own record, not verify it.
    let other = app.signed_up("Olga Other").await;
    app.mark_confirmed("olga.other@example.com");
    let other_slug = other.create_org("Rival").await;
    let other_domains = format!("/orgs/{other_slug}/settings/sso/domains");
    other
        .post_form(&other_domains, &[("domain", "corp.example")])
        .await;
    let (other_id, other_token): (uuid::Uuid, String) = verified_domains::table
        .filter(verified_domains::org_id.eq(app.org_id(&other_slug)))
        .select((verified_domains::id, verified_domains::token))
        .first(&mut app.conn())
        .unwrap();
    dns.publish(
        "corp.example",
        &format!("teamwork-verification={other_token}"),
    );
    let taken = other
        .post_form(&format!("{other_domains}/{other_id}/verify"), &[])
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert!(taken.text().await.unwrap().contains("Another organization"));
    assert_eq!(
        app.count_where("verified_domains", "verified_at IS NOT NULL"),
        1
    );
}

#[actix_web::test]
async fn continue_with_sso_signs_in_through_the_provider_and_refuses_what_it_must() {
    let dns = DnsServer::start().await;
    let resolver = dns.addr;
    let app = TestApp::spawn_with(|c| c.dns_resolver = Some(resolver)).await;
    let idp = Idp::start(&app).await;
    let (admin, slug) = org_with_sso(&app, &idp, &dns, "corp.example").await;

    // The secret is stored sealed and never shown again.
    let sealed: Vec<u8> = teamwork::schema::sso_connections::table
        .select(teamwork::schema::sso_connections::client_secret_sealed)
        .first(&mut app.conn())
        .unwrap();
    assert!(!sealed.windows(11).any(|w| w == b"test-secret"));
    let settings = admin.get_text(&format!("/orgs/{slug}/settings/sso")).await;
    assert!(!settings.contains("test-secret"));

    // Just-in-time: a new person of the domain lands in the organization as a Viewer.
    let grace = app.client();
    let start = grace
        .post_form("/sso", &[("email", "grace@corp.example")])
        .await;
    let callback = sign_in_at_idp(&grace, start, "grace@corp.example").await;
    let landed = grace.get(&callback).await;
    assert_eq!(landed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&landed), format!("/orgs/{slug}"));
    assert_eq!(
        grace.get(&format!("/orgs/{slug}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.role_of(&slug, "grace@corp.example"), Some(Role::Viewer));
    assert_eq!(entries(&app, "member.joined_via_sso"), 1);

    // Replayed: the same callback again (its flow is used up), then the old code under
    // a new flow's state (the provider refuses a second redemption).
    let users = app.count("users");
    assert_eq!(grace.get(&callback).await.status(), StatusCode::BAD_REQUEST);
    let replay = app.client();
    let fresh = replay
        .post_form("/sso", &[("email", "grace@corp.example")])
        .await;
    let refresh = fresh.headers()["refresh"].to_str().unwrap().to_owned();
    let state = between(&refresh, "state=", "&").unwrap();
    let code = between(&format!("{callback}&"), "code=", "&").unwrap();
    let replayed = replay
        .get(&format!("/sso/callback?code={code}&state={state}"))
        .await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(
        replay
            .get(&format!("/orgs/{slug}"))
            .await
            .status()
            .is_redirection()
    );

    // Wrong state: the provider's answer for another flow.
    let henry = app.client();
    let start = henry
        .post_form("/sso", &[("email", "henry@corp.example")])
        .await;
    let callback = sign_in_at_idp(&henry, start, "henry@corp.example").await;
    let forged = callback.replace("state=", "state=x");
    assert_eq!(henry.get(&forged).await.status(), StatusCode::BAD_REQUEST);

    // An address the provider has not verified.
    let ivan = app.client();
    let start = ivan
        .post_form("/sso", &[("email", "unverified.ivan@corp.example")])
        .await;
    let callback = sign_in_at_idp(&ivan, start, "unverified.ivan@corp.example").await;
    let refused = ivan.get(&callback).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("not verified your email")
    );

    // A domain another organization verified: this provider vouching for it is refused.
    let olga = app.signed_up("Olga Other").await;
    app.mark_confirmed("olga.other@example.com");
    let other_slug = olga.create_org("Rival").await;
    add_and_verify(&app, &olga, &other_slug, &dns, "rival.example").await;
    let eve = app.client();
    let start = eve
        .post_form("/sso", &[("email", "grace@corp.example")])
        .await;
    let callback = sign_in_at_idp(&eve, start, "eve@rival.example").await;
    let refused = eve.get(&callback).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("not a verified domain")
    );

    // An ID token for another audience.
    diesel::sql_query("UPDATE sso_connections SET client_id = 'wrong-aud'")
        .execute(&mut app.conn())
        .unwrap();
    let judy = app.client();
    let start = judy
        .post_form("/sso", &[("email", "judy@corp.example")])
        .await;
    let callback = sign_in_at_idp(&judy, start, "judy@corp.example").await;
    let refused = judy.get(&callback).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("ID token was refused")
    );

    let refused_people = "email IN ('henry@corp.example', 'unverified.ivan@corp.example', \
                          'eve@rival.example', 'judy@corp.example')";
    assert_eq!(app.count_where("users", refused_people), 0);
    assert_eq!(app.count("users"), users + 1, "Olga only");
    assert_eq!(entries(&app, "member.joined_via_sso"), 1);
    let unknown = app
        .client()
        .post_form("/sso", &[("email", "x@nowhere.example")])
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn require_sso_sends_password_sessions_to_the_provider_and_keeps_a_logged_break_glass() {
    let dns = DnsServer::start().await;
    let resolver = dns.addr;
    let app = TestApp::spawn_with(|c| c.dns_resolver = Some(resolver)).await;
    let idp = Idp::start(&app).await;
    let (admin, slug) = org_with_sso(&app, &idp, &dns, "corp.example").await;
    let org = format!("/orgs/{slug}");

    // A member of the domain with a password, and an administrator of the domain with
    // two-factor sign-in.
    let dan = app.client();
    dan.sign_up_and_log_in("Dan", "dan@corp.example", "correct horse battery")
        .await;
    let root = app.client();
    root.sign_up_and_log_in("Root", "root@corp.example", "correct horse battery")
        .await;
    let org_id = app.org_id(&slug);
    for (email, role) in [
        ("dan@corp.example", Role::Developer),
        ("root@corp.example", Role::Administrator),
    ] {
        diesel::insert_into(teamwork::schema::memberships::table)
            .values((
                teamwork::schema::memberships::id.eq(uuid::Uuid::now_v7()),
                teamwork::schema::memberships::org_id.eq(org_id),
                teamwork::schema::memberships::user_id.eq(app.user_id(email)),
                teamwork::schema::memberships::role.eq(role),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    crate::helpers::recount(&mut app.conn(), org_id);
    assert_eq!(dan.get(&org).await.status(), StatusCode::OK);

    let required = admin
        .post_form(
            &format!("{org}/settings/sso/require"),
            &[("required", "true")],
        )
        .await;
    assert_eq!(required.status(), StatusCode::SEE_OTHER);
    assert_eq!(entries(&app, "organization.sso_required"), 1);

    // Dan's password session is sent to SSO; the founder (not of the domain) is not.
    let sent = dan.get(&org).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&sent), format!("{org}/sso/required"));
    let page = dan.get_text(&format!("{org}/sso/required")).await;
    assert!(page.contains("Continue with SSO") && !page.contains("Continue without SSO"));
    assert_eq!(admin.get(&org).await.status(), StatusCode::OK);
    // A password-only administrator cannot take the break-glass path.
    let bypass = format!("{org}/sso/bypass");
    assert_eq!(
        dan.post_form(&bypass, &[]).await.status(),
        StatusCode::FORBIDDEN
    );

    // Through the provider, Dan gets in once his account's address is confirmed (an
    // unconfirmed account is never linked: someone else may have typed the address).
    let start = dan
        .post_form("/sso", &[("email", "dan@corp.example")])
        .await;
    let callback = sign_in_at_idp(&dan, start, "dan@corp.example").await;
    assert_eq!(dan.get(&callback).await.status(), StatusCode::FORBIDDEN);
    app.mark_confirmed("dan@corp.example");
    let start = dan
        .post_form("/sso", &[("email", "dan@corp.example")])
        .await;
    let callback = sign_in_at_idp(&dan, start, "dan@corp.example").await;
    assert_eq!(dan.get(&callback).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(dan.get(&org).await.status(), StatusCode::OK);
    assert_eq!(
        entries(&app, "member.joined_via_sso"),
        0,
        "already a member"
    );

    // Break-glass: the administrator of the domain, with password and code.
    let secret = teamwork::domain::totp::TotpSecret::generate();
    let key = {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(crate::helpers::TEST_SECRETS_KEY)
            .unwrap();
        teamwork::domain::sealed::SecretsKey::from_bytes(&bytes.try_into().unwrap())
    };
    let root_id = app.user_id("root@corp.example");
    diesel::insert_into(two_factor_secrets::table)
        .values((
            two_factor_secrets::user_id.eq(root_id),
            two_factor_secrets::secret_encrypted
                .eq(key.seal(secret.as_bytes(), root_id.as_bytes())),
            two_factor_secrets::enabled_at.eq(Utc::now()),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let root = app.client();
    root.login("root@corp.example", "correct horse battery")
        .await;
    let code = secret.code_at_step(teamwork::domain::totp::step_at(Utc::now()));
    let signed = root
        .post_form("/login/two-factor", &[("code", &code)])
        .await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    assert_eq!(root.get(&org).await.status(), StatusCode::SEE_OTHER);
    assert!(
        root.get_text(&format!("{org}/sso/required"))
            .await
            .contains("Continue without SSO")
    );
    assert_eq!(
        root.post_form(&bypass, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(root.get(&org).await.status(), StatusCode::OK);
    assert_eq!(entries(&app, "organization.sso_bypassed"), 1);
}

/// A person in a browser: "Continue with SSO" on the log-in page, their address, the
/// provider's sign-in, and they land in the organization as a Viewer. The pages are
/// validated and screenshotted at desktop and phone width.
#[actix_web::test]
async fn a_person_continues_with_sso_in_a_browser_and_lands_in_the_organization() {
    use fantoccini::Locator;
    let dns = DnsServer::start().await;
    let resolver = dns.addr;
    let app = TestApp::spawn_with(|c| c.dns_resolver = Some(resolver)).await;
    let idp = Idp::start(&app).await;
    let (_admin, slug) = org_with_sso(&app, &idp, &dns, "corp.example").await;
    let browser = crate::browser::Browser::start().await;
    let mut html = crate::html_check::HtmlCheck::default();
    browser
        .log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    browser
        .goto(&format!("{}/orgs/{slug}/settings/sso", app.address))
        .await;
    browser.wait_for_text("Verified domains").await;
    html.keep(&browser, "single sign-on settings").await;
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        browser.resize(width, height).await;
        browser
            .screenshot_whole_page(&format!("single-sign-on-{size}.png"))
            .await;
    }
    browser.resize(1280, 900).await;
    browser.log_out().await;

    browser.goto(&format!("{}/login", app.address)).await;
    browser.click_link("Continue with SSO").await;
    browser.wait_for_text("Work email").await;
    html.keep(&browser, "continue with sso").await;
    browser.fill("Work email", "grace@corp.example").await;
    browser.click_button("Continue with SSO").await;
    // The provider's own sign-in form (the address arrives as login_hint), then consent.
    let client = browser.client();
    let password = client
        .wait()
        .for_element(Locator::Css("input[name=password]"))
        .await
        .expect("the provider's sign-in form");
    password.send_keys("any").await.unwrap();
    password.send_keys("\u{E007}").await.unwrap();
    let consent = client
        .wait()
        .for_element(Locator::Css("button[type=submit]"))
        .await
        .expect("the provider's consent form");
    consent.click().await.unwrap();
    let landing = format!("/orgs/{slug}");
    browser
        .wait_until("the organization's page", async || {
            browser.current_path().await == landing
        })
        .await;
    assert_eq!(app.role_of(&slug, "grace@corp.example"), Some(Role::Viewer));
    browser.close().await;
    let errors = html.errors();
    assert!(errors.is_empty(), "{errors:#?}");
}
