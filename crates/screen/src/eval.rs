//! Quality measurement on labelled name pairs: the watchman cascade file (`name1,name2,
//! is_match,…,score`) and its cross-script file (`query,expected,min score,description`).

use crate::score::score_names;
use std::path::Path;

/// Why an evaluation file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// IO or CSV.
    #[error("{path}: {why}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

/// One labelled pair.
#[derive(Clone, Debug)]
pub struct LabelledPair {
    /// First name.
    pub a: String,
    /// Second name.
    pub b: String,
    /// Whether they name the same party.
    pub is_match: bool,
    /// The trap category.
    pub category: String,
    /// A reference system's score (watchman's), if given.
    pub reference: Option<f64>,
}

/// Accuracy, precision and recall at one threshold.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// The threshold (a pair matches when score ≥ it).
    pub threshold: f64,
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// True negatives.
    pub tn: usize,
    /// False negatives.
    pub fn_: usize,
}

impl Metrics {
    /// Counts outcomes of `scored` (score, truth) at `threshold`.
    pub fn at(scored: &[(f64, bool)], threshold: f64) -> Metrics {
        let mut m = Metrics { threshold, ..Metrics::default() };
        for &(s, truth) in scored {
            match (s >= threshold, truth) {
                (true, true) => m.tp += 1,
                (true, false) => m.fp += 1,
                (false, false) => m.tn += 1,
                (false, true) => m.fn_ += 1,
            }
        }
        m
    }

    /// The threshold with the best accuracy over the distinct scores (ties: the lowest).
    pub fn best(scored: &[(f64, bool)]) -> Metrics {
        let mut ts: Vec<f64> = scored.iter().map(|x| x.0).collect();
        ts.push(1.01);
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        let mut best = Metrics::at(scored, 1.01);
        for t in ts {
            let m = Metrics::at(scored, t);
            if m.accuracy() > best.accuracy() {
                best = m;
            }
        }
        best
    }

    /// (tp + tn) / all.
    pub fn accuracy(&self) -> f64 {
        let n = self.tp + self.fp + self.tn + self.fn_;
        if n == 0 { 0.0 } else { (self.tp + self.tn) as f64 / n as f64 }
    }

    /// tp / (tp + fp).
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 { 0.0 } else { self.tp as f64 / (self.tp + self.fp) as f64 }
    }

    /// tp / (tp + fn).
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 { 0.0 } else { self.tp as f64 / (self.tp + self.fn_) as f64 }
    }
}

fn read_err(path: &Path, why: impl std::fmt::Display) -> EvalError {
    EvalError::Read { path: path.display().to_string(), why: why.to_string() }
}

/// Reads the cascade pairs file (header `case_group,schema,name1,name2,is_match,…,score`).
pub fn read_cascade(path: &Path) -> Result<Vec<LabelledPair>, EvalError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| read_err(path, e))?;
    let headers = rdr.headers().map_err(|e| read_err(path, e))?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| read_err(path, format!("no `{name}` column")))
    };
    let (c1, c2, cm, cc, cs) =
        (col("name1")?, col("name2")?, col("is_match")?, col("category")?, col("score")?);
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| read_err(path, e))?;
        let get = |c: usize| rec.get(c).unwrap_or("").to_string();
        out.push(LabelledPair {
            a: get(c1),
            b: get(c2),
            is_match: match get(cm).as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => return Err(read_err(path, format!("record {}: `is_match` is `{other}`", i + 1))),
            },
            category: get(cc),
            reference: get(cs).parse().ok(),
        });
    }
    Ok(out)
}

/// One cross-script pair: query, expected match, minimum score, description.
#[derive(Clone, Debug)]
pub struct CrossScriptPair {
    /// The query.
    pub query: String,
    /// The name it should meet.
    pub expected: String,
    /// The score it should reach.
    pub min_score: f64,
    /// What it tests.
    pub description: String,
}

/// Reads the cross-script file (`#` comments, no header).
pub fn read_cross_script(path: &Path) -> Result<Vec<CrossScriptPair>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| read_err(path, e))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.splitn(4, ',').collect();
        let [q, e, m, d] = f.as_slice() else {
            return Err(read_err(path, format!("line {}: expected 4 fields", n + 1)));
        };
        let min_score =
            m.trim().parse().map_err(|_| read_err(path, format!("line {}: bad score `{m}`", n + 1)))?;
        out.push(CrossScriptPair {
            query: q.to_string(),
            expected: e.to_string(),
            min_score,
            description: d.to_string(),
        });
    }
    Ok(out)
}

