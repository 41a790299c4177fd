//! The scorer: how alike two normalised names are, in 0..1, and why.
//!
//! Tokens are aligned one to one, best pairs first (order does not matter); a token may also
//! meet two or three neighbours written together (`Wirralong` = `Wirra long`, `Jinping` =
//! `jin ping`). Each pair gets a similarity by the strongest rule that holds:
//!
//! | rule | similarity |
//! |---|---|
//! | same text (or, for two Chinese characters, the same character) | 1.0 |
//! | same pinyin for a Chinese character and a Latin syllable | 0.98 |
//! | a Hangul syllable and a Latin spelling of it ([`crate::korean`]) | 0.92 |
//! | same [`phonetic_key`](crate::normalize::phonetic_key) (`Levitsky` / `Levitskiy`) | 0.95 |
//! | same [`skeleton`](crate::normalize::skeleton), one side from Arabic or Hebrew | 0.93 |
//! | an abbreviation written with a dot (`Ind.` / `Industria`) | 0.92 |
//! | one edit in a word of 8+ letters (a typo), two in 11+ | 0.90 / 0.86 |
//! | an initial (`R.` / `Renzo`) | 0.85 |
//! | otherwise Jaro-Winkler ≥ 0.85 of the phonetic keys: a *weak* match | 0.5–0.8 |
//!
//! Numbers must be equal, two different Chinese characters never meet, and a plural never
//! meets its singular strongly (`Kartali` / `Kartallari`: sister ships).
//!
//! The score is the weighted Dice coefficient of the matched tokens, multiplied down for every
//! token left unmatched on either side (a different, extra or missing word is what tells a
//! sibling company from the listed one), for every weak match, for legal forms of two
//! different jurisdictions (`GmbH` / `Sdn. Bhd.`) and, slightly, for a reduced form of a name
//! (a clause or note dropped).

use crate::normalize::{Normalized, Token, TokenKind, normalize, phonetic_key, skeleton};
use compact_str::CompactString;
use smallvec::SmallVec;

/// A token made ready for comparison once, so comparing it against many is cheap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PToken {
    /// The Latin form.
    pub text: CompactString,
    /// Its phonetic key.
    pub key: CompactString,
    /// Its consonant skeleton.
    pub skel: CompactString,
    /// The Chinese character it was read from.
    pub han: Option<char>,
    /// From an abjad script.
    pub abjad: bool,
    /// Written with a trailing dot.
    pub abbrev: bool,
    /// What it is.
    pub kind: TokenKind,
    /// The letters (a–z) of its key, one bit each: two words whose sets differ in more than
    /// a few letters cannot be fuzzy matches, and this test is far cheaper than an edit
    /// distance.
    pub letters: u32,
    /// Hashes of `text`, `key` and `skel`: two tokens whose hashes differ differ, which
    /// settles most comparisons of the scorer's inner loop without reading the strings.
    pub hashes: [u64; 3],
    /// `text` is one of the English [vowel twins](VOWEL_TWINS).
    pub twin: bool,
}

fn letter_mask(s: &str) -> u32 {
    s.bytes().filter(u8::is_ascii_lowercase).fold(0u32, |m, b| m | (1 << (b - b'a')))
}

impl PToken {
    /// Prepares a token.
    pub fn new(t: &Token) -> PToken {
        let key = phonetic_key(&t.text);
        let skel = skeleton(&t.text);
        let h = |s: &str| xxhash_rust::xxh3::xxh3_64(s.as_bytes());
        PToken {
            letters: letter_mask(&key),
            hashes: [h(&t.text), h(&key), h(&skel)],
            twin: vowel_twin(&t.text),
            key: CompactString::new(key),
            skel: CompactString::new(skel),
            text: t.text.clone(),
            han: t.han,
            abjad: t.abjad,
            abbrev: t.abbrev,
            kind: t.kind,
        }
    }

    fn same_text(&self, o: &PToken) -> bool {
        self.hashes[0] == o.hashes[0] && self.text == o.text
    }

