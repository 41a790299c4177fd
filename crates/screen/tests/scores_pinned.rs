//! Every score of a fixed screening, pinned: the benchmark's kind of queries
//! ([`bench_queries`]) and a few in other scripts, against the trimmed SDN advanced XML
//! fixture, each name's best score and its five best hits with their explanations, down to
//! the last bit of every score. A change made for speed must leave the checksum as it is; a
//! change meant to move scores updates it, and its commit says which scores moved and why.

use sluice_screen::Screener;
use sluice_screen::eval::bench_queries;
use sluice_screen::import;
use std::fmt::Write;
use std::path::Path;

/// XXH3-64 of the screening's text; measured on the scorer of 2026-11-25 (before the
/// speed-ups of 2026-12-03, which left it as it was).
const PINNED: u64 = 0x937b_3d0a_a535_bf78;

fn screening(s: &Screener, names: &[String]) -> String {
    let mut text = String::new();
    for n in names {
        let _ = writeln!(text, "{n}\t{:?}", s.best_uncached(n, "sanctions"));
        for h in s.screen(n, Some("sanctions"), 5) {
            let _ = writeln!(text, "\t{}\t{}\t{:?}\t{}", h.id, h.alias, h.score(), h.explain());
        }
    }
    text
}

#[test]
fn scores_of_a_fixed_screening_are_pinned() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdn_advanced_trimmed.xml");
    let imp = import::import(&p, "sanctions", None).unwrap_or_else(|e| unreachable!("{e}"));
    let s = Screener::from_entries(&imp.entries, "pinned");
    let mut names = bench_queries(&s, 600);
    for n in [
        "金正恩",
        "김정은",
        "Kim Jong Un",
        "محمد علي",
        "Владимир Путин",
        "Banco Nacional de Cuba",
        "AL-QAIDA",
        "Hezbollah",
        "ОАО Газпром",
        "Tony73",
        "MV Ocean Star (ex-Sea Pioneer)",
        "深圳币安科技有限公司",
    ] {
        names.push(n.to_string());
    }
    let text = screening(&s, &names);
    // The same through the index file a lists directory keeps.
    let reloaded =
        sluice_screen::file::decode(&sluice_screen::file::encode(&s)).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(screening(&reloaded, &names), text);
    let sum = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
    println!("{} names, {} lines, checksum {sum:#018x}", names.len(), text.lines().count());
    assert_eq!(sum, PINNED, "the scores of the pinned screening moved");
}
