//! Times as people read them: "3 hours ago", "in 6 days".

use chrono::{DateTime, Utc};

/// How long ago `then` was, seen from `now`, in the largest whole unit.
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds();
    if seconds < 60 {
        return "just now".into();
    }
    format!("{} ago", span(seconds))
}

/// How long until `then`, or "expired" once it has passed.
pub fn until(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (then - now).num_seconds();
    if seconds <= 0 {
        return "expired".into();
    }
    if seconds < 60 {
        return "in less than a minute".into();
    }
    format!("in {}", span_rounded(seconds))
}

const UNITS: [(i64, &str); 5] = [
    (60, "minute"),
    (3600, "hour"),
    (86_400, "day"),
    (86_400 * 30, "month"),
    (86_400 * 365, "year"),
];

/// Like `span`, to the nearest unit: a deadline a second less than 7 days away reads
/// "7 days" (what was promised), not "6 days".
fn span_rounded(seconds: i64) -> String {
    let rounded = |i: usize| (seconds + UNITS[i].0 / 2) / UNITS[i].0;
    let mut i = UNITS
        .iter()
        .rposition(|(size, _)| seconds >= *size)
        .unwrap_or(0);
    if i + 1 < UNITS.len() && rounded(i) * UNITS[i].0 >= UNITS[i + 1].0 {
        i += 1;
    }
    plural(rounded(i), UNITS[i].1)
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn span(seconds: i64) -> String {
    let (n, unit) = match seconds {
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 86_400 * 30 => (s / 86_400, "day"),
        s if s < 86_400 * 365 => (s / (86_400 * 30), "month"),
        s => (s / (86_400 * 365), "year"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn past_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(ago(now - Duration::seconds(5), now), "just now");
        assert_eq!(ago(now - Duration::minutes(1), now), "1 minute ago");
        assert_eq!(ago(now - Duration::hours(3), now), "3 hours ago");
        assert_eq!(ago(now - Duration::days(45), now), "1 month ago");
        assert_eq!(ago(now - Duration::days(800), now), "2 years ago");
    }

    #[test]
    fn future_times_count_down_to_expired() {
        let now = Utc::now();
        assert_eq!(
            until(now + Duration::days(7) - Duration::seconds(1), now),
            "in 7 days",
            "a fresh invitation expires in the 7 days it was promised"
        );
        assert_eq!(
            until(now + Duration::days(6) + Duration::hours(11), now),
            "in 6 days"
        );
        assert_eq!(
            until(now + Duration::minutes(59) + Duration::seconds(40), now),
            "in 1 hour"
        );
        assert_eq!(
            until(now + Duration::hours(23) + Duration::minutes(45), now),
            "in 1 day"
        );
        assert_eq!(until(now + Duration::hours(2), now), "in 2 hours");
        assert_eq!(until(now, now), "expired");
    }
}
