//! Screens a fixed set of names against the full OFAC SDN advanced list (every alias, every
//! script) and reports uncached screenings per second on 1 and 2 threads: the Sluice side of
//! `bench/screen_compare.py`.
//!
//! ```sh
//! cargo run --release -p sluice-screen --example screen_names -- \
//!     [--sdn FILE.xml.bz2] [--names FILE | --queries N] [--rounds R] [--threads 1,2] \
//!     [--write-names FILE] [--write-list FILE] [--scores FILE] [--dump FILE]
//! ```
//!
//! Without `--names` it screens the benchmark's queries (`eval::bench_queries`, 2,000 by
//! default: half disguised listed aliases, half ordinary names); `--names` reads one name a
//! line. Each round times every thread count once, alternating; the median of the rounds is
//! printed as `rate threads=T median=X/s rounds=...`, and the screenings per CPU-second of
//! the screening threads as `cpu_rate threads=T median=X/cpu-s` (steadier than wall time on
//! a busy machine). `--write-names` writes the names
//! screened, `--write-list` every listed name form as CSV (`party,type,name`: one row per
//! alias), `--scores` each name's best score (`name,score`). `--dump` writes, per name, the
//! best score exactly (`best_uncached`, every digit) and the ten best hits of
//! `Screener::screen` (party, alias, exact score, explanation): a change that must not move
//! any score is checked by comparing two dumps (`sha256sum`). `--rounds 0` times nothing.
use sluice_screen::Screener;
use sluice_screen::eval::bench_queries;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// The CPU time this thread has run, in seconds (Linux's `/proc/thread-self/schedstat`; 0
/// elsewhere).
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e9)
}

/// Screens `names` on `threads` threads; returns the seconds taken, the CPU seconds the
/// threads ran, and the scores' sum (so nothing is optimised away).
fn time(s: &Screener, names: &[String], threads: usize) -> (f64, f64, f64) {
    let t = Instant::now();
    let chunk = names.len().div_ceil(threads.max(1)).max(1);
    let (cpu, sum) = std::thread::scope(|sc| {
        let handles: Vec<_> = names
            .chunks(chunk)
            .map(|part| {
                sc.spawn(move || {
                    let c = thread_cpu();
                    let sum = part.iter().map(|q| s.best_uncached(q, "sanctions")).sum::<f64>();
                    (thread_cpu() - c, sum)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((f64::NAN, f64::NAN)))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    (t.elapsed().as_secs_f64(), cpu, sum)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let sdn = opt("--sdn").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/lists/ofac_sdn_advanced_2025-11-19.xml.bz2")
        },
        PathBuf::from,
    );
    let rounds: usize = opt("--rounds").map_or(Ok(5), |r| r.parse())?;
    let threads: Vec<usize> = opt("--threads")
        .unwrap_or_else(|| "1,2".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;

    let t = Instant::now();
    let imp = sluice_screen::import::import(&sdn, "sanctions", None)?;
    let s = Screener::from_entries(&imp.entries, "bench");
    let ix = s.lists().first().map(|l| &l.1).ok_or("no list imported")?;
    eprintln!(
        "{}: {} parties, {} aliases, {} name forms, imported and indexed in {:.1} s",
        sdn.display(),
        ix.parties.len(),
        ix.aliases.len(),
        ix.len(),
        t.elapsed().as_secs_f64()
    );

    let names: Vec<String> = match opt("--names") {
        Some(f) => {
            std::fs::read_to_string(f)?.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect()
        }
        None => bench_queries(&s, opt("--queries").map_or(Ok(2_000), |n| n.parse())?),
    };
    if let Some(f) = opt("--write-names") {
        let mut w = std::io::BufWriter::new(std::fs::File::create(f)?);
        for n in &names {
            writeln!(w, "{n}")?;
        }
    }
    if let Some(f) = opt("--write-list") {
        let mut w = csv::Writer::from_path(f)?;
        w.write_record(["party", "type", "name"])?;
        for (p, a) in &ix.aliases {
            if let Some(party) = ix.parties.get(*p as usize) {
                w.write_record([party.id.as_str(), party.info.kind.as_str(), a.as_str()])?;
            }
        }
        w.flush()?;
    }
    if let Some(f) = opt("--scores") {
        let mut w = csv::Writer::from_path(f)?;
        w.write_record(["name", "score"])?;
        for n in &names {
            w.write_record([n.as_str(), &format!("{:.4}", s.best_uncached(n, "sanctions"))])?;
        }
        w.flush()?;
    }

    if let Some(f) = opt("--dump") {
        let mut w = std::io::BufWriter::new(std::fs::File::create(f)?);
        for n in &names {
            writeln!(w, "{n}\t{:?}", s.best_uncached(n, "sanctions"))?;
            for h in s.screen(n, Some("sanctions"), 10) {
                writeln!(w, "\t{}\t{}\t{:?}\t{}", h.id, h.alias, h.score(), h.explain())?;
            }
        }
        w.flush()?;
    }
    if rounds == 0 {
        return Ok(());
    }

    // Warm-up (page in the index, size the per-thread scratch), then alternate.
    let _ = time(&s, &names, threads.iter().copied().max().unwrap_or(1));
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); threads.len()];
    let mut cpu_rates: Vec<Vec<f64>> = vec![Vec::new(); threads.len()];
    for _ in 0..rounds {
        for (i, &th) in threads.iter().enumerate() {
            let (dt, cpu, sum) = time(&s, &names, th);
            std::hint::black_box(sum);
            if let Some(r) = rates.get_mut(i) {
                r.push(names.len() as f64 / dt);
            }
            if let Some(r) = cpu_rates.get_mut(i) {
                r.push(names.len() as f64 / cpu);
            }
        }
    }
    for (th, r) in threads.iter().zip(rates) {
        let all: Vec<String> = r.iter().map(|x| format!("{x:.0}")).collect();
        println!("rate threads={th} median={:.0}/s rounds={}", median(r), all.join(","));
    }
    // Screenings per second of CPU time the screening threads ran: what a busy machine's
    // time-sharing does not change, for comparing two builds on one (cache sharing still
    // does).
    for (th, r) in threads.iter().zip(cpu_rates) {
        println!("cpu_rate threads={th} median={:.0}/cpu-s", median(r));
    }
    println!("names={}", names.len());
    Ok(())
}
