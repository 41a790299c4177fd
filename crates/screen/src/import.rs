//! Imports: real list sources turned into entries of the spec's lists format.
//!
//! | source | reader | entries |
//! |---|---|---|
//! | OFAC SDN classic CSV (`sdn.csv` + `alt.csv` + `add.csv`, no header) | [`ofac_sdn_csv`] | `name` per name and alias, `address` for digital-currency addresses in remarks |
//! | OFAC SDN advanced XML (`.xml` or `.xml.bz2`, streamed) | [`ofac_advanced_xml`] | `name` per alias (all scripts), `address` per digital-currency feature |
//! | UN Security Council consolidated XML | [`un_consolidated_xml`] | `name` per name, alias and original-script name |
//! | OFAC crypto addresses (`currency,address`) | [`ofac_crypto_csv`] | `address` |
//! | exchange list (`ccxt_exchanges.csv` + `ccxt_exchange_hosts.csv`) | [`exchanges_csv`] | `name` per exchange, id and known Chinese name; `host` per site |
//! | the spec's lists format (CSV/NDJSON, gzip) | [`plain_lists`] | as written |
//!
//! Names of one party share a `party=` note (`party=OFAC-36; primary` on the main name), so
//! the screener reports the party's main name with the alias that matched. Every reader
//! reads its whole source before returning: a malformed record is an [`ImportError`] naming
//! the file and the record, and the caller keeps its previous lists.

use crate::party::{PartyInfo, PartyKind};
use compact_str::CompactString;
use quick_xml::events::Event;
use sluice_core::list::ENTRY_MAX_CHARS;
use sluice_core::{ListEntry, ListKind, ListName};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Why a source cannot be imported. Nothing of it is applied.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A record breaks the source's format.
    #[error("{file}: record {record}: {why}")]
    Record {
        /// The file.
        file: String,
        /// Which record (a row number, or the party's id in an XML file).
        record: String,
        /// Why.
        why: String,
    },
    /// The file as a whole is not what its format says.
    #[error("{file}: {why}")]
    Format {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
}

/// What an import read.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The source's label (`OFAC SDN 2025-11-19`), kept in every entry's `source`.
    pub source: String,
    /// The format read.
    pub format: Format,
    /// The files read.
    pub files: Vec<PathBuf>,
    /// The source's own date, when it says.
    pub date: Option<String>,
    /// Parties (entities, people, vessels, exchanges) read.
    pub parties: usize,
    /// Postal addresses read and checked but not turned into entries (the lists format has
    /// no kind for them).
    pub postal_addresses: usize,
    /// The entries.
    pub entries: Vec<ListEntry>,
}

/// The formats [`import`] understands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// OFAC SDN classic CSV.
    OfacCsv,
    /// OFAC SDN advanced XML.
    OfacXml,
    /// UN consolidated XML.
    UnXml,
    /// OFAC crypto addresses CSV.
    OfacCrypto,
    /// ccxt exchange list.
    Exchanges,
    /// The spec's lists format.
    Lists,
}

impl Format {
    /// The name used on the command line and in `lists info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::OfacCsv => "ofac-csv",
            Format::OfacXml => "ofac-xml",
            Format::UnXml => "un-xml",
            Format::OfacCrypto => "ofac-crypto",
            Format::Exchanges => "exchanges",
            Format::Lists => "lists",
        }
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Format> {
        [
            Format::OfacCsv,
            Format::OfacXml,
            Format::UnXml,
            Format::OfacCrypto,
            Format::Exchanges,
            Format::Lists,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io { file: path.display().to_string(), source }
}

fn rec_err(path: &Path, record: impl ToString, why: impl ToString) -> ImportError {
    ImportError::Record { file: path.display().to_string(), record: record.to_string(), why: why.to_string() }
}

fn fmt_err(path: &Path, why: impl ToString) -> ImportError {
    ImportError::Format { file: path.display().to_string(), why: why.to_string() }
}

/// Tells a source's format from its name and first bytes.
pub fn detect(path: &Path) -> Result<Format, ImportError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    if name.ends_with(".xml.bz2") {
        return Ok(Format::OfacXml);
    }
    if matches!(name.as_str(), "sdn.csv" | "alt.csv" | "add.csv") || path.is_dir() {
        return Ok(Format::OfacCsv);
    }
    let mut head = String::new();
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut r = std::io::BufReader::new(f);
    let mut buf = vec![0u8; 4096];
    let n = std::io::Read::read(&mut r, &mut buf).map_err(io_err(path))?;
    head.push_str(&String::from_utf8_lossy(buf.get(..n).unwrap_or_default()));
    if name.ends_with(".xml") {
        if head.contains("<CONSOLIDATED_LIST") {
            return Ok(Format::UnXml);
        }
        if head.contains("<Sanctions") {
            return Ok(Format::OfacXml);
        }
        return Err(fmt_err(
            path,
            "an XML file that is neither OFAC advanced (`<Sanctions>`) nor UN (`<CONSOLIDATED_LIST>`)",
        ));
    }
    let first = head.trim_start_matches('\u{feff}').lines().next().unwrap_or("").trim().to_string();
    if first == "currency,address" {
        return Ok(Format::OfacCrypto);
    }
    if first.starts_with("id,name,www") {
        return Ok(Format::Exchanges);
    }
    Ok(Format::Lists)
}

