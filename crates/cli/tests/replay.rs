//! The `sluice` binary end to end: replay is deterministic and writes one decision per
//! accepted payment; policy check refuses a broken policy with status 1 and a caret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::path::Path;
use std::process::Command;

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn replay(out: &Path) -> std::process::Output {
    let data = root().join("examples/data");
    sluice()
        .args(["replay", "--accounts"])
        .arg(data.join("accounts.csv"))
        .arg("--transactions")
        .arg(data.join("transactions.csv"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn replay_is_deterministic_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.ndjson"), dir.path().join("b.ndjson"));
    let run = replay(&a);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(replay(&b).status.success());
    let (da, db) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(da, db, "same input, same decisions");
    let rows =
        std::fs::read_to_string(root().join("examples/data/transactions.csv")).unwrap().lines().count() - 1;
    let text = String::from_utf8(da).unwrap();
    assert_eq!(text.lines().count(), rows, "one decision per accepted payment");
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["policy"], "crypto-ban@2026.11-1");
        assert!(["allow", "review", "block"].contains(&v["decision"].as_str().unwrap()));
    }
    let summary = String::from_utf8_lossy(&run.stderr);
    assert!(summary.contains("decisions"), "{summary}");
}

#[test]
fn policy_check_exit_codes() {
    let ok = sluice().args(["policy", "check"]).arg(root().join("policies/default.toml")).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "id = \"p\"\nversion = \"1\"\n[[rule]]\nid = \"r\"\nwhen = 'payee.in_24h.cuont > 3'\noutcome = \"review\"\nreason = \"VELOCITY_IN\"\n",
    )
    .unwrap();
    let out = sluice().args(["policy", "check"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unknown field `cuont`"), "{text}");
    assert!(text.contains("did you mean `count`?"), "{text}");
    assert!(text.contains("bad.toml:5:"), "{text}");
    assert!(text.contains('^'), "{text}");
    // Nothing runs on a policy that does not check.
    let data = root().join("examples/data");
    let run = sluice()
        .args(["replay", "--accounts"])
        .arg(data.join("accounts.csv"))
        .arg("--transactions")
        .arg(data.join("transactions.csv"))
        .arg("--policy")
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("d.ndjson"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(!dir.path().join("d.ndjson").exists(), "no decisions from a policy that does not check");
}
