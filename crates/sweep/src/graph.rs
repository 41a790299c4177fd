//! The period's payments as a compact graph: one 24-byte [`Edge`] per payment, nodes are
//! platform accounts (`0..n`, the accounts file's dense indices) followed by interned `ext:`
//! parties, and two CSR indices (edges by payer, edges by payee, each segment in time order)
//! plus the undirected set of distinct platform neighbours of every account.
//!
//! Memory at 1M accounts × 15M payments: edges 360 MB, the two CSR indices 120 MB, the
//! neighbour lists 4 bytes per distinct (account, counterparty) pair and direction, per-account
//! arrays a few dozen bytes. No per-account hash maps: the only hash map interns `ext:` ids.

use compact_str::CompactString;
use foldhash::fast::FixedState;
use hashbrown::HashMap;
use sluice_core::{Account, Channel, Party, Transaction};
use sluice_engine::features::amounts::AmountRules;
use sluice_engine::lexicon::{Category, Lexicon, Weight};
use sluice_engine::lists::{ListId, ListStore, scan_memo};
use std::hash::BuildHasher;

/// Amount is a multiple of the round unit (¥100).
pub const ROUND: u16 = 1;
/// Amount looks like a USDT quantity × rate.
pub const PEGGED: u16 = 1 << 1;
/// Amount is just below a common single-payment limit (see [`below_limit`]).
pub const BELOW_LIMIT: u16 = 1 << 2;
/// The memo uses a crypto term (any weight).
pub const MEMO_CRYPTO: u16 = 1 << 3;
/// The memo uses a strong crypto term.
pub const MEMO_STRONG: u16 = 1 << 4;
/// The memo names a listed wallet address or host.
pub const MEMO_LISTED: u16 = 1 << 5;
/// Paid at local night (00:00–06:00 China time).
pub const NIGHT: u16 = 1 << 6;
/// Channel `top_up`.
pub const TOP_UP: u16 = 1 << 7;
/// Channel `withdrawal`.
pub const WITHDRAWAL: u16 = 1 << 8;
/// Channel `merchant`.
pub const MERCHANT: u16 = 1 << 9;
/// Channel `red_packet`.
pub const RED_PACKET: u16 = 1 << 10;
/// The memo uses an OTC-dealing or exchange term.
pub const MEMO_OTC: u16 = 1 << 11;

/// Neighbours above this count do not make two accounts acquainted.
pub const HUB_DEGREE: usize = 64;

/// China Standard Time (Asia/Shanghai has had no daylight saving since 1991).
pub const LOCAL_OFFSET_SECS: i64 = 8 * 3600;

/// Common single-payment limits, in yuan: an amount in the 10 % below one of them (and not
/// exactly round) is "just below a limit".
pub const LIMITS_YUAN: [u64; 5] = [5_000, 10_000, 20_000, 50_000, 100_000];

/// Whether `minor` (fen) lies in the 10 % just below a limit.
pub fn below_limit(minor: u64) -> bool {
    LIMITS_YUAN.iter().any(|&l| {
        let l = l * 100;
        minor >= l - l / 10 && minor < l && !minor.is_multiple_of(10_000)
    })
}

/// Local hour of day (0..24) of `t` (UTC seconds).
pub fn local_hour(t: u32) -> u32 {
    u32::try_from(((i64::from(t) + LOCAL_OFFSET_SECS) / 3600).rem_euclid(24)).unwrap_or(0)
}

/// Local day number (days since 1970-01-01 in China time) of `t`.
pub fn local_day(t: u32) -> u32 {
    u32::try_from((i64::from(t) + LOCAL_OFFSET_SECS) / 86_400).unwrap_or(0)
}

/// One payment between two nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Amount in minor units.
    pub amount: u64,
    /// Payer node.
    pub src: u32,
    /// Payee node.
    pub dst: u32,
    /// UTC seconds since the epoch.
    pub t: u32,
    /// The flag bits above.
    pub flags: u16,
}

/// Per-account facts known before any payment is read.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccountFacts {
    /// `merchant` kind.
    pub merchant: bool,
    /// `enterprise` kind.
    pub enterprise: bool,
    /// On an `account_id` list, or a merchant whose website host is listed.
    pub listed: bool,
    /// KYC level 0..3.
    pub kyc: u8,
    /// Opening time, UTC seconds (clamped to 0).
    pub created: u32,
}

