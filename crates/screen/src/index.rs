//! The screening index of one list: every name form of every entry, found from a query's
//! tokens without scanning the list.
//!
//! Candidates come from four maps over the list's token vocabulary: the token itself, its
//! phonetic key, every key one deletion away (a SymSpell-style deletion index, so any
//! single edit — substitution, insertion, deletion — is found with a handful of hash
//! look-ups rather than a comparison with every word), and, for Arabic and Hebrew spellings,
//! the consonant skeleton. A name form's candidates are ranked by the inverse document
//! frequency of the tokens they share with the query, and only the best few are scored in
//! full by [`score_pair`](crate::score::score_pair). A whole-name map of the letters run
//! together finds `EtsDiallo` for `Ets Diallo`.

use crate::party::PartyInfo;
use crate::score::{PName, PToken, PairScore, score_only, score_pair};
use compact_str::CompactString;
use hashbrown::HashMap;
use std::cell::RefCell;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// An entry of a list as the screener knows it: a party and its names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// The source's id for it (`OFAC 36`, `UN QDe.001`, `ccxt binance`).
    pub id: CompactString,
    /// Its main name.
    pub name: CompactString,
    /// Where it comes from.
    pub source: CompactString,
    /// Its type and secondary identifiers.
    pub info: PartyInfo,
}

/// One name form in the index.
#[derive(Clone, Debug)]
pub struct NameForm {
    /// The party.
    pub party: u32,
    /// The alias as written.
    pub alias: u32,
    /// The prepared form.
    pub form: PName,
}

/// The index of one list.
#[derive(Debug, Default)]
pub struct ListIndex {
    /// The parties.
    pub parties: Vec<Party>,
    /// Every alias as written, with its party.
    pub aliases: Vec<(u32, CompactString)>,
    /// Every name form.
    pub forms: Vec<NameForm>,
    vocab: FastMap<CompactString, u32>,
    postings: Vec<Vec<u32>>,
    by_key: FastMap<CompactString, Vec<u32>>,
    by_deletion: FastMap<u64, Vec<u32>>,
    by_skeleton: FastMap<CompactString, Vec<u32>>,
    by_compact: FastMap<CompactString, Vec<u32>>,
    /// Hangul syllables of the vocabulary by their Korean key and by their surname
    /// spellings (`=lee`): what a Latin query token meets them by.
    by_korean: FastMap<CompactString, Vec<u32>>,
    idf: Vec<f32>,
}

/// How many candidates are scored in full.
const SHORTLIST: usize = 12;

/// Tokens in more name forms than this only add weight to candidates found through rarer
/// tokens (a query of `Muhammad` alone still finds them).
const COMMON: usize = 500;

fn hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

fn deletions(key: &str, mut f: impl FnMut(u64)) {
    if key.len() < 4 || !key.is_ascii() {
        return;
    }
    let mut buf = String::with_capacity(key.len());
    for i in 0..key.len() {
        buf.clear();
        buf.push_str(&key[..i]);
        buf.push_str(&key[i + 1..]);
        f(hash(&buf));
    }
}

/// A screening hit inside one list.
#[derive(Clone, Debug)]
pub struct ListHit {
    /// Index of the name form.
    pub form: u32,
    /// Score and why.
    pub score: PairScore,
}

/// Per-thread scratch of a search: a dense accumulator over name forms and the forms it
/// touched (a hash map here cost most of a search's time).
#[derive(Default)]
struct Scratch {
    acc: Vec<f32>,
    touched: Vec<u32>,
    tids: Vec<u32>,
    fuzzy: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Fuzzy vocabulary matches of a token whose postings add up to more than this only
/// reinforce candidates found otherwise.
const FUZZY_NEW: usize = 100;

impl ListIndex {
    /// Builds the index from parties and their aliases (already prepared forms).
    pub fn build(parties: Vec<Party>, aliases: Vec<(u32, CompactString)>, forms: Vec<NameForm>) -> ListIndex {
        let mut ix = ListIndex { parties, aliases, forms, ..ListIndex::default() };
        for (f, form) in ix.forms.iter().enumerate() {
            let f = f as u32;
            for t in &form.form.tokens {
                let n = ix.vocab.len() as u32;
                let tid = *ix.vocab.entry(t.text.clone()).or_insert(n);
                if tid == n {
                    ix.postings.push(Vec::new());
                    ix.by_key.entry(t.key.clone()).or_default().push(tid);
                    deletions(&t.key, |h| ix.by_deletion.entry(h).or_default().push(tid));
                    if !t.skel.is_empty() {
                        ix.by_skeleton.entry(t.skel.clone()).or_default().push(tid);
                    }
                    if let Some(c) = t.han.filter(|&c| crate::korean::is_hangul(c)) {
                        if let Some(k) = crate::korean::key_of_syllable(c) {
                            ix.by_korean.entry(CompactString::new(k)).or_default().push(tid);
                        }
                        for sp in crate::korean::surname_spellings(c) {
                            ix.by_korean.entry(CompactString::new(format!("={sp}"))).or_default().push(tid);
                        }
                    }
                }
                if let Some(p) = ix.postings.get_mut(tid as usize)
                    && p.last() != Some(&f)
                {
                    p.push(f);
                }
            }
            if form.form.compact.len() >= 4 {
                ix.by_compact.entry(form.form.compact.clone()).or_default().push(f);
            }
        }
        let n = ix.forms.len().max(1) as f32;
        ix.idf = ix.postings.iter().map(|p| (n / p.len().max(1) as f32).ln().max(0.1)).collect();
        for v in ix.by_deletion.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        ix
    }

