//! What a listed party is besides its names: its type (individual, entity, vessel …) and the
//! secondary identifiers the sources give (countries of nationality, citizenship, address,
//! birth or registration; dates of birth). Screening needs them to tell a sanctioned person
//! from a namesake ([`crate::assess`]).
//!
//! The lists format has no columns for them, so an import writes them into the `note` of the
//! party's main name: `party=OFAC-22623; primary; type=individual; countries=CN,HK;
//! born=1982-07-01`. [`PartyInfo::parse_note`] reads them back; a note without them is a
//! party of unknown type with no identifiers (the team's own lists).

use compact_str::CompactString;

/// What kind of party a list entry is.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum PartyKind {
    /// Not said by the source (the spec's lists format).
    #[default]
    Unknown,
    /// A person.
    Individual,
    /// A company, organisation, group, exchange (anything that is not a person or a craft).
    Entity,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
}

impl PartyKind {
    /// The name in notes, hits and output.
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Unknown => "unknown",
            PartyKind::Individual => "individual",
            PartyKind::Entity => "entity",
            PartyKind::Vessel => "vessel",
            PartyKind::Aircraft => "aircraft",
        }
    }

    /// Parses [`as_str`](Self::as_str)'s names (anything else is `Unknown`).
    pub fn parse(s: &str) -> PartyKind {
        match s {
            "individual" => PartyKind::Individual,
            "entity" => PartyKind::Entity,
            "vessel" => PartyKind::Vessel,
            "aircraft" => PartyKind::Aircraft,
            _ => PartyKind::Unknown,
        }
    }

    /// The code in the index file.
    pub fn code(self) -> u8 {
        match self {
            PartyKind::Unknown => 0,
            PartyKind::Individual => 1,
            PartyKind::Entity => 2,
            PartyKind::Vessel => 3,
            PartyKind::Aircraft => 4,
        }
    }

    /// From [`code`](Self::code).
    pub fn from_code(c: u8) -> Option<PartyKind> {
        Some(match c {
            0 => PartyKind::Unknown,
            1 => PartyKind::Individual,
            2 => PartyKind::Entity,
            3 => PartyKind::Vessel,
            4 => PartyKind::Aircraft,
            _ => return None,
        })
    }
}

/// A party's type and secondary identifiers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartyInfo {
    /// Its type.
    pub kind: PartyKind,
    /// ISO 3166-1 alpha-2 codes of every country the source ties it to (nationality,
    /// citizenship, address, place of birth, document issuer, registration), sorted, once
    /// each.
    pub countries: Vec<CompactString>,
    /// Dates of birth as the source gives them: `1982-07-01`, `1955`, or a range of years
    /// `1960~1962`.
    pub born: Vec<CompactString>,
}

impl PartyInfo {
    /// A party of `kind` with no identifiers yet.
    pub fn new(kind: PartyKind) -> PartyInfo {
        PartyInfo { kind, ..PartyInfo::default() }
    }

