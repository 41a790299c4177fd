//! The screener: every list's index, one version, and the per-name cache the inline path
//! uses ([`NameScreener::best`]).

use crate::index::{ListIndex, NameForm, Party};
use crate::party::PartyInfo;
use crate::score::{PName, PairScore};
use compact_str::CompactString;
use hashbrown::HashMap;
use sluice_core::{ListEntry, ListKind};
use std::sync::Mutex;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// One shard of the score cache: (list, name) → best score.
type CacheShard = FastMap<(u16, Box<str>), f32>;

/// What the engine's policies call (`screen(payee.name, "sanctions") > 0.92`): the same
/// signature as the engine's `sluice_engine::policy::facts::NameScreener`, which
/// [`Screener`] also implements when the `engine` feature is on (the CLI turns it on); kept
/// here too so this crate builds and tests without the engine.
pub trait NameScreener: Send + Sync {
    /// The best score in 0..1 of `name` against the `name` entries of `list` (0 when the
    /// list is unknown or nothing is alike).
    fn best(&self, name: &str, list: &str) -> f64;
}

#[cfg(feature = "engine")]
impl sluice_engine::policy::facts::NameScreener for Screener {
    fn best(&self, name: &str, list: &str) -> f64 {
        self.best_cached(name, list)
    }
    /// Accounts' names go through the alert policy of [`crate::assess`]: a personal account
    /// named like a sanctioned person scores only on a strong whole-name match in one of the
    /// person's countries. The engine caches the result per account and list.
    fn best_for_account(
        &self,
        name: &str,
        list: &str,
        kind: sluice_core::AccountKind,
        country: sluice_core::Country,
    ) -> f64 {
        self.best_alerting(name, list, kind, country.as_str())
    }
}

/// One match of a screened name.
#[derive(Clone, Debug)]
pub struct Hit {
    /// The list.
    pub list: CompactString,
    /// The listed party's id.
    pub id: CompactString,
    /// The listed party's main name.
    pub entry: CompactString,
    /// The alias that matched, as written.
    pub alias: CompactString,
    /// Where the entry comes from.
    pub source: CompactString,
    /// The listed party's type and secondary identifiers (countries, dates of birth).
    pub party: PartyInfo,
    /// Score and the tokens that matched.
    pub why: PairScore,
}

impl Hit {
    /// 0..1.
    pub fn score(&self) -> f64 {
        self.why.score
    }

    /// The matched tokens in words: `garantex=garantex (exact), europe=europe (exact)`.
    pub fn explain(&self) -> String {
        let mut parts: Vec<String> = self
            .why
            .matched
            .iter()
            .map(|m| format!("{}={} ({})", m.query, m.entry, m.how.as_str()))
            .collect();
        if !self.why.unmatched_query.is_empty() {
            parts.push(format!("only in name: {}", self.why.unmatched_query.join(" ")));
        }
        if !self.why.unmatched_entry.is_empty() {
            parts.push(format!("only in entry: {}", self.why.unmatched_entry.join(" ")));
        }
        parts.join(", ")
    }
}

/// Entries of the cache before it is emptied (a bound on memory, not a tuning knob: the
/// names a platform screens inline are its accounts' names, seen again and again).
const CACHE_CAPACITY: usize = 1 << 20;
const SHARDS: usize = 16;

/// Every list's screening index under one version.
pub struct Screener {
    version: String,
    lists: Vec<(CompactString, ListIndex)>,
    cache: Vec<Mutex<CacheShard>>,
}

impl std::fmt::Debug for Screener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screener").field("version", &self.version).field("lists", &self.lists.len()).finish()
    }
}

/// The party id a list entry's note names (`party=OFAC-36; …`), if any.
pub fn party_of(e: &ListEntry) -> Option<&str> {
    let note = e.note.as_deref()?;
    let rest = note.strip_prefix("party=")?;
    Some(rest.split(';').next().unwrap_or(rest).trim())
}

impl Screener {
    /// An empty screener.
    pub fn empty() -> Screener {
        Screener::from_lists(String::from("empty"), Vec::new())
    }