    fn same_key(&self, o: &PToken) -> bool {
        self.hashes[1] == o.hashes[1] && self.key == o.key
    }

    fn same_skel(&self, o: &PToken) -> bool {
        self.hashes[2] == o.hashes[2] && self.skel == o.skel
    }
}

/// A name form made ready for comparison.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PName {
    /// Its tokens.
    pub tokens: Vec<PToken>,
    /// The countries its legal forms are native to (empty: none, or only generic forms).
    pub legal_countries: Vec<CompactString>,
    /// Whether it has a legal form at all.
    pub has_legal: bool,
    /// A reduced form.
    pub reduced: bool,
    /// The name's letters and digits run together.
    pub compact: CompactString,
    /// Some token was read from a Chinese character or a Hangul syllable.
    pub has_han: bool,
}

impl PName {
    /// Prepares a normalised form.
    pub fn new(n: &Normalized) -> PName {
        let mut legal_countries: Vec<CompactString> = Vec::new();
        for l in &n.legal {
            legal_countries.extend(l.countries.iter().map(|c| CompactString::new(c)));
        }
        PName::from_tokens(
            n.tokens.iter().map(PToken::new).collect(),
            legal_countries,
            !n.legal.is_empty(),
            n.reduced,
            CompactString::new(&n.compact),
        )
    }

    /// A prepared form from its parts (what the index file stores).
    pub fn from_tokens(
        tokens: Vec<PToken>,
        legal_countries: Vec<CompactString>,
        has_legal: bool,
        reduced: bool,
        compact: CompactString,
    ) -> PName {
        let has_han = tokens.iter().any(|t| t.han.is_some());
        PName { tokens, legal_countries, has_legal, reduced, compact, has_han }
    }

    /// Every prepared form of a name.
    pub fn all(name: &str) -> Vec<PName> {
        normalize(name).iter().map(PName::new).collect()
    }
}

/// How two tokens were found alike.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum How {
    /// Same text or character.
    Exact,
    /// Chinese character and its pinyin.
    Pinyin,
    /// Hangul syllable and a Latin spelling of it.
    Reading,
    /// Same phonetic key.
    Phonetic,
    /// Same consonant skeleton (abjad).
    Skeleton,
    /// Same consonants, vowels spelt differently.
    Vowels,
    /// Abbreviation.
    Abbreviation,
    /// One or two edits in a long word.
    Typo,
    /// Initial.
    Initial,
    /// Written together on one side.
    Joined,
    /// Only roughly alike.
    Weak,
}

impl How {
    /// A short name for explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            How::Exact => "exact",
            How::Pinyin => "pinyin",
            How::Reading => "reading",
            How::Phonetic => "phonetic",
            How::Skeleton => "skeleton",
            How::Vowels => "vowels",
            How::Abbreviation => "abbreviation",
            How::Typo => "typo",
            How::Initial => "initial",
            How::Joined => "joined",
            How::Weak => "weak",
        }
    }
}

/// One aligned pair of tokens (or of a token and two or three written together).
#[derive(Clone, Debug, PartialEq)]
pub struct TokenMatch {
    /// The query side.
    pub query: String,
    /// The entry side.
    pub entry: String,
    /// Which rule.
    pub how: How,
    /// Similarity.
    pub sim: f64,
}

/// The score of a pair and why.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PairScore {
    /// 0..1.
    pub score: f64,
    /// The aligned tokens.
    pub matched: Vec<TokenMatch>,
    /// Query tokens left unmatched.
    pub unmatched_query: Vec<String>,
    /// Entry tokens left unmatched.
    pub unmatched_entry: Vec<String>,
    /// A name in Chinese characters met one in Latin letters (pinyin, or syllables written
    /// together): a match by sound, which cannot tell homophones apart (`刘洋` / `刘阳`).
    pub han_by_sound: bool,
}

const STRONG: f64 = 0.85;

