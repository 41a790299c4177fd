//! What a rule can see about one payment: the [`Facts`] the engine assembles once per
//! payment and every compiled condition reads. Plain structs, no maps: a condition's field
//! access is a function pointer into them, resolved when the policy is compiled.

use crate::lexicon::{Category, Hit};
use crate::lists::{ListId, ListStore, MemoRefs};
use sluice_core::{Account, AccountAction, Country, Transaction};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU16, Ordering};

/// The lexicon's categories in a fixed order, for per-category counters.
pub const CATEGORIES: [Category; 5] =
    [Category::Coin, Category::Otc, Category::Exchange, Category::Mining, Category::Project];

/// The index of a category in [`CATEGORIES`].
pub fn category_index(c: Category) -> usize {
    match c {
        Category::Coin => 0,
        Category::Otc => 1,
        Category::Exchange => 2,
        Category::Mining => 3,
        Category::Project => 4,
    }
}

/// Fuzzy screening of a name against the `name` entries of a list: the hook the screening
/// crate fills. The score is in 0..=1 (1 = the same name).
pub trait NameScreener: Send + Sync {
    /// The best score of `name` against any `name` entry of `list`.
    fn best(&self, name: &str, list: &str) -> f64;

    /// The best score among the matches that would be alerts for an account of `kind` in
    /// `country` (a screener that knows what a listed party is — person, company, vessel —
    /// and its countries can refuse a bare namesake); by default the same as [`best`](Self::best).
    fn best_for_account(
        &self,
        name: &str,
        list: &str,
        kind: sluice_core::AccountKind,
        country: Country,
    ) -> f64 {
        let _ = (kind, country);
        self.best(name, list)
    }
}

/// The screener used when none is configured: 1.0 when the name equals an entry after
/// case folding and whitespace collapsing, else 0.0. Honest about what it is: no fuzziness
/// (the screening crate provides that). The folded names are indexed once.
pub struct ExactNames {
    names: hashbrown::HashMap<String, hashbrown::HashSet<String>>,
}

impl ExactNames {
    /// Indexes the `name` entries of every list in `lists`.
    pub fn new(lists: &ListStore) -> Self {
        let mut names: hashbrown::HashMap<String, hashbrown::HashSet<String>> = hashbrown::HashMap::new();
        for list in lists.list_names() {
            if let Some(id) = lists.list(list) {
                let set = lists.names(id).map(|e| fold(&e.entry)).collect();
                names.insert(list.to_string(), set);
            }
        }
        ExactNames { names }
    }
}

impl NameScreener for ExactNames {
    fn best(&self, name: &str, list: &str) -> f64 {
        match self.names.get(list) {
            Some(set) if !set.is_empty() && set.contains(&fold(name)) => 1.0,
            _ => 0.0,
        }
    }
}

/// Several screeners as one: the best score of any. The engine keeps [`ExactNames`] over its
/// own list store under a fuzzy screener whose index may not cover every list.
pub struct BestOf(pub Vec<std::sync::Arc<dyn NameScreener>>);

impl NameScreener for BestOf {
    fn best(&self, name: &str, list: &str) -> f64 {
        self.0.iter().map(|s| s.best(name, list)).fold(0.0, f64::max)
    }
    fn best_for_account(
        &self,
        name: &str,
        list: &str,
        kind: sluice_core::AccountKind,
        country: Country,
    ) -> f64 {
        self.0.iter().map(|s| s.best_for_account(name, list, kind, country)).fold(0.0, f64::max)
    }
}

fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(w.chars().flat_map(char::to_lowercase));
    }
    out
}

use crate::features::Flow;
pub use crate::features::PartyFeatures;

const NO_FLOW: Flow = Flow { count: 0, sum_minor: 0, round: 0, pegged: 0, night: 0, new_counterparty: 0 };

