//! Sluice's screening: list imports and fast fuzzy matching of account and merchant names
//! against them, in any script.
//!
//! - [`import`] reads real list sources (OFAC SDN classic CSV and advanced XML, the UN
//!   consolidated list, OFAC's crypto addresses, the exchange list, the spec's lists format)
//!   into list entries; [`store`] keeps them in a lists directory with the compact
//!   screening index ([`file`]).
//! - [`normalize`] turns a name into comparable tokens (case, diacritics, punctuation,
//!   legal forms, transliteration, abbreviations, numerals); [`score`] compares two names
//!   and says why; [`index`] finds the candidates of a list without scanning it.
//! - [`Screener`] is every list's index under one version, with the per-name cache the
//!   engine's policies call through [`NameScreener`]; [`eval`] measures quality on labelled
//!   pairs.
//! - [`party`] keeps what a listed party is besides its names (type, countries, dates of
//!   birth), and [`assess`] decides which hits on an account are alerts: a common person's
//!   name alone is not one.
pub mod assess;
pub mod eval;
pub mod file;
pub mod import;
pub mod index;
pub mod korean;
pub mod normalize;
pub mod party;
pub mod score;
pub mod screener;
pub mod store;

pub use screener::{Hit, NameScreener, Screener};
