//! Korean names: a Hangul syllable against the ways people write it in Latin letters.
//!
//! `any_ascii` gives the Revised Romanization (`김정은` → `gim jeong eun`), but lists and
//! people write `Kim Jong Un`, `Park`, `Lee`: McCune–Reischauer without its diacritics and
//! the spellings families chose. A syllable and a Latin spelling are compared through a key
//! that keeps what every system agrees on — the consonant's place (`g`/`k` → `k`, `j`/`ch` →
//! `c`, `r`/`l` → `r`) and a coarse vowel (`eo`/`o`/`u`/`eu` → `o`, `ae`/`e` → `e`) — and the
//! commonest surnames, whose spellings follow no system (`이` is `Lee`, `Yi`, `Rhee`), come
//! from a table.
//!
//! Hand-written: a Hangul syllable's letters are arithmetic on its code point (Unicode
//! §3.12), and the crates that romanise Korean give one system's spelling, which is what
//! `any_ascii` already does; none maps between the spellings names are written in.

/// Whether `c` is a precomposed Hangul syllable.
pub fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0xAC00..=0xD7A3)
}

/// Initial consonants: (key, spellings).
const INITIALS: [(&str, &[&str]); 19] = [
    ("k", &["g", "k"]),
    ("k", &["kk", "gg", "k"]),
    ("n", &["n"]),
    ("t", &["d", "t"]),
    ("t", &["tt", "dd", "t"]),
    ("r", &["r", "l"]),
    ("m", &["m"]),
    ("p", &["b", "p"]),
    ("p", &["pp", "bb", "p"]),
    ("s", &["s", "sh"]),
    ("s", &["ss", "s"]),
    ("", &[""]),
    ("c", &["j", "ch"]),
    ("c", &["jj", "ch"]),
    ("c", &["ch"]),
    ("k", &["k"]),
    ("t", &["t"]),
    ("p", &["p"]),
    ("h", &["h"]),
];

/// Vowels: (key, spellings).
const VOWELS: [(&str, &[&str]); 21] = [
    ("a", &["a"]),
    ("e", &["ae", "e"]),
    ("ya", &["ya"]),
    ("ye", &["yae", "ye"]),
    ("o", &["eo", "o", "u"]),
    ("e", &["e"]),
    ("yo", &["yeo", "yo", "yu"]),
    ("ye", &["ye"]),
    ("o", &["o"]),
    ("wa", &["wa"]),
    ("we", &["wae"]),
    ("we", &["oe", "oi"]),
    ("yo", &["yo"]),
    ("o", &["u", "oo"]),
    ("wo", &["wo"]),
    ("we", &["we"]),
    ("wi", &["wi"]),
    ("yo", &["yu", "yoo"]),
    ("o", &["eu", "u"]),
    ("i", &["ui", "eui"]),
    ("i", &["i", "ee"]),
];

/// Final consonants (0 = none): keys.
const FINALS: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "r", "k", "m", "r", "r", "r", "p", "r", "m", "p", "p", "t", "t",
    "ng", "t", "t", "k", "t", "p", "t",
];

/// Spellings of each final key.
fn final_spellings(key: &str) -> &'static [&'static str] {
    match key {
        "k" => &["k", "g"],
        "n" => &["n"],
        "t" => &["t", "d", "s"],
        "r" => &["l", "r"],
        "m" => &["m"],
        "p" => &["p", "b"],
        "ng" => &["ng"],
        _ => &[""],
    }
}

