//! Name normalisation: from a name as written (any script, any punctuation, legal forms,
//! annotations) to the tokens the index and the scorer compare.
//!
//! The steps, in order, each a function below with its own tests:
//!
//! 1. [`variants`]: the forms a name stands for. A party label (`BENEFICIARY:`, `MESSRS.`), a
//!    `c/o …` tail and a branch annotation are dropped; `X (ex-Y)` is both `X` and `Y`; a
//!    name with a trailing `, …` clause or a parenthesised note also stands for itself without
//!    it (a port of registry, an address, a flag).
//! 2. [`fold`]: NFKC (full-width forms), lower case, traditional Chinese characters to
//!    simplified (`貿易` → `贸易`); legal forms written in a non-Latin script
//!    (`有限公司`, `株式会社`, `주식회사`, `בע"מ`) become their Latin equivalents, and a few
//!    Chinese business words are translated (`航运` → `shipping`), because a romanisation of
//!    them would never meet the English name.
//! 3. [`tokenize`]: Chinese characters become one pinyin token each (the `pinyin` crate) that
//!    remembers its character, so `币安` meets `Bi An` but not `必安`; Hangul syllables one
//!    token each too, which meets the Latin spellings of Korean names
//!    ([`crate::korean`]: `김정은` / `Kim Jong Un`); every other script goes
//!    through `any_ascii` (Cyrillic, Arabic, Hebrew, Greek, Georgian, Armenian, kana, Hangul,
//!    and Latin diacritics: `Kalčić` → `kalcic`); apostrophes vanish (`O'Doyle` → `odoyle`),
//!    other punctuation separates, and a run of single letters is one token (`N.K.`, `N K` →
//!    `nk`; `d. o. o.` → `doo`).
//! 4. [`classify`]: legal forms are taken out (with the jurisdictions they imply), vessel
//!    prefixes and stop words dropped, abbreviations expanded (`intl` → `international`),
//!    numerals unified (`No. 8`, `eight`, `VIII` → `8`), look-alike digits in words read as
//!    letters (`B1nance` → `binance`) but a handle's trailing digits kept as a number
//!    (`Tony73` → `tony 73`), and country words marked.
//!
//! [`phonetic_key`] then gives each token a key that forgets romanisation noise (`kh`/`h`,
//! doubled letters, `y`/`i`), and [`skeleton`] the consonants an abjad (Arabic, Hebrew)
//! spelling keeps.

use compact_str::CompactString;
use unicode_normalization::UnicodeNormalization;

/// What a token is, for the scorer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// An ordinary word.
    Word,
    /// A word a business adds to its brand without changing who it is (`exchange`,
    /// `official`, `global`): weighs little, missing or extra.
    Descriptor,
    /// A number (digits only, after numerals were unified): must match exactly.
    Number,
    /// A country or nationality word (`polska`, `uk`, `mexico`): a sibling marker.
    Country,
}

/// One token of a normalised name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The Latin form, lower case ASCII.
    pub text: CompactString,
    /// The Chinese character it was read from, if any.
    pub han: Option<char>,
    /// Came from an abjad script (Arabic, Hebrew), which writes few vowels.
    pub abjad: bool,
    /// Was written with a trailing dot (`Ind.`): may abbreviate a longer word.
    pub abbrev: bool,
    /// What it is.
    pub kind: TokenKind,
}

/// A name's legal form, found and taken out of its tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalForm {
    /// The form as matched (`sp zoo`, `gmbh`).
    pub form: &'static str,
    /// Countries where the form is native; empty for forms used everywhere (`ltd`, `llc`).
    pub countries: &'static [&'static str],
}

/// A normalised name form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The tokens that identify it, in order.
    pub tokens: Vec<Token>,
    /// Legal forms taken out.
    pub legal: Vec<LegalForm>,
    /// A reduced form (a clause or note dropped): scores slightly below the full one.
    pub reduced: bool,
    /// Every letter and digit of the name but its legal forms, as written (before stop words
    /// and abbreviations were handled): `EtsDiallo` and `Ets Diallo` meet here.
    pub compact: String,
}

impl Normalized {
    /// The tokens' Latin forms joined by spaces.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&t.text);
        }
        s
    }

    /// The tokens' Latin forms joined without spaces: the key that finds `EtsDiallo` for
    /// `Ets Diallo`.
    pub fn joined(&self) -> String {
        self.tokens.iter().map(|t| t.text.as_str()).collect()
    }
}

/// Every normalised form of a name (step 1 to 4); the first is the main one. Empty when
/// nothing identifying is left (a name of only punctuation or legal forms).
pub fn normalize(name: &str) -> Vec<Normalized> {
    let mut out: Vec<Normalized> = Vec::new();
    for (form, reduced) in variants(name) {
        let mut n = classify(tokenize(&fold(&form)));
        if n.tokens.is_empty() {
            continue;
        }
        n.reduced = reduced;
        if !out.iter().any(|o| o.tokens == n.tokens) {
            out.push(n);
        }
    }
    out
}

/// Step 1: the written forms a name stands for, each with whether it is reduced.
pub fn variants(name: &str) -> Vec<(String, bool)> {
    let base = strip_labels(name);
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut push = |s: String, reduced: bool| {
        let t = s.trim().trim_matches(|c: char| c == ',' || c == '-' || c.is_whitespace()).to_string();
        if !t.is_empty() && !out.iter().any(|(o, _)| *o == t) {
            out.push((t, reduced));
        }
    };
    // `X (ex-Y)` and `X ex Y`: a vessel or company under its former name.
    let (main, ex) = split_ex_name(&base);
    push(main.clone(), false);
    if let Some(ex) = ex {
        push(ex, false);
    }
    if let Some(i) = main.find('(') {
        let close = main[i..].find(')').map(|j| i + j);
        let inner = &main[i + 1..close.unwrap_or(main.len())];
        // `(Thailand)`, `(UK)`: a foreign subsidiary, not a note to drop.
        let country =
            inner.split_whitespace().any(|w| tables().country_words.contains(w.to_lowercase().as_str()));
        if !country {
            let mut without = String::from(&main[..i]);
            if let Some(j) = close {
                without.push(' ');
                without.push_str(&main[j + 1..]);
            }
            push(without, true);
        }
    }
    if let Some(i) = main.find(',') {
        let head = &main[..i];
        if head.split_whitespace().count() >= 2 {
            push(head.to_string(), true);
        }
    }
    out
}

