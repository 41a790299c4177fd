//! The [`Record`] trait and its implementation for every record type of the contract: how a
//! row of cells becomes a domain value (checking every field rule) and how a value is
//! written back.

use crate::cell::{CellSink, Cells, FieldError, shown};
use crate::reject::RejectCode as C;
use sluice_core::account::NAME_MAX_CHARS;
use sluice_core::list::ENTRY_MAX_CHARS;
use sluice_core::money::MONEY_TEXT_MAX;
use sluice_core::time::RFC3339_MICROS_LEN;
use sluice_core::transaction::{MEMO_MAX_CHARS, PartiesError, check_parties};
use sluice_core::{
    Account, AccountAction, AccountId, AccountKind, AccountLabel, Action, Channel, Country, Currency,
    Decision, DeviceId, Hostname, KycLevel, ListEntry, ListKind, ListName, ListTime, Mcc, Memo, Money,
    Outcome, Party, PolicyRef, Reason, ReasonCode, RingId, Role, Score, Timestamp, Transaction, TxId,
    TxLabel, Verdict, char_len,
};

/// A record type of the contract.
pub trait Record: Sized {
    /// What the rows are, for messages (`transactions`).
    const KIND: &'static str;
    /// Field names, in the order they are written.
    const FIELDS: &'static [&'static str];
    /// Fields a CSV header must have.
    const REQUIRED: &'static [&'static str];
    /// Builds a value from a row, checking every rule of the contract.
    fn from_cells(c: &Cells<'_>) -> Result<Self, FieldError>;
    /// Writes the value's fields in `FIELDS` order.
    fn write_cells(&self, out: &mut dyn CellSink);
}

fn ts_text(t: Timestamp, buf: &mut [u8; RFC3339_MICROS_LEN]) -> &str {
    t.write_rfc3339(buf)
}

fn parse_ts(c: &Cells<'_>, i: usize, v: &str) -> Result<Timestamp, FieldError> {
    Timestamp::parse_rfc3339(v).map_err(|e| c.error(i, C::BadTimestamp, e.to_string()))
}

fn check_len(c: &Cells<'_>, i: usize, v: &str, max: usize) -> Result<(), FieldError> {
    let n = char_len(v);
    if n > max {
        return Err(c.error(i, C::TooLong, format!("is {n} characters long, at most {max} allowed")));
    }
    Ok(())
}

fn id_err(c: &Cells<'_>, i: usize, v: &str, e: sluice_core::IdError) -> FieldError {
    c.error(i, C::BadId, format!("{} {e}", shown(v)))
}

impl Record for Account {
    const KIND: &'static str = "accounts";
    const FIELDS: &'static [&'static str] =
        &["account_id", "kind", "name", "country", "created_at", "kyc_level", "mcc", "website"];
    const REQUIRED: &'static [&'static str] =
        &["account_id", "kind", "name", "country", "created_at", "kyc_level"];

    fn from_cells(c: &Cells<'_>) -> Result<Self, FieldError> {
        let id = c.req_text(0, C::BadId)?;
        let account_id = AccountId::parse(id).map_err(|e| id_err(c, 0, id, e))?;
        let kind_text = c.req_text(1, C::BadKind)?;
        let kind = AccountKind::parse(kind_text).ok_or_else(|| {
            c.error(1, C::BadKind, format!("{} is not personal, merchant or enterprise", shown(kind_text)))
        })?;
        let name = c.req_text(2, C::TooLong)?;
        check_len(c, 2, name, NAME_MAX_CHARS)?;
        let country_text = c.req_text(3, C::BadCountry)?;
        let country = Country::parse(country_text).ok_or_else(|| {
            c.error(3, C::BadCountry, format!("{} is not an ISO 3166-1 alpha-2 code", shown(country_text)))
        })?;
        let created_at = parse_ts(c, 4, c.req_text(4, C::BadTimestamp)?)?;
        let kyc_text = c.req_scalar(5, C::BadKycLevel)?;
        let kyc_level = match kyc_text {
            "0" | "1" | "2" | "3" => KycLevel::new(kyc_text.as_bytes()[0] - b'0'),
            _ => None,
        }
        .ok_or_else(|| c.error(5, C::BadKycLevel, format!("{} is not an integer 0-3", shown(kyc_text))))?;
        // The contract ignores an mcc on a non-merchant rather than rejecting the account.
        let mcc = match (kind, c.text(6, C::BadMcc)?) {
            (AccountKind::Merchant, Some(v)) => Some(
                Mcc::parse(v)
                    .ok_or_else(|| c.error(6, C::BadMcc, format!("{} is not four digits", shown(v))))?,
            ),
            _ => None,
        };
        let website = match c.text(7, C::BadWebsite)? {
            Some(v) => Some(Hostname::parse(v).map_err(|why| {
                c.error(7, C::BadWebsite, format!("{} is not a hostname: {why}", shown(v)))
            })?),
            None => None,
        };
        Ok(Account { account_id, kind, name: name.into(), country, created_at, kyc_level, mcc, website })
    }

    fn write_cells(&self, out: &mut dyn CellSink) {
        let mut tb = [0u8; RFC3339_MICROS_LEN];
        out.text(self.account_id.as_str());
        out.text(self.kind.as_str());
        out.text(&self.name);
        out.text(self.country.as_str());
        out.text(ts_text(self.created_at, &mut tb));
        out.number(match self.kyc_level.get() {
            0 => "0",
            1 => "1",
            2 => "2",
            _ => "3",
        });
        out.opt_text(self.mcc.map(|m| m.to_string()).as_deref());
        out.opt_text(self.website.as_ref().map(Hostname::as_str));
    }
}

