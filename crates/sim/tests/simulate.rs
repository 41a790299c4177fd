//! The simulator's contract: same seed → same bytes (whatever the thread count); output
//! that passes validation with zero rejects; labels consistent with the payments; and a
//! world whose statistics look like a payment platform's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use sluice_core::{AccountLabel, Role, TxLabel};
use sluice_io::{Format, ReadItem, RecordReader, RejectLog, TransactionIngest, load_accounts};
use sluice_sim::config::SimConfig;
use sluice_sim::{SimOptions, SimSummary, simulate};
use std::collections::HashMap;
use std::path::Path;

fn opts(dir: &Path, population: u32, days: u32, seed: u64, evasion: usize, start: &str) -> SimOptions {
    SimOptions {
        config: SimConfig::default_config().unwrap(),
        seed,
        evasion,
        start: sluice_core::CivilDate::parse(start).unwrap(),
        days,
        population,
        out_dir: dir.to_path_buf(),
        format: Format::Csv,
        gzip: false,
    }
}

fn run(dir: &Path, population: u32, days: u32, seed: u64, evasion: usize, start: &str) -> SimSummary {
    simulate(&opts(dir, population, days, seed, evasion, start), |_| {}).unwrap()
}

const FILES: [&str; 4] =
    ["accounts.csv", "transactions.csv", "labels_accounts.csv", "labels_transactions.csv"];

#[test]
fn same_seed_gives_byte_identical_output_whatever_the_threads() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    run(a.path(), 4_000, 3, 7, 2, "2026-03-02");
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    one_thread.install(|| run(b.path(), 4_000, 3, 7, 2, "2026-03-02"));
    run(c.path(), 4_000, 3, 8, 2, "2026-03-02");
    for f in FILES {
        let x = std::fs::read(a.path().join(f)).unwrap();
        assert!(x.len() > 1000, "{f} is nearly empty");
        assert!(x == std::fs::read(b.path().join(f)).unwrap(), "{f} differs between runs with the same seed");
    }
    assert_ne!(
        std::fs::read(a.path().join("transactions.csv")).unwrap(),
        std::fs::read(c.path().join("transactions.csv")).unwrap(),
        "another seed must give another world"
    );
}

/// Reads a simulated directory back through the contract's readers.
struct Read {
    roles: HashMap<String, Role>,
    crypto_tx: HashMap<String, bool>,
    /// Crypto-related payments per account.
    crypto_per_account: HashMap<String, u32>,
    /// Distinct payers per account.
    payers: HashMap<String, std::collections::HashSet<String>>,
    memos_of_crypto: Vec<Option<String>>,
    transactions: u64,
}

fn read_back(dir: &Path) -> Read {
    let mut log = RejectLog::new().with_callback(|r| panic!("simulated output rejected: {r}"));
    let accounts = load_accounts(&dir.join("accounts.csv"), &mut log, |_, _| {}).unwrap();
    let mut roles = HashMap::new();
    let mut r = RecordReader::<AccountLabel>::open(&dir.join("labels_accounts.csv")).unwrap();
    while let Some(ReadItem::Record(l, _)) = r.next_item().unwrap() {
        roles.insert(l.account_id.to_string(), l.role);
    }
    assert_eq!(roles.len(), accounts.book.len(), "one label per account");
    let mut crypto_tx = HashMap::new();
    let mut r = RecordReader::<TxLabel>::open(&dir.join("labels_transactions.csv")).unwrap();
    while let Some(ReadItem::Record(l, _)) = r.next_item().unwrap() {
        crypto_tx.insert(l.tx_id.to_string(), l.crypto_related);
    }
    let mut ingest = TransactionIngest::open(&dir.join("transactions.csv"), &accounts.book, None).unwrap();
    let mut out = Read {
        roles,
        crypto_tx,
        crypto_per_account: HashMap::new(),
        payers: HashMap::new(),
        memos_of_crypto: Vec::new(),
        transactions: 0,
    };
    while let Some(a) = ingest.next(&mut log).unwrap() {
        out.transactions += 1;
        let crypto = *out.crypto_tx.get(a.tx.tx_id.as_str()).expect("every transaction has a label");
        for p in [&a.tx.payer, &a.tx.payee] {
            if let Some(acct) = p.account() {
                *out.crypto_per_account.entry(acct.to_string()).or_default() += u32::from(crypto);
            }
        }
        if crypto {
            let ops = [&a.tx.payer, &a.tx.payee]
                .iter()
                .filter_map(|p| p.account())
                .filter(|acct| out.roles.get(acct.as_str()).is_some_and(|r| r.is_operator()))
                .count();
            assert!(ops > 0, "crypto payment {} has no operator on either side", a.tx.tx_id);
            out.memos_of_crypto.push(a.tx.memo.as_ref().map(|m| m.as_str().to_string()));
        }
        if let Some(payee) = a.tx.payee.account() {
            out.payers.entry(payee.to_string()).or_default().insert(a.tx.payer.to_string());
        }
    }
    assert_eq!(log.total(), 0);
    assert_eq!(ingest.stats().late, 0, "late rows beyond the 10-minute tolerance");
    assert_eq!(out.transactions as usize, out.crypto_tx.len(), "one label per transaction");
    out
}