/// Collects payments one at a time (streaming), then builds the [`Graph`].
pub struct GraphBuilder<'l> {
    n: u32,
    facts: Vec<AccountFacts>,
    ext: HashMap<CompactString, u32, FixedState>,
    edges: Vec<Edge>,
    /// (device hash, account) pairs; an account's repeated device is pushed once in a row.
    devices: Vec<(u64, u32)>,
    last_device: Vec<u64>,
    rules: AmountRules,
    lexicon: Option<&'static Lexicon>,
    lists: &'l ListStore,
    list_ids: Vec<ListId>,
    accounts: &'l [Account],
    latest: Option<sluice_core::Timestamp>,
}

fn secs(ts: sluice_core::Timestamp) -> u32 {
    u32::try_from(ts.as_secs().max(0)).unwrap_or(u32::MAX)
}

impl<'l> GraphBuilder<'l> {
    /// A builder for `accounts` (in the accounts file's dense order), checking memos and
    /// accounts against `lists`.
    pub fn new(accounts: &'l [Account], lists: &'l ListStore) -> Self {
        let list_ids: Vec<ListId> = lists.list_names().filter_map(|n| lists.list(n)).collect();
        let n = u32::try_from(accounts.len()).unwrap_or(u32::MAX);
        let facts = accounts
            .iter()
            .map(|a| AccountFacts {
                merchant: a.kind == sluice_core::AccountKind::Merchant,
                enterprise: a.kind == sluice_core::AccountKind::Enterprise,
                listed: false,
                kyc: a.kyc_level.get(),
                created: secs(a.created_at),
            })
            .collect();
        GraphBuilder {
            n,
            facts,
            ext: HashMap::with_hasher(FixedState::with_seed(7)),
            edges: Vec::new(),
            devices: Vec::new(),
            last_device: vec![0; accounts.len()],
            rules: AmountRules::default(),
            lexicon: Lexicon::shipped().ok(),
            lists,
            list_ids,
            accounts,
            latest: None,
        }
    }

    /// Marks accounts on an `account_id` list, or merchants whose website host is listed, as
    /// of the latest payment.
    fn mark_listed(&mut self) {
        let Some(at) = self.latest else { return };
        for (a, f) in self.accounts.iter().zip(self.facts.iter_mut()) {
            f.listed = self.list_ids.iter().any(|&l| {
                self.lists.account(l, a.account_id.as_str(), at, a.country).is_some()
                    || a.website
                        .as_ref()
                        .is_some_and(|w| self.lists.host(l, w.as_str(), at, a.country).is_some())
            });
        }
    }

    /// Reserves room for about `payments` more payments.
    pub fn reserve(&mut self, payments: usize) {
        self.edges.reserve(payments);
    }

    fn node(&mut self, party: &Party, idx: Option<u32>) -> u32 {
        self.node_id(party.as_str(), idx)
    }

    fn node_id(&mut self, id: &str, idx: Option<u32>) -> u32 {
        if let Some(i) = idx {
            return i;
        }
        let next = self.n + u32::try_from(self.ext.len()).unwrap_or(u32::MAX - self.n);
        *self.ext.entry(CompactString::from(id)).or_insert(next)
    }

    /// Adds a payment remembered from an earlier period (`--state`), its flags already
    /// computed; a side that is not a platform account of this period (`idx` `None`) becomes
    /// an external node, like an `ext:` party.
    pub fn add_remembered(
        &mut self,
        src: (&str, Option<u32>),
        dst: (&str, Option<u32>),
        amount: u64,
        t: u32,
        flags: u16,
    ) {
        let src = self.node_id(src.0, src.1);
        let dst = self.node_id(dst.0, dst.1);
        let ts = sluice_core::Timestamp::from_micros(i64::from(t) * 1_000_000);
        if let Some(ts) = ts {
            self.latest = Some(self.latest.map_or(ts, |l| l.max(ts)));
        }
        self.edges.push(Edge { amount, src, dst, t, flags });
    }

    /// Adds a remembered (device, platform account) pair.
    pub fn add_remembered_device(&mut self, device: u64, account: u32) {
        if account < self.n {
            self.devices.push((device, account));
        }
    }

