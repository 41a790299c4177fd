//! The multilingual crypto lexicon for payment memos: finds the words that point at
//! crypto-currency trading (coins, OTC dealing, exchanges, mining, coin offerings) in the
//! free-text note of a payment, in Chinese, pinyin and English, including the spellings people
//! use to slip past a keyword filter (`Ｕ-Ｓ-Ｄ-Ｔ`, `泰.达.币`, zero-width characters).
//!
//! The lexicon ships with Sluice as `data/crypto_lexicon.csv` (its header comment documents
//! the columns and the terms left out on purpose) and is parsed once, on first use
//! ([`Lexicon::shipped`]). A payment memo is then scanned in three steps:
//!
//! 1. **Normalise**, character by character, keeping for every output byte the byte span of
//!    the original character it came from: NFKC (full-width and other compatibility forms
//!    become plain ones: `ＵＳＤＴ` → `USDT`), lower case, Latin diacritics folded (`Ü` → `u`),
//!    traditional Chinese folded to simplified for the lexicon's characters (`幣` → `币`),
//!    zero-width and other invisible characters and left-over combining marks dropped as if
//!    they were not there.
//! 2. **Compact**: everything else that is not a letter, digit or CJK character (spaces,
//!    punctuation, symbols, emoji) is a separator and is removed, so `u.s.d.t` becomes
//!    `usdt`. Before removing them we remember the tokens of the memo: a token is a maximal
//!    run of Latin letters, of other letters, or of digits, or a single CJK character.
//! 3. **Match** every term of the lexicon in the compacted text (Aho-Corasick), and keep a
//!    match only if it fits the tokens (see [`Lexicon::scan`] for the rule), then drop matches
//!    hidden by a benign phrase (`U盘`, a USB stick, hides `买U`) and keep the leftmost-longest
//!    of the rest.
//!
//! It runs on the inline payment path: no regex; nothing allocated per memo once a thread's
//! reusable buffers have grown (beyond the returned hits); memos made only of ASCII,
//! full-width ASCII, CJK ideographs, kana, common punctuation and emoji (nearly all of them)
//! skip NFKC and the Unicode tables. About 120 ns for a typical memo.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::fmt;
use std::sync::LazyLock;

use aho_corasick::automaton::OverlappingState;
use aho_corasick::{AhoCorasick, Input, MatchKind};
use unicode_normalization::char::{canonical_combining_class, decompose_canonical, is_combining_mark};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The lexicon shipped with Sluice.
const SHIPPED_CSV: &str = include_str!("../data/crypto_lexicon.csv");

/// The header row every lexicon file must have.
const HEADER: &str = "term,category,lang,weight,note";

/// The longest normalised term, in bytes: a term's allowed split points are kept as bits of a
/// `u64`.
const MAX_TERM_BYTES: usize = 64;

/// The shipped lexicon, parsed on first use. A parse error is kept rather than panicking;
/// `shipped_lexicon_parses` keeps it from ever happening in a release.
static SHIPPED: LazyLock<Result<Lexicon, LexiconError>> = LazyLock::new(|| Lexicon::from_csv(SHIPPED_CSV));

/// What a term names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// A coin, a token standard or a wallet word (USDT, 比特币, trc20, 助记词).
    Coin,
    /// Person-to-person coin dealing (U商, 出U, 承兑, OTC, 跑分).
    Otc,
    /// An exchange, deposits and withdrawals, derivatives (币安, OKX, 入金, 合约).
    Exchange,
    /// Mining (矿机, 挖矿, mining rig).
    Mining,
    /// Blockchain projects and coin offerings, the usual wrapping of investment scams (ICO,
    /// 节点认购, 空投).
    Project,
}

impl Category {
    /// The name used in the lexicon file and in decision reasons: `coin`, `otc`, `exchange`,
    /// `mining` or `project`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Coin => "coin",
            Category::Otc => "otc",
            Category::Exchange => "exchange",
            Category::Mining => "mining",
            Category::Project => "project",
        }
    }
}

/// The language a term is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// Chinese, alone or mixed with Latin letters (`U商`).
    Zh,
    /// Hanyu pinyin without tones (`tai da bi`).
    Pinyin,
    /// English words (`mining rig`).
    En,
    /// Tickers, brands and token standards used in every language (`USDT`, `OKX`, `trc20`).
    Code,
}

impl Lang {
    /// The name used in the lexicon file: `zh`, `pinyin`, `en` or `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::Pinyin => "pinyin",
            Lang::En => "en",
            Lang::Code => "code",
        }
    }
}

/// How much a term says on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weight {
    /// Names crypto trading by itself (`USDT`, `出U`, `币安`).
    Strong,
    /// Points at it but also has everyday meanings (`合约`, `承兑`, `交易所`): policies should
    /// want corroboration.
    Weak,
}

impl Weight {
    /// The name used in the lexicon file: `strong` or `weak`.
    pub fn as_str(self) -> &'static str {
        match self {
            Weight::Strong => "strong",
            Weight::Weak => "weak",
        }
    }
}

/// One lexicon term found in a memo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'lex> {
    /// The term as written in the lexicon (`USDT`, `tai da bi`), whatever the memo's spelling.
    pub term: &'lex str,
    /// What the term names.
    pub category: Category,
    /// The language of the term.
    pub lang: Lang,
    /// How much the term says on its own.
    pub weight: Weight,
    /// Byte offset in the original memo where the match starts (a char boundary).
    pub start: usize,
    /// Byte offset in the original memo where the match ends (a char boundary); the memo's
    /// `start..end` is the text that matched, separators inside it included.
    pub end: usize,
}

/// A lexicon file that cannot be used. Line numbers count from 1 and include comments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexiconError {
    /// There is no header row.
    #[error("no header row `{HEADER}`")]
    NoHeader,
    /// The first row that is not a comment is not the header.
    #[error("line {line}: expected the header `{HEADER}`, found `{found}`")]
    Header {
        /// Line number.
        line: usize,
        /// The row found instead.
        found: String,
    },
    /// A row with fewer than five fields.
    #[error("line {line}: expected 5 fields ({HEADER}), found {found}")]
    FieldCount {
        /// Line number.
        line: usize,
        /// How many fields the row has.
        found: usize,
    },
    /// An empty term.
    #[error("line {line}: the term is empty")]
    EmptyTerm {
        /// Line number.
        line: usize,
    },
    /// A category that is not one of the known ones.
    #[error(
        "line {line}: unknown category `{value}`; expected coin, otc, exchange, mining, project or benign"
    )]
    UnknownCategory {
        /// Line number.
        line: usize,
        /// The category found.
        value: String,
    },
    /// A language that is not one of the known ones.
    #[error("line {line}: unknown lang `{value}`; expected zh, pinyin, en or code")]
    UnknownLang {
        /// Line number.
        line: usize,
        /// The language found.
        value: String,
    },
    /// A weight that is not `strong` or `weak` (or `-` on a benign row).
    #[error("line {line}: weight `{value}` does not fit; crypto terms take strong or weak, benign phrases -")]
    BadWeight {
        /// Line number.
        line: usize,
        /// The weight found.
        value: String,
    },
    /// A term with fewer than two characters after normalisation: a lone `U` or `币` would
    /// match half of all memos.
    #[error("line {line}: term `{term}` keeps fewer than 2 characters after normalisation")]
    TooShort {
        /// Line number.
        line: usize,
        /// The term.
        term: String,
    },
    /// A term longer than 64 bytes after normalisation.
    #[error("line {line}: term `{term}` is longer than {MAX_TERM_BYTES} bytes after normalisation")]
    TooLong {
        /// Line number.
        line: usize,
        /// The term.
        term: String,
    },
    /// Two terms that normalise to the same text.
    #[error("line {line}: term `{term}` normalises to `{normal}`, like the term on line {first_line}")]
    Duplicate {
        /// Line number of the second term.
        line: usize,
        /// The second term.
        term: String,
        /// Their common normal form.
        normal: String,
        /// Line number of the first term.
        first_line: usize,
    },
    /// The matcher could not be built (more terms than the automaton can hold).
    #[error("cannot build the term matcher: {message}")]
    Automaton {
        /// The matcher's message.
        message: String,
    },
}

