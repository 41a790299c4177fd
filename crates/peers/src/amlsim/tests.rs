//! Unit tests of the AMLSim mapping, every error path and the amount parser.

use super::*;
use proptest::prelude::*;

fn opts() -> Options {
    Options {
        start: Timestamp::parse_rfc3339("2026-01-01T00:00:00+08:00").unwrap(),
        step_secs: DAY_SECS,
        currency: Currency::CNY,
        country: Country::parse("CN").unwrap(),
    }
}

const NODES: &str = "nodeid,isFraud,init_balance,fraudStep\n0,0,184.44,-1\n1,1,175.80,3\n2,1,142.06,-1\n";
const TXS: &str = "sourceNodeId,targetNodeId,value,time\n0,1,163.3,1\n1,2,1.0E3,3\n2,2,5,3\n2,0,0.07,149\n";

/// The four output files as text, or the error.
fn convert(nodes: &str, txs: &str) -> Result<([String; 4], Summary), AmlsimError> {
    let o = opts();
    let names = OUTPUT_FILES.map(Path::new);
    let mut out = Outputs::csv(names, [(); 4].map(|()| Vec::new()))?;
    let mut conv = Converter::new(&o);
    conv.nodes(nodes.as_bytes(), "nodes.csv", &mut out)?;
    conv.transactions(txs.as_bytes(), "transactions.csv", &mut out)?;
    let summary = conv.summary().clone();
    let files = out.into_inner()?.map(|b| String::from_utf8(b).unwrap());
    Ok((files, summary))
}

