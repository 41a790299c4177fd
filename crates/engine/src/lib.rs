//! `sluice-engine`: the inline decision path of Sluice.
//!
//! This crate decides on payments: it holds the list store ([`lists`]), the multilingual
//! crypto lexicon for memos ([`lexicon`]), and — as they land — per-account sliding
//! windows, compiled policies and the decision itself.
//!
//! Invariants: no IO and no clock. Lists, policies and transactions come in as values
//! (read by `sluice-io` or a server); time is always the payment's own `ts`.

pub mod lexicon;
pub mod lists;