/// The features of a party with no state (an outside party): all zero, as `default()`.
pub static NO_FEATURES: PartyFeatures = PartyFeatures {
    h1: [NO_FLOW; 2],
    h24: [NO_FLOW; 2],
    d7: [NO_FLOW; 2],
    distinct_h24: [0; 2],
    distinct_d7: [0; 2],
    pass_through_h1_minor: 0,
    pass_through_h24_minor: 0,
    pass_through_d7_minor: 0,
    age_micros: None,
    devices: 0,
    counterparties: 0,
};

/// One side of the payment.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The id as written (`ext:` ids included).
    pub id: &'a str,
    /// The account's dense index (`None` for outside parties).
    pub idx: Option<u32>,
    /// The platform account, `None` for an outside party.
    pub account: Option<&'a Account>,
    /// Behaviour features (zero for outside parties: [`NO_FEATURES`]). Borrowed:
    /// they are a few hundred bytes, and a payment's facts are built for every decision.
    pub features: &'a PartyFeatures,
    /// The restriction in force on the account at the payment's time (`None` if free).
    pub restriction: AccountAction,
}

impl Side<'_> {
    /// The account's country, if a platform account.
    pub fn country(&self) -> Option<Country> {
        self.account.map(|a| a.country)
    }
}

/// Facts about the payment itself from the feature store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaymentFacts {
    /// The amount is a multiple of the round unit (¥100).
    pub round: bool,
    /// The amount looks like a coin quantity × a USDT/CNY rate.
    pub pegged: bool,
    /// Distinct payer accounts seen on the payment's device, this one included.
    pub accounts_on_device: u32,
}

/// The payment's time in the platform's zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalTime {
    /// Hour of day, 0-23.
    pub hour: u8,
    /// ISO weekday, 1 = Monday .. 7 = Sunday.
    pub weekday: u8,
    /// `YYYY-MM-DD`.
    pub date: [u8; 10],
}

impl LocalTime {
    /// Night is 00:00-06:00 local.
    pub fn night(&self) -> bool {
        self.hour < 6
    }
    /// The date as text.
    pub fn date_str(&self) -> &str {
        std::str::from_utf8(&self.date).unwrap_or("0000-00-00")
    }
}

/// What the memo holds: lexicon hits and the addresses and hosts in it.
#[derive(Debug, Default)]
pub struct MemoFacts<'a> {
    /// Lexicon hits, in memo order.
    pub hits: Vec<Hit<'static>>,
    /// Hits per category ([`CATEGORIES`] order).
    pub per_category: [u16; 5],
    /// Strong hits per category.
    pub strong_per_category: [u16; 5],
    /// Wallet addresses and hosts.
    pub refs: MemoRefs<'a>,
}

impl MemoFacts<'_> {
    /// No lexicon hit, wallet address or host: every memo fact a condition can read is 0 or
    /// false ([`Quiet::MEMO`](super::expr::Quiet::MEMO)).
    #[inline]
    pub fn is_quiet(&self) -> bool {
        self.hits.is_empty() && self.refs.addresses.is_empty() && self.refs.hosts.is_empty()
    }

    /// Recounts `per_category` from `hits`.
    pub fn count(&mut self) {
        self.per_category = [0; 5];
        self.strong_per_category = [0; 5];
        for h in &self.hits {
            let i = category_index(h.category);
            self.per_category[i] = self.per_category[i].saturating_add(1);
            if h.weight == crate::lexicon::Weight::Strong {
                self.strong_per_category[i] = self.strong_per_category[i].saturating_add(1);
            }
        }
    }
}

/// Everything a condition reads about one payment.
pub struct Facts<'a> {
    /// The payment.
    pub tx: &'a Transaction,
    /// Who pays.
    pub payer: Side<'a>,
    /// Who is paid.
    pub payee: Side<'a>,
    /// Its local time.
    pub local: LocalTime,
    /// Its memo.
    pub memo: &'a MemoFacts<'a>,
    /// The list store in force.
    pub lists: &'a ListStore,
    /// What the feature store saw of the payment itself (amount class, night, device).
    pub observed: PaymentFacts,
    /// Name screening.
    pub screener: &'a dyn NameScreener,
    /// Screening results of accounts' names, per (account, list): names do not change
    /// between payments, so an account's name is screened once per list store, not once
    /// per payment. Interior mutability because conditions read `&Facts`; the engine is
    /// single-threaded per stream.
    pub screen_cache: &'a ScreenCache,
}

