//! Credits, plans and seats: the money and limit rules of billing, IO-free.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use std::io::Write;

use super::FieldError;

/// Micro-credits in one credit. Every amount is an integer of micro-credits: never a float.
pub const MICRO: i64 = 1_000_000;

/// What a new organization starts with, so that its first keys work before anyone has
/// bought credits (also granted to organizations that existed before billing).
pub const STARTING_CREDITS: Credits = Credits(25 * MICRO);

/// Below this balance administrators and billing managers see a warning on every page.
pub const LOW_BALANCE: Credits = Credits(10 * MICRO);

/// The largest purchase recorded at once.
pub const MAX_PURCHASE: Credits = Credits(1_000_000 * MICRO);

/// An amount of credits, held as micro-credits. Negative for charges and debts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Credits(i64);

impl Credits {
    pub const fn from_micro(micro: i64) -> Self {
        Credits(micro)
    }

    pub fn micro(self) -> i64 {
        self.0
    }

    /// A purchase typed by a person: "25", "12.5", "12.50"; positive, at most two
    /// decimals, at most [`MAX_PURCHASE`].
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(FieldError("Enter an amount of credits."));
        }
        if value.starts_with('-') {
            return Err(FieldError("Enter a positive amount."));
        }
        let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
            return Err(FieldError("Enter an amount like 25 or 12.50."));
        }
        if fraction.len() > 2 {
            return Err(FieldError("Use at most two decimals."));
        }
        // More digits than any allowed amount has: refuse before the arithmetic.
        let whole = whole.trim_start_matches('0');
        if whole.len() > 7 {
            return Err(FieldError("At most 1,000,000 credits at a time."));
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| FieldError("Enter an amount like 25 or 12.50."))?
        };
        let cents: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
        let micro = whole * MICRO + cents * (MICRO / 100);
        if micro == 0 {
            return Err(FieldError("Enter an amount greater than zero."));
        }
        if micro > MAX_PURCHASE.0 {
            return Err(FieldError("At most 1,000,000 credits at a time."));
        }
        Ok(Credits(micro))
    }

    /// "1,234.50", "0.006", "-3.00": at least two decimals, more only when needed.
    pub fn display(self) -> String {
        self.format(true)
    }

    /// To the hundredth, as money reads: "1,234.50", "26.06", "0.01" (half away from zero);
    /// [`display`](Self::display) is the exact amount shown beside it.
    pub fn rounded(self) -> String {
        let cent = MICRO / 100;
        let abs = self.0.unsigned_abs() as i64;
        let cents = (abs + cent / 2) / cent;
        let sign = if self.0 < 0 && cents > 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:02}",
            group_digits((cents / 100) as u64),
            cents % 100
        )
    }

    /// Like [`display`](Self::display) without digit groups, for CSV: "1234.50".
    pub fn decimal(self) -> String {
        self.format(false)
    }

    fn format(self, grouped: bool) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let micro = MICRO as u64;
        let mut decimals = format!("{:06}", abs % micro);
        while decimals.len() > 2 && decimals.ends_with('0') {
            decimals.pop();
        }
        let whole = if grouped {
            group_digits(abs / micro)
        } else {
            (abs / micro).to_string()
        };
        format!("{sign}{whole}.{decimals}")
    }

    pub fn is_low(self) -> bool {
        self < LOW_BALANCE
    }

    /// Usage is refused at or below zero.
    pub fn is_exhausted(self) -> bool {
        self.0 <= 0
    }
}

impl std::fmt::Display for Credits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// "1,234,567": digits in groups of three, for counts people read.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// A purchase's payment reference (invoice, receipt, transfer id): 1 to 100 characters
/// on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentReference(String);

impl PaymentReference {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = super::clean_line(input)?;
        match value.chars().count() {
            0 => Err(FieldError(
                "Enter the payment's reference (invoice or receipt number).",
            )),
            1..=100 => Ok(Self(value.to_owned())),
            _ => Err(FieldError("References are at most 100 characters.")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The subscription: how many seats the organization may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum Plan {
    Free,
    Team,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Free, Plan::Team, Plan::Enterprise];

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Team => "team",
            Plan::Enterprise => "enterprise",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Team => "Team",
            Plan::Enterprise => "Enterprise",
        }
    }

    /// Seats: members, project-only members and pending invitations. `None`: no limit.
    pub fn seat_limit(self) -> Option<i64> {
        match self {
            Plan::Free => Some(5),
            Plan::Team => Some(50),
            Plan::Enterprise => None,
        }
    }