    /// The ids of the external nodes, in node order (node `n + i` is `ext_ids()[i]`).
    pub fn ext_ids(&self) -> Vec<CompactString> {
        let mut ids = vec![CompactString::default(); self.ext.len()];
        for (id, &node) in &self.ext {
            if let Some(slot) = ids.get_mut((node - self.n) as usize) {
                *slot = id.clone();
            }
        }
        ids
    }

    /// The (device, account) pairs so far.
    pub fn device_pairs(&self) -> &[(u64, u32)] {
        &self.devices
    }

    /// Adds one admitted payment; `payer`/`payee` are the dense indices of platform sides.
    pub fn add(&mut self, tx: &Transaction, payer: Option<u32>, payee: Option<u32>) {
        let src = self.node(&tx.payer, payer);
        let dst = self.node(&tx.payee, payee);
        let amount = u64::try_from(tx.amount.minor()).unwrap_or(0);
        let t = secs(tx.ts);
        let class = self.rules.classify(tx.amount.minor());
        let mut flags = 0u16;
        if class.round {
            flags |= ROUND;
        }
        if class.pegged {
            flags |= PEGGED;
        }
        if tx.amount.currency().exponent() == 2 && below_limit(amount) {
            flags |= BELOW_LIMIT;
        }
        if local_hour(t) < 6 {
            flags |= NIGHT;
        }
        flags |= match tx.channel {
            Channel::TopUp => TOP_UP,
            Channel::Withdrawal => WITHDRAWAL,
            Channel::Merchant => MERCHANT,
            Channel::RedPacket => RED_PACKET,
            Channel::P2p => 0,
        };
        if let Some(memo) = &tx.memo {
            flags |= self.memo_flags(memo.as_str(), tx, payer.or(payee));
        }
        if let (Some(d), Some(p)) = (&tx.device_id, payer) {
            let h = FixedState::with_seed(11).hash_one(d.as_str()) | 1;
            if let Some(last) = self.last_device.get_mut(p as usize)
                && *last != h
            {
                *last = h;
                self.devices.push((h, p));
            }
        }
        self.latest = Some(self.latest.map_or(tx.ts, |l| l.max(tx.ts)));
        self.edges.push(Edge { amount, src, dst, t, flags });
    }

    fn memo_flags(&self, memo: &str, tx: &Transaction, side: Option<u32>) -> u16 {
        let mut flags = 0;
        if let Some(lex) = self.lexicon {
            for h in lex.scan(memo) {
                flags |= MEMO_CRYPTO;
                if h.weight == Weight::Strong {
                    flags |= MEMO_STRONG;
                }
                if matches!(h.category, Category::Otc | Category::Exchange) {
                    flags |= MEMO_OTC;
                }
            }
        }
        let refs = scan_memo(memo);
        if !refs.addresses.is_empty() || !refs.hosts.is_empty() {
            let country = side.and_then(|i| self.accounts.get(i as usize)).map(|a| a.country);
            if let Some(c) = country {
                let listed = self.list_ids.iter().any(|&l| {
                    refs.addresses.iter().any(|(_, a)| self.lists.address(l, a, tx.ts, c).is_some())
                        || refs.hosts.iter().any(|h| self.lists.host(l, h, tx.ts, c).is_some())
                });
                if listed {
                    flags |= MEMO_LISTED | MEMO_CRYPTO | MEMO_STRONG;
                }
            }
        }
        flags
    }

    /// Payments added so far.
    pub fn len(&self) -> usize {
        self.edges.len()
    }

    /// Whether no payment was added.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Builds the indices.
    pub fn build(mut self) -> Graph {
        self.mark_listed();
        let extra = u32::try_from(self.ext.len()).unwrap_or(u32::MAX);
        Graph::assemble(self.n, extra, self.facts, self.edges, self.devices)
    }
}

impl Graph {
    /// A graph of `n` platform accounts (no facts) and `extra` external nodes from raw edges,
    /// for tests and tools.
    pub fn from_edges(n: u32, extra: u32, edges: Vec<Edge>) -> Graph {
        Graph::assemble(n, extra, vec![AccountFacts::default(); n as usize], edges, Vec::new())
    }

