//! Ids of the simulated parties: account ids in opening order, bank-card `ext:` ids and
//! opaque device ids. One definition of each id's bytes serves both the generic writer
//! (through `Party`/`DeviceId` values) and the direct CSV formatter (`fastcsv`).

use crate::world::{EXT, World};
use crate::{SimError, rng};
use sluice_core::{AccountId, AccountKind, DeviceId, Party};

/// Appends `prefix` then `n` zero-padded to at least `width` digits. Hand-rolled because
/// `format!` was a fifth of the simulator's time at millions of ids per second.
pub(crate) fn push_padded(out: &mut Vec<u8>, prefix: &[u8], n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut v = n;
    let mut len = 0;
    while v > 0 || len == 0 {
        digits[19 - len] = b'0' + (v % 10) as u8;
        v /= 10;
        len += 1;
    }
    let len = len.max(width).min(20);
    out.extend_from_slice(prefix);
    out.extend_from_slice(&digits[20 - len..]);
}

const BANKS: [&[u8]; 8] = [b"icbc", b"ccb", b"abc", b"boc", b"cmb", b"bocom", b"psbc", b"cib"];

/// Two ASCII digits for every value below 100.
const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// `n % 100` as two ASCII digits.
pub(crate) fn pair(n: u64) -> [u8; 2] {
    PAIRS[(n % 100) as usize]
}

/// `n % 10_000` as four ASCII digits.
pub(crate) fn digits4(n: u64) -> [u8; 4] {
    let n = n % 10_000;
    let [a, b] = pair(n / 100);
    let [c, d] = pair(n);
    [a, b, c, d]
}

/// `n % 100_000_000` as eight ASCII digits.
pub(crate) fn digits8(n: u64) -> [u8; 8] {
    let n = n % 100_000_000;
    let [a, b, c, d] = digits4(n / 10_000);
    let [e, f, g, h] = digits4(n);
    [a, b, c, d, e, f, g, h]
}

/// Appends `prefix` then `n` zero-padded to `width` digits, for the widths of the ids; the
/// same bytes as [`push_padded`], without its digit loop and variable-length copy.
#[inline]
fn push_fixed(out: &mut Vec<u8>, prefix: u8, n: u64, width: usize) {
    match width {
        8 if n < 100_000_000 => {
            let [a, b, c, d, e, f, g, h] = digits8(n);
            out.extend_from_slice(&[prefix, a, b, c, d, e, f, g, h]);
        }
        9 if n < 1_000_000_000 => {
            let [a, b, c, d, e, f, g, h] = digits8(n);
            out.extend_from_slice(&[prefix, b'0' + (n / 100_000_000) as u8, a, b, c, d, e, f, g, h]);
        }
        10 if n < 10_000_000_000 => {
            let [x, y] = pair(n / 100_000_000);
            let [a, b, c, d, e, f, g, h] = digits8(n);
            out.extend_from_slice(&[prefix, x, y, a, b, c, d, e, f, g, h]);
        }
        12 if n < 1_000_000_000_000 => {
            let [w, x, y, z] = digits4(n / 100_000_000);
            let [a, b, c, d, e, f, g, h] = digits8(n);
            out.extend_from_slice(&[prefix, w, x, y, z, a, b, c, d, e, f, g, h]);
        }
        _ => push_padded(out, &[prefix], n, width),
    }
}

/// Appends tx id `T` + `seq` zero-padded to 10 digits.
pub(crate) fn push_tx_id(out: &mut Vec<u8>, seq: u64) {
    push_fixed(out, b'T', seq, 10);
}

/// Letters of the account kinds, by their code in [`Packed`].
const LETTERS: [u8; 4] = [b'U', b'M', b'E', b'?'];

/// Everything an id needs of an account, packed in 4 bytes so that writing a party costs
/// one access to a small table (400 KB for 100,000 accounts): the id number (bits 0..30) and
/// the code of its kind (30..32). The bank of its cards is a hash of the account's index.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packed(u32);

impl Packed {
    const ID_BITS: u32 = 30;
    fn id_num(self) -> u64 {
        u64::from(self.0 & ((1 << Self::ID_BITS) - 1))
    }
    fn letter(self) -> u8 {
        LETTERS[(self.0 >> Self::ID_BITS) as usize]
    }
}

/// The ids of a world's parties and devices, computed from the seed and the accounts'
/// numbers as they are written rather than stored as text (4 bytes per account).
pub(crate) struct Ids {
    packed: Vec<Packed>,
    /// Seed of the banks of cards.
    seed: u64,
    /// Seed of device ids.
    device_key: u64,
    /// Device numbers are `1..=devices`.
    devices: u32,
}

