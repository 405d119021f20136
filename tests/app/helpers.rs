//! Test harness: one private Postgres cluster per test process, a migrated template
//! database, a fresh database per test, and the real `Application` on port 0.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::OnceLock;

use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use reqwest::StatusCode;
use teamwork::config::{AppEnv, Config};
use teamwork::db::{Db, MIGRATIONS};
use teamwork::dev_postgres::{ClusterOptions, PostgresCluster};
use teamwork::domain::Role;
use teamwork::mail::{Transport, WorkerHandle, WorkerOptions};
use teamwork::startup::Application;
use uuid::Uuid;

use crate::smtp::TestSmtp;

const TEMPLATE_DB: &str = "teamwork_template";

/// Where test databases are created: `TEST_DATABASE_URL` (a server URL without the
/// database part, e.g. `postgres://postgres@localhost`), or a private cluster.
struct Server {
    /// `url(db)` gives the URL of database `db`.
    base: String,
    query: String,
    _cluster: Option<PostgresCluster>,
}

impl Server {
    fn url(&self, database: &str) -> String {
        format!("{}/{database}{}", self.base, self.query)
    }
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) => Server {
                base: url.trim_end_matches('/').to_owned(),
                query: String::new(),
                _cluster: None,
            },
            Err(_) => {
                let dir = cluster_dir();
                let cluster = PostgresCluster::start(&dir, ClusterOptions { durable: false })
                    .unwrap_or_else(|e| panic!("cannot start the test Postgres: {e}"));
                let url = cluster.url("postgres");
                let (path, query) = url.split_once('?').unwrap_or((&url, ""));
                let (base, _database) = path
                    .rsplit_once('/')
                    .expect("cluster url names the database");
                Server {
                    base: base.to_owned(),
                    query: format!("?{query}"),
                    _cluster: Some(cluster),
                }
            }
        };
        create_template(&server);
        server
    })
}

/// Under the system temp dir (the `postgres` user cannot enter a checkout under /root).
/// Folders of earlier runs whose process is gone are removed first.
fn cluster_dir() -> PathBuf {
    let root = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("teamwork-test-")
                && !PathBuf::from(format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    root.join(format!("teamwork-test-{}", std::process::id()))
}

fn create_template(server: &Server) {
    let mut admin =
        PgConnection::establish(&server.url("postgres")).expect("connect to test Postgres");
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"
    ))
    .execute(&mut admin)
    .expect("drop old template");
    diesel::sql_query(format!("CREATE DATABASE {TEMPLATE_DB}"))
        .execute(&mut admin)
        .expect("create template");
    // The migrating connection must be closed before the template can be copied.
    let mut conn = PgConnection::establish(&server.url(TEMPLATE_DB)).expect("connect to template");
    conn.run_pending_migrations(MIGRATIONS)
        .expect("migrate template");
}

/// A database of its own, copied from the migrated template, for tests that call the
/// operations directly (no HTTP, no mail server). Dropping it drops the database.
pub struct TestDb {
    pub database: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        TestDb {
            database: create_database(),
        }
    }

    pub fn url(&self) -> String {
        server().url(&self.database)
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url()).expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop_database(&self.database);
    }
}

fn create_database() -> String {
    copy_database(TEMPLATE_DB)
}

