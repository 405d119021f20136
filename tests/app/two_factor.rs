//! Two-factor sign-in (TOTP, RFC 6238) and organizations that require it: setup with a
//! code computed from the shown secret (checked against `oathtool`), the code step of
//! sign-in, replays, drift, lockout, recovery codes, turning it off, enforcement.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::schema::{activity, recovery_codes, two_factor_secrets};

use crate::helpers::{TestApp, TestClient, location};

const PASSWORD: &str = "correct horse battery";

/// The code of `secret` (base32, as the page shows it) at `at`, computed here with
/// totp-rs from the text of the page, not with the app's code.
pub(crate) fn code_at(secret: &str, at: DateTime<Utc>) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret)
        .expect("a base32 secret")
        .as_ref()
        .to_vec();
    totp_rs::Builder::new()
        .with_secret(bytes)
        .build_noncompliant()
        .generate(at.timestamp() as u64)
        .to_string()
}

/// The same code from `oathtool` (Debian's OATH Toolkit), a standard implementation.
fn oathtool_code(secret: &str, at: DateTime<Utc>) -> String {
    let output = std::process::Command::new("oathtool")
        .args([
            "--totp",
            "-b",
            secret,
            "-N",
            &format!("@{}", at.timestamp()),
        ])
        .output()
        .expect("oathtool runs (tests/run installs it)");
    assert!(output.status.success(), "oathtool: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Moves the app's clock to the first seconds of a later time step, so that a code
/// computed now is still of the step the app reads when the request arrives.
pub(crate) fn fresh_step(app: &TestApp) -> DateTime<Utc> {
    let into_step = app.clock.now().timestamp().rem_euclid(30);
    app.clock.advance(Duration::seconds(31 - into_step));
    app.clock.now()
}

/// The secret of the setup page, without the spaces that group it.
pub(crate) fn shown_secret(page: &str) -> String {
    let marker = "id=\"totp-secret\">";
    let start = page.find(marker).expect("the secret on the setup page") + marker.len();
    let rest = &page[start..];
    rest[..rest.find('<').unwrap()].replace(' ', "")
}

fn shown_recovery_codes(page: &str) -> Vec<String> {
    let list = &page[page
        .find("id=\"recovery-codes\"")
        .expect("the recovery codes")..];
    let list = &list[..list.find("</ul>").unwrap()];
    list.split("<code class=\"mono\">")
        .skip(1)
        .map(|item| item[..item.find('<').unwrap()].to_owned())
        .collect()
}

/// Turns two-factor sign-in on through the pages, as a person would; returns the
/// secret and the recovery codes. The clock then moves on a step: the setup's code is
/// used, later sign-ins use later codes.
pub(crate) async fn turn_on(app: &TestApp, client: &TestClient) -> (String, Vec<String>) {
    let started = client.post_form("/account/security/two-factor", &[]).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&started), "/account/security/two-factor");
    let setup = client.get("/account/security/two-factor").await;
    assert_eq!(setup.status(), StatusCode::OK);
    assert_eq!(setup.headers()["cache-control"], "no-store");
    let page = setup.text().await.unwrap();
    assert!(page.contains("Set up two-factor authentication") && page.contains(">Code<"));
    assert!(page.contains("<svg"), "the QR code is drawn inline");
    let secret = shown_secret(&page);
    let code = code_at(&secret, fresh_step(app));
    let confirmed = client
        .post_form("/account/security/two-factor/confirm", &[("code", &code)])
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let page = confirmed.text().await.unwrap();
    assert!(page.contains("Recovery codes") && page.contains(">Download<"));
    let codes = shown_recovery_codes(&page);
    assert_eq!(codes.len(), 10);
    let download = &page[page
        .find("href=\"data:text/plain")
        .expect("a Download link")..];
    let download = &download[..download.find("download=").unwrap()];
    assert!(codes.iter().all(|code| download.contains(code.as_str())));
    app.clock.advance(Duration::seconds(30));
    (secret, codes)
}

