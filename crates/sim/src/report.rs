//! What the simulated world looks like, so a person can check it is plausible: counts per
//! role and channel, the amount histogram, the hourly profile, the degree distribution, the
//! red-packet share. Written as text and as an HTML page with inline SVG charts.

use crate::calendar::Day;
use crate::event::Event;
use crate::world::{EXT, World};
use rayon::prelude::*;
use sluice_core::{Channel, Role};
use std::fmt::Write as _;

/// Amount histogram bins per decade (0.01 CNY .. 10^7 CNY).
const BINS_PER_DECADE: usize = 4;
const DECADES: usize = 9;

/// Running statistics of the emitted transactions.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Crypto-related payments each account took part in.
    crypto_of: Vec<u32>,
    /// Payments received per account.
    received: Vec<u32>,
    /// Transactions per channel: [normal, crypto].
    pub channels: [[u64; 2]; 5],
    /// Amount histogram (log bins): [normal, crypto].
    pub amounts: Vec<[u64; 2]>,
    /// Lower bound in fen of each amount bin.
    bounds: Vec<i64>,
    /// Local-hour profile: [normal, crypto].
    pub hours: [[u64; 2]; 24],
    /// Accounts per labelled role (filled at the end).
    pub roles: [u64; 6],
    /// Accounts by kind.
    pub kinds: [u64; 3],
    /// Days simulated, with Spring Festival days.
    pub days: u32,
    /// Spring Festival days among them.
    pub festival_days: u32,
    /// Red packets sent on Spring Festival days and on other days.
    pub red_packets: [u64; 2],
    /// Transactions on Spring Festival days and on other days.
    pub per_day_kind: [u64; 2],
    /// Accounts and cities.
    pub accounts: u64,
    /// Cities.
    pub cities: u32,
    /// Evasion level.
    pub evasion: usize,
    /// First day.
    pub start: String,
}

impl Stats {
    /// Empty statistics for `w`.
    pub fn new(w: &World) -> Self {
        let n = w.accts.len();
        let mut kinds = [0u64; 3];
        for a in &w.accts {
            kinds[a.kind as usize] += 1;
        }
        let festival_days = (0..w.days).filter(|&d| Day::new(w.start, d).spring_festival).count() as u32;
        Stats {
            crypto_of: vec![0; n],
            received: vec![0; n],
            channels: [[0; 2]; 5],
            amounts: vec![[0; 2]; BINS_PER_DECADE * DECADES],
            bounds: (0..BINS_PER_DECADE * DECADES)
                .map(|i| 10f64.powf(i as f64 / BINS_PER_DECADE as f64).round() as i64)
                .collect(),
            hours: [[0; 2]; 24],
            roles: [0; 6],
            kinds,
            days: w.days,
            festival_days,
            red_packets: [0; 2],
            per_day_kind: [0; 2],
            accounts: n as u64,
            cities: w.cfg.population.cities,
            evasion: w.evasion,
            start: w.start.to_string(),
        }
    }

    /// Empty counts to fill from any thread and [`merge`](Self::merge) here.
    pub fn counts(&self) -> Counts {
        Counts {
            channels: [[0; 2]; 5],
            amounts: vec![[0; 2]; self.amounts.len()],
            bounds: self.bounds.clone(),
            hours: [[0; 2]; 24],
            red_packets: [0; 2],
            per_day_kind: [0; 2],
        }
    }

    /// Adds counts filled elsewhere.
    pub fn merge(&mut self, c: &Counts) {
        let add = |a: &mut [u64; 2], b: &[u64; 2]| {
            a[0] += b[0];
            a[1] += b[1];
        };
        self.channels.iter_mut().zip(&c.channels).for_each(|(a, b)| add(a, b));
        self.amounts.iter_mut().zip(&c.amounts).for_each(|(a, b)| add(a, b));
        self.hours.iter_mut().zip(&c.hours).for_each(|(a, b)| add(a, b));
        add(&mut self.red_packets, &c.red_packets);
        add(&mut self.per_day_kind, &c.per_day_kind);
    }

