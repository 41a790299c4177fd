//! Payments: the `transactions` record of the contract.

use crate::{DeviceId, Money, Party, Timestamp, TxId};
use compact_str::CompactString;
use std::fmt;

/// How a payment was made.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Channel {
    /// Person to person transfer.
    P2p,
    /// A red packet (hongbao), usually in a group chat.
    RedPacket,
    /// Payment to a merchant.
    Merchant,
    /// Money in from a bank card (payer usually `ext:`).
    TopUp,
    /// Money out to a bank card (payee usually `ext:`).
    Withdrawal,
}

impl Channel {
    /// Every channel, in the contract's order.
    pub const ALL: [Channel; 5] =
        [Channel::P2p, Channel::RedPacket, Channel::Merchant, Channel::TopUp, Channel::Withdrawal];

    /// Parses the contract's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "p2p" => Channel::P2p,
            "red_packet" => Channel::RedPacket,
            "merchant" => Channel::Merchant,
            "top_up" => Channel::TopUp,
            "withdrawal" => Channel::Withdrawal,
            _ => return None,
        })
    }

    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::P2p => "p2p",
            Channel::RedPacket => "red_packet",
            Channel::Merchant => "merchant",
            Channel::TopUp => "top_up",
            Channel::Withdrawal => "withdrawal",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The free-text note a payer typed: up to 256 characters, any script; never empty (an
/// empty memo is an absent one).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Memo(CompactString);

/// Longest memo, in characters.
pub const MEMO_MAX_CHARS: usize = 256;

impl Memo {
    /// A memo, if non-empty and at most 256 characters; otherwise its length in characters.
    pub fn new(s: &str) -> Result<Self, usize> {
        let n = crate::char_len(s);
        if n == 0 || n > MEMO_MAX_CHARS { Err(n) } else { Ok(Memo(CompactString::new(s))) }
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One payment.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Transaction {
    /// Unique id.
    pub tx_id: TxId,
    /// When the payment was initiated.
    pub ts: Timestamp,
    /// Who pays.
    pub payer: Party,
    /// Who is paid; never equal to `payer`, and one of the two is a platform account.
    pub payee: Party,
    /// How much, exactly.
    pub amount: Money,
    /// How.
    pub channel: Channel,
    /// The payer's note.
    pub memo: Option<Memo>,
    /// The payer's device.
    pub device_id: Option<DeviceId>,
}

/// Why two parties cannot make a payment.
#[derive(Copy, Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum PartiesError {
    /// Payer and payee are the same.
    #[error("payer and payee are the same")]
    SelfPayment,
    /// Both sides are external.
    #[error("neither payer nor payee is a platform account")]
    NoPlatformParty,
}

/// Checks the contract's rules on the two sides of a payment.
pub fn check_parties(payer: &Party, payee: &Party) -> Result<(), PartiesError> {
    if payer == payee {
        return Err(PartiesError::SelfPayment);
    }
    if payer.is_external() && payee.is_external() {
        return Err(PartiesError::NoPlatformParty);
    }
    Ok(())
}