    fn assemble(
        n: u32,
        extra: u32,
        facts: Vec<AccountFacts>,
        edges: Vec<Edge>,
        devices: Vec<(u64, u32)>,
    ) -> Graph {
        let nodes = n as usize + extra as usize;
        let (out_off, out_ids) = csr(nodes, &edges, |e| e.src);
        let (in_off, in_ids) = csr(nodes, &edges, |e| e.dst);
        let mut g = Graph {
            n,
            facts,
            edges,
            out_off,
            out_ids,
            in_off,
            in_ids,
            nbr_off: Vec::new(),
            nbr: Vec::new(),
            quiet_off: Vec::new(),
            quiet: Vec::new(),
            device_peers: vec![0; n as usize],
            device_groups: Vec::new(),
        };
        g.build_neighbours();
        g.build_devices(devices);
        g
    }
}

/// Counting sort of edge ids by `key`, each segment then ordered by time (stable).
fn csr(nodes: usize, edges: &[Edge], key: impl Fn(&Edge) -> u32) -> (Vec<u32>, Vec<u32>) {
    let mut off = vec![0u32; nodes + 1];
    for e in edges {
        if let Some(c) = off.get_mut(key(e) as usize + 1) {
            *c += 1;
        }
    }
    for i in 1..off.len() {
        let prev = off.get(i - 1).copied().unwrap_or(0);
        if let Some(c) = off.get_mut(i) {
            *c += prev;
        }
    }
    let mut next = off.clone();
    let mut ids = vec![0u32; edges.len()];
    for (i, e) in edges.iter().enumerate() {
        if let Some(slot) = next.get_mut(key(e) as usize) {
            if let Some(dst) = ids.get_mut(*slot as usize) {
                *dst = u32::try_from(i).unwrap_or(u32::MAX);
            }
            *slot += 1;
        }
    }
    for w in off.windows(2) {
        if let [a, b] = *w
            && let Some(seg) = ids.get_mut(a as usize..b as usize)
        {
            // Input is mostly in time order already: a stable sort is nearly linear.
            seg.sort_by_key(|&i| edges.get(i as usize).map_or(0, |e| e.t));
        }
    }
    (off, ids)
}

/// The period's payment graph.
pub struct Graph {
    /// Platform accounts (nodes `0..n`).
    pub n: u32,
    /// Per-account facts.
    pub facts: Vec<AccountFacts>,
    /// Every payment, in input order.
    pub edges: Vec<Edge>,
    out_off: Vec<u32>,
    out_ids: Vec<u32>,
    in_off: Vec<u32>,
    in_ids: Vec<u32>,
    nbr_off: Vec<u32>,
    nbr: Vec<u32>,
    quiet_off: Vec<u32>,
    quiet: Vec<u32>,
    /// Per account: other accounts that paid from one of its devices (max over its devices).
    pub device_peers: Vec<u16>,
    /// Groups of accounts sharing a device (each sorted, length ≥ 2).
    pub device_groups: Vec<Vec<u32>>,
}