    /// The accounts among the parties of `events`, to count with
    /// [`add_parties`](Self::add_parties); found on any thread.
    pub fn parties_of(&self, events: &[Event]) -> Parties {
        let ranges = self.received.len().div_ceil(1 << RANGE_SHIFT);
        let range = |p: u32| (p >> RANGE_SHIFT) as usize;
        let mut offsets = vec![0u32; ranges + 1];
        let mut crypto = Vec::new();
        for e in events {
            if e.payee & EXT == 0
                && let Some(n) = offsets.get_mut(range(e.payee) + 1)
            {
                *n += 1;
            }
            if e.crypto {
                crypto.extend([e.payer, e.payee].into_iter().filter(|p| p & EXT == 0));
            }
        }
        for r in 1..offsets.len() {
            offsets[r] += offsets[r - 1];
        }
        let mut fill = offsets.clone();
        let mut received = vec![0u32; offsets.last().copied().unwrap_or(0) as usize];
        for e in events.iter().filter(|e| e.payee & EXT == 0) {
            if let Some(at) = fill.get_mut(range(e.payee)) {
                if let Some(x) = received.get_mut(*at as usize) {
                    *x = e.payee;
                }
                *at += 1;
            }
        }
        Parties { offsets, received, crypto }
    }

    /// Counts the parties found by [`parties_of`](Self::parties_of): in parallel over ranges
    /// of accounts, each range's counters staying in a core's cache (sums, so the result
    /// does not depend on the threads).
    pub fn add_parties(&mut self, all: &[Parties]) {
        self.received.par_chunks_mut(1 << RANGE_SHIFT).enumerate().for_each(|(r, counters)| {
            let lo = r << RANGE_SHIFT;
            for p in all {
                let (Some(&a), Some(&b)) = (p.offsets.get(r), p.offsets.get(r + 1)) else { continue };
                for &i in p.received.get(a as usize..b as usize).unwrap_or(&[]) {
                    if let Some(x) = counters.get_mut(i as usize - lo) {
                        *x += 1;
                    }
                }
            }
        });
        for &i in all.iter().flat_map(|p| &p.crypto) {
            if let Some(x) = self.crypto_of.get_mut(i as usize) {
                *x += 1;
            }
        }
    }

    /// The labelled role of every account.
    pub fn roles(&self, w: &World) -> Vec<Role> {
        w.accts.iter().zip(&self.crypto_of).map(|(a, &n)| crate::label_role(a.role, n)).collect()
    }

    /// Records the role counts.
    pub fn finish_roles(&mut self, roles: &[Role]) {
        self.roles = [0; 6];
        for r in roles {
            self.roles[*r as usize] += 1;
        }
    }

    /// Crypto-related transactions.
    pub fn crypto_transactions(&self) -> u64 {
        self.channels.iter().map(|c| c[1]).sum()
    }

    /// All transactions.
    pub fn transactions(&self) -> u64 {
        self.channels.iter().map(|c| c[0] + c[1]).sum()
    }

    /// Share of transactions that are red packets.
    pub fn red_packet_share(&self) -> f64 {
        let rp: u64 = self.red_packets.iter().sum();
        rp as f64 / self.transactions().max(1) as f64
    }

    /// Local hour with the most ordinary transactions.
    pub fn peak_hour(&self) -> usize {
        (0..24).max_by_key(|&h| self.hours[h][0]).unwrap_or(0)
    }