impl Record for Transaction {
    const KIND: &'static str = "transactions";
    const FIELDS: &'static [&'static str] =
        &["tx_id", "ts", "payer", "payee", "amount", "currency", "channel", "memo", "device_id"];
    const REQUIRED: &'static [&'static str] =
        &["tx_id", "ts", "payer", "payee", "amount", "currency", "channel"];

    fn from_cells(c: &Cells<'_>) -> Result<Self, FieldError> {
        let id = c.req_text(0, C::BadId)?;
        let tx_id = TxId::parse(id).map_err(|e| id_err(c, 0, id, e))?;
        let ts = parse_ts(c, 1, c.req_text(1, C::BadTimestamp)?)?;
        let payer_text = c.req_text(2, C::BadId)?;
        let payer = Party::parse(payer_text).map_err(|e| id_err(c, 2, payer_text, e))?;
        let payee_text = c.req_text(3, C::BadId)?;
        let payee = Party::parse(payee_text).map_err(|e| id_err(c, 3, payee_text, e))?;
        // The amount's grammar depends on the currency, so the currency is read first.
        let amount_text = c.req_scalar(4, C::BadAmount)?;
        let cur_text = c.req_text(5, C::BadCurrency)?;
        let currency = Currency::parse(cur_text).map_err(|e| c.error(5, C::BadCurrency, e.to_string()))?;
        let amount =
            Money::parse(amount_text, currency).map_err(|e| c.error(4, C::BadAmount, e.to_string()))?;
        let ch = c.req_text(6, C::BadChannel)?;
        let channel = Channel::parse(ch).ok_or_else(|| {
            c.error(
                6,
                C::BadChannel,
                format!("{} is not p2p, red_packet, merchant, top_up or withdrawal", shown(ch)),
            )
        })?;
        let memo = match c.text(7, C::TooLong)? {
            Some(m) => Some(Memo::new(m).map_err(|n| {
                c.error(7, C::TooLong, format!("is {n} characters long, at most {MEMO_MAX_CHARS} allowed"))
            })?),
            None => None,
        };
        let device_id = match c.text(8, C::BadId)? {
            Some(d) => Some(DeviceId::parse(d).map_err(|e| id_err(c, 8, d, e))?),
            None => None,
        };
        check_parties(&payer, &payee).map_err(|e| match e {
            PartiesError::SelfPayment => c.error(3, C::SelfPayment, e.to_string()),
            PartiesError::NoPlatformParty => c.error(3, C::NoPlatformParty, e.to_string()),
        })?;
        Ok(Transaction { tx_id, ts, payer, payee, amount, channel, memo, device_id })
    }

    fn write_cells(&self, out: &mut dyn CellSink) {
        let mut tb = [0u8; RFC3339_MICROS_LEN];
        let mut mb = [0u8; MONEY_TEXT_MAX];
        out.text(self.tx_id.as_str());
        out.text(ts_text(self.ts, &mut tb));
        out.text(self.payer.as_str());
        out.text(self.payee.as_str());
        out.text(self.amount.write_decimal(&mut mb));
        out.text(self.amount.currency().code());
        out.text(self.channel.as_str());
        out.opt_text(self.memo.as_ref().map(Memo::as_str));
        out.opt_text(self.device_id.as_ref().map(DeviceId::as_str));
    }
}

