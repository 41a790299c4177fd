//! `sluice sweep --state`: sweeping a period day by day, each day reading only its own
//! payments, gives the verdicts of sweeping the whole period at once (scores, actions,
//! reasons, explanations, rings); first flag times can only be earlier (the day they were in
//! fact flagged). A day given twice is refused and the history is left as it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn sweep(world: &Path, tx: &Path, state: Option<&Path>, out: &Path) -> std::process::Output {
    sweep_window(world, tx, state, out, None)
}

fn sweep_window(
    world: &Path,
    tx: &Path,
    state: Option<&Path>,
    out: &Path,
    window: Option<&str>,
) -> std::process::Output {
    let mut c = sluice();
    c.arg("sweep").arg("--accounts").arg(world.join("accounts.csv")).arg("--transactions").arg(tx);
    if let Some(w) = window {
        c.args(["--window", w]);
    }
    if let Some(s) = state {
        c.arg("--state").arg(s);
    }
    c.arg("--out").arg(out).output().unwrap()
}

fn rows(path: &Path) -> BTreeMap<String, Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|x| x.unwrap())
        .map(|x| (x[0].to_string(), x.iter().map(String::from).collect()))
        .collect()
}

#[test]
fn day_by_day_equals_the_whole_period() {
    let tmp = tempfile::tempdir().unwrap();
    let world = tmp.path().join("w");
    let sim = sluice()
        .args(["simulate", "--population", "20000", "--days", "3", "--seed", "5", "--out-dir"])
        .arg(&world)
        .output()
        .unwrap();
    assert!(sim.status.success());

    // Split the payments by UTC date (the file is in time order).
    let text = std::fs::read_to_string(world.join("transactions.csv")).unwrap();
    let mut lines = text.lines();
    let head = lines.next().unwrap();
    let mut days: BTreeMap<String, String> = BTreeMap::new();
    for l in lines {
        let date = l.split(',').nth(1).unwrap()[..10].to_string();
        days.entry(date).or_insert_with(|| format!("{head}\n")).push_str(&format!("{l}\n"));
    }
    assert!(days.len() >= 3);

    // The default window (a week: the whole 3 days) and one that leaves the first days out of
    // the last sweep's account features while the history still feeds the graph.
    let mut last = None;
    for window in [None, Some("30h")] {
        let name = window.unwrap_or("default");
        let whole = tmp.path().join(format!("whole-{name}.csv"));
        let run = sweep_window(&world, &world.join("transactions.csv"), None, &whole, window);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let state = tmp.path().join(format!("state-{name}"));
        for (i, (_, body)) in days.iter().enumerate() {
            let day = tmp.path().join(format!("day{i}.csv"));
            std::fs::write(&day, body).unwrap();
            let out = tmp.path().join(format!("v{i}-{name}.csv"));
            let run = sweep_window(&world, &day, Some(&state), &out, window);
            assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
            last = Some((day, out, state.clone()));
        }
        let (_, last_out, _) = last.clone().unwrap();
        let (a, b) = (rows(&whole), rows(&last_out));
        assert_eq!(a.len(), b.len());
        let mut flagged = 0;
        for (id, ra) in &a {
            let rb = &b[id];
            assert_eq!(ra[..6], rb[..6], "{name} {id}");
            if !ra[6].is_empty() {
                flagged += 1;
                assert!(!rb[6].is_empty() && rb[6] <= ra[6], "{name} {id}: {} vs {}", rb[6], ra[6]);
            }
        }
        assert!(flagged > 0, "{name}: nothing flagged: the comparison says nothing");
    }
    let (last_day, _, state) = last.unwrap();
    let (week, short) = (tmp.path().join("whole-default.csv"), tmp.path().join("whole-30h.csv"));
    assert_ne!(rows(&week), rows(&short), "the 30 h window changed nothing: it was not tested");

    // The last day again: refused, history untouched.
    let before = std::fs::read(state.join("sweep.state")).unwrap();
    let again = sweep(&world, &last_day, Some(&state), &tmp.path().join("again.csv"));
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("once"));
    assert_eq!(std::fs::read(state.join("sweep.state")).unwrap(), before);

    // A damaged history is an error, not a silent fresh start.
    std::fs::write(state.join("sweep.state"), &before[..before.len() / 2]).unwrap();
    let bad = sweep(&world, &last_day, Some(&state), &tmp.path().join("bad.csv"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("sweep.state"));
}