/// Labels a payment message puts before a party (`BENEFICIARY:`, `FIELD 59:`, `MESSRS.`) and
/// notes after it (`c/o …`, `- Malindi Branch`, `(Kakamega Branch)`, `(… flag)`).
pub fn strip_labels(name: &str) -> String {
    let mut s = name.trim().to_string();
    // A label is up to three words and a colon at the start.
    if let Some(i) = s.find(':') {
        let head = &s[..i];
        if head.split_whitespace().count() <= 3 && !head.is_empty() && !s[i + 1..].starts_with('/') {
            s = s[i + 1..].trim().to_string();
        }
    }
    let lower = s.to_lowercase();
    for prefix in ["messrs.", "messrs ", "m/s ", "attn "] {
        if lower.starts_with(prefix) {
            s = s[prefix.len()..].trim().to_string();
            break;
        }
    }
    let lower = s.to_lowercase();
    // A quick look for the rare characters first: searching for a word costs more.
    let c_o = if lower.contains('/') { lower.find(" c/o ") } else { None };
    if let Some(i) = c_o.or_else(|| lower.find(" care of ")) {
        s.truncate(i);
    }
    // Branch and flag notes, in parentheses or after a dash or comma.
    let lower = s.to_lowercase();
    for word in [" branch", " flag)", " office"] {
        if word == " flag)" && !lower.contains(')') {
            continue;
        }
        if let Some(end) = lower.find(word) {
            let open = lower[..end].rfind(['(', ',']).or_else(|| lower[..end].rfind(" - "));
            if let Some(start) = open {
                let close = lower[end..].find(')').map_or(lower.len(), |j| end + j + 1);
                let close =
                    if word == " flag)" { close } else { close.max(end + word.len()).min(lower.len()) };
                let mut t = s[..start].to_string();
                t.push_str(&s[close..]);
                s = t;
                break;
            }
        }
    }
    s.trim().to_string()
}

fn split_ex_name(s: &str) -> (String, Option<String>) {
    // Every pattern opens a parenthesis.
    if !s.contains('(') {
        return (s.to_string(), None);
    }
    let lower = s.to_lowercase();
    for pat in ["(ex-", "(ex ", "(f/k/a ", "(fka ", "(formerly "] {
        if let Some(i) = lower.find(pat) {
            let rest = &s[i + pat.len()..];
            let end = rest.find(')').unwrap_or(rest.len());
            let mut main = s[..i].to_string();
            main.push_str(rest.get(end + 1..).unwrap_or(""));
            return (main, Some(rest[..end].to_string()));
        }
    }
    (s.to_string(), None)
}

/// Legal forms in scripts that are not romanised usefully, replaced by their Latin
/// equivalent before transliteration. Longest first.
const NATIVE_LEGAL: &[(&str, &str)] = &[
    ("股份有限公司", " co ltd "),
    ("有限责任公司", " llc "),
    ("有限責任公司", " llc "),
    ("有限公司", " co ltd "),
    ("株式会社", " kabushiki kaisha "),
    ("有限会社", " yugen kaisha "),
    ("合同会社", " godo kaisha "),
    ("주식회사", " jusik hoesa "),
    ("(주)", " jusik hoesa "),
    ("בע\"מ", " ltd "),
    ("בע״מ", " ltd "),
    ("ՍՊԸ", " llc "),
    ("შპს", " llc "),
    ("ကုမ္ပဏီလီမိတက်", " co ltd "),
    ("公司", " co "),
];

/// Chinese business words whose English translation is what a Latin name carries (a
/// romanisation of them would not meet it). Kept short on purpose: only words that are never
/// a distinctive part of a name.
const ZH_WORDS: &[(&str, &str)] = &[
    // Longest first: a word inside a longer one must not be replaced before it.
    ("石油化工", " petrochemical "),
    ("进出口", " import export "),
    ("自动化", " automation "),
    ("房地产", " real estate "),
    ("交易所", " exchange "),
    ("石化", " petrochemical "),
    ("石油", " petroleum "),
    ("化工", " chemical "),
    ("化学", " chemical "),
    ("能源", " energy "),
    ("电力", " power "),
    ("电子", " electronic "),
    ("电气", " electric "),
    ("通信", " communication "),
    ("信息", " information "),
    ("技术", " technology "),
    ("软件", " software "),
    ("船务", " shipping "),
    ("船舶", " shipping "),
    ("海运", " shipping "),
    ("运输", " transport "),
    ("货运", " freight "),
    ("储运", " storage transport "),
    ("代理", " agency "),
    ("实业", " industrial "),
    ("工业", " industrial "),
    ("发展", " development "),
    ("商贸", " trading "),
    ("设备", " equipment "),
    ("仪器", " instrument "),
    ("材料", " material "),
    ("金属", " metal "),
    ("钢铁", " steel "),
    ("矿业", " mining "),
    ("医药", " pharmaceutical "),
    ("制药", " pharmaceutical "),
    ("生物", " biological "),
    ("食品", " food "),
    ("纺织", " textile "),
    ("服装", " garment "),
    ("建筑", " construction "),
    ("工程", " engineering "),
    ("咨询", " consulting "),
    ("管理", " management "),
    ("服务", " service "),
    ("金融", " financial "),
    ("资本", " capital "),
    ("证券", " securities "),
    ("保险", " insurance "),
    ("环球", " global "),
    ("全球", " global "),
    ("联合", " united "),
    ("航空", " aviation "),
    ("港口", " port "),
    ("码头", " terminal "),
    ("原油", " crude oil "),
    ("油品", " oil products "),
    ("检验", " inspection "),
    ("认证", " certification "),
    ("远洋", " ocean "),
    ("航运", " shipping "),
    ("精密", " precision "),
    ("机械", " machinery "),
    ("物流", " logistics "),
    ("贸易", " trading "),
    ("科技", " technology "),
    ("国际", " international "),
    ("集团", " group "),
    ("控股", " holdings "),
    ("投资", " investment "),
    ("网络", " network "),
    ("银行", " bank "),
];

/// Traditional → simplified Chinese characters (`data/t2s.txt`): a Hong Kong or Taiwan
/// name (`望舒貿易`) meets the same name in simplified characters (`望舒贸易`), and the
/// tables above are written in simplified.
const T2S: &str = include_str!("../data/t2s.txt");

