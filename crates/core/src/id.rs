//! Identifiers: account, transaction, device, list and ring ids, and `ext:` ids.
//!
//! The grammar is the contract's: 1-64 characters of `A-Z a-z 0-9 _ . : -`, case-sensitive;
//! an external id is `ext:` followed by 1-60 characters of the same alphabet. Ids are stored
//! as `CompactString`, so the common short id lives inline without a heap allocation.

use compact_str::CompactString;
use std::fmt;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is empty.
    #[error("is empty")]
    Empty,
    /// The id is longer than allowed.
    #[error("is {len} characters long, at most {max} allowed")]
    TooLong {
        /// Length in characters.
        len: usize,
        /// Maximum allowed.
        max: usize,
    },
    /// A character outside `A-Z a-z 0-9 _ . : -`.
    #[error("contains {ch:?} at position {pos}; ids use only A-Z a-z 0-9 _ . : -")]
    BadChar {
        /// The offending character.
        ch: char,
        /// Its 1-based character position.
        pos: usize,
    },
    /// A platform id that starts with `ext:`.
    #[error("starts with `ext:`, which marks an external id, not a platform account")]
    ExtPrefix,
    /// An external id without the `ext:` prefix.
    #[error("is not an external id (`ext:` followed by 1-60 id characters)")]
    NotExternal,
}

const MAX_ID: usize = 64;
const MAX_EXT_BODY: usize = 60;
const EXT_PREFIX: &str = "ext:";

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-')
}

/// Checks the id grammar: 1..=max characters of the id alphabet.
pub fn check_id_chars(s: &str, max: usize) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    // Every valid character is ASCII, so bytes and characters coincide for valid ids; an
    // invalid one is reported with its character position.
    if let Some(pos) = s.bytes().position(|b| !is_id_byte(b)) {
        let char_pos = s[..pos].chars().count() + 1;
        let ch = s[pos..].chars().next().unwrap_or('\u{fffd}');
        return Err(IdError::BadChar { ch, pos: char_pos });
    }
    if s.len() > max {
        return Err(IdError::TooLong { len: s.len(), max });
    }
    Ok(())
}

macro_rules! plain_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(CompactString);

        impl $name {
            /// Parses an id, checking the contract's grammar.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id_chars(s, MAX_ID)?;
                Ok(Self(CompactString::new(s)))
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0.as_str())
            }
        }
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

plain_id!(
    /// A transaction id, unique per payment.
    TxId
);
plain_id!(
    /// The id of the device a payer used.
    DeviceId
);
plain_id!(
    /// The name of a list (`exchanges`, `banned_apps`, ...).
    ListName
);
plain_id!(
    /// An id shared by accounts judged to be run by one operator.
    RingId
);

/// A platform account id: never starts with `ext:`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(CompactString);

impl AccountId {
    /// Parses a platform account id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_id_chars(s, MAX_ID)?;
        if s.starts_with(EXT_PREFIX) {
            return Err(IdError::ExtPrefix);
        }
        Ok(Self(CompactString::new(s)))
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({:?})", self.0.as_str())
    }
}
impl std::borrow::Borrow<str> for AccountId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// An external id: `ext:` followed by 1-60 id characters (a bank card, a bank account, an
/// outside wallet). External parties need no accounts row. Stored with its prefix.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtId(CompactString);

impl ExtId {
    /// Parses an external id including its `ext:` prefix.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let body = s.strip_prefix(EXT_PREFIX).ok_or(IdError::NotExternal)?;
        check_id_chars(body, MAX_EXT_BODY).map_err(|e| match e {
            IdError::BadChar { ch, pos } => IdError::BadChar { ch, pos: pos + EXT_PREFIX.len() },
            IdError::TooLong { len, max } => {
                IdError::TooLong { len: len + EXT_PREFIX.len(), max: max + EXT_PREFIX.len() }
            }
            other => other,
        })?;
        Ok(Self(CompactString::new(s)))
    }
    /// The id as text, with its `ext:` prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExtId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for ExtId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtId({:?})", self.0.as_str())
    }
}

/// One side of a payment: a platform account or an external party.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Party {
    /// A platform account, which must exist in the accounts file.
    Account(AccountId),
    /// An outside party (`ext:` id).
    External(ExtId),
}

impl Party {
    /// Parses a payer or payee: an `ext:` id or a platform account id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.starts_with(EXT_PREFIX) {
            ExtId::parse(s).map(Party::External)
        } else {
            AccountId::parse(s).map(Party::Account)
        }
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        match self {
            Party::Account(a) => a.as_str(),
            Party::External(e) => e.as_str(),
        }
    }
    /// The platform account, if this side is one.
    pub fn account(&self) -> Option<&AccountId> {
        match self {
            Party::Account(a) => Some(a),
            Party::External(_) => None,
        }
    }
    /// Whether this side is outside the platform.
    pub fn is_external(&self) -> bool {
        matches!(self, Party::External(_))
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        assert!(AccountId::parse("A-1_b.c:d").is_ok());
        assert_eq!(AccountId::parse(""), Err(IdError::Empty));
        assert_eq!(AccountId::parse("ext:abc"), Err(IdError::ExtPrefix));
        assert_eq!(AccountId::parse("a b"), Err(IdError::BadChar { ch: ' ', pos: 2 }));
        assert_eq!(AccountId::parse("账户"), Err(IdError::BadChar { ch: '账', pos: 1 }));
        assert!(AccountId::parse(&"a".repeat(64)).is_ok());
        assert_eq!(AccountId::parse(&"a".repeat(65)), Err(IdError::TooLong { len: 65, max: 64 }));
        assert!(ExtId::parse(&format!("ext:{}", "9".repeat(60))).is_ok());
        assert!(ExtId::parse(&format!("ext:{}", "9".repeat(61))).is_err());
        assert_eq!(ExtId::parse("ext:"), Err(IdError::Empty));
        assert_eq!(ExtId::parse("EXT:1"), Err(IdError::NotExternal));
        assert!(matches!(Party::parse("ext:card-1"), Ok(Party::External(_))));
        assert!(matches!(Party::parse("EXT:card-1"), Ok(Party::Account(_))));
    }
}