impl LexiconError {
    /// The line the error is about, if it is about one line.
    pub fn line(&self) -> Option<usize> {
        match self {
            LexiconError::NoHeader | LexiconError::Automaton { .. } => None,
            LexiconError::Header { line, .. }
            | LexiconError::FieldCount { line, .. }
            | LexiconError::EmptyTerm { line }
            | LexiconError::UnknownCategory { line, .. }
            | LexiconError::UnknownLang { line, .. }
            | LexiconError::BadWeight { line, .. }
            | LexiconError::TooShort { line, .. }
            | LexiconError::TooLong { line, .. }
            | LexiconError::Duplicate { line, .. } => Some(*line),
        }
    }
}

/// What a lexicon row is.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A crypto term, reported when found.
    Crypto(Category, Weight),
    /// An ordinary phrase containing a crypto term: never reported, hides what it overlaps.
    Benign,
}

/// One row of the lexicon; its index is its pattern id in the automaton.
#[derive(Debug)]
struct Entry {
    term: Box<str>,
    kind: Kind,
    lang: Lang,
    /// Bit `i` is set when the memo may split the word `i` bytes into the normalised term:
    /// the term's own token boundaries (`tai da bi`, `trc20`, `收u`).
    splits: u64,
}

/// A parsed lexicon with its matcher, built once and shared by all threads.
pub struct Lexicon {
    automaton: AhoCorasick,
    entries: Vec<Entry>,
}

impl fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lexicon").field("terms", &self.entries.len()).finish_non_exhaustive()
    }
}

impl Lexicon {
    /// The lexicon shipped with Sluice (`data/crypto_lexicon.csv`), parsed on first call.
    ///
    /// It cannot fail in a released build (a unit test parses the file), but a broken file is
    /// reported as an error rather than a panic on the payment path: call it once at start-up.
    pub fn shipped() -> Result<&'static Lexicon, &'static LexiconError> {
        SHIPPED.as_ref()
    }

    /// Parses a lexicon file (the format is described at the top of
    /// `data/crypto_lexicon.csv`) and builds its matcher. The first bad row is reported with
    /// its line number.
    pub fn from_csv(text: &str) -> Result<Lexicon, LexiconError> {
        let mut entries = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut first_line_of: hashbrown::HashMap<String, usize> = hashbrown::HashMap::new();
        let mut normal = Normal::new();
        let mut header_seen = false;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let row = raw.trim_start_matches('\u{feff}').trim();
            if row.is_empty() || row.starts_with('#') {
                continue;
            }
            if !header_seen {
                if row != HEADER {
                    return Err(LexiconError::Header { line, found: row.to_owned() });
                }
                header_seen = true;
                continue;
            }
            // The note is last and may hold commas, so split at most four times.
            let mut fields = row.splitn(5, ',').map(str::trim);
            let (Some(term), Some(category), Some(lang), Some(weight), Some(_note)) =
                (fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(LexiconError::FieldCount { line, found: row.split(',').count() });
            };
            if term.is_empty() {
                return Err(LexiconError::EmptyTerm { line });
            }
            let kind = parse_kind(line, category, weight)?;
            let lang = match lang {
                "zh" => Lang::Zh,
                "pinyin" => Lang::Pinyin,
                "en" => Lang::En,
                "code" => Lang::Code,
                _ => return Err(LexiconError::UnknownLang { line, value: lang.to_owned() }),
            };
            // A term goes through exactly the memo's normalisation, so both meet in the same
            // form whatever case, width or separators the file uses.
            normal.compact(term);
            if normal.text.chars().nth(1).is_none() {
                return Err(LexiconError::TooShort { line, term: term.to_owned() });
            }
            if normal.text.len() > MAX_TERM_BYTES {
                return Err(LexiconError::TooLong { line, term: term.to_owned() });
            }
            if let Some(&first_line) = first_line_of.get(normal.text.as_str()) {
                return Err(LexiconError::Duplicate {
                    line,
                    term: term.to_owned(),
                    normal: normal.text.clone(),
                    first_line,
                });
            }
            first_line_of.insert(normal.text.clone(), line);
            let splits = (1..normal.text.len())
                .filter(|&i| normal.flag(i) & TOKEN_START != 0)
                .fold(0u64, |bits, i| bits | (1u64 << i));
            entries.push(Entry { term: term.into(), kind, lang, splits });
            patterns.push(normal.text.clone());
        }
        if !header_seen {
            return Err(LexiconError::NoHeader);
        }
        // Standard semantics with overlapping search, not leftmost-longest: a match that the
        // token rule rejects must not hide a valid match starting inside it ("bus dtc" with
        // terms `usdt` and `dtc`), nor hide a shorter valid match at the same start. The
        // leftmost-longest choice is made afterwards among the valid matches.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| LexiconError::Automaton { message: e.to_string() })?;
        Ok(Lexicon { automaton, entries })
    }

    /// The terms found in `memo`, left to right, not overlapping.
    ///
    /// A term matches the compacted memo (see the module docs) only where it fits the memo's
    /// tokens, so that removing separators cannot glue the ends of different words into a
    /// term:
    /// - it starts where a token starts and ends where a token ends: `bus dt` compacts to
    ///   `busdt`, which contains `usdt`, but `u` is inside the token `bus`, so no match;
    ///   `收 u` and `收usdt吗` match (`收`, `u`, `usdt`, `吗` are tokens);
    /// - every place inside the match where the memo starts a new token is either a place the
    ///   term itself allows (the term's own token boundaries: `tai da bi` may be written
    ///   `tai da bi` or `taidabi`; `trc20` may be written `trc 20`; any split between CJK
    ///   characters) or lies between two one-character tokens, i.e. the word is spelled out
    ///   (`U S D T`, `u.s.d.t`). So `a bit coin` is not `bitcoin` and `i co-sign` is not `ico`.
    ///
    /// Zero-width and invisible characters do not split tokens at all (`us\u{200b}dt` is one
    /// token). Where matches overlap, a benign phrase of the lexicon (`U盘`) removes every
    /// crypto match it overlaps (`买U盘`: no `买U`); of the others the leftmost, then longest,
    /// wins.
    pub fn scan(&self, memo: &str) -> Vec<Hit<'_>> {
        let mut hits = Vec::new();
        self.scan_into(memo, &mut hits);
        hits
    }

    /// Like [`scan`](Self::scan), but appends the hits to `out`. Uses buffers kept per thread,
    /// so once they have grown to the size of the usual memo nothing is allocated except room
    /// for the hits in `out`.
    pub fn scan_into<'lex>(&'lex self, memo: &str, out: &mut Vec<Hit<'lex>>) {
        let done = SCRATCH.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.scan_with(memo, &mut scratch, out),
            // Only reachable by re-entering from inside a scan, which nothing does.
            Err(_) => self.scan_with(memo, &mut Scratch::new(), out),
        });
        if done.is_err() {
            // The thread is being torn down and its buffers are gone.
            self.scan_with(memo, &mut Scratch::new(), out);
        }
    }

    fn scan_with<'lex>(&'lex self, memo: &str, scratch: &mut Scratch, out: &mut Vec<Hit<'lex>>) {
        let Scratch { normal, candidates } = scratch;
        normal.compact(memo);
        candidates.clear();
        // Driving the overlapping search by hand avoids building an iterator per memo.
        let input = Input::new(normal.text.as_str());
        let mut state = OverlappingState::start();
        while !normal.text.is_empty()
            && self.automaton.try_find_overlapping(input.clone(), &mut state).is_ok()
        {
            let Some(m) = state.get_match() else { break };
            let entry = m.pattern().as_usize();
            let Some(e) = self.entries.get(entry) else { continue };
            let benign = matches!(e.kind, Kind::Benign);
            // A benign phrase is an everyday word written the everyday way: only as one
            // unbroken run does it hide anything (`收U，盘口` is still `收U`).
            if normal.fits(m.start(), m.end(), e.splits) && (!benign || normal.unbroken(m.start(), m.end())) {
                candidates.push(Candidate { start: m.start(), end: m.end(), entry, benign, hidden: false });
            }
        }
        if candidates.is_empty() {
            normal.trim();
            return;
        }
        // Few candidates per memo (usually 0-3), so the quadratic veto costs nothing.
        for b in 0..candidates.len() {
            let Some(&Candidate { start, end, benign: true, .. }) = candidates.get(b) else { continue };
            for c in candidates.iter_mut() {
                if !c.benign && c.start < end && start < c.end {
                    c.hidden = true;
                }
            }
        }
        candidates.sort_unstable_by_key(|c| (c.start, Reverse(c.end)));
        let mut taken_to = 0;
        for c in candidates.iter() {
            if c.benign || c.hidden || c.start < taken_to {
                continue;
            }
            let (Some(e), Some(first), Some(last)) =
                (self.entries.get(c.entry), normal.bytes.get(c.start), normal.bytes.get(c.end - 1))
            else {
                continue;
            };
            let Kind::Crypto(category, weight) = e.kind else { continue };
            out.push(Hit {
                term: &e.term,
                category,
                lang: e.lang,
                weight,
                start: first.start,
                end: last.end,
            });
            taken_to = c.end;
        }
        normal.trim();
    }
}

