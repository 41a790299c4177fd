//! List entries: the `lists` record of the contract (exchanges, ICO projects, banned apps,
//! blocked accounts, wallet addresses), each with its validity period and jurisdictions.

use crate::{CivilDate, Country, ListName, Timestamp};
use compact_str::CompactString;
use std::fmt;

/// What a list entry is matched against.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum ListKind {
    /// An account id, exactly.
    AccountId,
    /// An account's name, fuzzily (screening).
    Name,
    /// A merchant website or a URL/hostname in a memo.
    Host,
    /// A wallet address in a memo.
    Address,
}

impl ListKind {
    /// Parses the contract's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "account_id" => ListKind::AccountId,
            "name" => ListKind::Name,
            "host" => ListKind::Host,
            "address" => ListKind::Address,
            _ => return None,
        })
    }
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::AccountId => "account_id",
            ListKind::Name => "name",
            ListKind::Host => "host",
            ListKind::Address => "address",
        }
    }
}

impl fmt::Display for ListKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a list entry starts or stops applying: an instant, or a date that means 00:00 in
/// the time zone of the jurisdiction it is applied in (resolved by the engine).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum ListTime {
    /// An exact instant.
    Instant(Timestamp),
    /// Midnight of this date, local to the jurisdiction.
    Date(CivilDate),
}

impl ListTime {
    /// Parses an RFC 3339 timestamp or a `YYYY-MM-DD` date.
    pub fn parse(s: &str) -> Result<Self, crate::TimeError> {
        if s.len() == 10 {
            CivilDate::parse(s).map(ListTime::Date)
        } else {
            Timestamp::parse_rfc3339(s).map(ListTime::Instant)
        }
    }
}

impl fmt::Display for ListTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListTime::Instant(t) => t.fmt(f),
            ListTime::Date(d) => d.fmt(f),
        }
    }
}

/// Longest entry, in characters.
pub const ENTRY_MAX_CHARS: usize = 200;

/// One entry of a named list.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ListEntry {
    /// The list it belongs to.
    pub list: ListName,
    /// What it matches.
    pub kind: ListKind,
    /// The value, 1-200 characters.
    pub entry: CompactString,
    /// Applies from then on.
    pub effective_from: Option<ListTime>,
    /// Stops applying then.
    pub effective_until: Option<ListTime>,
    /// Applies only to payers (or, for incoming rules, payees) of these countries; empty =
    /// everywhere.
    pub jurisdictions: Vec<Country>,
    /// Where it comes from (e.g. `OFAC SDN 2025-11-19`).
    pub source: Option<String>,
    /// Free text.
    pub note: Option<String>,
}