    /// "up to 5 seats", "no seat limit".
    pub fn seats_label(self) -> String {
        match self.seat_limit() {
            Some(limit) => format!("up to {limit} seats"),
            None => "no seat limit".into(),
        }
    }

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        Plan::ALL
            .into_iter()
            .find(|plan| plan.as_str() == value)
            .ok_or(FieldError("Choose Free, Team or Enterprise."))
    }

    /// Whether `used` seats plus one more fit.
    pub fn has_room(self, used: i64) -> bool {
        self.seat_limit().is_none_or(|limit| used < limit)
    }

    /// Whether the organization, with `used` seats, may move to this plan.
    pub fn check_change(self, used: i64) -> Result<(), String> {
        match self.seat_limit() {
            Some(limit) if used > limit => Err(format!(
                "The {} plan allows {limit} seats and {used} are in use (members, project-only \
                 members and pending invitations). Remove people or cancel invitations first.",
                self.label()
            )),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

super::role::text_enum_sql!(Plan);

#[cfg(test)]
mod tests {
    #[test]
    fn money_reads_to_the_hundredth_with_digit_groups() {
        let c = Credits::from_micro;
        assert_eq!(c(26_059_277).rounded(), "26.06");
        assert_eq!(c(323_015_000).rounded(), "323.02");
        assert_eq!(c(1_234_567_890_000).rounded(), "1,234,567.89");
        assert_eq!(c(6_000).rounded(), "0.01");
        assert_eq!(c(4_999).rounded(), "0.00");
        assert_eq!(c(-3_000_000).rounded(), "-3.00");
        assert_eq!(c(-4_000).rounded(), "0.00");
        assert_eq!(
            c(26_059_277).display(),
            "26.059277",
            "the exact amount stays"
        );
    }

    use super::*;

    #[test]
    fn purchases_parse_to_micro_credits() {
        for (input, micro) in [
            ("12.50", 12_500_000),
            ("12.5", 12_500_000),
            ("25", 25_000_000),
            (" 0.01 ", 10_000),
            (".5", 500_000),
            ("7.", 7_000_000),
            ("0001000000", 1_000_000_000_000),
            ("1000000.00", 1_000_000_000_000),
        ] {
            assert_eq!(
                Credits::parse(input).map(Credits::micro),
                Ok(micro),
                "{input:?}"
            );
        }
    }

    #[test]
    fn bad_purchases_are_refused_with_a_reason() {
        for (input, reason) in [
            ("", "Enter an amount of credits."),
            ("-5", "Enter a positive amount."),
            ("0", "Enter an amount greater than zero."),
            ("0.00", "Enter an amount greater than zero."),
            ("1.005", "Use at most two decimals."),
            ("1000000.01", "At most 1,000,000 credits at a time."),
            (
                "99999999999999999999999",
                "At most 1,000,000 credits at a time.",
            ),
            ("ten", "Enter an amount like 25 or 12.50."),
            ("1e3", "Enter an amount like 25 or 12.50."),
            ("1,000", "Enter an amount like 25 or 12.50."),
            ("+5", "Enter an amount like 25 or 12.50."),
            (".", "Enter an amount like 25 or 12.50."),
            ("1.2.3", "Enter an amount like 25 or 12.50."),
            ("NaN", "Enter an amount like 25 or 12.50."),
        ] {
            assert_eq!(Credits::parse(input), Err(FieldError(reason)), "{input:?}");
        }
    }

    #[test]
    fn credits_read_with_two_decimals_or_as_many_as_needed() {
        for (micro, shown) in [
            (12_500_000, "12.50"),
            (0, "0.00"),
            (6_000, "0.006"),
            (1, "0.000001"),
            (-3_000_000, "-3.00"),
            (1_234_567_890_000, "1,234,567.89"),
            (i64::MIN, "-9,223,372,036,854.775808"),
        ] {
            assert_eq!(Credits::from_micro(micro).display(), shown);
        }
    }

    #[test]
    fn csv_amounts_have_no_digit_groups() {
        assert_eq!(
            Credits::from_micro(1_234_567_890_000).decimal(),
            "1234567.89"
        );
        assert_eq!(Credits::from_micro(-6_000).decimal(), "-0.006");
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(1_000), "1,000");
        assert_eq!(group_digits(999_999), "999,999");
    }

    #[test]
    fn payment_references_are_one_short_line() {
        assert_eq!(
            PaymentReference::parse("  INV-2026-001 ").unwrap().as_str(),
            "INV-2026-001"
        );
        assert!(PaymentReference::parse("").is_err());
        assert!(PaymentReference::parse("a\nb").is_err());
        assert!(PaymentReference::parse(&"x".repeat(101)).is_err());
    }

    #[test]
    fn low_and_exhausted_balances() {
        assert!(Credits::from_micro(9_999_999).is_low());
        assert!(!LOW_BALANCE.is_low());
        assert!(Credits::from_micro(0).is_exhausted());
        assert!(!Credits::from_micro(1).is_exhausted());
    }

    #[test]
    fn plans_limit_seats_and_refuse_a_downgrade_below_the_seats_in_use() {
        assert!(Plan::Free.has_room(4) && !Plan::Free.has_room(5));
        assert!(Plan::Team.has_room(49) && !Plan::Team.has_room(50));
        assert!(Plan::Enterprise.has_room(1_000_000));
        assert!(Plan::Free.check_change(5).is_ok());
        let refusal = Plan::Free.check_change(6).unwrap_err();
        assert!(
            refusal.contains("allows 5 seats and 6 are in use"),
            "{refusal}"
        );
        assert!(Plan::Team.check_change(51).is_err());
        assert!(Plan::Enterprise.check_change(100_000).is_ok());
        for plan in Plan::ALL {
            assert_eq!(Plan::parse(plan.as_str()), Ok(plan));
        }
        assert!(Plan::parse("Free").is_err());
    }
}