/// Imports one source into `list` (ignored by the lists format, whose rows name their own
/// lists). `format` overrides [`detect`].
pub fn import(path: &Path, list: &str, format: Option<Format>) -> Result<Imported, ImportError> {
    let format = match format {
        Some(f) => f,
        None => detect(path)?,
    };
    let list = ListName::parse(list).map_err(|e| fmt_err(path, format!("list name `{list}`: {e}")))?;
    match format {
        Format::OfacCsv => ofac_sdn_csv(path, &list),
        Format::OfacXml => ofac_advanced_xml(path, &list),
        Format::UnXml => un_consolidated_xml(path, &list),
        Format::OfacCrypto => ofac_crypto_csv(path, &list),
        Format::Exchanges => exchanges_csv(path, &list),
        Format::Lists => plain_lists(path),
    }
}

/// An entry, with the name cleaned of surrounding space and cut to the contract's length
/// (on a character boundary).
fn entry(
    list: &ListName,
    kind: ListKind,
    value: &str,
    source: &str,
    note: Option<String>,
) -> Option<ListEntry> {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        return None;
    }
    let v: String = v.chars().take(ENTRY_MAX_CHARS).collect();
    Some(ListEntry {
        list: list.clone(),
        kind,
        entry: CompactString::new(v),
        effective_from: None,
        effective_until: None,
        jurisdictions: Vec::new(),
        source: Some(source.to_string()),
        note,
    })
}

/// A party's names as entries: the first is its main name, whose note also carries the
/// party's type and identifiers ([`PartyInfo::note_suffix`]).
fn push_party(
    out: &mut Vec<ListEntry>,
    list: &ListName,
    party: &str,
    names: &[String],
    source: &str,
    info: &PartyInfo,
) {
    let mut seen: Vec<String> = Vec::new();
    let suffix = info.note_suffix();
    for n in names {
        let key = n.trim().to_lowercase();
        if key.is_empty() || seen.contains(&key) {
            continue;
        }
        let note = if !seen.is_empty() {
            format!("party={party}; alias")
        } else if suffix.is_empty() {
            format!("party={party}; primary")
        } else {
            format!("party={party}; primary; {suffix}")
        };
        seen.push(key);
        out.extend(entry(list, ListKind::Name, n, source, Some(note)));
    }
}

/// `-0-` is the classic CSV's null.
fn ofac_null(s: &str) -> Option<&str> {
    let t = s.trim();
    (t != "-0-" && !t.is_empty()).then_some(t)
}

/// `LAST, First` (how the classic CSV writes people) → `First LAST`, so that a comma never
/// reads as a trailing clause.
fn person_name(s: &str) -> String {
    match s.split_once(", ") {
        Some((last, first)) if !first.contains(',') => format!("{first} {last}"),
        _ => s.to_string(),
    }
}

/// Digital-currency addresses in an SDN remark: `Digital Currency Address - XBT 1Abc…;`.
fn remark_addresses(remarks: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = remarks;
    while let Some(i) = rest.find("Digital Currency Address - ") {
        rest = &rest[i + "Digital Currency Address - ".len()..];
        let mut it = rest.split_whitespace();
        if let (Some(cur), Some(addr)) = (it.next(), it.next()) {
            let addr = addr.trim_end_matches([';', '.', ',']);
            if addr.len() >= 20 && addr.chars().all(|c| c.is_ascii_alphanumeric()) {
                out.push((cur.to_string(), addr.to_string()));
            }
        }
    }
    out
}

/// Dates of birth and countries in an SDN remark: `DOB 10 Jun 1955; alt. DOB 1956; POB
/// Giza, Egypt; nationality Egypt; citizenship Egypt; Passport 123 (Egypt)`.
fn remark_identifiers(remarks: &str, info: &mut PartyInfo) {
    for part in remarks.split(';') {
        let part = part.trim().trim_end_matches('.');
        let part = part.strip_prefix("alt. ").unwrap_or(part);
        if let Some(d) = part.strip_prefix("DOB ") {
            info.add_born(&ofac_date(d));
        } else if let Some(c) =
            part.strip_prefix("nationality ").or_else(|| part.strip_prefix("citizenship "))
        {
            info.add_country_name(c);
        } else if let Some(pob) = part.strip_prefix("POB ") {
            // The country is the last clause of a place of birth.
            info.add_country_name(pob.rsplit(',').next().unwrap_or(pob));
        }
    }
}

/// An OFAC date as ISO 8601 where it can be: `10 Jun 1955` → `1955-06-10`, `circa 1955` →
/// `1955`, `1960 to 1962` → `1960~1962`; anything else as written.
fn ofac_date(d: &str) -> String {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let d = d.trim();
    let d = d.strip_prefix("circa ").unwrap_or(d);
    let w: Vec<&str> = d.split_whitespace().collect();
    let year = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    match w.as_slice() {
        [y] if year(y) => (*y).to_string(),
        [a, "to", b] if year(a) && year(b) => format!("{a}~{b}"),
        [m, y] if year(y) => match MONTHS.iter().position(|x| x == m) {
            Some(i) => format!("{y}-{:02}", i + 1),
            None => d.to_string(),
        },
        [dd, m, y] if year(y) && dd.len() <= 2 && dd.bytes().all(|b| b.is_ascii_digit()) => {
            match MONTHS.iter().position(|x| x == m) {
                Some(i) => format!("{y}-{:02}-{dd:0>2}", i + 1),
                None => d.to_string(),
            }
        }
        _ => d.to_string(),
    }
}

