//! Direct CSV formatting of simulated transactions and their labels. The simulator knows its
//! fields: ids, timestamps, amounts and channels are plain ASCII that never needs quoting,
//! and its memos come from a fixed catalogue, each escaped once up front by the csv crate.
//! So rows are written straight into a byte buffer instead of through `Transaction` values
//! and the generic `RecordWriter` — which took over half of the simulator's time. The test
//! below holds the two to byte-identical output.

use crate::event::Event;
use crate::ids::{Ids, Packed, digits4, pair, push_tx_id};
use crate::names::Memos;
use crate::world::EXT;
use sluice_core::money::{MONEY_TEXT_MAX, write_minor};
use sluice_core::time::{MICROS_PER_DAY, RFC3339_MICROS_LEN};
use sluice_core::{Currency, Money, Timestamp};

/// What writing an event's parties needs, looked up ahead ([`Parties::gather`]).
pub(crate) struct Parties {
    payer: Option<Packed>,
    payee: Option<Packed>,
}

impl Parties {
    /// The parties of each event, in one tight loop of independent loads, so that the cache
    /// misses of the look-ups overlap instead of stalling each row's formatting in turn.
    pub(crate) fn gather(events: &[Event], ids: &Ids) -> Vec<Parties> {
        events.iter().map(|e| Parties { payer: ids.lookup(e.payer), payee: ids.lookup(e.payee) }).collect()
    }
}

pub(crate) struct FastCsv {
    /// Each memo of the catalogue as a CSV field (index 0, no memo, is empty).
    memo_cells: Vec<Vec<u8>>,
}

/// The date part (`YYYY-MM-DDT`) of the last day formatted: rows come sorted by time, so
/// almost every row reuses it and only the time of day is written digit by digit.
#[derive(Default)]
pub(crate) struct DateCache {
    day: Option<i64>,
    prefix: [u8; 11],
}

impl FastCsv {
    pub(crate) fn new(memos: &Memos) -> Self {
        let mut memo_cells = vec![Vec::new()];
        for i in 1.. {
            let Some(text) = memos.text(i) else { break };
            let mut w =
                csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
            let cell = w
                .write_record([text])
                .ok()
                .and_then(|()| w.into_inner().ok())
                .map(|mut b| {
                    b.pop();
                    b
                })
                .unwrap_or_default();
            memo_cells.push(cell);
        }
        FastCsv { memo_cells }
    }

    /// Appends the CSV row of `e` (tx id `seq`, parties looked up in `parties`) to `tx` and
    /// its label row to `labels`. `None` if the event is not a valid transaction (a simulator
    /// bug).
    pub(crate) fn write(
        &self,
        ids: &Ids,
        dates: &mut DateCache,
        (e, parties): (&Event, &Parties),
        seq: u64,
        tx: &mut Vec<u8>,
        labels: &mut Vec<u8>,
    ) -> Option<()> {
        let memo = self.memo_cells.get(usize::from(e.memo))?;
        tx.reserve(ROW_MAX + memo.len());
        let start = tx.len();
        push_tx_id(tx, seq);
        let id_end = tx.len();
        tx.push(b',');
        let ts = Timestamp::from_micros(e.ts)?.as_micros();
        let day = ts.div_euclid(MICROS_PER_DAY);
        if dates.day != Some(day) {
            let mut tb = [0u8; RFC3339_MICROS_LEN];
            let text = Timestamp::from_micros(day * MICROS_PER_DAY)?.write_rfc3339(&mut tb);
            dates.prefix.copy_from_slice(text.as_bytes().get(..11)?);
            dates.day = Some(day);
        }
        tx.extend_from_slice(&dates.prefix);
        let rem = ts.rem_euclid(MICROS_PER_DAY) as u64;
        let secs = rem / 1_000_000;
        let [h0, h1] = pair(secs / 3600);
        let [m0, m1] = pair(secs / 60 % 60);
        let [s0, s1] = pair(secs % 60);
        let frac = rem % 1_000_000;
        let [f0, f1] = pair(frac / 10_000);
        let [f2, f3, f4, f5] = digits4(frac);
        tx.extend_from_slice(&[h0, h1, b':', m0, m1, b':', s0, s1, b'.', f0, f1, f2, f3, f4, f5, b'Z', b',']);
        ids.write_looked_up(e.payer, parties.payer?, tx);
        tx.push(b',');
        ids.write_looked_up(e.payee, parties.payee?, tx);
        tx.push(b',');
        let money = Money::from_minor(e.amount, Currency::CNY)?;
        push_cny(tx, money.minor());
        tx.extend_from_slice(b",CNY,");
        tx.extend_from_slice(e.channel.as_str().as_bytes());
        tx.push(b',');
        if !memo.is_empty() {
            tx.extend_from_slice(memo);
        }
        tx.push(b',');
        if e.device != 0 && e.payer & EXT == 0 {
            ids.write_device(e.device, tx);
        }
        tx.push(b'\n');
        if id_end - start == 11 {
            let id: [u8; 11] = tx.get(start..id_end)?.try_into().ok()?;
            labels.extend_from_slice(&id);
        } else {
            labels.extend_from_slice(tx.get(start..id_end)?);
        }
        labels.extend_from_slice(if e.crypto { b",1\n" } else { b",0\n" });
        Some(())
    }
}