fn simplified(c: char) -> char {
    static MAP: std::sync::LazyLock<hashbrown::HashMap<char, char>> = std::sync::LazyLock::new(|| {
        T2S.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut it = l.split_whitespace().filter_map(|w| w.chars().next());
                Some((it.next()?, it.next()?))
            })
            .collect()
    });
    if is_han(c) { MAP.get(&c).copied().unwrap_or(c) } else { c }
}

/// Step 2: NFKC, lower case, traditional Chinese characters to simplified, native legal
/// forms and Chinese business words to Latin.
pub fn fold(s: &str) -> String {
    // ASCII is its own NFKC, and nothing below applies to it but lower case.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut t: String = s.nfkc().collect();
    if !t.is_ascii() {
        t = t.chars().map(simplified).collect();
        // Business words are translated in a company's name, not in a person's: `张发展` is
        // Zhang Fazhan, `发展` in `华为技术发展有限公司` is Development. A Chinese person's
        // name has two to four characters.
        let company = t.chars().filter(|&c| is_han(c)).count() >= 5;
        // Before lower-casing: the table holds the forms as written (Armenian `ՍՊԸ`).
        for (from, to) in NATIVE_LEGAL.iter().chain(if company { ZH_WORDS } else { &[] }) {
            if t.contains(from) {
                t = t.replace(from, to);
            }
        }
    }
    t.chars().flat_map(char::to_lowercase).collect()
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn is_abjad(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x05FF | 0x0600..=0x06FF | 0x0750..=0x077F | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Characters read otherwise in names than their first reading (`长` is first `zhang`, in
/// `长根` `chang`; the surname `仇` is `Qiu`, `单` `Shan`, `曾` `Zeng`): every reading a name
/// may be written with. Curated rather than the `pinyin` crate's heteronyms, whose archaic
/// readings (`潘` as `bo`, `浩` as `gao`) would make strangers' names meet.
const NAME_READINGS: &[(char, &[&str])] = &[
    ('长', &["chang", "zhang"]),
    ('仇', &["qiu", "chou"]),
    ('单', &["shan", "dan"]),
    ('区', &["ou", "qu"]),
    ('曾', &["zeng", "ceng"]),
    ('解', &["xie", "jie"]),
    ('朴', &["piao", "pu", "po"]),
    ('查', &["zha", "cha"]),
    ('盖', &["ge", "gai"]),
    ('尉', &["yu", "wei"]),
    ('乐', &["yue", "le"]),
    ('重', &["chong", "zhong"]),
    ('行', &["xing", "hang"]),
    ('藏', &["zang", "cang"]),
    ('参', &["shen", "can"]),
    ('都', &["du", "dou"]),
    ('传', &["chuan", "zhuan"]),
    ('种', &["chong", "zhong"]),
    ('缪', &["miao", "mou", "miu"]),
    ('翟', &["zhai", "di"]),
    ('召', &["shao", "zhao"]),
    ('覃', &["qin", "tan"]),
    ('宿', &["su", "xiu"]),
    ('秘', &["bi", "mi"]),
    ('柏', &["bai", "bo"]),
    ('员', &["yun", "yuan"]),
    ('朝', &["chao", "zhao"]),
    ('晟', &["sheng", "cheng"]),
    ('贾', &["jia", "gu"]),
    ('调', &["diao", "tiao"]),
    ('省', &["sheng", "xing"]),
    ('角', &["jiao", "jue"]),
    ('隗', &["wei", "kui"]),
    ('大', &["da", "dai"]),
    ('万', &["wan", "mo"]),
];

/// The readings [`NAME_READINGS`] gives a character (empty for most): binary search over
/// the table sorted once, as this runs for every Chinese–Latin token pair scored.
pub fn name_readings(c: char) -> &'static [&'static str] {
    static SORTED: std::sync::LazyLock<Vec<(char, &'static [&'static str])>> =
        std::sync::LazyLock::new(|| {
            let mut v = NAME_READINGS.to_vec();
            v.sort_unstable_by_key(|e| e.0);
            v
        });
    SORTED.binary_search_by_key(&c, |e| e.0).ok().and_then(|i| SORTED.get(i)).map_or(&[], |e| e.1)
}

/// Every reading of a Chinese character a name may be written with (the first reading
/// first).
pub fn readings(c: char) -> Vec<&'static str> {
    use pinyin::ToPinyin;
    let mut out: Vec<&'static str> = c.to_pinyin().map(|p| p.plain()).into_iter().collect();
    for r in name_readings(c) {
        if !out.contains(r) {
            out.push(r);
        }
    }
    out
}

/// Whether a Chinese character has `latin` among its name readings other than the first
/// (which is the token's own text, compared before this).
pub fn reads_as(c: char, latin: &str) -> bool {
    name_readings(c).contains(&latin)
}

/// A raw token before classification.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawToken {
    /// Lower-case ASCII letters and digits.
    pub text: String,
    /// The Chinese character it came from.
    pub han: Option<char>,
    /// From an abjad script.
    pub abjad: bool,
    /// Followed by a dot in the original.
    pub dot: bool,
    /// Written right after a hyphen (`in` of `Jae-in`): part of a name, never a stop word.
    pub hyphen: bool,
}

