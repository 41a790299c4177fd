//! The crypto operations on one day: OTC merchants selling and buying USDT for CNY,
//! exchange agents collecting deposits, "blockchain project" scams collecting from victims,
//! and the mules that layer the proceeds out to bank cards. How much they hide follows the
//! evasion level: memos, amount pegging, splitting, hours, pass-through delay, rotation,
//! camouflage and how buyers are found.
//!
//! What every operation shows whatever the level — because the business requires it —
//! is what detection should rely on: strangers paying (or being paid by) the same few
//! accounts, money moving on soon after it arrives, and several accounts sharing devices.

use crate::event::Event;
use crate::names::MemoGroup;
use crate::normal::{DayCtx, popular};
use crate::rng::{Draw, SimRng, mix, stream};
use crate::world::{Behaviour, CATEGORIES, OpKind, Operation, World, card};
use sluice_core::{AccountKind, Channel};

/// What operations remember from day to day.
pub struct CryptoState {
    /// Customers each operation has already traded with.
    past: Vec<Vec<u32>>,
    /// Next fresh customer of each operation.
    cursor: Vec<usize>,
    /// Round-robin position over each operation's mules.
    mule_turn: Vec<usize>,
}

impl CryptoState {
    /// Nothing remembered yet.
    pub fn new(w: &World) -> Self {
        let n = w.operations.len();
        CryptoState { past: vec![Vec::new(); n], cursor: vec![0; n], mule_turn: vec![0; n] }
    }
}

struct OpDay<'a, 'w> {
    ctx: &'a DayCtx<'w>,
    op: &'a Operation,
    i: usize,
    ev: usize,
    rng: SimRng,
}

impl OpDay<'_, '_> {
    fn w(&self) -> &World {
        self.ctx.w
    }

    /// Seconds after local midnight for crypto activity: daytime only as evasion asks.
    fn secs(&mut self) -> f64 {
        let day_share = self.w().cfg.evasion.daytime_share[self.ev];
        if self.rng.chance(day_share) {
            self.ctx.secs_between(&mut self.rng, 9.0, 22.0)
        } else {
            self.rng.unit() * 86_400.0
        }
    }

    fn memo(&mut self, group: MemoGroup) -> u16 {
        let e = &self.w().cfg.evasion;
        let (c, b) = (e.crypto_memo_share[self.ev], e.benign_memo_share[self.ev]);
        let u = self.rng.unit();
        let h = mix(self.rng.bits());
        if u < c {
            self.ctx.memos.of(group, h)
        } else if u < c + b {
            self.ctx.memos.of(MemoGroup::Benign, h)
        } else {
            0
        }
    }

    fn jitter(&mut self, fen: i64) -> i64 {
        let j = self.w().cfg.evasion.amount_jitter[self.ev];
        if j <= 0.0 {
            return fen;
        }
        let v = fen as f64 * (1.0 + j * (2.0 * self.rng.unit() - 1.0));
        // Jittered amounts are whole yuan: they are typed by hand.
        ((v / 100.0).round() as i64).max(1) * 100
    }

    fn split(&mut self, fen: i64) -> Vec<i64> {
        if fen < 20_000 || !self.rng.chance(self.w().cfg.evasion.split_share[self.ev]) {
            return vec![fen];
        }
        let parts = self.rng.between([2, 3]) as i64;
        let mut left = fen;
        let mut v = Vec::new();
        for k in (1..parts).rev() {
            let share =
                ((left as f64 / (k + 1) as f64) * (0.6 + 0.8 * self.rng.unit()) / 100.0).round() as i64 * 100;
            let share = share.clamp(100, left - 100 * k);
            v.push(share);
            left -= share;
        }
        v.push(left);
        v
    }

    fn delay(&mut self) -> f64 {
        let r = self.w().cfg.evasion.pass_through_minutes[self.ev];
        f64::from(self.rng.between(r)) * 60.0 + self.rng.unit() * 60.0
    }

