//! Decisions on payments and the one action vocabulary shared by decisions and verdicts.

use crate::{AccountId, Timestamp, TxId};
use compact_str::CompactString;
use std::fmt;

/// What happens to one payment. Ordered by severity: `Allow < Review < Block`.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Outcome {
    /// Let it through.
    Allow,
    /// Let it through and put it in front of an analyst.
    Review,
    /// Refuse it.
    Block,
}

impl Outcome {
    /// Every outcome, least severe first.
    pub const ALL: [Outcome; 3] = [Outcome::Allow, Outcome::Review, Outcome::Block];

    /// Parses the contract's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "allow" => Outcome::Allow,
            "review" => Outcome::Review,
            "block" => Outcome::Block,
            _ => return None,
        })
    }
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Review => "review",
            Outcome::Block => "block",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an account. "Restricted" means any of the last four.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum AccountAction {
    /// Nothing.
    None,
    /// Put in front of an analyst; no restriction.
    Review,
    /// No outgoing payments.
    SuspendOut,
    /// No incoming payments.
    SuspendIn,
    /// Neither.
    Freeze,
    /// A merchant cannot take payments.
    SuspendCollection,
}

impl AccountAction {
    /// Every action.
    pub const ALL: [AccountAction; 6] = [
        AccountAction::None,
        AccountAction::Review,
        AccountAction::SuspendOut,
        AccountAction::SuspendIn,
        AccountAction::Freeze,
        AccountAction::SuspendCollection,
    ];

    /// Parses the contract's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => AccountAction::None,
            "review" => AccountAction::Review,
            "suspend_out" => AccountAction::SuspendOut,
            "suspend_in" => AccountAction::SuspendIn,
            "freeze" => AccountAction::Freeze,
            "suspend_collection" => AccountAction::SuspendCollection,
            _ => return None,
        })
    }
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountAction::None => "none",
            AccountAction::Review => "review",
            AccountAction::SuspendOut => "suspend_out",
            AccountAction::SuspendIn => "suspend_in",
            AccountAction::Freeze => "freeze",
            AccountAction::SuspendCollection => "suspend_collection",
        }
    }
    /// Whether this action restricts the account.
    pub fn is_restriction(self) -> bool {
        !matches!(self, AccountAction::None | AccountAction::Review)
    }
    /// Whether the account is flagged at all (anything but `none`).
    pub fn is_flag(self) -> bool {
        self != AccountAction::None
    }
}

impl fmt::Display for AccountAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A score in 0..=1 with exactly four decimals, held as an integer of ten-thousandths so that
/// what is written is what was computed.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Default)]
pub struct Score(u16);

impl Score {
    /// Zero.
    pub const ZERO: Score = Score(0);
    /// One.
    pub const ONE: Score = Score(10_000);

    /// From ten-thousandths (0..=10000).
    pub fn from_ten_thousandths(v: u16) -> Option<Self> {
        (v <= 10_000).then_some(Score(v))
    }
    /// From a probability, rounded half-up to four decimals and clamped to 0..=1.
    /// Not money: a float is the natural type of a model's output.
    pub fn from_f64(p: f64) -> Self {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        Score((p * 10_000.0).round() as u16)
    }
    /// Parses `0`, `1`, `0.5`, `0.1234` (at most 4 decimals, in 0..=1).
    pub fn parse(s: &str) -> Option<Self> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() || int.len() > 1 || frac.len() > 4 || (s.contains('.') && frac.is_empty()) {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut v = u32::from(int.as_bytes()[0] - b'0') * 10_000;
        let mut scale = 1_000;
        for b in frac.bytes() {
            v += u32::from(b - b'0') * scale;
            scale /= 10;
        }
        u16::try_from(v).ok().and_then(Score::from_ten_thousandths)
    }
    /// Ten-thousandths.
    pub fn ten_thousandths(self) -> u16 {
        self.0
    }
    /// As a float, for arithmetic in models and plots.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:04}", self.0 / 10_000, self.0 % 10_000)
    }
}

/// A stable reason code from the catalogue (`LIST_EXCHANGE_PAYEE`, `MEMO_CRYPTO_TERM`, ...):
/// upper-case ASCII letters, digits and `_`, 1-64 characters.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ReasonCode(CompactString);

impl ReasonCode {
    /// Parses a reason code.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| ReasonCode(CompactString::new(s)))
    }
    /// A code written in the source (a catalogue constant). Not checked in release builds:
    /// use [`ReasonCode::parse`] for anything read from outside.
    pub fn from_static(s: &'static str) -> Self {
        debug_assert!(Self::parse(s).is_some(), "bad reason code {s}");
        ReasonCode(CompactString::const_new(s))
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a decision came out as it did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Reason {
    /// The catalogue code.
    pub code: ReasonCode,
    /// Human-readable detail (which list entry, which keyword, which window figure).
    pub detail: String,
}

/// An account action taken by a decision.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Action {
    /// A restriction (`suspend_out`, `suspend_in`, `freeze`, `suspend_collection`).
    pub kind: AccountAction,
    /// The account restricted.
    pub account: AccountId,
    /// When it expires; `None` until lifted by a person.
    pub until: Option<Timestamp>,
}

/// `<policy id>@<version>`: names the policy that made a decision so it can be reproduced.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct PolicyRef(CompactString);

impl PolicyRef {
    /// Parses `id@version`, both parts non-empty and free of whitespace.
    pub fn parse(s: &str) -> Option<Self> {
        let (id, version) = s.split_once('@')?;
        let ok = |p: &str| !p.is_empty() && !p.chars().any(char::is_whitespace);
        (ok(id) && ok(version) && !version.contains('@') && s.len() <= 200)
            .then(|| PolicyRef(CompactString::new(s)))
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The decision on one payment.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Decision {
    /// The payment.
    pub tx_id: TxId,
    /// What happens to it.
    pub decision: Outcome,
    /// The combined risk score.
    pub score: Score,
    /// Every rule that fired.
    pub reasons: Vec<Reason>,
    /// Account restrictions taken.
    pub actions: Vec<Action>,
    /// The policy that decided.
    pub policy: PolicyRef,
    /// The version of the list store it decided with (optional field `lists`).
    pub lists: Option<CompactString>,
    /// The version of the model it used, if any (optional field `model`).
    pub model: Option<CompactString>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        assert_eq!(Score::parse("0.5").map(|s| s.to_string()), Some("0.5000".into()));
        assert_eq!(Score::parse("1"), Some(Score::ONE));
        assert_eq!(Score::parse("1.0000"), Some(Score::ONE));
        for bad in ["1.0001", "2", "0.12345", ".5", "0.", "-0.1", "", "0,5"] {
            assert_eq!(Score::parse(bad), None, "{bad}");
        }
        assert_eq!(Score::from_f64(0.12345).to_string(), "0.1235");
        assert_eq!(Score::from_f64(f64::NAN), Score::ZERO);
    }
}
