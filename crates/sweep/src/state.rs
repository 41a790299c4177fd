//! What a daily sweep carries to the next day (`sluice sweep --state DIR`): the payments of
//! the history horizon as compact edges keyed by party id (not by the accounts file's row
//! order, which may change from day to day), the (device, account) pairs, and when each
//! restricted account was first flagged. Day N+1's sweep reads only day N+1's payments, adds
//! them to this history, and sees the weeks before.
//!
//! **Why a hand-written binary file.** The state is millions of fixed 24-byte records plus an
//! id table; no serialisation crate already in the tree writes that compactly (serde_json
//! would be ten times larger and slower), and the layout is four lines of `to_le_bytes`. The
//! file starts with a magic and a version; a reader refuses anything else, and a truncated or
//! corrupt file is an error that names the section, never a half-loaded history. The CLI
//! writes it to a temporary name and renames it into place, so a crash leaves the previous
//! day's state.

use std::io::{Read, Write};

const MAGIC: &[u8; 8] = b"SLCSWST\0";
const VERSION: u32 = 1;
/// Refuse absurd counts before allocating for them.
const MAX_ITEMS: u64 = 1 << 34;

/// Why a state file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Not a sweep state, or another version.
    #[error("not a Sluice sweep state file (version {VERSION}): {0}")]
    Format(String),
    /// The file ends early or cannot be read.
    #[error("sweep state: cannot read the {section}: {source}")]
    Io {
        /// Which part.
        section: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// A record points outside the id table, or an id is not UTF-8.
    #[error("sweep state: corrupt {0}")]
    Corrupt(&'static str),
}

/// One remembered payment between two entries of [`SweepState::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateEdge {
    /// Amount, minor units.
    pub amount: u64,
    /// Payer, an index into the id table.
    pub src: u32,
    /// Payee, an index into the id table.
    pub dst: u32,
    /// UTC seconds.
    pub t: u32,
    /// The graph's flag bits.
    pub flags: u16,
}

/// The history a sweep hands to the next one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepState {
    /// Party ids (platform accounts and `ext:` parties).
    pub nodes: Vec<String>,
    /// Payments of the horizon, in the order they were first read.
    pub edges: Vec<StateEdge>,
    /// (device hash, party index) pairs.
    pub devices: Vec<(u64, u32)>,
    /// (party index, UTC microseconds): when a still-flagged account was first flagged.
    pub first_flags: Vec<(u32, i64)>,
}

fn put_u32(w: &mut impl Write, x: u32) -> std::io::Result<()> {
    w.write_all(&x.to_le_bytes())
}
fn put_u64(w: &mut impl Write, x: u64) -> std::io::Result<()> {
    w.write_all(&x.to_le_bytes())
}

struct Reader<R> {
    r: R,
    section: &'static str,
}

impl<R: Read> Reader<R> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).map_err(|source| StateError::Io { section: self.section, source })?;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, StateError> {
        Ok(u16::from_le_bytes(self.bytes()?))
    }
    fn u32(&mut self) -> Result<u32, StateError> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }
    fn u64(&mut self) -> Result<u64, StateError> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }
    fn count(&mut self) -> Result<usize, StateError> {
        let n = self.u64()?;
        if n > MAX_ITEMS {
            return Err(StateError::Corrupt(self.section));
        }
        usize::try_from(n).map_err(|_| StateError::Corrupt(self.section))
    }
}

impl SweepState {
    /// Writes the state.
    pub fn write(&self, mut w: impl Write) -> std::io::Result<()> {
        w.write_all(MAGIC)?;
        put_u32(&mut w, VERSION)?;
        put_u64(&mut w, self.nodes.len() as u64)?;
        for id in &self.nodes {
            put_u32(&mut w, u32::try_from(id.len()).unwrap_or(u32::MAX))?;
            w.write_all(id.as_bytes())?;
        }
        put_u64(&mut w, self.edges.len() as u64)?;
        for e in &self.edges {
            put_u64(&mut w, e.amount)?;
            put_u32(&mut w, e.src)?;
            put_u32(&mut w, e.dst)?;
            put_u32(&mut w, e.t)?;
            w.write_all(&e.flags.to_le_bytes())?;
        }
        put_u64(&mut w, self.devices.len() as u64)?;
        for &(h, a) in &self.devices {
            put_u64(&mut w, h)?;
            put_u32(&mut w, a)?;
        }
        put_u64(&mut w, self.first_flags.len() as u64)?;
        for &(a, t) in &self.first_flags {
            put_u32(&mut w, a)?;
            w.write_all(&t.to_le_bytes())?;
        }
        w.write_all(b"END\0")?;
        w.flush()
    }

