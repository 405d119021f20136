//! What a session was signed in from: the browser and operating system named by the
//! user agent, and the client address. Shown on the Sessions page; its fingerprint says
//! whether a sign-in comes from a new device.

use sha2::{Digest, Sha256};

/// Longest user agent kept, in characters (the column allows 512).
const MAX_USER_AGENT: usize = 512;

/// The device of a sign-in, as the request presented it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub user_agent: Option<String>,
    /// The client address, from the TCP peer or a trusted proxy (`TRUSTED_PROXIES`).
    pub ip: String,
}

/// The parts of a user agent a person recognizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browser {
    pub name: Option<String>,
    pub os: Option<String>,
}

impl Browser {
    /// Parses a user agent with woothee; unknown parts are `None`.
    pub fn parse(user_agent: &str) -> Self {
        let known = |value: &str| {
            (!value.is_empty() && value != woothee::woothee::VALUE_UNKNOWN)
                .then(|| value.to_owned())
        };
        match woothee::parser::Parser::new().parse(user_agent) {
            Some(found) => Browser {
                name: known(found.name),
                os: known(found.os),
            },
            None => Browser {
                name: None,
                os: None,
            },
        }
    }

    /// "Firefox on Linux", "Safari on iPhone", "Chrome", "Unknown device".
    pub fn describe(&self) -> String {
        match (&self.name, &self.os) {
            (Some(name), Some(os)) => format!("{name} on {os}"),
            (Some(name), None) => name.clone(),
            (None, Some(os)) => format!("Unknown browser on {os}"),
            (None, None) => "Unknown device".to_owned(),
        }
    }
}

impl Device {
    pub fn new(user_agent: Option<&str>, ip: &str) -> Self {
        Device {
            user_agent: user_agent
                .map(|ua| ua.chars().take(MAX_USER_AGENT).collect::<String>())
                .filter(|ua| !ua.trim().is_empty()),
            ip: ip.chars().take(64).collect(),
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::parse(self.user_agent.as_deref().unwrap_or_default())
    }

    /// What makes a device new for an account: its browser, its operating system and its
    /// client address. Versions are left out (an update is the same device); a new
    /// address is a new device, since a stolen password is most often used from
    /// elsewhere. Only this hash is stored.
    pub fn fingerprint(&self) -> Vec<u8> {
        let browser = self.browser();
        let mut hasher = Sha256::new();
        for part in [
            browser.name.as_deref().unwrap_or(""),
            browser.os.as_deref().unwrap_or(""),
            self.ip.as_str(),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        hasher.finalize().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const FIREFOX_LINUX_NEWER: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0";
    const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

    #[test]
    fn user_agents_read_as_browser_on_system() {
        assert_eq!(Browser::parse(FIREFOX_LINUX).describe(), "Firefox on Linux");
        assert_eq!(Browser::parse(CHROME_MAC).describe(), "Chrome on Mac OSX");
        assert_eq!(Browser::parse(SAFARI_IPHONE).describe(), "Safari on iPhone");
        assert_eq!(Browser::parse("").describe(), "Unknown device");
        assert_eq!(Browser::parse("<script>").describe(), "Unknown device");
    }

    #[test]
    fn a_browser_update_is_the_same_device_and_another_address_is_not() {
        let here = Device::new(Some(FIREFOX_LINUX), "203.0.113.7");
        let updated = Device::new(Some(FIREFOX_LINUX_NEWER), "203.0.113.7");
        let elsewhere = Device::new(Some(FIREFOX_LINUX), "198.51.100.1");
        let other_browser = Device::new(Some(CHROME_MAC), "203.0.113.7");
        assert_eq!(here.fingerprint(), updated.fingerprint());
        assert_ne!(here.fingerprint(), elsewhere.fingerprint());
        assert_ne!(here.fingerprint(), other_browser.fingerprint());
        assert_eq!(here.fingerprint().len(), 32);
    }

    #[test]
    fn long_or_blank_user_agents_are_bounded() {
        let long = "x".repeat(2000);
        assert_eq!(
            Device::new(Some(&long), "::1").user_agent.unwrap().len(),
            512
        );
        assert_eq!(Device::new(Some("  "), "::1").user_agent, None);
    }
}
