//! "Access until": the optional last day of project-only access, as a form gives it.

use chrono::{Days, NaiveDate};

use super::FieldError;

/// The furthest end date accepted: an end date is for a contract, not for ever.
const MAX_YEARS_AHEAD: u64 = 5;

/// An empty value is no end date; otherwise a `YYYY-MM-DD` date (what `<input
/// type="date">` sends) from today on.
pub fn parse(value: &str, today: NaiveDate) -> Result<Option<NaiveDate>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| FieldError("Enter a date such as 2026-12-31, or leave it empty."))?;
    if date < today {
        return Err(FieldError("Choose today or a later day."));
    }
    let latest = today
        .checked_add_days(Days::new(365 * MAX_YEARS_AHEAD))
        .unwrap_or(NaiveDate::MAX);
    if date > latest {
        return Err(FieldError("Choose a day within the next 5 years."));
    }
    Ok(Some(date))
}

/// "Dec 31, 2026".
pub fn label(date: NaiveDate) -> String {
    date.format("%b %-d, %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_today_within_five_years() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(parse("", today), Ok(None));
        assert_eq!(parse(" 2026-11-30 ", today), Ok(Some(today)));
        assert!(parse("2026-11-29", today).is_err());
        assert!(parse("30/12/2026", today).is_err());
        assert!(parse("2040-01-01", today).is_err());
        assert_eq!(label(today), "Nov 30, 2026");
    }
}
