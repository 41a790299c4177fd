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

/// An event with what writing its parties needs, looked up ahead ([`Row::gather`]).
pub(crate) struct Row {
    event: Event,
    payer: Option<Packed>,
    payee: Option<Packed>,
}

impl Row {
    /// The rows of `events[i]` for each `i` of `order`, in two tight loops of independent
    /// loads (the events, then their parties' look-ups), so that the cache misses of a random
    /// order overlap instead of stalling each row's formatting, or each other, in turn.
    pub(crate) fn gather(events: &[Event], order: &[u32], ids: &Ids) -> Vec<Row> {
        let mut rows: Vec<Row> = order
            .iter()
            .filter_map(|&i| events.get(i as usize))
            .map(|&event| Row { event, payer: None, payee: None })
            .collect();
        for r in &mut rows {
            r.payer = ids.lookup(r.event.payer);
            r.payee = ids.lookup(r.event.payee);
        }
        rows
    }

    /// The event.
    pub(crate) fn event(&self) -> &Event {
        &self.event
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

    /// Appends the CSV row of `row` (tx id `seq`) to `tx` and its label row to `labels`.
    /// `None` if the event is not a valid transaction (a simulator bug).
    pub(crate) fn write(
        &self,
        ids: &Ids,
        dates: &mut DateCache,
        row: &Row,
        seq: u64,
        tx: &mut Vec<u8>,
        labels: &mut Vec<u8>,
    ) -> Option<()> {
        let e = &row.event;
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
        ids.write_looked_up(e.payer, row.payer?, tx);
        tx.push(b',');
        ids.write_looked_up(e.payee, row.payee?, tx);
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
        let order: Vec<u32> = (0..events.len() as u32).collect();
        let rows = Row::gather(&events, &order, &ids);
        for (i, (e, row)) in events.iter().zip(&rows).enumerate() {
            fast.write(&ids, &mut dates, row, i as u64 + 1, &mut tx, &mut labels).unwrap();
            let t = crate::to_transaction(&ids, &memos, e, i as u64 + 1).unwrap();
            generic_labels.push(TxLabel { tx_id: t.tx_id.clone(), crypto_related: e.crypto });
            txs.push(t);
        }
        let generic = crate::format_records(&txs, Format::Csv, false).unwrap();
        let generic_l = crate::format_records(&generic_labels, Format::Csv, false).unwrap();
        assert_eq!(String::from_utf8(tx).unwrap(), String::from_utf8(generic).unwrap());
        assert_eq!(labels, generic_l);
    }
}