    /// Adds a country code (upper-case alpha-2; anything else is ignored).
    pub fn add_country(&mut self, code: &str) {
        let ok = code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase());
        if ok && !self.countries.iter().any(|c| c == code) {
            self.countries.push(CompactString::new(code));
            self.countries.sort_unstable();
        }
    }

    /// Adds a country by the name a source writes (`Iran (Islamic Republic of)`), if known.
    pub fn add_country_name(&mut self, name: &str) {
        if let Some(code) = country_code(name) {
            self.add_country(code);
        }
    }

    /// Adds a date of birth (trimmed; empty, or with `;`/`,`/`=`, ignored).
    pub fn add_born(&mut self, date: &str) {
        let d = date.trim();
        if !d.is_empty() && d.len() <= 24 && !d.contains([';', ',', '=']) && !self.born.iter().any(|b| b == d)
        {
            self.born.push(CompactString::new(d));
        }
    }

    /// The note keys: `type=individual; countries=CN,HK; born=1982-07-01` (empty for an
    /// unknown party with nothing known).
    pub fn note_suffix(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.kind != PartyKind::Unknown {
            parts.push(format!("type={}", self.kind.as_str()));
        }
        if !self.countries.is_empty() {
            parts.push(format!("countries={}", self.countries.join(",")));
        }
        if !self.born.is_empty() {
            parts.push(format!("born={}", self.born.join(",")));
        }
        parts.join("; ")
    }

    /// Reads the keys of a note (others are ignored).
    pub fn parse_note(note: &str) -> PartyInfo {
        let mut info = PartyInfo::default();
        for part in note.split(';') {
            let Some((k, v)) = part.trim().split_once('=') else { continue };
            match k.trim() {
                "type" => info.kind = PartyKind::parse(v.trim()),
                "countries" => v.split(',').for_each(|c| info.add_country(c.trim())),
                "born" => v.split(',').for_each(|b| info.add_born(b)),
                _ => {}
            }
        }
        info
    }

    /// Takes what `other` knows and `self` does not (type) or adds to it (identifiers).
    pub fn merge(&mut self, other: &PartyInfo) {
        if self.kind == PartyKind::Unknown {
            self.kind = other.kind;
        }
        for c in &other.countries {
            self.add_country(c);
        }
        for b in &other.born {
            self.add_born(b);
        }
    }
}

/// Country names as the list sources write them, with their codes
/// (`data/countries.csv`: OFAC's own table and the UN list's names that differ).
const COUNTRIES: &str = include_str!("../data/countries.csv");

/// The alpha-2 code of a country name as OFAC or the UN write it (case-insensitive), or of
/// an alpha-2 code itself.
pub fn country_code(name: &str) -> Option<&'static str> {
    let n = name.trim();
    if n.is_empty() {
        return None;
    }
    for line in COUNTRIES.lines().filter(|l| !l.starts_with('#') && !l.starts_with("code,")) {
        let Some((code, cname)) = line.split_once(',') else { continue };
        let cname = cname.trim_matches('"');
        if cname.eq_ignore_ascii_case(n) || code.eq_ignore_ascii_case(n) && n.len() == 2 {
            return Some(code);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_round_trip() {
        let mut p = PartyInfo::new(PartyKind::Individual);
        p.add_country("HK");
        p.add_country("CN");
        p.add_country("CN");
        p.add_country("China");
        p.add_born("1982-07-01");
        p.add_born("1960~1962");
        let note = format!("party=OFAC-1; primary; {}", p.note_suffix());
        assert_eq!(
            note,
            "party=OFAC-1; primary; type=individual; countries=CN,HK; born=1982-07-01,1960~1962"
        );
        assert_eq!(PartyInfo::parse_note(&note), p);
        assert_eq!(PartyInfo::parse_note("party=x; alias"), PartyInfo::default());
        assert_eq!(PartyInfo::default().note_suffix(), "");
        for k in [
            PartyKind::Unknown,
            PartyKind::Individual,
            PartyKind::Entity,
            PartyKind::Vessel,
            PartyKind::Aircraft,
        ] {
            assert_eq!(PartyKind::parse(k.as_str()), k);
            assert_eq!(PartyKind::from_code(k.code()), Some(k));
        }
    }

    #[test]
    fn country_names_of_both_sources() {
        assert_eq!(country_code("China"), Some("CN"));
        assert_eq!(country_code("Korea, North"), Some("KP"));
        assert_eq!(country_code("Democratic People's Republic of Korea"), Some("KP"));
        assert_eq!(country_code("Iran (Islamic Republic of)"), Some("IR"));
        assert_eq!(country_code("china, hong kong special administrative region"), Some("HK"));
        assert_eq!(country_code("Türkiye"), Some("TR"));
        assert_eq!(country_code("former Soviet Union"), None);
        assert_eq!(country_code(""), None);
    }
}