/// OFAC SDN classic CSV: `sdn.csv` (or its folder) with `alt.csv` and `add.csv` beside it.
pub fn ofac_sdn_csv(path: &Path, list: &ListName) -> Result<Imported, ImportError> {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let sdn = dir.join("sdn.csv");
    let alt = dir.join("alt.csv");
    let add = dir.join("add.csv");
    let open = |p: &Path| std::fs::File::open(p).map_err(io_err(p));
    ofac_sdn_csv_from(
        [(open(&sdn)?, sdn.as_path()), (open(&alt)?, alt.as_path()), (open(&add)?, add.as_path())],
        list,
    )
}

fn ofac_csv_reader<R: std::io::Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(r)
}

/// [`ofac_sdn_csv`] over any readers of `sdn.csv`, `alt.csv` and `add.csv`, in that order,
/// each with the path that names it in errors.
pub fn ofac_sdn_csv_from<R: std::io::Read>(
    files: [(R, &Path); 3],
    list: &ListName,
) -> Result<Imported, ImportError> {
    let [(sdn_r, sdn), (alt_r, alt), (add_r, add)] = files;
    let (sdn, alt, add) = (sdn.to_path_buf(), alt.to_path_buf(), add.to_path_buf());
    let source = String::from("OFAC SDN (classic CSV)");
    // ent_num → (type, names)
    let mut parties: Vec<(String, bool, Vec<String>, PartyInfo)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut addresses: Vec<(String, String, String)> = Vec::new();
    for (i, rec) in ofac_csv_reader(sdn_r).records().enumerate() {
        let rec = rec.map_err(|e| rec_err(&sdn, i + 1, e))?;
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim() == "\u{1a}" || f.trim().is_empty()) {
            continue; // The DOS end-of-file mark OFAC's files end with.
        }
        if rec.len() < 12 {
            return Err(rec_err(&sdn, i + 1, format!("{} fields, expected 12", rec.len())));
        }
        let id = rec.get(0).unwrap_or("").trim().to_string();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(rec_err(&sdn, i + 1, format!("`ent_num` is `{id}`, not a number")));
        }
        let Some(name) = rec.get(1).and_then(ofac_null) else {
            return Err(rec_err(&sdn, i + 1, format!("party {id} has no name")));
        };
        let kind = match rec.get(2).and_then(ofac_null).map(str::to_ascii_lowercase).as_deref() {
            Some("individual") => PartyKind::Individual,
            Some("vessel") => PartyKind::Vessel,
            Some("aircraft") => PartyKind::Aircraft,
            // `-0-`: the classic CSV's entities have no type.
            _ => PartyKind::Entity,
        };
        let individual = kind == PartyKind::Individual;
        let name = if individual { person_name(name) } else { name.to_string() };
        let mut info = PartyInfo::new(kind);
        if let Some(remarks) = rec.get(11).and_then(ofac_null) {
            for (cur, addr) in remark_addresses(remarks) {
                addresses.push((id.clone(), cur, addr));
            }
            remark_identifiers(remarks, &mut info);
        }
        index.insert(id.clone(), parties.len());
        parties.push((id, individual, vec![name], info));
    }
    if parties.is_empty() {
        return Err(fmt_err(&sdn, "no parties"));
    }
    for (i, rec) in ofac_csv_reader(alt_r).records().enumerate() {
        let rec = rec.map_err(|e| rec_err(&alt, i + 1, e))?;
        if rec.len() == 1 {
            continue;
        }
        if rec.len() < 4 {
            return Err(rec_err(&alt, i + 1, format!("{} fields, expected 5", rec.len())));
        }
        let id = rec.get(0).unwrap_or("").trim();
        let Some(&p) = index.get(id) else {
            return Err(rec_err(&alt, i + 1, format!("alias of unknown party `{id}`")));
        };
        if let (Some(name), Some(party)) = (rec.get(3).and_then(ofac_null), parties.get_mut(p)) {
            let name = if party.1 { person_name(name) } else { name.to_string() };
            party.2.push(name);
        }
    }
    let mut postal = 0usize;
    for (i, rec) in ofac_csv_reader(add_r).records().enumerate() {
        let rec = rec.map_err(|e| rec_err(&add, i + 1, e))?;
        if rec.len() == 1 {
            continue;
        }
        if rec.len() < 5 {
            return Err(rec_err(&add, i + 1, format!("{} fields, expected 6", rec.len())));
        }
        let id = rec.get(0).unwrap_or("").trim();
        let Some(&p) = index.get(id) else {
            return Err(rec_err(&add, i + 1, format!("address of unknown party `{id}`")));
        };
        if let (Some(country), Some(party)) = (rec.get(4).and_then(ofac_null), parties.get_mut(p)) {
            party.3.add_country_name(country);
        }
        postal += 1;
    }
    let mut entries = Vec::new();
    for (id, _, names, info) in &parties {
        push_party(&mut entries, list, &format!("OFAC-{id}"), names, &source, info);
    }
    for (id, cur, addr) in &addresses {
        entries.extend(entry(
            list,
            ListKind::Address,
            addr,
            &source,
            Some(format!("party=OFAC-{id}; currency={cur}")),
        ));
    }
    Ok(Imported {
        source,
        format: Format::OfacCsv,
        files: vec![sdn, alt, add],
        date: None,
        parties: parties.len(),
        postal_addresses: postal,
        entries,
    })
}

