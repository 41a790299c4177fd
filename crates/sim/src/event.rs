//! The compact in-memory form of one payment while the simulator runs (40 bytes); turned
//! into a contract `Transaction` only when written.

use sluice_core::Channel;

/// One simulated payment.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When, UTC microseconds.
    pub ts: i64,
    /// Amount in fen.
    pub amount: i64,
    /// Payer: account index, or `EXT | card code`.
    pub payer: u32,
    /// Payee: account index, or `EXT | card code`.
    pub payee: u32,
    /// Device number the payer used (0 = none).
    pub device: u32,
    /// Memo catalogue index (0 = none).
    pub memo: u16,
    /// Channel.
    pub channel: Channel,
    /// Part of a crypto operation (the ground truth).
    pub crypto: bool,
}