/// A new database copied from `template`, which nothing may be connected to.
fn copy_database(template: &str) -> String {
    let server = server();
    let database = format!("test_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&server.url("postgres")).expect("connect");
    diesel::sql_query(format!(
        "CREATE DATABASE {database} TEMPLATE {template} STRATEGY FILE_COPY"
    ))
    .execute(&mut admin)
    .expect("create test database");
    database
}

/// A running console with its own database, SMTP server and mail worker. Dropping it
/// drops the database.
pub struct TestApp {
    pub address: String,
    pub database: String,
    /// The app's pool: `db.statements()` counts the SQL it ran.
    pub db: Db,
    pub smtp: TestSmtp,
    pub mail: WorkerHandle,
    /// The app's clock: `clock.advance(..)` moves its "now" forward.
    pub clock: teamwork::clock::Clock,
    /// The session cookie key; a second instance needs the same one.
    pub key: actix_web::cookie::Key,
    /// The HTTP server: `server.stop(true)` is what SIGTERM does.
    pub server: actix_web::dev::ServerHandle,
    /// The `METRICS_ADDR` listener's port, when the test configured one.
    pub metrics_port: Option<u16>,
    assertions: std::sync::Mutex<Option<PgConnection>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Like `spawn`, with a chance to adjust the configuration first.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        let key = actix_web::cookie::Key::generate();
        Self::start(create_database(), key, configure).await
    }

    /// Stops new connections to this app's database and ends the open ones, so that
    /// [`fork`](Self::fork) can copy it; the app itself is of no further use.
    pub fn freeze(&self) {
        *self.assertions.lock().unwrap() = None;
        let mut admin = PgConnection::establish(&server().url("postgres")).expect("connect");
        let database = &self.database;
        diesel::sql_query(format!(
            "ALTER DATABASE {database} WITH ALLOW_CONNECTIONS false"
        ))
        .execute(&mut admin)
        .expect("freeze database");
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
        ))
        .execute(&mut admin)
        .expect("end connections");
    }

    /// A console on a copy of this frozen app's database (tens of milliseconds instead of
    /// building the same state again), with the same session key: the sessions of this
    /// app's clients are valid there (see [`TestClient::fork_to`]).
    pub async fn fork(&self) -> TestApp {
        let database = copy_database(&self.database);
        Self::start(database, self.key.clone(), |_| {}).await
    }

    async fn start(
        database: String,
        key: actix_web::cookie::Key,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let server = server();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().unwrap().port();
        let smtp = TestSmtp::start();
        let mut config = test_config(port, &server.url(&database));
        config.smtp_url = Some(smtp.url().into());
        configure(&mut config);
        let clock = config.clock.clone();
        let db = Db::new(&server.url(&database), config.db_pool_size);
        let transport = Transport::from_config(&config).expect("SMTP transport");
        // Its own pool, so that `db.statements()` counts only what requests run.
        let worker_db = Db::new(&server.url(&database), 2);
        let mail = teamwork::mail::worker::spawn(worker_db, transport, test_worker_options());
        let app = Application::build(config, listener, db.clone(), key.clone(), mail.clone())
            .expect("build application");
        let (server, metrics_port) = (app.handle(), app.metrics_port());
        actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            database,
            db,
            smtp,
            mail,
            clock,
            key,
            server,
            metrics_port,
            assertions: Default::default(),
        }
    }

    /// A second console on this app's database, as a second process behind a load
    /// balancer would be: its own port, pool and mail worker, the same session key and SMTP.
    pub async fn second_instance(&self) -> Instance {
        Instance::start(&self.database_url(), self.key.clone(), &self.smtp.url()).await
    }

    pub fn database_url(&self) -> String {
        server().url(&self.database)
    }

    /// A browser-like client with its own cookie jar (a person).
    pub fn client(&self) -> TestClient {
        TestClient::new(&self.address)
    }

    /// Signs up a fresh person and returns their client (email `<name>@example.com`).
    pub async fn signed_up(&self, name: &str) -> TestClient {
        let client = self.client();
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let response = client
            .sign_up_and_log_in(name, &email, "correct horse battery")
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signup of {name}");
        client
    }

    /// An administrator with a new organization; returns their client and the org slug.
    pub async fn admin_with_org(&self, org: &str) -> (TestClient, String) {
        let admin = self.signed_up("Ada Admin").await;
        // Confirmed, as a real founder would be: only then do organizations get their
        // starting credits (R42).
        self.mark_confirmed("ada.admin@example.com");
        let slug = admin.create_org(org).await;
        (admin, slug)
    }

    /// Signs up `name` and makes them a member of `slug` with `role`, directly in the
    /// database (the invitation flow has its own tests).
    pub async fn member_with_role(&self, slug: &str, name: &str, role: Role) -> TestClient {
        let client = self.signed_up(name).await;
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let mut conn = self.conn();
        use teamwork::schema::{memberships, organizations, users};
        let org_id: Uuid = organizations::table
            .filter(organizations::slug.eq(slug))
            .select(organizations::id)
            .first(&mut conn)
            .unwrap();
        let user_id: Uuid = users::table
            .filter(users::email.eq(&email))
            .select(users::id)
            .first(&mut conn)
            .unwrap();
        diesel::insert_into(memberships::table)
            .values((
                memberships::id.eq(Uuid::now_v7()),
                memberships::org_id.eq(org_id),
                memberships::user_id.eq(user_id),
                memberships::role.eq(role),
            ))
            .execute(&mut conn)
            .unwrap();
        recount(&mut conn, org_id);
        client
    }

    /// Signs up `name` and gives them project-only access to `project_id` with `role`,
    /// directly in the database.
    pub async fn project_only_member(
        &self,
        slug: &str,
        project_id: Uuid,
        name: &str,
        role: teamwork::domain::ProjectRole,
    ) -> TestClient {
        let client = self.signed_up(name).await;
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        use teamwork::schema::project_members;
        diesel::insert_into(project_members::table)
            .values((
                project_members::id.eq(Uuid::now_v7()),
                project_members::org_id.eq(self.org_id(slug)),
                project_members::project_id.eq(project_id),
                project_members::user_id.eq(self.user_id(&email)),
                project_members::role.eq(role),
            ))
            .execute(&mut self.conn())
            .unwrap();
        recount(&mut self.conn(), self.org_id(slug));
        client
    }

    /// Marks the account's address as confirmed, directly in the database.
    pub fn mark_confirmed(&self, email: &str) {
        diesel::sql_query("UPDATE users SET email_verified_at = now() WHERE email = $1")
            .bind::<diesel::sql_types::Text, _>(email)
            .execute(&mut self.conn())
            .unwrap();
    }

    pub fn user_id(&self, email: &str) -> Uuid {
        use teamwork::schema::users;
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(&mut self.conn())
            .expect("user exists")
    }

    pub fn org_id(&self, slug: &str) -> Uuid {
        use teamwork::schema::organizations;
        organizations::table
            .filter(organizations::slug.eq(slug))
            .select(organizations::id)
            .first(&mut self.conn())
            .expect("organization exists")
    }

    /// The role of a user in an organization, `None` when not a member.
    pub fn role_of(&self, slug: &str, email: &str) -> Option<Role> {
        use teamwork::schema::memberships;
        memberships::table
            .filter(memberships::org_id.eq(self.org_id(slug)))
            .filter(memberships::user_id.eq(self.user_id(email)))
            .select(memberships::role)
            .first(&mut self.conn())
            .optional()
            .unwrap()
    }

    /// The path of the link under `prefix` (e.g. `/invitations/`) in the `nth` (1-based)
    /// such email to `to`, waiting for it.
    pub async fn mailed_path(&self, to: &str, prefix: &str, nth: usize) -> String {
        let started = std::time::Instant::now();
        let link_prefix = format!("{}{prefix}", self.address);
        loop {
            let links: Vec<String> = self
                .smtp
                .messages()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
                .filter_map(|m| m.link(&link_prefix))
                .collect();
            if let Some(link) = links.get(nth - 1) {
                return link.strip_prefix(&self.address).unwrap().to_owned();
            }
            assert!(
                started.elapsed().as_secs() < 10,
                "no email #{nth} to {to} with a {prefix} link"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Waits for an email to `to` with exactly this subject.
    pub async fn mail_with_subject(&self, to: &str, subject: &str) -> crate::smtp::ReceivedMail {
        let started = std::time::Instant::now();
        loop {
            let found =
                self.smtp.messages().into_iter().find(|m| {
                    m.subject == subject && m.to.iter().any(|t| t.eq_ignore_ascii_case(to))
                });
            if let Some(mail) = found {
                return mail;
            }
            assert!(
                started.elapsed().as_secs() < 10,
                "no email {subject:?} to {to}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The path of the join link in the `nth` invitation email to `to`.
    pub async fn join_path(&self, to: &str, nth: usize) -> String {
        self.mailed_path(to, "/invitations/", nth).await
    }

    /// Confirms `email` the way its owner would: opens the mailed link, clicks the button.
    pub async fn confirm_email(&self, client: &TestClient, email: &str) {
        let path = self.mailed_path(email, "/verify-email/", 1).await;
        assert_eq!(client.get(&path).await.status(), StatusCode::OK);
        let response = client.post_form(&path, &[]).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "confirming {email}"
        );
    }

    /// Rows of `table` that match a SQL condition (a literal in the test, never input).
    pub fn count_where(&self, table: &str, condition: &str) -> i64 {
        self.count(&format!("{table} WHERE {condition}"))
    }

    /// Adds `n` members named "<prefix> 00001"… (emails "<prefix>1@example.com"…) with
    /// mixed roles other than Administrator, directly in SQL.
    pub fn add_generated_members(&self, slug: &str, prefix: &str, n: i32) {
        diesel::sql_query(
            "WITH new_users AS ( \
               INSERT INTO users (id, email, name, password_hash) \
               SELECT gen_random_uuid(), lower($3) || i || '@example.com', $3 || ' ' || lpad(i::text, 5, '0'), 'x' \
               FROM generate_series(1, $1) AS i RETURNING id) \
             INSERT INTO memberships (id, org_id, user_id, role) \
             SELECT gen_random_uuid(), $2, id, (ARRAY['developer','viewer','billing_manager'])[1 + (random() * 2)::int] \
             FROM new_users",
        )
        .bind::<diesel::sql_types::Integer, _>(n)
        .bind::<diesel::sql_types::Uuid, _>(self.org_id(slug))
        .bind::<diesel::sql_types::Text, _>(prefix)
        .execute(&mut self.conn())
        .expect("generated members");
        recount(&mut self.conn(), self.org_id(slug));
    }

    /// Moves the organization to the Enterprise plan (no seat limit), for tests that
    /// invite in bulk; the plan change itself is tested through its form.
    pub fn unlimited_seats(&self, slug: &str) {
        diesel::sql_query("UPDATE billing_accounts SET plan = 'enterprise' WHERE org_id = $1")
            .bind::<diesel::sql_types::Uuid, _>(self.org_id(slug))
            .execute(&mut self.conn())
            .expect("plan change");
    }

    /// Waits until the mail worker has read the outbox twice more: whatever it would
    /// still send now (a duplicate, a retry that is due) has been sent by then. Negative
    /// mail checks ("delivered once", "nothing sent") wait on this, not on a fixed sleep.
    pub async fn mail_settled(&self) {
        let start = self.mail.passes();
        for _ in 0..500 {
            if self.mail.passes() >= start + 2 {
                return;
            }
            self.mail.wake();
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the mail worker made no progress in 5 s");
    }

    /// A direct connection to this test's database, for assertions.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&server().url(&self.database)).expect("connect to test database")
    }

    /// Runs `f` on one connection kept for this test's assertions, so that counting
    /// rows after every request does not open a connection each time.
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut PgConnection) -> T) -> T {
        let mut kept = self.assertions.lock().unwrap();
        f(kept.get_or_insert_with(|| self.conn()))
    }

    /// Rows in a table, for "a denied request changes nothing" assertions.
    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let query = format!("SELECT count(*) AS n FROM {table}");
        let counted = self.with_conn(|conn| diesel::sql_query(&query).get_result::<Count>(conn));
        match counted {
            Ok(count) => count.n,
            // The kept connection died (a test restarted Postgres): a fresh one.
            Err(_) => {
                *self.assertions.lock().unwrap() = None;
                self.with_conn(|conn| diesel::sql_query(&query).get_result::<Count>(conn))
                    .expect("count rows")
                    .n
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop_database(&self.database);
    }
}

fn drop_database(database: &str) {
    if let Ok(mut admin) = PgConnection::establish(&server().url("postgres")) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .execute(&mut admin);
    }
}

/// Base64 of 32 bytes; never used outside tests.
pub(crate) const TEST_SECRETS_KEY: &str = "dGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg5YWJjZGU=";

pub fn test_config(port: u16, database_url: &str) -> Config {
    Config {
        app_env: AppEnv::Development,
        database_url: Some(database_url.to_owned().into()),
        bind_addr: format!("127.0.0.1:{port}"),
        base_url: format!("http://127.0.0.1:{port}"),
        smtp_url: None,
        mail_from: "Teamwork <teamwork@example.com>".into(),
        session_key: None,
        audit_signing_key: None,
        // One fixed key: forks and second instances read the same encrypted secrets.
        secrets_key: Some(TEST_SECRETS_KEY.to_owned().into()),
        data_dir: std::env::temp_dir(),
        session_idle_timeout: std::time::Duration::from_secs(7200),
        session_lifetime: std::time::Duration::from_secs(7 * 86400),
        metrics_addr: None,
        db_pool_size: 5,
        usage_raw_retention_days: 400,
        trusted_proxies: Vec::new(),
        // A cheap hash: the suite signs up hundreds of people. The production cost has
        // its own test (auth::password) and production refuses less (config).
        password_cost: teamwork::config::PasswordCost {
            memory_kib: 64,
            iterations: 1,
        },
        // Every test signs up its people from 127.0.0.1; the production limits have
        // their own tests (security_hardening).
        limits: teamwork::config::Limits {
            signups_per_ip_per_hour: 100_000,
            unverified_invitations_per_day: 100_000,
            ..Default::default()
        },
        clock: Default::default(),
        // Never the internet: domain verification asks a port nobody answers, unless
        // a test starts its own DNS server.
        dns_resolver: Some("127.0.0.1:9".parse().unwrap()),
    }
}

/// The worker of a test app: polls every 50 ms and retries after 50 ms, 100 ms, ... (at
/// most 1 s apart) so that tests of failures do not wait for production delays.
pub fn test_worker_options() -> WorkerOptions {
    let config = test_config(0, "postgres://unused");
    WorkerOptions {
        poll_interval: std::time::Duration::from_millis(50),
        lease: std::time::Duration::from_secs(30),
        backoff_base: std::time::Duration::from_millis(50),
        backoff_cap: std::time::Duration::from_secs(1),
        ..WorkerOptions::from_config(&config).expect("MAIL_FROM of the test config")
    }
}

/// A console started on an existing database (see [`TestApp::second_instance`]); it does
/// not own the database.
pub struct Instance {
    pub address: String,
    pub mail: WorkerHandle,
    pub server: actix_web::dev::ServerHandle,
}

impl Instance {
    pub async fn start(
        database_url: &str,
        key: actix_web::cookie::Key,
        smtp_url: &str,
    ) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().unwrap().port();
        let mut config = test_config(port, database_url);
        config.smtp_url = Some(smtp_url.to_owned().into());
        let db = Db::new(database_url, 5);
        let transport = Transport::from_config(&config).expect("SMTP transport");
        let mail = teamwork::mail::worker::spawn(
            Db::new(database_url, 2),
            transport,
            test_worker_options(),
        );
        let app =
            Application::build(config, listener, db, key, mail.clone()).expect("build application");
        let server = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());
        Instance {
            address: format!("http://127.0.0.1:{port}"),
            mail,
            server,
        }
    }

    pub fn client(&self) -> TestClient {
        TestClient::new(&self.address)
    }
}

