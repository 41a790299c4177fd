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
use hashbrown::{HashMap, HashTable};
use std::cell::RefCell;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// A slot of [`StrMap`]: the key's XXH3, its place in the key bytes, and its values' place
/// in the value pool (a single value is kept in `start` itself, saving a memory access).
#[derive(Clone, Copy, Debug)]
struct StrSlot {
    hash: u64,
    key: u32,
    key_len: u32,
    start: u32,
    len: u32,
}

/// A map from a string to a list of ids, built once and then only read.
///
/// Hand-rolled on hashbrown's `HashTable` rather than a `HashMap<CompactString, Vec<u32>>`:
/// a look-up is one table probe and, for the usual single id, nothing more (a `HashMap`
/// probe is followed by the key's and the `Vec`'s heap blocks, cache misses that made up
/// much of a search's time); and the hash is the key's XXH3, which the search computes
/// once per string and uses for every map (the deletion map is keyed by it too).
#[derive(Debug, Default)]
struct StrMap {
    table: HashTable<StrSlot>,
    keys: Vec<u8>,
    vals: Vec<u32>,
}

impl StrMap {
    fn from_map(m: FastMap<CompactString, Vec<u32>>) -> StrMap {
        StrMap::from_lists(m.len(), m)
    }

    /// From a map with one id per key.
    fn from_ids(m: FastMap<CompactString, u32>) -> StrMap {
        StrMap::from_lists(
            m.len(),
            m.into_iter().map(|(k, v)| (k, smallvec::SmallVec::<[u32; 1]>::from_buf([v]))),
        )
    }

    fn from_lists<V: std::ops::Deref<Target = [u32]>>(
        n: usize,
        m: impl IntoIterator<Item = (CompactString, V)>,
    ) -> StrMap {
        let mut out = StrMap { table: HashTable::with_capacity(n), ..StrMap::default() };
        for (k, v) in m {
            let slot = StrSlot {
                hash: hash(&k),
                key: out.keys.len() as u32,
                key_len: k.len() as u32,
                start: if v.len() == 1 { v[0] } else { out.vals.len() as u32 },
                len: v.len() as u32,
            };
            out.keys.extend_from_slice(k.as_bytes());
            if v.len() != 1 {
                out.vals.extend_from_slice(&v);
            }
            out.table.insert_unique(slot.hash, slot, |s| s.hash);
        }
        out
    }

    fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The ids of `key`, whose XXH3 is `h`.
    fn get_h(&self, h: u64, key: &[u8]) -> &[u32] {
        let found = self.table.find(h, |s| {
            s.hash == h
                && s.key_len as usize == key.len()
                && self.keys.get(s.key as usize..(s.key + s.key_len) as usize) == Some(key)
        });
        match found {
            Some(s) if s.len == 1 => std::slice::from_ref(&s.start),
            Some(s) => self.vals.get(s.start as usize..(s.start + s.len) as usize).unwrap_or(&[]),
            None => &[],
        }
    }

    fn get(&self, key: &str) -> &[u32] {
        self.get_h(hash(key), key.as_bytes())
    }
}

/// A slot of [`HashMultiMap`]: a 64-bit key and its values as in [`StrSlot`].
#[derive(Clone, Copy, Debug)]
struct U64Slot {
    key: u64,
    start: u32,
    len: u32,
}

/// The deletion map: XXH3 of a deletion key to token ids, as [`StrMap`] (and for the same
/// reason: 169,000 keys for the SDN list, 143,000 of them with a single id, probed some 18
/// times per query).
#[derive(Debug, Default)]
struct HashMultiMap {
    table: HashTable<U64Slot>,
    vals: Vec<u32>,
}

impl HashMultiMap {
    fn from_map(m: FastMap<u64, Vec<u32>>) -> HashMultiMap {
        let mut out = HashMultiMap { table: HashTable::with_capacity(m.len()), vals: Vec::new() };
        for (k, v) in m {
            let slot = U64Slot {
                key: k,
                start: if v.len() == 1 { v[0] } else { out.vals.len() as u32 },
                len: v.len() as u32,
            };
            if v.len() != 1 {
                out.vals.extend_from_slice(&v);
            }
            out.table.insert_unique(k, slot, |s| s.key);
        }
        out
    }