fn is_plural_of(long: &str, short: &str) -> bool {
    // The ending first: it rules out most pairs with a byte or two compared.
    long.len() > short.len()
        && matches!(
            long.as_bytes().get(short.len()..),
            Some(b"s" | b"es" | b"lar" | b"ler" | b"lari" | b"leri")
        )
        && long.starts_with(short)
}

/// English words that another English word differs from only in its vowels, among the words
/// of the sanctions lists' names (`data/vowel_twins.txt`, made by `data/vowel_twins.py` from
/// a dictionary): such a pair is two words, never one spelt two ways.
const VOWEL_TWINS: &str = include_str!("../data/vowel_twins.txt");

fn vowel_twin(word: &str) -> bool {
    static SET: std::sync::LazyLock<hashbrown::HashSet<&'static str>> = std::sync::LazyLock::new(|| {
        VOWEL_TWINS.lines().filter(|l| !l.starts_with('#')).map(str::trim).collect()
    });
    SET.contains(word)
}

/// Similarity of two tokens and the rule that gave it (`None`: not alike).
pub fn token_sim(a: &PToken, b: &PToken) -> Option<(f64, How)> {
    if a.kind == TokenKind::Number || b.kind == TokenKind::Number {
        return a.same_text(b).then_some((1.0, How::Exact));
    }
    match (a.han, b.han) {
        (Some(x), Some(y)) => return (x == y).then_some((1.0, How::Exact)),
        (Some(c), None) | (None, Some(c)) if crate::korean::is_hangul(c) => {
            let latin = if a.han.is_none() { a } else { b };
            return crate::korean::same_syllable(c, &latin.text).then_some((0.92, How::Reading));
        }
        (Some(c), None) | (None, Some(c)) => {
            let latin = if a.han.is_none() { a } else { b };
            return (a.same_text(b) || crate::normalize::reads_as(c, &latin.text))
                .then_some((0.98, How::Pinyin));
        }
        (None, None) => {}
    }
    if a.same_text(b) {
        return Some((1.0, How::Exact));
    }
    let (la, lb) = (a.text.len(), b.text.len());
    if is_plural_of(&a.text, &b.text) || is_plural_of(&b.text, &a.text) {
        return Some((0.7, How::Weak));
    }
    if a.same_key(b) {
        return Some((0.95, How::Phonetic));
    }
    if (a.abjad || b.abjad) && !a.skel.is_empty() && a.same_skel(b) {
        return Some((0.93, How::Skeleton));
    }
    // Vowels spelt differently in a longer word (`Abdalla` / `Abdulla`, `Qureshi` /
    // `Quraishi`); short words differing in vowels are different words (`Pier` / `Peer`),
    // and so are two English words (`Exports` / `Experts`).
    if la.min(lb) >= 6
        && a.skel.len() >= 3
        && a.same_skel(b)
        && a.text.as_bytes()[0] == b.text.as_bytes()[0]
        && !(a.twin && b.twin)
    {
        return Some((0.88, How::Vowels));
    }
    let prefix = |s: &PToken, l: &PToken| {
        s.abbrev && s.text.len() >= 2 && l.text.len() > s.text.len() && l.text.starts_with(s.text.as_str())
    };
    if prefix(a, b) || prefix(b, a) {
        return Some((0.92, How::Abbreviation));
    }
    if (la == 1 && b.text.starts_with(a.text.as_str())) || (lb == 1 && a.text.starts_with(b.text.as_str())) {
        return Some((0.85, How::Initial));
    }
    if la.abs_diff(lb) > 3 || la.min(lb) < 3 || (a.letters ^ b.letters).count_ones() > 4 {
        return None;
    }
    let d = levenshtein(&a.key, &b.key);
    let long = la.min(lb);
    // A typo rarely hits the first letter; a different first letter is another word
    // (`Wrightstone` / `Rightstone`).
    let same_start = a.key.as_bytes().first() == b.key.as_bytes().first();
    if same_start && ((long >= 8 && d == 1) || (long >= 11 && d == 2)) {
        return Some((if d == 1 { 0.9 } else { 0.86 }, How::Typo));
    }
    let jw = jaro_winkler(&a.key, &b.key);
    // Below 0.85 two words are different words; above, still only "weak": a sibling's name
    // is often one letter away (`Lixin` / `Lixing`).
    (jw >= 0.85).then_some((0.5 + (jw - 0.85) * 2.0, How::Weak))
}

