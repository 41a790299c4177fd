//! Ordinary life for one shard of accounts on one day: purchases with a diurnal and weekly
//! cycle, transfers within families and circles, lucky-amount and group red packets (with a
//! Spring Festival surge), bill splitting, salaries, rent, supplier payments, top-ups and
//! withdrawals, and the legal behaviours that look like crypto operators (street vendors,
//! group-buy organisers, daigou, heavy top-up users, night workers).

use crate::calendar::Day;
use crate::event::Event;
use crate::names::{MemoGroup, Memos};
use crate::rng::{Draw, Poisson, SimRng, mix, stream};
use crate::world::{Behaviour, CATEGORIES, NONE, RESTAURANT, World, card};
use sluice_core::{AccountKind, Channel};

const LUCKY: [(i64, f64); 8] = [
    (666, 3.0),
    (888, 3.0),
    (6666, 1.5),
    (8888, 1.5),
    (18800, 0.6),
    (52000, 0.5),
    (131400, 0.2),
    (2000, 1.0),
];
const ROUND_P2P: [i64; 10] = [10, 20, 50, 100, 200, 300, 500, 1000, 2000, 5000];
const ROUND_TOPUP: [i64; 8] = [100, 200, 300, 500, 1000, 2000, 3000, 5000];

/// Shared, read-only context for generating one day.
pub struct DayCtx<'w> {
    /// The world.
    pub w: &'w World,
    /// The day.
    pub day: Day,
    /// Memo catalogue.
    pub memos: &'w Memos,
    /// Cumulative diurnal weights.
    pub diurnal_cum: [f64; 24],
}

impl<'w> DayCtx<'w> {
    /// Context for `day`.
    pub fn new(w: &'w World, day: Day, memos: &'w Memos) -> Self {
        let mut diurnal_cum = [0.0; 24];
        let mut acc = 0.0;
        for (h, c) in diurnal_cum.iter_mut().enumerate() {
            acc += w.cfg.activity.diurnal[h];
            *c = acc;
        }
        DayCtx { w, day, memos, diurnal_cum }
    }

    /// Seconds after local midnight, following the diurnal profile, shifted by `shift` hours.
    pub fn secs(&self, rng: &mut SimRng, shift: u32) -> f64 {
        let u = rng.unit() * self.diurnal_cum[23];
        let h = self.diurnal_cum.partition_point(|&c| c <= u).min(23) as u32;
        f64::from((h + shift) % 24) * 3600.0 + rng.unit() * 3600.0
    }

    /// A uniform time between two local hours.
    pub fn secs_between(&self, rng: &mut SimRng, from_h: f64, to_h: f64) -> f64 {
        (from_h + rng.unit() * (to_h - from_h)) * 3600.0
    }

    fn ev(&self, ts_secs: f64, payer: u32, payee: u32, amount: i64, channel: Channel, memo: u16) -> Event {
        let device = if payer & crate::world::EXT != 0 {
            0
        } else {
            self.w.hot.device.get(payer as usize).copied().unwrap_or(0)
        };
        Event {
            ts: self.day.at(ts_secs),
            amount: amount.max(1),
            payer,
            payee,
            device,
            memo,
            channel,
            crypto: false,
        }
    }
}

/// Skewed choice in `list` (a few items are popular).
pub fn popular(rng: &mut SimRng, list: &[u32]) -> Option<u32> {
    if list.is_empty() {
        return None;
    }
    // u^2.25 without `powf`: a few popular items, a long tail.
    let u = rng.unit();
    let pos = ((list.len() as f64) * u * u * u.sqrt().sqrt()) as usize;
    list.get(pos.min(list.len() - 1)).copied()
}

fn round_fen(yuan: f64) -> i64 {
    (yuan * 100.0).round() as i64
}

/// A shop price: often whole yuan or ending in .5/.8/.9.
fn shop_price(rng: &mut SimRng, yuan: f64) -> i64 {
    let y = yuan.max(1.0);
    match rng.index(4) {
        0 => round_fen(y.round()),
        1 => round_fen(y.floor() + [0.5, 0.8, 0.9][rng.index(3)]),
        _ => round_fen(y),
    }
}

