//! Direct CSV formatting of simulated transactions and their labels. The simulator knows its
//! fields: ids, timestamps, amounts and channels are plain ASCII that never needs quoting,
//! and its memos come from a fixed catalogue, each escaped once up front by the csv crate.
//! So rows are written straight into a byte buffer instead of through `Transaction` values
//! and the generic `RecordWriter` — which took over half of the simulator's time. The test
//! below holds the two to byte-identical output.

use crate::event::Event;
use crate::ids::{Ids, push_padded};
use crate::names::Memos;
use crate::world::{EXT, World};
use sluice_core::money::{MONEY_TEXT_MAX, write_minor};
use sluice_core::time::{MICROS_PER_DAY, RFC3339_MICROS_LEN};
use sluice_core::{Currency, Money, Timestamp};

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

fn push_2(out: &mut Vec<u8>, v: i64) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
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

    /// Appends the CSV row of `e` (tx id `seq`) to `tx` and its label row to `labels`.
    /// `None` if the event is not a valid transaction (a simulator bug).
    #[expect(
        clippy::too_many_arguments,
        reason = "the row's inputs and its two outputs; bundling them would only rename them"
    )]
    pub(crate) fn write(
        &self,
        w: &World,
        ids: &Ids,
        dates: &mut DateCache,
        e: &Event,
        seq: u64,
        tx: &mut Vec<u8>,
        labels: &mut Vec<u8>,
    ) -> Option<()> {
        let start = tx.len();
        push_padded(tx, b"T", seq, 10);
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
        let rem = ts.rem_euclid(MICROS_PER_DAY);
        let secs = rem / 1_000_000;
        push_2(tx, secs / 3600);
        tx.push(b':');
        push_2(tx, secs / 60 % 60);
        tx.push(b':');
        push_2(tx, secs % 60);
        tx.push(b'.');
        let frac = rem % 1_000_000;
        for k in (0..6).rev() {
            tx.push(b'0' + (frac / 10i64.pow(k) % 10) as u8);
        }
        tx.push(b'Z');
        tx.push(b',');
        ids.write_party(w, e.payer, tx)?;
        tx.push(b',');
        ids.write_party(w, e.payee, tx)?;
        tx.push(b',');
        let money = Money::from_minor(e.amount, Currency::CNY)?;
        let mut mb = [0u8; MONEY_TEXT_MAX];
        tx.extend_from_slice(write_minor(money.minor(), money.currency().exponent(), &mut mb).as_bytes());
        tx.extend_from_slice(b",CNY,");
        tx.extend_from_slice(e.channel.as_str().as_bytes());
        tx.push(b',');
        tx.extend_from_slice(self.memo_cells.get(usize::from(e.memo))?);
        tx.push(b',');
        if e.device != 0 && e.payer & EXT == 0 {
            ids.write_device(e.device, tx);
        }
        tx.push(b'\n');
        labels.extend_from_slice(tx.get(start..id_end)?);
        labels.extend_from_slice(if e.crypto { b",1\n" } else { b",0\n" });
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Day;
    use crate::config::SimConfig;
    use crate::normal::DayCtx;
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
        for (i, e) in events.iter().enumerate() {
            fast.write(&w, &ids, &mut dates, e, i as u64 + 1, &mut tx, &mut labels).unwrap();
            let t = crate::to_transaction(&w, &ids, &memos, e, i as u64 + 1).unwrap();
            generic_labels.push(TxLabel { tx_id: t.tx_id.clone(), crypto_related: e.crypto });
            txs.push(t);
        }
        let generic = crate::format_records(&txs, Format::Csv, false).unwrap();
        let generic_l = crate::format_records(&generic_labels, Format::Csv, false).unwrap();
        assert_eq!(String::from_utf8(tx).unwrap(), String::from_utf8(generic).unwrap());
        assert_eq!(labels, generic_l);
    }
}
