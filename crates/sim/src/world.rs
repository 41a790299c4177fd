//! The simulated platform's static structure, built once from the seed: accounts with their
//! city, family, friend circles, employer, landlord and device; legal look-alike behaviours;
//! and the plans of the crypto operations (which accounts they run on which days, their
//! mules, shared devices and customer pools).

use crate::calendar::Day;
use crate::config::SimConfig;
use crate::rng::{Draw, SimRng, stream};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use sluice_core::time::MICROS_PER_DAY;
use sluice_core::{AccountKind, CivilDate, Role};

/// "No such account".
pub const NONE: u32 = u32::MAX;
/// Marks an external party in an event's payer/payee: the rest is a bank-card code.
pub const EXT: u32 = 1 << 31;

/// A bank card owned by account `idx` (`k` = 0 or 1), as an event party.
pub fn card(idx: u32, k: u32) -> u32 {
    EXT | ((idx << 1) | (k & 1))
}

/// What an account does besides (or instead of) ordinary life.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Behaviour {
    /// Ordinary life only.
    Normal,
    /// Takes many small payments from strangers on a personal account.
    StreetVendor,
    /// Collects from neighbours, pays one supplier.
    GroupBuy,
    /// Receives large sums from strangers and pays them on.
    Daigou,
    /// Tops up and withdraws a lot.
    HeavyTopUp,
    /// Lives at night.
    NightWorker,
    /// Run by a crypto operation: no ordinary life of its own.
    Operator,
}

/// Merchant categories: MCC, median ticket (CNY), sigma, share of merchants.
pub const CATEGORIES: [(u16, f64, f64, f64); 11] = [
    (5812, 38.0, 0.6, 0.25),  // restaurants
    (5411, 65.0, 0.8, 0.12),  // supermarkets
    (5499, 14.0, 0.7, 0.14),  // convenience, fruit
    (5651, 190.0, 0.7, 0.08), // clothing
    (4121, 26.0, 0.5, 0.06),  // taxis, ride hailing
    (4900, 160.0, 0.6, 0.03), // utilities
    (5964, 85.0, 0.9, 0.15),  // online retail (nationwide)
    (5912, 48.0, 0.7, 0.06),  // pharmacies
    (7832, 75.0, 0.5, 0.06),  // cinemas, entertainment
    (8299, 650.0, 0.8, 0.05), // education, training
    (7372, 320.0, 1.0, 0.03), // software and online services
];
/// Index of the software/online-services category (also used by disguised fronts).
pub const SERVICES: u8 = 10;
/// Index of the restaurant category (bill splitting).
pub const RESTAURANT: u8 = 0;
/// Index of the online category.
pub const ONLINE: u8 = 6;

/// One account of the world.
#[derive(Clone, Debug)]
pub struct Acct {
    /// Kind.
    pub kind: AccountKind,
    /// Designated role: `Normal` for the population, an operator role for operation accounts
    /// (buyers are found from the payments they make).
    pub role: Role,
    /// Behaviour.
    pub behaviour: Behaviour,
    /// City index.
    pub city: u16,
    /// Merchant category index (merchants only).
    pub category: u8,
    /// KYC level.
    pub kyc: u8,
    /// Will buy or sell crypto during the run.
    pub buyer: bool,
    /// Activity multiplier.
    pub activity: f32,
    /// Opening time, UTC microseconds.
    pub created_at: i64,
    /// Sequence number in opening order (the number in the account id).
    pub id_num: u32,
    /// Device the account pays from (device number; 0 = none).
    pub device: u32,
    /// Family index (persons), or `NONE`.
    pub family: u32,
    /// Employer account, or `NONE`.
    pub employer: u32,
    /// Monthly salary, CNY.
    pub salary: u32,
    /// Landlord account, or `NONE`.
    pub landlord: u32,
    /// Monthly rent, CNY.
    pub rent: u32,
    /// Day of month rent is paid (and enterprises' salary day).
    pub pay_day: u8,
    /// Index of the operation that runs this account, or `NONE`.
    pub operation: u32,
}