impl Record for ListEntry {
    const KIND: &'static str = "lists";
    const FIELDS: &'static [&'static str] =
        &["list", "kind", "entry", "effective_from", "effective_until", "jurisdictions", "source", "note"];
    const REQUIRED: &'static [&'static str] = &["list", "kind", "entry"];

    fn from_cells(c: &Cells<'_>) -> Result<Self, FieldError> {
        let l = c.req_text(0, C::BadId)?;
        let list = ListName::parse(l).map_err(|e| id_err(c, 0, l, e))?;
        let k = c.req_text(1, C::BadListKind)?;
        let kind = ListKind::parse(k).ok_or_else(|| {
            c.error(1, C::BadListKind, format!("{} is not account_id, name, host or address", shown(k)))
        })?;
        let entry = c.req_text(2, C::TooLong)?;
        check_len(c, 2, entry, ENTRY_MAX_CHARS)?;
        match kind {
            ListKind::AccountId => {
                Party::parse(entry).map_err(|e| id_err(c, 2, entry, e))?;
            }
            ListKind::Host => {
                Hostname::parse(entry).map_err(|why| {
                    c.error(2, C::BadWebsite, format!("{} is not a hostname: {why}", shown(entry)))
                })?;
            }
            ListKind::Name | ListKind::Address => {}
        }
        let time = |i: usize| -> Result<Option<ListTime>, FieldError> {
            match c.text(i, C::BadTimestamp)? {
                Some(v) => {
                    ListTime::parse(v).map(Some).map_err(|e| c.error(i, C::BadTimestamp, e.to_string()))
                }
                None => Ok(None),
            }
        };
        let effective_from = time(3)?;
        let effective_until = time(4)?;
        let ordered = match (effective_from, effective_until) {
            (Some(ListTime::Instant(a)), Some(ListTime::Instant(b))) => a < b,
            (Some(ListTime::Date(a)), Some(ListTime::Date(b))) => a < b,
            _ => true,
        };
        if !ordered {
            return Err(c.error(4, C::BadPeriod, "effective_until is not after effective_from"));
        }
        let mut jurisdictions = Vec::new();
        if let Some(j) = c.text(5, C::BadJurisdiction)? {
            for code in j.split(';') {
                let code = code.trim();
                let country = Country::parse(code).ok_or_else(|| {
                    c.error(
                        5,
                        C::BadJurisdiction,
                        format!("{} is not an ISO 3166-1 alpha-2 code", shown(code)),
                    )
                })?;
                if !jurisdictions.contains(&country) {
                    jurisdictions.push(country);
                }
            }
        }
        Ok(ListEntry {
            list,
            kind,
            entry: entry.into(),
            effective_from,
            effective_until,
            jurisdictions,
            source: c.text(6, C::BadRow)?.map(str::to_string),
            note: c.text(7, C::BadRow)?.map(str::to_string),
        })
    }

    fn write_cells(&self, out: &mut dyn CellSink) {
        out.text(self.list.as_str());
        out.text(self.kind.as_str());
        out.text(&self.entry);
        out.opt_text(self.effective_from.map(|t| t.to_string()).as_deref());
        out.opt_text(self.effective_until.map(|t| t.to_string()).as_deref());
        let j: Vec<&str> = self.jurisdictions.iter().map(Country::as_str).collect();
        out.opt_text(Some(j.join(";")).filter(|s| !s.is_empty()).as_deref());
        out.opt_text(self.source.as_deref());
        out.opt_text(self.note.as_deref());
    }
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct ReasonWire {
    code: String,
    #[serde(default)]
    detail: String,
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct ActionWire {
    kind: String,
    account: String,
    #[serde(default)]
    until: Option<String>,
}

fn reason_code(c: &Cells<'_>, i: usize, s: &str) -> Result<ReasonCode, FieldError> {
    ReasonCode::parse(s).ok_or_else(|| {
        c.error(i, C::BadReasonCode, format!("{} is not a reason code (A-Z, 0-9, _)", shown(s)))
    })
}

fn score(c: &Cells<'_>, i: usize) -> Result<Score, FieldError> {
    let s = c.req_scalar(i, C::BadScore)?;
    Score::parse(s).ok_or_else(|| {
        c.error(i, C::BadScore, format!("{} is not in 0..1 with at most 4 decimals", shown(s)))
    })
}

impl Record for Decision {
    const KIND: &'static str = "decisions";
    const FIELDS: &'static [&'static str] =
        &["tx_id", "decision", "score", "reasons", "actions", "policy", "lists", "model"];
    const REQUIRED: &'static [&'static str] = &["tx_id", "decision", "score", "reasons", "actions", "policy"];

    fn from_cells(c: &Cells<'_>) -> Result<Self, FieldError> {
        let id = c.req_text(0, C::BadId)?;
        let tx_id = TxId::parse(id).map_err(|e| id_err(c, 0, id, e))?;
        let d = c.req_text(1, C::BadOutcome)?;
        let decision = Outcome::parse(d).ok_or_else(|| {
            c.error(1, C::BadOutcome, format!("{} is not allow, review or block", shown(d)))
        })?;
        let score = score(c, 2)?;
        let reasons_json = c.req_nested(3, C::BadJson)?;
        let wire: Vec<ReasonWire> = serde_json::from_str(reasons_json)
            .map_err(|e| c.error(3, C::BadJson, format!("expected [{{\"code\", \"detail\"}}]: {e}")))?;
        let reasons = wire
            .into_iter()
            .map(|r| Ok(Reason { code: reason_code(c, 3, &r.code)?, detail: r.detail }))
            .collect::<Result<_, FieldError>>()?;
        let actions_json = c.req_nested(4, C::BadJson)?;
        let wire: Vec<ActionWire> = serde_json::from_str(actions_json).map_err(|e| {
            c.error(4, C::BadJson, format!("expected [{{\"kind\", \"account\", \"until\"}}]: {e}"))
        })?;
        let actions = wire
            .into_iter()
            .map(|a| {
                let kind = AccountAction::parse(&a.kind).filter(|k| k.is_restriction()).ok_or_else(|| {
                    c.error(
                        4,
                        C::BadAction,
                        format!(
                            "{} is not suspend_out, suspend_in, freeze or suspend_collection",
                            shown(&a.kind)
                        ),
                    )
                })?;
                let account = AccountId::parse(&a.account).map_err(|e| id_err(c, 4, &a.account, e))?;
                let until = match a.until.as_deref() {
                    Some(u) => Some(parse_ts(c, 4, u)?),
                    None => None,
                };
                Ok(Action { kind, account, until })
            })
            .collect::<Result<_, FieldError>>()?;
        let p = c.req_text(5, C::BadPolicy)?;
        let policy = PolicyRef::parse(p)
            .ok_or_else(|| c.error(5, C::BadPolicy, format!("{} is not <id>@<version>", shown(p))))?;
        // Optional provenance beyond the contract's required fields: the list-store and model
        // versions, so a decision can be reproduced. Readers that do not know them skip them.
        let version = |i: usize| -> Result<Option<compact_str::CompactString>, FieldError> {
            match c.text(i, C::BadPolicy)? {
                None => Ok(None),
                Some(v) if v.chars().count() <= 200 && !v.chars().any(char::is_control) => Ok(Some(v.into())),
                Some(v) => Err(c.error(
                    i,
                    C::BadPolicy,
                    format!("{} is not a version (1-200 printable characters)", shown(v)),
                )),
            }
        };
        let lists = version(6)?;
        let model = version(7)?;
        Ok(Decision { tx_id, decision, score, reasons, actions, policy, lists, model })
    }

    fn write_cells(&self, out: &mut dyn CellSink) {
        out.text(self.tx_id.as_str());
        out.text(self.decision.as_str());
        out.number(&self.score.to_string());
        let reasons: Vec<ReasonWire> = self
            .reasons
            .iter()
            .map(|r| ReasonWire { code: r.code.as_str().to_string(), detail: r.detail.clone() })
            .collect();
        out.json(&serde_json::to_string(&reasons).unwrap_or_else(|_| "[]".into()));
        let actions: Vec<ActionWire> = self
            .actions
            .iter()
            .map(|a| ActionWire {
                kind: a.kind.as_str().to_string(),
                account: a.account.as_str().to_string(),
                until: a.until.map(|t| t.to_string()),
            })
            .collect();
        out.json(&serde_json::to_string(&actions).unwrap_or_else(|_| "[]".into()));
        out.text(self.policy.as_str());
        out.opt_text(self.lists.as_deref());
        out.opt_text(self.model.as_deref());
    }
}

