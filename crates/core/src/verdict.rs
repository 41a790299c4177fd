//! Per-account verdicts of the daily sweep (`verdicts.csv`).

use crate::{AccountAction, AccountId, ReasonCode, RingId, Score, Timestamp};

/// The sweep's judgement of one platform account.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Verdict {
    /// The account.
    pub account_id: AccountId,
    /// Higher = more likely a crypto operator.
    pub score: Score,
    /// What to do.
    pub action: AccountAction,
    /// Reason codes.
    pub reasons: Vec<ReasonCode>,
    /// The reasons in words an analyst reads.
    pub explanation: String,
    /// Shared by accounts judged to be run by one operator.
    pub ring: Option<RingId>,
    /// When the evidence first crossed the action's threshold (`None` if action is `none`).
    pub first_flag_ts: Option<Timestamp>,
}
