//! Sluice's domain: the values every other crate speaks in.
//!
//! This crate holds the types of the data-format contract (`shared/spec/data-format.md`) and
//! the rules that make a value valid: ids, UTC timestamps, exact money, accounts,
//! transactions, list entries, decisions, verdicts and labels, plus the admission rules for
//! a stream of transactions (unknown accounts, duplicates, late rows).
//!
//! Invariants:
//! - no IO and no clock: time only ever arrives inside a value (a transaction's `ts`);
//! - money is integer minor units of an ISO 4217 currency, never a binary float;
//! - a value of these types is valid by construction: constructors check the contract and
//!   return a typed error that says what is wrong, so code holding one never re-checks.

pub mod account;
pub mod admission;
pub mod decision;
pub mod id;
pub mod label;
pub mod list;
pub mod money;
pub mod time;
pub mod transaction;
pub mod verdict;

pub use account::{Account, AccountKind, Country, Hostname, KycLevel, Mcc};
pub use decision::{AccountAction, Action, Decision, Outcome, PolicyRef, Reason, ReasonCode, Score};
pub use id::{AccountId, DeviceId, ExtId, IdError, ListName, Party, RingId, TxId};
pub use label::{AccountLabel, Role, TxLabel};
pub use list::{ListEntry, ListKind, ListTime};
pub use money::{Currency, Money, MoneyError};
pub use time::{CivilDate, TimeError, Timestamp};
pub use transaction::{Channel, Memo, Transaction};
pub use verdict::Verdict;

/// Counts Unicode scalar values, the unit every length limit of the contract uses.
pub fn char_len(s: &str) -> usize {
    // Fast path: ASCII text has one char per byte.
    if s.is_ascii() { s.len() } else { s.chars().count() }
}
