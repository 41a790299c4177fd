//! `sluice eval` at transaction level on a hand-made period whose answer is known: when a
//! sweep's restriction comes into force, and what `--from` leaves out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::path::Path;
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn eval(dir: &Path, from: Option<&str>) -> serde_json::Value {
    eval_sweeps(dir, &["verdicts.csv"], from, if from.is_some() { "from" } else { "all" })
}

fn eval_sweeps(dir: &Path, verdicts: &[&str], from: Option<&str>, name: &str) -> serde_json::Value {
    let report = dir.join(name);
    let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
    c.arg("eval");
    for v in verdicts {
        c.arg("--verdicts").arg(dir.join(v));
    }
    for (flag, file) in [
        ("--labels", "labels_accounts.csv"),
        ("--decisions", "decisions.ndjson"),
        ("--tx-labels", "labels_transactions.csv"),
        ("--transactions", "transactions.csv"),
    ] {
        c.arg(flag).arg(dir.join(file));
    }
    if let Some(f) = from {
        c.args(["--from", f]);
    }
    let out = c.arg("--report").arg(&report).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&std::fs::read_to_string(report.join("eval.json")).unwrap()).unwrap()
}

/// Four accounts, four payments, their labels and the inline decisions (see the first test).
fn restrictions_fixture(d: &Path) {
    write(
        d,
        "accounts.csv",
        "account_id,kind,name,country,created_at,kyc_level,mcc,website\n\
         U1,personal,A,CN,2025-01-01T00:00:00Z,3,,\n\
         U2,personal,B,CN,2025-01-01T00:00:00Z,3,,\n\
         U3,personal,C,CN,2025-01-01T00:00:00Z,3,,\n\
         U4,personal,D,CN,2025-01-01T00:00:00Z,3,,\n",
    );
    // U2 deals coin from 11:00 China time on 2 March; the daily sweep flags it at 10:00 (its
    // evidence), so its restriction is in force from the next local midnight plus an hour:
    // 2026-03-02T17:00Z. T1 is before that, T2 and T3 after; T4 is ordinary life.
    write(
        d,
        "transactions.csv",
        "tx_id,ts,payer,payee,amount,currency,channel,memo,device_id\n\
         T1,2026-03-02T03:00:00Z,U1,U2,700.00,CNY,p2p,,\n\
         T4,2026-03-02T05:00:00Z,U3,U4,20.00,CNY,p2p,,\n\
         T2,2026-03-02T18:00:00Z,U1,U2,700.00,CNY,p2p,,\n\
         T3,2026-03-03T18:00:00Z,U3,U2,700.00,CNY,p2p,,\n",
    );
    write(d, "labels_transactions.csv", "tx_id,crypto_related\nT1,1\nT4,0\nT2,1\nT3,1\n");
    write(
        d,
        "labels_accounts.csv",
        "account_id,role\nU1,crypto_buyer\nU2,otc_merchant\nU3,crypto_buyer\nU4,normal\n",
    );
    let dec = |id: &str, d: &str| {
        format!(
            "{{\"tx_id\":\"{id}\",\"decision\":\"{d}\",\"score\":0.0,\"reasons\":[],\"actions\":[],\
             \"policy\":\"p@1\"}}\n"
        )
    };
    write(
        d,
        "decisions.ndjson",
        &[dec("T1", "review"), dec("T4", "allow"), dec("T2", "allow"), dec("T3", "allow")].concat(),
    );
}

#[test]
fn restrictions_count_from_the_next_cut_and_from_leaves_out_the_warm_up() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    restrictions_fixture(d);
    write(
        d,
        "verdicts.csv",
        "account_id,score,action,reasons,explanation,ring,first_flag_ts\n\
         U1,0.1000,none,,,,\n\
         U2,0.9900,suspend_in,OTC_PATTERN,strangers,,2026-03-02T02:00:00Z\n\
         U3,0.0000,none,,,,\n\
         U4,0.0000,none,,,,\n",
    );
    let all = eval(d, None);
    let stopped = &all["sweep_transactions"]["stopped"];
    assert_eq!((stopped["tp"].as_u64(), stopped["fn"].as_u64()), (Some(2), Some(1)), "{all:#}");
    assert_eq!(stopped["fp"], 0);
    let side = &all["sweep_transactions"]["restricted_side"];
    assert_eq!((side["tp"].as_u64(), side["fn"].as_u64()), (Some(3), Some(0)));
    assert_eq!(all["transactions"]["flagged"]["tp"], 1, "{all:#}");
    assert!(all.get("transactions_from").is_none());

    // From noon UTC on: T1 (the warm-up's miss, flagged inline) and T4 are not counted.
    let later = eval(d, Some("2026-03-02T12:00:00Z"));
    let stopped = &later["sweep_transactions"]["stopped"];
    assert_eq!((stopped["tp"].as_u64(), stopped["fn"].as_u64()), (Some(2), Some(0)), "{later:#}");
    let flagged = &later["transactions"]["flagged"];
    assert_eq!((flagged["tp"].as_u64(), flagged["fn"].as_u64()), (Some(0), Some(2)), "{later:#}");
    assert_eq!(later["transactions_from"], "2026-03-02T12:00:00.000000Z");
}

/// Daily operation: each sweep's verdicts go to eval together. A restriction applied by the
/// first day's sweep stays in force after the account goes quiet (the second day's sweep no
/// longer flags it), and an account flagged by either sweep counts once, with its earliest
/// flag and its most severe action; the files' order does not matter.
#[test]
fn several_sweeps_count_together() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    restrictions_fixture(d);
    write(
        d,
        "day1.csv",
        "account_id,score,action,reasons,explanation,ring,first_flag_ts\n\
         U1,0.1000,none,,,,\n\
         U2,0.9900,suspend_in,OTC_PATTERN,strangers,,2026-03-02T02:00:00Z\n\
         U3,0.6000,review,OTC_PATTERN,strangers,,2026-03-02T05:00:00Z\n\
         U4,0.0000,none,,,,\n",
    );
    write(
        d,
        "day2.csv",
        "account_id,score,action,reasons,explanation,ring,first_flag_ts\n\
         U1,0.1000,none,,,,\n\
         U2,0.2000,none,,,,\n\
         U3,0.0000,none,,,,\n\
         U4,0.9500,freeze,OTC_PATTERN,strangers,,2026-03-03T10:00:00Z\n",
    );
    let both = eval_sweeps(d, &["day1.csv", "day2.csv"], None, "both");
    let reversed = eval_sweeps(d, &["day2.csv", "day1.csv"], None, "reversed");
    for k in ["operators_restricted", "normal_restricted", "buyers_reviewed", "sweep_transactions"] {
        assert_eq!(both[k], reversed[k], "{k}");
    }
    // U2's restriction from day 1 still stops T2 and T3, as with day 1 alone.
    let stopped = &both["sweep_transactions"]["stopped"];
    assert_eq!((stopped["tp"].as_u64(), stopped["fn"].as_u64()), (Some(2), Some(1)), "{both:#}");
    assert_eq!(both["operators_restricted"]["tp"], 1, "{both:#}");
    // U4 (normal) was restricted on day 2 only; U3 (a buyer) reviewed on day 1 only.
    assert_eq!((both["normal_restricted"].as_u64(), both["buyers_reviewed"].as_u64()), (Some(1), Some(1)));
    // The last day's verdicts alone forget U2's restriction.
    let last_only = eval_sweeps(d, &["day2.csv"], None, "last");
    assert_eq!(last_only["sweep_transactions"]["stopped"]["tp"], 0, "{last_only:#}");
}
