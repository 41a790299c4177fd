//! The vocabulary of conditions: every field and function a rule may use, with its type and
//! meaning. The compiler resolves names here once; `sluice policy schema` prints this table.
//!
//! Conventions: money is an `int` of minor units (fen for CNY: `tx.amount >= 5000000` is
//! ¥50,000); shares are `double`s in 0..1; times are local to the policy's time zone.

use super::facts::{Facts, Role, Side};
use crate::windows::Direction;
use sluice_core::AccountKind;

/// A CEL type as Sluice's conditions use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// `bool`.
    Bool,
    /// `int` (64-bit signed).
    Int,
    /// `double`.
    Double,
    /// `string`.
    String,
    /// A list literal of one element type (only as the right side of `in`).
    List(Box<Ty>),
    /// `payer` / `payee`.
    Party,
    /// A window of a party, e.g. `payer.out_24h`.
    Window,
    /// `tx`.
    Tx,
    /// `memo`.
    Memo,
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ty::Bool => f.write_str("bool"),
            Ty::Int => f.write_str("int"),
            Ty::Double => f.write_str("double"),
            Ty::String => f.write_str("string"),
            Ty::List(t) => write!(f, "list({t})"),
            Ty::Party => f.write_str("party"),
            Ty::Window => f.write_str("window"),
            Ty::Tx => f.write_str("transaction"),
            Ty::Memo => f.write_str("memo"),
        }
    }
}