/// Step 3: tokens. Chinese characters one pinyin syllable each, other scripts through
/// `any_ascii`, apostrophes removed, other punctuation separating, runs of single letters
/// joined.
pub fn tokenize(s: &str) -> Vec<RawToken> {
    use pinyin::ToPinyin;
    let mut out: Vec<RawToken> = Vec::new();
    let mut cur = RawToken::default();
    let flush = |cur: &mut RawToken, out: &mut Vec<RawToken>, dot: bool| {
        if !cur.text.is_empty() {
            cur.dot = dot;
            out.push(std::mem::take(cur));
        } else {
            cur.abjad = false;
        }
    };
    // Italian `F.lli` (fratelli) would otherwise split into `f` and `lli`.
    let s: std::borrow::Cow<'_, str> =
        if s.contains("f.lli") { s.replace("f.lli", "fratelli").into() } else { s.into() };
    let mut after_hyphen = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if cur.text.is_empty() {
                cur.hyphen = after_hyphen;
            }
            cur.text.push(c.to_ascii_lowercase());
        } else if matches!(c, '\'' | '’' | '`' | 'ʼ' | '‘' | '´' | 'ʻ') {
            // An apostrophe joins: `O'Doyle` is `odoyle`, `d'Abidjan` `dabidjan`.
        } else if is_han(c) {
            flush(&mut cur, &mut out, false);
            if let Some(p) = c.to_pinyin() {
                out.push(RawToken { text: p.plain().to_string(), han: Some(c), ..RawToken::default() });
            }
        } else if crate::korean::is_hangul(c) {
            // One token per syllable, like a Chinese character: a Korean name is written
            // with or without spaces, and its syllables are what a Latin spelling meets.
            flush(&mut cur, &mut out, false);
            let text: String =
                any_ascii::any_ascii_char(c).chars().filter(char::is_ascii_alphanumeric).collect();
            out.push(RawToken { text: text.to_ascii_lowercase(), han: Some(c), ..RawToken::default() });
        } else if c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c) {
            let ascii = any_ascii::any_ascii_char(c);
            if is_abjad(c) {
                cur.abjad = true;
            }
            for a in ascii.chars() {
                if a.is_ascii_alphanumeric() {
                    if cur.text.is_empty() {
                        cur.hyphen = after_hyphen;
                    }
                    cur.text.push(a.to_ascii_lowercase());
                } else if a == ' ' {
                    flush(&mut cur, &mut out, false);
                }
                // `any_ascii` writes Arabic ʿayn and hamza as quote marks: dropped like
                // apostrophes.
            }
        } else {
            flush(&mut cur, &mut out, c == '.');
            after_hyphen = c == '-';
        }
    }
    flush(&mut cur, &mut out, false);
    join_single_letters(out)
}

/// `n k bansal` → `nk bansal`, `s a de c v` → `sa de cv`: initials and dotted legal forms are
/// written with and without dots and spaces.
fn join_single_letters(mut tokens: Vec<RawToken>) -> Vec<RawToken> {
    let single =
        |t: &RawToken| t.han.is_none() && t.text.len() == 1 && t.text.as_bytes()[0].is_ascii_alphabetic();
    // Nothing to join: most names.
    if !tokens.windows(2).any(|w| single(&w[0]) && single(&w[1])) {
        return tokens;
    }
    let mut out: Vec<RawToken> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let single =
            |t: &RawToken| t.han.is_none() && t.text.len() == 1 && t.text.as_bytes()[0].is_ascii_alphabetic();
        let mut j = i;
        while j < tokens.len() && single(&tokens[j]) {
            j += 1;
        }
        if j - i >= 2 {
            let text: String = tokens[i..j].iter().map(|t| t.text.as_str()).collect();
            out.push(RawToken { text, ..RawToken::default() });
            i = j;
        } else {
            out.push(std::mem::take(&mut tokens[i]));
            i += 1;
        }
    }
    out
}

/// Legal forms, as token sequences after [`tokenize`], with the countries where each is
/// native (empty: used everywhere, including as the English translation of a local form).
const LEGAL_FORMS: &[(&str, &[&str])] = &[
    ("spolka z ograniczona odpowiedzialnoscia", &["pl"]),
    ("spolka komandytowo akcyjna", &["pl"]),
    ("spolka komandytowa", &["pl"]),
    ("spolka jawna", &["pl"]),
    ("korlatolt felelossegu tarsasag", &["hu"]),
    ("public limited company", &["gb", "ie"]),
    ("limited liability company", &[]),
    ("commanditaire vennootschap", &["id", "nl"]),
    ("perseroan terbatas", &["id"]),
    ("sendirian berhad", &["my"]),
    ("kabushiki kaisha", &["jp"]),
    ("yugen kaisha", &["jp"]),
    ("godo kaisha", &["jp"]),
    ("jusik hoesa", &["kr"]),
    ("societa cooperativa", &["it"]),
    ("private limited", &["in", "pk"]),
    ("pvt ltd", &["in", "pk"]),
    ("pvt limited", &["in", "pk"]),
    ("pty ltd", &["au", "za"]),
    ("pty limited", &["au", "za"]),
    ("pte ltd", &["sg"]),
    ("sdn bhd", &["my"]),
    ("sa de cv", &["mx"]),
    ("s de rl", &["mx"]),
    ("ltd sti", &["tr"]),
    // `Sp. z o.o. S.K.A.`: the single letters of both forms run together.
    ("sp zooska", &["pl"]),
    ("sp zoo", &["pl"]),
    ("sp j", &["pl"]),
    ("sp k", &["pl"]),
    ("fz llc", &["ae"]),
    ("co ltd", &[]),
    ("company limited", &[]),
    ("incorporated", &["us", "ca", "ph"]),
    ("corporation", &[]),
    ("company", &[]),
    ("limited", &[]),
    ("ltd", &[]),
    ("llc", &[]),
    ("llp", &[]),
    ("plc", &["gb", "ie"]),
    ("inc", &["us", "ca", "ph"]),
    ("corp", &[]),
    ("co", &[]),
    ("jsc", &[]),
    ("pjsc", &[]),
    ("est", &[]),
    ("gmbh", &["de", "at", "ch"]),
    ("ag", &["de", "at", "ch"]),
    ("kg", &["de", "at"]),
    ("ug", &["de"]),
    ("ohg", &["de"]),
    ("bv", &["nl", "be"]),
    ("nv", &["nl", "be"]),
    ("sarl", &["fr", "ci", "sn", "ml", "ma", "cm", "lu"]),
    ("suarl", &["fr", "ci", "sn", "ml", "cm"]),
    ("eurl", &["fr"]),
    ("sas", &[]),
    ("sa", &[]),
    ("sac", &["pe"]),
    ("saa", &["pe"]),
    ("sl", &["es"]),
    ("slu", &["es"]),
    ("srl", &["it", "ro", "ar"]),
    ("spa", &["it", "cl"]),
    ("snc", &["it", "fr"]),
    ("ltda", &["br", "pt", "co"]),
    ("kft", &["hu"]),
    ("zrt", &["hu"]),
    ("ska", &["pl"]),
    ("doo", &["si", "hr", "rs", "ba", "me"]),
    ("dd", &["si", "hr", "ba"]),
    ("ooo", &["ru"]),
    ("zao", &["ru"]),
    ("oao", &["ru"]),
    ("pao", &["ru"]),
    ("tov", &["ua"]),
    ("fop", &["ua"]),
    ("prat", &["ua"]),
    ("chao", &["ua"]),
    ("ip", &["ru", "by", "kz"]),
    ("ou", &["ee"]),
    ("as", &["ee", "no", "tr", "lv", "dk"]),
    ("uab", &["lt"]),
    ("oy", &["fi"]),
    ("oyj", &["fi"]),
    ("ab", &["se"]),
    ("aps", &["dk"]),
    ("kk", &["jp"]),
    ("fze", &["ae"]),
    ("fzco", &["ae"]),
    ("pt", &["id"]),
    ("cv", &["id", "nl"]),
    ("bhd", &["my"]),
    ("coop", &[]),
    ("gie", &["fr", "ci", "sn"]),
];

