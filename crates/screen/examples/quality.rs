//! Quality and pair-scoring speed of Sluice's scorer on the watchman pair files.
//!
//! `cargo run --release -p sluice-screen --example quality [-- DIR [--scores] [--show]]`
//!
//! DIR defaults to `../shared/data/peers`. `--scores` prints one CSV row per pair instead
//! (`file,index,score,half`; what `bench/nomenklatura_compare.py` reads); `--show` prints
//! every pair, not only the misses. The cascade pairs are reported on their tuning half,
//! their held-out half ([`held_out`]) and whole.
use sluice_screen::eval::{
    DEFAULT_THRESHOLD, Metrics, held_out, read_cascade, read_cross_script, score_cascade,
};
use sluice_screen::score::score_names;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.iter().find(|a| !a.starts_with("--")).map_or("../shared/data/peers", String::as_str),
    );
    let scores_only = args.iter().any(|a| a == "--scores");
    let show = args.iter().any(|a| a == "--show");
    let pairs = read_cascade(&dir.join("watchman_cascade_name_pairs.csv"))?;
    let cross = read_cross_script(&dir.join("watchman_cross_script_pairs.csv"))?;
    let scored = score_cascade(&pairs);
    if scores_only {
        println!("file,index,score,half");
        for (i, ((s, _), p)) in scored.iter().zip(&pairs).enumerate() {
            println!("cascade,{i},{s:.4},{}", if held_out(&p.a, &p.b) { "held-out" } else { "tuning" });
        }
        for (i, c) in cross.iter().enumerate() {
            println!("cross,{i},{:.4},", score_names(&c.query, &c.expected).score);
        }
        return Ok(());
    }
    for (p, (s, t)) in pairs.iter().zip(&scored) {
        let wrong = (*s >= DEFAULT_THRESHOLD) != *t;
        if show || wrong {
            let e = score_names(&p.a, &p.b);
            let how: Vec<String> =
                e.matched.iter().map(|m| format!("{}~{}:{}", m.query, m.entry, m.how.as_str())).collect();
            println!(
                "{} {} {s:.3} {:<28} {} | {} | only-a={:?} only-b={:?} {how:?}",
                if wrong { "MISS" } else { "    " },
                if held_out(&p.a, &p.b) { "held-out" } else { "tuning  " },
                p.category,
                p.a,
                p.b,
                e.unmatched_query,
                e.unmatched_entry
            );
        }
    }
    let line = |who: &str, m: Metrics| {
        println!(
            "{who:<34} threshold {:.4}  accuracy {:.3}  precision {:.3}  recall {:.3}  (tp {} fp {} tn {} fn {})",
            m.threshold,
            m.accuracy(),
            m.precision(),
            m.recall(),
            m.tp,
            m.fp,
            m.tn,
            m.fn_
        )
    };
    let w: Vec<(f64, bool)> = pairs.iter().map(|p| (p.reference.unwrap_or(0.0), p.is_match)).collect();
    for (half, keep) in [("tuning half", Some(false)), ("held-out half", Some(true)), ("all", None)] {
        let pick = |v: &[(f64, bool)]| -> Vec<(f64, bool)> {
            v.iter()
                .zip(&pairs)
                .filter(|(_, p)| keep.is_none_or(|k| held_out(&p.a, &p.b) == k))
                .map(|(x, _)| *x)
                .collect()
        };
        let (s, wm) = (pick(&scored), pick(&w));
        let matches = s.iter().filter(|x| x.1).count();
        println!(
            "\nwatchman_cascade_name_pairs.csv, {half}: {} pairs ({matches} match, {} not)",
            s.len(),
            s.len() - matches
        );
        line("sluice at its threshold", Metrics::at(&s, DEFAULT_THRESHOLD));
        line("sluice at its best threshold", Metrics::best(&s));
        line("watchman at its best threshold", Metrics::best(&wm));
    }
    let mut ok = 0;
    for c in &cross {
        let s = score_names(&c.query, &c.expected).score;
        ok += usize::from(s >= c.min_score);
        if show || s < c.min_score {
            println!(
                "{} {s:.3} (min {}) {} / {}",
                if s >= c.min_score { "  ok" } else { "MISS" },
                c.min_score,
                c.query,
                c.expected
            );
        }
    }
    println!("watchman_cross_script_pairs.csv: {ok} of {} pairs reach their minimum score", cross.len());
    // Pair-scoring speed: both names normalised and compared, as nomenklatura does per pair.
    let rounds = 50;
    let t = Instant::now();
    for _ in 0..rounds {
        for p in &pairs {
            std::hint::black_box(score_names(&p.a, &p.b).score);
        }
    }
    let n = (rounds * pairs.len()) as f64;
    println!("pair scoring: {:.0} pairs/s on one thread", n / t.elapsed().as_secs_f64());
    Ok(())
}