impl Graph {
    /// Payments made by `node`, in time order.
    pub fn outgoing(&self, node: u32) -> impl Iterator<Item = &Edge> + '_ {
        segment(&self.out_off, &self.out_ids, node).iter().filter_map(|&i| self.edges.get(i as usize))
    }

    /// Payments received by `node`, in time order.
    pub fn incoming(&self, node: u32) -> impl Iterator<Item = &Edge> + '_ {
        segment(&self.in_off, &self.in_ids, node).iter().filter_map(|&i| self.edges.get(i as usize))
    }

    /// Distinct platform accounts `a` paid or was paid by, sorted.
    pub fn neighbours(&self, a: u32) -> &[u32] {
        segment(&self.nbr_off, &self.nbr, a)
    }

    /// Distinct platform neighbours of `a` that are not hubs (at most [`HUB_DEGREE`]
    /// neighbours of their own), sorted.
    pub fn quiet_neighbours(&self, a: u32) -> &[u32] {
        segment(&self.quiet_off, &self.quiet, a)
    }

    /// Whether platform accounts `a` and `b` have a platform neighbour in common other than
    /// hubs (accounts with more than [`HUB_DEGREE`] neighbours: a supermarket makes no
    /// community). Walks the shorter list and searches the longer: `O(min · log max)`.
    pub fn common_neighbour(&self, a: u32, b: u32) -> bool {
        let (na, nb) = (self.quiet_neighbours(a), self.quiet_neighbours(b));
        let (small, large) = if na.len() <= nb.len() { (na, nb) } else { (nb, na) };
        small.iter().any(|&c| c != a && c != b && large.binary_search(&c).is_ok())
    }

    fn build_neighbours(&mut self) {
        let n = self.n as usize;
        let mut off = Vec::with_capacity(n + 1);
        let mut nbr = Vec::new();
        let mut scratch: Vec<u32> = Vec::new();
        off.push(0u32);
        for a in 0..self.n {
            scratch.clear();
            scratch.extend(self.outgoing(a).map(|e| e.dst).filter(|&d| d < self.n));
            scratch.extend(self.incoming(a).map(|e| e.src).filter(|&s| s < self.n));
            scratch.sort_unstable();
            scratch.dedup();
            nbr.extend_from_slice(&scratch);
            off.push(u32::try_from(nbr.len()).unwrap_or(u32::MAX));
        }
        nbr.shrink_to_fit();
        self.nbr_off = off;
        self.nbr = nbr;
        // The same lists without hubs: the stranger test runs once per (account, counterparty)
        // pair and must not touch a hub's degree for every element it walks.
        let mut quiet_off = Vec::with_capacity(n + 1);
        let mut quiet = Vec::new();
        quiet_off.push(0u32);
        for a in 0..self.n {
            quiet.extend(
                self.neighbours(a).iter().copied().filter(|&c| self.neighbours(c).len() <= HUB_DEGREE),
            );
            quiet_off.push(u32::try_from(quiet.len()).unwrap_or(u32::MAX));
        }
        quiet.shrink_to_fit();
        self.quiet_off = quiet_off;
        self.quiet = quiet;
    }

    fn build_devices(&mut self, mut pairs: Vec<(u64, u32)>) {
        pairs.sort_unstable();
        pairs.dedup();
        let mut i = 0;
        while i < pairs.len() {
            let dev = pairs.get(i).map_or(0, |p| p.0);
            let j = i + pairs.get(i..).map_or(0, |r| r.iter().take_while(|p| p.0 == dev).count());
            if j - i >= 2 {
                let group: Vec<u32> =
                    pairs.get(i..j).map_or_else(Vec::new, |r| r.iter().map(|p| p.1).collect());
                let peers = u16::try_from(group.len() - 1).unwrap_or(u16::MAX);
                for &a in &group {
                    if let Some(p) = self.device_peers.get_mut(a as usize) {
                        *p = (*p).max(peers);
                    }
                }
                self.device_groups.push(group);
            }
            i = j.max(i + 1);
        }
    }

    /// Bytes held by the graph (edges, indices, neighbour lists), for the run's summary.
    pub fn bytes(&self) -> usize {
        self.edges.capacity() * std::mem::size_of::<Edge>()
            + 4 * (self.out_off.capacity()
                + self.out_ids.capacity()
                + self.in_off.capacity()
                + self.in_ids.capacity()
                + self.nbr_off.capacity()
                + self.nbr.capacity()
                + self.quiet_off.capacity()
                + self.quiet.capacity())
            + self.facts.capacity() * std::mem::size_of::<AccountFacts>()
    }
}

fn segment<'a>(off: &[u32], ids: &'a [u32], node: u32) -> &'a [u32] {
    let i = node as usize;
    match (off.get(i), off.get(i + 1)) {
        (Some(&a), Some(&b)) => ids.get(a as usize..b as usize).unwrap_or(&[]),
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_limit_band() {
        assert!(below_limit(499_000));
        assert!(below_limit(949_950));
        assert!(!below_limit(1_000_000));
        assert!(!below_limit(900_000), "round amounts are counted as round, not as below a limit");
        assert!(!below_limit(300_000));
    }

    #[test]
    fn china_time() {
        // 2026-03-02T16:00:00Z is midnight in Shanghai.
        let t = 1_772_467_200;
        assert_eq!(local_hour(t), 0);
        assert_eq!(local_hour(t - 1), 23);
    }

    #[test]
    fn csr_orders_segments_by_time() {
        let e = |src, dst, t| Edge { amount: 1, src, dst, t, flags: 0 };
        let edges = vec![e(0, 1, 5), e(0, 2, 3), e(1, 0, 4)];
        let (off, ids) = csr(3, &edges, |e| e.src);
        assert_eq!(off, vec![0, 2, 3, 3]);
        assert_eq!(ids, vec![1, 0, 2]);
    }
}
