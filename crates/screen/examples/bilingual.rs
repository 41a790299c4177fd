//! How well a Chinese name meets the English name of the same party, measured on the
//! parties of a lists directory that carry both (the SDN list gives many Chinese companies
//! and people a Chinese-script alias): for each Chinese alias, its best score against the
//! party's Latin-script names, as if the Chinese alias were not on the list. Parties are
//! split in two by a hash of their id ([`held_out`](sluice_screen::eval::held_out)); only
//! the tuning half's misses are printed.
//!
//! `cargo run --release -p sluice-screen --example bilingual -- LISTS_DIR/lists.csv [--show]`
use sluice_screen::score::score_names;
use std::collections::BTreeMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.iter().find(|a| !a.starts_with("--")).ok_or("usage: bilingual LISTS.csv [--show]")?;
    let show = args.iter().any(|a| a == "--show");
    let han = |s: &str| s.chars().any(|c| matches!(c as u32, 0x4E00..=0x9FFF));
    let mut parties: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(path)?;
    for rec in rdr.records() {
        let r = rec?;
        let (kind, entry, note) = (r.get(1).unwrap_or(""), r.get(2).unwrap_or(""), r.get(7).unwrap_or(""));
        let Some(party) = note.strip_prefix("party=").map(|n| n.split(';').next().unwrap_or(n).to_string())
        else {
            continue;
        };
        if kind != "name" {
            continue;
        }
        let p = parties.entry(party).or_default();
        if han(entry) { p.0.push(entry.to_string()) } else { p.1.push(entry.to_string()) }
    }
    // [tuning, held-out]: (pairs, reaching the threshold), split by the party's id.
    let mut halves = [(0usize, 0usize); 2];
    for (id, (zh, latin)) in &parties {
        if latin.is_empty() {
            continue;
        }
        for z in zh {
            let best = latin.iter().map(|l| (score_names(z, l).score, l)).max_by(|a, b| a.0.total_cmp(&b.0));
            let Some((s, l)) = best else { continue };
            let held_out = sluice_screen::eval::held_out(id, "");
            if let Some(h) = halves.get_mut(usize::from(held_out)) {
                h.0 += 1;
                h.1 += usize::from(s >= sluice_screen::eval::DEFAULT_THRESHOLD);
            }
            // Only the tuning half's pairs are shown: the other half stays unseen.
            if !held_out && (show || s < sluice_screen::eval::DEFAULT_THRESHOLD) {
                println!("{s:.3} {id} {z} | {l}");
            }
        }
    }
    for (name, (n, hit)) in ["tuning half", "held-out half"].iter().zip(halves) {
        println!(
            "{name}: {hit} of {n} Chinese aliases reach {} against their party's Latin names",
            sluice_screen::eval::DEFAULT_THRESHOLD
        );
    }
    Ok(())
}
