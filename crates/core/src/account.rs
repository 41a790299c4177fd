//! Accounts: the `accounts` record of the contract, and the small value types it holds.

use crate::{AccountId, Timestamp};
use compact_str::CompactString;
use std::fmt;

/// What an account is.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum AccountKind {
    /// A person's wallet.
    Personal,
    /// A merchant that takes payments.
    Merchant,
    /// A company account (salaries, suppliers).
    Enterprise,
}

impl AccountKind {
    /// Every kind, in the contract's order.
    pub const ALL: [AccountKind; 3] = [AccountKind::Personal, AccountKind::Merchant, AccountKind::Enterprise];

    /// Parses the contract's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "personal" => AccountKind::Personal,
            "merchant" => AccountKind::Merchant,
            "enterprise" => AccountKind::Enterprise,
            _ => return None,
        })
    }

    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Personal => "personal",
            AccountKind::Merchant => "merchant",
            AccountKind::Enterprise => "enterprise",
        }
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// China.
    pub const CN: Country = Country(*b"CN");

    /// Parses an assigned alpha-2 code (upper case).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        isocountry::CountryCode::for_alpha2(s).ok()?;
        Some(Country([b[0], b[1]]))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Know-your-customer level: 0 = unverified, 3 = fully verified.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct KycLevel(u8);

impl KycLevel {
    /// A level in 0..=3.
    pub fn new(level: u8) -> Option<Self> {
        (level <= 3).then_some(KycLevel(level))
    }
    /// The level.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// A four-digit merchant category code (ISO 18245).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Mcc(u16);

impl Mcc {
    /// Parses exactly four ASCII digits.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        s.parse().ok().map(Mcc)
    }
    /// The code as a number (0-9999).
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Mcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

/// A lower-case DNS hostname (a merchant's website): labels of `a-z 0-9 -` (not starting or
/// ending with `-`), 1-63 characters each, at least two labels, at most 253 characters.
/// Internationalised names must be written in their `xn--` form.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Hostname(CompactString);

impl Hostname {
    /// Parses a hostname; the reason it is not one otherwise.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() || s.len() > 253 {
            return Err("must be 1-253 characters");
        }
        let mut labels = 0;
        for label in s.split('.') {
            labels += 1;
            let b = label.as_bytes();
            if b.is_empty() || b.len() > 63 {
                return Err("each dot-separated label must be 1-63 characters");
            }
            if b.iter().any(u8::is_ascii_uppercase) {
                return Err("must be lower case");
            }
            if !b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
                return Err("labels use only a-z, 0-9 and `-` (write IDNs as xn--)");
            }
            if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
                return Err("a label cannot start or end with `-`");
            }
        }
        if labels < 2 {
            return Err("must have at least two labels (e.g. `example.com`)");
        }
        Ok(Hostname(CompactString::new(s)))
    }
    /// The hostname.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest account name, in characters.
pub const NAME_MAX_CHARS: usize = 200;

/// A platform account.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Account {
    /// Unique id.
    pub account_id: AccountId,
    /// What it is.
    pub kind: AccountKind,
    /// Display name or registered merchant name, 1-200 characters, any script.
    pub name: CompactString,
    /// KYC country: the account's jurisdiction.
    pub country: Country,
    /// When it was opened.
    pub created_at: Timestamp,
    /// KYC level.
    pub kyc_level: KycLevel,
    /// Merchant category code (merchants only; `None` on other kinds).
    pub mcc: Option<Mcc>,
    /// Merchant's registered website host.
    pub website: Option<Hostname>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert!(Country::parse("CN").is_some());
        assert!(Country::parse("cn").is_none());
        assert!(Country::parse("XX").is_none());
        assert!(Country::parse("CHN").is_none());
        assert!(KycLevel::new(3).is_some() && KycLevel::new(4).is_none());
        assert_eq!(Mcc::parse("0742").map(|m| m.to_string()), Some("0742".to_string()));
        assert!(Mcc::parse("742").is_none() && Mcc::parse("７４２1").is_none());
        assert!(Hostname::parse("www.binance.com").is_ok());
        assert!(Hostname::parse("xn--fiqs8s.cn").is_ok());
        for bad in ["Binance.com", "binance", "bi nance.com", "-a.com", "a..com", "币安.com"] {
            assert!(Hostname::parse(bad).is_err(), "{bad}");
        }
    }
}