/// One person's HTTP client: keeps cookies, never follows redirects.
pub struct TestClient {
    pub http: reqwest::Client,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub address: String,
    /// The session's CSRF token, fetched once: it changes only when the session does
    /// (sign-in, sign-out), and a refused token is fetched again.
    csrf: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl TestClient {
    pub fn new(address: &str) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        // Idle connections are dropped before the server's 5 s keep-alive closes them, so
        // a busy machine never hands a request to a connection that is going away.
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestClient {
            http,
            jar,
            address: address.to_owned(),
            csrf: Default::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The same person, signed in to a fork of the app at `address` (see
    /// [`TestApp::fork`]): a new cookie jar holding this one's cookies, so that what the
    /// fork does to the session (a sign-out, a new session) stays there.
    pub fn fork_to(&self, address: &str) -> TestClient {
        use reqwest::cookie::CookieStore;
        let forked = TestClient::new(address);
        let url: reqwest::Url = self.address.parse().expect("client address");
        if let Some(cookies) = self.jar.cookies(&url) {
            let new_url: reqwest::Url = address.parse().expect("fork address");
            for cookie in cookies.to_str().unwrap_or("").split("; ") {
                forked.jar.add_cookie_str(cookie, &new_url);
            }
        }
        *forked.csrf.lock().unwrap() = self.csrf.lock().unwrap().clone();
        forked
    }

    /// The same person (same cookies) talking to the console at another address.
    pub fn on(&self, address: &str) -> TestClient {
        TestClient {
            http: self.http.clone(),
            jar: self.jar.clone(),
            address: address.to_owned(),
            csrf: self.csrf.clone(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// The session's CSRF token, read from a page like a browser would have it.
    /// The session's CSRF token, as a page would carry it (fetched from `/login`).
    pub async fn csrf(&self) -> String {
        if let Some(token) = self.csrf.lock().unwrap().clone() {
            return token;
        }
        let page = self.get_text("/login").await;
        let token = extract_csrf(&page).expect("a CSRF token on /login");
        *self.csrf.lock().unwrap() = Some(token.clone());
        token
    }

    /// Sends a form POST built by `build` with the session's token; when the token was
    /// a cached one that the server refused (the session changed meanwhile), once more
    /// with a fresh token. A refused token changes nothing, so the retry is safe.
    async fn post_with_token(
        &self,
        path: &str,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> reqwest::Response {
        let cached = self.csrf.lock().unwrap().is_some();
        let response = build(&self.csrf().await).send().await.expect("POST");
        // The CSRF refusal's toast says the page is out of date; a role refusal differs.
        let stale_token = response.status() == StatusCode::FORBIDDEN
            && response
                .headers()
                .get("hx-trigger")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.contains("out of date"));
        let response = if cached && stale_token {
            *self.csrf.lock().unwrap() = None;
            build(&self.csrf().await).send().await.expect("POST")
        } else {
            response
        };
        // Signing in or out starts a new session, with a new token.
        let session_paths = [
            "/login",
            "/signup",
            "/logout",
            "/invitations/",
            "/password/reset/",
        ];
        if session_paths.iter().any(|p| path.starts_with(p)) {
            *self.csrf.lock().unwrap() = None;
        }
        response
    }

    /// Posts a form with the session's CSRF token, as the page's form would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_with_token(path, |token| {
            let mut body: Vec<(&str, &str)> = fields.to_vec();
            body.push(("_csrf", token));
            self.http.post(self.url(path)).form(&body)
        })
        .await
    }

    /// Posts a form the way htmx does: CSRF token in the header, `HX-Request: true`.
    pub async fn post_hx(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_with_token(path, |token| {
            self.http
                .post(self.url(path))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", token)
                .form(fields)
        })
        .await
    }

    pub async fn signup(&self, name: &str, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/signup",
            &[("name", name), ("email", email), ("password", password)],
        )
        .await
    }

    /// Signs up (which answers "Check your email to finish" and signs nobody in, so that
    /// the form does not tell which addresses have accounts), then logs in as a person
    /// would. Returns the log-in response: a 303 when it worked.
    pub async fn sign_up_and_log_in(
        &self,
        name: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let signup = self.signup(name, email, password).await;
        assert_eq!(signup.status(), StatusCode::OK, "sign-up of {email}");
        let page = signup.text().await.unwrap();
        assert!(
            page.contains("Check your email to finish"),
            "sign-up of {email}"
        );
        self.login(email, password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Creates an organization and returns its slug.
    pub async fn create_org(&self, name: &str) -> String {
        let response = self.post_form("/orgs", &[("name", name)]).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "create org {name}"
        );
        location(&response)
            .strip_prefix("/orgs/")
            .and_then(|rest| rest.strip_suffix("/members"))
            .expect("redirect to the members page")
            .to_owned()
    }
}

/// The API key a "Copy your API key" page shows once (the element a person copies).
pub fn shown_key(page: &str) -> String {
    let marker = "id=\"new-key\">";
    let start = page.find(marker).expect("the new key on the page") + marker.len();
    let rest = &page[start..];
    rest[..rest.find('<').expect("the end of the key")]
        .trim()
        .to_owned()
}

pub fn extract_csrf(page: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_owned())
}

/// The toast an htmx response asks for: (level, message).
pub fn toast(response: &reqwest::Response) -> Option<(String, String)> {
    let header = response.headers().get("hx-trigger")?.to_str().ok()?;
    let value: serde_json::Value = serde_json::from_str(header).ok()?;
    Some((
        value["toast"]["level"].as_str()?.to_owned(),
        value["toast"]["message"].as_str()?.to_owned(),
    ))
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Counts an organization's people again after a fixture wrote memberships, project-only
/// access or invitations straight into the tables (the operations keep the counts).
pub fn recount(conn: &mut diesel::PgConnection, org_id: Uuid) {
    teamwork::models::organizations::Organization::recount(conn, org_id).expect("recount");
}
