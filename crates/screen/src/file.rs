//! The compact index file (`screen.idx`): every list's parties, aliases and name forms with
//! their normalised tokens, so loading skips normalisation (transliteration, legal forms)
//! and only rebuilds the hash maps — well under a second for the full SDN list.
//!
//! Layout (little-endian; a string is a LEB128 length and UTF-8 bytes):
//! `SLUICEIX` · format `u32` = 2 · version · list count, then per list: name · parties (id,
//! name, source, type byte, countries, dates of birth) · aliases (party, text) · forms (party, alias, flags, legal countries,
//! compact, tokens (text, han as `u32` or 0, flags, kind)) — and an XXH3-64 of everything
//! before it, so a torn or corrupted file is refused rather than half-read.
//!
//! Hand-written rather than serde + a binary codec: the layout is twenty lines, has no
//! dependency, and the checksum and error messages are ours.

use crate::index::{ListIndex, NameForm, Party};
use crate::normalize::TokenKind;
use crate::party::{PartyInfo, PartyKind};
use crate::score::{PName, PToken};
use crate::screener::Screener;
use compact_str::CompactString;
use std::path::Path;

const MAGIC: &[u8; 8] = b"SLUICEIX";
const FORMAT: u32 = 2;

/// Why an index file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum IndexFileError {
    /// IO.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not an index, another format version, or damaged.
    #[error("{file}: {why}")]
    Corrupt {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
}

struct W(Vec<u8>);

