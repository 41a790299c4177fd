//! The list store: every named list Sluice matches payments against — offshore exchanges
//! (names and hosts), ICO/scam projects, banned apps and companies, blocked and allowlisted
//! accounts, sanctioned wallet addresses — in one versioned, immutable value.
//!
//! Exact kinds (`account_id`, `host`, `address`) are found in O(1) through per-list hash
//! indexes; `name` entries are kept for fuzzy screening, which builds on this store
//! ([`ListStore::names`] is its hook). Every hit is then checked against the entry's
//! effective period and jurisdictions: an entry applies to a payment when the relevant
//! account's country is listed (or none are), and the payment's `ts` lies in
//! `[effective_from, effective_until)`. A date without a time means 00:00 in the time zone of
//! the country the entry is being applied to (`data/country_zones.csv`).
//!
//! A store is never changed in place: a reload builds a new one and swaps it in atomically
//! through [`SharedLists`], so a reader sees the old lists or the new ones, never half.
//!
//! [`scan_memo`] finds what a memo can be matched against: wallet addresses (BTC, ETH,
//! TRON, checked by their checksums where they have one) and URLs or hostnames.

use arc_swap::ArcSwap;
use compact_str::CompactString;
use hashbrown::HashMap;
use sluice_core::{CivilDate, Country, ListEntry, ListKind, ListTime, Timestamp};
use std::sync::{Arc, LazyLock};

/// Why a set of entries cannot become a store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// More lists than an index can number.
    #[error("too many lists ({0}); at most 65535")]
    TooManyLists(usize),
}

/// A list, resolved once (e.g. when a policy is compiled) so lookups need no string
/// comparison of list names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListId(u16);

impl ListId {
    /// The list's number in its store (0-based, dense).
    pub fn index(self) -> u16 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

#[derive(Default, Debug)]
struct ListIndex {
    name: CompactString,
    account_ids: FastMap<CompactString, Vec<u32>>,
    hosts: FastMap<CompactString, Vec<u32>>,
    addresses: FastMap<CompactString, Vec<u32>>,
    names: Vec<u32>,
}

/// An immutable, versioned set of lists.
#[derive(Debug)]
pub struct ListStore {
    version: String,
    entries: Vec<ListEntry>,
    lists: Vec<ListIndex>,
    by_name: FastMap<CompactString, ListId>,
}

/// Normalises an address for comparison: hex (ETH) and bech32 (BTC `bc1`) addresses are
/// case-insensitive, base58 ones (BTC legacy, TRON) are not.
pub fn normalize_address(a: &str) -> CompactString {
    let t = a.trim();
    let lower = t.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"))
        || t.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("bc1"));
    if lower { CompactString::new(t.to_ascii_lowercase()) } else { CompactString::new(t) }
}

/// Normalises a host: lower case, no trailing dot, no `www.`.
pub fn normalize_host(h: &str) -> CompactString {
    let t = h.trim().trim_end_matches('.');
    let t = t.strip_prefix("www.").or_else(|| t.strip_prefix("WWW.")).unwrap_or(t);
    CompactString::new(t.to_ascii_lowercase())
}

impl ListStore {
    /// Builds a store. `version` names it in decisions; without one, a digest of the
    /// content is used, so the same entries always carry the same version.
    pub fn new(entries: Vec<ListEntry>, version: Option<String>) -> Result<ListStore, ListError> {
        let mut lists: Vec<ListIndex> = Vec::new();
        let mut by_name: FastMap<CompactString, ListId> = FastMap::default();
        for (i, e) in entries.iter().enumerate() {
            let n = lists.len();
            let id = *by_name.entry(CompactString::new(e.list.as_str())).or_insert(ListId(n as u16));
            if id.0 as usize == n {
                if n >= usize::from(u16::MAX) {
                    return Err(ListError::TooManyLists(n + 1));
                }
                lists.push(ListIndex { name: CompactString::new(e.list.as_str()), ..ListIndex::default() });
            }
            let idx = &mut lists[id.0 as usize];
            let i = i as u32;
            match e.kind {
                ListKind::AccountId => idx.account_ids.entry(e.entry.clone()).or_default().push(i),
                ListKind::Host => idx.hosts.entry(normalize_host(&e.entry)).or_default().push(i),
                ListKind::Address => idx.addresses.entry(normalize_address(&e.entry)).or_default().push(i),
                ListKind::Name => idx.names.push(i),
            }
        }
        let version = version.unwrap_or_else(|| digest(&entries));
        Ok(ListStore { version, entries, lists, by_name })
    }

