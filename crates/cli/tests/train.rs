//! `sluice train` and `sluice sweep --model` end to end on two small simulated worlds: the
//! model learnt on one seed finds the operators of another, a model for other features is
//! refused, and a policy's `[sweep]` thresholds replace the model's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::path::Path;
use std::process::Command;

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn simulate(dir: &Path, seed: &str) {
    ok(sluice()
        .args(["simulate", "--population", "30000", "--days", "3", "--seed", seed, "--out-dir"])
        .arg(dir));
}

fn sweep(world: &Path, extra: &[&std::ffi::OsStr], out: &Path) -> String {
    ok(sluice()
        .arg("sweep")
        .arg("--accounts")
        .arg(world.join("accounts.csv"))
        .arg("--transactions")
        .arg(world.join("transactions.csv"))
        .args(extra)
        .arg("--out")
        .arg(out))
}

/// (operators restricted, operators, others restricted) in a verdicts file.
fn count(verdicts: &Path, labels: &Path) -> (usize, usize, usize) {
    let roles: std::collections::HashMap<String, String> = std::fs::read_to_string(labels)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (a, r) = l.split_once(',').unwrap();
            (a.to_string(), r.to_string())
        })
        .collect();
    let mut r = csv::Reader::from_path(verdicts).unwrap();
    let (mut hit, mut ops, mut false_restrictions) = (0, 0, 0);
    for rec in r.records() {
        let rec = rec.unwrap();
        let role = roles.get(&rec[0]).map(String::as_str).unwrap_or("normal");
        let restricted = !matches!(&rec[2], "none" | "review");
        let op = !matches!(role, "normal" | "crypto_buyer");
        ops += usize::from(op);
        hit += usize::from(op && restricted);
        false_restrictions += usize::from(!op && restricted);
    }
    (hit, ops, false_restrictions)
}

#[test]
fn model_from_one_seed_finds_operators_of_another() {
    let tmp = tempfile::tempdir().unwrap();
    let (train, eval) = (tmp.path().join("train"), tmp.path().join("eval"));
    simulate(&train, "11");
    simulate(&eval, "12");
    let model = tmp.path().join("model.json");
    let said = ok(sluice().args(["train", "--data"]).arg(&train).arg("--out").arg(&model));
    assert!(said.contains("held out"), "{said}");
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(m["format"], "sluice-sweep-model/1");
    assert!(m["version"].as_str().unwrap().starts_with("gbdt-"));
    assert!(m["summary"]["trees"].as_u64().unwrap() > 0);

    let verdicts = tmp.path().join("v.csv");
    sweep(&eval, &["--model".as_ref(), model.as_os_str()], &verdicts);
    let (hit, ops, false_restrictions) = count(&verdicts, &eval.join("labels_accounts.csv"));
    assert!(ops >= 10, "too small a world to say anything: {ops} operators");
    assert!(hit * 10 >= ops * 8, "restricted {hit} of {ops} operators");
    assert!(false_restrictions <= 1, "{false_restrictions} innocent accounts restricted");
    let text = std::fs::read_to_string(&verdicts).unwrap();
    let restricted = text.lines().find(|l| l.contains(",freeze,")).unwrap();
    assert!(restricted.contains("model gbdt-"), "the explanation names the model: {restricted}");

    // A policy's [sweep] thresholds win over the model's: at 1.0 only scores of exactly 1
    // stay flagged.
    let policy = tmp.path().join("strict.toml");
    let base =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/default.toml"))
            .unwrap();
    std::fs::write(
        &policy,
        base.replace("[thresholds]", "[sweep]\nreview = 1.0\nrestrict = 1.0\n\n[thresholds]"),
    )
    .unwrap();
    let strict = tmp.path().join("strict.csv");
    sweep(&eval, &["--model".as_ref(), model.as_os_str(), "--policy".as_ref(), policy.as_os_str()], &strict);
    let flagged = |p: &Path| {
        let mut r = csv::Reader::from_path(p).unwrap();
        r.records().filter(|x| x.as_ref().unwrap()[2] != *"none").count()
    };
    let loose_scores_below_one = {
        let mut r = csv::Reader::from_path(&verdicts).unwrap();
        r.records()
            .filter(|x| {
                let x = x.as_ref().unwrap();
                x[2] != *"none" && x[1] != *"1.0000"
            })
            .count()
    };
    assert_eq!(flagged(&strict), flagged(&verdicts) - loose_scores_below_one);

    // A model trained on other features is refused with the reason.
    let mut tampered = m.clone();
    tampered["features"][0] = serde_json::json!("renamed");
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, tampered.to_string()).unwrap();
    let out = sluice()
        .arg("sweep")
        .arg("--accounts")
        .arg(eval.join("accounts.csv"))
        .arg("--transactions")
        .arg(eval.join("transactions.csv"))
        .arg("--model")
        .arg(&bad)
        .arg("--out")
        .arg(tmp.path().join("x.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("retrain"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of `world` whose payments carry no device id.
fn without_devices(world: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["accounts.csv", "labels_accounts.csv"] {
        std::fs::copy(world.join(f), to.join(f)).unwrap();
    }
    let mut r = csv::Reader::from_path(world.join("transactions.csv")).unwrap();
    let mut w = csv::Writer::from_path(to.join("transactions.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let dev = head.iter().position(|h| h == "device_id").unwrap();
    w.write_record(&head).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        w.write_record(rec.iter().enumerate().map(|(i, x)| if i == dev { "" } else { x })).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn a_model_learnt_with_device_less_copies_still_finds_operators_without_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let (train, eval, bare) = (tmp.path().join("train"), tmp.path().join("eval"), tmp.path().join("bare"));
    simulate(&train, "13");
    simulate(&eval, "14");
    without_devices(&eval, &bare);
    let labels = bare.join("labels_accounts.csv");
    let restricted = |extra: &[&str], name: &str| {
        let model = tmp.path().join(format!("{name}.json"));
        ok(sluice().args(["train", "--data"]).arg(&train).args(extra).arg("--out").arg(&model));
        let verdicts = tmp.path().join(format!("{name}.csv"));
        sweep(&bare, &["--model".as_ref(), model.as_os_str()], &verdicts);
        count(&verdicts, &labels)
    };
    let (hit, ops, _) = restricted(&[], "default");
    assert!(ops >= 10, "too small a world to say anything: {ops} operators");
    assert!(hit * 10 >= ops * 7, "restricted {hit} of {ops} operators without device ids");
    // Learnt from the periods as given, the model leans on devices (in this pair of worlds it
    // restricts none of them): this is what the device-less copies are for. Innocent accounts
    // restricted are not checked here: one 30k-account world calibrates on a dozen operators;
    // the README's figures measure them on 100k and 1M worlds.
    let (as_given, _, _) = restricted(&["--no-deviceless-copy"], "as-given");
    assert!(as_given * 2 < hit, "as given {as_given}, with copies {hit} of {ops}");
}
