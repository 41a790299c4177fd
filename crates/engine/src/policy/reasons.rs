//! The reason-code catalogue (`data/reason_codes.csv`): every code a decision or verdict can
//! carry, its category and its meaning. A rule's category — which decides whether an
//! allowlist rule may override it — is its code's category, so it cannot drift from the
//! catalogue.

use std::sync::LazyLock;

/// What kind of evidence a reason is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonCategory {
    /// An account restriction in force (built in; no policy rule can lift it).
    Restriction,
    /// A list match (exchanges, banned apps, blocked accounts, addresses).
    List,
    /// A sanctions match.
    Sanctions,
    /// Words or addresses in the memo.
    Memo,
    /// Behaviour over windows.
    Behaviour,
    /// An explicit allowlist.
    Allowlist,
}

impl ReasonCategory {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "restriction" => Self::Restriction,
            "list" => Self::List,
            "sanctions" => Self::Sanctions,
            "memo" => Self::Memo,
            "behaviour" => Self::Behaviour,
            "allowlist" => Self::Allowlist,
            _ => return None,
        })
    }
    /// The catalogue's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restriction => "restriction",
            Self::List => "list",
            Self::Sanctions => "sanctions",
            Self::Memo => "memo",
            Self::Behaviour => "behaviour",
            Self::Allowlist => "allowlist",
        }
    }
    /// Whether an allowlist rule overrides rules of this category: behaviour and memo
    /// evidence yes, lists, sanctions and restrictions never.
    pub fn overridable(self) -> bool {
        matches!(self, Self::Memo | Self::Behaviour)
    }
}

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonInfo {
    /// The code.
    pub code: &'static str,
    /// Its category.
    pub category: ReasonCategory,
    /// What it means.
    pub meaning: &'static str,
}

/// The catalogue.
#[derive(Debug)]
pub struct Catalogue {
    /// Its version (`# version:` line).
    pub version: &'static str,
    /// Every code, in file order.
    pub entries: Vec<ReasonInfo>,
}

const CSV: &str = include_str!("../../data/reason_codes.csv");

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| parse(CSV));

fn parse(text: &'static str) -> Catalogue {
    let mut version = "unversioned";
    let mut entries = Vec::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("# version:") {
            version = v.trim();
            continue;
        }
        if line.starts_with('#') || line.starts_with("code,") || line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, ',');
        let (Some(code), Some(cat), Some(meaning)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        // A malformed row is caught by the `catalogue_parses` test; at run time it is skipped.
        if let Some(category) = ReasonCategory::parse(cat) {
            entries.push(ReasonInfo { code, category, meaning });
        }
    }
    Catalogue { version, entries }
}

/// The shipped catalogue.
pub fn catalogue() -> &'static Catalogue {
    &CATALOGUE
}

/// The entry for `code`.
pub fn lookup(code: &str) -> Option<&'static ReasonInfo> {
    CATALOGUE.entries.iter().find(|e| e.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses() {
        let rows =
            CSV.lines().filter(|l| !l.starts_with('#') && !l.starts_with("code,") && !l.is_empty()).count();
        let c = catalogue();
        assert_eq!(c.entries.len(), rows, "every row has a known category");
        assert_ne!(c.version, "unversioned");
        for e in &c.entries {
            assert!(sluice_core::ReasonCode::parse(e.code).is_some(), "{}", e.code);
        }
        let mut codes: Vec<_> = c.entries.iter().map(|e| e.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), c.entries.len(), "codes are unique");
        assert_eq!(lookup("ACCOUNT_SUSPENDED_OUT").map(|e| e.category), Some(ReasonCategory::Restriction));
    }
}
