//! Where screening time goes (normalisation, search, scoring) and the index's recall on
//! listed names, against the full SDN advanced list.
//!
//! `cargo run --release -p sluice-screen --example profile`
use sluice_screen::Screener;
use sluice_screen::score::PName;
use std::time::Instant;
fn main() {
    let p = std::path::Path::new("../shared/data/lists/ofac_sdn_advanced_2025-11-19.xml.bz2");
    let Ok(imp) = sluice_screen::import::import(p, "sanctions", None) else { return };
    let s = Screener::from_entries(&imp.entries, "x");
    let aliases: Vec<String> = s.lists()[0].1.aliases.iter().step_by(25).map(|a| a.1.to_string()).collect();
    let qs: Vec<String> = aliases
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if i % 2 == 0 {
                a.to_lowercase()
            } else {
                format!("John {}", a.split_whitespace().next().unwrap_or(""))
            }
        })
        .collect();
    let t = Instant::now();
    let mut n = 0;
    for q in &qs {
        n += PName::all(q).len();
    }
    let dt = t.elapsed().as_secs_f64();
    println!("normalize: {:.1} us/query ({n})", dt * 1e6 / qs.len() as f64);
    let t = Instant::now();
    for q in &qs {
        std::hint::black_box(s.best_uncached(q, "sanctions"));
    }
    let dt = t.elapsed().as_secs_f64();
    println!("screen: {:.1} us/query, {:.0}/s", dt * 1e6 / qs.len() as f64, qs.len() as f64 / dt);
    // Recall of the index on listed names: lower-cased aliases must come back at >= 0.95,
    // and with one letter dropped from their longest word at >= 0.85.
    let mut exact_ok = 0;
    let mut typo_ok = 0;
    for a in &aliases {
        exact_ok += usize::from(s.best_uncached(&a.to_lowercase(), "sanctions") >= 0.95);
        let mut words: Vec<String> = a.split_whitespace().map(str::to_string).collect();
        if let Some(w) = words.iter_mut().filter(|w| w.is_ascii()).max_by_key(|w| w.len())
            && w.len() >= 8
        {
            w.remove(w.len() / 2);
        }
        typo_ok += usize::from(s.best_uncached(&words.join(" "), "sanctions") >= 0.85);
    }
    println!("recall: exact {exact_ok}/{n}, one letter dropped {typo_ok}/{n}", n = aliases.len());
    let ix = &s.lists()[0].1;
    let pq: Vec<Vec<PName>> = qs.iter().map(|q| PName::all(q)).collect();
    let t = Instant::now();
    let mut k = 0usize;
    for (i, q) in pq.iter().enumerate() {
        for j in 0..24 {
            if let (Some(a), Some(f)) = (q.first(), ix.forms.get((i * 7919 + j * 104729) % ix.forms.len())) {
                std::hint::black_box(sluice_screen::score::score_only(a, &f.form));
                k += 1;
            }
        }
    }
    println!("score_only: {:.2} us/pair", t.elapsed().as_secs_f64() * 1e6 / k as f64);
}