    /// Reads a state written by [`SweepState::write`], checking every index.
    pub fn read(r: impl Read) -> Result<SweepState, StateError> {
        let mut r = Reader { r, section: "header" };
        if &r.bytes::<8>()? != MAGIC {
            return Err(StateError::Format("wrong magic".into()));
        }
        let v = r.u32()?;
        if v != VERSION {
            return Err(StateError::Format(format!("file version {v}")));
        }
        r.section = "id table";
        let n = r.count()?;
        let mut nodes = Vec::with_capacity(n.min(1 << 24));
        for _ in 0..n {
            let len = r.u32()? as usize;
            if len > 4096 {
                return Err(StateError::Corrupt("id table"));
            }
            let mut b = vec![0u8; len];
            r.r.read_exact(&mut b).map_err(|source| StateError::Io { section: "id table", source })?;
            nodes.push(String::from_utf8(b).map_err(|_| StateError::Corrupt("id table"))?);
        }
        let in_table = |i: u32| (i as usize) < nodes.len();
        r.section = "payments";
        let m = r.count()?;
        let mut edges = Vec::with_capacity(m.min(1 << 26));
        for _ in 0..m {
            let e =
                StateEdge { amount: r.u64()?, src: r.u32()?, dst: r.u32()?, t: r.u32()?, flags: r.u16()? };
            if !in_table(e.src) || !in_table(e.dst) {
                return Err(StateError::Corrupt("payments"));
            }
            edges.push(e);
        }
        r.section = "devices";
        let d = r.count()?;
        let mut devices = Vec::with_capacity(d.min(1 << 24));
        for _ in 0..d {
            let pair = (r.u64()?, r.u32()?);
            if !in_table(pair.1) {
                return Err(StateError::Corrupt("devices"));
            }
            devices.push(pair);
        }
        r.section = "first flags";
        let f = r.count()?;
        let mut first_flags = Vec::with_capacity(f.min(1 << 24));
        for _ in 0..f {
            let pair = (r.u32()?, r.u64()? as i64);
            if !in_table(pair.0) {
                return Err(StateError::Corrupt("first flags"));
            }
            first_flags.push(pair);
        }
        r.section = "end marker";
        if &r.bytes::<4>()? != b"END\0" {
            return Err(StateError::Corrupt("end marker"));
        }
        Ok(SweepState { nodes, edges, devices, first_flags })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> SweepState {
        SweepState {
            nodes: vec!["U1".into(), "ext:card:9".into(), "商户".into()],
            edges: vec![
                StateEdge { amount: 12_345, src: 0, dst: 1, t: 1_772_000_000, flags: 3 },
                StateEdge { amount: 1, src: 2, dst: 0, t: 1_772_000_100, flags: 0 },
            ],
            devices: vec![(77, 0), (77, 2)],
            first_flags: vec![(2, 1_772_000_000_000_000)],
        }
    }

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        sample().write(&mut buf).unwrap();
        assert_eq!(SweepState::read(buf.as_slice()).unwrap(), sample());
    }

    #[test]
    fn truncation_names_the_section_and_bad_indices_are_refused() {
        let mut buf = Vec::new();
        sample().write(&mut buf).unwrap();
        let err = SweepState::read(&buf[..buf.len() - 30]).unwrap_err().to_string();
        assert!(err.contains("devices") || err.contains("first flags"), "{err}");
        let mut bad = sample();
        bad.edges[0].dst = 9;
        let mut buf = Vec::new();
        bad.write(&mut buf).unwrap();
        assert!(matches!(SweepState::read(buf.as_slice()), Err(StateError::Corrupt("payments"))));
        assert!(matches!(SweepState::read(&b"NOTSTATE...."[..]), Err(StateError::Format(_))));
    }

    proptest! {
        /// Arbitrary bytes never panic the reader; they load or give an error.
        #[test]
        fn arbitrary_bytes_do_not_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), keep in 0usize..200) {
            let mut buf = Vec::new();
            sample().write(&mut buf).unwrap();
            buf.truncate(keep.min(buf.len()));
            buf.extend_from_slice(&bytes);
            let _ = SweepState::read(buf.as_slice());
        }
    }
}