    /// Builds from ready list indexes.
    pub fn from_lists(version: String, lists: Vec<(CompactString, ListIndex)>) -> Screener {
        Screener { version, lists, cache: (0..SHARDS).map(|_| Mutex::new(FastMap::default())).collect() }
    }

    /// Builds from list entries: every `name` entry is a name; entries whose note names the
    /// same `party=` are one party (the first is its main name).
    pub fn from_entries(entries: &[ListEntry], version: &str) -> Screener {
        let mut by_list: Vec<(CompactString, Vec<&ListEntry>)> = Vec::new();
        for e in entries.iter().filter(|e| e.kind == ListKind::Name) {
            match by_list.iter_mut().find(|(l, _)| l.as_str() == e.list.as_str()) {
                Some((_, v)) => v.push(e),
                None => by_list.push((CompactString::new(e.list.as_str()), vec![e])),
            }
        }
        let lists = by_list
            .into_iter()
            .map(|(name, es)| {
                let mut parties: Vec<Party> = Vec::new();
                let mut party_ix: FastMap<&str, u32> = FastMap::default();
                let mut aliases: Vec<(u32, CompactString)> = Vec::new();
                let mut forms: Vec<NameForm> = Vec::new();
                for e in es {
                    let id = party_of(e).unwrap_or(e.entry.as_str());
                    let n = parties.len() as u32;
                    let p = *party_ix.entry(id).or_insert(n);
                    let info = e.note.as_deref().map(PartyInfo::parse_note).unwrap_or_default();
                    if p == n {
                        parties.push(Party {
                            id: CompactString::new(id),
                            name: e.entry.clone(),
                            source: CompactString::new(e.source.as_deref().unwrap_or("")),
                            info,
                        });
                    } else if let Some(party) = parties.get_mut(p as usize) {
                        party.info.merge(&info);
                    }
                    let a = aliases.len() as u32;
                    aliases.push((p, e.entry.clone()));
                    for form in PName::all(&e.entry) {
                        forms.push(NameForm { party: p, alias: a, form });
                    }
                }
                (name, ListIndex::build(parties, aliases, forms))
            })
            .collect();
        Screener::from_lists(version.to_string(), lists)
    }

    /// The version (of the lists it was built from).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The lists, with their indexes.
    pub fn lists(&self) -> &[(CompactString, ListIndex)] {
        &self.lists
    }

    fn list_id(&self, list: &str) -> Option<usize> {
        self.lists.iter().position(|(n, _)| n.as_str() == list)
    }

    /// The best `limit` matches of `name` in `list` (every list when `None`), best first.
    pub fn screen(&self, name: &str, list: Option<&str>, limit: usize) -> Vec<Hit> {
        let query = PName::all(name);
        let mut hits: Vec<Hit> = Vec::new();
        for (lname, ix) in &self.lists {
            if list.is_some_and(|l| l != lname.as_str()) {
                continue;
            }
            for h in ix.search(&query, limit) {
                if let Some((p, alias)) = ix.describe(h.form) {
                    hits.push(Hit {
                        list: lname.clone(),
                        id: p.id.clone(),
                        entry: p.name.clone(),
                        alias: CompactString::new(alias),
                        source: p.source.clone(),
                        party: p.info.clone(),
                        why: h.score,
                    });
                }
            }
        }
        hits.sort_by(|a, b| b.score().total_cmp(&a.score()));
        hits.truncate(limit);
        hits
    }

    /// The best score of `name` in `list`, uncached.
    pub fn best_uncached(&self, name: &str, list: &str) -> f64 {
        let Some(i) = self.list_id(list) else { return 0.0 };
        let Some((_, ix)) = self.lists.get(i) else { return 0.0 };
        ix.best_score(&PName::all(name))
    }
}

impl NameScreener for Screener {
    fn best(&self, name: &str, list: &str) -> f64 {
        self.best_cached(name, list)
    }
}

