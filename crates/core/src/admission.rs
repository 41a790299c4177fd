//! Admission of a transaction stream: the contract's rules that need memory of what came
//! before — unknown accounts, duplicate deliveries, late rows, payments dated before their
//! account was opened.
//!
//! Memory grows with the number of accounts and with the de-duplication set (24 bytes of
//! payload per distinct `tx_id`: a 128-bit hash of the id and a 64-bit hash of the body),
//! never with the size of a file.

use crate::{Account, AccountId, AccountKind, Party, Timestamp, Transaction};
use hashbrown::HashMap;
use std::hash::BuildHasher;

/// Rows up to this much older than the newest `ts` read so far are normal, not late.
pub const LATE_TOLERANCE_MICROS: i64 = 10 * crate::time::MICROS_PER_MINUTE;

/// Keys of the account index and the de-duplication set: the 128-bit xxh3 of the id. Two
/// ids are taken as equal when their hashes are, which is wrong with probability about
/// n²/2¹²⁹ (for 10¹⁰ ids, under 10⁻¹⁸) — and it makes entries 24 bytes instead of 32 plus
/// the string, so the hot tables stay small enough for the cache.
type IdKey = [u64; 2];

fn id_key(id: &str) -> IdKey {
    let h = xxhash_rust::xxh3::xxh3_128(id.as_bytes());
    [h as u64, (h >> 64) as u64]
}

/// The keys are already uniform hashes: the table's own hash just takes their first word.
#[derive(Clone, Copy, Default)]
struct PassThrough;

#[derive(Default)]
struct PassThroughHasher(u64);

impl std::hash::Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys that are not `IdKey`s; fold them in so it stays a hash.
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
}

impl BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;
    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher::default()
    }
}

/// The platform accounts known to a run, each with a dense index.
#[derive(Default)]
pub struct AccountBook {
    index: HashMap<IdKey, u32, PassThrough>,
    created_at: Vec<Timestamp>,
    kinds: Vec<AccountKind>,
}

/// An account id given twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("account `{0}` is already defined")]
pub struct DuplicateAccount(pub AccountId);

impl AccountBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an account; a second definition of the same id is refused and changes nothing.
    pub fn insert(&mut self, account: &Account) -> Result<u32, DuplicateAccount> {
        let next =
            u32::try_from(self.created_at.len()).map_err(|_| DuplicateAccount(account.account_id.clone()))?;
        match self.index.entry(id_key(account.account_id.as_str())) {
            hashbrown::hash_map::Entry::Occupied(_) => Err(DuplicateAccount(account.account_id.clone())),
            hashbrown::hash_map::Entry::Vacant(v) => {
                v.insert(next);
                self.created_at.push(account.created_at);
                self.kinds.push(account.kind);
                Ok(next)
            }
        }
    }

    /// The dense index of an account id.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(&id_key(id)).copied()
    }

    /// When account `idx` was opened.
    pub fn created_at(&self, idx: u32) -> Option<Timestamp> {
        self.created_at.get(idx as usize).copied()
    }

    /// The kind of account `idx`.
    pub fn kind(&self, idx: u32) -> Option<AccountKind> {
        self.kinds.get(idx as usize).copied()
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.created_at.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.created_at.is_empty()
    }
}

/// What the gate decided about an incoming transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// New: process it.
    Accepted {
        /// Microseconds it arrived behind the newest `ts` read so far (0 if in order).
        behind_micros: i64,
        /// More than the 10-minute tolerance behind: counted as late, still processed.
        late: bool,
        /// Dated before the payer's or payee's account was opened (a warning).
        before_account_created: bool,
        /// Dense indexes of the platform sides.
        payer: Option<u32>,
        /// Dense index of the payee, if a platform account.
        payee: Option<u32>,
    },
    /// An identical copy of a transaction already accepted: not counted again.
    Duplicate,
}

/// Why the gate refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    /// A payer or payee that is neither an `ext:` id nor a known account.
    #[error("account `{id}` is not in the accounts file")]
    UnknownAccount {
        /// `payer` or `payee`.
        field: &'static str,
        /// The id.
        id: String,
    },
    /// A `tx_id` seen before with a different body.
    #[error("tx_id `{0}` was seen before with a different body")]
    DuplicateConflict(String),
}

impl AdmissionError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            AdmissionError::UnknownAccount { field, .. } => field,
            AdmissionError::DuplicateConflict(_) => "tx_id",
        }
    }
}

/// The stateless half of admission, computable on any thread: the platform sides' dense
/// indexes and the hashes the gate needs. Doing this next to parsing leaves only the
/// stateful half ([`TxGate::admit_prepared`]) on the thread that owns the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepared {
    payer: Option<u32>,
    payee: Option<u32>,
    key: [u64; 2],
    body: u64,
}

/// Seed of the body hash; fixed so that every thread and every run hashes alike.
const BODY_SEED: u64 = 0x51_1ce;

/// Resolves the platform sides of `tx` and hashes its id and body. Fails when a side is
/// neither `ext:` nor a known account.
pub fn prepare(tx: &Transaction, book: &AccountBook) -> Result<Prepared, AdmissionError> {
    let side = |p: &Party, field: &'static str| -> Result<Option<u32>, AdmissionError> {
        match p {
            Party::External(_) => Ok(None),
            Party::Account(a) => book
                .get(a.as_str())
                .map(Some)
                .ok_or_else(|| AdmissionError::UnknownAccount { field, id: a.as_str().to_string() }),
        }
    };
    let payer = side(&tx.payer, "payer")?;
    let payee = side(&tx.payee, "payee")?;
    let body = foldhash::quality::FixedState::with_seed(BODY_SEED).hash_one(tx);
    Ok(Prepared { payer, payee, key: id_key(tx.tx_id.as_str()), body })
}