    fn get(&self, h: u64) -> &[u32] {
        match self.table.find(h, |s| s.key == h) {
            Some(s) if s.len == 1 => std::slice::from_ref(&s.start),
            Some(s) => self.vals.get(s.start as usize..(s.start + s.len) as usize).unwrap_or(&[]),
            None => &[],
        }
    }
}

/// A vocabulary token's postings (its name forms, a span of [`ListIndex`]'s pool) and
/// weight, side by side so that a token costs one memory access.
#[derive(Clone, Copy, Debug)]
struct TokInfo {
    start: u32,
    len: u32,
    idf: f32,
}

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
    vocab: StrMap,
    /// Per vocabulary token: its postings in `pool` and its weight.
    toks: Vec<TokInfo>,
    pool: Vec<u32>,
    by_key: StrMap,
    by_deletion: HashMultiMap,
    by_skeleton: StrMap,
    by_compact: StrMap,
    /// Hangul syllables of the vocabulary by their Korean key and by their surname
    /// spellings (`=lee`): what a Latin query token meets them by.
    by_korean: StrMap,
}

/// How many candidates are scored in full.
const SHORTLIST: usize = 12;

/// Tokens in more name forms than this only add weight to candidates found through rarer
/// tokens (a query of `Muhammad` alone still finds them).
const COMMON: usize = 500;

fn hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

