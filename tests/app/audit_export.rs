//! The exports carry the chain, and the offline verifier printed in the README accepts
//! an export of a seeded organization and rejects an edited one.

use std::path::PathBuf;

use reqwest::StatusCode;
use teamwork::domain::Role;

use crate::helpers::TestApp;

/// The Python verifier exactly as the README prints it.
fn readme_verifier() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("### Verifying the activity log").unwrap()..];
    let code = &section[section.find("```python\n").unwrap() + "```python\n".len()..];
    code[..code.find("```").unwrap()].to_owned()
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Runs the README's verifier on `export`; its success and output.
fn run_verifier(dir: &Scratch, export: &str) -> (bool, String) {
    let script = dir.0.join("verify.py");
    let file = dir.0.join("export.jsonl");
    std::fs::write(&script, readme_verifier()).unwrap();
    std::fs::write(&file, export).unwrap();
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(&file)
        .output()
        .expect("python3 runs the README's verifier");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[actix_web::test]
async fn the_readme_verifier_accepts_an_export_of_the_demo_and_finds_an_edit() {
    let app = TestApp::spawn().await;
    let options = teamwork::seed::Options {
        members: 5,
        activity: 1_500,
        days: 1,
    };
    teamwork::seed::seed_demo(&app.db, &app.address, options)
        .await
        .unwrap();
    let auditor = app
        .member_with_role("demo-co", "Audra Auditor", Role::Administrator)
        .await;
    // Entries written by the app itself, with an email in before/after and an IP address.
    let (admin, slug) = app.admin_with_org("Zoë \"Quotes\" & Co").await;
    admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "grace@example.com"), ("role", "viewer")],
        )
        .await;

    let dir = Scratch(
        std::env::temp_dir().join(format!("teamwork-export-{}", uuid::Uuid::new_v4().simple())),
    );
    std::fs::create_dir_all(&dir.0).unwrap();
    for (client, slug, entries) in [(&auditor, "demo-co", 1_500), (&admin, slug.as_str(), 2)] {
        let response = client
            .get(&format!("/orgs/{slug}/activity/export.jsonl"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let export = response.text().await.unwrap();
        assert_eq!(export.lines().count(), entries, "{slug}");
        let (ok, out) = run_verifier(&dir, &export);
        assert!(ok && out.trim() == "OK", "{slug}: {out}");
    }

    let export = auditor
        .get_text("/orgs/demo-co/activity/export.jsonl")
        .await;
    // The 100th line from the top is entry #1401 (newest first).
    let edited: Vec<String> = export
        .lines()
        .enumerate()
        .map(|(n, line)| match n {
            99 => line.replacen("\"action\":\"", "\"action\":\"x", 1),
            _ => line.to_owned(),
        })
        .collect();
    let (ok, out) = run_verifier(&dir, &(edited.join("\n") + "\n"));
    assert!(!ok && out.contains("BROKEN at #1401"), "{out}");

    let dropped: Vec<&str> = export
        .lines()
        .filter(|l| !l.contains("\"seq\":700,"))
        .collect();
    let (ok, out) = run_verifier(&dir, &(dropped.join("\n") + "\n"));
    assert!(!ok && out.contains("BROKEN at #700"), "{out}");
}
