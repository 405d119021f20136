//! How long activity entries keep personal values (IP address, user agent).

use super::FieldError;

/// "Keep IP addresses and user agents for N days": 0 to 3650, 0 meaning never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepDays(i32);

impl KeepDays {
    pub const DEFAULT: i32 = 90;
    /// Ten years: the database's CHECK allows no more.
    pub const MAX: i32 = 3650;

    pub fn parse(text: &str) -> Result<Self, FieldError> {
        match text.trim().parse::<i32>() {
            Ok(days) if (0..=Self::MAX).contains(&days) => Ok(KeepDays(days)),
            _ => Err(FieldError("Enter a number of days from 0 to 3650.")),
        }
    }

    pub fn days(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_0_to_ten_years_are_accepted() {
        assert_eq!(KeepDays::parse(" 0 ").map(KeepDays::days), Ok(0));
        assert_eq!(KeepDays::parse("3650").map(KeepDays::days), Ok(3650));
        for refused in ["-1", "3651", "", "ninety", "1.5"] {
            assert!(KeepDays::parse(refused).is_err(), "{refused}");
        }
    }
}
