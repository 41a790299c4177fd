//! Importers of other systems' payment data sets ("peers") into Sluice's data formats
//! (`shared/spec/data-format.md`).
//!
//! A peer data set is somebody else's simulation or benchmark, with its own file layout, id
//! scheme, time axis and money format. An importer reads it as it is published (an archive
//! or a directory, streamed), maps every field onto the contract — documenting each choice,
//! because a peer rarely carries everything the contract asks for — and writes the four
//! files every Sluice command reads: `accounts.csv`, `transactions.csv`,
//! `labels_accounts.csv` and `labels_transactions.csv`. Whatever an importer writes is
//! accepted by `sluice validate` with no reject; a source row it cannot map is an error that
//! names the file, line, field and why, and nothing is left behind in the output directory.
//!
//! Importers: [`amlsim`] (IBM AMLSim's published samples).

pub mod amlsim;