/// The commonest surnames, spelt as families write them.
const SURNAMES: &[(char, &[&str])] = &[
    ('김', &["kim", "gim"]),
    ('이', &["lee", "yi", "rhee", "ri", "rhie", "i"]),
    ('리', &["ri", "lee", "rhee"]),
    ('박', &["park", "pak", "bak"]),
    ('최', &["choi", "choe", "chey"]),
    ('정', &["jung", "chung", "jeong", "jong", "cheong"]),
    ('강', &["kang", "gang"]),
    ('조', &["cho", "jo", "joe"]),
    ('윤', &["yoon", "yun"]),
    ('장', &["jang", "chang"]),
    ('임', &["lim", "im", "rim", "yim"]),
    ('림', &["rim", "lim"]),
    ('한', &["han"]),
    ('오', &["oh", "o"]),
    ('서', &["seo", "suh", "so"]),
    ('신', &["shin", "sin"]),
    ('권', &["kwon", "gwon"]),
    ('황', &["hwang"]),
    ('안', &["ahn", "an"]),
    ('송', &["song"]),
    ('류', &["ryu", "yoo", "yu", "ryoo", "rhyu"]),
    ('유', &["yoo", "yu"]),
    ('홍', &["hong"]),
    ('전', &["jeon", "jun", "chun", "chon"]),
    ('고', &["ko", "go", "koh"]),
    ('문', &["moon", "mun"]),
    ('양', &["yang"]),
    ('손', &["son", "sohn"]),
    ('배', &["bae", "pae"]),
    ('백', &["baek", "paek", "paik", "baik"]),
    ('허', &["heo", "hur", "huh"]),
    ('노', &["noh", "roh", "no", "ro"]),
    ('로', &["ro", "roh"]),
    ('남', &["nam"]),
    ('심', &["shim", "sim"]),
    ('곽', &["kwak", "gwak"]),
    ('성', &["sung", "seong"]),
    ('차', &["cha"]),
    ('주', &["joo", "ju", "chu"]),
    ('우', &["woo", "u"]),
    ('구', &["koo", "ku", "gu"]),
    ('민', &["min"]),
    ('진', &["jin", "chin"]),
    ('엄', &["eom", "um", "uhm"]),
    ('원', &["won"]),
    ('천', &["cheon", "chun"]),
    ('현', &["hyun", "hyeon"]),
    ('변', &["byun", "byeon", "pyon"]),
    ('염', &["yeom", "yum"]),
    ('여', &["yeo", "yoh"]),
    ('추', &["choo", "chu"]),
    ('석', &["seok", "suk"]),
    ('설', &["seol", "sul"]),
    ('길', &["gil", "kil"]),
    ('표', &["pyo"]),
    ('명', &["myung", "myeong"]),
    ('기', &["ki", "gi"]),
    ('반', &["ban", "pan"]),
    ('금', &["geum", "keum"]),
    ('육', &["yuk", "yook"]),
];

fn parts(c: char) -> Option<(usize, usize, usize)> {
    if !is_hangul(c) {
        return None;
    }
    let s = c as usize - 0xAC00;
    Some((s / 588, (s % 588) / 28, s % 28))
}

/// The key of a Hangul syllable (`정` → `cong`).
pub fn key_of_syllable(c: char) -> Option<String> {
    let (l, v, t) = parts(c)?;
    let mut k = String::new();
    k.push_str(INITIALS.get(l)?.0);
    k.push_str(VOWELS.get(v)?.0);
    k.push_str(FINALS.get(t)?);
    Some(k)
}

/// Longest-first spellings of the Latin side: (spelling, key).
const LATIN_INITIALS: &[(&str, &str)] = &[
    ("tch", "c"),
    ("ch", "c"),
    ("jj", "c"),
    ("kk", "k"),
    ("gg", "k"),
    ("kh", "k"),
    ("tt", "t"),
    ("dd", "t"),
    ("th", "t"),
    ("pp", "p"),
    ("bb", "p"),
    ("ph", "p"),
    ("ss", "s"),
    ("sh", "s"),
    ("rh", "r"),
    ("j", "c"),
    ("k", "k"),
    ("g", "k"),
    ("t", "t"),
    ("d", "t"),
    ("p", "p"),
    ("b", "p"),
    ("s", "s"),
    ("h", "h"),
    ("m", "m"),
    ("n", "n"),
    ("r", "r"),
    ("l", "r"),
];

const LATIN_VOWELS: &[(&str, &str)] = &[
    ("yeo", "yo"),
    ("yae", "ye"),
    ("yoo", "yo"),
    ("wae", "we"),
    ("weo", "wo"),
    ("eui", "i"),
    ("ae", "e"),
    ("ai", "e"),
    ("eo", "o"),
    ("eu", "o"),
    ("ee", "i"),
    ("oe", "we"),
    ("oi", "we"),
    ("oo", "o"),
    ("ui", "i"),
    ("ya", "ya"),
    ("ye", "ye"),
    ("yo", "yo"),
    ("yu", "yo"),
    ("wa", "wa"),
    ("we", "we"),
    ("wi", "wi"),
    ("wo", "wo"),
    ("a", "a"),
    ("e", "e"),
    ("i", "i"),
    ("o", "o"),
    ("u", "o"),
];

const LATIN_FINALS: &[(&str, &str)] = &[
    ("ng", "ng"),
    ("ck", "k"),
    ("ss", "t"),
    ("tt", "t"),
    ("ll", "r"),
    ("k", "k"),
    ("g", "k"),
    ("n", "n"),
    ("t", "t"),
    ("d", "t"),
    ("s", "t"),
    ("l", "r"),
    ("r", "r"),
    ("m", "m"),
    ("p", "p"),
    ("b", "p"),
];