    /// Accounts that received from at least `k` payments, for k = 1, 2, 4, 8, ...
    pub fn in_degree_tail(&self) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut k = 1u32;
        loop {
            let n = self.received.iter().filter(|&&r| r >= k).count() as u64;
            out.push((k, n));
            if n == 0 || k > 1 << 20 {
                break;
            }
            k *= 2;
        }
        out
    }

    /// Payments received per account, highest first (top `n`).
    pub fn top_receivers(&self, n: usize) -> Vec<u32> {
        let mut v = self.received.clone();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v.truncate(n);
        v
    }

    /// A text summary.
    pub fn text(&self) -> String {
        let total = self.transactions();
        let pct = |x: u64| 100.0 * x as f64 / total.max(1) as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "world: {} accounts (personal {} · merchant {} · enterprise {}) in {} cities; {} days from {} (China time); evasion {}",
            self.accounts,
            self.kinds[0],
            self.kinds[1],
            self.kinds[2],
            self.cities,
            self.days,
            self.start,
            self.evasion
        );
        let _ = writeln!(
            s,
            "transactions: {} ({} crypto-related, {:.2}%)",
            total,
            self.crypto_transactions(),
            pct(self.crypto_transactions())
        );
        let ch: Vec<String> = Channel::ALL
            .iter()
            .map(|c| {
                format!("{c} {:.1}%", pct(self.channels[*c as usize][0] + self.channels[*c as usize][1]))
            })
            .collect();
        let _ = writeln!(s, "channels: {}", ch.join(" · "));
        let roles: Vec<String> =
            Role::ALL.iter().map(|r| format!("{r} {}", self.roles[*r as usize])).collect();
        let _ = writeln!(s, "roles: {}", roles.join(" · "));
        let crypto_night: u64 = (0..6).map(|h| self.hours[h][1]).sum();
        let normal_night: u64 = (0..6).map(|h| self.hours[h][0]).sum();
        let normal_all: u64 = self.hours.iter().map(|h| h[0]).sum();
        let _ = writeln!(
            s,
            "hours (local): ordinary peak {:02}:00; night (00-06) share ordinary {:.1}%, crypto {:.1}%",
            self.peak_hour(),
            100.0 * normal_night as f64 / normal_all.max(1) as f64,
            100.0 * crypto_night as f64 / self.crypto_transactions().max(1) as f64
        );
        let _ = writeln!(
            s,
            "red packets: {:.1}% of transactions; {} Spring Festival day(s)",
            100.0 * self.red_packet_share(),
            self.festival_days
        );
        let tail: Vec<String> = self.in_degree_tail().iter().map(|(k, n)| format!(">={k}: {n}")).collect();
        let _ = writeln!(s, "accounts by payments received: {}", tail.join(", "));
        s
    }

    /// An HTML page with SVG charts.
    pub fn html(&self) -> String {
        let mut h = String::from(
            "<!doctype html><meta charset=utf-8><title>Sluice simulation report</title>\
             <style>body{font:14px system-ui,sans-serif;margin:2em;max-width:980px}svg{background:#fafafa;margin:0.5em 0}\
             .n{fill:#4a7bd0}.c{fill:#d9534f}pre{background:#f4f4f4;padding:1em}</style><h1>Sluice simulation report</h1>",
        );
        let _ = write!(h, "<pre>{}</pre>", escape(&self.text()));
        let labels: Vec<String> = (0..self.amounts.len())
            .map(|i| {
                let v = 10f64.powf(i as f64 / BINS_PER_DECADE as f64 - 2.0);
                if i % BINS_PER_DECADE == 0 { format!("{v}") } else { String::new() }
            })
            .collect();
        h += &bars("Amounts (CNY, log bins; share of each group)", &labels, &normalise(&self.amounts));
        let hl: Vec<String> = (0..24).map(|i| format!("{i:02}")).collect();
        h += &bars("Hour of day (China time; share of each group)", &hl, &normalise(&self.hours));
        let tail = self.in_degree_tail();
        let tl: Vec<String> = tail.iter().map(|(k, _)| format!("≥{k}")).collect();
        let tv: Vec<[f64; 2]> = tail.iter().map(|(_, n)| [(*n as f64 + 1.0).log10(), 0.0]).collect();
        h += &bars("Accounts by payments received (log10 of count)", &tl, &tv);
        let rl: Vec<String> = Role::ALL.iter().map(|r| r.to_string()).collect();
        let rv: Vec<[f64; 2]> =
            Role::ALL.iter().map(|r| [(self.roles[*r as usize] as f64 + 1.0).log10(), 0.0]).collect();
        h += &bars("Accounts per role (log10)", &rl, &rv);
        h += "<p><span style=color:#4a7bd0>■</span> ordinary &nbsp; <span style=color:#d9534f>■</span> crypto-related</p>";
        h
    }
}

