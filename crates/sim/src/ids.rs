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

pub(crate) struct Ids {
    pub(crate) accounts: Vec<AccountId>,
    /// The same ids as bytes back to back (`flat_ends[i]` ends account `i`): copying a
    /// slice is cheaper than decoding a `CompactString` twice per row.
    flat: Vec<u8>,
    flat_ends: Vec<u32>,
    bank_of: Vec<u8>,
    /// Device ids as bytes, 13 each (`D` + 12 digits), index = device number.
    devices: Vec<[u8; 13]>,
}

impl Ids {
    pub(crate) fn new(w: &World) -> Result<Self, SimError> {
        let mut buf = Vec::with_capacity(16);
        let accounts =
            w.accts
                .iter()
                .map(|a| {
                    let prefix: &[u8] = match a.kind {
                        AccountKind::Personal => b"U",
                        AccountKind::Merchant => b"M",
                        AccountKind::Enterprise => b"E",
                    };
                    buf.clear();
                    push_padded(&mut buf, prefix, u64::from(a.id_num), 8);
                    std::str::from_utf8(&buf).ok().and_then(|t| AccountId::parse(t).ok()).ok_or_else(|| {
                        SimError::Invalid(format!("internal: bad account id for #{}", a.id_num))
                    })
                })
                .collect::<Result<_, _>>()?;
        let bank_of = (0..w.accts.len() as u64).map(|i| (rng::mix(i ^ w.seed) % 8) as u8).collect();
        let accounts: Vec<AccountId> = accounts;
        let mut flat = Vec::with_capacity(accounts.len() * 9);
        let mut flat_ends = Vec::with_capacity(accounts.len());
        for a in &accounts {
            flat.extend_from_slice(a.as_str().as_bytes());
            flat_ends.push(flat.len() as u32);
        }
        let devices = (0..=w.devices)
            .map(|d| {
                let v = rng::mix(u64::from(d) ^ w.seed.rotate_left(17)) % 1_000_000_000_000;
                let mut b = Vec::with_capacity(13);
                push_padded(&mut b, b"D", v, 12);
                let mut out = [b'0'; 13];
                out.copy_from_slice(&b[..13]);
                out
            })
            .collect();
        Ok(Ids { accounts, flat, flat_ends, bank_of, devices })
    }

    /// Appends the id of party `p` (an account, or `ext:<bank>-<owner id><card>`).
    pub(crate) fn write_party(&self, w: &World, p: u32, out: &mut Vec<u8>) -> Option<()> {
        if p & EXT == 0 {
            let end = *self.flat_ends.get(p as usize)? as usize;
            let start = if p == 0 { 0 } else { *self.flat_ends.get(p as usize - 1)? as usize };
            out.extend_from_slice(self.flat.get(start..end)?);
            return Some(());
        }
        let code = p & !EXT;
        let owner = (code >> 1) as usize;
        let bank = BANKS[usize::from(*self.bank_of.get(owner)?)];
        let id_num = w.accts.get(owner)?.id_num;
        out.extend_from_slice(b"ext:");
        out.extend_from_slice(bank);
        push_padded(out, b"-", u64::from(id_num) * 10 + u64::from(code & 1), 9);
        Some(())
    }

    /// Party `p` as a value.
    pub(crate) fn party(&self, w: &World, p: u32) -> Option<Party> {
        if p & EXT == 0 {
            return self.accounts.get(p as usize).cloned().map(Party::Account);
        }
        let mut buf = Vec::with_capacity(32);
        self.write_party(w, p, &mut buf)?;
        Party::parse(std::str::from_utf8(&buf).ok()?).ok()
    }

    /// Appends the opaque id of device `d` (a hash of its number: the numbering must not
    /// reveal who got a device first).
    pub(crate) fn write_device(&self, d: u32, out: &mut Vec<u8>) {
        if let Some(id) = self.devices.get(d as usize) {
            out.extend_from_slice(id);
        }
    }

    /// Device `d` as a value.
    pub(crate) fn device(&self, d: u32) -> Option<DeviceId> {
        let mut buf = Vec::with_capacity(16);
        self.write_device(d, &mut buf);
        DeviceId::parse(std::str::from_utf8(&buf).ok()?).ok()
    }
}
