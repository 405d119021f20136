//! The Nu Html Checker (npm package `vnu-jar`, which `tests/run` installs under
//! `target/tools` and runs with the machine's Java) over the pages the browser tests
//! show: the document as the browser holds it, htmx swaps included.

use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

use crate::browser::Browser;

/// Where `tests/run` puts the checker; `VNU_JAR` points elsewhere.
fn vnu_jar() -> PathBuf {
    match std::env::var_os("VNU_JAR") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/tools/node_modules/vnu-jar/build/dist/vnu.jar"),
    }
}

#[derive(Default)]
pub struct HtmlCheck {
    pages: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct Report {
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
    #[serde(rename = "lastLine")]
    line: Option<u64>,
    message: String,
    extract: Option<String>,
}

impl HtmlCheck {
    /// Keeps the current document of `browser`, named `page` in the errors.
    pub async fn keep(&mut self, browser: &Browser, page: &str) {
        let html = browser
            .execute(
                "return '<!DOCTYPE html>\\n' + document.documentElement.outerHTML",
                vec![],
            )
            .await;
        let html = html.as_str().expect("the page's HTML").to_owned();
        self.pages.push((page.to_owned(), html));
    }

    /// Runs the checker once over every kept page: one line per error, naming the page.
    pub fn errors(&self) -> Vec<String> {
        if self.pages.is_empty() {
            return Vec::new();
        }
        let jar = vnu_jar();
        assert!(
            jar.exists(),
            "{} not found: run tests/run, which installs the Nu Html Checker",
            jar.display()
        );
        let unique = format!("teamwork-html-{}-{:p}", std::process::id(), self);
        let dir = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&dir).expect("a folder for the pages");
        let mut files = Vec::new();
        for (i, (_, html)) in self.pages.iter().enumerate() {
            let file = dir.join(format!("page-{i:03}.html"));
            std::fs::write(&file, html).expect("writing a page");
            files.push(file);
        }
        let output = Command::new("java")
            .arg("-jar")
            .arg(&jar)
            .args(["--errors-only", "--format", "json", "--stdout"])
            .args(&files)
            .output()
            .expect("running java -jar vnu.jar");
        let _ = std::fs::remove_dir_all(&dir);
        let report: Report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "the checker's report is not JSON ({e}): {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let page_of = |url: &Option<String>| {
            let url = url.as_deref().unwrap_or_default();
            files
                .iter()
                .position(|f| url.ends_with(&*f.file_name().unwrap().to_string_lossy()))
                .map(|i| self.pages[i].0.clone())
                .unwrap_or_else(|| url.to_owned())
        };
        let errors: Vec<String> = report
            .messages
            .iter()
            .filter(|m| m.kind != "info")
            .map(|m| {
                format!(
                    "{} (line {}): {}\n    {}",
                    page_of(&m.url),
                    m.line.unwrap_or_default(),
                    m.message,
                    m.extract.as_deref().unwrap_or_default().trim()
                )
            })
            .collect();
        println!(
            "Nu Html Checker: {} pages, {} errors",
            self.pages.len(),
            errors.len()
        );
        errors
    }
}