fn parse_kind(line: usize, category: &str, weight: &str) -> Result<Kind, LexiconError> {
    let category = match category {
        "coin" => Category::Coin,
        "otc" => Category::Otc,
        "exchange" => Category::Exchange,
        "mining" => Category::Mining,
        "project" => Category::Project,
        "benign" if weight == "-" => return Ok(Kind::Benign),
        "benign" => return Err(LexiconError::BadWeight { line, value: weight.to_owned() }),
        _ => return Err(LexiconError::UnknownCategory { line, value: category.to_owned() }),
    };
    let weight = match weight {
        "strong" => Weight::Strong,
        "weak" => Weight::Weak,
        _ => return Err(LexiconError::BadWeight { line, value: weight.to_owned() }),
    };
    Ok(Kind::Crypto(category, weight))
}

/// The normal form the matcher sees: NFKC, lower case, Latin diacritics and traditional
/// characters folded, invisible characters and separators removed (`Ｕ-S\u{200b}D-T 500` → `usdt500`). For explanations
/// and tests; [`Lexicon::scan`] does not allocate it.
pub fn normalize(memo: &str) -> String {
    let mut normal = Normal::new();
    normal.compact(memo);
    normal.text
}

/// A match of the automaton that fits the memo's tokens.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    start: usize,
    end: usize,
    entry: usize,
    benign: bool,
    hidden: bool,
}

/// The buffers of one scan, kept per thread between scans.
struct Scratch {
    normal: Normal,
    candidates: Vec<Candidate>,
}

impl Scratch {
    const fn new() -> Self {
        Scratch { normal: Normal::new(), candidates: Vec::new() }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const { RefCell::new(Scratch::new()) };
}

/// Flag of the first byte of a token.
const TOKEN_START: u8 = 1;
/// Flag of the last byte of a token.
const TOKEN_END: u8 = 2;
/// Flag of every byte of a token that is a single character.
const TOKEN_SINGLE: u8 = 4;
/// Flag of the first byte of a character that came after a separator.
const AFTER_SEPARATOR: u8 = 8;

/// Buffers bigger than this are shrunk after a scan, so one huge memo does not pin memory in
/// a thread for ever (memos are at most 256 characters).
const KEEP_BYTES: usize = 16 * 1024;

/// Kinds of token characters; a token never mixes two kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Latin,
    OtherLetter,
    Digit,
    /// Han, kana, Hangul, bopomofo: each character is a token of its own, because these
    /// scripts do not separate words.
    Cjk,
}

/// One byte of the compacted text: the byte span of the memo character (or NFKC segment) it
/// came from, and `TOKEN_*`/`AFTER_SEPARATOR` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Byte {
    start: usize,
    end: usize,
    flags: u8,
}

/// A memo in compacted normal form, with for every byte its origin in the memo and its place
/// among the memo's tokens.
struct Normal {
    /// The compacted normal form.
    text: String,
    /// Per byte of `text`: where it came from and its place among the tokens.
    bytes: Vec<Byte>,
    /// The kind of the open token; `None` right after a separator.
    open: Option<Class>,
    /// Where the open token starts in `text`.
    token_start: usize,
    /// How many characters the open token has.
    token_chars: usize,
    /// Whether a separator came after the last token character.
    after_separator: bool,
}

impl Normal {
    const fn new() -> Self {
        Normal {
            text: String::new(),
            bytes: Vec::new(),
            open: None,
            token_start: 0,
            token_chars: 0,
            after_separator: false,
        }
    }

    fn flag(&self, i: usize) -> u8 {
        self.bytes.get(i).map_or(0, |b| b.flags)
    }

    /// Replaces the contents with the compacted normal form of `memo`.
    fn compact(&mut self, memo: &str) {
        self.clear();
        if !self.compact_common(memo) {
            self.clear();
            self.compact_any(memo);
        }
        self.close();
    }

    fn clear(&mut self) {
        self.text.clear();
        self.bytes.clear();
        self.open = None;
        self.after_separator = false;
    }

    /// The fast path for the characters most memos are made of, whose normal form is known
    /// without Unicode tables: ASCII, full-width ASCII, CJK ideographs, kana, Hangul
    /// syllables, CJK and general punctuation, emoji, the common invisible characters. Gives
    /// up (false) at the first other character, leaving the work half done for the caller to
    /// discard. The test `common_characters_normalise_as_unicode_says` checks every character
    /// handled here against the general path.
    fn compact_common(&mut self, memo: &str) -> bool {
        for (i, c) in memo.char_indices() {
            let end = i + c.len_utf8();
            match u32::from(c) {
                0..=0x7F => self.ascii(c as u8, i, end),
                0x3400..=0x4DBF | 0x4E00..=0x9FFF => self.push(fold_traditional(c), Class::Cjk, i, end),
                // Kana and Hangul syllables: stable under NFKC unless a combining mark or jamo
                // follows, and those are not handled here.
                0x3041..=0x3096 | 0x30A1..=0x30FA | 0xAC00..=0xD7A3 => self.push(c, Class::Cjk, i, end),
                // Full-width ASCII: NFKC maps each to the ASCII character 0xFEE0 below it.
                full @ 0xFF01..=0xFF5E => match u8::try_from(full - 0xFEE0) {
                    Ok(b) => self.ascii(b, i, end),
                    Err(_) => return false,
                },
                0x00B7
                | 0x2010..=0x2027
                | 0x2030..=0x205E
                | 0x3000..=0x3004
                | 0x3008..=0x3020
                | 0x30FB
                | 0xFF5F..=0xFF64
                | 0x2600..=0x26FF
                | 0x1F300..=0x1FAFF => self.separator(),
                0x00AD | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0xFE0F | 0xFEFF => {}
                _ => return false,
            }
        }
        true
    }