#[test]
fn output_validates_and_labels_match_the_payments() {
    for evasion in [0, 3] {
        let dir = tempfile::tempdir().unwrap();
        let s = run(dir.path(), 20_000, 4, 11, evasion, "2026-03-02");
        let r = read_back(dir.path());
        assert_eq!(r.transactions, s.transactions);
        let mut per_role: HashMap<Role, u32> = HashMap::new();
        for (acct, role) in &r.roles {
            *per_role.entry(*role).or_default() += 1;
            let n = r.crypto_per_account.get(acct).copied().unwrap_or(0);
            match role {
                Role::Normal => assert_eq!(n, 0, "normal account {acct} has crypto payments"),
                _ => assert!(n > 0, "{role} {acct} has no crypto payment"),
            }
        }
        for role in
            [Role::OtcMerchant, Role::ExchangeAgent, Role::ScamCollector, Role::Mule, Role::CryptoBuyer]
        {
            assert!(per_role.get(&role).copied().unwrap_or(0) > 0, "evasion {evasion}: no {role}");
        }
        // OTC merchants trade with many different people, whatever they hide.
        let otc: Vec<usize> = r
            .roles
            .iter()
            .filter(|(_, role)| **role == Role::OtcMerchant)
            .map(|(a, _)| r.payers.get(a).map_or(0, |s| s.len()))
            .collect();
        let mean = otc.iter().sum::<usize>() as f64 / otc.len() as f64;
        assert!(mean >= 8.0, "evasion {evasion}: OTC merchants average only {mean:.1} distinct payers");
        // Memos: naive operators name the coin, careful ones never do.
        let lexicon = [
            "USDT",
            "U",
            "u",
            "币",
            "BTC",
            "trc20",
            "承兑",
            "充值",
            "入金",
            "交易所",
            "合约",
            "矿机",
            "ICO",
            "区块链",
            "挖矿",
            "节点",
            "私募",
        ];
        let with_memo: Vec<&String> = r.memos_of_crypto.iter().flatten().collect();
        let coin = with_memo.iter().filter(|m| lexicon.iter().any(|w| m.contains(w))).count();
        let share = coin as f64 / with_memo.len().max(1) as f64;
        if evasion == 0 {
            assert!(share > 0.3, "evasion 0: only {share:.2} of crypto memos name the coin");
        } else {
            assert_eq!(coin, 0, "evasion 3: crypto memos name the coin");
        }
    }
}

#[test]
fn the_world_looks_like_a_payment_platform() {
    let dir = tempfile::tempdir().unwrap();
    let march = run(dir.path(), 30_000, 7, 3, 2, "2026-03-02").stats;
    let rp = march.red_packet_share();
    assert!((0.03..0.15).contains(&rp), "red packets are {rp:.3} of payments");
    let peak = march.peak_hour();
    assert!([11, 12, 13, 18, 19, 20].contains(&peak), "busiest hour is {peak}:00");
    let night: u64 = (0..6).map(|h| march.hours[h][0]).sum();
    let all: u64 = march.hours.iter().map(|h| h[0]).sum();
    assert!((night as f64 / all as f64) < 0.06, "ordinary night share {:.3}", night as f64 / all as f64);
    // A heavy tail: popular merchants take far more payments than the typical account.
    let top = march.top_receivers(1)[0];
    let tail = march.in_degree_tail();
    let with_one = tail[0].1;
    let half = tail.iter().find(|(_, n)| *n <= with_one / 2).map_or(1, |(k, _)| *k);
    assert!(top >= 50 * half, "top receiver {top} vs typical {half}");
    // Crypto is rare, as on a real platform.
    let crypto = march.crypto_transactions() as f64 / march.transactions() as f64;
    assert!((0.001..0.05).contains(&crypto), "crypto share {crypto:.4}");

    let dir = tempfile::tempdir().unwrap();
    let festival = run(dir.path(), 30_000, 7, 3, 2, "2026-02-14").stats;
    assert!(festival.festival_days >= 5);
    assert!(
        festival.red_packet_share() > 2.0 * rp,
        "Spring Festival red packets {:.3} vs {rp:.3}",
        festival.red_packet_share()
    );
}