    fn device(&mut self) -> u32 {
        let d = &self.op.devices;
        d.get(self.rng.index(d.len())).copied().unwrap_or(0)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per field of the event; a builder would only rename them"
    )]
    fn event(
        &self,
        secs: f64,
        payer: u32,
        payee: u32,
        amount: i64,
        channel: Channel,
        memo: u16,
        device: u32,
    ) -> Event {
        Event {
            ts: self.ctx.day.at(secs),
            amount: amount.max(1),
            payer,
            payee,
            device,
            memo,
            channel,
            crypto: true,
        }
    }

    /// A customer: a returning one, a friend of one (recruited socially), or a new one.
    fn customer(&mut self, st: &mut CryptoState) -> Option<u32> {
        let cfg = &self.ctx.w.cfg;
        let past = &st.past[self.i];
        if !past.is_empty() && self.rng.chance(cfg.crypto.repeat_buyer_share) {
            return past.get(self.rng.index(past.len())).copied();
        }
        if !past.is_empty() && self.rng.chance(cfg.evasion.social_buyer_share[self.ev]) {
            let via = past[self.rng.index(past.len())];
            let w = self.ctx.w;
            let cs = w.circles_of.get(via);
            if !cs.is_empty() {
                let members = w.circles.get(cs[self.rng.index(cs.len())]);
                if let Some(&m) = members.get(self.rng.index(members.len()))
                    && w.accts[m as usize].behaviour != Behaviour::Operator
                    && m != via
                {
                    st.past[self.i].push(m);
                    return Some(m);
                }
            }
        }
        let list = &self.op.customers;
        if list.is_empty() {
            return None;
        }
        let c = list[st.cursor[self.i] % list.len()];
        st.cursor[self.i] += 1;
        st.past[self.i].push(c);
        Some(c)
    }

    /// Moves `amount` received by `from` at `t` onwards: to a mule, which layers it on, or
    /// straight out to the operator's bank card.
    fn pass_through(&mut self, st: &mut CryptoState, from: u32, amount: i64, t: f64, out: &mut Vec<Event>) {
        let t1 = t + self.delay();
        let kept = (amount as f64 * (0.96 + 0.04 * self.rng.unit())) as i64;
        let mules = &self.op.mules;
        if mules.is_empty() || !self.rng.chance(0.7) {
            let dev = self.device();
            out.push(self.event(t1, from, card(from, 1), kept, Channel::Withdrawal, 0, dev));
            return;
        }
        let turn = st.mule_turn[self.i];
        st.mule_turn[self.i] += 1;
        let mule = mules[turn % mules.len()];
        let dev = self.device();
        let memo = if self.ev == 0 { 0 } else { self.memo(MemoGroup::Benign) };
        out.push(self.event(t1, from, mule, kept, Channel::P2p, memo, dev));
        // The mule passes it on: sometimes through a second mule, then to a bank card.
        let t2 = t1 + self.delay();
        let mule_dev = if self.rng.chance([1.0, 0.9, 0.7, 0.5][self.ev]) {
            self.device()
        } else {
            self.w().accts[mule as usize].device
        };
        if mules.len() > 1 && self.rng.chance(0.3) {
            let next = mules[(turn + 1) % mules.len()];
            out.push(self.event(t2, mule, next, kept, Channel::P2p, 0, mule_dev));
            let t3 = t2 + self.delay();
            out.push(self.event(t3, next, card(next, 0), kept, Channel::Withdrawal, 0, mule_dev));
        } else {
            out.push(self.event(t2, mule, card(mule, 0), kept, Channel::Withdrawal, 0, mule_dev));
        }
    }

    /// Everyday payments on an operator account, to look like a person.
    fn camouflage(&mut self, acct: u32, out: &mut Vec<Event>) {
        let rate = self.w().cfg.evasion.camouflage_per_day[self.ev];
        for _ in 0..self.rng.poisson(rate) {
            let city = self.op.city;
            let w = self.ctx.w;
            let Some(m) = popular(
                &mut self.rng,
                w.merchants_by_city.get(usize::from(city)).map_or(&[], |v| v.as_slice()),
            ) else {
                return;
            };
            let (_, median, sigma, _) =
                CATEGORIES[usize::from(w.accts[m as usize].category).min(CATEGORIES.len() - 1)];
            let amount = (self.rng.lognormal(median, sigma) * 100.0).round() as i64;
            let t = self.ctx.secs(&mut self.rng, 0);
            let device = w.accts[acct as usize].device;
            out.push(Event {
                ts: self.ctx.day.at(t),
                amount: amount.max(100),
                payer: acct,
                payee: m,
                device,
                memo: 0,
                channel: Channel::Merchant,
                crypto: false,
            });
        }
    }
}