fn pick_friend(ctx: &DayCtx<'_>, rng: &mut SimRng, p: u32) -> Option<u32> {
    let w = ctx.w;
    let a = w.accts.get(p as usize)?;
    if a.family != NONE && rng.chance(0.35) {
        let fam = w.families.get(a.family);
        if fam.len() > 1 {
            let f = fam[rng.index(fam.len())];
            if f != p {
                return Some(f);
            }
        }
    }
    let cs = w.circles_of.get(p);
    if cs.is_empty() {
        return None;
    }
    let members = w.circles.get(cs[rng.index(cs.len())]);
    let f = *members.get(rng.index(members.len()))?;
    (f != p).then_some(f)
}

fn pick_merchant(ctx: &DayCtx<'_>, rng: &mut SimRng, city: u16) -> Option<u32> {
    let w = ctx.w;
    if rng.chance(w.cfg.activity.online_share) {
        popular(rng, &w.online_merchants)
    } else {
        popular(rng, w.merchants_by_city.get(usize::from(city)).map_or(&[], |v| v.as_slice()))
            .or_else(|| popular(rng, &w.online_merchants))
    }
}

fn stranger_in_city(ctx: &DayCtx<'_>, rng: &mut SimRng, city: u16, not: u32) -> Option<u32> {
    let list = ctx.w.persons_by_city.get(usize::from(city))?;
    let p = *list.get(rng.index(list.len()))?;
    (p != not && !ctx.w.hot.operator(p)).then_some(p)
}

fn anyone(ctx: &DayCtx<'_>, rng: &mut SimRng, not: u32) -> Option<u32> {
    let p = *ctx.w.persons.get(rng.index(ctx.w.persons.len()))?;
    (p != not && !ctx.w.hot.operator(p)).then_some(p)
}

