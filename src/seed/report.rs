//! What `seed-demo` prints: what it made, and how to sign in and report usage.

use std::fmt::Write;
use std::time::Duration;

use super::{Options, PASSWORD, PENDING_INVITATIONS, PEOPLE, PROJECTS, Seeded};
use crate::domain::billing::group_digits;

/// The text, with every URL on `base_url` (the configured `BASE_URL`, or the one made
/// from `BIND_ADDR`), so that the links work where the console is served.
pub(super) fn text(
    seeded: &Seeded,
    options: Options,
    elapsed: Duration,
    base_url: &str,
    key: &str,
) -> String {
    let (slug, domain) = (&seeded.slug, &seeded.domain);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "Seeded the organization {slug} in {:.1} s: {} members and {} project-only \
         members, {PENDING_INVITATIONS} pending invitations, {} projects with 2 API keys each, \
         {} usage reports over {} days, {} ledger entries (balance {} credits), {} activity entries.",
        elapsed.as_secs_f64(),
        group_digits((options.members + 4) as u64),
        2,
        PROJECTS.len(),
        group_digits(seeded.usage_events as u64),
        options.days,
        group_digits(seeded.ledger_entries as u64),
        crate::domain::Credits::from_micro(seeded.balance_micro),
        group_digits(options.activity as u64),
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Sign in at {base_url}/login with the password {PASSWORD} as:"
    );
    for (name, local, what) in PEOPLE {
        let _ = writeln!(out, "  {local}@{domain}  {name}, {what}");
    }
    let _ = writeln!(
        out,
        "  member1@{domain} ... member{}@{domain}  generated members",
        options.members
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Report usage with this key of Website (shown only now):"
    );
    let _ = writeln!(
        out,
        "  curl -X POST {base_url}/api/v1/usage -H 'Authorization: Bearer {key}' \
         -H 'Content-Type: application/json' \
         -d '{{\"model\": \"gpt-large\", \"input_tokens\": 1200, \"output_tokens\": 300}}'"
    );
    out
}