/// All crypto activity of one day.
pub fn crypto_day(ctx: &DayCtx<'_>, st: &mut CryptoState, out: &mut Vec<Event>) {
    let w = ctx.w;
    let d = ctx.day.index as i32;
    for (i, op) in w.operations.iter().enumerate() {
        let mut od =
            OpDay { ctx, op, i, ev: w.evasion, rng: stream(w.seed, 3, u64::from(ctx.day.index), i as u64) };
        match op.kind {
            OpKind::Otc => otc(&mut od, st, d, out),
            OpKind::Agent => agent(&mut od, st, d, out),
            OpKind::Scam => scam(&mut od, st, out),
        }
        for win in op.windows.iter().filter(|win| win.from <= d && d < win.to) {
            od.camouflage(win.acct, out);
        }
        for &m in &op.mules {
            od.camouflage(m, out);
        }
    }
}

fn otc(od: &mut OpDay<'_, '_>, st: &mut CryptoState, d: i32, out: &mut Vec<Event>) {
    let cfg = &od.ctx.w.cfg.crypto;
    let week = od.ctx.w.cfg.activity.weekly[od.ctx.day.weekday];
    let rate = od.ctx.w.usdt_rate.get(od.ctx.day.index as usize).copied().unwrap_or(cfg.usdt_cny);
    let sell_price = rate * (1.0 + od.op.spread);
    let buy_price = rate * (1.0 - od.op.spread / 2.0);
    for win in od.op.windows.iter().filter(|win| win.from <= d && d < win.to) {
        let acct = win.acct;
        let n = (f64::from(od.rng.between(cfg.otc_trades_per_account_day)) * week * od.op.intensity).round()
            as u32;
        let mut pending = 0i64;
        let mut buy_side = Vec::new();
        for _ in 0..n.max(1) {
            let Some(c) = od.customer(st) else { break };
            let sells_to_customer = !od.rng.chance(cfg.otc_buy_side_share);
            let price = if sells_to_customer { sell_price } else { buy_price };
            let fen = if od.rng.chance(cfg.round_cny_share) {
                i64::from(cfg.round_cny_sums[od.rng.index(cfg.round_cny_sums.len())]) * 100
            } else {
                let qty = f64::from(cfg.usdt_quantities[od.rng.index(cfg.usdt_quantities.len())]);
                let v = (qty * price * 100.0).round() as i64;
                if od.ev >= 1 { (v / 100) * 100 } else { v }
            };
            let fen = od.jitter(fen);
            let t = od.secs();
            let memo = od.memo(MemoGroup::Otc);
            let parts = od.split(fen);
            if sells_to_customer {
                let cust_dev = od.w().accts[c as usize].device;
                let mut tt = t;
                for part in parts {
                    out.push(od.event(tt, c, acct, part, Channel::P2p, memo, cust_dev));
                    pending += part;
                    tt += 60.0 + od.rng.unit() * 540.0;
                }
                // Proceeds move on in batches.
                if od.rng.chance([0.8, 0.5, 0.35, 0.25][od.ev]) {
                    let amount = std::mem::take(&mut pending);
                    od.pass_through(st, acct, amount, tt, out);
                }
            } else {
                let dev = od.device();
                let mut tt = t;
                for part in parts {
                    out.push(od.event(tt, acct, c, part, Channel::P2p, memo, dev));
                    buy_side.push((tt, part));
                    tt += 60.0 + od.rng.unit() * 540.0;
                }
            }
        }
        if pending > 0 {
            let t = 22.0 * 3600.0 + od.rng.unit() * 3600.0;
            od.pass_through(st, acct, pending, t, out);
        }
        // Paying sellers needs cash: topped up from the operator's card before the first one.
        if let Some(first) = buy_side.iter().map(|b| b.0).reduce(f64::min) {
            let total: i64 = buy_side.iter().map(|b| b.1).sum();
            let amount = ((total as f64 * 1.02) / 100.0).ceil() as i64 * 100;
            let t = first - 600.0 - od.rng.unit() * 3000.0;
            // Today's events cannot be dated before today (that day is written already);
            // an early first trade is funded shortly after midnight, never at a clamped 00:00.
            let t = if t < 0.0 { first * (0.2 + 0.6 * od.rng.unit()) } else { t };
            out.push(od.event(t, card(acct, 1), acct, amount, Channel::TopUp, 0, 0));
        }
    }
}