/// Screening results per (account, list): two bits per pair in a dense array (0 = not
/// screened yet, 1 = no match, 2 = a match whose exact score is in a side map, since matches
/// are rare). One array read per `screen()` on the inline path after the first payment.
///
/// Shared by the threads that evaluate rules in parallel (`crate::decide::lanes`): a slot only ever
/// goes from 0 to its one value (screening is a pure function of the name and the list), so
/// two threads that screen the same account at once store the same bits, and a match's score
/// is in the map before its slot says 2.
///
/// It also keeps, per account, the lists that hold an entry for its id or website
/// ([`ListStore::lists_of_account`]), found on the account's first `listed()`: most
/// accounts are on no list, and a clear bit answers `listed()` without hashing the id or
/// normalising the website.
#[derive(Debug, Default)]
pub struct ScreenCache {
    lists: usize,
    /// Four pairs per byte, pair `k` in bits `2 (k mod 4)`.
    state: Vec<AtomicU8>,
    scores: Mutex<hashbrown::HashMap<(u32, u16), f32, foldhash::fast::FixedState>>,
    /// Per account: bit 15 set once known; bits 0–14 the lists of index 0–14 that hold an
    /// entry for it (lists beyond are always looked up).
    marks: Vec<AtomicU16>,
}

impl ScreenCache {
    /// A cache for `accounts` accounts and `lists` lists.
    pub fn new(accounts: usize, lists: usize) -> Self {
        let state =
            std::iter::repeat_with(|| AtomicU8::new(0)).take((accounts * lists).div_ceil(4)).collect();
        let marks = std::iter::repeat_with(|| AtomicU16::new(0)).take(accounts).collect();
        ScreenCache { lists, state, scores: Mutex::default(), marks }
    }
    /// Heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.state.capacity()
            + self.scores.lock().map_or(0, |m| m.capacity() * 13)
            + self.marks.capacity() * std::mem::size_of::<AtomicU16>()
    }
    /// Whether account `idx` may be on `list` (false: it certainly is not), learning the
    /// account's lists with `lists_of` the first time. Like the screening slots, a mark is
    /// written once with the one value it can have.
    fn may_be_listed(&self, idx: u32, list: ListId, lists_of: impl FnOnce() -> u32) -> bool {
        const KNOWN: u16 = 1 << 15;
        let l = list.index();
        let Some(m) = self.marks.get(idx as usize).filter(|_| l < 15) else { return true };
        let mut v = m.load(Ordering::Relaxed);
        if v & KNOWN == 0 {
            v = KNOWN | (lists_of() & 0x7fff) as u16;
            m.store(v, Ordering::Relaxed);
        }
        v & (1 << l) != 0
    }
    /// Whether account `idx` is known to be on no list at all, by id or website (its marks
    /// are learned and empty): then every `listed()` of it is false. False when not yet
    /// known: the full evaluation learns it.
    pub(crate) fn unlisted(&self, idx: u32) -> bool {
        const KNOWN: u16 = 1 << 15;
        self.marks.get(idx as usize).is_some_and(|m| m.load(Ordering::Relaxed) == KNOWN)
    }

    /// Starts loading account `idx`'s slots and list marks (see `Engine::prefetch_prepared`).
    pub(crate) fn prefetch(&self, idx: u32) {
        if let Some(b) = self.state.get(idx as usize * self.lists / 4) {
            crate::features::prefetch_line(b);
        }
        if let Some(m) = self.marks.get(idx as usize) {
            crate::features::prefetch_line(m);
        }
    }
    fn get(&self, slot: usize) -> u8 {
        self.state.get(slot / 4).map_or(0, |b| (b.load(Ordering::Acquire) >> (2 * (slot % 4))) & 3)
    }
    /// Sets an unset slot (see the type's doc: slots are written once).
    fn set(&self, slot: usize, v: u8) {
        if let Some(b) = self.state.get(slot / 4) {
            b.fetch_or((v & 3) << (2 * (slot % 4)), Ordering::Release);
        }
    }
    fn score(&self, idx: u32, list: ListId) -> f64 {
        self.scores.lock().ok().and_then(|m| m.get(&(idx, list.index())).copied()).map_or(0.0, f64::from)
    }
    fn slot(&self, idx: u32, list: ListId) -> Option<usize> {
        let l = usize::from(list.index());
        (l < self.lists).then(|| idx as usize * self.lists + l)
    }
}