impl Record for Verdict {
    const KIND: &'static str = "verdicts";
    const FIELDS: &'static [&'static str] =
        &["account_id", "score", "action", "reasons", "explanation", "ring", "first_flag_ts"];
    const REQUIRED: &'static [&'static str] = &["account_id", "score", "action"];

    fn from_cells(c: &Cells<'_>) -> Result<Self, FieldError> {
        let id = c.req_text(0, C::BadId)?;
        let account_id = AccountId::parse(id).map_err(|e| id_err(c, 0, id, e))?;
        let score = score(c, 1)?;
        let a = c.req_text(2, C::BadAction)?;
        let action = AccountAction::parse(a).ok_or_else(|| {
            c.error(
                2,
                C::BadAction,
                format!(
                    "{} is not none, review, suspend_out, suspend_in, freeze or suspend_collection",
                    shown(a)
                ),
            )
        })?;
        let reasons = match c.text(3, C::BadReasonCode)? {
            Some(r) => r.split(';').map(|code| reason_code(c, 3, code.trim())).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let explanation = c.text(4, C::BadRow)?.unwrap_or("").to_string();
        let ring = match c.text(5, C::BadId)? {
            Some(r) => Some(RingId::parse(r).map_err(|e| id_err(c, 5, r, e))?),
            None => None,
        };
        let first_flag_ts = match c.text(6, C::BadTimestamp)? {
            Some(t) => Some(parse_ts(c, 6, t)?),
            None => None,
        };
        Ok(Verdict { account_id, score, action, reasons, explanation, ring, first_flag_ts })
    }

    fn write_cells(&self, out: &mut dyn CellSink) {
        out.text(self.account_id.as_str());
        out.number(&self.score.to_string());
        out.text(self.action.as_str());
        let codes: Vec<&str> = self.reasons.iter().map(ReasonCode::as_str).collect();
        out.opt_text(Some(codes.join(";")).filter(|s| !s.is_empty()).as_deref());
        out.opt_text(Some(self.explanation.as_str()).filter(|s| !s.is_empty()));
        out.opt_text(self.ring.as_ref().map(RingId::as_str));
        out.opt_text(self.first_flag_ts.map(|t| t.to_string()).as_deref());
    }
}

