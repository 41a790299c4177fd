//! Every import on the real sources in `../shared/data` (when present) and each import's
//! error path on the malformed fixtures in `tests/fixtures/`.

use sluice_core::{AccountKind, ListEntry, ListKind, ListName};
use sluice_screen::assess::assess;
use sluice_screen::import::{self, Format, ImportError};
use sluice_screen::party::{PartyInfo, PartyKind};
use sluice_screen::store::ListsDir;
use sluice_screen::{NameScreener, Screener};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    p.exists().then_some(p)
}

fn list() -> ListName {
    ListName::parse("sanctions").unwrap_or_else(|_| unreachable!())
}

/// The error message with the fixtures folder cut off, so it reads the same everywhere.
fn message(r: Result<import::Imported, ImportError>) -> String {
    match r {
        Ok(i) => format!("no error: {} entries", i.entries.len()),
        Err(e) => e.to_string().replace(&fixture("").display().to_string(), ""),
    }
}

#[test]
fn each_import_names_file_and_record_of_a_malformed_source() {
    let cases = [
        (
            import::ofac_sdn_csv(&fixture("sdn_short/sdn.csv"), &list()),
            "sdn_short/sdn.csv: record 2: 4 fields, expected 12",
        ),
        (
            import::ofac_sdn_csv(&fixture("sdn_bad_alt"), &list()),
            "sdn_bad_alt/alt.csv: record 2: alias of unknown party `999`",
        ),
        (
            import::ofac_crypto_csv(&fixture("bad_crypto.csv"), &list()),
            "bad_crypto.csv: record 2: `not an address` is not a wallet address",
        ),
        (
            import::ofac_advanced_xml(&fixture("truncated_ofac.xml"), &list()),
            "truncated_ofac.xml: the file ends inside an element (truncated?)",
        ),
        (
            import::ofac_advanced_xml(&fixture("nameless_ofac.xml"), &list()),
            "nameless_ofac.xml: record party 1: no name",
        ),
        (
            import::ofac_advanced_xml(&fixture("notalist.xml"), &list()),
            "notalist.xml: not an OFAC advanced XML file (no `<Sanctions>` element)",
        ),
        (
            import::un_consolidated_xml(&fixture("un_no_reference.xml"), &list()),
            "un_no_reference.xml: record DATAID 1: a party without `REFERENCE_NUMBER`",
        ),
        (
            import::exchanges_csv(&fixture("bad_exchanges.csv"), &list()),
            "bad_exchanges.csv: record 1: an exchange needs an `id` and a `name`",
        ),
        (
            import::plain_lists(&fixture("bad_lists.csv")),
            "bad_lists.csv: record 2 (line 3): BAD_LIST_KIND field `kind`: `colour` is not account_id, name, host or address",
        ),
        (
            import::import(&fixture("notalist.xml"), "sanctions", None),
            "notalist.xml: an XML file that is neither OFAC advanced (`<Sanctions>`) nor UN (`<CONSOLIDATED_LIST>`)",
        ),
    ];
    for (got, want) in cases {
        let got = message(got);
        assert!(got.starts_with(want) || got == want, "got:  {got}\nwant: {want}");
    }
    assert_eq!(
        message(import::ofac_crypto_csv(&fixture("crypto_empty_ok.csv"), &list())),
        "no error: 0 entries"
    );
}

#[test]
fn a_failed_import_keeps_the_previous_lists() {
    let Ok(tmp) = tempfile::tempdir() else { return };
    let dir = ListsDir::new(tmp.path());
    let good = import::import(&fixture("good_lists.csv"), "x", None).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(good.format, Format::Lists);
    let s = dir.apply(&good, "x").unwrap_or_else(|e| unreachable!("{e}"));
    let version = s.version().to_string();
    assert!(s.best("Bi An", "exchanges") > 0.95);
    assert!(import::import(&fixture("bad_lists.csv"), "x", None).is_err());
    // Nothing was written: the same lists, the same version.
    let again = dir.screener().unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(again.version(), version);
    assert_eq!(dir.entries().map(|e| e.len()).unwrap_or(0), 3);
}

#[test]
fn ofac_classic_csv_2019() {
    let Some(p) = shared("lists/ofac_sdn_csv_2019/sdn.csv") else { return };
    let i = import::import(&p, "sanctions", None).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(i.format, Format::OfacCsv);
    assert!(i.parties > 7000, "{}", i.parties);
    assert!(i.postal_addresses > 10_000);
    // People are written `First LAST`, so a comma never reads as a trailing clause.
    assert!(i.entries.iter().any(|e| e.entry.as_str() == "Ayman AL-ZAWAHIRI"));
    // Type, date and place of birth from the remarks.
    assert_eq!(
        info_of(&i.entries, "Dr. Ayman AL ZAWAHIRI"),
        ("individual".into(), vec!["EG".into()], vec!["1951-06-19".into()])
    );
}

#[test]
fn un_consolidated_xml() {
    let Some(p) = shared("lists/un_consolidated.xml") else { return };
    let i = import::import(&p, "sanctions", None).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!((i.format, i.parties), (Format::UnXml, 1003));
    assert_eq!(i.date.as_deref(), Some("2026-02-27"));
    // Type, nationality, address and birth countries (UN names → codes), year of birth.
    assert_eq!(
        info_of(&i.entries, "GASTON IYAMUREMYE"),
        ("individual".into(), vec!["CD".into(), "RW".into()], vec!["1948".into()])
    );
    let kinds = |k: PartyKind| {
        i.entries
            .iter()
            .filter(|e| e.note.as_deref().is_some_and(|n| n.contains(&format!("type={}", k.as_str()))))
            .count()
    };
    assert_eq!((kinds(PartyKind::Individual), kinds(PartyKind::Entity)), (730, 273));
}