/// Two-factor sign-in on for `email`, written straight into the database with the
/// tests' `SECRETS_KEY` (for fixtures such as the authorization matrix's world).
pub(crate) fn turn_on_directly(app: &TestApp, email: &str) {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(crate::helpers::TEST_SECRETS_KEY)
        .unwrap();
    let key = teamwork::domain::sealed::SecretsKey::from_bytes(&key.try_into().unwrap());
    let user_id = app.user_id(email);
    let secret = teamwork::domain::totp::TotpSecret::generate();
    diesel::insert_into(two_factor_secrets::table)
        .values((
            two_factor_secrets::user_id.eq(user_id),
            two_factor_secrets::secret_encrypted
                .eq(key.seal(secret.as_bytes(), user_id.as_bytes())),
            two_factor_secrets::enabled_at.eq(Utc::now()),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

/// Logs in with the password; returns the response (a 303 to the code step for an
/// account with two-factor sign-in).
async fn password_step(client: &TestClient, email: &str) -> reqwest::Response {
    client.login(email, PASSWORD).await
}

async fn code_step(client: &TestClient, code: &str) -> reqwest::Response {
    client
        .post_form("/login/two-factor", &[("code", code)])
        .await
}

fn signed_in(status: StatusCode) -> bool {
    status == StatusCode::OK
}

fn count_action(app: &TestApp, action: &str) -> i64 {
    activity::table
        .filter(activity::action.eq(action))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn enabled(app: &TestApp, email: &str) -> bool {
    two_factor_secrets::table
        .filter(two_factor_secrets::user_id.eq(app.user_id(email)))
        .filter(two_factor_secrets::enabled_at.is_not_null())
        .count()
        .get_result::<i64>(&mut app.conn())
        .unwrap()
        == 1
}

#[actix_web::test]
async fn setup_shows_a_secret_whose_codes_match_oathtool_and_a_code_turns_it_on() {
    let app = TestApp::spawn().await;
    let (ada, _slug) = app.admin_with_org("Acme").await;
    ada.create_org("Globex").await;
    let page = ada.get_text("/account/security").await;
    assert!(page.contains("Set up two-factor authentication"));

    // Abandoned halfway: a secret exists, nothing is on.
    ada.post_form("/account/security/two-factor", &[]).await;
    let first = shown_secret(&ada.get_text("/account/security/two-factor").await);
    assert!(!enabled(&app, "ada.admin@example.com"));
    let other = app.client();
    let response = password_step(&other, "ada.admin@example.com").await;
    assert_eq!(
        location(&response),
        "/",
        "password alone while setup is unconfirmed"
    );
    assert!(
        ada.get_text("/account/security")
            .await
            .contains("is <strong>off</strong>")
    );

    // A wrong code changes nothing.
    let response = ada
        .post_form("/account/security/two-factor/confirm", &[("code", "12345")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!enabled(&app, "ada.admin@example.com"));

    let (secret, codes) = turn_on(&app, &ada).await;
    assert_ne!(secret, first, "starting again made a new secret");
    assert_eq!(secret.len(), 32, "160 bits in base32");
    for at in [
        app.clock.now(),
        DateTime::from_timestamp(1_234_567_890, 0).unwrap(),
    ] {
        assert_eq!(code_at(&secret, at), oathtool_code(&secret, at), "at {at}");
    }
    assert!(enabled(&app, "ada.admin@example.com"));
    assert_eq!(
        count_action(&app, "account.2fa_enabled"),
        2,
        "in the log of each of Ada's organizations"
    );

    // At rest: sealed, and the recovery codes only as hashes.
    let raw = totp_rs::Secret::try_from_base32(&secret)
        .unwrap()
        .as_ref()
        .to_vec();
    let stored: Vec<u8> = two_factor_secrets::table
        .select(two_factor_secrets::secret_encrypted)
        .first(&mut app.conn())
        .unwrap();
    assert!(!stored.windows(raw.len()).any(|w| w == raw.as_slice()));
    assert!(!String::from_utf8_lossy(&stored).contains(&secret));
    let hashes: Vec<Vec<u8>> = recovery_codes::table
        .select(recovery_codes::code_hash)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(hashes.len(), 10);
    for code in &codes {
        assert!(
            hashes
                .iter()
                .all(|h| !String::from_utf8_lossy(h).contains(code.as_str()))
        );
    }
    let security = ada.get_text("/account/security").await;
    assert!(
        security.contains("is <strong>on</strong>") && security.contains("<strong>10</strong>")
    );
    assert!(
        !security.contains(&codes[0]),
        "recovery codes are shown once"
    );
}

#[actix_web::test]
async fn sign_in_asks_for_the_authentication_code_and_refuses_a_replayed_one() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let (secret, _) = turn_on(&app, &ada).await;

    let laptop = app.client();
    let response = password_step(&laptop, "ada@example.com").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/two-factor");
    assert_eq!(
        laptop.get("/orgs/new").await.status(),
        StatusCode::SEE_OTHER,
        "not signed in yet"
    );
    let page = laptop.get_text("/login/two-factor").await;
    assert!(page.contains("Authentication code"));

    let code = code_at(&secret, fresh_step(&app));
    let response = code_step(&laptop, &code).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    assert!(signed_in(laptop.get("/orgs/new").await.status()));

    // The same code again, from another browser: refused, and says why.
    let phone = app.client();
    password_step(&phone, "ada@example.com").await;
    let response = code_step(&phone, &code).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("already used"));
    assert!(!signed_in(phone.get("/orgs/new").await.status()));
    // The next step's code works.
    let response = code_step(&phone, &code_at(&secret, fresh_step(&app))).await;
    assert_eq!(location(&response), "/");
}

#[actix_web::test]
async fn codes_one_step_away_are_accepted_and_two_steps_away_refused() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let (secret, _) = turn_on(&app, &ada).await;
    let step = Duration::seconds(30);
    let client = app.client();
    password_step(&client, "ada@example.com").await;
    let now = fresh_step(&app);
    for far in [now - step * 2, now + step * 2] {
        let response = code_step(&client, &code_at(&secret, far)).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{far}");
    }
    let response = code_step(&client, &code_at(&secret, now - step)).await;
    assert_eq!(location(&response), "/", "one step behind");
    let other = app.client();
    password_step(&other, "ada@example.com").await;
    let response = code_step(&other, &code_at(&secret, now + step)).await;
    assert_eq!(location(&response), "/", "one step ahead");
}

#[actix_web::test]
async fn five_wrong_codes_lock_the_code_step_until_the_time_it_names() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let (secret, _) = turn_on(&app, &ada).await;
    let client = app.client();
    password_step(&client, "ada@example.com").await;
    let now = fresh_step(&app);
    let near: Vec<String> = (-1..=1)
        .map(|s| code_at(&secret, now + Duration::seconds(30 * s)))
        .collect();
    let wrong = ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .unwrap();
    for attempt in 1..=5 {
        let response = code_step(&client, wrong).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let response = code_step(&client, &code_at(&secret, now)).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right code"
    );
    let wait: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    let page = response.text().await.unwrap();
    let until = (app.clock.now() + Duration::seconds(wait))
        .format("%H:%M")
        .to_string();
    let earlier = (app.clock.now() + Duration::seconds(wait - 1))
        .format("%H:%M")
        .to_string();
    assert!(
        page.contains(&format!("locked until {until} UTC"))
            || page.contains(&format!("locked until {earlier} UTC")),
        "the message names the time: {until}"
    );
    assert!(!signed_in(client.get("/orgs/new").await.status()));

    // After the window (and a new password step: the first one expired), a code works.
    app.clock.advance(Duration::minutes(15));
    password_step(&client, "ada@example.com").await;
    let response = code_step(&client, &code_at(&secret, fresh_step(&app))).await;
    assert_eq!(location(&response), "/");
}

#[actix_web::test]
async fn a_recovery_code_signs_in_once() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let (_, codes) = turn_on(&app, &ada).await;
    let first = app.client();
    password_step(&first, "ada@example.com").await;
    let response = code_step(&first, &codes[3].to_uppercase()).await;
    assert_eq!(location(&response), "/");
    assert!(signed_in(first.get("/orgs/new").await.status()));

    let second = app.client();
    password_step(&second, "ada@example.com").await;
    let response = code_step(&second, &codes[3]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!signed_in(second.get("/orgs/new").await.status()));
    assert!(
        ada.get_text("/account/security")
            .await
            .contains("<strong>9</strong>")
    );
}