/// Vessel-type prefixes (`MV`, `M/T`, `SS`) that a list may or may not write.
const VESSEL_PREFIXES: &[&str] = &["mv", "mt", "ss", "tb", "nm", "msv", "mts", "fv", "my"];

/// Words that carry no identity: conjunctions, articles and prepositions in the languages of
/// the lists.
const STOP_WORDS: &[&str] = &[
    "and", "the", "of", "for", "et", "e", "y", "und", "i", "in", "de", "da", "do", "du", "des", "del",
    "della", "di", "d", "la", "le", "les", "el", "al", "l", "van", "der", "den", "von", "wa", "c",
];

/// Common abbreviations of business words, written out.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("intl", "international"),
    ("int", "international"),
    ("svcs", "services"),
    ("svc", "services"),
    ("mgmt", "management"),
    ("mgt", "management"),
    ("assoc", "associates"),
    ("assn", "association"),
    ("bros", "brothers"),
    ("mfg", "manufacturing"),
    ("engg", "engineering"),
    ("eng", "engineering"),
    ("ind", "industria"),
    ("inds", "industries"),
    ("com", "comercio"),
    ("cia", "compania"),
    ("comm", "commendatore"),
    ("commendator", "commendatore"),
    ("dept", "department"),
    ("natl", "national"),
    ("tech", "technology"),
    ("trdg", "trading"),
    ("ent", "enterprises"),
    ("grp", "group"),
    ("hldgs", "holdings"),
    ("invest", "investment"),
    ("przeds", "przedsiebiorstwo"),
    ("handl", "handlowe"),
    ("ets", "etablissements"),
    ("sped", "spedizioni"),
    ("st", "saint"),
];

/// Number words and Roman numerals, as digits.
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("first", "1"),
    ("second", "2"),
    ("third", "3"),
    ("ii", "2"),
    ("iii", "3"),
    ("iv", "4"),
    ("vi", "6"),
    ("vii", "7"),
    ("viii", "8"),
    ("ix", "9"),
    ("xi", "11"),
    ("xii", "12"),
];

/// Country names, adjectives and codes that turn a name into a foreign sibling's
/// (`Olvetra Polska`, `Lundqvist Hydraulics (UK)`).
const COUNTRY_WORDS: &[&str] = &[
    "uk",
    "usa",
    "us",
    "canada",
    "mexico",
    "brasil",
    "brazil",
    "polska",
    "poland",
    "thailand",
    "china",
    "india",
    "japan",
    "korea",
    "germany",
    "deutschland",
    "france",
    "italia",
    "italy",
    "espana",
    "spain",
    "senegal",
    "ghana",
    "mali",
    "nigeria",
    "kenya",
    "tanzania",
    "uganda",
    "singapore",
    "malaysia",
    "indonesia",
    "vietnam",
    "philippines",
    "australia",
    "europe",
    "asia",
    "africa",
    "russia",
    "turkey",
    "emirates",
    "dubai",
    "hongkong",
    "taiwan",
    "t",
    "k",
    "mexicana",
    "mexicano",
    "brasileira",
    "senegalaise",
    "malienne",
    "ivoirienne",
    "ghaneenne",
    "guineenne",
];

/// Words that describe a brand rather than name it (`币安交易所` is Binance).
const DESCRIPTORS: &[&str] = &["exchange", "official", "global", "app", "platform"];

type WordSet = hashbrown::HashSet<&'static str, foldhash::fast::FixedState>;
type WordMap<V> = hashbrown::HashMap<&'static str, V, foldhash::fast::FixedState>;

/// The word tables as hash sets and maps, made once: they are read for every token of every
/// name screened, and scanning them (and splitting every legal form into words at every
/// token) was a sixth of normalising a query.
struct Tables {
    vessel_prefixes: WordSet,
    stop_words: WordSet,
    abbreviations: WordMap<&'static str>,
    number_words: WordMap<&'static str>,
    country_words: WordSet,
    descriptors: WordSet,
    /// The legal forms by their first word, each as its words, in [`LEGAL_FORMS`]' order.
    legal_by_first: WordMap<Vec<LegalEntry>>,
}

/// A legal form: its words, the form, its countries.
type LegalEntry = (Vec<&'static str>, &'static str, &'static [&'static str]);

fn tables() -> &'static Tables {
    static T: std::sync::LazyLock<Tables> = std::sync::LazyLock::new(|| {
        let set = |words: &[&'static str]| words.iter().copied().collect::<WordSet>();
        let map = |pairs: &[(&'static str, &'static str)]| {
            let mut m = WordMap::default();
            for &(k, v) in pairs {
                // The first of a word's entries is the one a scan would find.
                m.entry(k).or_insert(v);
            }
            m
        };
        let mut legal_by_first: WordMap<Vec<LegalEntry>> = WordMap::default();
        for &(form, countries) in LEGAL_FORMS {
            let words: Vec<&'static str> = form.split(' ').collect();
            if let Some(&first) = words.first() {
                legal_by_first.entry(first).or_default().push((words, form, countries));
            }
        }
        Tables {
            vessel_prefixes: set(VESSEL_PREFIXES),
            stop_words: set(STOP_WORDS),
            abbreviations: map(ABBREVIATIONS),
            number_words: map(NUMBER_WORDS),
            country_words: set(COUNTRY_WORDS),
            descriptors: set(DESCRIPTORS),
            legal_by_first,
        }
    });
    &T
}

