//! `sluice-engine`: the inline decision path of Sluice.
//!
//! This crate decides on payments: it holds the list store ([`lists`]), the multilingual
//! crypto lexicon for memos ([`lexicon`]), per-account sliding windows ([`windows`]), and —
//! as they land — compiled policies and the decision itself.
//!
//! Invariants: no IO and no clock. Lists, policies and transactions come in as values
//! (read by `sluice-io` or a server); time is always the payment's own `ts`.

pub mod decide;
pub mod features;
pub mod lexicon;
pub mod lists;
pub mod policy;
pub mod windows;