fn err(nodes: &str, txs: &str) -> String {
    match convert(nodes, txs) {
        Ok(_) => panic!("converted, expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn maps_every_field() {
    let ([accounts, transactions, labels_accounts, labels_transactions], summary) =
        convert(NODES, TXS).unwrap();
    assert_eq!(
        accounts,
        "account_id,kind,name,country,created_at,kyc_level,mcc,website\n\
         amlsim-0,personal,AMLSim account 0,CN,2025-12-31T16:00:00.000000Z,3,,\n\
         amlsim-1,personal,AMLSim account 1,CN,2025-12-31T16:00:00.000000Z,3,,\n\
         amlsim-2,personal,AMLSim account 2,CN,2025-12-31T16:00:00.000000Z,3,,\n"
    );
    // Step n starts n days after 2026-01-01T00:00+08:00; the self-payment (row 3) is skipped
    // and leaves a gap in the ids.
    assert_eq!(
        transactions,
        "tx_id,ts,payer,payee,amount,currency,channel,memo,device_id\n\
         amlsim-tx-1,2026-01-01T16:00:00.000000Z,amlsim-0,amlsim-1,163.30,CNY,p2p,,\n\
         amlsim-tx-2,2026-01-03T16:00:00.000000Z,amlsim-1,amlsim-2,1000.00,CNY,p2p,,\n\
         amlsim-tx-4,2026-05-29T16:00:00.000000Z,amlsim-2,amlsim-0,0.07,CNY,p2p,,\n"
    );
    assert_eq!(labels_accounts, "account_id,role\namlsim-0,normal\namlsim-1,mule\namlsim-2,mule\n");
    assert_eq!(labels_transactions, "tx_id,crypto_related\namlsim-tx-1,0\namlsim-tx-2,1\namlsim-tx-4,0\n");
    assert_eq!(
        summary,
        Summary {
            accounts: 3,
            laundering_accounts: 2,
            transactions: 3,
            laundering_transactions: 1,
            self_payments_skipped: 1,
            first_step: Some(1),
            last_step: Some(149),
        }
    );
}

#[test]
fn columns_by_name_in_any_order_and_flags_as_words() {
    let nodes = "\u{feff}fraudStep,isFraud,nodeid\n-1,False,a\n-1,TRUE,b\n";
    let txs = "time,value,targetNodeId,sourceNodeId,extra\n0,2.500,b,a,x\n";
    let ([_, t, la, lt], _) = convert(nodes, txs).unwrap();
    assert!(t.ends_with("amlsim-tx-1,2025-12-31T16:00:00.000000Z,amlsim-a,amlsim-b,2.50,CNY,p2p,,\n"), "{t}");
    assert_eq!(la, "account_id,role\namlsim-a,normal\namlsim-b,mule\n");
    assert_eq!(lt, "tx_id,crypto_related\namlsim-tx-1,0\n");
}

#[test]
fn every_error_names_file_line_field_and_why() {
    let cases: &[(&str, &str, &str)] = &[
        ("nodeid,fraud\n0,0\n", TXS, "nodes.csv: line 1: the header has no `isFraud` column"),
        (
            NODES,
            "sourceNodeId,targetNodeId,value\n",
            "transactions.csv: line 1: the header has no `time` column",
        ),
        ("nodeid,isFraud\n0,0\n1\n", TXS, "nodes.csv: line 3: 1 fields, but the header has 2"),
        (
            "nodeid,isFraud\n0,0\n1,\u{fffd}\n",
            TXS,
            "nodes.csv: line 3: field `isFraud`: `\u{fffd}` is not 0, 1, true or false",
        ),
        ("nodeid,isFraud\n0,2\n", TXS, "nodes.csv: line 2: field `isFraud`: `2` is not 0, 1, true or false"),
        (
            "nodeid,isFraud\na b,0\n",
            TXS,
            "nodes.csv: line 2: field `nodeid`: `a b` does not make an account id: `amlsim-a b` contains ' ' at position 9; ids use only A-Z a-z 0-9 _ . : -",
        ),
        ("nodeid,isFraud\n,0\n", TXS, "nodes.csv: line 2: field `nodeid`: is empty"),
        (
            "nodeid,isFraud\n7,0\n8,1\n7,1\n",
            TXS,
            "nodes.csv: line 4: field `nodeid`: node `7` already appeared on line 2",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,9,1.00,1\n",
            "transactions.csv: line 2: field `targetNodeId`: node `9` is not in nodes.csv",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,1,1.00,1\n5,1,1.00,1\n",
            "transactions.csv: line 3: field `sourceNodeId`: node `5` is not in nodes.csv",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,1,1.005,1\n",
            "transactions.csv: line 2: field `value`: `1.005` has non-zero digits below the minor unit of CNY (2 decimals)",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,1,-3,1\n",
            "transactions.csv: line 2: field `value`: `-3` is not a decimal number",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,1,0.00,1\n",
            "transactions.csv: line 2: field `value`: `0.00` is zero; amounts must be positive",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,1,1E12,1\n",
            "transactions.csv: line 2: field `value`: `1E12` exceeds the maximum 999999999999.99",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,1,1.00,-1\n",
            "transactions.csv: line 2: field `time`: `-1` is not a whole step number >= 0",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,1,1.00,1.5\n",
            "transactions.csv: line 2: field `time`: `1.5` is not a whole step number >= 0",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n0,1,1.00,999999999999\n",
            "transactions.csv: line 2: field `time`: step `999999999999` falls after the year 9999",
        ),
        (
            NODES,
            "sourceNodeId,targetNodeId,value,time\n\"0,1,1.00,1\n",
            "transactions.csv: line 2: 1 fields, but the header has 4",
        ),
    ];
    for (nodes, txs, want) in cases {
        let got = err(nodes, txs);
        assert!(got.starts_with(want), "got  {got}\nwant {want}");
    }
}

#[test]
fn bad_utf8_is_named() {
    let o = opts();
    let mut out = Outputs::csv(OUTPUT_FILES.map(Path::new), [(); 4].map(|()| Vec::new())).unwrap();
    let mut conv = Converter::new(&o);
    let e = conv.nodes(&b"nodeid,isFraud\n0,0\n1,\xff\n"[..], "nodes.csv", &mut out).unwrap_err();
    assert_eq!(e.to_string(), "nodes.csv: line 3: field 2 is not UTF-8");
}

#[test]
fn long_input_is_cut_in_messages() {
    let long = "9".repeat(200);
    let got = err(NODES, &format!("sourceNodeId,targetNodeId,value,time\n0,1,1.00,{long}\n"));
    assert!(got.contains(&format!("`{}…`", "9".repeat(60))), "{got}");
    assert!(got.len() < 200, "{got}");
}

fn tgz(files: &[(&str, &str)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (name, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, text.as_bytes()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[test]
fn imports_an_archive_or_a_directory_alike_and_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // transactions.csv before nodes.csv in the archive: the two passes do not care.
    let archive = dir.path().join("s.tgz");
    std::fs::write(
        &archive,
        tgz(&[("x/metadata.txt", "m"), ("x/transactions.csv", TXS), ("x/nodes.csv", NODES)]),
    )
    .unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("nodes.csv"), NODES).unwrap();
    std::fs::write(src.join("transactions.csv"), TXS).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let sa = import(&archive, &a, &opts()).unwrap();
    let sb = import(&src, &b, &opts()).unwrap();
    assert_eq!(sa, sb);
    let ([want_accounts, ..], _) = convert(NODES, TXS).unwrap();
    assert_eq!(std::fs::read_to_string(a.join("accounts.csv")).unwrap(), want_accounts);
    for f in OUTPUT_FILES {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f}");
    }

    // A bad row: an error naming the archive member, and the earlier output untouched.
    let bad = dir.path().join("bad.tar.gz");
    std::fs::write(
        &bad,
        tgz(&[
            ("y/nodes.csv", NODES),
            ("y/transactions.csv", "sourceNodeId,targetNodeId,value,time\n0,1,x,1\n"),
        ]),
    )
    .unwrap();
    let e = import(&bad, &a, &opts()).unwrap_err().to_string();
    assert!(
        e.contains("bad.tar.gz:y/transactions.csv: line 2: field `value`: `x` is not a decimal number"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(a.join("accounts.csv")).unwrap(), want_accounts);
    let mut left: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["accounts.csv", "labels_accounts.csv", "labels_transactions.csv", "transactions.csv"]);

    let missing = dir.path().join("m.tgz");
    std::fs::write(&missing, tgz(&[("nodes.csv", NODES)])).unwrap();
    let e = import(&missing, &dir.path().join("c"), &opts()).unwrap_err().to_string();
    assert!(e.ends_with("m.tgz: no `transactions.csv` in it"), "{e}");
    let e = import(dir.path(), &dir.path().join("c"), &opts()).unwrap_err().to_string();
    assert!(e.ends_with(": no `nodes.csv` in it"), "{e}");
    let junk = dir.path().join("junk.tgz");
    std::fs::write(&junk, b"not gzip at all").unwrap();
    let e = import(&junk, &dir.path().join("c"), &opts()).unwrap_err().to_string();
    assert!(e.contains("junk.tgz: not a readable tar archive"), "{e}");
    let e = import(&dir.path().join("nope.tgz"), &dir.path().join("c"), &opts()).unwrap_err().to_string();
    assert!(e.contains("nope.tgz: "), "{e}");
}

#[test]
fn amounts_are_exact() {
    let cny = Currency::CNY;
    let jpy = Currency::parse("JPY").unwrap();
    let kwd = Currency::parse("KWD").unwrap();
    let ok = |t: &str, c: Currency| parse_amount(t, c).map(|m| m.minor());
    assert_eq!(ok("163.3", cny), Ok(16330));
    assert_eq!(ok("0.1", cny), Ok(10)); // 0.1 is not exact in binary; here it is 10 fen.
    assert_eq!(ok("599.91", cny), Ok(59991));
    assert_eq!(ok("2.500000", cny), Ok(250));
    assert_eq!(ok("1.2345E7", cny), Ok(1_234_500_000));
    assert_eq!(ok("1e+07", cny), Ok(1_000_000_000));
    assert_eq!(ok("12345e-2", cny), Ok(12345));
    assert_eq!(ok("0000.0100", cny), Ok(1));
    assert_eq!(ok("999999999999.99", cny), Ok(99_999_999_999_999));
    assert_eq!(ok("5", jpy), Ok(5));
    assert_eq!(ok("5.0", jpy), Ok(5));
    assert_eq!(ok("1.234", kwd), Ok(1234));
    let bad = |t: &str, c: Currency| parse_amount(t, c).unwrap_err();
    let precise = AmountError::TooPrecise { currency: cny, decimals: 2 };
    assert_eq!(bad("0.001", cny), precise);
    assert_eq!(bad("1e-9", cny), precise);
    assert_eq!(bad("1e-999999999999", cny), precise);
    assert_eq!(bad("5.5", jpy), AmountError::TooPrecise { currency: jpy, decimals: 0 });
    assert_eq!(bad("0", cny), AmountError::Zero);
    assert_eq!(bad("0.000e5", cny), AmountError::Zero);
    assert_eq!(bad("1000000000000", cny), AmountError::TooLarge);
    assert_eq!(bad("1e999999999999", cny), AmountError::TooLarge);
    assert_eq!(bad("999999999999.991", cny), precise);
    for t in
        ["", ".5", "5.", "1,000.00", "+1", "-1", "1e", "1e+", "e5", " 1", "1 ", "NaN", "inf", "1.2.3", "１"]
    {
        assert_eq!(bad(t, cny), AmountError::Syntax, "{t:?}");
    }
}

/// Writes `minor` fen as decimal text in one of the ways Python or Java may print it.
fn spell(minor: i64, style: u8, pad: usize) -> String {
    let (int, frac) = (minor / 100, minor % 100);
    match style % 4 {
        0 => format!("{int}.{frac:02}{}", "0".repeat(pad)),
        // Minimal decimals, as Python's repr writes 163.3.
        1 => {
            let f = format!("{frac:02}");
            let f = f.trim_end_matches('0');
            if f.is_empty() { format!("{int}") } else { format!("{int}.{f}") }
        }
        // All the digits with an exponent that moves the point back: 16330e-2.
        2 => format!("{minor}{}e-{}", "0".repeat(pad), 2 + pad),
        // Java's scientific form: d.ddddE<n>.
        _ => {
            let digits = minor.to_string();
            let (head, tail) = digits.split_at(1);
            let tail = if tail.is_empty() { "0" } else { tail };
            format!("{head}.{tail}E{}", digits.len() as i64 - 1 - 2)
        }
    }
}

proptest! {
    #[test]
    fn any_spelling_of_an_amount_parses_to_it(minor in 1i64..=99_999_999_999_999, style: u8, pad in 0usize..4) {
        let text = spell(minor, style, pad);
        prop_assert_eq!(parse_amount(&text, Currency::CNY).map(|m| m.minor()), Ok(minor), "{}", text);
    }

    #[test]
    fn agrees_with_the_contract_on_plain_decimals(text in "[0-9]{1,16}(\\.[0-9]{1,3})?") {
        // Where the contract's own grammar applies, the two parsers agree on the value; the
        // importer also accepts a third decimal when it is zero.
        let ours = parse_amount(&text, Currency::CNY).map(|m| m.minor());
        let contract = Money::parse(&text, Currency::CNY).map(|m| m.minor());
        match (&ours, &contract) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Ok(_), Err(_)) => prop_assert!(text.ends_with('0') && text.split('.').nth(1).is_some_and(|f| f.len() == 3)),
            (Err(_), Ok(_)) => prop_assert!(false, "contract accepts {text}, importer refuses: {ours:?}"),
            (Err(_), Err(_)) => {}
        }
    }

    #[test]
    fn never_panics(text in "\\PC{0,40}|[0-9eE.+-]{0,30}") {
        let _ = parse_amount(&text, Currency::CNY);
    }
}