    /// Number of name forms.
    pub fn len(&self) -> usize {
        self.forms.len()
    }

    /// Whether the list has no names.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Vocabulary token ids a query token may meet: `exact` (same text or phonetic key) and
    /// `fuzzy` (one edit away, or the same consonant skeleton).
    fn token_candidates(&self, t: &PToken, exact: &mut Vec<u32>, fuzzy: &mut Vec<u32>) {
        exact.clear();
        fuzzy.clear();
        if let Some(&tid) = self.vocab.get(t.text.as_str()) {
            exact.push(tid);
        }
        if let Some(v) = self.by_key.get(t.key.as_str()) {
            exact.extend_from_slice(v);
        }
        if let Some(v) = self.by_deletion.get(&hash(&t.key)) {
            fuzzy.extend_from_slice(v);
        }
        // Substitutions meet in the deletion index; a query with one letter too many meets
        // the list word itself.
        deletions(&t.key, |h| {
            if let Some(v) = self.by_deletion.get(&h) {
                fuzzy.extend_from_slice(v);
            }
        });
        if t.key.len() >= 4 && t.key.is_ascii() {
            let mut buf = String::with_capacity(t.key.len());
            for i in 0..t.key.len() {
                buf.clear();
                buf.push_str(&t.key[..i]);
                buf.push_str(&t.key[i + 1..]);
                if let Some(v) = self.by_key.get(buf.as_str()) {
                    fuzzy.extend_from_slice(v);
                }
            }
        }
        if (t.abjad || t.skel.len() >= 3)
            && let Some(v) = self.by_skeleton.get(t.skel.as_str())
        {
            fuzzy.extend_from_slice(v);
        }
        // Korean: a Hangul syllable meets the Latin spellings of it; a Latin syllable meets
        // the Hangul syllables it spells.
        if let Some(c) = t.han.filter(|&c| crate::korean::is_hangul(c)) {
            for sp in crate::korean::spellings(c) {
                if let Some(&tid) = self.vocab.get(sp.as_str()) {
                    exact.push(tid);
                }
            }
        } else if let Some(c) = t.han {
            // A Chinese character's other readings (`长`: `chang` as well as `zhang`).
            for &r in crate::normalize::name_readings(c) {
                if let Some(&tid) = self.vocab.get(r) {
                    exact.push(tid);
                }
            }
        } else if t.han.is_none() && !self.by_korean.is_empty() {
            for k in crate::korean::key_of_latin(&t.text).into_iter().chain([format!("={}", t.text)]) {
                if let Some(v) = self.by_korean.get(k.as_str()) {
                    exact.extend_from_slice(v);
                }
            }
        }
        exact.sort_unstable();
        exact.dedup();
        fuzzy.sort_unstable();
        fuzzy.dedup();
        fuzzy.retain(|x| exact.binary_search(x).is_err());
    }

    fn df(&self, tids: &[u32]) -> usize {
        tids.iter().filter_map(|&x| self.postings.get(x as usize)).map(Vec::len).sum()
    }

    /// The best-scoring name forms for the query's forms, best first, at most `limit`, with
    /// their explanations.
    pub fn search(&self, query: &[PName], limit: usize) -> Vec<ListHit> {
        let mut best = self.rank(query, false);
        best.truncate(limit);
        best.into_iter()
            .filter_map(|(_, f, qi)| {
                let form = self.forms.get(f as usize)?;
                Some(ListHit { form: f, score: score_pair(query.get(qi)?, &form.form) })
            })
            .collect()
    }