/// Calls `f` with every key one letter shorter than `key` (ASCII keys of 4 letters or more)
/// and its hash.
fn deletions(key: &str, mut f: impl FnMut(&[u8], u64)) {
    if key.len() < 4 || !key.is_ascii() {
        return;
    }
    let b = key.as_bytes();
    // On the stack for the usual key; a long one goes to the heap.
    let mut stack = [0u8; 48];
    let mut heap = Vec::new();
    let buf: &mut [u8] = if b.len() <= stack.len() {
        &mut stack[..b.len() - 1]
    } else {
        heap.resize(b.len() - 1, 0);
        &mut heap
    };
    // `buf` holds `key` without its letter `i`: start without the first, then put letter
    // `i - 1` back where letter `i` was dropped.
    buf.copy_from_slice(&b[1..]);
    for i in 0..b.len() {
        if i > 0 {
            buf[i - 1] = b[i - 1];
        }
        f(buf, xxhash_rust::xxh3::xxh3_64(buf));
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
    /// One token's candidates, before they are appended to `tids`.
    exact: Vec<u32>,
    fuzzy: Vec<u32>,
    /// Every token's candidates, one after another, and per token: (document frequency of
    /// its exact candidates, its exact candidates' end in `tids`, its fuzzy ones' end).
    tids: Vec<u32>,
    per_token: Vec<(usize, usize, usize, usize)>,
    cands: Vec<(f32, u32)>,
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
        let mut vocab: FastMap<CompactString, u32> = FastMap::default();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        let mut by_key: FastMap<CompactString, Vec<u32>> = FastMap::default();
        let mut by_deletion: FastMap<u64, Vec<u32>> = FastMap::default();
        let mut by_skeleton: FastMap<CompactString, Vec<u32>> = FastMap::default();
        let mut by_compact: FastMap<CompactString, Vec<u32>> = FastMap::default();
        let mut by_korean: FastMap<CompactString, Vec<u32>> = FastMap::default();
        for (f, form) in forms.iter().enumerate() {
            let f = f as u32;
            for t in &form.form.tokens {
                let n = postings.len() as u32;
                let tid = *vocab.entry(t.text.clone()).or_insert(n);
                if tid == n {
                    postings.push(Vec::new());
                    by_key.entry(t.key.clone()).or_default().push(tid);
                    deletions(&t.key, |_, h| by_deletion.entry(h).or_default().push(tid));
                    if !t.skel.is_empty() {
                        by_skeleton.entry(t.skel.clone()).or_default().push(tid);
                    }
                    if let Some(c) = t.han.filter(|&c| crate::korean::is_hangul(c)) {
                        if let Some(k) = crate::korean::key_of_syllable(c) {
                            by_korean.entry(CompactString::new(k)).or_default().push(tid);
                        }
                        for sp in crate::korean::surname_spellings(c) {
                            by_korean.entry(CompactString::new(format!("={sp}"))).or_default().push(tid);
                        }
                    }
                }
                if let Some(p) = postings.get_mut(tid as usize)
                    && p.last() != Some(&f)
                {
                    p.push(f);
                }
            }
            if form.form.compact.len() >= 4 {
                by_compact.entry(form.form.compact.clone()).or_default().push(f);
            }
        }
        let n = forms.len().max(1) as f32;
        let mut toks = Vec::with_capacity(postings.len());
        let mut pool = Vec::with_capacity(postings.iter().map(Vec::len).sum());
        for p in &postings {
            let idf = (n / p.len().max(1) as f32).ln().max(0.1);
            toks.push(TokInfo { start: pool.len() as u32, len: p.len() as u32, idf });
            pool.extend_from_slice(p);
        }
        for v in by_deletion.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        ListIndex {
            parties,
            aliases,
            forms,
            vocab: StrMap::from_ids(vocab),
            toks,
            pool,
            by_key: StrMap::from_map(by_key),
            by_deletion: HashMultiMap::from_map(by_deletion),
            by_skeleton: StrMap::from_map(by_skeleton),
            by_compact: StrMap::from_map(by_compact),
            by_korean: StrMap::from_map(by_korean),
        }
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
        exact.extend_from_slice(self.vocab.get(&t.text));
        let key_hash = hash(&t.key);
        exact.extend_from_slice(self.by_key.get_h(key_hash, t.key.as_bytes()));
        fuzzy.extend_from_slice(self.by_deletion.get(key_hash));
        // Substitutions meet in the deletion index; a query with one letter too many meets
        // the list word itself.
        deletions(&t.key, |del, h| {
            fuzzy.extend_from_slice(self.by_deletion.get(h));
            fuzzy.extend_from_slice(self.by_key.get_h(h, del));
        });
        if t.abjad || t.skel.len() >= 3 {
            fuzzy.extend_from_slice(self.by_skeleton.get(&t.skel));
        }
        // Korean: a Hangul syllable meets the Latin spellings of it; a Latin syllable meets
        // the Hangul syllables it spells.
        if let Some(c) = t.han.filter(|&c| crate::korean::is_hangul(c)) {
            for sp in crate::korean::spellings(c) {
                exact.extend_from_slice(self.vocab.get(&sp));
            }
        } else if let Some(c) = t.han {
            // A Chinese character's other readings (`长`: `chang` as well as `zhang`).
            for &r in crate::normalize::name_readings(c) {
                exact.extend_from_slice(self.vocab.get(r));
            }
        } else if !self.by_korean.is_empty() {
            let mut buf = [0u8; 16];
            if let Some(k) = crate::korean::key_of_latin_in(&t.text, &mut buf) {
                exact.extend_from_slice(self.by_korean.get_h(xxhash_rust::xxh3::xxh3_64(k), k));
            }
            // `=lee`: the surname spellings.
            let mut eq = [0u8; 24];
            let mut long = Vec::new();
            let k: &[u8] = if t.text.len() < eq.len() {
                eq[0] = b'=';
                eq[1..=t.text.len()].copy_from_slice(t.text.as_bytes());
                &eq[..=t.text.len()]
            } else {
                long.push(b'=');
                long.extend_from_slice(t.text.as_bytes());
                &long
            };
            exact.extend_from_slice(self.by_korean.get_h(xxhash_rust::xxh3::xxh3_64(k), k));
        }
        exact.sort_unstable();
        exact.dedup();
        fuzzy.sort_unstable();
        fuzzy.dedup();
        fuzzy.retain(|x| exact.binary_search(x).is_err());
    }

    fn df(&self, tids: &[u32]) -> usize {
        tids.iter().filter_map(|&x| self.toks.get(x as usize)).map(|t| t.len as usize).sum()
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
        let mut best: Option<f64> = None;
        self.rank_into(query, true, |s, _, _| {
            if best.is_none_or(|b| s.total_cmp(&b).is_gt()) {
                best = Some(s);
            }
        });
        best.unwrap_or(0.0)
    }

    /// Candidates scored in full, best first, one per party: (score, form, query form).
    fn rank(&self, query: &[PName], first_exact: bool) -> Vec<(f64, u32, usize)> {
        let mut scored: Vec<(f64, u32, usize)> = Vec::new();
        self.rank_into(query, first_exact, |s, f, qi| scored.push((s, f, qi)));
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

    /// Scores the shortlisted candidates of every query form and hands each score above 0
    /// to `out` (score, form, query form). With `first_exact`, scoring stops at the first
    /// score of 1.0 (scores are at most 1.0, so the best score is the same; the list of hits
    /// is not complete).
    fn rank_into(&self, query: &[PName], first_exact: bool, mut out: impl FnMut(f64, u32, usize)) {
        SCRATCH.with(|scratch| {
            let mut guard = scratch.borrow_mut();
            let sc = &mut *guard;
            if sc.acc.len() < self.forms.len() {
                sc.acc.resize(self.forms.len(), 0.0);
            }
            for (qi, q) in query.iter().enumerate() {
                // Rare tokens first, so common ones only reinforce.
                sc.tids.clear();
                sc.per_token.clear();
                for t in &q.tokens {
                    self.token_candidates(t, &mut sc.exact, &mut sc.fuzzy);
                    let start = sc.tids.len();
                    sc.tids.extend_from_slice(&sc.exact);
                    let exact_end = sc.tids.len();
                    sc.tids.extend_from_slice(&sc.fuzzy);
                    sc.per_token.push((self.df(&sc.exact), start, exact_end, sc.tids.len()));
                }
                // Stable, as the order of equally common tokens decides which candidates a
                // common token may add.
                sc.per_token.sort_by_key(|p| p.0);
                let tids = std::mem::take(&mut sc.tids);
                let per_token = std::mem::take(&mut sc.per_token);
                for &(df, start, exact_end, end) in &per_token {
                    let exact = tids.get(start..exact_end).unwrap_or(&[]);
                    let fuzzy = tids.get(exact_end..end).unwrap_or(&[]);
                    let add_new = df <= COMMON || sc.touched.is_empty();
                    self.accumulate(exact, add_new, sc);
                    let fuzzy_new = add_new && (exact.is_empty() || self.df(fuzzy) <= FUZZY_NEW);
                    self.accumulate(fuzzy, fuzzy_new, sc);
                }
                sc.tids = tids;
                sc.per_token = per_token;
                for &f in self.by_compact.get(&q.compact) {
                    if let Some(a) = sc.acc.get_mut(f as usize) {
                        if *a == 0.0 {
                            sc.touched.push(f);
                        }
                        *a += 100.0;
                    }
                }
                sc.cands.clear();
                for &f in &sc.touched {
                    if let Some(a) = sc.acc.get_mut(f as usize) {
                        sc.cands.push((*a, f));
                        *a = 0.0;
                    }
                }
                sc.touched.clear();
                let cands = &mut sc.cands;
                if cands.len() > SHORTLIST {
                    cands.select_nth_unstable_by(SHORTLIST, |a, b| b.0.total_cmp(&a.0));
                    cands.truncate(SHORTLIST);
                }
                // Likeliest first, so that an exact match ends the search early.
                cands.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                // Read every candidate's name form, then every token of them, before scoring
                // any: scoring was mostly waiting for these reads, one cache miss after
                // another, and issued together they overlap.
                let mut touch = 0usize;
                for &(_, f) in cands.iter() {
                    touch ^= self.forms.get(f as usize).map_or(0, |form| form.form.tokens.len());
                }
                for &(_, f) in cands.iter() {
                    if let Some(form) = self.forms.get(f as usize) {
                        for t in &form.form.tokens {
                            touch ^= t.text.len() ^ t.key.len() ^ t.hashes[2] as usize;
                        }
                    }
                }
                std::hint::black_box(touch);
                let mut exact = false;
                for &(_, f) in cands.iter() {
                    if let Some(form) = self.forms.get(f as usize) {
                        let s = score_only(q, &form.form);
                        if s > 0.0 {
                            out(s, f, qi);
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
    }

    fn accumulate(&self, tids: &[u32], add_new: bool, sc: &mut Scratch) {
        for &tid in tids {
            let Some(tok) = self.toks.get(tid as usize) else { continue };
            let w = tok.idf;
            for &f in self.pool.get(tok.start as usize..(tok.start + tok.len) as usize).unwrap_or(&[]) {
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
