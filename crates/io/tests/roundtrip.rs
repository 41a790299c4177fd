//! Round trips: every valid record written then read gives the same record, in CSV and in
//! NDJSON, plain and gzip — including memos and names with quotes, commas, newlines,
//! Chinese text and emoji.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::type_complexity,
    reason = "test code: a failure should stop the test loudly"
)]

use proptest::prelude::*;
use sluice_core::{
    Account, AccountAction, AccountId, AccountKind, AccountLabel, Action, Channel, Country, Currency,
    Decision, DeviceId, Hostname, KycLevel, ListEntry, ListKind, ListName, ListTime, Mcc, Memo, Money,
    Outcome, Party, PolicyRef, Reason, ReasonCode, RingId, Role, Score, Timestamp, Transaction, TxId,
    TxLabel, Verdict,
};
use sluice_io::{Format, ReadItem, Record, RecordReader, RecordWriter};
use std::fmt::Debug;
use std::io::Cursor;
use std::path::Path;

fn round_trip<T: Record + PartialEq + Debug>(recs: &[T], format: Format) -> Vec<T> {
    let path = Path::new("mem");
    let mut w = RecordWriter::<T, Vec<u8>>::to_writer(path, format, Vec::new()).unwrap();
    for r in recs {
        w.write(r).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    let mut rd = RecordReader::<T>::from_reader(path, format, Box::new(Cursor::new(bytes))).unwrap();
    let mut out = Vec::new();
    while let Some(item) = rd.next_item().unwrap() {
        match item {
            ReadItem::Record(r, _) => out.push(r),
            ReadItem::Rejected(r) => panic!("written record rejected on read: {r}"),
        }
    }
    out
}

fn check<T: Record + PartialEq + Debug>(recs: Vec<T>) -> Result<(), TestCaseError> {
    for format in [Format::Csv, Format::Ndjson] {
        prop_assert_eq!(&round_trip(&recs, format), &recs, "format {:?}", format);
    }
    Ok(())
}

/// Text with the characters that break naive CSV and JSON writers.
fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "Z",
        "0",
        " ",
        ",",
        "\"",
        "\"\"",
        "'",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "\\",
        "{",
        "}",
        "[",
        ";",
        "饭钱",
        "还款",
        "货款",
        "泰达币",
        "😀",
        "🍜",
        "👨‍👩‍👧",
        "é",
        "\u{200b}",
        "\u{feff}",
        "\u{0}",
        "USDT",
    ]);
    prop::collection::vec(prop_oneof![pieces.prop_map(str::to_string), "\\PC{1,4}"], 1..12).prop_map(
        move |v| {
            let s: String = v.concat();
            s.chars().take(max).collect()
        },
    )
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.:-]{1,64}".prop_filter("platform ids never start with ext:", |s| !s.starts_with("ext:"))
}

fn account_id() -> impl Strategy<Value = AccountId> {
    id().prop_map(|s| AccountId::parse(&s).unwrap())
}

fn party() -> impl Strategy<Value = Party> {
    prop_oneof![
        3 => account_id().prop_map(Party::Account),
        1 => "ext:[A-Za-z0-9_.:-]{1,60}".prop_map(|s| Party::parse(&s).unwrap()),
    ]
}

fn ts() -> impl Strategy<Value = Timestamp> {
    (Timestamp::MIN.as_micros()..=Timestamp::MAX.as_micros())
        .prop_map(|us| Timestamp::from_micros(us).unwrap())
}

fn money() -> impl Strategy<Value = Money> {
    (prop::sample::select(vec!["CNY", "USD", "JPY", "KWD", "EUR", "HKD"]), 1i64..=99_999_999_999_999)
        .prop_filter_map("within the ceiling", |(c, m)| Money::from_minor(m, Currency::parse(c).unwrap()))
}

fn country() -> impl Strategy<Value = Country> {
    prop::sample::select(vec!["CN", "HK", "US", "SG", "JP", "KP", "IR", "RU"])
        .prop_map(|c| Country::parse(c).unwrap())
}

prop_compose! {
    fn transaction()(
        tx_id in id(), ts in ts(), payer in party(), payee in party(), amount in money(),
        channel in prop::sample::select(Channel::ALL.to_vec()),
        memo in prop::option::of(tricky_text(256)), device in prop::option::of(id()),
    ) -> Option<Transaction> {
        if payer == payee || (payer.is_external() && payee.is_external()) {
            return None;
        }
        Some(Transaction {
            tx_id: TxId::parse(&tx_id).unwrap(), ts, payer, payee, amount, channel,
            memo: memo.map(|m| Memo::new(&m).unwrap()),
            device_id: device.map(|d| DeviceId::parse(&d).unwrap()),
        })
    }
}

prop_compose! {
    fn account()(
        account_id in account_id(), kind in prop::sample::select(AccountKind::ALL.to_vec()),
        name in tricky_text(200), country in country(), created_at in ts(), kyc in 0u8..=3,
        mcc in prop::option::of(0u16..=9999), website in prop::option::of("[a-z0-9]{1,10}\\.(com|cn|io)"),
    ) -> Account {
        Account {
            account_id, kind, name: name.into(), country, created_at,
            kyc_level: KycLevel::new(kyc).unwrap(),
            mcc: mcc.filter(|_| kind == AccountKind::Merchant).map(|m| Mcc::parse(&format!("{m:04}")).unwrap()),
            website: website.map(|w| Hostname::parse(&w).unwrap()),
        }
    }
}