/// Longest key the edit distances below keep on the stack.
const SHORT: usize = 64;

/// `strsim::levenshtein`, without its allocation for ASCII keys of up to [`SHORT`] letters
/// (the scorer's inner loop; other keys go to strsim). For ASCII a letter is a byte, so the
/// distance is the same.
fn levenshtein(a_str: &str, b_str: &str) -> usize {
    let (a, b) = (a_str.as_bytes(), b_str.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || b.len() > SHORT {
        return strsim::levenshtein(a_str, b_str);
    }
    let mut cache = [0usize; SHORT];
    for (j, c) in cache.iter_mut().take(b.len()).enumerate() {
        *c = j + 1;
    }
    let mut result = b.len();
    for (i, &x) in a.iter().enumerate() {
        result = i + 1;
        let mut distance_b = i;
        for (&y, c) in b.iter().zip(cache.iter_mut()) {
            let distance_a = distance_b + usize::from(x != y);
            distance_b = *c;
            result = (result + 1).min(distance_a).min(distance_b + 1);
            *c = result;
        }
    }
    result
}

/// `strsim::jaro_winkler`, the same arithmetic in the same order (so the same score to the
/// last bit), without its allocation for ASCII keys of up to [`SHORT`] letters; other keys
/// go to strsim.
fn jaro_winkler(a_str: &str, b_str: &str) -> f64 {
    let (a, b) = (a_str.as_bytes(), b_str.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || a.len() > SHORT || b.len() > SHORT {
        return strsim::jaro_winkler(a_str, b_str);
    }
    let sim = jaro(a, b);
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// `strsim::generic_jaro` on bytes, flags on the stack (at most [`SHORT`] letters a side).
fn jaro(a: &[u8], b: &[u8]) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    if a_len == 0 && b_len == 0 {
        return 1.0;
    } else if a_len == 0 || b_len == 0 {
        return 0.0;
    }
    let search_range = (a_len.max(b_len) / 2).saturating_sub(1);
    let mut a_flags = [false; SHORT];
    let mut b_flags = [false; SHORT];
    let mut matches = 0usize;
    for (i, &x) in a.iter().enumerate() {
        let min_bound = i.saturating_sub(search_range);
        let max_bound = b_len.min(i + search_range + 1);
        for j in min_bound..max_bound {
            if b.get(j) == Some(&x) && b_flags.get(j) == Some(&false) {
                if let Some(f) = a_flags.get_mut(i) {
                    *f = true;
                }
                if let Some(f) = b_flags.get_mut(j) {
                    *f = true;
                }
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut b_matched = b.iter().zip(&b_flags).filter(|(_, f)| **f).map(|(y, _)| y);
    for (x, _) in a.iter().zip(&a_flags).filter(|(_, f)| **f) {
        if b_matched.next().is_some_and(|y| y != x) {
            transpositions += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / a_len as f64)
        + (matches as f64 / b_len as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

/// Scores two prepared forms, with the explanation.
pub fn score_pair(q: &PName, e: &PName) -> PairScore {
    score_inner(q, e, true)
}

/// Scores two prepared forms, without building the explanation (the search's inner loop).
pub fn score_only(q: &PName, e: &PName) -> f64 {
    score_inner(q, e, false).score
}

fn score_inner(q: &PName, e: &PName, explain: bool) -> PairScore {
    let (nq, ne) = (q.tokens.len(), e.tokens.len());
    if nq == 0 || ne == 0 {
        return PairScore::default();
    }
    // Every alike pair, best first; small names, so n·m is cheap. On the stack for names of
    // the usual size (this runs for every candidate of every query).
    let mut pairs: SmallVec<[(f64, How, usize, usize); 32]> = SmallVec::new();
    for (i, a) in q.tokens.iter().enumerate() {
        for (j, b) in e.tokens.iter().enumerate() {
            if let Some((s, how)) = token_sim(a, b) {
                pairs.push((s, how, i, j));
            }
        }
    }
    // No two pairs are equal under this order (each (i, j) is there once), so an unstable
    // sort gives the stable one's order.
    pairs.sort_unstable_by(|x, y| y.0.total_cmp(&x.0).then(x.2.cmp(&y.2)).then(x.3.cmp(&y.3)));
    let mut cov_q: SmallVec<[f64; 8]> = smallvec::smallvec![0.0f64; nq];
    let mut cov_e: SmallVec<[f64; 8]> = smallvec::smallvec![0.0f64; ne];
    let mut used_q: SmallVec<[bool; 8]> = smallvec::smallvec![false; nq];
    let mut used_e: SmallVec<[bool; 8]> = smallvec::smallvec![false; ne];
    let mut matched: Vec<TokenMatch> = Vec::new();
    let mut weak = 0usize;
    let mut han_by_sound = false;
    // Near-certain pairs first, then tokens written together, then the rest: an initial
    // must not take `o` from `o doyle` before `odoyle` can meet both.
    let split = pairs.iter().position(|p| p.0 < 0.95).unwrap_or(pairs.len());
    for (phase, range) in [(0, 0..split), (1, split..pairs.len())] {
        if phase == 1 {
            han_by_sound |= join_runs(
                &q.tokens,
                &e.tokens,
                &mut used_q,
                &mut used_e,
                &mut cov_q,
                &mut cov_e,
                explain.then_some(&mut matched),
                false,
            );
            han_by_sound |= join_runs(
                &e.tokens,
                &q.tokens,
                &mut used_e,
                &mut used_q,
                &mut cov_e,
                &mut cov_q,
                explain.then_some(&mut matched),
                true,
            );
        }
        for &(s, how, i, j) in &pairs[range] {
            if used_q[i] || used_e[j] {
                continue;
            }
            used_q[i] = true;
            used_e[j] = true;
            cov_q[i] = s;
            cov_e[j] = s;
            han_by_sound |= matches!(how, How::Pinyin | How::Reading);
            if s < STRONG {
                weak += 1;
            }
            if !explain {
                continue;
            }
            matched.push(TokenMatch {
                query: q.tokens[i].text.to_string(),
                entry: e.tokens[j].text.to_string(),
                how,
                sim: s,
            });
        }
    }

    // Weighted Dice: descriptors weigh a quarter.
    let weight = |t: &PToken| if t.kind == TokenKind::Descriptor { 0.25 } else { 1.0 };
    let covered = |ts: &[PToken], cov: &[f64]| ts.iter().zip(cov).map(|(t, c)| weight(t) * c).sum::<f64>();
    let total = q.tokens.iter().chain(&e.tokens).map(weight).sum::<f64>();
    let dice = (covered(&q.tokens, &cov_q) + covered(&e.tokens, &cov_e)) / total;
    let mut score = dice;
    // The same letters with spaces elsewhere (`EtsDiallo` / `Ets Diallo`): as good as a
    // near-exact match, whatever the tokens made of it.
    // Not between two Chinese names: their characters decide (`币安` is not `必安`).
    let both_han = q.has_han && e.has_han;
    let compact = q.compact.len() >= 4 && q.compact == e.compact && !both_han;
    let mut unmatched_query = Vec::new();
    let mut unmatched_entry = Vec::new();
    for (t, used) in q.tokens.iter().zip(&used_q) {
        if !used {
            score *= if compact { 1.0 } else { unmatched_penalty(t) };
            if explain {
                unmatched_query.push(t.text.to_string());
            }
        }
    }
    for (t, used) in e.tokens.iter().zip(&used_e) {
        if !used {
            score *= if compact { 1.0 } else { unmatched_penalty(t) };
            if explain {
                unmatched_entry.push(t.text.to_string());
            }
        }
    }
    if compact && score < 0.95 {
        score = 0.95;
        // Only one side can be in Chinese characters here: the letters are its pinyin.
        han_by_sound |= q.has_han || e.has_han;
        if explain {
            matched.push(TokenMatch {
                query: q.compact.to_string(),
                entry: e.compact.to_string(),
                how: How::Joined,
                sim: 0.95,
            });
        }
    } else {
        for _ in 0..weak {
            score *= 0.8;
        }
    }
    if !q.legal_countries.is_empty()
        && !e.legal_countries.is_empty()
        && !q.legal_countries.iter().any(|c| e.legal_countries.contains(c))
    {
        score *= 0.75;
    }
    if q.reduced || e.reduced {
        score *= 0.97;
    }
    PairScore { score: score.clamp(0.0, 1.0), matched, unmatched_query, unmatched_entry, han_by_sound }
}

fn unmatched_penalty(t: &PToken) -> f64 {
    match t.kind {
        TokenKind::Number | TokenKind::Country => 0.7,
        TokenKind::Word => 0.8,
        TokenKind::Descriptor => 0.95,
    }
}

/// Matches a token of `a` left alone with two or three neighbouring unmatched tokens of `b`
/// written together (`wirralong` / `wirra long`, `Jiaxin` / `佳鑫`); never Chinese characters
/// with Chinese characters, whose identity is the character (`欣怡` is not `鑫`). Returns
/// whether it joined Chinese characters with Latin letters. The matches are explained in
/// `matched` when given.
#[expect(clippy::too_many_arguments, reason = "one alignment step over both sides' state")]
fn join_runs(
    a: &[PToken],
    b: &[PToken],
    used_a: &mut [bool],
    used_b: &mut [bool],
    cov_a: &mut [f64],
    cov_b: &mut [f64],
    mut matched: Option<&mut Vec<TokenMatch>>,
    swapped: bool,
) -> bool {
    let mut han_by_sound = false;
    // The run written together and its phonetic key, in buffers kept across runs (this is
    // tried for every unmatched token of every candidate).
    let mut text = String::new();
    let mut key: Vec<u8> = Vec::new();
    for i in 0..a.len() {
        if used_a[i] || a[i].text.len() < 3 {
            continue;
        }
        'start: for j in 0..b.len() {
            // What the cheap test below needs of the run `b[j..j + len]`, kept up to date as
            // the run grows a token at a time.
            let (mut run_han, mut run_len, mut run_abjad, mut run_chinese) = (false, 0usize, false, true);
            let mut grown = j;
            for len in 2..=4usize {
                let Some(run) = b.get(j..j + len) else { continue 'start };
                for k in grown..j + len {
                    if used_b[k] {
                        continue 'start;
                    }
                    let t = &b[k];
                    run_han |= t.han.is_some();
                    run_len += t.text.len();
                    run_abjad |= t.abjad;
                    // Chinese characters may be read otherwise than their first reading
                    // (`Changgen` is `长根`, first read `zhang gen`).
                    run_chinese &= t.han.is_some_and(|c| !crate::korean::is_hangul(c));
                }
                grown = j + len;
                if run_han && a[i].han.is_some() {
                    continue 'start;
                }
                // Cheap test first: the run must start like the token and be about as long
                // (this runs for every unmatched token of every candidate).
                let abjad = a[i].abjad || run_abjad;
                let chinese = a[i].han.is_none() && run_chinese;
                if !abjad
                    && !chinese
                    && (run_len.abs_diff(a[i].text.len()) > 2
                        || run[0].text.as_bytes().first() != a[i].text.as_bytes().first())
                {
                    continue;
                }
                text.clear();
                for t in run {
                    text.push_str(&t.text);
                }
                let sim = if text == a[i].text || chinese && spelt_by_readings(&a[i].text, run) {
                    0.95
                } else if same_phonetic_key(&text, &mut key, &a[i].key) {
                    0.92
                } else if abjad && skeleton(&text) == a[i].skel {
                    0.9
                } else {
                    continue;
                };
                used_a[i] = true;
                cov_a[i] = sim;
                for k in j..j + len {
                    used_b[k] = true;
                    cov_b[k] = sim;
                }
                if let Some(m) = matched.as_deref_mut() {
                    let joined = run.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
                    let (query, entry) = if swapped {
                        (joined, a[i].text.to_string())
                    } else {
                        (a[i].text.to_string(), joined)
                    };
                    m.push(TokenMatch { query, entry, how: How::Joined, sim });
                }
                han_by_sound |= run_han || a[i].han.is_some();
                break 'start;
            }
        }
    }
    han_by_sound
}

/// Whether `phonetic_key(text) == key`, the key made in `buf`.
fn same_phonetic_key(text: &str, buf: &mut Vec<u8>, key: &str) -> bool {
    crate::normalize::phonetic_key_into(text, buf);
    // `phonetic_key` is empty when its bytes are not UTF-8.
    let made: &[u8] = if std::str::from_utf8(buf).is_ok() { buf } else { b"" };
    made == key.as_bytes()
}

/// Whether `latin` is one reading of each Chinese character of `run`, in order.
fn spelt_by_readings(latin: &str, run: &[PToken]) -> bool {
    let Some((first, rest)) = run.split_first() else { return latin.is_empty() };
    let Some(c) = first.han else { return false };
    // `normalize::readings(c)` without collecting them: the pinyin reading, then the name
    // readings.
    use pinyin::ToPinyin;
    let spelt = |r: &str| latin.strip_prefix(r).is_some_and(|tail| spelt_by_readings(tail, rest));
    c.to_pinyin().is_some_and(|p| spelt(p.plain()))
        || crate::normalize::name_readings(c).iter().any(|r| spelt(r))
}

/// The best score between any forms of two names (what a pairwise comparison reports).
pub fn score_names(a: &str, b: &str) -> PairScore {
    let (fa, fb) = (PName::all(a), PName::all(b));
    best_of(&fa, &fb)
}

/// The best score between any of two sets of prepared forms.
pub fn best_of(fa: &[PName], fb: &[PName]) -> PairScore {
    let mut best = PairScore::default();
    for x in fa {
        for y in fb {
            let s = score_pair(x, y);
            if s.score > best.score {
                best = s;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(a: &str, b: &str) -> f64 {
        score_names(a, b).score
    }

    #[test]
    fn same_name_scores_one() {
        assert!((s("Garantex Europe OU", "GARANTEX EUROPE OÜ") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn token_order_does_not_matter() {
        assert!(s("SUARL Keita Distribution", "Keita Distribution SUARL") > 0.99);
        assert!(s("Putin Vladimir", "Vladimir Putin") > 0.99);
    }

    #[test]
    fn siblings_fall_below_variants() {
        let variant = s("Levitsky Packaging Solutions Ltd", "Levitskiy Packaging Solutions Ltd");
        let sibling = s("Brennock Steel Tubes Ltd", "Brennock Steel Wires Ltd");
        let near = s("Guangzhou Lixing Cosmetics Co., Ltd.", "Guangzhou Lixin Cosmetics Co., Ltd.");
        let numbered = s("Marrowgate Leasing 3 Ltd", "Marrowgate Leasing 6 Ltd");
        let foreign = s("Lundqvist Hydraulics Inc.", "Lundqvist Hydraulics (UK) Ltd.");
        let jurisdiction = s("Korvessa Industrial GmbH", "Korvessa Industrial Sdn. Bhd.");
        assert!(variant > 0.9, "{variant}");
        for x in [sibling, near, numbered, foreign, jurisdiction] {
            assert!(x < 0.8, "{x}");
        }
    }

    #[test]
    fn chinese_characters_meet_any_of_their_readings() {
        // `长` is first read `zhang`, `仇` `chou`; as names they are `Chang`, `Qiu`.
        assert!(s("杜长根", "Du Changgen") > 0.9);
        assert!(s("杜长根", "Du Chang Gen") > 0.9);
        assert!(s("仇鸿", "Qiu Hong") > 0.9);
        assert!(s("杜长根", "Du Zhanggen") > 0.9);
        assert!(s("杜长根", "Du Changmin") < 0.7);
        // Only the readings names use: `潘` is never `Bo`.
        assert!(s("潘磊", "Bo Lei") < 0.85);
    }

    #[test]
    fn korean_names_meet_their_latin_spellings() {
        // Names from the SDN list and public life (not the cross-script test file's).
        for (h, l) in [
            ("김여정", "Kim Yo Jong"),
            ("최룡해", "Choe Ryong Hae"),
            ("문재인", "Moon Jae-in"),
            ("윤석열", "Yoon Suk-yeol"),
            ("이명박", "Lee Myung-bak"),
            ("반기문", "Ban Ki-moon"),
        ] {
            let p = score_names(h, l);
            assert!(p.score > 0.9 && p.han_by_sound, "{h} {l} {p:?}");
        }
        assert!(s("김여정", "Kim Jong Un") < 0.7);
        assert!(s("박지성", "Pak Chi Song") > 0.9);
        assert!(s("대륜중공업", "대륜홀딩스") < 0.5);
    }

    #[test]
    fn two_english_words_are_not_one_word_spelt_twice() {
        assert!(s("Pellmoor Timber Exports Ltd", "Pellmoor Timber Experts Ltd") < 0.85);
        assert!(s("Haji Abdalla & Sons Ltd", "Haji Abdulla and Sons Limited") > 0.95);
        assert!(s("Qureshi Leather Works", "Quraishi Leather Works") > 0.95);
    }

    #[test]
    fn chinese_characters_meet_pinyin_but_not_homophones() {
        assert!(s("币安", "Bi An") > 0.95);
        assert!(s("币安", "BiAn") > 0.9);
        assert!(s("币安", "必安") < 0.5);
    }

    #[test]
    fn explanations_name_the_tokens() {
        let p = score_names("Wirralong Downs Pty Ltd", "Wirra-long Downs Pty Ltd");
        assert!(p.matched.iter().any(|m| m.how == How::Joined && m.entry == "wirra long"), "{p:?}");
        let p = score_names("Haji Abdalla & Sons Ltd", "Haji Abdulla Hardware Ltd");
        assert_eq!(p.unmatched_query, ["sons"]);
        assert_eq!(p.unmatched_entry, ["hardware"]);
    }

    proptest::proptest! {
        /// Any text: a score in 0..1, and a name with something to compare is itself.
        #[test]
        fn a_name_is_itself(a in "\\PC{0,40}", b in "[a-zA-Z .,&'()-]{0,30}") {
            let x = score_names(&a, &b).score;
            proptest::prop_assert!((0.0..=1.0).contains(&x));
            if !PName::all(&a).is_empty() {
                proptest::prop_assert!(score_names(&a, &a).score > 0.99, "{}", a);
            }
        }
    }

    proptest::proptest! {
        /// The scorer's own edit distances give strsim's results exactly (a score must not
        /// move by a bit): few letters, so that words share many.
        #[test]
        fn edit_distances_are_strsims(a in "[abcdeh]{0,14}", b in "[abcdeh]{0,14}", long in "[a-z]{60,70}") {
            proptest::prop_assert_eq!(levenshtein(&a, &b), strsim::levenshtein(&a, &b));
            proptest::prop_assert_eq!(jaro_winkler(&a, &b).to_bits(), strsim::jaro_winkler(&a, &b).to_bits());
            proptest::prop_assert_eq!(levenshtein(&a, &long), strsim::levenshtein(&a, &long));
            proptest::prop_assert_eq!(jaro_winkler(&long, &b).to_bits(), strsim::jaro_winkler(&long, &b).to_bits());
        }
    }

    #[test]
    fn abjad_names_meet_their_romanisation() {
        assert!(s("محمد علي", "Mohamed Ali") > 0.85);
        assert!(s("خالد محمود", "Khaled Mahmoud") > 0.85);
    }
}
