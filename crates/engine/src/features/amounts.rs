//! What an amount looks like: round (a multiple of a configured unit) or "pegged" (quantity
//! × a USDT/CNY rate, recognisable without knowing the rate), decided per payment from the
//! amount alone.
//!
//! # Pegged amounts
//!
//! A buyer of USDT pays `q × p`: a quantity `q` of coins (50, 100, 500 …) at a price `p`
//! near the day's rate. Without the rate, an amount `A` (minor units) is *pegged* when it is
//! not round and `A × 10^e = q × k` for
//!
//! - a whole quantity `q` that is a multiple of `quantity_step` (default 50 coins), and
//! - a whole rate `k` in `rate_min_minor·10^e ..= rate_max_minor·10^e`, i.e. a rate in the
//!   band (default 600 ..= 800 minor units: ¥6.00–¥8.00 per coin) with `e` decimals beyond
//!   the minor unit (default `e = 0`: two decimals, ¥7.23).
//!
//! Measured on a simulated week (`simulate --population 1000000 --days 7`: 14,471,170
//! normal payments, 115,106 crypto payments to or from OTC merchants, by
//! `labels_transactions.csv` and `labels_accounts.csv`; the `window_memory` example
//! re-measures it):
//!
//! | rule | false positives (normal) | hits (OTC) |
//! |---|---|---|
//! | **2 decimals, q multiple of 50 (default)** | **1.43 %** | **31.4 %** |
//! | 2 decimals, q multiple of 10 | 8.04 % | 44.0 % |
//! | 3 decimals, q multiple of 50 | 2.99 % | 52.6 % |
//! | 4 decimals, q multiple of 100 | 3.19 % | 53.8 % |
//!
//! The simulator prices trades at a floating rate with a spread and about 30 % of trades are
//! round CNY sums, so no per-payment rule sees most of them; the feature is meant as a share
//! over an account's window (an OTC merchant's share is ~20× a normal account's), next to
//! the round-amount share.
//!
//! Cost: one division per candidate quantity or rate, whichever range is shorter
//! (`A / (2400·step)` quantities for the default band, never more than the 201 rates); zero
//! for most payments, which are too small for any quantity.

/// How amounts are classified (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountRules {
    /// An amount is round when it is a multiple of this many minor units (default 10,000:
    /// 100 yuan). Values below 1 count as 1.
    pub round_unit_minor: i64,
    /// Lowest rate, in minor units per coin (600: ¥6.00).
    pub rate_min_minor: i64,
    /// Highest rate, in minor units per coin (800: ¥8.00).
    pub rate_max_minor: i64,
    /// Decimals of the rate beyond the currency's minor unit (0: rates like ¥7.23; 2:
    /// rates like ¥7.2345).
    pub rate_extra_decimals: u32,
    /// Quantities are positive multiples of this many coins.
    pub quantity_step: i64,
}

impl Default for AmountRules {
    fn default() -> Self {
        AmountRules {
            round_unit_minor: 10_000,
            rate_min_minor: 600,
            rate_max_minor: 800,
            rate_extra_decimals: 0,
            quantity_step: 50,
        }
    }
}

/// The class of one amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AmountClass {
    /// A multiple of the round unit.
    pub round: bool,
    /// Looks like quantity × rate (never when round).
    pub pegged: bool,
}

impl AmountRules {
    /// Classifies `amount_minor` (a non-positive amount is neither round nor pegged).
    pub fn classify(&self, amount_minor: i64) -> AmountClass {
        if amount_minor <= 0 {
            return AmountClass::default();
        }
        let unit = self.round_unit_minor.max(1);
        if amount_minor % unit == 0 {
            return AmountClass { round: true, pegged: false };
        }
        AmountClass { round: false, pegged: self.pegged(amount_minor) }
    }

    /// Whether a (positive, not round) amount is quantity × rate.
    fn pegged(&self, amount_minor: i64) -> bool {
        let step = self.quantity_step.max(1);
        let Some(p) = 10i64.checked_pow(self.rate_extra_decimals) else { return false };
        let (Some(scaled), Some(lo), Some(hi)) = (
            amount_minor.checked_mul(p),
            self.rate_min_minor.max(1).checked_mul(p),
            self.rate_max_minor.checked_mul(p),
        ) else {
            return false;
        };
        if hi < lo || scaled % step != 0 {
            return false;
        }
        // scaled = step · j · k with j ≥ 1 and lo ≤ k ≤ hi: c = j · k.
        let c = scaled / step;
        let j_lo = ((c + hi - 1) / hi).max(1);
        let j_hi = c / lo;
        if j_lo > j_hi {
            return false;
        }
        if j_hi - j_lo <= hi - lo {
            (j_lo..=j_hi).any(|j| c % j == 0)
        } else {
            (lo..=hi).any(|k| c % k == 0 && c / k >= 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, by brute force over quantities.
    fn pegged_oracle(r: &AmountRules, a: i64) -> bool {
        if a <= 0 || a % r.round_unit_minor == 0 {
            return false;
        }
        let p = 10i64.pow(r.rate_extra_decimals);
        let scaled = a * p;
        (1..)
            .map(|j| j * r.quantity_step)
            .take_while(|&q| q * r.rate_min_minor * p <= scaled)
            .any(|q| scaled % q == 0 && (r.rate_min_minor * p..=r.rate_max_minor * p).contains(&(scaled / q)))
    }

    #[test]
    fn examples() {
        let r = AmountRules::default();
        assert_eq!(r.classify(50_000), AmountClass { round: true, pegged: false });
        assert_eq!(r.classify(1_000_000), AmountClass { round: true, pegged: false });
        // 500 USDT at ¥7.23 = ¥3,615.00
        assert_eq!(r.classify(361_500), AmountClass { round: false, pegged: true });
        // 1,000 USDT at ¥7.00 = ¥7,000.00 is round: round wins.
        assert_eq!(r.classify(700_000), AmountClass { round: true, pegged: false });
        // A coffee is neither.
        assert_eq!(r.classify(3_280), AmountClass::default());
        // ¥3,615.01 is not a multiple of 50 coins at any two-decimal rate.
        assert!(!r.classify(361_501).pegged);
        assert_eq!(r.classify(0), AmountClass::default());
        assert_eq!(r.classify(-361_500), AmountClass::default());
        let four = AmountRules { rate_extra_decimals: 2, quantity_step: 100, ..r };
        // 100 USDT at ¥7.2345 = ¥723.45
        assert!(four.classify(72_345).pegged);
        assert!(!r.classify(72_345).pegged);
        // Extreme amounts do not overflow.
        assert!(!four.classify(i64::MAX).round);
    }

    proptest! {
        #[test]
        fn pegged_matches_the_definition(
            a in prop_oneof![1i64..2_000_000, 1i64..20_000_000],
            extra in 0u32..=2,
            step in prop_oneof![Just(10i64), Just(50), Just(100), 7i64..200],
        ) {
            let r = AmountRules { rate_extra_decimals: extra, quantity_step: step, ..AmountRules::default() };
            prop_assert_eq!(r.classify(a).pegged, pegged_oracle(&r, a));
        }
    }
}