impl Screener {
    /// The best score of `name` in `list` among the hits that are alerts for an account of
    /// `kind` in `country` ([`crate::assess`]): what a policy should compare with its
    /// threshold, so that a personal account named `张伟` is not blocked for a namesake.
    /// Uncached (it builds explanations); the engine's hook calls [`best_cached`](Self::best_cached).
    pub fn best_alerting(
        &self,
        name: &str,
        list: &str,
        kind: sluice_core::AccountKind,
        country: &str,
    ) -> f64 {
        self.screen(name, Some(list), 10)
            .iter()
            .filter(|h| crate::assess::assess(kind, country, h).alert)
            .map(Hit::score)
            .fold(0.0, f64::max)
    }

    /// The best score of `name` in `list`, cached per (list, name): a screener is one list
    /// version, so the inline path pays for a name once; a new version is a new screener
    /// with an empty cache.
    pub fn best_cached(&self, name: &str, list: &str) -> f64 {
        let Some(l) = self.list_id(list) else { return 0.0 };
        let key = (l as u16, Box::<str>::from(name));
        let shard = (xxhash_rust::xxh3::xxh3_64(name.as_bytes()) as usize) % SHARDS;
        if let Some(m) = self.cache.get(shard)
            && let Ok(c) = m.lock()
            && let Some(&s) = c.get(&key)
        {
            return f64::from(s);
        }
        let s = self.best_uncached(name, list);
        if let Some(m) = self.cache.get(shard)
            && let Ok(mut c) = m.lock()
        {
            if c.len() >= CACHE_CAPACITY / SHARDS {
                c.clear();
            }
            c.insert(key, s as f32);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::ListName;

    fn entry(list: &str, name: &str, party: Option<&str>) -> ListEntry {
        ListEntry {
            list: ListName::parse(list).unwrap_or_else(|_| unreachable!()),
            kind: ListKind::Name,
            entry: CompactString::new(name),
            effective_from: None,
            effective_until: None,
            jurisdictions: Vec::new(),
            source: Some("test".into()),
            note: party.map(|p| format!("party={p}")),
        }
    }

    #[test]
    fn finds_aliases_and_groups_parties() {
        let es = vec![
            entry("exchanges", "Binance", Some("binance")),
            entry("exchanges", "币安", Some("binance")),
            entry("exchanges", "Huobi", Some("huobi")),
            entry("exchanges", "HTX", Some("huobi")),
            entry("sanctions", "GARANTEX EUROPE OU", Some("OFAC-1")),
        ];
        let s = Screener::from_entries(&es, "v1");
        let h = s.screen("Bi An", Some("exchanges"), 3);
        assert_eq!(h[0].entry, "Binance");
        assert_eq!(h[0].alias, "币安");
        assert!(s.best("HTX", "exchanges") > 0.99);
        assert!(s.best("HTX", "sanctions") < 0.01);
        assert!(s.best("Garantex Europe OÜ", "sanctions") > 0.99);
        // Cached: same answer.
        assert!(s.best("Garantex Europe OÜ", "sanctions") > 0.99);
        assert_eq!(s.best("anything", "nope"), 0.0);
    }

    #[test]
    fn alerting_score_applies_the_policy() {
        let mut es = vec![
            entry("sanctions", "Zhang Wei", Some("OFAC-1")),
            entry("sanctions", "张 伟", Some("OFAC-1")),
        ];
        es[0].note = Some("party=OFAC-1; primary; type=individual; countries=CN".into());
        let s = Screener::from_entries(&es, "v1");
        use sluice_core::AccountKind::{Merchant, Personal};
        assert!(s.best("张伟", "sanctions") > 0.99);
        assert!(s.best_alerting("张伟", "sanctions", Personal, "CN") > 0.99);
        assert_eq!(s.best_alerting("张伟", "sanctions", Personal, "JP"), 0.0);
        // By sound only: never an alert for a person.
        assert_eq!(s.best_alerting("张维", "sanctions", Personal, "CN"), 0.0);
        assert!(s.best_alerting("张伟", "sanctions", Merchant, "JP") > 0.99);
    }
}
