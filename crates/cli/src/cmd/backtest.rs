//! `sluice backtest`: replay one history through two policies at once — one pass over the
//! file, two engines each with its own state — and say what would change if the candidate
//! replaced the baseline (`crate::backtest` holds the comparison and its definitions).

use super::read_all;
use crate::backtest::{Backtest, Decided, Parties};
use crate::fmt::{rate, thousands};
use crate::setup;
use anyhow::Context;
use serde_json::json;
use sluice_core::{Account, AccountLabel, Role, TxLabel};
use sluice_io::format::ByteCounter;
use sluice_io::{RejectLog, TransactionIngest, load_accounts};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Flags of `sluice backtest`.
#[derive(clap::Args)]
pub struct Args {
    /// The candidate policy: the one that would go live.
    #[arg(long)]
    policy: PathBuf,
    /// The policy in force to compare against (default: the built-in crypto-ban policy).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Accounts file.
    #[arg(long)]
    accounts: PathBuf,
    /// Transactions file, in time order.
    #[arg(long)]
    transactions: PathBuf,
    /// Account labels (`labels_accounts.csv`): precision and recall of flagged accounts.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Transaction labels (`labels_transactions.csv`): precision and recall of decisions.
    #[arg(long)]
    tx_labels: Option<PathBuf>,
    /// List files (default: the built-in lists); both policies run on the same lists.
    #[arg(long)]
    lists: Vec<PathBuf>,
    /// A lists directory made by `sluice lists import` (entries and screening index).
    #[arg(long)]
    lists_dir: Option<PathBuf>,
    /// Directory for `backtest.json`, `changed.ndjson` and `backtest.html`.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Exit 0 as long as at most this many rows are rejected.
    #[arg(long, default_value_t = 0)]
    max_rejects: u64,
}

/// A fixed hasher: transaction labels are keyed by a 64-bit hash of the id (16 bytes a
/// payment instead of the id's string).
type TxHasher = BuildHasherDefault<DefaultHasher>;

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let candidate = setup::DecideArgs {
        policy: Some(args.policy.clone()),
        lists: args.lists.clone(),
        lists_dir: args.lists_dir.clone(),
    }
    .load()?;
    let baseline = candidate.with_policy(args.baseline.as_deref())?;

    let hasher = TxHasher::default();
    let tx_labels: Option<HashMap<u64, bool>> = match &args.tx_labels {
        Some(p) => {
            let mut m = HashMap::new();
            read_all::<TxLabel>(p, |l| {
                m.insert(hasher.hash_one(l.tx_id.as_str()), l.crypto_related);
            })?;
            Some(m)
        }
        None => None,
    };

    let mut log = RejectLog::new().with_callback(|r| eprintln!("reject: {r}"));
    let mut accounts: Vec<Account> = Vec::new();
    let load = load_accounts(&args.accounts, &mut log, |_, a| accounts.push(a))
        .context("cannot read the accounts")?;
    let roles: Option<Vec<Option<Role>>> = match &args.labels {
        Some(p) => {
            let mut roles = vec![None; accounts.len()];
            read_all::<AccountLabel>(p, |l| {
                if let Some(slot) =
                    load.book.get(l.account_id.as_str()).and_then(|i| roles.get_mut(i as usize))
                {
                    *slot = Some(l.role);
                }
            })?;
            Some(roles)
        }
        None => None,
    };
    let accounts: Arc<[Account]> = accounts.into();
    let mut engines = [baseline.engine(Arc::clone(&accounts))?, candidate.engine(Arc::clone(&accounts))?];
    let rule_ids = |d: &setup::Deciding| d.policy.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let mut bt = Backtest::new(
        [
            (baseline.policy.reference.as_str(), rule_ids(&baseline)),
            (candidate.policy.reference.as_str(), rule_ids(&candidate)),
        ],
        accounts.len(),
    );

    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut changed = match &args.report {
        Some(dir) => {
            let p = dir.join("changed.ndjson");
            let f = std::fs::File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
            Some(std::io::BufWriter::with_capacity(1 << 20, f))
        }
        None => None,
    };

    let counter = ByteCounter::new();
    let pb = super::file_progress(&args.transactions, "backtesting");
    let mut ingest = TransactionIngest::open(&args.transactions, &load.book, Some(counter.clone()))
        .context("cannot read the transactions")?;
    let decide_start = Instant::now();
    let mut next = ingest.next(&mut log)?;
    while let Some(adm) = next.take() {
        next = ingest.next(&mut log)?;
        if let Some(n) = &next {
            for e in &engines {
                e.prefetch(&n.tx, n.payer, n.payee);
            }
        }
        let [base, cand] = &mut engines;
        let decisions =
            [base.decide(&adm.tx, adm.payer, adm.payee), cand.decide(&adm.tx, adm.payer, adm.payee)];
        let decided = [
            Decided { decision: &decisions[0], fired: base.last_fired() },
            Decided { decision: &decisions[1], fired: cand.last_fired() },
        ];
        let crypto = tx_labels.as_ref().and_then(|m| m.get(&hasher.hash_one(adm.tx.tx_id.as_str())).copied());
        let parties = Parties {
            payer: adm.payer,
            payee: adm.payee,
            payer_id: adm.tx.payer.as_str(),
            payee_id: adm.tx.payee.as_str(),
        };
        if bt.add(&parties, decided, crypto)
            && let Some(w) = changed.as_mut()
        {
            writeln!(w, "{}", bt.changed_line(decided))?;
        }
        if bt.payments.is_multiple_of(65_536) {
            pb.set_position(counter.get());
        }
    }
    pb.finish_and_clear();
    log.finish()?;
    let secs = decide_start.elapsed().as_secs_f64();
    let n = bt.payments;
    let report = bt.finish(roles.as_deref(), tx_labels.is_some());

    let ist = ingest.stats();
    let mut o = std::io::stdout().lock();
    if let Some(dir) = &args.report {
        if let Some(w) = changed.take() {
            w.into_inner().map_err(|e| e.into_error())?.flush()?;
        }
        let mut v = report.to_json();
        v["lists"] = json!(candidate.lists.version());
        v["input"] = json!({"rows": ist.rows, "accepted": ist.accepted, "rejected": ist.rejected,
                            "duplicates": ist.duplicates, "late": ist.late});
        let jp = dir.join("backtest.json");
        std::fs::write(&jp, format!("{v:#}\n")).with_context(|| format!("cannot write {}", jp.display()))?;
        let hp = dir.join("backtest.html");
        std::fs::write(&hp, report.html()).with_context(|| format!("cannot write {}", hp.display()))?;
        write!(o, "{}", report.summary())?;
        writeln!(o, "report: {} (changed.ndjson, backtest.html beside it)", jp.display())?;
    } else {
        write!(o, "{}", report.summary())?;
    }
    eprintln!(
        "input: {} rows, {} accepted, {} rejected, {} duplicates, {} late; lists {}",
        thousands(ist.rows),
        thousands(ist.accepted),
        thousands(ist.rejected),
        thousands(ist.duplicates),
        thousands(ist.late),
        candidate.lists.version()
    );
    eprintln!(
        "elapsed {:.2} s ({} payments decided by both policies, incl. reading; {:.2} s deciding)",
        started.elapsed().as_secs_f64(),
        rate(n, secs),
        secs
    );
    Ok(super::rejects_status(log.total(), args.max_rejects))
}