    /// An empty store.
    pub fn empty() -> ListStore {
        ListStore {
            version: "empty".into(),
            entries: Vec::new(),
            lists: Vec::new(),
            by_name: FastMap::default(),
        }
    }

    /// The version decisions cite.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every entry.
    pub fn entries(&self) -> &[ListEntry] {
        &self.entries
    }

    /// The id of a list, if the store has it.
    pub fn list(&self, name: &str) -> Option<ListId> {
        self.by_name.get(name).copied()
    }

    /// The names of all lists, in first-seen order.
    pub fn list_names(&self) -> impl Iterator<Item = &str> {
        self.lists.iter().map(|l| l.name.as_str())
    }

    /// The lists (bit `i` for the list of index `i`, for the first 32) holding an
    /// `account_id` entry for `id` or a `host` entry for `website` or a parent domain of
    /// it, whatever their dates and jurisdictions: a superset of what
    /// [`account`](Self::account) and [`host`](Self::host) can find for the account, so a
    /// clear bit spares both lookups.
    pub fn lists_of_account(&self, id: &str, website: Option<&str>) -> u32 {
        let host = website.map(normalize_host);
        let mut mask = 0u32;
        for (i, l) in self.lists.iter().enumerate().take(32) {
            let mut on = l.account_ids.contains_key(id);
            if !on
                && let Some(h) = &host
                && !l.hosts.is_empty()
            {
                let mut rest: &str = h;
                loop {
                    if l.hosts.contains_key(rest) {
                        on = true;
                        break;
                    }
                    match rest.split_once('.') {
                        Some((_, parent)) if parent.contains('.') => rest = parent,
                        _ => break,
                    }
                }
            }
            if on {
                mask |= 1 << i;
            }
        }
        mask
    }

    fn first_applying(&self, hits: Option<&Vec<u32>>, at: Timestamp, country: Country) -> Option<&ListEntry> {
        hits?.iter().filter_map(|&i| self.entries.get(i as usize)).find(|e| applies(e, at, country))
    }

    /// An `account_id` entry of `list` for `id` that applies at `at` in `country`.
    pub fn account(&self, list: ListId, id: &str, at: Timestamp, country: Country) -> Option<&ListEntry> {
        let l = self.lists.get(usize::from(list.0))?;
        self.first_applying(l.account_ids.get(id), at, country)
    }

    /// A `host` entry of `list` for `host` or any parent domain of it (an entry
    /// `binance.com` matches `www.binance.com` and `p2p.binance.com`).
    pub fn host(&self, list: ListId, host: &str, at: Timestamp, country: Country) -> Option<&ListEntry> {
        let l = self.lists.get(usize::from(list.0))?;
        if l.hosts.is_empty() {
            return None;
        }
        let h = normalize_host(host);
        let mut rest: &str = &h;
        loop {
            if let Some(e) = self.first_applying(l.hosts.get(rest), at, country) {
                return Some(e);
            }
            // Walk up to the parent domain, but never down to a bare top-level domain.
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => return None,
            }
        }
    }

    /// An `address` entry of `list` for a wallet address.
    pub fn address(&self, list: ListId, addr: &str, at: Timestamp, country: Country) -> Option<&ListEntry> {
        let l = self.lists.get(usize::from(list.0))?;
        if l.addresses.is_empty() {
            return None;
        }
        self.first_applying(l.addresses.get(normalize_address(addr).as_str()), at, country)
    }

    /// The `name` entries of a list: the hook for fuzzy screening, which indexes them.
    pub fn names(&self, list: ListId) -> impl Iterator<Item = &ListEntry> {
        self.lists
            .get(usize::from(list.0))
            .into_iter()
            .flat_map(|l| l.names.iter().filter_map(|&i| self.entries.get(i as usize)))
    }
}