/// The stateful admission gate for one run (or one service's de-duplication horizon).
pub struct TxGate {
    seen: HashMap<IdKey, u64, PassThrough>,
    watermark: Option<Timestamp>,
}

impl Default for TxGate {
    fn default() -> Self {
        Self::new()
    }
}

impl TxGate {
    /// A gate that has seen nothing.
    pub fn new() -> Self {
        TxGate { seen: HashMap::with_hasher(PassThrough), watermark: None }
    }

    /// A gate with room for about `n` distinct transactions before it grows.
    pub fn with_capacity(n: usize) -> Self {
        TxGate { seen: HashMap::with_capacity_and_hasher(n, PassThrough), watermark: None }
    }

    /// The newest `ts` accepted so far.
    pub fn watermark(&self) -> Option<Timestamp> {
        self.watermark
    }

    /// Number of distinct transactions held for de-duplication.
    pub fn distinct(&self) -> usize {
        self.seen.len()
    }

    /// Decides whether `tx` is new, a harmless re-delivery, or refused. A refused
    /// transaction leaves the gate unchanged.
    pub fn admit(&mut self, tx: &Transaction, book: &AccountBook) -> Result<Admission, AdmissionError> {
        let p = prepare(tx, book)?;
        self.admit_prepared(tx, &p, book)
    }

    /// [`TxGate::admit`] for a transaction already [`prepare`]d against the same book.
    pub fn admit_prepared(
        &mut self,
        tx: &Transaction,
        p: &Prepared,
        book: &AccountBook,
    ) -> Result<Admission, AdmissionError> {
        match self.seen.entry(p.key) {
            hashbrown::hash_map::Entry::Occupied(o) => {
                return if *o.get() == p.body {
                    Ok(Admission::Duplicate)
                } else {
                    Err(AdmissionError::DuplicateConflict(tx.tx_id.as_str().to_string()))
                };
            }
            hashbrown::hash_map::Entry::Vacant(v) => {
                v.insert(p.body);
            }
        }
        let behind_micros = match self.watermark {
            Some(w) if tx.ts < w => w.as_micros() - tx.ts.as_micros(),
            _ => 0,
        };
        if self.watermark.is_none_or(|w| tx.ts > w) {
            self.watermark = Some(tx.ts);
        }
        let before = |idx: Option<u32>| idx.and_then(|i| book.created_at(i)).is_some_and(|c| tx.ts < c);
        Ok(Admission::Accepted {
            behind_micros,
            late: behind_micros > LATE_TOLERANCE_MICROS,
            before_account_created: before(p.payer) || before(p.payee),
            payer: p.payer,
            payee: p.payee,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Channel, Country, KycLevel, Money, TxId};

    fn account(id: &str, created: &str) -> Account {
        Account {
            account_id: AccountId::parse(id).unwrap(),
            kind: AccountKind::Personal,
            name: "n".into(),
            country: Country::CN,
            created_at: Timestamp::parse_rfc3339(created).unwrap(),
            kyc_level: KycLevel::new(2).unwrap(),
            mcc: None,
            website: None,
        }
    }

    fn tx(id: &str, ts: &str, payer: &str, payee: &str, cents: i64) -> Transaction {
        Transaction {
            tx_id: TxId::parse(id).unwrap(),
            ts: Timestamp::parse_rfc3339(ts).unwrap(),
            payer: Party::parse(payer).unwrap(),
            payee: Party::parse(payee).unwrap(),
            amount: Money::from_minor(cents, crate::Currency::CNY).unwrap(),
            channel: Channel::P2p,
            memo: None,
            device_id: None,
        }
    }

    #[test]
    fn the_contract_rules() {
        let mut book = AccountBook::new();
        book.insert(&account("A", "2026-01-01T00:00:00Z")).unwrap();
        book.insert(&account("B", "2026-03-01T00:00:00Z")).unwrap();
        assert!(book.insert(&account("A", "2026-01-01T00:00:00Z")).is_err());
        let mut gate = TxGate::new();

        let t1 = tx("t1", "2026-02-01T12:00:00Z", "A", "B", 100);
        let Ok(Admission::Accepted { before_account_created, late, .. }) = gate.admit(&t1, &book) else {
            panic!()
        };
        assert!(before_account_created && !late);
        assert_eq!(gate.admit(&t1, &book), Ok(Admission::Duplicate));
        let conflict = tx("t1", "2026-02-01T12:00:00Z", "A", "B", 101);
        assert!(matches!(gate.admit(&conflict, &book), Err(AdmissionError::DuplicateConflict(_))));

        let unknown = tx("t2", "2026-02-01T12:00:00Z", "A", "Z", 100);
        assert_eq!(gate.admit(&unknown, &book).unwrap_err().field(), "payee");
        // Refused rows leave no trace: the id can still arrive validly.
        let t2 = tx("t2", "2026-02-01T12:00:00Z", "ext:card", "A", 100);
        assert!(matches!(gate.admit(&t2, &book), Ok(Admission::Accepted { .. })));

        let in_tolerance = tx("t3", "2026-02-01T11:50:00Z", "A", "ext:c", 100);
        assert!(matches!(
            gate.admit(&in_tolerance, &book),
            Ok(Admission::Accepted { late: false, behind_micros: 600_000_000, .. })
        ));
        let late = tx("t4", "2026-02-01T11:49:59.999999Z", "A", "ext:c", 100);
        assert!(matches!(gate.admit(&late, &book), Ok(Admission::Accepted { late: true, .. })));
        assert_eq!(gate.watermark().unwrap().to_string(), "2026-02-01T12:00:00.000000Z");
    }
}