    /// The best score of the query's forms (no explanation built).
    pub fn best_score(&self, query: &[PName]) -> f64 {
        self.rank(query, true).first().map_or(0.0, |b| b.0)
    }

    /// Candidates scored in full, best first, one per party: (score, form, query form).
    /// With `first_exact`, scoring stops at the first score of 1.0 (scores are at most 1.0,
    /// so the best score is the same; the list of hits is not complete).
    fn rank(&self, query: &[PName], first_exact: bool) -> Vec<(f64, u32, usize)> {
        let mut scored: Vec<(f64, u32, usize)> = Vec::new();
        SCRATCH.with(|scratch| {
            let mut guard = scratch.borrow_mut();
            let sc = &mut *guard;
            if sc.acc.len() < self.forms.len() {
                sc.acc.resize(self.forms.len(), 0.0);
            }
            for (qi, q) in query.iter().enumerate() {
                // Rare tokens first, so common ones only reinforce.
                let mut per_token: Vec<(usize, Vec<u32>, Vec<u32>)> = Vec::with_capacity(q.tokens.len());
                for t in &q.tokens {
                    let (mut e, mut f) = (std::mem::take(&mut sc.tids), std::mem::take(&mut sc.fuzzy));
                    self.token_candidates(t, &mut e, &mut f);
                    per_token.push((self.df(&e), e.clone(), f.clone()));
                    sc.tids = e;
                    sc.fuzzy = f;
                }
                per_token.sort_by_key(|p| p.0);
                for (df, exact, fuzzy) in &per_token {
                    let add_new = *df <= COMMON || sc.touched.is_empty();
                    self.accumulate(exact, add_new, sc);
                    let fuzzy_new = add_new && (exact.is_empty() || self.df(fuzzy) <= FUZZY_NEW);
                    self.accumulate(fuzzy, fuzzy_new, sc);
                }
                if let Some(v) = self.by_compact.get(q.compact.as_str()) {
                    for &f in v {
                        if let Some(a) = sc.acc.get_mut(f as usize) {
                            if *a == 0.0 {
                                sc.touched.push(f);
                            }
                            *a += 100.0;
                        }
                    }
                }
                let mut cands: Vec<(f32, u32)> =
                    sc.touched.iter().map(|&f| (sc.acc.get(f as usize).copied().unwrap_or(0.0), f)).collect();
                for &f in &sc.touched {
                    if let Some(a) = sc.acc.get_mut(f as usize) {
                        *a = 0.0;
                    }
                }
                sc.touched.clear();
                if cands.len() > SHORTLIST {
                    cands.select_nth_unstable_by(SHORTLIST, |a, b| b.0.total_cmp(&a.0));
                    cands.truncate(SHORTLIST);
                }
                // Likeliest first, so that an exact match ends the search early.
                cands.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                let mut exact = false;
                for (_, f) in cands {
                    if let Some(form) = self.forms.get(f as usize) {
                        let s = score_only(q, &form.form);
                        if s > 0.0 {
                            scored.push((s, f, qi));
                        }
                        if first_exact && s >= 1.0 {
                            exact = true;
                            break;
                        }
                    }
                }
                if exact {
                    break;
                }
            }
        });
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut seen: Vec<u32> = Vec::new();
        scored.retain(|h| {
            let p = self.forms.get(h.1 as usize).map_or(u32::MAX, |f| f.party);
            if seen.contains(&p) {
                false
            } else {
                seen.push(p);
                true
            }
        });
        scored
    }

    fn accumulate(&self, tids: &[u32], add_new: bool, sc: &mut Scratch) {
        for &tid in tids {
            let w = self.idf.get(tid as usize).copied().unwrap_or(0.1);
            for &f in self.postings.get(tid as usize).map_or(&[][..], Vec::as_slice) {
                if let Some(a) = sc.acc.get_mut(f as usize) {
                    if *a == 0.0 {
                        if !add_new {
                            continue;
                        }
                        sc.touched.push(f);
                    }
                    *a += w;
                }
            }
        }
    }

    /// The party and alias of a name form.
    pub fn describe(&self, form: u32) -> Option<(&Party, &str)> {
        let f = self.forms.get(form as usize)?;
        let p = self.parties.get(f.party as usize)?;
        let a = self.aliases.get(f.alias as usize).map_or("", |a| a.1.as_str());
        Some((p, a))
    }
}
