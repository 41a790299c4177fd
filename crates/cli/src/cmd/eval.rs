//! `sluice eval`: measure verdicts (and decisions) against the simulator's labels and write
//! the figures as JSON and an HTML page with SVG plots (`sluice_sweep::eval`, `report`).

use super::read_all;
use crate::fmt::thousands;
use anyhow::Context;
use sluice_core::{
    AccountAction, AccountLabel, Decision, Outcome, Role, Timestamp, Transaction, TxLabel, Verdict,
};
use sluice_sweep::eval::{self, Scored, TxEval};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `sluice eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Verdicts written by `sluice sweep`. Give it once per sweep of a daily operation (in
    /// any order) to measure what the sweeps did together: a restriction, once applied, stays
    /// in force, so an account counts with its most severe action and its earliest flag.
    #[arg(long, required = true)]
    verdicts: Vec<PathBuf>,
    /// Account labels (`labels_accounts.csv`).
    #[arg(long)]
    labels: PathBuf,
    /// Decisions written by `sluice replay` (needs --tx-labels).
    #[arg(long, requires = "tx_labels")]
    decisions: Option<PathBuf>,
    /// Transaction labels (`labels_transactions.csv`).
    #[arg(long)]
    tx_labels: Option<PathBuf>,
    /// The period's transactions (needs --tx-labels): measures the time from each operator's
    /// first crypto-related payment to its flag.
    #[arg(long, requires = "tx_labels")]
    transactions: Option<PathBuf>,
    /// How often the sweep ran (as given to `sluice sweep --cadence`): a restriction is in
    /// force from the next such cut-off after its first flag, plus an hour to run the sweep.
    #[arg(long, default_value = "24h", value_parser = super::sweep::parse_cadence)]
    cadence: u32,
    /// Count transaction-level figures only for payments at or after this time (RFC 3339;
    /// needs --transactions): the steady state of daily operation after a warm-up, when the
    /// first day's operators, whom nobody has swept yet, are behind.
    #[arg(long, requires = "transactions", value_parser = parse_ts)]
    from: Option<Timestamp>,
    /// Directory for `eval.json` and `index.html`.
    #[arg(long)]
    report: PathBuf,
}

/// When a restriction found by the sweep is in force: the sweep runs at the end of the
/// cadence period (aligned to local midnight, China time) in which the evidence crossed the
/// threshold, and takes an hour.
fn in_force_from(first_flag: Timestamp, cadence_secs: u32) -> Timestamp {
    let period = i64::from(cadence_secs.max(1)) * 1_000_000;
    const OFFSET: i64 = sluice_sweep::graph::LOCAL_OFFSET_SECS * 1_000_000;
    let local = first_flag.as_micros() + OFFSET;
    let next_cut = (local.div_euclid(period) + 1) * period - OFFSET;
    Timestamp::from_micros(next_cut + 3_600_000_000).unwrap_or(first_flag)
}

fn parse_ts(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(s).map_err(|e| format!("not an RFC 3339 time: {e}"))
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut roles: HashMap<String, Role> = HashMap::new();
    read_all::<AccountLabel>(&args.labels, |l| {
        roles.insert(l.account_id.as_str().to_string(), l.role);
    })?;
    let mut scored = Vec::new();
    let mut unlabeled = 0u64;
    // Flag times of flagged operators; restriction times of every restricted account.
    let mut flagged_at: HashMap<String, Timestamp> = HashMap::new();
    let mut restricted_from: HashMap<String, Timestamp> = HashMap::new();
    let earliest = |m: &mut HashMap<String, Timestamp>, k: &str, t: Timestamp| {
        m.entry(k.to_string()).and_modify(|e| *e = (*e).min(t)).or_insert(t);
    };
    // Per account, in the first file's order: the highest score and most severe action of
    // any sweep (none < review < a restriction).
    let mut merged: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<(String, f64, AccountAction)> = Vec::new();
    let rank = |a: AccountAction| u8::from(a.is_flag()) + u8::from(a.is_restriction());
    for path in &args.verdicts {
        read_all::<Verdict>(path, |v| {
            let id = v.account_id.as_str();
            if v.action.is_restriction()
                && let Some(t) = v.first_flag_ts
            {
                earliest(&mut restricted_from, id, in_force_from(t, args.cadence));
            }
            if v.action.is_flag()
                && roles.get(id).is_some_and(|r| r.is_operator())
                && let Some(t) = v.first_flag_ts
            {
                earliest(&mut flagged_at, id, t);
            }
            let score = v.score.as_f64();
            match merged.get(id).and_then(|&i| order.get_mut(i)) {
                Some(m) => {
                    m.1 = m.1.max(score);
                    if rank(v.action) > rank(m.2) {
                        m.2 = v.action;
                    }
                }
                None => {
                    merged.insert(id.to_string(), order.len());
                    order.push((id.to_string(), score, v.action));
                }
            }
        })?;
    }
    for (id, score, action) in order {
        match roles.get(id.as_str()) {
            Some(&role) => scored.push(Scored { score, action, role }),
            None => unlabeled += 1,
        }
    }
    let acc = eval::accounts(&scored);

    let hasher = RandomState::new();
    let mut crypto: HashMap<u64, bool> = HashMap::new();
    if let Some(tl) = &args.tx_labels {
        read_all::<TxLabel>(tl, |l| {
            crypto.insert(hasher.hash_one(l.tx_id.as_str()), l.crypto_related);
        })?;
    }
    let mut outcomes: HashMap<u64, Outcome> = HashMap::new();
    let tx = match (&args.decisions, &args.tx_labels) {
        (Some(d), Some(_)) => {
            let mut t = TxEval::default();
            read_all::<Decision>(d, |dec| {
                let h = hasher.hash_one(dec.tx_id.as_str());
                // With --from, decisions are counted with their payment's time, below.
                if args.from.is_none() {
                    eval::add_tx(&mut t, dec.decision, crypto.get(&h).copied());
                }
                outcomes.insert(h, dec.decision);
            })?;
            Some(t)
        }
        _ => None,
    };
    let mut tx_eval = tx;
    let (ttf, sweep_tx) = match &args.transactions {
        None => (None, None),
        Some(t) => {
            // First crypto-related payment of every flagged operator, either side; payments
            // with a restricted side (looking back), and payments a restriction in force or the
            // inline decision would have stopped (the system day by day).
            let mut first: HashMap<String, Timestamp> = HashMap::new();
            let mut st = eval::SweepTx::default();
            read_all::<Transaction>(t, |tx| {
                let h = hasher.hash_one(tx.tx_id.as_str());
                let label = crypto.get(&h).copied();
                let sides = [tx.payer.as_str(), tx.payee.as_str()];
                let restricted = sides.iter().any(|s| restricted_from.contains_key(*s));
                let in_force =
                    sides.iter().any(|s| restricted_from.get(*s).is_some_and(|&from| tx.ts >= from));
                let outcome = outcomes.get(&h).copied();
                let counted = args.from.is_none_or(|from| tx.ts >= from);
                if counted {
                    if args.from.is_some()
                        && let (Some(t), Some(o)) = (tx_eval.as_mut(), outcome)
                    {
                        eval::add_tx(t, o, label);
                    }
                    let blocked_inline = outcome == Some(Outcome::Block);
                    eval::add_sweep_tx(&mut st, label, restricted, in_force || blocked_inline);
                }
                if label != Some(true) {
                    return;
                }
                for side in sides {
                    if flagged_at.contains_key(side) {
                        let e = first.entry(side.to_string()).or_insert(tx.ts);
                        *e = (*e).min(tx.ts);
                    }
                }
            })?;
            let delays: Vec<f64> = flagged_at
                .iter()
                .filter_map(|(a, flag)| {
                    let f = first.get(a)?;
                    Some(((flag.as_micros() - f.as_micros()).max(0)) as f64 / 3.6e9)
                })
                .collect();
            (Some(eval::time_to_flag(delays)), Some(st))
        }
    };

    let tx = tx_eval;
    std::fs::create_dir_all(&args.report)
        .with_context(|| format!("cannot create {}", args.report.display()))?;
    let mut json = eval::to_json(&acc, tx.as_ref());
    if let Some(t) = &ttf {
        json["time_to_first_flag"] = t.json();
    }
    if let Some(t) = &sweep_tx {
        json["sweep_transactions"] = t.json(args.decisions.is_some());
    }
    if let Some(from) = args.from {
        json["transactions_from"] = from.to_string().into();
    }
    let jp = args.report.join("eval.json");
    std::fs::write(&jp, format!("{json:#}\n")).with_context(|| format!("cannot write {}", jp.display()))?;
    let hp = args.report.join("index.html");
    let names: Vec<String> = args.verdicts.iter().map(|p| p.display().to_string()).collect();
    let mut title = if names.len() > 3 {
        format!("Sluice evaluation: {} sweeps ({} … {})", names.len(), names[0], names[names.len() - 1])
    } else {
        format!("Sluice evaluation: {}", names.join(", "))
    };
    if let Some(from) = args.from {
        title.push_str(&format!(" (payments from {from} on)"));
    }
    std::fs::write(
        &hp,
        sluice_sweep::report::html(&title, &acc, tx.as_ref(), sweep_tx.as_ref(), ttf.as_ref()),
    )
    .with_context(|| format!("cannot write {}", hp.display()))?;

    let mut o = std::io::stdout().lock();
    let line = |name: &str, p: &eval::Prf| {
        format!(
            "{name:<22} precision {:.4}  recall {:.4}  F1 {:.4}  ({} hits, {} false alarms, {} misses)",
            p.precision(),
            p.recall(),
            p.f1(),
            p.tp,
            p.fp,
            p.fn_
        )
    };
    writeln!(o, "{}", line("operators flagged", &acc.flagged))?;
    writeln!(o, "{}", line("operators restricted", &acc.restricted))?;
    writeln!(o, "average precision      {:.4}", acc.average_precision)?;
    for (r, c) in &acc.by_role {
        writeln!(
            o,
            "  {:<16} {:>9} accounts  {:>7} flagged  {:>7} restricted",
            r.as_str(),
            thousands(c[0]),
            thousands(c[1]),
            thousands(c[2])
        )?;
    }
    let normal = acc.by_role.iter().find(|r| r.0 == Role::Normal).map_or([0; 3], |r| r.1);
    writeln!(
        o,
        "normal accounts restricted: {} of {} ({:.2} per 100,000)",
        thousands(normal[2]),
        thousands(normal[0]),
        if normal[0] > 0 { normal[2] as f64 * 1e5 / normal[0] as f64 } else { 0.0 }
    )?;
    if let Some(from) = args.from {
        writeln!(o, "payments counted from {from} on")?;
    }
    if let Some(t) = &tx {
        writeln!(o, "{}", line("payments flagged", &t.flagged))?;
        writeln!(o, "{}", line("payments blocked", &t.blocked))?;
    }
    if let Some(t) = &sweep_tx {
        writeln!(o, "{}", line("payments of restricted", &t.restricted_side))?;
        let what = if args.decisions.is_some() { "stopped in operation" } else { "stopped by restrictions" };
        writeln!(o, "{}", line(what, &t.stopped))?;
    }
    if let Some(t) = &ttf {
        writeln!(
            o,
            "first crypto payment to flag: median {:.1} h, p90 {:.1} h, max {:.1} h ({} flagged operators)",
            t.median_hours,
            t.p90_hours,
            t.max_hours,
            thousands(t.operators as u64)
        )?;
    }
    if unlabeled > 0 {
        writeln!(o, "{} verdict(s) without a label were not counted", thousands(unlabeled))?;
    }
    writeln!(o, "report: {} and {}", jp.display(), hp.display())?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::in_force_from;
    use sluice_core::Timestamp;

    #[test]
    fn restriction_in_force_after_the_next_cut_plus_an_hour() {
        // 10:30 China time = 02:30 UTC.
        let t = Timestamp::parse_rfc3339("2026-03-03T02:30:00Z").unwrap();
        let at = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        // Daily: the local day ends at 16:00 UTC; in force an hour later.
        assert_eq!(in_force_from(t, 86_400), at("2026-03-03T17:00:00Z"));
        // Every 6 h: the cut at 12:00 local (04:00 UTC), in force at 05:00 UTC.
        assert_eq!(in_force_from(t, 21_600), at("2026-03-03T05:00:00Z"));
    }
}