impl Ids {
    pub(crate) fn new(w: &World) -> Result<Self, SimError> {
        let packed = w
            .accts
            .iter()
            .map(|a| {
                let kind = match a.kind {
                    AccountKind::Personal => 0,
                    AccountKind::Merchant => 1,
                    AccountKind::Enterprise => 2,
                };
                (a.id_num >> Packed::ID_BITS == 0).then_some(Packed(a.id_num | kind << Packed::ID_BITS))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| SimError::Invalid("a world of more than 2^30 accounts".into()))?;
        let ids = Ids { packed, seed: w.seed, device_key: w.seed.rotate_left(17), devices: w.devices };
        // Every account id must be valid: checked once here, so writing never has to.
        let mut buf = Vec::with_capacity(16);
        for (i, a) in w.accts.iter().enumerate() {
            buf.clear();
            let ok = ids.write_party(i as u32, &mut buf).is_some()
                && std::str::from_utf8(&buf).is_ok_and(|t| AccountId::parse(t).is_ok());
            if !ok {
                return Err(SimError::Invalid(format!("internal: bad account id for #{}", a.id_num)));
            }
        }
        Ok(ids)
    }

    /// The id of account `i`.
    pub(crate) fn account_id(&self, i: u32) -> Option<AccountId> {
        let mut buf = Vec::with_capacity(16);
        self.write_party(i, &mut buf)?;
        AccountId::parse(std::str::from_utf8(&buf).ok()?).ok()
    }

    /// What writing party `p` needs: its account's, or its card owner's, packed word. Looked
    /// up apart from the writing so that a batch of look-ups can overlap their cache misses.
    pub(crate) fn lookup(&self, p: u32) -> Option<Packed> {
        let i = if p & EXT == 0 { p } else { (p & !EXT) >> 1 };
        self.packed.get(i as usize).copied()
    }

    /// Appends the id of party `p` (an account, or `ext:<bank>-<owner id><card>`).
    pub(crate) fn write_party(&self, p: u32, out: &mut Vec<u8>) -> Option<()> {
        self.write_looked_up(p, self.lookup(p)?, out);
        Some(())
    }

    /// Appends the id of party `p`, given `a = lookup(p)`.
    #[inline]
    pub(crate) fn write_looked_up(&self, p: u32, a: Packed, out: &mut Vec<u8>) {
        if p & EXT == 0 {
            push_fixed(out, a.letter(), a.id_num(), 8);
        } else {
            let code = p & !EXT;
            let bank = rng::mix(u64::from(code >> 1) ^ self.seed) % 8;
            out.extend_from_slice(b"ext:");
            out.extend_from_slice(BANKS[bank as usize]);
            push_fixed(out, b'-', a.id_num() * 10 + u64::from(code & 1), 9);
        }
    }

    /// Party `p` as a value.
    pub(crate) fn party(&self, p: u32) -> Option<Party> {
        if p & EXT == 0 {
            return self.account_id(p).map(Party::Account);
        }
        let mut buf = Vec::with_capacity(32);
        self.write_party(p, &mut buf)?;
        Party::parse(std::str::from_utf8(&buf).ok()?).ok()
    }

    /// Appends the opaque id of device `d` (a hash of its number: the numbering must not
    /// reveal who got a device first), `D` + 12 digits; nothing for a device the world does
    /// not have.
    pub(crate) fn write_device(&self, d: u32, out: &mut Vec<u8>) {
        if d <= self.devices {
            let v = rng::mix(u64::from(d) ^ self.device_key) % 1_000_000_000_000;
            push_fixed(out, b'D', v, 12);
        }
    }

    /// Device `d` as a value.
    pub(crate) fn device(&self, d: u32) -> Option<DeviceId> {
        let mut buf = Vec::with_capacity(16);
        self.write_device(d, &mut buf);
        DeviceId::parse(std::str::from_utf8(&buf).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_widths_match_the_padded_digits() {
        let mut values = vec![0u64, 1, 9, 10, 99, 100, 12_345, 99_999_999, 100_000_000, 999_999_999];
        values.extend([1_000_000_000, 9_999_999_999, 10_000_000_000, 999_999_999_999, 1_000_000_000_000]);
        values.extend([u64::MAX, 123_456_789_012_345]);
        let mut z = 7u64;
        for _ in 0..10_000 {
            z = rng::mix(z);
            values.push(z % 10u64.pow((z >> 60) as u32 % 14));
        }
        for &v in &values {
            for width in [8, 9, 10, 12] {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                push_fixed(&mut a, b'X', v, width);
                push_padded(&mut b, b"X", v, width);
                assert_eq!(a, b, "{v} width {width}");
            }
        }
    }
}