    /// The general path: NFKC, then per character lower case, folds and classes.
    fn compact_any(&mut self, memo: &str) {
        if is_nfkc_quick(memo.chars()) == IsNormalized::Yes {
            for (i, c) in memo.char_indices() {
                self.feed(c, i, i + c.len_utf8());
            }
        } else {
            // NFKC one segment at a time (a character with the combining marks after it), so
            // that every output character knows where it came from; composition does not
            // cross segments (a starter followed by a starter is left alone, which only
            // matters for Hangul jamo typed one by one).
            let mut segment = 0;
            for (i, c) in memo.char_indices() {
                if i > segment && canonical_combining_class(c) == 0 {
                    self.segment(memo, segment, i);
                    segment = i;
                }
            }
            self.segment(memo, segment, memo.len());
        }
    }

    fn segment(&mut self, memo: &str, start: usize, end: usize) {
        if let Some(text) = memo.get(start..end) {
            for c in text.nfkc() {
                self.feed(c, start, end);
            }
        }
    }

    /// One character of (NFKC-normalised) memo text that came from `start..end`.
    fn feed(&mut self, c: char, start: usize, end: usize) {
        if c.is_ascii() {
            // ASCII is its own lower-case and fold; the cast cannot truncate.
            self.ascii(c as u8, start, end);
        } else {
            for lower in c.to_lowercase() {
                self.lower(lower, start, end);
            }
        }
    }

    #[inline(always)]
    fn ascii(&mut self, b: u8, start: usize, end: usize) {
        match b {
            b'a'..=b'z' => self.push(char::from(b), Class::Latin, start, end),
            b'A'..=b'Z' => self.push(char::from(b.to_ascii_lowercase()), Class::Latin, start, end),
            b'0'..=b'9' => self.push(char::from(b), Class::Digit, start, end),
            _ => self.separator(),
        }
    }

    fn lower(&mut self, c: char, start: usize, end: usize) {
        if c.is_ascii() {
            self.ascii(c as u8, start, end);
        } else if is_combining_mark(c) || is_invisible(c) {
            // Left-over marks (strike-through `u̶s̶d̶t̶`, Thai vowels) are as invisible to
            // the matcher as zero-width spaces: they do not even split tokens.
        } else if is_cjk_block(c) && c.is_alphanumeric() {
            self.push(fold_traditional(c), Class::Cjk, start, end);
        } else if c.is_alphabetic() {
            if is_latin(c) {
                self.push(fold_latin(c), Class::Latin, start, end);
            } else {
                self.push(c, Class::OtherLetter, start, end);
            }
        } else if c.is_numeric() {
            self.push(c, Class::Digit, start, end);
        } else {
            self.separator();
        }
    }

    /// Appends a token character, opening a new token when its kind changes (or always, for
    /// CJK).
    #[inline(always)]
    fn push(&mut self, c: char, class: Class, start: usize, end: usize) {
        let mut flags = 0;
        if class == Class::Cjk || self.open != Some(class) {
            self.close();
            self.open = Some(class);
            self.token_start = self.bytes.len();
            self.token_chars = 0;
            flags = TOKEN_START;
        }
        if self.after_separator {
            flags |= AFTER_SEPARATOR;
            self.after_separator = false;
        }
        self.token_chars += 1;
        self.text.push(c);
        self.bytes.push(Byte { start, end, flags });
        let more = c.len_utf8() - 1;
        if more > 0 {
            self.bytes.resize(self.bytes.len() + more, Byte { start, end, flags: 0 });
        }
    }

    /// A separator: ends the open token and marks the next character as coming after a gap.
    fn separator(&mut self) {
        self.close();
        self.after_separator = true;
    }

    /// Ends the open token, if any.
    fn close(&mut self) {
        if self.open.take().is_some() {
            if let Some(last) = self.bytes.last_mut() {
                last.flags |= TOKEN_END;
            }
            if self.token_chars == 1
                && let Some(bytes) = self.bytes.get_mut(self.token_start..)
            {
                for b in bytes {
                    b.flags |= TOKEN_SINGLE;
                }
            }
        }
    }

    /// Whether `start..end` of the compacted text fits the memo's tokens (the rule is
    /// documented on [`Lexicon::scan`]); `splits` are the term's own split points.
    fn fits(&self, start: usize, end: usize, splits: u64) -> bool {
        if end <= start || self.flag(start) & TOKEN_START == 0 || self.flag(end - 1) & TOKEN_END == 0 {
            return false;
        }
        (start + 1..end).all(|i| {
            let here = self.flag(i);
            let term_splits_here = (i - start < MAX_TERM_BYTES) && (splits >> (i - start)) & 1 == 1;
            here & TOKEN_START == 0
                || term_splits_here
                || (here & TOKEN_SINGLE != 0 && self.flag(i - 1) & TOKEN_SINGLE != 0)
        })
    }

    /// Whether `start..end` of the compacted text was written as one run in the memo: no
    /// separator was removed inside it (invisible characters do not count).
    fn unbroken(&self, start: usize, end: usize) -> bool {
        (start + 1..end).all(|i| self.flag(i) & AFTER_SEPARATOR == 0)
    }

    /// Gives back memory after an unusually long memo.
    fn trim(&mut self) {
        if self.text.capacity() > KEEP_BYTES {
            self.text = String::new();
            self.bytes = Vec::new();
        }
    }
}

/// Characters that render as nothing and are used to break up keywords: zero-width space,
/// (non-)joiners, word joiner, BOM, soft hyphen, direction marks and isolates, variation
/// selectors, Hangul fillers, tag characters (Unicode's default-ignorable code points).
fn is_invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x061C
            | 0x115F
            | 0x1160
            | 0x17B4
            | 0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// Blocks of scripts written without spaces between words (Han, kana, Hangul, bopomofo).
/// Callers also require `is_alphanumeric`, which leaves out the punctuation in these blocks
/// (`、`, `。`, `・`).
fn is_cjk_block(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x11FF
            | 0x2E80..=0x2FDF
            | 0x3000..=0x9FFF
            | 0xA960..=0xA97F
            | 0xAC00..=0xD7FF
            | 0xF900..=0xFAFF
            | 0x20000..=0x3FFFF
    )
}

/// Latin letters outside ASCII (after NFKC, full-width letters are ASCII already).
fn is_latin(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00C0..=0x024F | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F
    )
}

/// `ü` → `u`, `é` → `e`: accents are a cheap disguise and never tell crypto terms apart.
fn fold_latin(c: char) -> char {
    let mut base = None;
    decompose_canonical(c, |d| {
        if base.is_none() {
            base = Some(d);
        }
    });
    match base {
        Some(b) if b.is_ascii_alphabetic() => b,
        _ => c,
    }
}