/// Compressed rows: the members of group `g` are `items[offsets[g]..offsets[g + 1]]`.
#[derive(Default, Debug, Clone)]
pub struct Groups {
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Groups {
    fn from_lists(lists: Vec<Vec<u32>>) -> Self {
        let mut g = Groups { offsets: Vec::with_capacity(lists.len() + 1), items: Vec::new() };
        g.offsets.push(0);
        for l in lists {
            g.items.extend(l);
            g.offsets.push(g.items.len() as u32);
        }
        g
    }
    fn from_pairs(n_groups: usize, pairs: &[(u32, u32)]) -> Self {
        let mut counts = vec![0u32; n_groups + 1];
        for &(g, _) in pairs {
            counts[g as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut items = vec![0u32; pairs.len()];
        let mut fill = counts.clone();
        for &(g, v) in pairs {
            items[fill[g as usize] as usize] = v;
            fill[g as usize] += 1;
        }
        Groups { offsets: counts, items }
    }
    /// Members of group `g`.
    pub fn get(&self, g: u32) -> &[u32] {
        let (Some(&a), Some(&b)) = (self.offsets.get(g as usize), self.offsets.get(g as usize + 1)) else {
            return &[];
        };
        self.items.get(a as usize..b as usize).unwrap_or(&[])
    }
    /// Number of groups.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a crypto operation is.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum OpKind {
    /// Sells (and buys) USDT/BTC for CNY.
    Otc,
    /// Collects fiat deposits for an offshore exchange.
    Agent,
    /// "Blockchain project" fundraising.
    Scam,
}

/// An account an operation uses on days `from..to` (run-relative, may start before 0).
#[derive(Copy, Clone, Debug)]
pub struct Window {
    /// The account.
    pub acct: u32,
    /// First day of use.
    pub from: i32,
    /// Day after the last day of use.
    pub to: i32,
}

/// One crypto operation and its plan.
#[derive(Clone, Debug)]
pub struct Operation {
    /// What it is.
    pub kind: OpKind,
    /// Front accounts (OTC merchants, agent merchants, scam collectors) and when each is used.
    pub windows: Vec<Window>,
    /// Scam hub collecting from the collectors, or `NONE`.
    pub hub: u32,
    /// Pass-through accounts.
    pub mules: Vec<u32>,
    /// Devices shared by the operation's accounts.
    pub devices: Vec<u32>,
    /// Customers it can draw from (buyers, or scam victims).
    pub customers: Vec<u32>,
    /// OTC spread over the reference rate.
    pub spread: f64,
    /// Exchange it is named after (agents), as an index into the exchange table.
    pub exchange: Option<usize>,
    /// Scam campaign: first day and length.
    pub campaign: (u32, u32),
    /// City it operates from.
    pub city: u16,
    /// Activity multiplier.
    pub intensity: f64,
}

/// What generating a day reads of an account picked at random (a payee, a friend, a
/// stranger), copied out of [`Acct`] into small tables of their own, so that a look-up
/// touches a table that mostly stays cached instead of a whole `Acct`: the merchant
/// category in a byte, whether it is an operator's in a bit, the device in 4 bytes.
#[derive(Clone, Debug, Default)]
pub struct Hot {
    /// [`Acct::device`] of every account.
    pub device: Vec<u32>,
    /// [`Acct::category`] of every account.
    pub category: Vec<u8>,
    /// Bit `i % 64` of word `i / 64`: account `i`'s behaviour is [`Behaviour::Operator`].
    operator: Vec<u64>,
}

impl Hot {
    fn new(accts: &[Acct]) -> Self {
        let mut operator = vec![0u64; accts.len().div_ceil(64)];
        for (i, a) in accts.iter().enumerate() {
            if a.behaviour == Behaviour::Operator
                && let Some(w) = operator.get_mut(i / 64)
            {
                *w |= 1 << (i % 64);
            }
        }
        Hot {
            device: accts.iter().map(|a| a.device).collect(),
            category: accts.iter().map(|a| a.category).collect(),
            operator,
        }
    }

    /// Whether account `i` is run by an operation (false for no such account).
    pub fn operator(&self, i: u32) -> bool {
        self.operator.get(i as usize / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    /// The merchant category of account `i`.
    pub fn category(&self, i: u32) -> u8 {
        self.category.get(i as usize).copied().unwrap_or(0)
    }
}

/// The whole simulated platform.
pub struct World {
    /// Run seed.
    pub seed: u64,
    /// Evasion level 0..=3.
    pub evasion: usize,
    /// First local day.
    pub start: CivilDate,
    /// Days simulated.
    pub days: u32,
    /// The configuration.
    pub cfg: SimConfig,
    /// All accounts; index = account index.
    pub accts: Vec<Acct>,
    /// Persons of the regular population, by city.
    pub persons_by_city: Vec<Vec<u32>>,
    /// All regular persons.
    pub persons: Vec<u32>,
    /// Merchants in each city (excluding online ones).
    pub merchants_by_city: Vec<Vec<u32>>,
    /// Online merchants (nationwide).
    pub online_merchants: Vec<u32>,
    /// Enterprises.
    pub enterprises: Vec<u32>,
    /// Family members, by family.
    pub families: Groups,
    /// Circle members, by circle.
    pub circles: Groups,
    /// Circles of each account (persons).
    pub circles_of: Groups,
    /// Employees, by enterprise account index.
    pub employees: Groups,
    /// The crypto operations.
    pub operations: Vec<Operation>,
    /// Number of regular (non-operation) accounts; they come first.
    pub regular: u32,
    /// Daily USDT/CNY reference rate.
    pub usdt_rate: Vec<f64>,
    /// Devices handed out so far (device numbers are 1..=devices).
    pub devices: u32,
    /// What generation reads of accounts picked at random.
    pub hot: Hot,
}

/// The members of each circle and the circles of each of the first `accounts` accounts,
/// from (circle, person) memberships.
fn circle_groups(mut membership: Vec<(u32, u32)>, n_circles: usize, accounts: usize) -> (Groups, Groups) {
    membership.par_sort_unstable();
    membership.dedup();
    let circles = Groups::from_pairs(n_circles, &membership);
    let inverse: Vec<(u32, u32)> = membership.iter().map(|&(c, p)| (p, c)).collect();
    drop(membership);
    (circles, Groups::from_pairs(accounts, &inverse))
}

/// An operation's plan: kind, windows (from, to, fresh account?), mules (fresh?), collectors.
type OpPlan = (OpKind, Vec<(i32, i32, bool)>, Vec<bool>, usize);

fn zipf_weights(n: usize, s: f64) -> Vec<f64> {
    (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect()
}

fn pick_weighted(rng: &mut SimRng, cum: &[f64]) -> usize {
    let total = cum.last().copied().unwrap_or(1.0);
    let u = rng.unit() * total;
    cum.partition_point(|&c| c <= u).min(cum.len().saturating_sub(1))
}

fn cumulative(w: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    w.iter()
        .map(|x| {
            acc += x;
            acc
        })
        .collect()
}

/// Counts of each operation kind for a population.
fn operation_counts(cfg: &SimConfig, population: u32) -> (u32, u32, u32) {
    let per = |rate: f64| {
        let n = (rate * f64::from(population) / 100_000.0).round() as u32;
        if population >= 2_000 { n.max(1) } else { n }
    };
    (
        per(cfg.crypto.otc_operators_per_100k),
        per(cfg.crypto.exchange_agents_per_100k),
        per(cfg.crypto.scams_per_100k),
    )
}

impl World {
    /// Builds the world for `population` accounts over `days` days from local date `start`.
    pub fn build(
        cfg: SimConfig,
        seed: u64,
        evasion: usize,
        start: CivilDate,
        days: u32,
        population: u32,
    ) -> World {
        let ev = evasion.min(3);
        let mut rng = stream(seed, 1, 0, 0);
        let start_micros = Day::new(start, 0).start_micros;

        // Plan the operations first: how many fresh accounts they need decides how many
        // accounts the regular population has.
        let (n_otc, n_agent, n_scam) = operation_counts(&cfg, population);
        // Per operation: windows (from, to, fresh account?), mules (fresh account?), collectors.
        let mut plans: Vec<OpPlan> = Vec::new();
        let rot = cfg.evasion.rotation_days[ev];
        let windows_for = |rng: &mut SimRng, slots: u32| -> Vec<(i32, i32, bool)> {
            let mut w = Vec::new();
            for _ in 0..slots {
                if rot[1] == 0 {
                    w.push((-30, days as i32 + 1, rng.chance(0.5)));
                    continue;
                }
                // The first account of a slot has been in use for a while already.
                let first_len = rng.between(rot) as i32;
                let mut from = -(rng.between([0, first_len.max(1) as u32 - 1]) as i32);
                let mut first = true;
                while from < days as i32 {
                    let len = if first { first_len } else { rng.between(rot) as i32 };
                    w.push((from, from + len.max(1), !first || rng.chance(0.5)));
                    from += len.max(1);
                    first = false;
                }
            }
            w
        };
        for _ in 0..n_otc {
            let slots = rng.between(cfg.crypto.otc_accounts);
            let w = windows_for(&mut rng, slots);
            let mules = (0..rng.between(cfg.crypto.mules_per_operator)).map(|_| rng.chance(0.7)).collect();
            plans.push((OpKind::Otc, w, mules, 0));
        }
        for _ in 0..n_agent {
            let slots = rng.between([1, 2]);
            let w = windows_for(&mut rng, slots);
            let mules = (0..rng.between(cfg.crypto.mules_per_operator)).map(|_| rng.chance(0.7)).collect();
            plans.push((OpKind::Agent, w, mules, 0));
        }
        for _ in 0..n_scam {
            let collectors = rng.between(cfg.crypto.scam_collectors) as usize;
            let w = (0..collectors).map(|_| (-5, days as i32 + 1, true)).collect();
            let mules = (0..rng.between(cfg.crypto.mules_per_operator)).map(|_| rng.chance(0.7)).collect();
            plans.push((OpKind::Scam, w, mules, collectors));
        }
        let fresh_needed: u32 = plans
            .iter()
            .map(|(k, w, mules, _)| {
                // An agent's merchant accounts are always opened for the purpose.
                let fronts = w.iter().filter(|x| x.2 || *k == OpKind::Agent).count() as u32;
                fronts + mules.iter().filter(|f| **f).count() as u32 + u32::from(*k == OpKind::Scam)
            })
            .sum();
        let regular = population.saturating_sub(fresh_needed).max(10);

        // Regular population: persons, merchants, enterprises.
        let n_merch = ((f64::from(regular) * cfg.population.merchant_share).round() as u32).max(2);
        let n_ent = ((f64::from(regular) * cfg.population.enterprise_share).round() as u32).max(1);
        let n_pers = regular.saturating_sub(n_merch + n_ent).max(4);
        let regular = n_pers + n_merch + n_ent;
        let cities = cfg.population.cities as usize;
        let city_cum = cumulative(&zipf_weights(cities, cfg.population.city_zipf));
        let kyc_cum = cumulative(&cfg.population.kyc_shares);
        let age_max = i64::from(cfg.population.account_age_max_days.max(2));
        let mut accts: Vec<Acct> = Vec::with_capacity(population as usize + 16);
        let mut devices: u32 = 0;
        let blank = |kind: AccountKind| Acct {
            kind,
            role: Role::Normal,
            behaviour: Behaviour::Normal,
            city: 0,
            category: 0,
            kyc: 3,
            buyer: false,
            activity: 1.0,
            created_at: 0,
            id_num: 0,
            device: 0,
            family: NONE,
            employer: NONE,
            salary: 0,
            landlord: NONE,
            rent: 0,
            pay_day: 1,
            operation: NONE,
        };

        // Persons, in families.
        let mut families: Vec<Vec<u32>> = Vec::new();
        let mut persons_by_city: Vec<Vec<u32>> = vec![Vec::new(); cities];
        while (accts.len() as u32) < n_pers {
            let size = rng.between(cfg.social.family_size).max(1);
            let city = pick_weighted(&mut rng, &city_cum) as u16;
            let fam = families.len() as u32;
            let mut members = Vec::new();
            let mut family_device = 0;
            for _ in 0..size {
                if accts.len() as u32 >= n_pers {
                    break;
                }
                let idx = accts.len() as u32;
                let mut a = blank(AccountKind::Personal);
                a.city = city;
                a.family = fam;
                a.kyc = 3 - pick_weighted(&mut rng, &kyc_cum).min(3) as u8;
                a.activity = rng.lognormal(1.0, cfg.activity.activity_sigma) as f32;
                a.created_at =
                    start_micros - (rng.unit() * (age_max * MICROS_PER_DAY) as f64) as i64 - MICROS_PER_DAY;
                a.device = if family_device != 0 && rng.chance(cfg.social.family_device_sharing) {
                    family_device
                } else {
                    devices += 1;
                    devices
                };
                if family_device == 0 {
                    family_device = a.device;
                }
                a.pay_day = rng.between([1, 28]) as u8;
                accts.push(a);
                members.push(idx);
                persons_by_city[city as usize].push(idx);
            }
            families.push(members);
        }
        let persons: Vec<u32> = (0..n_pers).collect();

        // Merchants and enterprises.
        let cat_cum = cumulative(&CATEGORIES.iter().map(|c| c.3).collect::<Vec<_>>());
        let mut merchants_by_city: Vec<Vec<u32>> = vec![Vec::new(); cities];
        let mut online_merchants = Vec::new();
        for _ in 0..n_merch {
            let idx = accts.len() as u32;
            let mut a = blank(AccountKind::Merchant);
            a.city = pick_weighted(&mut rng, &city_cum) as u16;
            a.category = pick_weighted(&mut rng, &cat_cum) as u8;
            a.kyc = if rng.chance(0.9) { 3 } else { 2 };
            a.activity = rng.lognormal(1.0, 0.9) as f32;
            a.created_at =
                start_micros - (rng.unit() * (age_max * MICROS_PER_DAY) as f64) as i64 - MICROS_PER_DAY;
            devices += 1;
            a.device = devices;
            if a.category == ONLINE {
                online_merchants.push(idx);
            } else {
                merchants_by_city[a.city as usize].push(idx);
            }
            accts.push(a);
        }
        let mut enterprises = Vec::new();
        let mut enterprises_by_city: Vec<Vec<u32>> = vec![Vec::new(); cities];
        for _ in 0..n_ent {
            let idx = accts.len() as u32;
            let mut a = blank(AccountKind::Enterprise);
            a.city = pick_weighted(&mut rng, &city_cum) as u16;
            a.activity = rng.lognormal(1.0, 0.8) as f32;
            a.created_at =
                start_micros - (rng.unit() * (age_max * MICROS_PER_DAY) as f64) as i64 - MICROS_PER_DAY;
            a.pay_day = cfg.activity.salary_days[rng.index(cfg.activity.salary_days.len())] as u8;
            devices += 1;
            a.device = devices;
            enterprises.push(idx);
            enterprises_by_city[a.city as usize].push(idx);
            accts.push(a);
        }
        // Circles: local groups of friends, colleagues, classmates; a few long links.
        let avg_circles =
            f64::from(cfg.social.circles_per_person[0] + cfg.social.circles_per_person[1]) / 2.0;
        let avg_size = f64::from(cfg.social.circle_size[0] + cfg.social.circle_size[1]) / 2.0;
        let mut circle_city: Vec<Vec<u32>> = vec![Vec::new(); cities];
        let mut n_circles = 0u32;
        for (c, ps) in persons_by_city.iter().enumerate() {
            let k = ((ps.len() as f64 * avg_circles / avg_size).ceil() as u32).max(u32::from(!ps.is_empty()));
            for _ in 0..k {
                circle_city[c].push(n_circles);
                n_circles += 1;
            }
        }
        // The circles drawn; sorting them into groups is done on the pool while this thread
        // goes on drawing employment, rent and look-alikes, which need no circles (the
        // operations below do).
        let mut membership: Vec<(u32, u32)> = Vec::new();
        for &p in &persons {
            let home = accts[p as usize].city as usize;
            for _ in 0..rng.between(cfg.social.circles_per_person) {
                let city = if rng.chance(cfg.social.circle_out_of_city) {
                    pick_weighted(&mut rng, &city_cum)
                } else {
                    home
                };
                let list = &circle_city[city];
                if list.is_empty() {
                    continue;
                }
                // Skewed choice: some circles are large, most are small.
                let pos = ((list.len() as f64) * rng.unit().powf(1.6)) as usize;
                membership.push((list[pos.min(list.len() - 1)], p));
            }
        }
        let accounts_now = accts.len();
        let ((circles, circles_of), employees) = rayon::join(
            || circle_groups(membership, n_circles as usize, accounts_now),
            || {
                // Employment and salaries.
                let mut employ: Vec<(u32, u32)> = Vec::new();
                for &p in &persons {
                    if !rng.chance(cfg.social.employed_share) {
                        continue;
                    }
                    let home = accts[p as usize].city as usize;
                    let list = if !enterprises_by_city[home].is_empty() && rng.chance(0.85) {
                        &enterprises_by_city[home]
                    } else {
                        &enterprises
                    };
                    if list.is_empty() {
                        continue;
                    }
                    let pos = ((list.len() as f64) * rng.unit().powf(2.0)) as usize;
                    let e = list[pos.min(list.len() - 1)];
                    let salary = rng
                        .lognormal(cfg.activity.salary_median, cfg.activity.salary_sigma)
                        .clamp(2_200.0, 120_000.0);
                    let a = &mut accts[p as usize];
                    a.employer = e;
                    a.salary = (salary / 100.0).round() as u32 * 100;
                    employ.push((e, p));
                }
                let employees = Groups::from_pairs(accts.len(), &employ);

                // Landlords and tenants.
                let avg_tenants =
                    f64::from(cfg.social.tenants_per_landlord[0] + cfg.social.tenants_per_landlord[1]) / 2.0;
                let mut landlords_by_city: Vec<Vec<u32>> = vec![Vec::new(); cities];
                for &p in &persons {
                    if rng.chance(cfg.social.tenant_share / avg_tenants) {
                        landlords_by_city[accts[p as usize].city as usize].push(p);
                    }
                }
                for &p in &persons {
                    if !rng.chance(cfg.social.tenant_share) {
                        continue;
                    }
                    let list = &landlords_by_city[accts[p as usize].city as usize];
                    if list.is_empty() {
                        continue;
                    }
                    let l = list[rng.index(list.len())];
                    if l == p {
                        continue;
                    }
                    let rent = cfg.activity.rents[rng.index(cfg.activity.rents.len())];
                    let a = &mut accts[p as usize];
                    a.landlord = l;
                    a.rent = rent;
                }

                // Look-alikes and buyers.
                let l = &cfg.lookalikes;
                for &p in &persons {
                    let u = rng.unit();
                    let mut edge = l.street_vendor_share;
                    let b = if u < edge {
                        Behaviour::StreetVendor
                    } else if u < {
                        edge += l.group_buy_share;
                        edge
                    } {
                        Behaviour::GroupBuy
                    } else if u < {
                        edge += l.daigou_share;
                        edge
                    } {
                        Behaviour::Daigou
                    } else if u < {
                        edge += l.heavy_topup_share;
                        edge
                    } {
                        Behaviour::HeavyTopUp
                    } else if u < {
                        edge += l.night_worker_share;
                        edge
                    } {
                        Behaviour::NightWorker
                    } else {
                        Behaviour::Normal
                    };
                    accts[p as usize].behaviour = b;
                    accts[p as usize].buyer = rng.chance(cfg.crypto.buyer_share);
                }

                employees
            },
        );

        // Operations: take over aged accounts or open fresh ones.
        let mut operations = Vec::new();
        let mut buyers: Vec<u32> = persons.iter().copied().filter(|&p| accts[p as usize].buyer).collect();
        buyers.shuffle(&mut rng);
        let mut buyer_cursor = 0usize;
        let end_micros = start_micros + i64::from(days) * MICROS_PER_DAY;
        let take_over = |rng: &mut SimRng, accts: &mut Vec<Acct>| -> u32 {
            for _ in 0..64 {
                let p = persons[rng.index(persons.len())];
                let a = &accts[p as usize];
                if a.behaviour == Behaviour::Normal && !a.buyer && a.employer == NONE {
                    return p;
                }
            }
            persons[rng.index(persons.len())]
        };
        for (kind, wins, mule_plan, _) in plans {
            let op_idx = operations.len() as u32;
            let city = pick_weighted(&mut rng, &city_cum) as u16;
            let op_devices: Vec<u32> = (0..rng.between([1, 3]))
                .map(|_| {
                    devices += 1;
                    devices
                })
                .collect();
            let role = match kind {
                OpKind::Otc => Role::OtcMerchant,
                OpKind::Agent => Role::ExchangeAgent,
                OpKind::Scam => Role::ScamCollector,
            };
            let open = |rng: &mut SimRng,
                        accts: &mut Vec<Acct>,
                        fresh: bool,
                        from_day: i32,
                        role: Role,
                        kind_acct: AccountKind|
             -> u32 {
                let idx = if fresh {
                    let idx = accts.len() as u32;
                    let mut a = blank(kind_acct);
                    // Opened shortly before first use.
                    let opened = start_micros + i64::from(from_day) * MICROS_PER_DAY
                        - (rng.unit() * 20.0 * MICROS_PER_DAY as f64) as i64
                        - MICROS_PER_DAY / 2;
                    a.created_at = opened.min(end_micros - MICROS_PER_DAY);
                    a.kyc = if kind_acct == AccountKind::Merchant { 2 } else { [1, 1, 2, 0][rng.index(4)] };
                    a.category = if rng.chance(0.6) { SERVICES } else { ONLINE };
                    accts.push(a);
                    idx
                } else {
                    take_over(rng, accts)
                };
                let a = &mut accts[idx as usize];
                a.kind = if fresh { kind_acct } else { a.kind };
                a.role = role;
                a.behaviour = Behaviour::Operator;
                a.city = city;
                a.operation = op_idx;
                a.device = op_devices[rng.index(op_devices.len())];
                a.buyer = false;
                idx
            };
            let front_kind = match kind {
                OpKind::Agent => AccountKind::Merchant,
                OpKind::Scam if rng.chance(0.5) => AccountKind::Merchant,
                _ => AccountKind::Personal,
            };
            let windows: Vec<Window> = wins
                .into_iter()
                .filter(|&(from, to, _)| to > 0 && from < days as i32)
                .map(|(from, to, fresh)| {
                    // An agent's merchant account is always opened for the purpose.
                    let fresh = fresh || kind == OpKind::Agent;
                    Window {
                        acct: open(&mut rng, &mut accts, fresh, from.max(0), role, front_kind),
                        from,
                        to,
                    }
                })
                .collect();
            let hub = if kind == OpKind::Scam {
                open(&mut rng, &mut accts, true, 0, Role::ScamCollector, AccountKind::Personal)
            } else {
                NONE
            };
            let mules: Vec<u32> = mule_plan
                .into_iter()
                .map(|fresh| open(&mut rng, &mut accts, fresh, 0, Role::Mule, AccountKind::Personal))
                .collect();
            // Customers: buyers for OTC and agents; for scams, victims recruited through a few
            // circles (friends bring friends) plus strangers.
            let customers: Vec<u32> = match kind {
                OpKind::Otc | OpKind::Agent => {
                    let want = (buyers.len() / (n_otc + n_agent).max(1) as usize).max(8) * 2;
                    (0..want)
                        .filter_map(|_| {
                            if buyers.is_empty() {
                                return None;
                            }
                            buyer_cursor = (buyer_cursor + 1) % buyers.len();
                            Some(buyers[buyer_cursor])
                        })
                        .collect()
                }
                OpKind::Scam => {
                    let want = rng.between(cfg.crypto.scam_victims) as usize;
                    let mut v = Vec::new();
                    let seeds = rng.between([2, 4]);
                    for _ in 0..seeds {
                        if circles.is_empty() {
                            break;
                        }
                        let c = rng.index(circles.len()) as u32;
                        v.extend(
                            circles
                                .get(c)
                                .iter()
                                .copied()
                                .filter(|&p| accts[p as usize].behaviour != Behaviour::Operator),
                        );
                    }
                    while v.len() < want {
                        let p = persons[rng.index(persons.len())];
                        if accts[p as usize].behaviour != Behaviour::Operator {
                            v.push(p);
                        }
                    }
                    v.truncate(want);
                    v
                }
            };
            let campaign =
                (rng.between([0, (days / 2).max(1) - 1]).min(days.saturating_sub(1)), rng.between([3, 10]));
            let exchange = (kind == OpKind::Agent && rng.chance(cfg.evasion.named_agent_share[ev]))
                .then(|| rng.index(crate::names::exchanges().len().max(1)));
            operations.push(Operation {
                kind,
                windows,
                hub,
                mules,
                devices: op_devices,
                customers,
                spread: cfg.crypto.otc_spread[0]
                    + rng.unit() * (cfg.crypto.otc_spread[1] - cfg.crypto.otc_spread[0]),
                exchange,
                campaign,
                city,
                intensity: rng.lognormal(1.0, 0.4),
            });
        }

        // Account ids follow opening order, as on a real platform.
        // Sorted as (time, index) pairs, all distinct, in parallel: the same order as sorting
        // indexes by that key, without a random read of an account in every comparison.
        let mut order: Vec<(i64, u32)> = accts.iter().zip(0u32..).map(|(a, i)| (a.created_at, i)).collect();
        order.par_sort_unstable();
        for (rank, &(_, i)) in order.iter().enumerate() {
            accts[i as usize].id_num = rank as u32 + 1;
        }

        // Daily USDT/CNY reference rate: a random walk.
        let mut rate = cfg.crypto.usdt_cny;
        let usdt_rate = (0..days)
            .map(|_| {
                rate *= 1.0 + cfg.crypto.usdt_daily_vol * rng.normal();
                rate
            })
            .collect();

        let hot = Hot::new(&accts);
        World {
            hot,
            seed,
            evasion: ev,
            start,
            days,
            cfg,
            accts,
            persons_by_city,
            persons,
            merchants_by_city,
            online_merchants,
            enterprises,
            families: Groups::from_lists(families),
            circles,
            circles_of,
            employees,
            operations,
            regular,
            usdt_rate,
            devices,
        }
    }
}