impl W {
    fn uv(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    fn s(&mut self, s: &str) {
        self.uv(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct R<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> R<'a> {
    fn byte(&mut self) -> Option<u8> {
        let v = *self.b.get(self.at)?;
        self.at += 1;
        Some(v)
    }
    fn uv(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uv()?).ok()
    }
    fn s(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.uv()?).ok()?;
        let bytes = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        std::str::from_utf8(bytes).ok()
    }
    fn cs(&mut self) -> Option<CompactString> {
        self.s().map(CompactString::new)
    }
}

fn kind_code(k: TokenKind) -> u8 {
    match k {
        TokenKind::Word => 0,
        TokenKind::Number => 1,
        TokenKind::Country => 2,
        TokenKind::Descriptor => 3,
    }
}

/// The bytes of an index file for `s`.
pub fn encode(s: &Screener) -> Vec<u8> {
    let mut w = W(Vec::with_capacity(1 << 20));
    w.0.extend_from_slice(MAGIC);
    w.0.extend_from_slice(&FORMAT.to_le_bytes());
    w.s(s.version());
    w.uv(s.lists().len() as u64);
    for (name, ix) in s.lists() {
        w.s(name);
        w.uv(ix.parties.len() as u64);
        for p in &ix.parties {
            w.s(&p.id);
            w.s(&p.name);
            w.s(&p.source);
            w.0.push(p.info.kind.code());
            w.uv(p.info.countries.len() as u64);
            for c in &p.info.countries {
                w.s(c);
            }
            w.uv(p.info.born.len() as u64);
            for b in &p.info.born {
                w.s(b);
            }
        }
        w.uv(ix.aliases.len() as u64);
        for (p, a) in &ix.aliases {
            w.uv(u64::from(*p));
            w.s(a);
        }
        w.uv(ix.forms.len() as u64);
        for f in &ix.forms {
            w.uv(u64::from(f.party));
            w.uv(u64::from(f.alias));
            w.0.push(u8::from(f.form.reduced) | (u8::from(f.form.has_legal) << 1));
            w.uv(f.form.legal_countries.len() as u64);
            for c in &f.form.legal_countries {
                w.s(c);
            }
            w.s(&f.form.compact);
            w.uv(f.form.tokens.len() as u64);
            for t in &f.form.tokens {
                w.s(&t.text);
                w.uv(t.han.map_or(0, u64::from));
                w.0.push(u8::from(t.abjad) | (u8::from(t.abbrev) << 1));
                w.0.push(kind_code(t.kind));
            }
        }
    }
    let sum = xxhash_rust::xxh3::xxh3_64(&w.0);
    w.0.extend_from_slice(&sum.to_le_bytes());
    w.0
}

/// Reads index bytes back into a screener (`None`: malformed).
pub fn decode(bytes: &[u8]) -> Result<Screener, String> {
    let body_len = bytes.len().checked_sub(8).ok_or("too short to be an index")?;
    let (body, sum) = bytes.split_at(body_len);
    if body.get(..8) != Some(MAGIC.as_slice()) {
        return Err("not a Sluice screening index".into());
    }
    let format = body.get(8..12).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    if format != Some(FORMAT) {
        return Err(format!("index format {format:?}, this Sluice reads {FORMAT}; re-import the lists"));
    }
    let want = <[u8; 8]>::try_from(sum).map(u64::from_le_bytes).map_err(|_| "no checksum")?;
    if xxhash_rust::xxh3::xxh3_64(body) != want {
        return Err("checksum mismatch: the file is damaged".into());
    }
    let mut r = R { b: body, at: 12 };
    read_lists(&mut r).ok_or_else(|| format!("malformed at byte {}", r.at))
}

fn read_lists(r: &mut R<'_>) -> Option<Screener> {
    let version = r.s()?.to_string();
    let nl = r.uv()?;
    let mut lists = Vec::new();
    for _ in 0..nl {
        let name = r.cs()?;
        let np = r.uv()?;
        let mut parties = Vec::new();
        for _ in 0..np {
            let (id, name, source) = (r.cs()?, r.cs()?, r.cs()?);
            let kind = PartyKind::from_code(r.byte()?)?;
            let mut countries = Vec::new();
            for _ in 0..r.uv()? {
                countries.push(r.cs()?);
            }
            let mut born = Vec::new();
            for _ in 0..r.uv()? {
                born.push(r.cs()?);
            }
            parties.push(Party { id, name, source, info: PartyInfo { kind, countries, born } });
        }
        let na = r.uv()?;
        let mut aliases = Vec::new();
        for _ in 0..na {
            aliases.push((r.u32()?, r.cs()?));
        }
        let nf = r.uv()?;
        let mut forms = Vec::new();
        for _ in 0..nf {
            let party = r.u32()?;
            let alias = r.u32()?;
            let flags = r.byte()?;
            let nc = r.uv()?;
            let mut legal_countries = Vec::new();
            for _ in 0..nc {
                legal_countries.push(r.cs()?);
            }
            let compact = r.cs()?;
            let nt = r.uv()?;
            let mut tokens = Vec::new();
            for _ in 0..nt {
                let text = r.s()?;
                let han = match r.u32()? {
                    0 => None,
                    c => Some(char::from_u32(c)?),
                };
                let tf = r.byte()?;
                let kind = match r.byte()? {
                    0 => TokenKind::Word,
                    1 => TokenKind::Number,
                    2 => TokenKind::Country,
                    3 => TokenKind::Descriptor,
                    _ => return None,
                };
                let t = crate::normalize::Token {
                    text: CompactString::new(text),
                    han,
                    abjad: tf & 1 != 0,
                    abbrev: tf & 2 != 0,
                    kind,
                };
                tokens.push(PToken::new(&t));
            }
            let form = PName::from_tokens(tokens, legal_countries, flags & 2 != 0, flags & 1 != 0, compact);
            forms.push(NameForm { party, alias, form });
        }
        lists.push((name, ListIndex::build(parties, aliases, forms)));
    }
    Some(Screener::from_lists(version, lists))
}

/// Writes `s` to `path` atomically (a temporary file renamed over it).
pub fn save(s: &Screener, path: &Path) -> Result<(), IndexFileError> {
    let io = |source| IndexFileError::Io { file: path.display().to_string(), source };
    let tmp = path.with_extension("idx.tmp");
    std::fs::write(&tmp, encode(s)).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Loads an index file.
pub fn load(path: &Path) -> Result<Screener, IndexFileError> {
    let bytes = std::fs::read(path)
        .map_err(|source| IndexFileError::Io { file: path.display().to_string(), source })?;
    decode(&bytes).map_err(|why| IndexFileError::Corrupt { file: path.display().to_string(), why })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NameScreener;
    use sluice_core::{ListEntry, ListKind, ListName};

    fn screener() -> Screener {
        let es: Vec<ListEntry> = ["GARANTEX EUROPE OU", "币安", "Kalčić Trgovina d.o.o.", "محمد علي"]
            .iter()
            .map(|n| ListEntry {
                list: ListName::parse("l").unwrap_or_else(|_| unreachable!()),
                kind: ListKind::Name,
                entry: (*n).into(),
                effective_from: None,
                effective_until: None,
                jurisdictions: Vec::new(),
                source: None,
                note: None,
            })
            .collect();
        Screener::from_entries(&es, "v9")
    }

    #[test]
    fn round_trip_gives_the_same_answers() {
        let s = screener();
        let bytes = encode(&s);
        let back = decode(&bytes).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(back.version(), "v9");
        for q in ["Garantex Europe", "Bi An", "Kalcic Trgovina", "Mohamed Ali", "nothing at all"] {
            assert_eq!(s.best(q, "l"), back.best(q, "l"), "{q}");
        }
        assert_eq!(encode(&back), bytes);
    }

    #[test]
    fn damage_is_refused() {
        let mut bytes = encode(&screener());
        let n = bytes.len();
        bytes[n / 2] ^= 1;
        assert!(decode(&bytes).err().is_some_and(|e| e.contains("checksum")));
        assert!(decode(b"SLUICEIX").is_err());
        assert!(decode(b"not an index at all").err().is_some_and(|e| e.contains("not a Sluice")));
    }
}