/// Traditional → simplified for the characters of the lexicon's Chinese terms (`幣安` is
/// `币安`, `買U` is `买U`): Hong Kong and Taiwan users write them so, and switching script is an
/// easy disguise. Terms go through the same fold, so the lexicon is written in simplified.
fn fold_traditional(c: char) -> char {
    match c {
        '倉' => '仓',
        '兌' => '兑',
        '勵' => '励',
        '匯' => '汇',
        '區' => '区',
        '場' => '场',
        '塊' => '块',
        '幣' => '币',
        '採' => '采',
        '換' => '换',
        '擬' => '拟',
        '數' => '数',
        '書' => '书',
        '桿' => '杆',
        '業' => '业',
        '槓' => '杠',
        '機' => '机',
        '歐' => '欧',
        '獎' => '奖',
        '產' => '产',
        '發' => '发',
        '盤' => '盘',
        '磚' => '砖',
        '礦' => '矿',
        '穩' => '稳',
        '節' => '节',
        '約' => '约',
        '級' => '级',
        '續' => '续',
        '羅' => '罗',
        '萊' => '莱',
        '藥' => '药',
        '虛' => '虚',
        '記' => '记',
        '詞' => '词',
        '認' => '认',
        '證' => '证',
        '貨' => '货',
        '買' => '买',
        '費' => '费',
        '資' => '资',
        '賣' => '卖',
        '購' => '购',
        '輸' => '输',
        '轉' => '转',
        '達' => '达',
        '銀' => '银',
        '錢' => '钱',
        '鍊' => '链',
        '鏈' => '链',
        '鑛' => '矿',
        '門' => '门',
        '雲' => '云',
        '電' => '电',
        '點' => '点',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lexicon() -> &'static Lexicon {
        Lexicon::shipped().unwrap()
    }

    /// The terms found in `memo`, in order.
    fn terms(memo: &str) -> Vec<&'static str> {
        lexicon().scan(memo).iter().map(|h| h.term).collect()
    }

    /// `(term, original text)` of every hit.
    fn matched(memo: &str) -> Vec<(&'static str, &str)> {
        lexicon().scan(memo).iter().map(|h| (h.term, &memo[h.start..h.end])).collect()
    }

    /// No terms.
    const NONE: [&str; 0] = [];

    fn csv(rows: &str) -> String {
        format!("# test lexicon\n{HEADER}\n{rows}")
    }

    #[test]
    fn shipped_lexicon_parses() {
        let parsed = Lexicon::from_csv(SHIPPED_CSV);
        assert!(parsed.is_ok(), "{}", parsed.err().map(|e| e.to_string()).unwrap_or_default());
        assert!(Lexicon::shipped().is_ok());
    }

    #[test]
    fn shipped_lexicon_covers_every_category_and_language() {
        let entries = &lexicon().entries;
        for category in
            [Category::Coin, Category::Otc, Category::Exchange, Category::Mining, Category::Project]
        {
            for lang in [Lang::Zh, Lang::Pinyin, Lang::En] {
                let n = entries
                    .iter()
                    .filter(|e| matches!(e.kind, Kind::Crypto(c, _) if c == category) && e.lang == lang)
                    .count();
                assert!(n > 0, "no {} term in {}", lang.as_str(), category.as_str());
            }
        }
        assert!(entries.iter().any(|e| matches!(e.kind, Kind::Benign)));
    }

    // --- normalisation, one step at a time ----------------------------------------------------

    #[test]
    fn full_width_forms_are_folded() {
        assert_eq!(normalize("ＵＳＤＴ"), "usdt");
        assert_eq!(normalize("ｔｒｃ２０"), "trc20");
        assert_eq!(terms("ＵＳＤＴ"), ["USDT"]);
        assert_eq!(terms("收Ｕ"), ["收U"]);
    }

    #[test]
    fn other_compatibility_forms_are_folded() {
        // Mathematical bold, circled letters.
        assert_eq!(normalize("𝐔𝐒𝐃𝐓"), "usdt");
        assert_eq!(terms("ⓊⓈⒹⓉ"), ["USDT"]);
    }

    #[test]
    fn case_is_folded() {
        assert_eq!(normalize("UsDt BiTcOiN"), "usdtbitcoin");
        assert_eq!(terms("UsDt"), ["USDT"]);
        assert_eq!(terms("BITCOIN"), ["bitcoin"]);
        assert_eq!(terms("okex"), ["OKEx"]);
    }

    #[test]
    fn each_zero_width_character_is_removed() {
        for zw in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}'] {
            let memo = format!("u{zw}s{zw}d{zw}t");
            assert_eq!(normalize(&memo), "usdt", "{zw:?}");
            assert_eq!(terms(&memo), ["USDT"], "{zw:?}");
            let memo = format!("泰{zw}达币");
            assert_eq!(terms(&memo), ["泰达币"], "{zw:?}");
        }
    }

    #[test]
    fn zero_width_characters_do_not_split_words() {
        // Invisible, so not a separator: `us<ZWSP>dt` is one token, `b<ZWSP>usdt` is `busdt`.
        assert_eq!(terms("us\u{200B}dt"), ["USDT"]);
        assert_eq!(terms("b\u{200B}usdt"), NONE);
    }

    #[test]
    fn left_over_combining_marks_are_removed() {
        // Strike-through and underline overlays.
        assert_eq!(normalize("u\u{336}s\u{336}d\u{336}t\u{336}"), "usdt");
        assert_eq!(terms("u\u{332}s\u{332}d\u{332}t\u{332}"), ["USDT"]);
        // Removed, not turned into separators: `us̶dt` is still one word.
        assert_eq!(terms("us\u{336}dt"), ["USDT"]);
    }

    #[test]
    fn latin_diacritics_are_folded() {
        assert_eq!(normalize("ÜSDT"), "usdt");
        assert_eq!(terms("bítcoin"), ["bitcoin"]);
        // Decomposed input composes (NFKC) and folds the same way.
        assert_eq!(terms("U\u{308}SDT"), ["USDT"]);
    }

    #[test]
    fn traditional_characters_are_folded() {
        assert_eq!(normalize("泰達幣"), "泰达币");
        assert_eq!(terms("泰達幣"), ["泰达币"]);
        assert_eq!(terms("買U"), ["买U"]);
        assert_eq!(terms("幣安"), ["币安"]);
        assert_eq!(terms("區塊鏈"), ["区块链"]);
    }

    #[test]
    fn each_separator_style_is_removed() {
        for memo in [
            "U S D T",
            "u.s.d.t",
            "U-S-D-T",
            "u_s_d_t",
            "U*S*D*T",
            "u/s/d/t",
            "u|s|d|t",
            "U,S,D,T",
            "u\ts\nd t",
            "U　S　D　T",
            "u🔥s🔥d🔥t",
        ] {
            assert_eq!(normalize(memo), "usdt", "{memo:?}");
            assert_eq!(terms(memo), ["USDT"], "{memo:?}");
        }
        for memo in
            ["泰 达 币", "泰.达.币", "泰-达-币", "泰・达・币", "泰、达、币", "泰　达　币", "泰🔥达🔥币"]
        {
            assert_eq!(normalize(memo), "泰达币", "{memo:?}");
            assert_eq!(terms(memo), ["泰达币"], "{memo:?}");
        }
    }

    #[test]
    fn mixed_scripts() {
        assert_eq!(terms("收usdt吗"), ["USDT"]);
        assert_eq!(terms("收ＵＳＤＴ吗"), ["USDT"]);
        assert_eq!(terms("收 u"), ["收U"]);
        assert_eq!(terms("买Ｕ 500"), ["买U"]);
        assert_eq!(terms("泰达币USDT"), ["泰达币", "USDT"]);
        assert_eq!(terms("U本位"), ["U本位"]);
        assert_eq!(terms("usdtоплата"), ["USDT"]);
        assert_eq!(normalize("收Ｕ-S D·T，谢谢"), "收usdt谢谢");
    }

    #[test]
    fn kana_and_hangul_characters_are_tokens_of_their_own() {
        let lexicon = Lexicon::from_csv(&csv("コイン,coin,zh,strong,\n코인,coin,zh,strong,\n")).unwrap();
        let found = |memo| lexicon.scan(memo).iter().map(|h| h.term.to_owned()).collect::<Vec<_>>();
        assert_eq!(found("ビットコイン"), ["コイン"]);
        assert_eq!(found("비트코인"), ["코인"]);
        // Half-width katakana are NFKC-folded first.
        assert_eq!(found("ｺｲﾝ"), ["コイン"]);
    }

    #[test]
    fn common_characters_normalise_as_unicode_says() {
        // The fast path must give exactly what the general (NFKC) path gives, in context.
        let common = (0..=0x10FFFFu32).filter_map(char::from_u32).filter(|&c| {
            let mut normal = Normal::new();
            normal.compact_common(&c.to_string())
        });
        let mut checked = 0;
        for c in common {
            for memo in [format!("a{c}b"), format!("中{c}1"), format!("{c}{c}")] {
                let (mut fast, mut general) = (Normal::new(), Normal::new());
                assert!(fast.compact_common(&memo));
                fast.close();
                general.compact_any(&memo);
                general.close();
                assert_eq!(
                    (&fast.text, &fast.bytes),
                    (&general.text, &general.bytes),
                    "{c:?} U+{:04X}",
                    u32::from(c)
                );
            }
            checked += 1;
        }
        assert!(checked > 30_000, "{checked}");
        assert!(!Normal::new().compact_common("é"));
    }

    // --- the token rule ----------------------------------------------------------------------

    #[test]
    fn matches_must_start_and_end_on_token_boundaries() {
        for memo in ["bus dt", "busdt", "status", "usdtx", "xbtc", "tethers"] {
            assert_eq!(terms(memo), NONE, "{memo:?}");
        }
        // Letters and digits are separate tokens, so amounts glued to a coin still count.
        assert_eq!(terms("500usdt"), ["USDT"]);
        assert_eq!(terms("usdt500"), ["USDT"]);
        assert_eq!(terms("0.5btc"), ["BTC"]);
    }

    #[test]
    fn words_may_be_split_only_where_the_term_allows_or_spelled_out() {
        // The term's own splits: pinyin syllables, letters/digits, words of a phrase.
        for memo in ["tai da bi", "taidabi", "tai-da-bi", "taida bi", "Tai Da Bi"] {
            assert_eq!(terms(memo), ["tai da bi"], "{memo:?}");
        }
        assert_eq!(terms("trc 20"), ["TRC20"]);
        assert_eq!(terms("gate.io"), ["Gate.io"]);
        assert_eq!(terms("gateio"), ["Gate.io"]);
        assert_eq!(terms("mining-rig"), ["mining rig"]);
        assert_eq!(terms("hashrate"), ["hash rate"]);
        // Spelled out letter by letter.
        assert_eq!(terms("b.t.c"), ["BTC"]);
        assert_eq!(terms("t r c 2 0"), ["TRC20"]);
        // Other splits glue the ends of ordinary words together.
        assert_eq!(terms("a bit coin laundry"), NONE);
        assert_eq!(terms("i co-sign"), NONE);
        // The price: half-spelled disguises are missed.
        assert_eq!(terms("us dt"), NONE);
        assert_eq!(terms("usd t"), NONE);
    }

    #[test]
    fn a_rejected_match_does_not_hide_a_valid_one() {
        let lexicon = Lexicon::from_csv(&csv(
            "usdt,coin,code,strong,\ndtc,coin,code,strong,\nbtcs,coin,code,strong,\nbtc,coin,code,strong,\n",
        ))
        .unwrap();
        let found = |memo| lexicon.scan(memo).iter().map(|h| h.term.to_owned()).collect::<Vec<_>>();
        // `usdt` inside `bus dtc` starts mid-token, but `dtc` is a token of its own.
        assert_eq!(found("bus dtc"), ["dtc"]);
        // The longest term at a start (`btcs`) does not fit; the shorter one (`btc`) does.
        assert_eq!(found("btc scam"), ["btc"]);
    }

    #[test]
    fn overlapping_terms_leftmost_then_longest_wins() {
        assert_eq!(terms("节点认购"), ["节点认购"]);
        assert_eq!(terms("承兑商"), ["承兑商"]);
        assert_eq!(terms("出U商"), ["出U"]);
        assert_eq!(terms("永续合约"), ["永续合约"]);
    }

    // --- positives: every category in Chinese, pinyin and English ----------------------------

    #[test]
    fn every_category_is_found_in_every_language() {
        let cases: &[(&str, &str, Category)] = &[
            ("泰达币500", "泰达币", Category::Coin),
            ("转比特币", "比特币", Category::Coin),
            ("波场地址", "波场", Category::Coin),
            ("bitebi", "bi te bi", Category::Coin),
            ("yi tai fang", "yi tai fang", Category::Coin),
            ("tether", "tether", Category::Coin),
            ("for ethereum", "ethereum", Category::Coin),
            ("USDT", "USDT", Category::Coin),
            ("ETH", "ETH", Category::Coin),
            ("找U商换", "U商", Category::Otc),
            ("币商", "币商", Category::Otc),
            ("出U", "出U", Category::Otc),
            ("卖u", "卖U", Category::Otc),
            ("场外", "场外", Category::Otc),
            ("搬砖", "搬砖", Category::Otc),
            ("跑分", "跑分", Category::Otc),
            ("chengduishang", "cheng dui shang", Category::Otc),
            ("OTC", "OTC", Category::Otc),
            ("sell usdt", "sell usdt", Category::Otc),
            ("otc desk", "otc desk", Category::Otc),
            ("币安", "币安", Category::Exchange),
            ("火币", "火币", Category::Exchange),
            ("欧易", "欧易", Category::Exchange),
            ("抹茶交易所", "抹茶交易所", Category::Exchange),
            ("合约", "合约", Category::Exchange),
            ("杠杆", "杠杆", Category::Exchange),
            ("出金", "出金", Category::Exchange),
            ("jiaoyisuo", "jiao yi suo", Category::Exchange),
            ("Binance", "Binance", Category::Exchange),
            ("HTX", "HTX", Category::Exchange),
            ("OKX", "OKX", Category::Exchange),
            ("mexc", "MEXC", Category::Exchange),
            ("exchange deposit", "exchange deposit", Category::Exchange),
            ("矿机", "矿机", Category::Mining),
            ("挖矿", "挖矿", Category::Mining),
            ("矿池", "矿池", Category::Mining),
            ("算力", "算力", Category::Mining),
            ("kuangji", "kuang ji", Category::Mining),
            ("wakuang", "wa kuang", Category::Mining),
            ("mining rig", "mining rig", Category::Mining),
            ("区块链", "区块链", Category::Project),
            ("ICO", "ICO", Category::Project),
            ("IEO", "IEO", Category::Project),
            ("私募", "私募", Category::Project),
            ("空投", "空投", Category::Project),
            ("元宇宙", "元宇宙", Category::Project),
            ("白皮书", "白皮书", Category::Project),
            ("代币", "代币", Category::Project),
            ("qukuailian", "qu kuai lian", Category::Project),
            ("token sale", "token sale", Category::Project),
            ("airdrop", "airdrop", Category::Project),
        ];
        for &(memo, term, category) in cases {
            let hits = lexicon().scan(memo);
            assert_eq!(hits.len(), 1, "{memo:?}: {hits:?}");
            assert_eq!((hits[0].term, hits[0].category), (term, category), "{memo:?}");
        }
    }

    #[test]
    fn weights_come_from_the_lexicon() {
        let weight = |memo| lexicon().scan(memo).first().map(|h| h.weight);
        assert_eq!(weight("USDT"), Some(Weight::Strong));
        assert_eq!(weight("出U"), Some(Weight::Strong));
        assert_eq!(weight("合约"), Some(Weight::Weak));
        assert_eq!(weight("承兑"), Some(Weight::Weak));
        assert_eq!(weight("交易所"), Some(Weight::Weak));
    }

    // --- negatives ---------------------------------------------------------------------------

    #[test]
    fn everyday_memos_have_no_hits() {
        for memo in [
            "饭钱",
            "还款",
            "货款",
            "房租",
            "3月房租",
            "AA",
            "AA制",
            "生日快乐",
            "生日快乐🎂",
            "bus",
            "status",
            "Ubuntu",
            "youtube",
            "U盘",
            "U型枕",
            "bitter",
            "coin laundry",
            "项目节点款",
            "按时间节点付款",
            "关键节点验收",
            "u",
            "U",
            "币",
            "500U",
            "谢谢u",
            "Uber",
            "UU跑腿",
            "OK",
            "ok谢谢",
            "游戏币",
            "Q币",
            "冥币",
            "比特率",
            "以太网线",
            "天津泰达",
            "数字人民币",
            "抹茶拿铁",
            "抹茶蛋糕",
            "充值",
            "话费充值",
            "保证金",
            "押金",
            "钱包",
            "the exchange rate",
            "gate",
            "mining",
            "token",
            "bit",
            "coin",
            "bitcoinless",
            "a bit coin laundry",
            "I co-signed",
            "US dollar",
            "USD",
            "ETF",
            "ETC",
            "生日红包🧧",
            "520",
            "么么哒",
        ] {
            assert_eq!(matched(memo), [], "{memo:?}");
        }
    }

    #[test]
    fn simulator_memos_split_as_intended() {
        // Every non-crypto memo of `sluice-sim` (crates/sim/src/names.rs) stays clean.
        for memo in [
            "饭钱",
            "还款",
            "谢谢",
            "车费",
            "AA",
            "生日快乐",
            "买菜钱",
            "借款",
            "电费",
            "话费",
            "给妈的",
            "学费",
            "份子钱",
            "奶茶",
            "👍",
            "🍜",
            "ok",
            "恭喜发财",
            "大吉大利",
            "新年快乐",
            "🧧",
            "生日快乐🎂",
            "辛苦了",
            "520",
            "么么哒",
            "货款",
            "服务费",
            "往来款",
            "材料费",
            "会员费",
            "咨询费",
            "运费",
            "接龙",
            "团购 1份",
            "团购 2份",
            "团购",
            "水果团",
            "拼单",
            "代购",
            "代购 面霜",
            "奶粉",
            "包包尾款",
            "定金",
            "手表",
            "工资",
            "绩效",
            "奖金",
            "报销",
            "12月房租",
        ] {
            assert_eq!(matched(memo), [], "{memo:?}");
        }
        // Its crypto memos all hit, except the bare `u`, `币` and `充值`, which are too
        // ambiguous to be terms.
        for memo in [
            "USDT",
            "买U",
            "出U",
            "收U",
            "泰达币",
            "BTC",
            "比特币",
            "USDT 500",
            "换u",
            "trc20",
            "U商",
            "承兑",
            "入金",
            "USDT充值",
            "币安充值",
            "火币入金",
            "OKX充值",
            "交易所充值",
            "合约保证金",
            "矿机款",
            "ICO认购",
            "区块链项目投资",
            "数字资产认购",
            "挖矿投资",
            "节点认购",
            "私募份额",
            "币圈项目",
        ] {
            assert!(!terms(memo).is_empty(), "{memo:?}");
        }
        for memo in ["u", "币", "充值"] {
            assert_eq!(matched(memo), [], "{memo:?}");
        }
    }

    #[test]
    fn benign_phrases_hide_the_terms_they_overlap() {
        for memo in [
            "买U盘",
            "卖U盘",
            "换U盾",
            "收U盾",
            "买U型锁",
            "人民币安全",
            "银行承兑汇票",
            "承兑汇票贴息",
            "合约机",
            "合约套餐",
            "OTC药品",
            "区块链电子发票",
            "交易所得税",
            "证券交易所",
            "采矿机械",
            "支出金额",
            "转入金额",
            "稳定币值",
        ] {
            assert_eq!(matched(memo), [], "{memo:?}");
        }
        // Only what they overlap, and only when written as one run.
        assert_eq!(terms("买U盘和USDT"), ["USDT"]);
        assert_eq!(terms("收U，盘口价"), ["收U"]);
        // Invisible characters do not break the run (found by the zero-width property).
        assert_eq!(matched("收\u{200B}U\u{200B}盘"), []);
        assert_eq!(terms("币安全部提现"), ["币安"]);
    }

    // --- spans -------------------------------------------------------------------------------

    #[test]
    fn spans_point_into_the_original_memo() {
        assert_eq!(matched("\u{200B}\u{200B}USDT"), [("USDT", "USDT")]);
        assert_eq!(lexicon().scan("\u{200B}\u{200B}USDT")[0].start, 6);
        assert_eq!(matched("ＡＡ ＵＳＤＴ"), [("USDT", "ＵＳＤＴ")]);
        assert_eq!(matched("付款：Ｕ-Ｓ-Ｄ-Ｔ 100"), [("USDT", "Ｕ-Ｓ-Ｄ-Ｔ")]);
        assert_eq!(matched("请\u{FEFF}转 泰 达 币 谢谢"), [("泰达币", "泰 达 币")]);
        assert_eq!(matched("u\u{200B}s\u{200B}d\u{200B}t!"), [("USDT", "u\u{200B}s\u{200B}d\u{200B}t")]);
        assert_eq!(matched("收usdt吗"), [("USDT", "usdt")]);
        assert_eq!(matched("é收Ｕ"), [("收U", "收Ｕ")]);
        assert_eq!(matched("火币入金"), [("火币", "火币"), ("入金", "入金")]);
        let hit = lexicon().scan("ÜSDT")[0];
        assert_eq!((hit.start, hit.end), (0, 5));
        // A decomposed `Ü` is one segment with its mark.
        let hit = lexicon().scan("xx U\u{308}SDT")[0];
        assert_eq!((hit.start, hit.end), (3, 9));
    }

    #[test]
    fn scan_into_appends() {
        let mut out = Vec::new();
        lexicon().scan_into("USDT", &mut out);
        lexicon().scan_into("饭钱", &mut out);
        lexicon().scan_into("比特币", &mut out);
        assert_eq!(out.iter().map(|h| h.term).collect::<Vec<_>>(), ["USDT", "比特币"]);
    }

    // --- lexicon files -----------------------------------------------------------------------

    #[test]
    fn lexicon_errors_name_the_line() {
        let err = |text: &str| Lexicon::from_csv(text).err();
        assert_eq!(err("# only comments\n\n"), Some(LexiconError::NoHeader));
        assert_eq!(
            err("# x\nterm,category\n"),
            Some(LexiconError::Header { line: 2, found: "term,category".into() })
        );
        // Line numbers count the comment and header lines of `csv`.
        assert_eq!(err(&csv("usdt,coin,code\n")), Some(LexiconError::FieldCount { line: 3, found: 3 }));
        assert_eq!(err(&csv("\n# c\n ,coin,code,strong,\n")), Some(LexiconError::EmptyTerm { line: 5 }));
        assert_eq!(
            err(&csv("usdt,coins,code,strong,\n")),
            Some(LexiconError::UnknownCategory { line: 3, value: "coins".into() })
        );
        assert_eq!(
            err(&csv("usdt,coin,fr,strong,\n")),
            Some(LexiconError::UnknownLang { line: 3, value: "fr".into() })
        );
        assert_eq!(
            err(&csv("usdt,coin,code,high,\n")),
            Some(LexiconError::BadWeight { line: 3, value: "high".into() })
        );
        assert_eq!(
            err(&csv("u盘,benign,zh,weak,\n")),
            Some(LexiconError::BadWeight { line: 3, value: "weak".into() })
        );
        for short in ["U", "币", "Ｕ", "u.", "\u{200B}u"] {
            assert_eq!(
                err(&csv(&format!("{short},coin,code,strong,\n"))),
                Some(LexiconError::TooShort { line: 3, term: short.into() })
            );
        }
        let long = "a".repeat(65);
        assert_eq!(
            err(&csv(&format!("{long},coin,en,strong,\n"))),
            Some(LexiconError::TooLong { line: 3, term: long })
        );
        assert_eq!(
            err(&csv("USDT,coin,code,strong,\n# same\nｕ-ｓ-ｄ-ｔ,coin,code,strong,\n")),
            Some(LexiconError::Duplicate {
                line: 5,
                term: "ｕ-ｓ-ｄ-ｔ".into(),
                normal: "usdt".into(),
                first_line: 3
            })
        );
        assert_eq!(err(&csv("usdt,coin,code,strong,\n")).and_then(|e| e.line()), None);
        assert_eq!(
            LexiconError::FieldCount { line: 7, found: 2 }.to_string(),
            "line 7: expected 5 fields (term,category,lang,weight,note), found 2"
        );
    }

    #[test]
    fn notes_may_hold_commas_and_rows_may_be_padded() {
        let lexicon =
            Lexicon::from_csv(&csv(" USDT , coin , code , strong , a note, with, commas\n")).unwrap();
        let hits = lexicon.scan("usdt");
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].term, hits[0].lang, hits[0].weight), ("USDT", Lang::Code, Weight::Strong));
    }

    // --- snapshot of a realistic corpus ------------------------------------------------------

    #[test]
    fn corpus_snapshot() {
        let corpus = [
            "饭钱",
            "3月房租",
            "AA 烧烤",
            "生日快乐🎂",
            "还款，谢谢",
            "U盘两个",
            "买U型枕",
            "bus fare",
            "youtube premium",
            "项目节点款 第二期",
            "银行承兑汇票贴息",
            "抹茶拿铁 x2",
            "USDT 500",
            "收U 7.2",
            "出u，速度",
            "U-S-D-T 1000",
            "ＵＳＤＴ（ＴＲＣ２０）",
            "泰.达.币 3000",
            "比 特 币",
            "t a i d a b i",
            "bitebi 0.1",
            "u\u{200B}s\u{200B}d\u{200B}t",
            "幣安充值",
            "OKX 入金",
            "火币合约保证金",
            "binance deposit",
            "蚂蚁矿机尾款",
            "wakuang touzi",
            "mining rig rental",
            "ICO认购 第一轮",
            "节点认购 5000",
            "超级节点 空投",
            "token sale round A",
            "承兑商 跑分",
            "场外交易 U商",
        ];
        let mut report = String::new();
        for memo in corpus {
            let hits = lexicon().scan(memo);
            report.push_str(&format!("{memo:?} -> {:?}\n", normalize(memo)));
            for h in hits {
                report.push_str(&format!(
                    "    {} ({}, {}, {}) {}..{} {:?}\n",
                    h.term,
                    h.category.as_str(),
                    h.lang.as_str(),
                    h.weight.as_str(),
                    h.start,
                    h.end,
                    &memo[h.start..h.end],
                ));
            }
        }
        insta::assert_snapshot!("corpus", report);
    }

    // --- properties --------------------------------------------------------------------------

    /// Pieces that build tricky memos: terms, their parts, separators, invisible and
    /// full-width characters, combining marks, emoji.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "u", "U", "Ｕ", "s", "d", "t", "usdt", "b", "tc", "btc", "泰", "达", "币", "達", "幣", "收",
            "买", "盘", "安", "人民", "交易", "所", "以", "tai", "da", "bi", "trc", "20", "２", "0", " ",
            ".", "-", "，", "・", "\u{200B}", "\u{FEFF}", "\u{00AD}", "\u{0308}", "\u{0336}", "🔥", "é",
            "㍿", "ß", "İ", "ﬁ",
        ])
    }

    fn memo_of_pieces() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..16).prop_map(|p| p.concat())
    }

    /// The invariants every scan keeps: spans are char-boundary ranges of the memo, in order,
    /// not overlapping, and the text there normalises to something containing the term.
    fn check_hits(memo: &str) -> Result<(), TestCaseError> {
        let hits = lexicon().scan(memo);
        let mut last_end = 0;
        for h in &hits {
            prop_assert!(h.start < h.end && h.end <= memo.len(), "{h:?}");
            prop_assert!(memo.is_char_boundary(h.start) && memo.is_char_boundary(h.end), "{h:?}");
            prop_assert!(h.start >= last_end, "overlap: {hits:?}");
            last_end = h.end;
            let text = memo.get(h.start..h.end).unwrap_or_default();
            prop_assert!(normalize(text).contains(&normalize(h.term)), "{h:?} {text:?}");
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn scan_never_panics_and_spans_are_valid(memo in any::<String>()) {
            check_hits(&memo)?;
        }

        #[test]
        fn scan_of_tricky_memos_keeps_its_invariants(memo in memo_of_pieces()) {
            check_hits(&memo)?;
        }

        #[test]
        fn zero_width_characters_are_transparent(pieces in prop::collection::vec(piece(), 0..12)) {
            // Zero-width spaces between the pieces change nothing (a combining mark would
            // then attach to the space instead of its letter, so leave those out).
            let pieces: Vec<&str> = pieces.into_iter().filter(|p| !p.starts_with(['\u{0308}', '\u{0336}'])).collect();
            let plain = pieces.concat();
            let hidden = pieces.join("\u{200B}");
            prop_assert_eq!(terms(&plain), terms(&hidden));
        }

        #[test]
        fn full_width_letters_are_the_same_as_ascii(memo in "[a-zA-Z0-9 .\\-]{0,20}") {
            let wide: String = memo
                .chars()
                .map(|c| if c.is_ascii_graphic() { char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c) } else { c })
                .collect();
            prop_assert_eq!(terms(&memo), terms(&wide));
        }
    }
}