fn open_maybe_bz2(path: &Path) -> Result<Box<dyn BufRead>, ImportError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let r = std::io::BufReader::with_capacity(1 << 16, f);
    if path.extension().is_some_and(|e| e == "bz2") {
        // Streamed: the 121 MB XML is never held in memory.
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, bzip2::bufread::MultiBzDecoder::new(r))))
    } else {
        Ok(Box::new(r))
    }
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

fn xml_err(path: &Path, pos: u64, e: impl std::fmt::Display) -> ImportError {
    fmt_err(path, format!("XML error near byte {pos}: {e}"))
}

/// OFAC SDN advanced XML, plain or `.bz2`, streamed.
pub fn ofac_advanced_xml(path: &Path, list: &ListName) -> Result<Imported, ImportError> {
    ofac_advanced_xml_from(open_maybe_bz2(path)?, path, list)
}

/// [`ofac_advanced_xml`] over any reader (`path` names it in errors).
pub fn ofac_advanced_xml_from(
    input: impl BufRead,
    path: &Path,
    list: &ListName,
) -> Result<Imported, ImportError> {
    use std::collections::HashMap;
    let mut rdr = quick_xml::Reader::from_reader(input);
    rdr.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut date = [String::new(), String::new(), String::new()];
    // Reference values, all before the parties in the file: what each feature type is,
    // party sub-types and types, countries' codes, locations' countries, and the countries
    // that issued each identity's documents.
    let mut features: HashMap<String, Feature> = HashMap::new();
    let mut feature_type_id = String::new();
    let mut subtypes: HashMap<String, (String, String)> = HashMap::new();
    let mut party_types: HashMap<String, String> = HashMap::new();
    let mut ref_id = (String::new(), String::new());
    let mut country_iso: HashMap<String, String> = HashMap::new();
    let mut location_id: Option<String> = None;
    let mut location_countries: HashMap<String, Vec<String>> = HashMap::new();
    let mut identity_countries: HashMap<String, Vec<String>> = HashMap::new();
    let mut seen_root = false;
    // The party being read.
    let mut party: Option<String> = None;
    let mut info = PartyInfo::default();
    let mut names: Vec<String> = Vec::new();
    let mut primary: Option<usize> = None;
    let mut alias_primary = false;
    let mut alias_low = false;
    let mut parts: Vec<String> = Vec::new();
    let mut feature: Option<Feature> = None;
    let mut born_from = [String::new(), String::new(), String::new()];
    let mut born_to = [String::new(), String::new(), String::new()];
    let mut addrs: Vec<(String, String)> = Vec::new();
    let mut entries: Vec<ListEntry> = Vec::new();
    let mut parties = 0usize;
    let mut source = String::from("OFAC SDN");
    loop {
        let pos = rdr.buffer_position();
        let ev = rdr.read_event_into(&mut buf).map_err(|e| xml_err(path, pos, e))?;
        let (e, start) = match &ev {
            Event::Start(e) => (Some(e), true),
            Event::Empty(e) => (Some(e), false),
            _ => (None, false),
        };
        if let Some(e) = e {
            let name = e.local_name().as_ref().to_vec();
            match name.as_slice() {
                b"Sanctions" => seen_root = true,
                b"FeatureType" => feature_type_id = attr(e, b"ID").unwrap_or_default(),
                b"PartySubType" => {
                    ref_id = (attr(e, b"ID").unwrap_or_default(), attr(e, b"PartyTypeID").unwrap_or_default())
                }
                b"PartyType" => ref_id = (attr(e, b"ID").unwrap_or_default(), String::new()),
                b"Country" => {
                    if let (Some(id), Some(iso)) = (attr(e, b"ID"), attr(e, b"ISO2")) {
                        country_iso.insert(id, iso);
                    }
                }
                b"Location" if party.is_none() => location_id = attr(e, b"ID"),
                b"LocationCountry" => {
                    if let (Some(l), Some(iso)) =
                        (&location_id, attr(e, b"CountryID").and_then(|c| country_iso.get(&c)))
                    {
                        location_countries.entry(l.clone()).or_default().push(iso.clone());
                    }
                }
                b"IDRegDocument" => {
                    if let (Some(ident), Some(iso)) = (
                        attr(e, b"IdentityID"),
                        attr(e, b"IssuedBy-CountryID").and_then(|c| country_iso.get(&c)),
                    ) {
                        identity_countries.entry(ident).or_default().push(iso.clone());
                    }
                }
                b"DistinctParty" => {
                    let Some(id) = attr(e, b"FixedRef") else {
                        return Err(rec_err(
                            path,
                            format!("at byte {pos}"),
                            "`DistinctParty` without `FixedRef`",
                        ));
                    };
                    party = Some(id);
                    info = PartyInfo::default();
                    names.clear();
                    primary = None;
                    addrs.clear();
                }
                b"Profile" if party.is_some() => {
                    let sub = attr(e, b"PartySubTypeID").and_then(|s| subtypes.get(&s));
                    info.kind = match sub {
                        Some((_, t)) if t == "Vessel" => PartyKind::Vessel,
                        Some((_, t)) if t == "Aircraft" => PartyKind::Aircraft,
                        Some((ty, _)) => match party_types.get(ty).map(String::as_str) {
                            Some("Individual") => PartyKind::Individual,
                            Some("Transport") => PartyKind::Vessel,
                            Some(_) => PartyKind::Entity,
                            None => PartyKind::Unknown,
                        },
                        None => PartyKind::Unknown,
                    };
                }
                b"Identity" if party.is_some() => {
                    for c in attr(e, b"ID").and_then(|i| identity_countries.get(&i)).into_iter().flatten() {
                        info.add_country(c);
                    }
                }
                b"Alias" if party.is_some() => {
                    alias_primary = attr(e, b"Primary").as_deref() == Some("true");
                    alias_low = attr(e, b"LowQuality").as_deref() == Some("true");
                }
                b"DocumentedName" if party.is_some() => parts.clear(),
                b"Feature" if party.is_some() => {
                    feature = attr(e, b"FeatureTypeID").and_then(|t| features.get(&t).cloned());
                    born_from = Default::default();
                    born_to = Default::default();
                }
                b"VersionLocation" if matches!(feature, Some(Feature::Country)) => {
                    for c in
                        attr(e, b"LocationID").and_then(|l| location_countries.get(&l)).into_iter().flatten()
                    {
                        info.add_country(c);
                    }
                }
                _ => {}
            }
            if start {
                stack.push(name);
            }
        }
        match ev {
            Event::End(e) => {
                let name = e.local_name().as_ref().to_vec();
                if stack.pop().as_deref() != Some(name.as_slice()) {
                    return Err(xml_err(path, pos, "mismatched end tag"));
                }
                match name.as_slice() {
                    b"DocumentedName" if party.is_some() => {
                        let full = parts.join(" ");
                        // A low-quality alias of a few letters (`BNC`) would match far too much.
                        if !(full.is_empty() || alias_low && full.chars().count() <= 4) {
                            if alias_primary && primary.is_none() {
                                primary = Some(names.len());
                            }
                            names.push(full);
                        }
                    }
                    b"Location" => location_id = None,
                    b"Feature" => {
                        if matches!(feature, Some(Feature::Birth)) {
                            info.add_born(&date_of(&born_from, &born_to));
                        }
                        feature = None;
                    }
                    b"DistinctParty" => {
                        let Some(id) = party.take() else { continue };
                        if names.is_empty() {
                            return Err(rec_err(path, format!("party {id}"), "no name"));
                        }
                        if let Some(p) = primary
                            && p < names.len()
                        {
                            let main = names.remove(p);
                            names.insert(0, main);
                        }
                        let pid = format!("OFAC-{id}");
                        push_party(&mut entries, list, &pid, &names, &source, &info);
                        for (cur, a) in &addrs {
                            entries.extend(entry(
                                list,
                                ListKind::Address,
                                a,
                                &source,
                                Some(format!("party={pid}; currency={cur}")),
                            ));
                        }
                        parties += 1;
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| xml_err(path, pos, e))?;
                let text =
                    quick_xml::escape::unescape(&text).map_err(|e| xml_err(path, pos, e))?.into_owned();
                let within = |n: &[u8]| stack.iter().any(|s| s == n);
                let ymd = |tag: &[u8]| match tag {
                    b"Year" => Some(0),
                    b"Month" => Some(1),
                    b"Day" => Some(2),
                    _ => None,
                };
                match stack.last().map(Vec::as_slice) {
                    Some(t) if ymd(t).is_some() && within(b"DateOfIssue") => {
                        if let Some(d) = ymd(t).and_then(|i| date.get_mut(i)) {
                            *d = text;
                        }
                        if t == b"Day" {
                            source = format!("OFAC SDN {}-{:0>2}-{:0>2}", date[0], date[1], date[2]);
                        }
                    }
                    Some(t) if ymd(t).is_some() && matches!(feature, Some(Feature::Birth)) => {
                        let slot = if within(b"Start") && within(b"From") {
                            ymd(t).and_then(|i| born_from.get_mut(i))
                        } else if within(b"End") && within(b"To") {
                            ymd(t).and_then(|i| born_to.get_mut(i))
                        } else {
                            None
                        };
                        if let Some(s) = slot {
                            *s = text;
                        }
                    }
                    Some(b"FeatureType") => {
                        let kind = if let Some(cur) = text.strip_prefix("Digital Currency Address - ") {
                            Some(Feature::Currency(cur.to_string()))
                        } else if text == "Birthdate" {
                            Some(Feature::Birth)
                        } else if COUNTRY_FEATURES.contains(&text.as_str()) {
                            Some(Feature::Country)
                        } else {
                            None
                        };
                        if let Some(k) = kind {
                            features.insert(feature_type_id.clone(), k);
                        }
                    }
                    Some(b"PartySubType") => {
                        subtypes.insert(ref_id.0.clone(), (ref_id.1.clone(), text));
                    }
                    Some(b"PartyType") => {
                        party_types.insert(ref_id.0.clone(), text);
                    }
                    Some(b"NamePartValue") if party.is_some() => parts.push(text),
                    Some(b"VersionDetail") if party.is_some() => {
                        if let Some(Feature::Currency(cur)) = &feature {
                            addrs.push((cur.clone(), text));
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !seen_root {
        return Err(fmt_err(path, "not an OFAC advanced XML file (no `<Sanctions>` element)"));
    }
    if !stack.is_empty() || party.is_some() {
        return Err(fmt_err(path, "the file ends inside an element (truncated?)"));
    }
    if parties == 0 {
        return Err(fmt_err(path, "no parties"));
    }
    let date = (!date[0].is_empty()).then(|| format!("{}-{:0>2}-{:0>2}", date[0], date[1], date[2]));
    Ok(Imported {
        source,
        format: Format::OfacXml,
        files: vec![path.to_path_buf()],
        date,
        parties,
        postal_addresses: 0,
        entries,
    })
}

/// What a feature type of the advanced XML tells screening.
#[derive(Clone, Debug)]
enum Feature {
    /// A digital-currency address of this currency.
    Currency(String),
    /// A country tied to the party (through a location).
    Country,
    /// A date of birth.
    Birth,
}

/// The advanced XML's feature types that tie a party to a country.
const COUNTRY_FEATURES: &[&str] = &[
    "Nationality Country",
    "Citizenship Country",
    "Location",
    "Place of Birth",
    "Nationality of Registration",
    "Registration Country",
];

/// A date period as one date of birth: `1982-07-01` when its start and end are one day,
/// the year when they are within one year, else `1960~1962`.
fn date_of(from: &[String; 3], to: &[String; 3]) -> String {
    let [y, m, d] = from;
    if y.is_empty() {
        return String::new();
    }
    if from == to || to[0].is_empty() {
        if m.is_empty() || d.is_empty() {
            return y.clone();
        }
        return format!("{y}-{m:0>2}-{d:0>2}");
    }
    if to[0] == *y { y.clone() } else { format!("{y}~{}", to[0]) }
}

/// The UN Security Council consolidated list XML.
pub fn un_consolidated_xml(path: &Path, list: &ListName) -> Result<Imported, ImportError> {
    un_consolidated_xml_from(open_maybe_bz2(path)?, path, list)
}

/// [`un_consolidated_xml`] over any reader (`path` names it in errors).
pub fn un_consolidated_xml_from(
    input: impl BufRead,
    path: &Path,
    list: &ListName,
) -> Result<Imported, ImportError> {
    let mut rdr = quick_xml::Reader::from_reader(input);
    rdr.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut date: Option<String> = None;
    let mut seen_root = false;
    let mut in_party = false;
    let mut id = String::new();
    let mut dataid = String::new();
    let mut name_parts: Vec<String> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    let mut info = PartyInfo::default();
    let mut born_years = (String::new(), String::new());
    let mut entries = Vec::new();
    let mut parties = 0usize;
    let mut source = String::from("UN SC consolidated");
    loop {
        let pos = rdr.buffer_position();
        let ev = rdr.read_event_into(&mut buf).map_err(|e| xml_err(path, pos, e))?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"CONSOLIDATED_LIST" => {
                        seen_root = true;
                        date = attr(&e, b"dateGenerated").map(|d| d.chars().take(10).collect());
                        if let Some(d) = &date {
                            source = format!("UN SC consolidated {d}");
                        }
                    }
                    b"INDIVIDUAL" | b"ENTITY" => {
                        in_party = true;
                        id.clear();
                        dataid.clear();
                        name_parts = vec![String::new(); 4];
                        others.clear();
                        info = PartyInfo::new(if name.as_slice() == b"INDIVIDUAL" {
                            PartyKind::Individual
                        } else {
                            PartyKind::Entity
                        });
                    }
                    b"INDIVIDUAL_DATE_OF_BIRTH" => born_years = (String::new(), String::new()),
                    _ => {}
                }
                stack.push(name);
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_vec();
                if stack.pop().as_deref() != Some(name.as_slice()) {
                    return Err(xml_err(path, pos, "mismatched end tag"));
                }
                if name.as_slice() == b"INDIVIDUAL_DATE_OF_BIRTH" && !born_years.0.is_empty() {
                    info.add_born(&if born_years.1.is_empty() || born_years.1 == born_years.0 {
                        born_years.0.clone()
                    } else {
                        format!("{}~{}", born_years.0, born_years.1)
                    });
                }
                if matches!(name.as_slice(), b"INDIVIDUAL" | b"ENTITY") {
                    in_party = false;
                    if id.is_empty() {
                        let at = if dataid.is_empty() {
                            format!("at byte {pos}")
                        } else {
                            format!("DATAID {dataid}")
                        };
                        return Err(rec_err(path, at, "a party without `REFERENCE_NUMBER`"));
                    }
                    let main =
                        name_parts.iter().filter(|p| !p.is_empty()).cloned().collect::<Vec<_>>().join(" ");
                    if main.is_empty() {
                        return Err(rec_err(path, format!("party {id}"), "no name"));
                    }
                    let mut names = vec![main];
                    names.append(&mut others);
                    push_party(&mut entries, list, &format!("UN-{id}"), &names, &source, &info);
                    parties += 1;
                }
            }
            Event::Text(t) if in_party => {
                let text = t.decode().map_err(|e| xml_err(path, pos, e))?;
                let text =
                    quick_xml::escape::unescape(&text).map_err(|e| xml_err(path, pos, e))?.into_owned();
                let slot = |n: &[u8]| match n {
                    b"FIRST_NAME" => Some(0),
                    b"SECOND_NAME" => Some(1),
                    b"THIRD_NAME" => Some(2),
                    b"FOURTH_NAME" => Some(3),
                    _ => None,
                };
                match stack.last().map(Vec::as_slice) {
                    Some(b"REFERENCE_NUMBER") => id = text.trim().to_string(),
                    Some(b"DATAID") => dataid = text.trim().to_string(),
                    Some(n) if slot(n).is_some() && stack.len() <= 4 => {
                        if let Some(p) = slot(n).and_then(|i| name_parts.get_mut(i)) {
                            *p = text;
                        }
                    }
                    Some(b"ALIAS_NAME") | Some(b"NAME_ORIGINAL_SCRIPT") => others.push(text),
                    Some(b"COUNTRY" | b"ISSUING_COUNTRY" | b"COUNTRY_OF_ISSUE" | b"COUNTRY_OF_BIRTH") => {
                        info.add_country_name(&text)
                    }
                    Some(b"VALUE") if stack.iter().rev().nth(1).is_some_and(|p| p == b"NATIONALITY") => {
                        info.add_country_name(&text)
                    }
                    Some(n)
                        if stack.iter().rev().nth(1).is_some_and(|p| p == b"INDIVIDUAL_DATE_OF_BIRTH") =>
                    {
                        match n {
                            b"DATE" => info.add_born(text.get(..10).unwrap_or(&text)),
                            b"YEAR" | b"FROM_YEAR" => born_years.0 = text.trim().to_string(),
                            b"TO_YEAR" => born_years.1 = text.trim().to_string(),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !seen_root {
        return Err(fmt_err(path, "not a UN consolidated list (no `<CONSOLIDATED_LIST>` element)"));
    }
    if !stack.is_empty() {
        return Err(fmt_err(path, "the file ends inside an element (truncated?)"));
    }
    Ok(Imported {
        source,
        format: Format::UnXml,
        files: vec![path.to_path_buf()],
        date,
        parties,
        postal_addresses: 0,
        entries,
    })
}

/// The date in a file name (`…_2025-11-19.csv`), if any.
fn date_in_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let s = name.get(i..i + 10)?;
        let ok =
            s.bytes().enumerate().all(|(k, c)| if k == 4 || k == 7 { c == b'-' } else { c.is_ascii_digit() });
        ok.then(|| s.to_string())
    })
}

/// OFAC's sanctioned digital-currency addresses, `currency,address`.
pub fn ofac_crypto_csv(path: &Path, list: &ListName) -> Result<Imported, ImportError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    ofac_crypto_csv_from(f, path, list)
}

/// [`ofac_crypto_csv`] over any reader (`path` names it in errors).
pub fn ofac_crypto_csv_from(
    input: impl std::io::Read,
    path: &Path,
    list: &ListName,
) -> Result<Imported, ImportError> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(input);
    let headers = rdr.headers().map_err(|e| rec_err(path, "header", e))?.clone();
    if headers.iter().map(|h| h.trim_start_matches('\u{feff}')).collect::<Vec<_>>() != ["currency", "address"]
    {
        return Err(fmt_err(path, "the header must be `currency,address`"));
    }
    let date = date_in_name(path);
    let source = match &date {
        Some(d) => format!("OFAC crypto addresses {d}"),
        None => String::from("OFAC crypto addresses"),
    };
    let mut entries = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| rec_err(path, i + 1, e))?;
        let cur = rec.get(0).unwrap_or("").trim();
        let addr = rec.get(1).unwrap_or("").trim();
        if cur.is_empty() || !cur.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(rec_err(path, i + 1, format!("currency `{cur}` is not a currency code")));
        }
        if addr.len() < 20 || addr.len() > 128 || !addr.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(rec_err(path, i + 1, format!("`{addr}` is not a wallet address")));
        }
        entries.extend(entry(list, ListKind::Address, addr, &source, Some(format!("currency={cur}"))));
    }
    let n = entries.len();
    Ok(Imported {
        source,
        format: Format::OfacCrypto,
        files: vec![path.to_path_buf()],
        date,
        parties: n,
        postal_addresses: 0,
        entries,
    })
}

/// Chinese and former names of exchanges, shipped with Sluice (`data/exchange_aliases.csv`).
const EXCHANGE_ALIASES: &str = include_str!("../data/exchange_aliases.csv");

/// Domains in the exchange host list that are not the exchange's (code hosting, docs).
const NOISE_DOMAINS: &[&str] = &[
    "github.com",
    "github.io",
    "githubusercontent.com",
    "gitbook.io",
    "readme.io",
    "medium.com",
    "twitter.com",
    "t.me",
];

/// The registrable domain of a host (its last two labels; the exchanges' hosts have no
/// public suffix of two labels such as `co.uk`).
fn domain(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let n = labels.len();
    if n <= 2 { host.to_string() } else { labels[n - 2..].join(".") }
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |x| x.1);
    let host = rest.split(['/', '?', '#', ':']).next()?.to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The exchange list: `ccxt_exchanges.csv` (`id,name,www,countries`) with
/// `ccxt_exchange_hosts.csv` (`id,hosts`) beside it, if present.
pub fn exchanges_csv(path: &Path, list: &ListName) -> Result<Imported, ImportError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut rdr = csv::ReaderBuilder::new().from_reader(f);
    let headers = rdr.headers().map_err(|e| rec_err(path, "header", e))?.clone();
    let col = |n: &str| headers.iter().position(|h| h.trim_start_matches('\u{feff}') == n);
    let (Some(ci), Some(cn), Some(cw)) = (col("id"), col("name"), col("www")) else {
        return Err(fmt_err(path, "the header must have `id`, `name` and `www`"));
    };
    let cc = col("countries");
    let source = String::from("ccxt exchanges");
    let hosts_path = path.with_file_name("ccxt_exchange_hosts.csv");
    let mut hosts: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    let mut files = vec![path.to_path_buf()];
    if hosts_path.exists() {
        let f = std::fs::File::open(&hosts_path).map_err(io_err(&hosts_path))?;
        let mut hr = csv::ReaderBuilder::new().from_reader(f);
        for (i, rec) in hr.records().enumerate() {
            let rec = rec.map_err(|e| rec_err(&hosts_path, i + 1, e))?;
            let id = rec.get(0).unwrap_or("").trim().to_string();
            if id.is_empty() {
                return Err(rec_err(&hosts_path, i + 1, "no exchange id"));
            }
            hosts.insert(
                id,
                rec.get(1).unwrap_or("").split_whitespace().map(str::to_ascii_lowercase).collect(),
            );
        }
        files.push(hosts_path);
    }
    let mut aliases: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for line in EXCHANGE_ALIASES.lines().filter(|l| !l.starts_with('#') && !l.starts_with("id,")) {
        if let Some((id, alias)) = line.split_once(',') {
            aliases.entry(id.trim()).or_default().push(alias.trim());
        }
    }
    let mut entries = Vec::new();
    let mut parties = 0usize;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| rec_err(path, i + 1, e))?;
        let id = rec.get(ci).unwrap_or("").trim();
        let name = rec.get(cn).unwrap_or("").trim();
        if id.is_empty() || name.is_empty() {
            return Err(rec_err(path, i + 1, "an exchange needs an `id` and a `name`"));
        }
        let www = rec.get(cw).unwrap_or("").trim();
        let countries = cc.and_then(|c| rec.get(c)).unwrap_or("").replace(['\'', ' '], "");
        let mut names = vec![name.to_string(), id.to_string()];
        names.extend(aliases.get(id).into_iter().flatten().map(|s| s.to_string()));
        let pid = format!("ccxt-{id}");
        let mut info = PartyInfo::new(PartyKind::Entity);
        countries.split(',').for_each(|c| info.add_country(c));
        push_party(&mut entries, list, &pid, &names, &source, &info);
        // Hosts: the site's domain, and every listed host's domain that carries the
        // exchange's id (`binancefuture.com`), never code-hosting or docs domains.
        let mut doms: Vec<String> = Vec::new();
        // ccxt writes a URL template (`https://{hostname}`) for an exchange with several
        // sites: no host to take from it.
        let main = url_host(www).filter(|h| !h.contains('{')).map(|h| domain(&h));
        if let Some(d) = &main {
            doms.push(d.clone());
        }
        for h in hosts.get(id).into_iter().flatten() {
            let d = domain(h);
            let own = main.as_deref() == Some(d.as_str()) || d.contains(&id.replace('_', ""));
            if own && !NOISE_DOMAINS.contains(&d.as_str()) && !doms.contains(&d) {
                doms.push(d);
            }
        }
        for d in doms {
            if sluice_core::Hostname::parse(&d).is_err() {
                return Err(rec_err(path, i + 1, format!("`{d}` is not a hostname")));
            }
            let note = if countries.is_empty() {
                format!("party={pid}")
            } else {
                format!("party={pid}; countries={countries}")
            };
            entries.extend(entry(list, ListKind::Host, &d, &source, Some(note)));
        }
        parties += 1;
    }
    Ok(Imported {
        source,
        format: Format::Exchanges,
        files,
        date: None,
        parties,
        postal_addresses: 0,
        entries,
    })
}