/// The type, countries and dates of birth of the party whose main name is `name`.
fn info_of(entries: &[ListEntry], name: &str) -> (String, Vec<String>, Vec<String>) {
    let note = entries
        .iter()
        .find(|e| e.entry.as_str() == name && e.note.as_deref().is_some_and(|n| n.contains("primary")))
        .and_then(|e| e.note.clone())
        .unwrap_or_default();
    let p = PartyInfo::parse_note(&note);
    (
        p.kind.as_str().to_string(),
        p.countries.iter().map(|c| c.to_string()).collect(),
        p.born.iter().map(|c| c.to_string()).collect(),
    )
}

/// A trimmed copy of the real SDN advanced XML (`tests/fixtures/trim_sdn.py`): every
/// element name, feature type, party sub-type, alias type and script of the real parties,
/// 66 parties, read in CI time.
#[test]
fn ofac_advanced_xml_trimmed() {
    let i = import::import(&fixture("sdn_advanced_trimmed.xml"), "sanctions", None)
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!((i.format, i.parties), (Format::OfacXml, 66));
    assert_eq!(i.source, "OFAC SDN 2025-11-19");
    assert_eq!(
        info_of(&i.entries, "SUN Wei"),
        ("individual".into(), vec!["CN".into()], vec!["1982-07-01".into()])
    );
    assert_eq!(
        info_of(&i.entries, "Zhang Wei"),
        ("individual".into(), vec!["CN".into()], vec!["1977-06-16".into()])
    );
    assert_eq!(info_of(&i.entries, "DALIAN GLOBAL UNITY SHIPPING CO., LTD.").0, "entity");
    assert_eq!(
        info_of(&i.entries, "GARANTEX EUROPE OU"),
        ("entity".into(), vec!["EE".into(), "RU".into()], vec![])
    );
    let count = |k: PartyKind| {
        i.entries
            .iter()
            .filter(|e| {
                e.note
                    .as_deref()
                    .is_some_and(|n| n.contains("primary") && n.contains(&format!("type={}", k.as_str())))
            })
            .count()
    };
    assert_eq!(
        [PartyKind::Individual, PartyKind::Entity, PartyKind::Vessel, PartyKind::Aircraft].map(count),
        [10, 37, 13, 6]
    );
    assert!(i.entries.iter().any(|e| e.kind == ListKind::Address));
    assert!(i.entries.iter().any(|e| e.entry.as_str() == "孙 伟"));

    // Screened: the hit carries the party, and the policy tells a namesake from a match.
    let s = Screener::from_entries(&i.entries, "v");
    let hits = s.screen("张伟", Some("sanctions"), 3);
    let Some(h) = hits.first() else { unreachable!("no hit for 张伟") };
    assert_eq!((h.entry.as_str(), h.party.kind), ("Zhang Wei", PartyKind::Individual));
    assert!(assess(AccountKind::Personal, "CN", h).alert);
    assert!(!assess(AccountKind::Personal, "JP", h).alert);
    assert!(assess(AccountKind::Merchant, "JP", h).alert);
    let g = s.screen("Garantex Europe", Some("sanctions"), 1);
    let Some(g) = g.first() else { unreachable!("no hit for Garantex") };
    assert!(assess(AccountKind::Merchant, "CN", g).alert);
    assert!(!assess(AccountKind::Personal, "EE", g).alert);
}

#[test]
fn ofac_crypto_addresses() {
    let Some(p) = shared("lists/ofac_crypto_addresses_2025-11-19.csv") else { return };
    let i = import::import(&p, "sanctions", None).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(i.entries.len(), 758);
    assert!(i.entries.iter().all(|e| e.kind == ListKind::Address));
}

#[test]
fn exchange_list() {
    let Some(p) = shared("exchanges/ccxt_exchanges.csv") else { return };
    let i = import::import(&p, "exchanges", None).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(i.parties, 104);
    let hosts: Vec<&str> =
        i.entries.iter().filter(|e| e.kind == ListKind::Host).map(|e| e.entry.as_str()).collect();
    assert!(hosts.contains(&"binance.com") && hosts.contains(&"huobi.com"));
    assert!(!hosts.contains(&"github.com"));
}

/// The advanced XML is 121 MB unpacked: slow in a debug build, so only on request
/// (`SLUICE_SLOW_TESTS=1`); [`ofac_advanced_xml_trimmed`] runs every time.
#[test]
fn ofac_advanced_xml_bz2() {
    if std::env::var_os("SLUICE_SLOW_TESTS").is_none() {
        return;
    }
    let Some(p) = shared("lists/ofac_sdn_advanced_2025-11-19.xml.bz2") else { return };
    let i = import::import(&p, "sanctions", None).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(i.parties, 18_367);
    assert_eq!(i.source, "OFAC SDN 2025-11-19");
    assert!(i.entries.iter().any(|e| e.entry.as_str() == "GARANTEX EUROPE OU"));
    assert!(i.entries.iter().filter(|e| e.kind == ListKind::Address).count() > 700);
    assert_eq!(
        info_of(&i.entries, "SUN Wei"),
        ("individual".into(), vec!["CN".into()], vec!["1982-07-01".into()])
    );
}