/// Scores every labelled pair with Sluice's scorer: (score, truth).
pub fn score_cascade(pairs: &[LabelledPair]) -> Vec<(f64, bool)> {
    pairs.iter().map(|p| (score_names(&p.a, &p.b).score, p.is_match)).collect()
}

/// Whether a pair is in the held-out half of a labelled file (else the tuning half): the
/// lowest bit of an XXH3-64 of both names, so the split is fixed, independent of the file's
/// order, and about even. The scorer is tuned on the other half only; both are reported.
pub fn held_out(a: &str, b: &str) -> bool {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(a.as_bytes());
    h.update(&[0x1f]);
    h.update(b.as_bytes());
    h.digest() & 1 == 1
}

/// The threshold Sluice reports its quality at (and the default for `sluice screen`).
pub const DEFAULT_THRESHOLD: f64 = 0.85;

/// A small deterministic generator (xorshift64*): the queries must be the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const GIVEN: &[&str] = &[
    "John", "Maria", "Wei", "Li", "Ahmed", "Olga", "Ivan", "Fatima", "Carlos", "Anna", "Mohammed", "Yuki",
    "Chen", "Sergei", "Elena", "David", "Sara", "Omar", "Hans", "Lucia",
];
const FAMILY: &[&str] = &[
    "Smith", "Wang", "Zhang", "Garcia", "Ivanov", "Petrova", "Khan", "Hassan", "Kim", "Nguyen", "Mueller",
    "Rossi", "Silva", "Tanaka", "Novak", "Popescu", "Kowalski", "Haddad", "Cohen", "Lopez",
];
const WORDS: &[&str] = &[
    "Trading",
    "Logistics",
    "Holdings",
    "Textiles",
    "Foods",
    "Digital",
    "Pacific",
    "Golden",
    "Star",
    "Ocean",
    "Technology",
    "Consulting",
    "Supply",
    "Green",
    "United",
    "Bakery",
    "Motors",
    "Pharma",
    "Energy",
    "Media",
];

/// Screening benchmark queries, the same every run: `n` names, alternately a listed alias of
/// `s` disguised (a word dropped, the words reversed, a letter dropped, or lower case) and an
/// ordinary name made from common given names, surnames and company words. What
/// `benches/screen.rs` and `examples/screen_names.rs` screen.
pub fn bench_queries(s: &crate::Screener, n: usize) -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let aliases: Vec<&str> =
        s.lists().iter().flat_map(|(_, ix)| ix.aliases.iter().map(|a| a.1.as_str())).collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        if out.len() % 2 == 0 && !aliases.is_empty() {
            let a = aliases[rng.below(aliases.len())];
            let mut words: Vec<String> = a.split_whitespace().map(str::to_string).collect();
            match rng.below(4) {
                0 if words.len() > 2 => {
                    let i = rng.below(words.len());
                    words.remove(i);
                }
                1 if words.len() > 1 => words.reverse(),
                2 => {
                    let i = rng.below(words.len());
                    let w = &mut words[i];
                    if w.len() > 4 && w.is_ascii() {
                        let k = 1 + rng.below(w.len() - 2);
                        w.remove(k);
                    }
                }
                _ => {
                    for w in &mut words {
                        *w = w.to_lowercase();
                    }
                }
            }
            out.push(words.join(" "));
        } else if rng.below(2) == 0 {
            out.push(format!("{} {}", GIVEN[rng.below(GIVEN.len())], FAMILY[rng.below(FAMILY.len())]));
        } else {
            out.push(format!(
                "{} {} {} Co., Ltd.",
                FAMILY[rng.below(FAMILY.len())],
                WORDS[rng.below(WORDS.len())],
                WORDS[rng.below(WORDS.len())]
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_count_and_pick_the_best_threshold() {
        let s = [(0.9, true), (0.8, false), (0.7, true), (0.2, false)];
        let m = Metrics::at(&s, 0.75);
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (1, 1, 1, 1));
        assert!((m.accuracy() - 0.5).abs() < 1e-9);
        let b = Metrics::best(&s);
        assert!((b.accuracy() - 0.75).abs() < 1e-9, "{b:?}");
    }

    #[test]
    fn malformed_cross_script_lines_are_errors() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let p = dir.path().join("x.csv");
        std::fs::write(&p, "# c\na,b,zero,d\n").ok();
        let e = read_cross_script(&p).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("line 2: bad score `zero`"), "{e}");
    }
}