/// Ordinary life of accounts `lo..hi` and of circles `c` with `c % shards == shard`.
pub fn shard_day(ctx: &DayCtx<'_>, shard: u32, shards: u32, lo: u32, hi: u32, out: &mut Vec<Event>) {
    let w = ctx.w;
    let cfg = &w.cfg;
    let mut rng = stream(w.seed, 2, u64::from(ctx.day.index), u64::from(shard));
    let week = cfg.activity.weekly[ctx.day.weekday];
    let sf = if ctx.day.spring_festival { cfg.activity.spring_festival_red_packet_boost } else { 1.0 };
    let month = ctx.day.date.month;
    let dom = ctx.day.date.day;
    let topups = Poisson::new(cfg.activity.top_up_per_day);
    let withdrawals = Poisson::new(cfg.activity.withdrawal_per_day);

    for p in lo..hi.min(w.regular) {
        let a = &w.accts[p as usize];
        match a.kind {
            AccountKind::Personal => {
                if a.behaviour == Behaviour::Operator {
                    continue;
                }
                let act = f64::from(a.activity) * week;
                let shift = if a.behaviour == Behaviour::NightWorker { 12 } else { 0 };
                // Purchases, some split with friends afterwards.
                for _ in 0..rng.poisson(cfg.activity.purchases_per_day * act) {
                    let Some(m) = pick_merchant(ctx, &mut rng, a.city) else { break };
                    let cat = w.hot.category(m);
                    let (_, median, sigma, _) = CATEGORIES[usize::from(cat).min(CATEGORIES.len() - 1)];
                    let yuan = rng.lognormal(median, sigma).min(20_000.0);
                    let amount = shop_price(&mut rng, yuan);
                    let t = ctx.secs(&mut rng, shift);
                    out.push(ctx.ev(t, p, m, amount, Channel::Merchant, 0));
                    if cat == RESTAURANT && rng.chance(cfg.activity.bill_split_share) {
                        let k = rng.between(cfg.activity.bill_split_friends);
                        let share = amount / i64::from(k + 1);
                        for _ in 0..k {
                            if let Some(f) = pick_friend(ctx, &mut rng, p) {
                                let memo = if rng.chance(0.6) {
                                    ctx.memos.of(MemoGroup::Everyday, [0, 4][rng.index(2)])
                                } else {
                                    0
                                };
                                out.push(ctx.ev(
                                    t + 300.0 + rng.unit() * 10_000.0,
                                    f,
                                    p,
                                    share,
                                    Channel::P2p,
                                    memo,
                                ));
                            }
                        }
                    }
                }
                // Transfers to family and friends.
                for _ in 0..rng.poisson(cfg.activity.p2p_per_day * act) {
                    let Some(f) = pick_friend(ctx, &mut rng, p) else { break };
                    let amount = if rng.chance(cfg.activity.p2p_round_share) {
                        ROUND_P2P[rng.index(ROUND_P2P.len())] * 100
                    } else {
                        round_fen(rng.lognormal(120.0, 1.1).min(50_000.0))
                    };
                    let memo =
                        if rng.chance(0.3) { ctx.memos.of(MemoGroup::Everyday, mix(rng.bits())) } else { 0 };
                    out.push(ctx.ev(ctx.secs(&mut rng, shift), p, f, amount, Channel::P2p, memo));
                }
                // Lucky-amount red packets.
                for _ in 0..rng.poisson(cfg.activity.red_packet_per_day * sf * act.sqrt()) {
                    let Some(f) = pick_friend(ctx, &mut rng, p) else { break };
                    let total: f64 = LUCKY.iter().map(|l| l.1).sum();
                    let mut u = rng.unit() * total;
                    let mut amount = LUCKY[0].0;
                    for (v, wgt) in LUCKY {
                        if u < wgt {
                            amount = v;
                            break;
                        }
                        u -= wgt;
                    }
                    let memo =
                        if rng.chance(0.4) { ctx.memos.of(MemoGroup::RedPacket, mix(rng.bits())) } else { 0 };
                    out.push(ctx.ev(ctx.secs(&mut rng, shift), p, f, amount, Channel::RedPacket, memo));
                }
                // Rent on the rent day.
                if a.landlord != NONE && a.pay_day == dom {
                    let memo = if rng.chance(0.5) { ctx.memos.rent(month) } else { 0 };
                    out.push(ctx.ev(
                        ctx.secs_between(&mut rng, 8.0, 23.0),
                        p,
                        a.landlord,
                        i64::from(a.rent) * 100,
                        Channel::P2p,
                        memo,
                    ));
                }
                // Bank cards.
                let (topup, wd, big) = if a.behaviour == Behaviour::HeavyTopUp {
                    let r = f64::from(rng.between(cfg.lookalikes.heavy_topup_per_day));
                    (Poisson::new(r), Poisson::new(r * 0.8), 6)
                } else {
                    (topups, withdrawals, 1)
                };
                for _ in 0..topup.sample(&mut rng) {
                    let amount = ROUND_TOPUP[rng.index(ROUND_TOPUP.len())] * 100 * big;
                    out.push(ctx.ev(
                        ctx.secs(&mut rng, shift),
                        card(p, rng.index(2) as u32),
                        p,
                        amount,
                        Channel::TopUp,
                        0,
                    ));
                }
                for _ in 0..wd.sample(&mut rng) {
                    let amount = if rng.chance(0.5) {
                        ROUND_TOPUP[rng.index(ROUND_TOPUP.len())] * 100 * big
                    } else {
                        round_fen(rng.lognormal(800.0, 1.0) * big as f64)
                    };
                    out.push(ctx.ev(
                        ctx.secs(&mut rng, shift),
                        p,
                        card(p, 0),
                        amount,
                        Channel::Withdrawal,
                        0,
                    ));
                }
                lookalike(ctx, &mut rng, p, week, out);
            }
            AccountKind::Merchant => {
                if a.behaviour == Behaviour::Operator {
                    continue;
                }
                if rng.chance(cfg.activity.merchant_withdrawal_per_day) {
                    let amount = round_fen(rng.lognormal(2_500.0, 1.1) * f64::from(a.activity));
                    out.push(ctx.ev(
                        ctx.secs_between(&mut rng, 20.0, 24.0),
                        p,
                        card(p, 0),
                        amount,
                        Channel::Withdrawal,
                        0,
                    ));
                }
                if rng.chance(0.15) {
                    // Restocking paid to a supplier enterprise.
                    if let Some(e) = popular(&mut rng, &w.enterprises) {
                        let memo = if rng.chance(0.5) { ctx.memos.of(MemoGroup::Benign, 0) } else { 0 };
                        out.push(ctx.ev(
                            ctx.secs_between(&mut rng, 9.0, 18.0),
                            p,
                            e,
                            round_fen(rng.lognormal(3_000.0, 0.9)),
                            Channel::P2p,
                            memo,
                        ));
                    }
                }
            }
            AccountKind::Enterprise => {
                if a.pay_day == dom {
                    let t0 = ctx.secs_between(&mut rng, 9.0, 11.0);
                    for (k, &e) in w.employees.get(p).iter().enumerate() {
                        let emp = &w.accts[e as usize];
                        if emp.behaviour == Behaviour::Operator {
                            continue;
                        }
                        let salary = f64::from(emp.salary) * (1.0 + 0.03 * rng.normal());
                        let memo = ctx
                            .memos
                            .of(MemoGroup::Salary, if rng.chance(0.9) { 0 } else { 1 + rng.index(3) as u64 });
                        out.push(ctx.ev(
                            t0 + k as f64 * 0.8,
                            p,
                            e,
                            round_fen(salary.round()),
                            Channel::P2p,
                            memo,
                        ));
                    }
                }
                for _ in 0..rng.poisson(cfg.activity.supplier_payment_per_day * f64::from(a.activity) * week)
                {
                    let to = if rng.chance(0.5) {
                        popular(&mut rng, &w.enterprises)
                    } else {
                        pick_merchant(ctx, &mut rng, a.city)
                    };
                    let Some(to) = to.filter(|&t| t != p) else { continue };
                    let channel = if w.accts[to as usize].kind == AccountKind::Merchant {
                        Channel::Merchant
                    } else {
                        Channel::P2p
                    };
                    let memo = if rng.chance(0.5) { ctx.memos.of(MemoGroup::Benign, 0) } else { 0 };
                    out.push(ctx.ev(
                        ctx.secs_between(&mut rng, 9.0, 18.0),
                        p,
                        to,
                        round_fen(rng.lognormal(15_000.0, 1.0)),
                        channel,
                        memo,
                    ));
                }
                if rng.chance(0.3) {
                    let payroll: u64 =
                        w.employees.get(p).iter().map(|&e| u64::from(w.accts[e as usize].salary)).sum();
                    let amount = (payroll as f64 / 10.0).max(10_000.0) * (0.5 + rng.unit());
                    out.push(ctx.ev(
                        ctx.secs_between(&mut rng, 9.0, 17.0),
                        card(p, 0),
                        p,
                        round_fen(amount.round()),
                        Channel::TopUp,
                        0,
                    ));
                }
            }
        }
    }

    // Group red packets in circles: one sender, several grabbers, random shares.
    let mut c = shard;
    while (c as usize) < w.circles.len() {
        let members = w.circles.get(c);
        if members.len() >= 3 && rng.chance(cfg.activity.group_red_packet_per_circle_day * sf * week) {
            let sender = members[rng.index(members.len())];
            if !w.hot.operator(sender) {
                let grabbers =
                    rng.between(cfg.activity.group_red_packet_grabbers).min(members.len() as u32 - 1);
                let total = [2000i64, 5000, 6600, 8800, 10_000, 20_000, 16_800][rng.index(7)]
                    * if ctx.day.spring_festival { 2 } else { 1 };
                let t = ctx.secs(&mut rng, 0);
                let mut left = total;
                let mut taken = 0;
                let mut tries = 0;
                while taken < grabbers && tries < grabbers * 3 {
                    tries += 1;
                    let g = members[rng.index(members.len())];
                    if g == sender {
                        continue;
                    }
                    let remaining = i64::from(grabbers - taken);
                    // WeChat's "lucky draw": each share is random, at most twice the mean left.
                    let share = if remaining == 1 {
                        left
                    } else {
                        ((left as f64 / remaining as f64) * 2.0 * rng.unit()).max(1.0) as i64
                    };
                    let share = share.min(left - (remaining - 1)).max(1);
                    left -= share;
                    taken += 1;
                    let memo = if rng.chance(0.5) {
                        ctx.memos.of(MemoGroup::RedPacket, rng.index(4) as u64)
                    } else {
                        0
                    };
                    out.push(ctx.ev(t + rng.unit() * 600.0, sender, g, share, Channel::RedPacket, memo));
                }
            }
        }
        c += shards;
    }
}