/// Reads one scalar from the facts of a payment.
#[derive(Clone, Copy)]
pub enum TxField {
    /// An `int`.
    Int(fn(&Facts<'_>) -> i64),
    /// A `bool`.
    Bool(fn(&Facts<'_>) -> bool),
    /// A `string`.
    Str(for<'a> fn(&'a Facts<'a>) -> &'a str),
}

/// Reads one scalar from a side of the payment.
#[derive(Clone, Copy)]
pub enum PartyField {
    /// An `int`.
    Int(fn(&Side<'_>) -> i64),
    /// A `double`.
    Double(fn(&Side<'_>) -> f64),
    /// A `bool`.
    Bool(fn(&Side<'_>) -> bool),
    /// A `string`.
    Str(for<'a> fn(&'a Side<'a>) -> &'a str),
}

/// A field of a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowField {
    /// Payments.
    Count,
    /// Minor units.
    Sum,
    /// Share of round amounts.
    RoundShare,
    /// Share of pegged amounts.
    PeggedShare,
    /// Share made at local night.
    NightShare,
    /// Share whose counterparty was new to the account.
    NewShare,
    /// Payments whose counterparty was new to the account.
    NewCount,
    /// Distinct counterparties (24 h and 7 d only).
    Distinct,
}

fn share_u64(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Reads a window field of a side: `None` when the window does not keep it.
pub fn read_window(s: &Side<'_>, w: usize, d: Direction, f: WindowField) -> Value {
    let feats = &s.features;
    let flow = match w {
        0 => feats.h1[d.index()],
        1 => feats.h24[d.index()],
        _ => feats.d7[d.index()],
    };
    match f {
        WindowField::Count => Value::Int(i64::from(flow.count)),
        WindowField::Sum => Value::Int(i64::try_from(flow.sum_minor).unwrap_or(i64::MAX)),
        WindowField::RoundShare => Value::Double(flow.share(flow.round)),
        WindowField::PeggedShare => Value::Double(flow.share(flow.pegged)),
        WindowField::NightShare => Value::Double(flow.share(flow.night)),
        WindowField::NewShare => Value::Double(flow.share(flow.new_counterparty)),
        WindowField::NewCount => Value::Int(i64::from(flow.new_counterparty)),
        WindowField::Distinct => Value::Int(i64::from(match w {
            1 => feats.distinct_h24[d.index()],
            _ => feats.distinct_d7[d.index()],
        })),
    }
}

/// A window field's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// An int.
    Int(i64),
    /// A double.
    Double(f64),
}

impl WindowField {
    /// Whether the field is a `double` (else an `int`).
    pub fn is_double(self) -> bool {
        matches!(self, Self::RoundShare | Self::PeggedShare | Self::NightShare | Self::NewShare)
    }
}

fn amount(f: &Facts<'_>) -> i64 {
    f.tx.amount.minor()
}
fn currency<'a>(f: &'a Facts<'a>) -> &'a str {
    f.tx.amount.currency_code()
}
fn channel<'a>(f: &'a Facts<'a>) -> &'a str {
    f.tx.channel.as_str()
}
fn memo_text<'a>(f: &'a Facts<'a>) -> &'a str {
    f.tx.memo.as_ref().map_or("", |m| m.as_str())
}
fn device<'a>(f: &'a Facts<'a>) -> &'a str {
    f.tx.device_id.as_ref().map_or("", |d| d.as_str())
}
fn tx_id<'a>(f: &'a Facts<'a>) -> &'a str {
    f.tx.tx_id.as_str()
}
fn date<'a>(f: &'a Facts<'a>) -> &'a str {
    f.local.date_str()
}

/// The fields of `tx`: (name, reader, meaning).
pub const TX_FIELDS: &[(&str, TxField, &str)] = &[
    ("id", TxField::Str(tx_id), "the transaction id"),
    ("amount", TxField::Int(amount), "amount in minor units (fen for CNY)"),
    ("currency", TxField::Str(currency), "ISO 4217 code"),
    ("channel", TxField::Str(channel), "p2p | red_packet | merchant | top_up | withdrawal"),
    ("memo", TxField::Str(memo_text), "the memo as typed (empty if none)"),
    ("device", TxField::Str(device), "the payer's device id (empty if none)"),
    ("hour", TxField::Int(|f| i64::from(f.local.hour)), "local hour of day, 0-23"),
    ("weekday", TxField::Int(|f| i64::from(f.local.weekday)), "local ISO weekday, 1 = Monday .. 7 = Sunday"),
    ("date", TxField::Str(date), "local date, YYYY-MM-DD (compare as a string)"),
    ("night", TxField::Bool(|f| f.local.night()), "local time in 00:00-06:00"),
    ("round", TxField::Bool(|f| f.observed.round), "amount is a multiple of ¥100"),
    (
        "pegged",
        TxField::Bool(|f| f.observed.pegged),
        "amount looks like a coin quantity × a USDT/CNY rate (never when round)",
    ),
    (
        "device_accounts",
        TxField::Int(|f| i64::from(f.observed.accounts_on_device)),
        "distinct payer accounts seen on this payment's device, this one included (0 without a device)",
    ),
];

fn p_id<'a>(s: &'a Side<'a>) -> &'a str {
    s.id
}
fn p_kind<'a>(s: &'a Side<'a>) -> &'a str {
    s.account.map_or("external", |a| a.kind.as_str())
}
fn p_name<'a>(s: &'a Side<'a>) -> &'a str {
    s.account.map_or("", |a| a.name.as_str())
}
fn p_country<'a>(s: &'a Side<'a>) -> &'a str {
    s.account.map_or("", |a| a.country.as_str())
}
fn p_website<'a>(s: &'a Side<'a>) -> &'a str {
    s.account.and_then(|a| a.website.as_ref()).map_or("", |w| w.as_str())
}
fn p_restriction<'a>(s: &'a Side<'a>) -> &'a str {
    s.restriction.as_str()
}

/// The scalar fields of `payer` and `payee`.
pub const PARTY_FIELDS: &[(&str, PartyField, &str)] = &[
    ("id", PartyField::Str(p_id), "account id, or the ext: id of an outside party"),
    ("kind", PartyField::Str(p_kind), "personal | merchant | enterprise | external"),
    ("external", PartyField::Bool(|s| s.account.is_none()), "an outside party (bank card, outside wallet)"),
    (
        "merchant",
        PartyField::Bool(|s| s.account.is_some_and(|a| a.kind == AccountKind::Merchant)),
        "a merchant account",
    ),
    ("name", PartyField::Str(p_name), "display or registered name (empty for outside parties)"),
    ("country", PartyField::Str(p_country), "KYC country, alpha-2 (empty for outside parties)"),
    (
        "kyc",
        PartyField::Int(|s| s.account.map_or(0, |a| i64::from(a.kyc_level.get()))),
        "KYC level 0-3 (0 for outside parties)",
    ),
    (
        "mcc",
        PartyField::Int(|s| s.account.and_then(|a| a.mcc).map_or(0, |m| i64::from(m.get()))),
        "merchant category code (0 if none)",
    ),
    ("website", PartyField::Str(p_website), "merchant's website host (empty if none)"),
    (
        "age_days",
        PartyField::Int(|s| s.features.age_micros.map_or(0, |a| a.max(0) / 86_400_000_000)),
        "whole days since the account was opened (0 for outside parties)",
    ),
    (
        "devices",
        PartyField::Int(|s| i64::from(s.features.devices)),
        "distinct devices the account has paid from",
    ),
    (
        "counterparties",
        PartyField::Int(|s| i64::from(s.features.counterparties)),
        "counterparties the account remembers (either direction)",
    ),
    (
        "pass_through_24h",
        PartyField::Double(|s| s.features.pass_through_share_h24()),
        "share of the last 24 h's outflow covered by inflow of the 2 h before it, 0..1",
    ),
    (
        "pass_through_7d",
        PartyField::Double(|s| share_u64(s.features.pass_through_d7_minor, s.features.d7[1].sum_minor)),
        "the same over 7 days",
    ),
    (
        "restriction",
        PartyField::Str(p_restriction),
        "restriction in force: none | suspend_out | suspend_in | freeze | suspend_collection",
    ),
];

/// The windows of a party: (name, window index 0 = 1 h / 1 = 24 h / 2 = 7 d, direction).
pub const WINDOWS: &[(&str, usize, Direction)] = &[
    ("in_1h", 0, Direction::In),
    ("out_1h", 0, Direction::Out),
    ("in_24h", 1, Direction::In),
    ("out_24h", 1, Direction::Out),
    ("in_7d", 2, Direction::In),
    ("out_7d", 2, Direction::Out),
];

/// The fields of a window.
pub const WINDOW_FIELDS: &[(&str, WindowField, &str)] = &[
    ("count", WindowField::Count, "int: payments in the window, this one included"),
    ("sum", WindowField::Sum, "int: their total in minor units"),
    ("round_share", WindowField::RoundShare, "double: share with a round amount (multiple of ¥100)"),
    (
        "pegged_share",
        WindowField::PeggedShare,
        "double: share whose amount looks like coin quantity × USDT/CNY rate",
    ),
    ("night_share", WindowField::NightShare, "double: share made at local night (00:00-06:00)"),
    ("new_share", WindowField::NewShare, "double: share whose counterparty was new to the account"),
    ("new_count", WindowField::NewCount, "int: payments whose counterparty was new to the account"),
    (
        "distinct",
        WindowField::Distinct,
        "int: distinct counterparties (24h and 7d windows only; approximate, see features)",
    ),
];

/// The functions: (signature, meaning). Checked by the compiler, listed for people.
pub const FUNCTIONS: &[(&str, &str)] = &[
    (
        "payer.listed(list) / payee.listed(list) -> bool",
        "the account id, or a merchant's website host, is on `list` (effective dates and jurisdictions applied; the jurisdiction is the other side's country)",
    ),
    (
        "payer.screen(list) / payee.screen(list) -> double",
        "best fuzzy-name score of the account's name against the `name` entries of `list`, 0..1",
    ),
    ("screen(name, list) -> double", "the same for any string"),
    (
        "memo.hits(category) -> int",
        "lexicon hits in the memo of `category`: any | coin | otc | exchange | mining | project",
    ),
    ("memo.strong(category) -> int", "strong hits only (terms that name crypto trading on their own)"),
    ("memo.listed(list) -> bool", "a wallet address or host in the memo is on `list`"),
    (
        "memo.addresses -> int / memo.hosts -> int",
        "wallet addresses (BTC, ETH, TRON) / URLs and host names in the memo",
    ),
    ("size(string) / string.size() -> int", "length in characters"),
    ("s.contains(t) / s.startsWith(t) / s.endsWith(t) -> bool", "substring tests"),
    ("int(x) / double(x) / string(x)", "conversions"),
    ("x in [a, b, ...]", "membership in a literal list"),
];

/// The field of `tx` called `name`.
pub fn tx_field(name: &str) -> Option<TxField> {
    TX_FIELDS.iter().find(|(n, ..)| *n == name).map(|(_, f, _)| *f)
}

/// The scalar field of a party called `name`.
pub fn party_field(name: &str) -> Option<PartyField> {
    PARTY_FIELDS.iter().find(|(n, ..)| *n == name).map(|(_, f, _)| *f)
}

/// The window of a party called `name`.
pub fn window(name: &str) -> Option<(usize, Direction)> {
    WINDOWS.iter().find(|(n, ..)| *n == name).map(|(_, w, d)| (*w, *d))
}

/// The field of a window called `name`.
pub fn window_field(name: &str) -> Option<WindowField> {
    WINDOW_FIELDS.iter().find(|(n, ..)| *n == name).map(|(_, f, _)| *f)
}

/// Every name that may follow `root.` — for "did you mean" hints.
pub fn members_of(root: &Ty) -> Vec<&'static str> {
    match root {
        Ty::Tx => TX_FIELDS.iter().map(|(n, ..)| *n).collect(),
        Ty::Party => PARTY_FIELDS
            .iter()
            .map(|(n, ..)| *n)
            .chain(WINDOWS.iter().map(|(n, ..)| *n))
            .chain(["listed", "screen"])
            .collect(),
        Ty::Window => WINDOW_FIELDS.iter().map(|(n, ..)| *n).collect(),
        Ty::Memo => vec!["hits", "strong", "listed", "addresses", "hosts"],
        _ => Vec::new(),
    }
}

/// The variables at the root of every condition.
pub const ROOTS: &[(&str, Ty)] =
    &[("tx", Ty::Tx), ("payer", Ty::Party), ("payee", Ty::Party), ("memo", Ty::Memo)];

/// The role a root variable names.
pub fn role_of(root: &str) -> Option<Role> {
    match root {
        "payer" => Some(Role::Payer),
        "payee" => Some(Role::Payee),
        _ => None,
    }
}