fn take<'a>(s: &'a str, table: &[(&str, &'static str)]) -> Option<(&'static str, &'a str)> {
    table.iter().find_map(|(sp, k)| s.strip_prefix(sp).map(|rest| (*k, rest)))
}

/// The key of a Latin spelling of one syllable (`jeong`, `jung`, `chung` → `cong`), or
/// `None` when it is not one syllable.
pub fn key_of_latin(s: &str) -> Option<String> {
    let (ini, vow, fin) = latin_key_parts(s)?;
    Some(format!("{ini}{vow}{fin}"))
}

/// [`key_of_latin`] written into `buf` (the search's inner loop: no allocation).
pub fn key_of_latin_in<'b>(s: &str, buf: &'b mut [u8; 16]) -> Option<&'b [u8]> {
    let (ini, vow, fin) = latin_key_parts(s)?;
    let mut n = 0;
    for part in [ini, vow, fin] {
        buf.get_mut(n..n + part.len())?.copy_from_slice(part.as_bytes());
        n += part.len();
    }
    buf.get(..n)
}

/// The initial's, vowel's and final's keys of a Latin spelling of one syllable.
fn latin_key_parts(s: &str) -> Option<(&'static str, &'static str, &'static str)> {
    if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let (ini, rest) = take(s, LATIN_INITIALS).unwrap_or(("", s));
    let (vow, rest) = take(rest, LATIN_VOWELS)?;
    // `Oh`, `Ahn`, `Sohn`, `Uhm`: an `h` after the vowel is silent.
    let rest = rest.strip_prefix('h').unwrap_or(rest);
    let (fin, rest) = if rest.is_empty() { ("", rest) } else { take(rest, LATIN_FINALS)? };
    rest.is_empty().then_some((ini, vow, fin))
}

/// The spellings families use for a syllable that is a common surname (empty otherwise).
pub fn surname_spellings(c: char) -> &'static [&'static str] {
    SURNAMES.iter().find(|(s, _)| *s == c).map_or(&[], |(_, sp)| sp)
}

/// Whether a Latin token is a spelling of a Hangul syllable.
pub fn same_syllable(c: char, latin: &str) -> bool {
    if SURNAMES.iter().any(|(s, sp)| *s == c && sp.contains(&latin)) {
        return true;
    }
    match (key_of_syllable(c), key_of_latin(latin)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The Latin spellings of a syllable worth looking up in an index: every combination of
/// the systems' spellings of its letters, and the surname spellings.
pub fn spellings(c: char) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some((_, sp)) = SURNAMES.iter().find(|(s, _)| *s == c) {
        out.extend(sp.iter().map(|s| (*s).to_string()));
    }
    let Some((l, v, t)) = parts(c) else { return out };
    let (Some(ini), Some(vow), Some(fin)) = (INITIALS.get(l), VOWELS.get(v), FINALS.get(t)) else {
        return out;
    };
    for i in ini.1 {
        for w in vow.1 {
            for f in final_spellings(fin) {
                let s = format!("{i}{w}{f}");
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_meet_their_spellings() {
        let yes = [
            ('김', "kim"),
            ('김', "gim"),
            ('정', "jong"),
            ('정', "jung"),
            ('정', "chung"),
            ('정', "jeong"),
            ('은', "un"),
            ('은', "eun"),
            ('박', "park"),
            ('이', "lee"),
            ('이', "yi"),
            ('최', "choe"),
            ('최', "choi"),
            ('룡', "ryong"),
            ('해', "hae"),
            ('문', "moon"),
            ('재', "jae"),
            ('윤', "yoon"),
            ('석', "suk"),
            ('열', "yeol"),
            ('명', "myung"),
            ('안', "ahn"),
            ('오', "oh"),
        ];
        for (c, l) in yes {
            assert!(same_syllable(c, l), "{c} {l}");
        }
        let no = [('김', "pak"), ('정', "jin"), ('은', "an"), ('이', "park"), ('민', "man"), ('박', "kim")];
        for (c, l) in no {
            assert!(!same_syllable(c, l), "{c} {l}");
        }
        assert_eq!(key_of_syllable('정').as_deref(), Some("cong"));
        assert_eq!(key_of_latin("garantex"), None);
        assert!(spellings('정').contains(&"jeong".to_string()));
        assert!(spellings('은').contains(&"un".to_string()));
        assert_eq!(key_of_syllable('a'), None);
    }
}