/// The per-payment part of [`Stats`] for some of the payments: filled on any thread,
/// merged with [`Stats::merge`]. Sums, so the result does not depend on how payments were
/// split among threads.
#[derive(Debug, Clone)]
pub struct Counts {
    channels: [[u64; 2]; 5],
    amounts: Vec<[u64; 2]>,
    bounds: Vec<i64>,
    hours: [[u64; 2]; 24],
    red_packets: [u64; 2],
    per_day_kind: [u64; 2],
}

impl Counts {
    /// Counts one emitted transaction of `day`.
    pub fn add(&mut self, day: &Day, e: &Event) {
        let c = usize::from(e.crypto);
        if let Some(x) = self.channels.get_mut(e.channel as usize) {
            x[c] += 1;
        }
        // Bin boundaries in fen (bin i starts at 10^(i/4) fen), computed once: a comparison
        // search instead of a log10 per payment.
        let last = self.amounts.len().saturating_sub(1);
        let bin = self.bounds.partition_point(|&b| b <= e.amount).saturating_sub(1).min(last);
        if let Some(x) = self.amounts.get_mut(bin) {
            x[c] += 1;
        }
        let hour = ((e.ts - day.start_micros).rem_euclid(86_400_000_000) / 3_600_000_000) as usize;
        self.hours[hour.min(23)][c] += 1;
        let f = usize::from(!day.spring_festival);
        self.per_day_kind[f] += 1;
        if e.channel == Channel::RedPacket {
            self.red_packets[f] += 1;
        }
    }
}

/// Accounts per range in [`Parties`]: a range's counters (128 KB) stay in a core's L2
/// cache while they are counted.
const RANGE_SHIFT: u32 = 15;

/// The accounts among the parties of some payments, sorted by range of accounts
/// ([`Stats::parties_of`]).
#[derive(Debug, Clone)]
pub struct Parties {
    /// Payees of range `r` are `received[offsets[r]..offsets[r + 1]]`.
    offsets: Vec<u32>,
    received: Vec<u32>,
    /// Both parties of each crypto-related payment (few).
    crypto: Vec<u32>,
}

fn normalise<const N: usize>(v: &[[u64; N]]) -> Vec<[f64; 2]> {
    let tot = |k: usize| v.iter().map(|x| x.get(k).copied().unwrap_or(0)).sum::<u64>().max(1) as f64;
    let (a, b) = (tot(0), tot(1));
    v.iter()
        .map(|x| [x.first().copied().unwrap_or(0) as f64 / a, x.get(1).copied().unwrap_or(0) as f64 / b])
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A grouped bar chart: two series per label.
fn bars(title: &str, labels: &[String], values: &[[f64; 2]]) -> String {
    let (wdt, hgt, pad) = (940.0, 220.0, 30.0);
    let max = values.iter().flat_map(|v| v.iter()).copied().fold(0.0f64, f64::max).max(1e-12);
    let bw = (wdt - 2.0 * pad) / values.len().max(1) as f64;
    let mut s = format!(
        "<h3>{}</h3><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{wdt}\" height=\"{}\" role=\"img\" aria-label=\"{}\">",
        escape(title),
        hgt + 40.0,
        escape(title)
    );
    for (i, v) in values.iter().enumerate() {
        let x = pad + i as f64 * bw;
        for (k, class) in [(0, "n"), (1, "c")] {
            let hh = v[k] / max * hgt;
            if hh > 0.0 {
                let _ = write!(
                    s,
                    "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                    x + k as f64 * bw / 2.0,
                    pad + hgt - hh - 10.0,
                    (bw / 2.0 - 1.0).max(1.0),
                    hh
                );
            }
        }
        if let Some(l) = labels.get(i).filter(|l| !l.is_empty()) {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text>",
                x,
                hgt + 35.0,
                escape(l)
            );
        }
    }
    s + "</svg>"
}