/// The spec's lists format, through `sluice_io::RecordReader`: any rejected row fails the
/// import (a list is applied whole or not at all).
pub fn plain_lists(path: &Path) -> Result<Imported, ImportError> {
    let mut rdr = sluice_io::RecordReader::<ListEntry>::open(path).map_err(|e| fmt_err(path, e))?;
    let mut entries = Vec::new();
    loop {
        match rdr.next_item().map_err(|e| fmt_err(path, e))? {
            None => break,
            Some(sluice_io::ReadItem::Record(e, _)) => entries.push(e),
            Some(sluice_io::ReadItem::Rejected(r)) => {
                let field = r.field.as_deref().map(|f| format!(" field `{f}`:")).unwrap_or_default();
                return Err(rec_err(
                    path,
                    format!("{} (line {})", r.record, r.line),
                    format!("{}{field} {}", r.code.as_str(), r.reason),
                ));
            }
        }
    }
    let source = entries
        .first()
        .and_then(|e| e.source.clone())
        .unwrap_or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let n = entries.len();
    Ok(Imported {
        source,
        format: Format::Lists,
        files: vec![path.to_path_buf()],
        date: None,
        parties: n,
        postal_addresses: 0,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> ListName {
        ListName::parse("sanctions").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn helpers() {
        assert_eq!(person_name("AL-ZAWAHIRI, Ayman"), "Ayman AL-ZAWAHIRI");
        assert_eq!(
            remark_addresses(
                "Digital Currency Address - XBT 1Q1pE5vPGEEMqRcVRMbtBK842Y6Pzo6nK9; alt. Digital Currency Address - ETH 0x7F367cC41522cE07553e823bf3be79A889DEbe1B."
            ),
            [
                ("XBT".to_string(), "1Q1pE5vPGEEMqRcVRMbtBK842Y6Pzo6nK9".to_string()),
                ("ETH".to_string(), "0x7F367cC41522cE07553e823bf3be79A889DEbe1B".to_string())
            ]
        );
        assert_eq!(domain("api.binance.com"), "binance.com");
        assert_eq!(url_host("https://www.asterdex.com/en"), Some("www.asterdex.com".into()));
        assert_eq!(date_in_name(Path::new("x_2025-11-19.csv")), Some("2025-11-19".into()));
        assert_eq!(Format::parse("un-xml"), Some(Format::UnXml));
        let e = entry(&list(), ListKind::Name, &"x".repeat(300), "s", None).map(|e| e.entry.chars().count());
        assert_eq!(e, Some(200));
    }
}