fn list_time() -> impl Strategy<Value = ListTime> {
    prop_oneof![
        ts().prop_map(ListTime::Instant),
        (2000i32..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| ListTime::Date(sluice_core::CivilDate {
            year: y,
            month: m,
            day: d
        })),
    ]
}

prop_compose! {
    fn list_entry()(
        list in "[a-z_]{1,20}", kind in prop::sample::select(vec![ListKind::AccountId, ListKind::Name, ListKind::Host, ListKind::Address]),
        name in tricky_text(200), acct in id(), host in "[a-z0-9]{1,10}\\.(com|cn|io)",
        from in prop::option::of(list_time()), until in prop::option::of(list_time()),
        jurisdictions in prop::collection::btree_set(country(), 0..4),
        source in prop::option::of(tricky_text(50)), note in prop::option::of(tricky_text(50)),
    ) -> ListEntry {
        let entry = match kind { ListKind::AccountId => acct, ListKind::Host => host, _ => name };
        // Keep the period ordered when both ends are comparable.
        let (effective_from, effective_until) = match (from, until) {
            (Some(ListTime::Instant(a)), Some(ListTime::Instant(b))) if a >= b => (Some(ListTime::Instant(a)), None),
            (Some(ListTime::Date(a)), Some(ListTime::Date(b))) if a >= b => (Some(ListTime::Date(a)), None),
            other => other,
        };
        ListEntry {
            list: ListName::parse(&list).unwrap(), kind, entry: entry.into(), effective_from, effective_until,
            jurisdictions: jurisdictions.into_iter().collect(), source, note,
        }
    }
}

fn code() -> impl Strategy<Value = ReasonCode> {
    "[A-Z][A-Z0-9_]{0,30}".prop_map(|c| ReasonCode::parse(&c).unwrap())
}

prop_compose! {
    fn decision()(
        tx_id in id(), outcome in prop::sample::select(Outcome::ALL.to_vec()), score in 0u16..=10_000,
        reasons in prop::collection::vec((code(), tricky_text(80)), 0..4),
        actions in prop::collection::vec((prop::sample::select(vec![AccountAction::SuspendOut, AccountAction::SuspendIn, AccountAction::Freeze, AccountAction::SuspendCollection]), account_id(), prop::option::of(ts())), 0..3),
        policy in "[a-z_]{1,10}@[0-9]{1,3}",
        lists in prop::option::of("[0-9a-f-]{1,20}"), model in prop::option::of(tricky_text(20)),
    ) -> Decision {
        Decision {
            tx_id: TxId::parse(&tx_id).unwrap(), decision: outcome,
            score: Score::from_ten_thousandths(score).unwrap(),
            reasons: reasons.into_iter().map(|(code, detail)| Reason { code, detail }).collect(),
            actions: actions.into_iter().map(|(kind, account, until)| Action { kind, account, until }).collect(),
            policy: PolicyRef::parse(&policy).unwrap(),
            lists: lists.map(Into::into),
            model: model.filter(|m| !m.is_empty() && !m.chars().any(char::is_control)).map(Into::into),
        }
    }
}

prop_compose! {
    fn verdict()(
        account_id in account_id(), score in 0u16..=10_000, action in prop::sample::select(AccountAction::ALL.to_vec()),
        reasons in prop::collection::vec(code(), 0..4), explanation in prop::option::of(tricky_text(300)),
        ring in prop::option::of(id()), first in prop::option::of(ts()),
    ) -> Verdict {
        Verdict {
            account_id, score: Score::from_ten_thousandths(score).unwrap(), action, reasons,
            explanation: explanation.unwrap_or_default(),
            ring: ring.map(|r| RingId::parse(&r).unwrap()), first_flag_ts: first,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn transactions(recs in prop::collection::vec(transaction(), 1..20)) {
        check(recs.into_iter().flatten().collect())?;
    }

    #[test]
    fn accounts(recs in prop::collection::vec(account(), 1..20)) {
        check(recs)?;
    }

    #[test]
    fn list_entries(recs in prop::collection::vec(list_entry(), 1..20)) {
        check(recs)?;
    }

    #[test]
    fn decisions(recs in prop::collection::vec(decision(), 1..20)) {
        check(recs)?;
    }

    #[test]
    fn verdicts(recs in prop::collection::vec(verdict(), 1..20)) {
        check(recs)?;
    }

    #[test]
    fn labels(accts in prop::collection::vec((account_id(), prop::sample::select(Role::ALL.to_vec())), 1..20),
              txs in prop::collection::vec((id(), any::<bool>()), 1..20)) {
        check(accts.into_iter().map(|(account_id, role)| AccountLabel { account_id, role }).collect())?;
        check(txs.into_iter().map(|(t, c)| TxLabel { tx_id: TxId::parse(&t).unwrap(), crypto_related: c }).collect())?;
    }
}

#[test]
fn gzip_files_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let label = |i: usize| TxLabel {
        tx_id: TxId::parse(&format!("t{i}")).unwrap(),
        crypto_related: i.is_multiple_of(3),
    };
    for name in ["l.csv.gz", "l.ndjson.gz", "l.jsonl"] {
        let path = dir.path().join(name);
        let mut w = RecordWriter::<TxLabel>::create(&path).unwrap();
        for i in 0..1000 {
            w.write(&label(i)).unwrap();
        }
        w.finish().unwrap();
        let mut r = RecordReader::<TxLabel>::open(&path).unwrap();
        let mut n = 0;
        while let Some(ReadItem::Record(rec, pos)) = r.next_item().unwrap() {
            assert_eq!(rec, label(n));
            assert_eq!(pos.record, n as u64 + 1);
            n += 1;
        }
        assert_eq!(n, 1000, "{name}");
    }
}
