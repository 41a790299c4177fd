//! Deterministic synthetic accounts and transactions for the ingest benchmark: shaped like
//! the platform's traffic (CNY, mixed channels, short ids, some Chinese memos, devices), so
//! the reader does realistic work per row. Not a simulator: only the bytes' shape matters.

#![allow(clippy::unwrap_used, reason = "benchmark data generation: failures should be loud")]

use sluice_core::{
    Account, AccountId, AccountKind, Channel, Country, Currency, DeviceId, KycLevel, Memo, Money, Party,
    Timestamp, Transaction, TxId,
};
use sluice_io::RecordWriter;
use std::path::Path;

/// A small fast PRNG (splitmix64) so the file is identical on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MEMOS: [&str; 6] = ["饭钱", "还款", "货款 3月", "生日快乐🎂", "rent March", "AA, dinner \"friday\""];

/// Writes `accounts` accounts and `rows` transactions into `dir` with extension `ext`
/// (`csv` or `ndjson`), returning the two paths.
pub fn write(dir: &Path, accounts: u64, rows: u64, ext: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let apath = dir.join(format!("accounts.{ext}"));
    let tpath = dir.join(format!("transactions.{ext}"));
    let created = Timestamp::parse_rfc3339("2025-01-01T00:00:00Z").unwrap();
    let mut w = RecordWriter::<Account>::create(&apath).unwrap();
    for i in 0..accounts {
        let kind = if i % 50 == 0 { AccountKind::Merchant } else { AccountKind::Personal };
        w.write(&Account {
            account_id: AccountId::parse(&format!("A{i:07}")).unwrap(),
            kind,
            name: format!("用户{i}").into(),
            country: Country::CN,
            created_at: created,
            kyc_level: KycLevel::new(2).unwrap(),
            mcc: None,
            website: None,
        })
        .unwrap();
    }
    w.finish().unwrap();

    let mut rng = Rng(42);
    let start = Timestamp::parse_rfc3339("2026-03-01T00:00:00Z").unwrap().as_micros();
    let step = 7 * 86_400_000_000 / rows.max(1) as i64;
    let mut w = RecordWriter::<Transaction>::create(&tpath).unwrap();
    for i in 0..rows {
        let a = rng.below(accounts);
        let mut b = rng.below(accounts);
        if b == a {
            b = (a + 1) % accounts;
        }
        let (channel, payer, payee) = match rng.below(20) {
            0 => (Channel::TopUp, format!("ext:card{a}"), format!("A{a:07}")),
            1 => (Channel::Withdrawal, format!("A{a:07}"), format!("ext:card{a}")),
            2..=4 => (Channel::RedPacket, format!("A{a:07}"), format!("A{b:07}")),
            5..=11 => (
                Channel::Merchant,
                format!("A{a:07}"),
                format!("A{:07}", (b / 50) * 50 + 50 * u64::from(b < 50)),
            ),
            _ => (Channel::P2p, format!("A{a:07}"), format!("A{b:07}")),
        };
        let payee = if payee == payer { format!("A{:07}", (a + 50) % accounts) } else { payee };
        let jitter = rng.below(1_000_000) as i64;
        w.write(&Transaction {
            tx_id: TxId::parse(&format!("T{i:09}")).unwrap(),
            ts: Timestamp::from_micros(start + i as i64 * step + jitter).unwrap(),
            payer: Party::parse(&payer).unwrap(),
            payee: Party::parse(&payee).unwrap(),
            amount: Money::from_minor(1 + rng.below(500_000) as i64, Currency::CNY).unwrap(),
            channel,
            memo: (rng.below(3) == 0).then(|| Memo::new(MEMOS[rng.below(6) as usize]).unwrap()),
            device_id: Some(DeviceId::parse(&format!("D{a:07}")).unwrap()),
        })
        .unwrap();
    }
    w.finish().unwrap();
    (apath, tpath)
}