/// Appends CSV rows of any record to a byte buffer, quoting as the `csv` crate does for
/// `RecordWriter` (a field is quoted when it holds a comma, a quote or a line break, its
/// quotes doubled), without a `csv::Writer` per chunk and its per-field state machine.
pub(crate) struct CsvRows<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> CsvRows<'o> {
    pub(crate) fn new(out: &'o mut Vec<u8>) -> Self {
        CsvRows { out, first: true }
    }

    /// Appends the row of `rec`.
    pub(crate) fn write<T: sluice_io::Record>(&mut self, rec: &T) {
        self.first = true;
        rec.write_cells(self);
        self.out.push(b'\n');
    }

    fn field(&mut self, v: &[u8]) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        if v.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            self.out.push(b'"');
            for &b in v {
                if b == b'"' {
                    self.out.push(b'"');
                }
                self.out.push(b);
            }
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(v);
        }
    }
}

impl sluice_io::cell::CellSink for CsvRows<'_> {
    fn text(&mut self, v: &str) {
        self.field(v.as_bytes());
    }
    fn null(&mut self) {
        self.field(b"");
    }
    fn number(&mut self, v: &str) {
        self.field(v.as_bytes());
    }
    fn json(&mut self, v: &str) {
        self.field(v.as_bytes());
    }
}

/// Room for a row without its memo: ids, timestamp, amount, channel, device, separators.
const ROW_MAX: usize = 160;