/// A content digest: FNV-1a over every field, so identical lists get identical versions on
/// every machine (a `Hasher` from std is not stable across releases).
fn digest(entries: &[ListEntry]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for e in entries {
        eat(e.list.as_str());
        eat(e.kind.as_str());
        eat(&e.entry);
        eat(&e.effective_from.map(|t| t.to_string()).unwrap_or_default());
        eat(&e.effective_until.map(|t| t.to_string()).unwrap_or_default());
        for j in &e.jurisdictions {
            eat(j.as_str());
        }
    }
    format!("{}-{:016x}", entries.len(), h)
}

static ZONES: LazyLock<FastMap<Country, jiff::tz::TimeZone>> = LazyLock::new(|| {
    include_str!("../data/country_zones.csv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("country,"))
        .filter_map(|l| {
            let (cc, zone) = l.split_once(',')?;
            Some((Country::parse(cc)?, jiff::tz::TimeZone::get(zone).ok()?))
        })
        .collect()
});

/// The time zone a date-only list date is read in for `country` (UTC when unknown).
pub fn country_zone(country: Country) -> jiff::tz::TimeZone {
    ZONES.get(&country).cloned().unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Midnight of `date` in `country`'s zone.
pub fn midnight_in(date: CivilDate, country: Country) -> Option<Timestamp> {
    let d = jiff::civil::Date::new(i16::try_from(date.year).ok()?, date.month as i8, date.day as i8).ok()?;
    let z = d.to_zoned(country_zone(country)).ok()?;
    Timestamp::from_micros(z.timestamp().as_microsecond())
}

fn instant(t: ListTime, country: Country) -> Option<Timestamp> {
    match t {
        ListTime::Instant(ts) => Some(ts),
        ListTime::Date(d) => midnight_in(d, country),
    }
}

/// Whether `e` applies to a payment at `at` whose relevant account is in `country`.
pub fn applies(e: &ListEntry, at: Timestamp, country: Country) -> bool {
    if !e.jurisdictions.is_empty() && !e.jurisdictions.contains(&country) {
        return false;
    }
    if let Some(from) = e.effective_from
        && instant(from, country).is_none_or(|f| at < f)
    {
        return false;
    }
    if let Some(until) = e.effective_until
        && instant(until, country).is_some_and(|u| at >= u)
    {
        return false;
    }
    true
}

/// The lists in force, swapped atomically on reload: readers take a snapshot
/// ([`SharedLists::load`]) and keep using it for as long as they like.
pub struct SharedLists(ArcSwap<ListStore>);

impl SharedLists {
    /// Starts with `store`.
    pub fn new(store: ListStore) -> Self {
        SharedLists(ArcSwap::from_pointee(store))
    }
    /// The current store.
    pub fn load(&self) -> Arc<ListStore> {
        self.0.load_full()
    }
    /// Replaces the store; readers holding the old one keep it until they drop it.
    pub fn replace(&self, store: ListStore) -> Arc<ListStore> {
        self.0.swap(Arc::new(store))
    }
}

/// Which chain a wallet address belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// Bitcoin, legacy base58 (P2PKH `1…`, P2SH `3…`).
    BtcBase58,
    /// Bitcoin, bech32/bech32m (`bc1…`).
    BtcBech32,
    /// Ethereum and EVM chains (`0x` + 40 hex), also USDT-ERC20.
    Eth,
    /// TRON (`T…`), also USDT-TRC20.
    Tron,
}

impl AddressKind {
    /// Short name for reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressKind::BtcBase58 | AddressKind::BtcBech32 => "BTC",
            AddressKind::Eth => "ETH",
            AddressKind::Tron => "TRON",
        }
    }
}