/// Step 4: legal forms out, prefixes and stop words dropped, abbreviations, numerals, digits
/// in words, countries.
pub fn classify(raw: Vec<RawToken>) -> Normalized {
    let tables = tables();
    let mut n = Normalized::default();
    let mut raw = raw;
    // Vessel prefix at the start (`mv`, `m v` was already joined to `mv`).
    if raw.len() > 1 && raw.first().is_some_and(|t| tables.vessel_prefixes.contains(t.text.as_str())) {
        raw.remove(0);
    }
    let legal = legal_spans(&raw);
    let mut i = 0;
    let mut toks: Vec<Token> = Vec::with_capacity(raw.len());
    while i < raw.len() {
        if let Some(&(_, len, form, countries)) = legal.iter().find(|l| l.0 == i) {
            n.legal.push(LegalForm { form, countries });
            i += len;
            continue;
        }
        let t = &raw[i];
        i += 1;
        n.compact.push_str(&t.text);
        let mut text = t.text.as_str();
        // `No. 8`, `No.3`: the number is what counts.
        if (text == "no" || text == "nr")
            && raw.get(i).is_some_and(|n| n.text.bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        // `Du`, `Di`, `Le` open a Chinese person's name as its surname (`Du Changgen`: 杜).
        let surname = i == 1 && raw.len() <= 3 && matches!(text, "du" | "di" | "le");
        if t.han.is_none()
            && !t.hyphen
            && !surname
            && tables.stop_words.contains(text)
            && !(text == "i" && i == raw.len())
        {
            continue;
        }
        let mut kind = TokenKind::Word;
        let mut owned: String;
        // A syllable read from a Chinese character or Hangul is never an English
        // abbreviation, number word or Roman numeral (`이` is `i`, not `I`).
        let latin = t.han.is_none();
        if let Some(full) = tables.abbreviations.get(text).filter(|_| latin) {
            text = full;
        }
        if let Some(d) = tables.number_words.get(text).filter(|_| latin) {
            text = d;
        } else if latin && (text == "i" || (i == raw.len() && (text == "v" || text == "x"))) {
            // A lone Roman numeral at the end (`Sino Iron I`).
            text = match text {
                "i" => "1",
                "v" => "5",
                _ => "10",
            };
        }
        // A handle's trailing digits (`Tony73`, `Amy45`) are a number of their own, not
        // letters in disguise (`B1nance`): `Tony73` is `tony 73`, never `tonyte`.
        let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
        if t.han.is_none()
            && letters >= 2
            && letters < text.len()
            && text.bytes().skip(letters).all(|b| b.is_ascii_digit())
        {
            let (word, digits) = text.split_at(letters);
            toks.push(Token {
                text: CompactString::new(word),
                han: None,
                abjad: t.abjad,
                abbrev: false,
                kind: TokenKind::Word,
            });
            let d = digits.trim_start_matches('0');
            text = if d.is_empty() { "0" } else { d };
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            kind = TokenKind::Number;
            owned = text.trim_start_matches('0').to_string();
            if owned.is_empty() {
                owned.push('0');
            }
        } else {
            owned = unleet(text);
        }
        if t.han.is_none() && tables.country_words.contains(owned.as_str()) {
            kind = TokenKind::Country;
        } else if tables.descriptors.contains(owned.as_str()) {
            kind = TokenKind::Descriptor;
        }
        toks.push(Token {
            text: CompactString::new(&owned),
            han: t.han,
            abjad: t.abjad,
            abbrev: t.dot,
            kind,
        });
    }
    n.tokens = toks;
    n
}

/// The legal forms to take out: (start, length, form, countries). Only forms at the start
/// or the end of the name (or in a chain of forms reaching either: `Sp. z o.o. Sp. k.`),
/// and only if a word of three letters or more (or a Chinese character) is left: `Ou Yi`
/// (pinyin of 欧易) is not an Estonian `OÜ` company called `Yi`.
fn legal_spans(raw: &[RawToken]) -> Vec<(usize, usize, &'static str, &'static [&'static str])> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        match legal_form_at(raw, i) {
            Some((len, form, countries)) => {
                found.push((i, len, form, countries));
                i += len;
            }
            None => i += 1,
        }
    }
    let mut keep: Vec<(usize, usize, &'static str, &'static [&'static str])> = Vec::new();
    let mut at = 0;
    for f in &found {
        if f.0 == at {
            keep.push(*f);
            at += f.1;
        }
    }
    let mut end = raw.len();
    for f in found.iter().rev() {
        if f.0 + f.1 == end && !keep.contains(f) {
            keep.push(*f);
            end = f.0;
        } else if f.0 + f.1 == end {
            end = f.0;
        }
    }
    let covered = |k: usize| keep.iter().any(|f| (f.0..f.0 + f.1).contains(&k));
    let left = (0..raw.len())
        .any(|k| !covered(k) && raw.get(k).is_some_and(|t| t.han.is_some() || t.text.len() >= 3));
    if left { keep } else { Vec::new() }
}

/// The longest legal form starting at token `i` (the first in [`LEGAL_FORMS`] of equally
/// long ones): (its number of tokens, the form, its countries).
fn legal_form_at(raw: &[RawToken], i: usize) -> Option<(usize, &'static str, &'static [&'static str])> {
    let first = raw.get(i).filter(|t| t.han.is_none())?;
    let mut best: Option<(usize, &'static str, &'static [&'static str])> = None;
    for (words, form, countries) in tables().legal_by_first.get(first.text.as_str())? {
        let k = words.len();
        let ok = words
            .iter()
            .enumerate()
            .skip(1)
            .all(|(n, w)| raw.get(i + n).is_some_and(|t| t.han.is_none() && t.text == *w));
        if ok && best.is_none_or(|(l, _, _)| k > l) {
            best = Some((k, form, countries));
        }
    }
    best
}

/// Digits inside a word that starts with a letter are read as the letters they imitate
/// (`b1nance` → `binance`, `0kx` stays a number-word as it starts with a digit).
pub fn unleet(s: &str) -> String {
    let b = s.as_bytes();
    let leet = b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().filter(|c| c.is_ascii_alphabetic()).count() >= 3;
    if !leet {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '8' => 'b',
            other => other,
        })
        .collect()
}

/// A key that forgets the usual differences between romanisations of one name: doubled
/// letters, `kh`/`h`, `ph`/`f`, `w`/`v`, `y`/`i`, `q`/`k`, `ck`/`k`, `ee`/`i`, `ou`/`u`,
/// `zh`/`j` and a `j` inside a word as `y` (`Werchnjaja` = `Verkhnyaya`).
///
/// Hand-written: the phonetic crates (Soundex, Metaphone) collapse far more, so `Mining` and
/// `Dining` or `Pier` and `Peer` would meet; this key only undoes spelling conventions.
pub fn phonetic_key(s: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    phonetic_key_into(s, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`phonetic_key`]'s bytes, written into `out` (emptied first), for a caller that reuses a
/// buffer; [`phonetic_key`] is these bytes, or empty when they are not UTF-8.
pub fn phonetic_key_into(s: &str, out: &mut Vec<u8>) {
    out.clear();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let (emit, step): (&[u8], usize) = match (c, next) {
            (b'k', Some(b'h')) => (b"h", 2),
            // `ch` inside a word is the `kh` sound in German and Hebrew romanisations
            // (`Rachamim` = `Rakhamim`, `Werchnjaja` = `Verkhnyaya`).
            (b'c', Some(b'h')) if i > 0 && i + 2 < b.len() => (b"h", 2),
            (b'p', Some(b'h')) => (b"f", 2),
            (b'z', Some(b'h')) => (b"j", 2),
            (b'c', Some(b'k')) => (b"k", 2),
            (b'e', Some(b'e')) => (b"i", 2),
            (b'o', Some(b'u')) => (b"u", 2),
            (b'o', Some(b'w')) if b.get(i + 2).is_some_and(|c| !b"aeiou".contains(c)) => (b"u", 2),
            (b't', Some(b'z')) | (b't', Some(b's')) => (b"c", 2),
            (b'x', _) => (b"ks", 1),
            (b'w', _) => (b"v", 1),
            (b'y', _) => (b"i", 1),
            (b'q', _) => (b"k", 1),
            (b'j', _) if i > 0 => (b"i", 1),
            _ => (std::slice::from_ref(&b[i]), 1),
        };
        for &e in emit {
            // Doubled letters (after mapping) count once.
            if out.last() != Some(&e) {
                out.push(e);
            }
        }
        i += step;
    }
    // Slavic endings: `-vich`, `-vitz`, `-wicz` (now `vih`/`vic`/`vicz`) are one; a final
    // `-iy`/`-ii`/`-i` (now `i`) is often dropped (`Vasil` / `Vasilii`, Georgian `Spiriti`).
    for (from, to) in [(&b"vicz"[..], &b"vic"[..]), (b"vih", b"vic"), (b"vich", b"vic")] {
        if out.ends_with(from) {
            out.truncate(out.len() - from.len());
            out.extend_from_slice(to);
        }
    }
    if out.len() >= 5 && out.last() == Some(&b'i') {
        out.pop();
    }
}

/// The consonants an abjad spelling writes: `mhmd` for both `محمد` (any_ascii `mhmd`) and
/// `Mohamed`. Vowels, the letters Arabic and Hebrew also use as vowels (`w`, `y`, `v`),
/// and quote marks are dropped; `kh` is `k`; doubles count once.
pub fn skeleton(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        let c = match c {
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'w' | b'v' => continue,
            b'k' if b.get(i) == Some(&b'h') => {
                i += 1;
                'k'
            }
            b'q' | b'c' => 'k',
            other => other as char,
        };
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(name: &str) -> Vec<String> {
        normalize(name).iter().map(Normalized::text).collect()
    }

    fn main_text(name: &str) -> String {
        normalize(name).first().map(Normalized::text).unwrap_or_default()
    }

    #[test]
    fn case_diacritics_punctuation_and_spacing() {
        assert_eq!(main_text("SARL Traoré Commerce"), main_text("sarl traore  commerce"));
        assert_eq!(main_text("Kalčić Trgovina d.o.o."), "kalcic trgovina");
        assert_eq!(main_text("Łączyńska Wytwórnia"), "laczynska wytwornia");
        assert_eq!(main_text("Groupe Diarra Import-Export"), "groupe diarra import export");
        assert_eq!(main_text("O'Doyle Grazing"), "odoyle grazing");
        assert_eq!(main_text("N.K. Bansal & Co."), main_text("N K Bansal and Co"));
        assert_eq!(main_text("ＢＩＮＡＮＣＥ"), "binance");
    }

    #[test]
    fn legal_forms_are_taken_out_with_their_countries() {
        for (a, b) in [
            ("Anglo-Caribbean Co., Ltd.", "anglo caribbean"),
            ("Fabjan Prevozi d. o. o.", "fabjan prevozi"),
            ("Bursztynowa Przystań Sp. z o.o.", "bursztynowa przystan"),
            ("BURSZTYNOWA PRZYSTAN SPOLKA Z OGRANICZONA ODPOWIEDZIALNOSCIA", "bursztynowa przystan"),
            ("Rancho Vercel Importadora S.A. de C.V.", "rancho vercel importadora"),
            ("Olvetra GmbH", "olvetra"),
            ("深圳币安科技有限公司", "shen zhen bi an technology"),
            ("株式会社霜月水産", "shuang yue shui chan"),
            ("Tõrva Puidutöö OÜ", "torva puidutoo"),
        ] {
            assert_eq!(main_text(a), b, "{a}");
        }
        let n = normalize("Korvessa Industrial Sdn. Bhd.");
        assert_eq!(n[0].legal[0].countries, &["my"]);
        // A name that is only a legal form keeps it; a form in the middle stays a word.
        assert_eq!(main_text("Limited"), "limited");
        assert_eq!(main_text("Ou Yi"), "ou yi");
        assert_eq!(
            main_text("Alpina Trasporti S.a.s. di Qualizza Renzo & C."),
            "alpina trasporti sas qualizza renzo"
        );
    }

    #[test]
    fn token_order_is_kept_for_the_scorer_to_ignore() {
        assert_eq!(main_text("Keita Distribution SUARL"), main_text("SUARL Keita Distribution"));
    }

    #[test]
    fn korean_syllables_are_tokens() {
        assert_eq!(main_text("김정은"), "gim jeong eun");
        assert_eq!(main_text("이민호"), "i min ho");
        assert!(normalize("이민호")[0].tokens.iter().all(|t| t.han.is_some()));
    }

    #[test]
    fn transliteration() {
        assert_eq!(main_text("币安"), "bi an");
        let t = &normalize("币安")[0].tokens;
        assert_eq!(t[0].han, Some('币'));
        assert_eq!(main_text("Владимир Путин"), "vladimir putin");
        assert_eq!(main_text("Дмитрий Медведев"), "dmitriy medvedev");
        assert_eq!(main_text("محمد علي"), "mhmd ly");
        assert!(normalize("محمد علي")[0].tokens[0].abjad);
        assert_eq!(main_text("Αλέξανδρος"), "alexandros");
        assert_eq!(main_text("შპს კვინიკაძე მეტალი"), "kvinikadze metali");
    }

    #[test]
    fn abbreviations_numbers_and_digits_in_words() {
        assert_eq!(main_text("Harrowvane Intl Freight Svcs"), "harrowvane international freight services");
        assert_eq!(main_text("Delancourt Bros. Mfg. Co."), "delancourt brothers manufacturing");
        assert_eq!(main_text("Hoshikaze Maru No. 8"), "hoshikaze maru 8");
        assert_eq!(main_text("Brasskey Shipping Three Inc."), "brasskey shipping 3");
        assert_eq!(main_text("Seraphine Navigation IX S.A."), "seraphine navigation 9");
        assert_eq!(main_text("Sino Iron I"), "sino iron 1");
        assert_eq!(main_text("B1nance"), "binance");
        assert_eq!(main_text("Tony73"), "tony 73");
        assert_eq!(main_text("Amy045"), "amy 45");
        assert_eq!(main_text("F.lli Brunaccini snc"), "fratelli brunaccini");
        let n = normalize("Ind. e Com.");
        assert!(n[0].tokens[0].abbrev);
    }

    #[test]
    fn annotations_labels_and_variants() {
        assert_eq!(texts("Ocean Pioneer (ex-Cape Diamond)"), ["ocean pioneer", "cape diamond"]);
        assert_eq!(main_text("BENEFICIARY: Sarıkaya Hububat Ltd. Şti."), "sarikaya hububat");
        assert_eq!(main_text("FIELD 59: BLACKWOOD CATTLE CO PTY LTD"), "blackwood cattle");
        assert_eq!(main_text("MESSRS. BALTIC TIMBERLINE OU"), "baltic timberline");
        assert_eq!(main_text("Coastline Agro Supplies Ltd - Malindi Branch"), "coastline agro supplies");
        assert_eq!(main_text("Kisumu Lakeside Motors Ltd (Kakamega Branch)"), "kisumu lakeside motors");
        assert_eq!(
            main_text("HALVERSTONE SPIRIT V.214W (Marshall Islands flag)"),
            "halverstone spirit v 214w"
        );
        assert_eq!(main_text("Rancho Vercel SA de CV c/o Aduanas Pedraza, Nuevo Laredo"), "rancho vercel");
        assert_eq!(texts("MV Soja Paranaense, Santos"), ["soja paranaense santos", "soja paranaense"]);
        assert!(normalize("MV Soja Paranaense, Santos")[1].reduced);
        assert_eq!(main_text("M/T Ardrevan Pearl"), "ardrevan pearl");
    }

    #[test]
    fn countries_are_marked() {
        let n = normalize("Lundqvist Hydraulics (UK) Ltd.");
        assert_eq!(n[0].tokens[2].kind, TokenKind::Country);
    }

    #[test]
    fn phonetic_keys_undo_romanisation_only() {
        assert_eq!(phonetic_key("levitsky"), phonetic_key("levitskiy"));
        assert_eq!(phonetic_key("khouri"), phonetic_key("khoury"));
        assert_eq!(phonetic_key("shabbir"), phonetic_key("shabir"));
        assert_eq!(phonetic_key("shamji"), phonetic_key("shamjee"));
        assert_eq!(phonetic_key("verkhnyaya"), phonetic_key("werchnjaja"));
        assert_eq!(phonetic_key("zhelvinsky"), phonetic_key("jelvinskiy"));
        assert_ne!(phonetic_key("mining"), phonetic_key("dining"));
        assert_ne!(phonetic_key("pier"), phonetic_key("peer"));
        assert_ne!(phonetic_key("jinqiao"), phonetic_key("yinqiao"));
        assert_eq!(phonetic_key("rabinovich"), phonetic_key("rabinowitz"));
        assert_eq!(phonetic_key("khotintsev"), phonetic_key("hotincev"));
        assert_eq!(phonetic_key("vasil"), phonetic_key("vasilii"));
        assert_eq!(phonetic_key("ekspres"), phonetic_key("express"));
    }

    #[test]
    fn skeletons_bridge_abjad_spellings() {
        assert_eq!(skeleton("mhmd"), skeleton("mohamed"));
        assert_eq!(skeleton("khld"), skeleton("khaled"));
        assert_eq!(skeleton("mhmwd"), skeleton("mahmoud"));
        assert_eq!(skeleton("dvd"), skeleton("david"));
    }

    #[test]
    fn nothing_left_is_no_form() {
        assert!(normalize("--- ..").is_empty());
        assert!(normalize("").is_empty());
    }
}

#[cfg(test)]
mod snapshots {
    use super::*;

    /// Every step on a corpus of hard names, as one readable table: a change in behaviour
    /// shows as a diff (`INSTA_UPDATE=always cargo test -p sluice-screen` to accept one).
    #[test]
    fn normalisation_corpus() {
        let names = [
            "ANGLO-CARIBBEAN CO., LTD.",
            "Zakłady Mięsne Wiśniewski Sp. z o.o. S.K.A.",
            "Rancho Vercel Importadora S.A. de C.V. c/o Aduanas Pedraza, Nuevo Laredo",
            "M.T. THONG NAWA 3 (Laem Chabang)",
            "Star Voyager (ex-Southern Glory)",
            "ORDERING CUSTOMER: KALLIOSAARI TRADING OY",
            "Marrowby Chemicals (Thailand) Co., Ltd.",
            "雾山精密机械股份有限公司",
            "株式会社風松ホールディングス",
            "새벽별물류 주식회사",
            "«Ծատուրյան Շին» ՍՊԸ",
            "ФОП Мороз Василь Іванович",
            "عبد الله",
            "Venkatadri Forgings & Engg. Works Pvt Ltd",
            "Golden Lotus Investment No. 3 Ltd",
            "OKX Global 欧易",
        ];
        let mut out = String::new();
        for n in names {
            out.push_str(n);
            out.push('\n');
            for f in normalize(n) {
                let legal: Vec<&str> = f.legal.iter().map(|l| l.form).collect();
                let keys: Vec<String> = f.tokens.iter().map(|t| phonetic_key(&t.text)).collect();
                out.push_str(&format!(
                    "  {}{} | legal {:?} | keys {:?}\n",
                    f.text(),
                    if f.reduced { " (reduced)" } else { "" },
                    legal,
                    keys
                ));
            }
        }
        insta::assert_snapshot!(out);
    }
}