/// Appends a positive CNY amount in fen as the contract's decimal text (`12.34`, `0.05`): the
/// bytes of `sluice_core::money::write_minor` with exponent 2.
fn push_cny(out: &mut Vec<u8>, fen: i64) {
    let fen = fen.unsigned_abs();
    let (yuan, cents) = (fen / 100, fen % 100);
    let [c0, c1] = pair(cents);
    if yuan < 10_000 {
        let [a, b, c, d] = digits4(yuan);
        match yuan {
            0..10 => out.push(d),
            10..100 => out.extend_from_slice(&[c, d]),
            100..1000 => out.extend_from_slice(&[b, c, d]),
            _ => out.extend_from_slice(&[a, b, c, d]),
        }
    } else {
        let mut buf = [0u8; MONEY_TEXT_MAX];
        let text = write_minor(yuan as i64, 0, &mut buf);
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(&[b'.', c0, c1]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Day;
    use crate::config::SimConfig;
    use crate::normal::DayCtx;
    use crate::world::World;
    use sluice_core::{CivilDate, TxLabel};
    use sluice_io::Format;

    #[test]
    fn direct_rows_are_byte_identical_to_the_generic_writer() {
        let start = CivilDate::parse("2026-03-02").unwrap();
        let w = World::build(SimConfig::default_config().unwrap(), 5, 0, start, 2, 3_000);
        let memos = Memos::new();
        let ids = Ids::new(&w).unwrap();
        let ctx = DayCtx::new(&w, Day::new(start, 0), &memos);
        let mut events = Vec::new();
        crate::normal::shard_day(&ctx, 0, 1, 0, w.regular, &mut events);
        crate::crypto::crypto_day(&ctx, &mut crate::crypto::CryptoState::new(&w), &mut events);
        // Every memo of the catalogue, on a payment from a bank card (no device).
        let template = events[0];
        for m in 0..200u16 {
            if m > 0 && memos.text(m).is_none() {
                break;
            }
            events.push(Event { memo: m, payer: crate::world::card(3, 1), ..template });
        }
        assert!(events.iter().any(|e| e.crypto) && events.iter().any(|e| e.payee & EXT != 0));

        let fast = FastCsv::new(&memos);
        let (mut tx, mut labels) = (Vec::new(), Vec::new());
        let mut txs = Vec::new();
        let mut generic_labels = Vec::new();
        let mut dates = DateCache::default();
        let parties = Parties::gather(&events, &ids);
        for (i, (e, p)) in events.iter().zip(&parties).enumerate() {
            fast.write(&ids, &mut dates, (e, p), i as u64 + 1, &mut tx, &mut labels).unwrap();
            let t = crate::to_transaction(&ids, &memos, e, i as u64 + 1).unwrap();
            generic_labels.push(TxLabel { tx_id: t.tx_id.clone(), crypto_related: e.crypto });
            txs.push(t);
        }
        let generic = crate::format_records(&txs, Format::Csv, false).unwrap();
        let generic_l = crate::format_records(&generic_labels, Format::Csv, false).unwrap();
        assert_eq!(String::from_utf8(tx).unwrap(), String::from_utf8(generic).unwrap());
        assert_eq!(labels, generic_l);
    }

    #[test]
    fn account_rows_are_byte_identical_to_the_generic_writer() {
        use sluice_core::{Account, AccountLabel, Role};
        let start = CivilDate::parse("2026-03-02").unwrap();
        let w = World::build(SimConfig::default_config().unwrap(), 5, 0, start, 2, 3_000);
        let ids = Ids::new(&w).unwrap();
        let mut accounts: Vec<Account> =
            (0..w.accts.len() as u32).filter_map(|i| crate::account_record(&w, &ids, i)).collect();
        assert_eq!(accounts.len(), w.accts.len());
        assert!(accounts.iter().any(|a| a.website.is_some()) && accounts.iter().any(|a| a.mcc.is_some()));
        // Names that need quoting, which the simulator does not make (yet).
        for (k, name) in ["a, b", "say \"hi\"", "two\nlines", "cr\rhere", "\"", ","].into_iter().enumerate() {
            let mut a = accounts[k].clone();
            a.name = name.to_string().into();
            accounts.push(a);
        }
        let labels: Vec<AccountLabel> = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| AccountLabel {
                account_id: a.account_id.clone(),
                role: Role::ALL[i % Role::ALL.len()],
            })
            .collect();
        let (mut fast, mut fast_l) = (Vec::new(), Vec::new());
        let mut rows = CsvRows::new(&mut fast);
        accounts.iter().for_each(|a| rows.write(a));
        let mut rows = CsvRows::new(&mut fast_l);
        labels.iter().for_each(|l| rows.write(l));
        let generic = crate::format_records(&accounts, Format::Csv, false).unwrap();
        let generic_l = crate::format_records(&labels, Format::Csv, false).unwrap();
        assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(generic).unwrap());
        assert_eq!(String::from_utf8(fast_l).unwrap(), String::from_utf8(generic_l).unwrap());
    }
}
