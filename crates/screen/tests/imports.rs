//! Every import on the real sources in `../shared/data` (when present) and each import's
//! error path on the malformed fixtures in `tests/fixtures/`.

use sluice_core::{ListKind, ListName};
use sluice_screen::NameScreener;
use sluice_screen::import::{self, Format, ImportError};
use sluice_screen::store::ListsDir;
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
}

#[test]
fn un_consolidated_xml() {
    let Some(p) = shared("lists/un_consolidated.xml") else { return };
    let i = import::import(&p, "sanctions", None).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!((i.format, i.parties), (Format::UnXml, 1003));
    assert_eq!(i.date.as_deref(), Some("2026-02-27"));
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

/// The advanced XML is 121 MB unpacked: slow in a debug build, so only on request.
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
}
