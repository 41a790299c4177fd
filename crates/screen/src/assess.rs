//! When a name hit on an account is an alert: the re-screening policy.
//!
//! A name alone does not identify a person: `张伟` is the name of hundreds of thousands of
//! people, one of whom is on the SDN list. Screening systems therefore alert on a person's
//! name only with a secondary identifier that agrees, and keep the other hits as "weak,
//! needs secondary data" for an analyst who has them. Sluice's accounts carry a kind and a
//! country (no date of birth), so:
//!
//! | account | listed party | alert when | otherwise |
//! |---|---|---|---|
//! | merchant, enterprise | entity, individual, unknown | the score reaches the threshold | — |
//! | personal | individual, unknown | the whole name matches strongly **and** the account's country is one of the party's (or the party has none) | weak |
//! | personal | entity | never: a person's account is not a company | weak |
//! | any | vessel, aircraft | never: a ship or an aircraft holds no account | weak |
//!
//! "The whole name matches strongly": every token of both names is aligned, each at a
//! similarity of at least [`STRONG_TOKEN`] (exact, pinyin of the same characters, phonetic
//! or abjad spelling variants, a typo in a long word; not an initial or a weak
//! resemblance), and a name in Chinese characters met the listed name in the same
//! characters — pinyin has no tones, so `刘洋`, `刘阳` and `柳杨` are all `Liu Yang`, and a
//! listed name known only in Latin letters cannot tell them apart.

use crate::party::PartyKind;
use crate::score::PairScore;
use crate::screener::Hit;
use sluice_core::AccountKind;

/// The lowest similarity of an aligned token pair in a strong whole-name match.
pub const STRONG_TOKEN: f64 = 0.86;

/// What a hit on an account amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// An alert (else a weak hit that needs secondary data).
    pub alert: bool,
    /// Why, in words.
    pub why: String,
}

impl Assessment {
    fn alert(why: impl Into<String>) -> Assessment {
        Assessment { alert: true, why: why.into() }
    }

    fn weak(why: impl Into<String>) -> Assessment {
        Assessment { alert: false, why: why.into() }
    }

    /// `alert` or `weak`.
    pub fn status(&self) -> &'static str {
        if self.alert { "alert" } else { "weak" }
    }
}

/// Why a match is not a strong whole-name match (`None`: it is one).
pub fn not_strong(why: &PairScore) -> Option<String> {
    if !why.unmatched_query.is_empty() || !why.unmatched_entry.is_empty() {
        return Some(String::from("only part of the name matches"));
    }
    if why.han_by_sound {
        return Some(String::from(
            "a Chinese name matched by sound only (the listed name has no Chinese-script form)",
        ));
    }
    if let Some(m) = why.matched.iter().find(|m| m.sim < STRONG_TOKEN) {
        return Some(format!("`{}` only resembles `{}` ({})", m.query, m.entry, m.how.as_str()));
    }
    None
}

/// Whether `hit` on an account of `kind` in `country` (alpha-2) is an alert. The caller has
/// already kept only hits at or above its threshold.
pub fn assess(kind: AccountKind, country: &str, hit: &Hit) -> Assessment {
    let party = &hit.party;
    match (kind, party.kind) {
        (_, PartyKind::Vessel) => Assessment::weak("the listed party is a vessel, which holds no account"),
        (_, PartyKind::Aircraft) => {
            Assessment::weak("the listed party is an aircraft, which holds no account")
        }
        (AccountKind::Merchant | AccountKind::Enterprise, _) => {
            Assessment::alert(format!("{} name matches a listed {}", kind.as_str(), party.kind.as_str()))
        }
        (AccountKind::Personal, PartyKind::Entity) => {
            Assessment::weak("a personal account against a listed entity")
        }
        (AccountKind::Personal, PartyKind::Individual | PartyKind::Unknown) => {
            if let Some(why) = not_strong(&hit.why) {
                return Assessment::weak(format!("{why}; needs secondary data"));
            }
            if party.countries.is_empty() {
                return Assessment::alert("whole name matches strongly; the listed party has no country");
            }
            if party.countries.iter().any(|c| c == country) {
                Assessment::alert(format!("whole name matches strongly and the country {country} agrees"))
            } else {
                Assessment::weak(format!(
                    "country {country} is none of the listed party's ({}); needs secondary data",
                    party.countries.join(",")
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::party::PartyInfo;
    use crate::score::score_names;
    use compact_str::CompactString;

    fn hit(query: &str, entry: &str, kind: PartyKind, countries: &[&str]) -> Hit {
        let mut info = PartyInfo::new(kind);
        countries.iter().for_each(|c| info.add_country(c));
        Hit {
            list: "sanctions".into(),
            id: "OFAC-1".into(),
            entry: CompactString::new(entry),
            alias: CompactString::new(entry),
            source: "test".into(),
            party: info,
            why: score_names(query, entry),
        }
    }

    fn check(
        kind: AccountKind,
        country: &str,
        query: &str,
        entry: &str,
        party: PartyKind,
        cs: &[&str],
    ) -> String {
        let a = assess(kind, country, &hit(query, entry, party, cs));
        format!("{}: {}", a.status(), a.why)
    }

    #[test]
    fn the_policy_table() {
        use AccountKind::{Enterprise, Merchant, Personal};
        use PartyKind::{Aircraft, Entity, Individual, Unknown, Vessel};
        let cases = [
            // A bare common name in the same characters, from the wrong country: weak.
            (Personal, "CN", "张伟", "张 伟", Individual, &["KP"][..]),
            // Same characters, same country: alert.
            (Personal, "CN", "张伟", "张 伟", Individual, &["CN", "HK"][..]),
            // Same sound only (no Chinese-script alias): weak even with the country.
            (Personal, "CN", "刘洋", "Yang Liu", Individual, &["CN"][..]),
            // Part of the name only.
            (Personal, "CN", "Wang Chao", "Wang Chao Ming", Individual, &["CN"][..]),
            // A Latin name spelt another way, no country on the list: alert.
            (Personal, "GB", "Mohamed Ali", "محمد علي", Individual, &[][..]),
            (Personal, "CN", "Garantex", "Garantex", Entity, &["RU"][..]),
            (Personal, "CN", "Ocean Star", "Ocean Star", Vessel, &[][..]),
            (Merchant, "CN", "Ocean Star", "Ocean Star", Aircraft, &[][..]),
            (Merchant, "CN", "Garantex Europe", "Garantex Europe", Entity, &["EE"][..]),
            (Enterprise, "CN", "Sun Wei", "Sun Wei", Individual, &["CN"][..]),
            (Personal, "CN", "Binance", "Binance", Unknown, &[][..]),
        ];
        let got: Vec<String> = cases.iter().map(|(k, c, q, e, p, cs)| check(*k, c, q, e, *p, cs)).collect();
        assert_eq!(
            got,
            [
                "weak: country CN is none of the listed party's (KP); needs secondary data",
                "alert: whole name matches strongly and the country CN agrees",
                "weak: a Chinese name matched by sound only (the listed name has no Chinese-script form); needs secondary data",
                "weak: only part of the name matches; needs secondary data",
                "alert: whole name matches strongly; the listed party has no country",
                "weak: a personal account against a listed entity",
                "weak: the listed party is a vessel, which holds no account",
                "weak: the listed party is an aircraft, which holds no account",
                "alert: merchant name matches a listed entity",
                "alert: enterprise name matches a listed individual",
                "alert: whole name matches strongly; the listed party has no country",
            ]
        );
    }
}