/// Legal behaviours that resemble crypto operators.
fn lookalike(ctx: &DayCtx<'_>, rng: &mut SimRng, p: u32, week: f64, out: &mut Vec<Event>) {
    let w = ctx.w;
    let l = &w.cfg.lookalikes;
    let a = &w.accts[p as usize];
    match a.behaviour {
        Behaviour::StreetVendor => {
            // Many small payments from strangers at meal times; takings withdrawn.
            let n = (f64::from(rng.between(l.street_vendor_sales_per_day)) * week) as u32;
            let mut takings = 0;
            for _ in 0..n {
                let Some(buyer) = stranger_in_city(ctx, rng, a.city, p) else { continue };
                let h = [7.0, 11.5, 17.5][rng.index(3)];
                let amount = (rng.lognormal(12.0, 0.6).clamp(2.0, 200.0) * 2.0).round() as i64 * 50;
                takings += amount;
                out.push(ctx.ev(ctx.secs_between(rng, h, h + 2.5), buyer, p, amount, Channel::P2p, 0));
            }
            if takings > 0 && rng.chance(0.5) {
                out.push(ctx.ev(
                    ctx.secs_between(rng, 21.0, 23.5),
                    p,
                    card(p, 0),
                    takings,
                    Channel::Withdrawal,
                    0,
                ));
            }
        }
        Behaviour::GroupBuy => {
            // A round: neighbours (a fixed set around the organiser) pay for their share,
            // then the organiser pays the supplier.
            let rounds = f64::from(rng.between(l.group_buy_rounds_per_week));
            if !rng.chance(rounds / 7.0) {
                return;
            }
            let Some(neigh) = w.persons_by_city.get(usize::from(a.city)) else { return };
            if neigh.is_empty() {
                return;
            }
            let start = ctx.secs_between(rng, 9.0, 20.0);
            let price = [1990i64, 2990, 3990, 4990, 5980, 8800][rng.index(6)];
            let mut total = 0;
            for _ in 0..rng.between(l.group_buy_participants) {
                let j = mix(u64::from(p) ^ (rng.index(120) as u64)) as usize;
                let buyer = neigh[j % neigh.len()];
                if buyer == p || w.hot.operator(buyer) {
                    continue;
                }
                let qty = rng.between([1, 3]) as i64;
                total += price * qty;
                let memo = if rng.chance(0.6) { ctx.memos.of(MemoGroup::GroupBuy, qty as u64) } else { 0 };
                out.push(ctx.ev(
                    start + rng.unit() * 4.0 * 3600.0,
                    buyer,
                    p,
                    price * qty,
                    Channel::P2p,
                    memo,
                ));
            }
            let supplier = w
                .merchants_by_city
                .get(usize::from(a.city))
                .and_then(|m| m.get((mix(u64::from(p)) as usize) % m.len().max(1)).copied());
            if let Some(s) = supplier.filter(|_| total > 0) {
                let pay = (total as f64 * (0.85 + 0.1 * rng.unit())) as i64;
                out.push(ctx.ev(
                    start + 4.0 * 3600.0 + rng.unit() * 20.0 * 3600.0,
                    p,
                    s,
                    pay,
                    Channel::Merchant,
                    0,
                ));
            }
        }
        Behaviour::Daigou => {
            // Orders from customers nationwide; the money goes on to suppliers abroad.
            let mut received = 0;
            for _ in 0..rng.between(l.daigou_orders_per_day) {
                let Some(c) = anyone(ctx, rng, p) else { continue };
                let amount = round_fen(rng.lognormal(1_800.0, 0.9).clamp(100.0, 50_000.0).round());
                received += amount;
                let memo =
                    if rng.chance(0.4) { ctx.memos.of(MemoGroup::Daigou, mix(u64::from(c))) } else { 0 };
                out.push(ctx.ev(ctx.secs_between(rng, 9.0, 23.5), c, p, amount, Channel::P2p, memo));
            }
            if received > 0 && rng.chance(0.6) {
                let t = ctx.secs_between(rng, 10.0, 30.0);
                let amount = (received as f64 * (0.7 + 0.5 * rng.unit())) as i64;
                if rng.chance(0.5) {
                    out.push(ctx.ev(t, p, card(p, 1), amount, Channel::Withdrawal, 0));
                } else if let Some(s) = w
                    .persons
                    .get((mix(u64::from(p) ^ 7) as usize) % w.persons.len().max(1))
                    .copied()
                    .filter(|&s| s != p)
                {
                    out.push(ctx.ev(t, p, s, amount, Channel::P2p, ctx.memos.of(MemoGroup::Benign, 0)));
                }
            }
        }
        _ => {}
    }
}