fn agent(od: &mut OpDay<'_, '_>, st: &mut CryptoState, d: i32, out: &mut Vec<Event>) {
    let cfg = &od.ctx.w.cfg.crypto;
    let week = od.ctx.w.cfg.activity.weekly[od.ctx.day.weekday];
    for win in od.op.windows.iter().filter(|win| win.from <= d && d < win.to) {
        let acct = win.acct;
        let channel = if od.w().accts[acct as usize].kind == AccountKind::Merchant {
            Channel::Merchant
        } else {
            Channel::P2p
        };
        let n =
            (f64::from(od.rng.between(cfg.agent_deposits_per_day)) * week * od.op.intensity).round() as u32;
        let mut pending = 0i64;
        for _ in 0..n.max(1) {
            let Some(c) = od.customer(st) else { break };
            let base = i64::from(cfg.round_cny_sums[od.rng.index(cfg.round_cny_sums.len().min(6))]) * 100;
            let fen = od.jitter(base);
            let t = od.secs();
            let memo = od.memo(MemoGroup::Deposit);
            let dev = od.w().accts[c as usize].device;
            let mut tt = t;
            for part in od.split(fen) {
                out.push(od.event(tt, c, acct, part, channel, memo, dev));
                pending += part;
                tt += 60.0 + od.rng.unit() * 300.0;
            }
            if pending > 200_000 && od.rng.chance(0.5) {
                let amount = std::mem::take(&mut pending);
                od.pass_through(st, acct, amount, tt, out);
            }
        }
        if pending > 0 {
            let t = 21.0 * 3600.0 + od.rng.unit() * 7200.0;
            od.pass_through(st, acct, pending, t, out);
        }
    }
}

fn scam(od: &mut OpDay<'_, '_>, st: &mut CryptoState, out: &mut Vec<Event>) {
    let cfg = &od.ctx.w.cfg.crypto;
    let (start, len) = od.op.campaign;
    let day = od.ctx.day.index;
    if day < start || day >= start + len || od.op.windows.is_empty() {
        return;
    }
    let collectors = &od.op.windows;
    let (lo, hi) = (cfg.scam_amount[0], cfg.scam_amount[1]);
    let median = (lo * hi).sqrt();
    let mut received = vec![0i64; collectors.len()];
    let mut last_t = vec![0.0f64; collectors.len()];
    for (j, &v) in od.op.customers.iter().enumerate() {
        // Victims pay early in the campaign more often than late (front-loaded).
        let h = mix(od.w().seed ^ ((od.i as u64) << 32) ^ j as u64);
        let u = (h % 10_000) as f64 / 10_000.0;
        let pay_day = start + (u.powf(1.6) * f64::from(len)) as u32;
        let again = (h >> 20).is_multiple_of(5) && day == pay_day + 2;
        if pay_day != day && !again {
            continue;
        }
        let k = j % collectors.len();
        let to = collectors[k].acct;
        let amount = od.rng.lognormal(median, 0.8).clamp(lo, hi);
        let fen = if od.ev < 2 {
            ((amount / 1000.0).round().max(1.0) * 1000.0 * 100.0) as i64
        } else {
            od.jitter((amount * 100.0) as i64)
        };
        let t = od.ctx.secs(&mut od.rng, 0);
        let memo = od.memo(MemoGroup::Scam);
        let channel = if od.w().accts[to as usize].kind == AccountKind::Merchant {
            Channel::Merchant
        } else {
            Channel::P2p
        };
        let dev = od.w().accts[v as usize].device;
        for part in od.split(fen) {
            out.push(od.event(t, v, to, part, channel, memo, dev));
            received[k] += part;
        }
        last_t[k] = last_t[k].max(t);
    }
    // Collectors consolidate into the hub; the hub empties through mules to bank cards.
    let hub = od.op.hub;
    for (k, &amount) in received.iter().enumerate() {
        if amount == 0 {
            continue;
        }
        let from = collectors[k].acct;
        let t = last_t[k] + od.delay();
        let dev = od.device();
        if hub != crate::world::NONE {
            out.push(od.event(t, from, hub, amount, Channel::P2p, 0, dev));
            od.pass_through(st, hub, amount, t, out);
        } else {
            od.pass_through(st, from, amount, t, out);
        }
    }
}
