//! `sluice import amlsim` end to end on a hand-made sample in AMLSim's shape
//! (`tests/fixtures/amlsim/`): the exact four files, accepted by `sluice validate` with no
//! reject; a malformed sample exits 2 naming file, line and field and writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::path::Path;
use std::process::Command;

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn fixture() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/amlsim"))
}

#[test]
fn import_amlsim_writes_the_contract_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("aml");
    let run = sluice()
        .args(["import", "amlsim", "--archive"])
        .arg(fixture())
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
    assert!(
        stdout.starts_with(
            "accounts 4 (2 laundering → mule), transactions 4 (1 between laundering accounts), \
             self-payments skipped 1\nsteps 1..7 of 86400 s from 2026-01-01T00:00:00+08:00\n"
        ),
        "{stdout}"
    );
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    assert_eq!(
        read("accounts.csv"),
        "account_id,kind,name,country,created_at,kyc_level,mcc,website\n\
         amlsim-10,personal,AMLSim account 10,CN,2025-12-31T16:00:00.000000Z,3,,\n\
         amlsim-11,personal,AMLSim account 11,CN,2025-12-31T16:00:00.000000Z,3,,\n\
         amlsim-12,personal,AMLSim account 12,CN,2025-12-31T16:00:00.000000Z,3,,\n\
         amlsim-13,personal,AMLSim account 13,CN,2025-12-31T16:00:00.000000Z,3,,\n"
    );
    assert_eq!(
        read("transactions.csv"),
        "tx_id,ts,payer,payee,amount,currency,channel,memo,device_id\n\
         amlsim-tx-1,2026-01-01T16:00:00.000000Z,amlsim-10,amlsim-13,163.30,CNY,p2p,,\n\
         amlsim-tx-2,2026-01-05T16:00:00.000000Z,amlsim-11,amlsim-12,99.99,CNY,p2p,,\n\
         amlsim-tx-4,2026-01-07T16:00:00.000000Z,amlsim-13,amlsim-12,1500.00,CNY,p2p,,\n\
         amlsim-tx-5,2026-01-07T16:00:00.000000Z,amlsim-12,amlsim-10,0.05,CNY,p2p,,\n"
    );
    assert_eq!(
        read("labels_accounts.csv"),
        "account_id,role\namlsim-10,normal\namlsim-11,mule\namlsim-12,mule\namlsim-13,normal\n"
    );
    assert_eq!(
        read("labels_transactions.csv"),
        "tx_id,crypto_related\namlsim-tx-1,0\namlsim-tx-2,1\namlsim-tx-4,0\namlsim-tx-5,0\n"
    );

    let check = sluice()
        .args(["validate", "--accounts"])
        .arg(out.join("accounts.csv"))
        .arg("--transactions")
        .arg(out.join("transactions.csv"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}{}", String::from_utf8_lossy(&check.stderr));
    assert!(text.contains("rows 4  accepted 4  rejected 0"), "{text}");
    assert!(text.contains("rejects: none"), "{text}");
}

#[test]
fn import_amlsim_refuses_a_bad_row_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::copy(fixture().join("nodes.csv"), src.join("nodes.csv")).unwrap();
    std::fs::write(src.join("transactions.csv"), "sourceNodeId,targetNodeId,value,time\n10,11,163.333,1\n")
        .unwrap();
    let out = dir.path().join("aml");
    let run = sluice()
        .args(["import", "amlsim", "--archive"])
        .arg(&src)
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(
            "transactions.csv: line 2: field `value`: `163.333` has non-zero digits below the minor unit of CNY (2 decimals)"
        ),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "no output file is left behind");
}
