//! A real headless Chromium, driven over WebDriver, that tests use the way a
//! person uses the console: by the labels, buttons, links and text they see,
//! never by CSS classes or ids. Needs `chromium` and `chromium-driver`
//! (`tests/run` installs them); a missing browser fails the test.
#![allow(dead_code)]

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::process::{Child, Command};

use crate::helpers::TestApp;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a person waits for something to show up before giving up.
const PATIENCE: Duration = Duration::from_secs(5);

pub struct BrowserOptions {
    pub javascript: bool,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self { javascript: true }
    }
}

/// A part of the page a person can point at.
#[derive(Clone, Copy, Debug)]
pub enum Region {
    /// The sidebar and menus: `<nav>` or `role="navigation"`.
    Navigation,
    /// The main content: `<main>` or `role="main"`.
    Main,
    /// The page title shown on the page: `<h1>`.
    Heading,
}

pub struct Browser {
    client: Client,
    driver: Child,
    profile_dir: PathBuf,
}

impl Browser {
    pub async fn start() -> Browser {
        Self::start_with(BrowserOptions::default()).await
    }

    pub async fn start_with(options: BrowserOptions) -> Browser {
        for program in [CHROMIUM, CHROMEDRIVER] {
            let hint = "run tests/run, or apt-get install chromium chromium-driver";
            assert!(Path::new(program).exists(), "{program} not found: {hint}");
        }
        let free = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr());
        let port = ok(free, "looking for a free port for chromedriver").port();
        let mut driver = Command::new(CHROMEDRIVER);
        driver.arg(format!("--port={port}")).stdin(Stdio::null());
        driver.stdout(Stdio::null()).stderr(Stdio::null());
        // Its own process group, so that Drop ends chromedriver and Chromium at once.
        driver.process_group(0).kill_on_drop(true);
        let mut driver = ok(driver.spawn(), "starting chromedriver");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = driver.try_wait() {
                panic!("chromedriver exited before accepting connections: {status}");
            }
            let waited = started.elapsed();
            assert!(
                waited < Duration::from_secs(10),
                "chromedriver not listening after {waited:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // Unique while chromedriver holds the port.
        let name = format!("teamwork-browser-{}-{port}", std::process::id());
        let profile_dir = std::env::temp_dir().join(name);
        ok(std::fs::create_dir_all(&profile_dir), "making profile");
        let mut chrome = json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--user-data-dir={}", profile_dir.display()), "--window-size=1280,900"],
        });
        if !options.javascript {
            chrome["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), chrome);
        let url = format!("http://127.0.0.1:{port}");
        let mut builder = ClientBuilder::new(HttpConnector::new());
        let session = builder.capabilities(capabilities).connect(&url).await;
        let client = ok(session, "starting Chromium through chromedriver");
        Browser {
            client,
            driver,
            profile_dir,
        }
    }

    /// Ends the browser session cleanly; call it at the end of each test.
    pub async fn close(self) {
        if let Err(e) = self.client.clone().close().await {
            eprintln!("closing the browser session: {e}");
        }
    }

    /// The underlying WebDriver client, for what the helpers below don't cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn goto(&self, url: &str) {
        ok(self.client.goto(url).await, format_args!("opening {url}"));
    }

    pub async fn current_path(&self) -> String {
        ok(self.client.current_url().await, "reading the current URL")
            .path()
            .to_string()
    }

    /// Types `value` into the field labelled `label`, replacing what was there.
    pub async fn fill(&self, label: &str, value: &str) {
        let (field, doing) = (self.control(label).await, format!("filling {label:?}"));
        ok(field.clear().await, &doing);
        ok(field.send_keys(value).await, &doing);
    }

    /// Picks the option reading `option` in the drop-down labelled `label`.
    pub async fn select(&self, label: &str, option: &str) {
        let select = self.control(label).await;
        let xpath = format!(".//option[normalize-space(.)={}]", xpath_literal(option));
        let doing = format!("choosing {option:?} in {label:?}");
        let choice = ok(select.find(Locator::XPath(&xpath)).await, &doing);
        ok(choice.click().await, &doing);
    }

    /// Clicks the `<button>` (or submit/button `<input>`) that reads `text`.
    pub async fn click_button(&self, text: &str) {
        let t = xpath_literal(text);
        let xpath = format!(
            "//button[normalize-space(.)={t}] | \
             //input[(@type='submit' or @type='button') and normalize-space(@value)={t}]"
        );
        self.click(&xpath, format!("button {text:?}")).await;
    }

    /// Clicks the link that reads `text`.
    pub async fn click_link(&self, text: &str) {
        let xpath = format!("//a[normalize-space(.)={}]", xpath_literal(text));
        self.click(&xpath, format!("link {text:?}")).await;
    }

    /// The text a person sees on the whole page.
    pub async fn page_text(&self) -> String {
        self.text_of("//body").await
    }

    /// The text a person sees in one region of the page (empty if there is none).
    pub async fn text_in(&self, region: Region) -> String {
        self.text_of(match region {
            Region::Navigation => "//nav | //*[@role='navigation']",
            Region::Main => "//main | //*[@role='main']",
            Region::Heading => "//h1",
        })
        .await
    }

    /// Whether the page shows `text` (any run of whitespace matches any other).
    pub async fn has_text(&self, text: &str) -> bool {
        squash(&self.page_text().await).contains(&squash(text))
    }

    /// Waits up to 5 s for the page to show `text`; panics with what it shows instead.
    pub async fn wait_for_text(&self, text: &str) {
        self.wait_for_text_where(text, None).await
    }

    /// Waits up to 5 s for `region` of the page to show `text`.
    pub async fn wait_for_text_in(&self, region: Region, text: &str) {
        self.wait_for_text_where(text, Some(region)).await
    }

    /// Saves a PNG of the window as `target/screenshots/<name>` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        let (path, doing) = (dir.join(name), format!("saving screenshot {name}"));
        ok(
            std::fs::create_dir_all(path.parent().unwrap_or(&dir)),
            &doing,
        );
        let png = ok(self.client.screenshot().await, &doing);
        ok(std::fs::write(&path, png), &doing);
        path
    }

    /// Like `screenshot`, of the whole page (as tall as it is) at the current width.
    pub async fn screenshot_whole_page(&self, name: &str) -> PathBuf {
        let doing = "measuring the page";
        let size = ok(
            self.client
                .execute(
                    "return [document.documentElement.clientWidth, \
                             document.documentElement.scrollHeight, window.innerHeight]",
                    vec![],
                )
                .await,
            doing,
        );
        let number = |i: usize| size[i].as_u64().unwrap_or(0) as u32;
        let (width, tall, height) = (number(0), number(1), number(2));
        self.resize(width, tall.max(height)).await;
        let path = self.screenshot(name).await;
        self.resize(width, height).await;
        path
    }

    /// Logs in through the `/login` form, as a person would, and waits to leave it.
    pub async fn log_in(&self, app: &TestApp, email: &str, password: &str) {
        self.goto(&format!("{}/login", app.address)).await;
        self.fill("Email", email).await;
        self.fill("Password", password).await;
        self.click_button("Log in").await;
        let what = format!("the login of {email} to leave /login");
        self.wait_until(&what, async || self.current_path().await != "/login")
            .await;
    }

    /// Logs out through the header's account menu, as a person would: opens the menu,
    /// then clicks "Log out".
    pub async fn log_out(&self) {
        self.click(
            "//summary[contains(normalize-space(.), '(account menu)')]",
            "the account menu".to_owned(),
        )
        .await;
        self.click_button("Log out").await;
    }

    /// Clicks the control (a button, a submit or button `<input>`, or a link) whose
    /// accessible name is `name`: its `aria-label` when it has one (e.g. "Remove Grace
    /// Hopper" on a control that reads "Remove"), else its text. A confirmation is often
    /// opened by a link that looks like a button, an action by a button: the test names
    /// what a screen reader announces, not which element carries it.
    pub async fn click_named(&self, name: &str) {
        let n = xpath_literal(name);
        let xpath = format!(
            "//button[normalize-space(@aria-label)={n} or \
                      (not(@aria-label) and normalize-space(.)={n})] | \
             //a[@href and (normalize-space(@aria-label)={n} or \
                            (not(@aria-label) and normalize-space(.)={n}))] | \
             //input[(@type='submit' or @type='button') and \
                     (normalize-space(@aria-label)={n} or normalize-space(@value)={n})]"
        );
        self.click(&xpath, format!("control named {name:?}")).await;
    }

    /// The full address of the page shown, query string included.
    pub async fn current_url(&self) -> String {
        ok(self.client.current_url().await, "reading the address").to_string()
    }

    /// Clicks the button reading `text` in the same form as the field labelled `label`:
    /// the "Save" next to a select, when every row has its own "Save".
    pub async fn click_button_next_to(&self, label: &str, text: &str) {
        let button = self.button_next_to(label, text).await;
        let doing = format!("clicking {text:?} next to {label:?}");
        ok(button.click().await, doing);
    }

    /// Whether the button reading `text` next to the field labelled `label` is shown.
    pub async fn button_next_to_is_shown(&self, label: &str, text: &str) -> bool {
        let button = self.button_next_to(label, text).await;
        button.is_displayed().await.unwrap_or(false)
    }

    /// The text of the option chosen in the drop-down labelled `label` (the live choice).
    pub async fn selected_option(&self, label: &str) -> String {
        let select = self.control(label).await;
        let doing = format!("reading the choice in {label:?}");
        let value = ok(select.prop("value").await, &doing).unwrap_or_default();
        let xpath = format!(".//option[@value={}]", xpath_literal(&value));
        let chosen = ok(select.find(Locator::XPath(&xpath)).await, &doing);
        squash(&ok(chosen.text().await, &doing))
    }

    /// The text of the table row that shows `text` (e.g. a member's name), as a person
    /// reads across it; empty when no row shows it.
    pub async fn row_text(&self, text: &str) -> String {
        let xpath = format!(
            "//tr[contains(normalize-space(.), {})]",
            xpath_literal(text)
        );
        self.text_of(&xpath).await
    }

    /// How many buttons read `text` (whatever their accessible name) and are shown:
    /// `<button>`s, and links that look like buttons (a confirmation opened by a link).
    pub async fn count_buttons(&self, text: &str) -> usize {
        let t = xpath_literal(text);
        let xpath = format!(
            "//button[normalize-space(.)={t}] | \
             //a[contains(concat(' ', normalize-space(@class), ' '), ' btn ') and normalize-space(.)={t}]"
        );
        let mut shown = 0;
        for button in self
            .client
            .find_all(Locator::XPath(&xpath))
            .await
            .unwrap_or_default()
        {
            if button.is_displayed().await.unwrap_or(false) {
                shown += 1;
            }
        }
        shown
    }

    /// Shows the page in a `width` x `height` viewport (CSS pixels, what a screenshot
    /// shows), like a phone's (390x844) below 600 pixels: Chromium's windows cannot be
    /// made narrower than 500 pixels, so this asks Chromium's DevTools to emulate it.
    pub async fn resize(&self, width: u32, height: u32) {
        let mobile = width < 600;
        let metrics = json!({
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
        });
        self.devtools("Emulation.setDeviceMetricsOverride", metrics)
            .await;
        let doing = format!("resizing the viewport to {width}x{height}");
        let script = "return [window.innerWidth, window.innerHeight, \
                              document.documentElement.clientWidth]";
        let size = ok(self.client.execute(script, vec![]).await, &doing);
        if mobile {
            // A phone zooms out (innerWidth and innerHeight grow) to fit a page wider than
            // its screen: the screenshot shows that, the layout width stays the phone's.
            assert_eq!(size[2], json!(width), "{doing}");
        } else {
            assert_eq!(
                (&size[0], &size[1]),
                (&json!(width), &json!(height)),
                "{doing}"
            );
        }
    }

    /// The page's title, as the browser's tab shows it.
    pub async fn title(&self) -> String {
        ok(self.client.title().await, "reading the page title")
    }

    /// Whether the page's own scripts ran (`app.js` marks `<html>` with the class
    /// `js`): false in a browser started with `javascript: false`.
    pub async fn page_scripts_ran(&self) -> bool {
        let html = self.find_present("/html", "the document").await;
        let class = ok(html.attr("class").await, "reading the class of <html>");
        class.is_some_and(|c| c.split_whitespace().any(|c| c == "js"))
    }

    /// The value of the cookie `name` that the browser holds for the current site.
    pub async fn cookie(&self, name: &str) -> String {
        let cookie = self.client.get_named_cookie(name).await;
        ok(cookie, format_args!("reading the cookie {name:?}"))
            .value()
            .to_owned()
    }

    /// The form token of the page: what each of its forms sends along (`_csrf`).
    pub async fn csrf_token(&self) -> String {
        let field = self
            .find_present("//input[@name='_csrf']", "a form token")
            .await;
        let value = field.attr("value").await;
        ok(value, "reading the form token").unwrap_or_default()
    }

    /// The value shown in the field labelled `label`.
    pub async fn field_value(&self, label: &str) -> String {
        let field = self.control(label).await;
        let value = field.prop("value").await;
        ok(value, format_args!("reading {label:?}")).unwrap_or_default()
    }

    /// Whether the field labelled `label` can be typed in (not `readonly` or `disabled`).
    pub async fn field_is_editable(&self, label: &str) -> bool {
        let field = self.control(label).await;
        let doing = format!("reading whether {label:?} is editable");
        let read_only = ok(field.prop("readOnly").await, &doing);
        let enabled = ok(field.is_enabled().await, &doing);
        enabled && read_only.as_deref() != Some("true")
    }

    /// Presses `key` on the keyboard, for whatever has the focus.
    pub async fn press(&self, key: Key) {
        let key = char::from(key);
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        let done = self.client.perform_actions(keys).await;
        ok(done, format_args!("pressing {key:?}"));
    }

    /// Presses Tab, at most 100 times, until the field or button labelled `label` has
    /// the focus, as a keyboard user does; returns how many presses it took.
    pub async fn tab_to(&self, label: &str) -> usize {
        let target = self.control(label).await;
        let target = target.element_id();
        for presses in 1..=100 {
            self.press(Key::Tab).await;
            let focused = ok(self.client.active_element().await, "finding the focus");
            if focused.element_id() == target {
                return presses;
            }
        }
        panic!("100 presses of Tab never reached {label:?}");
    }

    /// Whether the field labelled `label` has the keyboard focus.
    pub async fn has_focus(&self, label: &str) -> bool {
        let target = self.control(label).await;
        let focused = ok(self.client.active_element().await, "finding the focus");
        focused.element_id() == target.element_id()
    }

    /// What a person can operate on the page, as a screen reader names it: one
    /// "button: Log out", "link: Invite Member", "select: Role" or "field: Search" per
    /// control shown. Links are listed only when they look like buttons or act on the
    /// page (`method`-less links that navigate are not controls).
    pub async fn controls(&self) -> Vec<String> {
        let script = r#"
            const shown = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
                && getComputedStyle(el).visibility !== "hidden";
            const squash = (t) => (t || "").replace(/\s+/g, " ").trim();
            const name = (el) => {
                if (el.getAttribute("aria-label")) return squash(el.getAttribute("aria-label"));
                if (el.labels && el.labels.length) return squash(el.labels[0].textContent);
                if (el.tagName === "INPUT" && /^(submit|button)$/.test(el.type)) return squash(el.value);
                return squash(el.textContent);
            };
            const kind = (el) => {
                switch (el.tagName) {
                    case "BUTTON": return "button";
                    case "SELECT": return "select";
                    case "A": return "link";
                    case "SUMMARY": return "menu";
                    default: return /^(submit|button)$/.test(el.type) ? "button" : "field";
                }
            };
            const found = document.querySelectorAll(
                "button, select, textarea, summary, a.btn, input:not([type=hidden])");
            return Array.from(found).filter(shown).map((el) => kind(el) + ": " + name(el));
        "#;
        let listed = ok(
            self.client.execute(script, vec![]).await,
            "listing the controls",
        );
        serde_json::from_value(listed).expect("a list of controls")
    }

    /// Runs `script` in the page (WebDriver "execute script") and returns its value.
    pub async fn execute(&self, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
        ok(self.client.execute(script, args).await, "running a script")
    }

    /// Runs `script`, which calls its last argument with the result, and waits for it.
    pub async fn execute_async(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
    ) -> serde_json::Value {
        let done = self.client.execute_async(script, args).await;
        ok(done, "running an asynchronous script")
    }

    /// Asks Chromium to render the page as for a person who prefers `scheme`
    /// ("light" or "dark").
    pub async fn prefer_color_scheme(&self, scheme: &str) {
        let features = json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] });
        self.devtools("Emulation.setEmulatedMedia", features).await;
    }

    /// Sends a command to Chromium's DevTools through chromedriver.
    async fn devtools(&self, cmd: &'static str, params: serde_json::Value) {
        let doing = format!("asking Chromium's DevTools for {cmd}");
        let sent = self.client.issue_cmd(DevTools { cmd, params }).await;
        ok(sent, doing);
    }

    /// Sets a mark on the current document; it survives htmx swaps, not a page load.
    pub async fn mark_page(&self) {
        let script = "window.__marker = 1";
        ok(
            self.client.execute(script, vec![]).await,
            "marking the page",
        );
    }

    /// Whether the document is still the one `mark_page` marked (no reload since).
    pub async fn page_is_marked(&self) -> bool {
        let script = "return window.__marker === 1";
        let value = ok(
            self.client.execute(script, vec![]).await,
            "reading the mark",
        );
        value == json!(true)
    }

    /// Waits up to 5 s for the page's text to satisfy `test`; `what` names it when it fails.
    pub async fn wait_for_page(&self, what: &str, test: impl Fn(&str) -> bool) {
        self.wait_until(what, async || test(&self.page_text().await))
            .await;
    }

    /// Waits up to 5 s for `condition`; panics with what the page shows instead.
    pub async fn wait_until(&self, what: &str, condition: impl AsyncFn() -> bool) {
        let started = Instant::now();
        loop {
            if condition().await {
                return;
            }
            if started.elapsed() > PATIENCE {
                let (at, page) = (self.current_path().await, self.page_text().await);
                panic!("waited {PATIENCE:?} for {what} at {at}; the page shows:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn button_next_to(&self, label: &str, text: &str) -> Element {
        let field = self.control(label).await;
        let xpath = format!(
            "ancestor::form[1]//button[starts-with(normalize-space(.), {})]",
            xpath_literal(text)
        );
        let found = field.find(Locator::XPath(&xpath)).await;
        ok(found, format!("finding {text:?} next to {label:?}"))
    }

    async fn wait_for_text_where(&self, text: &str, region: Option<Region>) {
        let started = Instant::now();
        loop {
            let seen = match region {
                Some(region) => self.text_in(region).await,
                None => self.page_text().await,
            };
            if squash(&seen).contains(&squash(text)) {
                return;
            }
            if started.elapsed() > PATIENCE {
                let at = self.current_path().await;
                let Some(region) = region else {
                    panic!("waited {PATIENCE:?} for {text:?} at {at}; the page shows:\n{seen}");
                };
                let page = self.page_text().await;
                panic!(
                    "waited {PATIENCE:?} for {text:?} in {region:?} at {at}; it shows:\n{seen}\n\
                        --- the whole page:\n{page}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The visible text of every element matching `xpath`, one per line.
    async fn text_of(&self, xpath: &str) -> String {
        let elements = ok(self.client.find_all(Locator::XPath(xpath)).await, xpath);
        let mut text = Vec::new();
        for element in elements {
            // An element that htmx swaps out while we read it counts as empty.
            text.push(element.text().await.unwrap_or_default());
        }
        text.join("\n")
    }

    /// The form control named `label`: by a `<label>` reading `label` (its `for=`, or the
    /// control nested inside it; the label may be visually hidden, as for a select in a
    /// table row), or by its `aria-label`. Waits up to 5 s for a displayed one.
    async fn control(&self, label: &str) -> Element {
        let l = xpath_literal(label);
        let labels = format!("//label[normalize-space(.)={l} or text()[normalize-space(.)={l}]]");
        let fields = "self::input or self::select or self::textarea";
        let by_aria = format!("//*[({fields}) and normalize-space(@aria-label)={l}]");
        let started = Instant::now();
        loop {
            let mut candidates = Vec::new();
            for label_element in self
                .client
                .find_all(Locator::XPath(&labels))
                .await
                .unwrap_or_default()
            {
                let found = match label_element.attr("for").await.ok().flatten() {
                    Some(id) => {
                        let by_id = format!("//*[@id={}]", xpath_literal(&id));
                        self.client.find_all(Locator::XPath(&by_id)).await
                    }
                    None => {
                        label_element
                            .find_all(Locator::XPath(&format!(".//*[{fields}]")))
                            .await
                    }
                };
                candidates.extend(found.unwrap_or_default());
            }
            candidates.extend(
                self.client
                    .find_all(Locator::XPath(&by_aria))
                    .await
                    .unwrap_or_default(),
            );
            for field in candidates {
                if field.is_displayed().await.unwrap_or(false) {
                    return field;
                }
            }
            if started.elapsed() > PATIENCE {
                let (at, page) = (self.current_path().await, self.page_text().await);
                panic!(
                    "found no field labelled {label:?} within {PATIENCE:?} at {at}; the page shows:\n{page}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, xpath: &str, what: String) {
        let element = self.find_visible(xpath, &what).await;
        ok(element.click().await, format!("clicking {what}"));
    }

    /// Waits up to 5 s for an element matching `xpath`, shown or not.
    async fn find_present(&self, xpath: &str, what: impl Display) -> Element {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::XPath(xpath)).await {
                return element;
            }
            if started.elapsed() > PATIENCE {
                let (at, page) = (self.current_path().await, self.page_text().await);
                panic!("found no {what} within {PATIENCE:?} at {at}; the page shows:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits up to 5 s for a displayed element matching `xpath`; `what` names it when it fails.
    async fn find_visible(&self, xpath: &str, what: impl Display) -> Element {
        let started = Instant::now();
        loop {
            let found = self.client.find_all(Locator::XPath(xpath)).await;
            for element in found.unwrap_or_default() {
                if element.is_displayed().await.unwrap_or(false) {
                    return element;
                }
            }
            if started.elapsed() > PATIENCE {
                let (at, page) = (self.current_path().await, self.page_text().await);
                panic!("found no {what} within {PATIENCE:?} at {at}; the page shows:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            use nix::sys::signal::{SIGKILL, killpg};
            let _ = killpg(nix::unistd::Pid::from_raw(pid as i32), SIGKILL);
        }
        let _ = self.driver.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}

/// A DevTools command, sent through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

/// The value of `result`, or a panic saying what was being `done`.
fn ok<T, E: Display>(result: Result<T, E>, doing: impl Display) -> T {
    result.unwrap_or_else(|e| panic!("{doing}: {e}"))
}

/// `text` as an XPath 1.0 string literal, whatever quotes it contains.
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