#[actix_web::test]
async fn turning_it_off_needs_the_password_and_a_code_and_sends_a_notice() {
    let app = TestApp::spawn().await;
    let (ada, _slug) = app.admin_with_org("Acme").await;
    let (secret, _) = turn_on(&app, &ada).await;
    let off = |password: &'static str, code: String| {
        let ada = &ada;
        async move {
            ada.post_form(
                "/account/security/two-factor/disable",
                &[("password", password), ("code", &code)],
            )
            .await
        }
    };
    let now = fresh_step(&app);
    let response = off("not my password", code_at(&secret, now)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("not your current password")
    );
    let response = off(PASSWORD, "".into()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = if code_at(&secret, now) == "123456" {
        "654321"
    } else {
        "123456"
    };
    let response = off(PASSWORD, wrong.into()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(enabled(&app, "ada.admin@example.com"));
    assert_eq!(app.count("outbox WHERE kind = 'two_factor_disabled'"), 0);

    let response = off(PASSWORD, code_at(&secret, now)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!enabled(&app, "ada.admin@example.com"));
    assert_eq!(app.count("recovery_codes"), 0);
    assert_eq!(count_action(&app, "account.2fa_disabled"), 1);
    let mail = app
        .mail_with_subject(
            "ada.admin@example.com",
            "Two-factor authentication was turned off on your Teamwork account",
        )
        .await;
    assert!(!mail.text.contains(&secret));
    let response = password_step(&app.client(), "ada.admin@example.com").await;
    assert_eq!(
        location(&response),
        "/",
        "the password alone signs in again"
    );
}

/// A reset link proves the mailbox, not the second factor: the code step still comes.
#[actix_web::test]
async fn a_password_reset_still_asks_for_the_authentication_code() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let (secret, _) = turn_on(&app, &ada).await;
    let stranger = app.client();
    stranger
        .post_form("/password/forgot", &[("email", "ada@example.com")])
        .await;
    let path = app
        .mailed_path("ada@example.com", "/password/reset/", 1)
        .await;
    let response = stranger
        .post_form(&path, &[("password", "a brand new passphrase")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/two-factor");
    assert!(!signed_in(stranger.get("/orgs/new").await.status()));
    let response = code_step(&stranger, &code_at(&secret, fresh_step(&app))).await;
    assert_eq!(location(&response), "/");
    assert!(signed_in(stranger.get("/orgs/new").await.status()));
}

/// One code, sent by eight browsers at once after their password steps: one signs in.
#[actix_web::test]
async fn one_code_sent_at_once_from_many_browsers_signs_in_once() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let (secret, _) = turn_on(&app, &ada).await;
    let mut browsers = Vec::new();
    for _ in 0..8 {
        let client = app.client();
        password_step(&client, "ada@example.com").await;
        client.csrf().await;
        browsers.push(client);
    }
    let code = code_at(&secret, fresh_step(&app));
    let answers =
        futures_util::future::join_all(browsers.iter().map(|client| code_step(client, &code)))
            .await;
    let signed_in = answers
        .iter()
        .filter(|r| r.status() == StatusCode::SEE_OTHER && location(r) == "/")
        .count();
    assert_eq!(
        signed_in,
        1,
        "statuses: {:?}",
        answers.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
}