/// What a memo refers to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MemoRefs<'m> {
    /// Wallet addresses, as written.
    pub addresses: Vec<(AddressKind, &'m str)>,
    /// Hosts of URLs or bare domain names, normalised.
    pub hosts: Vec<CompactString>,
}

/// Top-level domains a bare `name.tld` in a memo is taken as a host for. A closed set,
/// because an open one turns "3.5" or "item.no" into hosts.
const TLDS: &[&str] = &[
    "com", "net", "org", "io", "co", "cn", "hk", "tw", "sg", "me", "app", "exchange", "info", "xyz", "top",
    "vip", "cc", "pro", "biz", "global", "finance", "trade", "world", "online", "site", "link", "ai", "us",
    "uk", "jp", "kr",
];

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn base58check(token: &str, version: u8) -> bool {
    bs58::decode(token).with_check(Some(version)).into_vec().is_ok()
}

/// BIP-173/350 checksum: written by hand because it is twenty lines and the crates that do
/// it bring a whole address model with them.
fn bech32_valid(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    let Some(sep) = lower.rfind('1') else { return false };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp != "bc" || data.len() < 6 {
        return false;
    }
    let mut values = Vec::with_capacity(hrp.len() * 2 + 1 + data.len());
    values.extend(hrp.bytes().map(|b| b >> 5));
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    for b in data.bytes() {
        match BECH32.iter().position(|&c| c == b) {
            Some(v) => values.push(v as u8),
            None => return false,
        }
    }
    const GEN: [u32; 5] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    // 1 = bech32 (segwit v0), 0x2bc830a3 = bech32m (taproot).
    chk == 1 || chk == 0x2bc8_30a3
}

fn classify_address(token: &str) -> Option<AddressKind> {
    let b = token.as_bytes();
    let is_b58 = |s: &[u8]| s.iter().all(|c| BASE58.contains(c));
    match b.first()? {
        b'0' if b.len() == 42
            && (b[1] == b'x' || b[1] == b'X')
            && b[2..].iter().all(u8::is_ascii_hexdigit) =>
        {
            Some(AddressKind::Eth)
        }
        b'T' if b.len() == 34 && is_b58(b) && base58check(token, 0x41) => Some(AddressKind::Tron),
        b'1' if (26..=35).contains(&b.len()) && is_b58(b) && base58check(token, 0x00) => {
            Some(AddressKind::BtcBase58)
        }
        b'3' if (26..=35).contains(&b.len()) && is_b58(b) && base58check(token, 0x05) => {
            Some(AddressKind::BtcBase58)
        }
        b'b' | b'B' if (14..=74).contains(&b.len()) && bech32_valid(token) => Some(AddressKind::BtcBech32),
        _ => None,
    }
}

fn host_of(token: &str) -> Option<CompactString> {
    let t = token.trim_matches(|c: char| matches!(c, '.' | ',' | ')' | '(' | '"' | '\''));
    let (had_scheme, rest) = match t.find("://") {
        Some(i) => (true, &t[i + 3..]),
        None => (false, t),
    };
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?.split(':').next()?;
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.len() > 63) {
        return None;
    }
    if !host.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.') {
        return None;
    }
    let tld = labels.last()?.to_ascii_lowercase();
    if !tld.bytes().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    (had_scheme || TLDS.contains(&tld.as_str())).then(|| normalize_host(host))
}

