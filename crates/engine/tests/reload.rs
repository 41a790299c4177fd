//! Reloading lists (and the policy checked against them) between payments: the payments
//! before the reload are decided with the old lists, those after with the new ones, each
//! decision names its lists version, and the behaviour state and restrictions carry over.
//! A reload that cannot apply changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use sluice_core::{Account, ListEntry, Outcome};
use sluice_engine::decide::{Engine, EngineError};
use sluice_engine::lists::ListStore;
use sluice_engine::policy::Policy;
use sluice_io::{ReadItem, RecordReader, RejectLog, TransactionIngest, load_accounts};
use std::path::Path;
use std::sync::Arc;

const HEAD: &str = "list,kind,entry,effective_from,effective_until,jurisdictions,source,note\n";

const POLICY: &str = r#"
id = "reload"
version = "1"
timezone = "Asia/Shanghai"

[[rule]]
id = "exchange"
when = 'payee.listed("exchanges")'
outcome = "block"
weight = 1.0
reason = "LIST_EXCHANGE_PAYEE"

[[rule]]
id = "busy-payer"
when = 'payer.out_1h.count >= 3'
outcome = "review"
reason = "VELOCITY_OUT"
"#;

fn lists(dir: &Path, name: &str, rows: &str, version: &str) -> Arc<ListStore> {
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEAD}{rows}")).unwrap();
    let mut reader = RecordReader::<ListEntry>::open(&path).unwrap();
    let mut entries = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        match item {
            ReadItem::Record(e, _) => entries.push(e),
            ReadItem::Rejected(r) => panic!("{r}"),
        }
    }
    Arc::new(ListStore::new(entries, Some(version.into())).unwrap())
}

#[test]
fn a_reload_applies_from_the_next_payment_and_keeps_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("accounts.csv"),
        "account_id,kind,name,country,created_at,kyc_level,mcc,website\n\
         A1,personal,Li Lei,CN,2020-01-01T00:00:00Z,3,,\n\
         X1,merchant,Deposit Agent,CN,2020-01-01T00:00:00Z,3,6051,\n",
    )
    .unwrap();
    std::fs::write(
        d.join("transactions.csv"),
        "tx_id,ts,payer,payee,amount,currency,channel,memo,device_id\n\
         t1,2026-03-02T02:00:00Z,A1,X1,100.00,CNY,p2p,,\n\
         t2,2026-03-02T02:01:00Z,A1,X1,100.00,CNY,p2p,,\n\
         t3,2026-03-02T02:02:00Z,A1,X1,100.00,CNY,p2p,,\n\
         t4,2026-03-02T02:03:00Z,A1,X1,100.00,CNY,p2p,,\n",
    )
    .unwrap();
    // Before: X1 is on no list; after: it is a listed exchange account.
    let old = lists(d, "old.csv", "exchanges,account_id,SOMEONE_ELSE,,,,,\n", "v1");
    let new = lists(d, "new.csv", "exchanges,account_id,X1,,,,case 2026-31,\n", "v2");
    let old_policy = Arc::new(Policy::compile(POLICY, "policy.toml", &old).unwrap());
    let new_policy = Arc::new(Policy::compile(POLICY, "policy.toml", &new).unwrap());

    let mut log = RejectLog::new();
    let mut accounts: Vec<Account> = Vec::new();
    let load = load_accounts(&d.join("accounts.csv"), &mut log, |_, a| accounts.push(a)).unwrap();
    let accounts: Arc<[Account]> = accounts.into();
    let mut engine = Engine::new(Arc::clone(&old_policy), Arc::clone(&old), accounts).unwrap();
    let mut ingest = TransactionIngest::open(&d.join("transactions.csv"), &load.book, None).unwrap();
    let mut txs = Vec::new();
    while let Some(a) = ingest.next(&mut log).unwrap() {
        txs.push(a);
    }
    assert_eq!(txs.len(), 4);

    let mut decided = Vec::new();
    for a in &txs[..2] {
        decided.push(engine.decide(&a.tx, a.payer, a.payee));
    }
    // A policy checked against other lists is refused, and nothing changes.
    let err = engine.reload(Arc::clone(&old_policy), Arc::clone(&new)).unwrap_err();
    assert!(matches!(err, EngineError::ListsMismatch { .. }), "{err}");
    assert_eq!(engine.lists().version(), "v1");
    // Another time zone would change what the recorded local-time features mean.
    let elsewhere = POLICY.replace("Asia/Shanghai", "Europe/Paris");
    let paris = Arc::new(Policy::compile(&elsewhere, "policy.toml", &new).unwrap());
    let err = engine.reload(paris, Arc::clone(&new)).unwrap_err();
    assert!(matches!(err, EngineError::TimeZoneChange { .. }), "{err}");
    assert_eq!(engine.lists().version(), "v1");

    engine.reload(new_policy, Arc::clone(&new)).unwrap();
    for a in &txs[2..] {
        decided.push(engine.decide(&a.tx, a.payer, a.payee));
    }
    let seen: Vec<(Outcome, &str, Vec<&str>)> = decided
        .iter()
        .map(|d| {
            (
                d.decision,
                d.lists.as_deref().unwrap_or(""),
                d.reasons.iter().map(|r| r.code.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Outcome::Allow, "v1", vec![]),
            (Outcome::Allow, "v1", vec![]),
            // The list applies now, and the payer's window kept the two payments before.
            (Outcome::Block, "v2", vec!["LIST_EXCHANGE_PAYEE", "VELOCITY_OUT"]),
            (Outcome::Block, "v2", vec!["LIST_EXCHANGE_PAYEE", "VELOCITY_OUT"]),
        ]
    );
    // The per-rule counters restarted with the new policy: each rule fired twice since.
    assert_eq!(engine.stats().fired, [2, 2]);
}