/// Which side of the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The payer.
    Payer,
    /// The payee.
    Payee,
}

impl Role {
    /// `payer` or `payee`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Payer => "payer",
            Role::Payee => "payee",
        }
    }
}

impl<'a> Facts<'a> {
    /// The screening score of side `r`'s account name against `list` (0 for outside
    /// parties), through the cache.
    pub fn screen_side(&self, r: Role, list: ListId, name: &str) -> f64 {
        let s = self.side(r);
        let (Some(idx), Some(acct)) = (s.idx, s.account) else { return 0.0 };
        let slot = self.screen_cache.slot(idx, list);
        let screen = || self.screener.best_for_account(&acct.name, name, acct.kind, acct.country);
        let Some(slot) = slot else { return screen() };
        match self.screen_cache.get(slot) {
            1 => 0.0,
            2 => self.screen_cache.score(idx, list),
            _ => {
                let score = screen() as f32;
                if score > 0.0 {
                    if let Ok(mut m) = self.screen_cache.scores.lock() {
                        m.insert((idx, list.index()), score);
                    }
                    self.screen_cache.set(slot, 2);
                } else {
                    self.screen_cache.set(slot, 1);
                }
                f64::from(score)
            }
        }
    }

    /// One side.
    pub fn side(&self, r: Role) -> &Side<'a> {
        match r {
            Role::Payer => &self.payer,
            Role::Payee => &self.payee,
        }
    }

    /// The country whose jurisdiction decides whether a list entry applies when `r` is the
    /// side checked against the list: the *other* side's (a payer in CN may not pay a
    /// company banned in CN; a payee in CN may not take money from a blocked payer), or the
    /// side's own when the other side is outside the platform.
    pub fn jurisdiction(&self, r: Role) -> Option<Country> {
        let other = match r {
            Role::Payer => &self.payee,
            Role::Payee => &self.payer,
        };
        other.country().or_else(|| self.side(r).country())
    }

    /// The list entry that puts side `r` on `list`: its account id, or (for merchants) its
    /// website host. Returns the entry's text and source for the reasons.
    pub fn side_listed(&self, r: Role, list: ListId) -> Option<&'a sluice_core::ListEntry> {
        let s = self.side(r);
        if let (Some(idx), Some(acct)) = (s.idx, s.account) {
            let website = || acct.website.as_ref().map(|w| w.as_str());
            if !self.screen_cache.may_be_listed(idx, list, || self.lists.lists_of_account(s.id, website())) {
                return None;
            }
        }
        let at = self.tx.ts;
        let country = self.jurisdiction(r)?;
        if let Some(e) = self.lists.account(list, s.id, at, country) {
            return Some(e);
        }
        let site = s.account?.website.as_ref()?;
        self.lists.host(list, site.as_str(), at, country)
    }

    /// The list entry matching a wallet address or host in the memo.
    pub fn memo_listed(&self, list: ListId) -> Option<&'a sluice_core::ListEntry> {
        // Most memos name no address or host: answer before reading the accounts' countries.
        if self.memo.refs.addresses.is_empty() && self.memo.refs.hosts.is_empty() {
            return None;
        }
        let country = self.jurisdiction(Role::Payee)?;
        let at = self.tx.ts;
        for (_, a) in &self.memo.refs.addresses {
            if let Some(e) = self.lists.address(list, a, at, country) {
                return Some(e);
            }
        }
        for h in &self.memo.refs.hosts {
            if let Some(e) = self.lists.host(list, h, at, country) {
                return Some(e);
            }
        }
        None
    }
}