/// Finds wallet addresses and hosts in a memo. Tokens are runs of the characters addresses
/// and URLs are made of, so an address glued to Chinese text ("地址TXyz…") is still found.
pub fn scan_memo<'m>(memo: &'m str) -> MemoRefs<'m> {
    let mut refs = MemoRefs::default();
    let is_tok = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '.' | ':' | '/' | '-' | '_' | '?' | '=' | '&' | '#' | '@' | '%')
    };
    let mut start = None;
    let push = |s: usize, e: usize, refs: &mut MemoRefs<'m>| {
        let Some(tok) = memo.get(s..e) else { return };
        // An address stands alone between separators; a host may carry a path.
        for part in tok.split(|c: char| !c.is_ascii_alphanumeric()) {
            if part.len() >= 26
                && let Some(kind) = classify_address(part)
            {
                refs.addresses.push((kind, part));
            }
        }
        if tok.contains('.')
            && let Some(h) = host_of(tok)
            && !refs.hosts.contains(&h)
        {
            refs.hosts.push(h);
        }
    };
    for (i, c) in memo.char_indices() {
        match (is_tok(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                push(s, i, &mut refs);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        push(s, memo.len(), &mut refs);
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::ListName;

    fn entry(list: &str, kind: ListKind, value: &str) -> ListEntry {
        ListEntry {
            list: ListName::parse(list).unwrap(),
            kind,
            entry: value.into(),
            effective_from: None,
            effective_until: None,
            jurisdictions: Vec::new(),
            source: None,
            note: None,
        }
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    const CN: Country = Country::CN;

    #[test]
    fn exact_kinds_are_found_by_value() {
        let store = ListStore::new(
            vec![
                entry("blocked_accounts", ListKind::AccountId, "U00012345"),
                entry("exchanges", ListKind::Host, "binance.com"),
                entry("exchanges", ListKind::Name, "Binance"),
                entry("crypto_addresses", ListKind::Address, "0xAbC0000000000000000000000000000000000001"),
            ],
            None,
        )
        .unwrap();
        let at = ts("2026-03-01T00:00:00Z");
        let blocked = store.list("blocked_accounts").unwrap();
        let ex = store.list("exchanges").unwrap();
        let addr = store.list("crypto_addresses").unwrap();
        assert!(store.account(blocked, "U00012345", at, CN).is_some());
        assert!(store.account(blocked, "u00012345", at, CN).is_none(), "account ids are case-sensitive");
        assert!(store.host(ex, "binance.com", at, CN).is_some());
        assert!(store.host(ex, "WWW.Binance.com", at, CN).is_some());
        assert!(store.host(ex, "p2p.binance.com", at, CN).is_some());
        assert!(store.host(ex, "notbinance.com", at, CN).is_none());
        assert!(store.host(ex, "binance.com.evil.io", at, CN).is_none());
        assert!(store.address(addr, "0xabc0000000000000000000000000000000000001", at, CN).is_some());
        assert_eq!(store.names(ex).map(|e| e.entry.as_str()).collect::<Vec<_>>(), ["Binance"]);
        assert!(store.list("nope").is_none());
    }

    #[test]
    fn effective_dates_and_jurisdictions() {
        // An order signed 2021-01-05 that takes effect 45 days later, for payers in CN.
        let mut e = entry("banned_apps", ListKind::AccountId, "M00000042");
        e.effective_from = Some(ListTime::parse("2021-02-19").unwrap());
        e.jurisdictions = vec![CN];
        let store = ListStore::new(vec![e], None).unwrap();
        let l = store.list("banned_apps").unwrap();
        // Midnight in Beijing is 16:00 UTC the day before.
        assert!(store.account(l, "M00000042", ts("2021-02-18T15:59:59.999999Z"), CN).is_none());
        assert!(store.account(l, "M00000042", ts("2021-02-18T16:00:00Z"), CN).is_some());
        let us = Country::parse("US").unwrap();
        assert!(store.account(l, "M00000042", ts("2022-01-01T00:00:00Z"), us).is_none(), "not a US rule");

        let mut e = entry("x", ListKind::Host, "a.com");
        e.effective_from = Some(ListTime::Instant(ts("2026-01-01T00:00:00Z")));
        e.effective_until = Some(ListTime::parse("2026-02-01").unwrap());
        let store = ListStore::new(vec![e], None).unwrap();
        let l = store.list("x").unwrap();
        assert!(store.host(l, "a.com", ts("2025-12-31T23:59:59Z"), CN).is_none());
        assert!(store.host(l, "a.com", ts("2026-01-31T15:59:59Z"), CN).is_some());
        assert!(
            store.host(l, "a.com", ts("2026-01-31T16:00:00Z"), CN).is_none(),
            "until is exclusive, Beijing midnight"
        );
        let us = Country::parse("US").unwrap();
        assert!(
            store.host(l, "a.com", ts("2026-02-01T04:59:59Z"), us).is_some(),
            "New York midnight is later"
        );
    }

    #[test]
    fn versions_follow_content_and_reload_is_atomic() {
        let a = ListStore::new(vec![entry("l", ListKind::Host, "a.com")], None).unwrap();
        let a2 = ListStore::new(vec![entry("l", ListKind::Host, "a.com")], None).unwrap();
        let b = ListStore::new(vec![entry("l", ListKind::Host, "b.com")], None).unwrap();
        assert_eq!(a.version(), a2.version());
        assert_ne!(a.version(), b.version());
        assert_eq!(ListStore::new(vec![], Some("2026-03-01".into())).unwrap().version(), "2026-03-01");

        let shared = SharedLists::new(a);
        let before = shared.load();
        shared.replace(b);
        let after = shared.load();
        let l = before.list("l").unwrap();
        let at = ts("2026-03-01T00:00:00Z");
        assert!(before.host(l, "a.com", at, CN).is_some(), "a reader keeps the snapshot it took");
        assert!(after.host(after.list("l").unwrap(), "b.com", at, CN).is_some());
    }

    #[test]
    fn memos_yield_addresses_and_hosts() {
        // Real, checksummed addresses (from OFAC's public list and well-known examples).
        let tron = "TKFRQXSDcY4kd3QLzw7uK16GmLrjJggwX8";
        let memo = format!("地址{tron} 转账 见 https://www.Binance.com/zh-CN/p2p?x=1 或 okx.com。");
        let refs = scan_memo(&memo);
        assert_eq!(refs.addresses, vec![(AddressKind::Tron, tron)]);
        assert_eq!(refs.hosts, vec![CompactString::new("binance.com"), CompactString::new("okx.com")]);

        let r = scan_memo("0x8589427373D6D84E98730D7795D8f6f8731FDA16 eth");
        assert_eq!(r.addresses.len(), 1);
        assert_eq!(r.addresses[0].0, AddressKind::Eth);
        let r =
            scan_memo("btc 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
        assert_eq!(
            r.addresses.iter().map(|a| a.0).collect::<Vec<_>>(),
            [AddressKind::BtcBase58, AddressKind::BtcBech32]
        );
        // Shapes without a valid checksum, prices and versions are not addresses or hosts.
        let r = scan_memo(
            "TKFRQXSDcY4kd3QLzw7uK16GmLrjJggwX9 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb 价格7.25 v1.2 3.5kg",
        );
        assert_eq!(r, MemoRefs::default());
        assert_eq!(scan_memo("饭钱 AA 🍜").hosts.len(), 0);
    }

    #[test]
    fn every_country_zone_resolves() {
        assert_eq!(
            ZONES.len(),
            include_str!("../data/country_zones.csv")
                .lines()
                .filter(|l| l.len() > 3 && !l.starts_with('#') && !l.starts_with("country,"))
                .count()
        );
        assert_eq!(country_zone(CN).iana_name(), Some("Asia/Shanghai"));
    }
}
