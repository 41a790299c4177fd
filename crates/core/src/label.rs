//! Ground-truth labels for evaluation (`labels_accounts.csv`, `labels_transactions.csv`).

use crate::{AccountId, TxId};
use std::fmt;

/// The true role of an account.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Role {
    /// Makes no crypto-related payment.
    Normal,
    /// Sells crypto for fiat ("U merchant").
    OtcMerchant,
    /// Collects fiat deposits for an offshore exchange.
    ExchangeAgent,
    /// Collects money for a "blockchain project" scam.
    ScamCollector,
    /// Layers the proceeds.
    Mule,
    /// Made at least one crypto-related payment as a customer or victim.
    CryptoBuyer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Normal,
        Role::OtcMerchant,
        Role::ExchangeAgent,
        Role::ScamCollector,
        Role::Mule,
        Role::CryptoBuyer,
    ];

    /// Parses the contract's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "normal" => Role::Normal,
            "otc_merchant" => Role::OtcMerchant,
            "exchange_agent" => Role::ExchangeAgent,
            "scam_collector" => Role::ScamCollector,
            "mule" => Role::Mule,
            "crypto_buyer" => Role::CryptoBuyer,
            _ => return None,
        })
    }
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Normal => "normal",
            Role::OtcMerchant => "otc_merchant",
            Role::ExchangeAgent => "exchange_agent",
            Role::ScamCollector => "scam_collector",
            Role::Mule => "mule",
            Role::CryptoBuyer => "crypto_buyer",
        }
    }
    /// Operators are the accounts the platform must restrict.
    pub fn is_operator(self) -> bool {
        matches!(self, Role::OtcMerchant | Role::ExchangeAgent | Role::ScamCollector | Role::Mule)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The true role of one account.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AccountLabel {
    /// The account.
    pub account_id: AccountId,
    /// Its role.
    pub role: Role,
}

/// Whether one payment is crypto-related.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TxLabel {
    /// The payment.
    pub tx_id: TxId,
    /// True when it buys, sells, deposits or launders crypto money.
    pub crypto_related: bool,
}