impl Record for AccountLabel {
    const KIND: &'static str = "labels_accounts";
    const FIELDS: &'static [&'static str] = &["account_id", "role"];
    const REQUIRED: &'static [&'static str] = &["account_id", "role"];

    fn from_cells(c: &Cells<'_>) -> Result<Self, FieldError> {
        let id = c.req_text(0, C::BadId)?;
        let account_id = AccountId::parse(id).map_err(|e| id_err(c, 0, id, e))?;
        let r = c.req_text(1, C::BadRole)?;
        let role = Role::parse(r)
            .ok_or_else(|| c.error(1, C::BadRole, format!("{} is not a role of the contract", shown(r))))?;
        Ok(AccountLabel { account_id, role })
    }

    fn write_cells(&self, out: &mut dyn CellSink) {
        out.text(self.account_id.as_str());
        out.text(self.role.as_str());
    }
}

impl Record for TxLabel {
    const KIND: &'static str = "labels_transactions";
    const FIELDS: &'static [&'static str] = &["tx_id", "crypto_related"];
    const REQUIRED: &'static [&'static str] = &["tx_id", "crypto_related"];

    fn from_cells(c: &Cells<'_>) -> Result<Self, FieldError> {
        let id = c.req_text(0, C::BadId)?;
        let tx_id = TxId::parse(id).map_err(|e| id_err(c, 0, id, e))?;
        let crypto_related = c.req_flag(1, C::BadFlag)?;
        Ok(TxLabel { tx_id, crypto_related })
    }

    fn write_cells(&self, out: &mut dyn CellSink) {
        out.text(self.tx_id.as_str());
        out.number(if self.crypto_related { "1" } else { "0" });
    }
}
