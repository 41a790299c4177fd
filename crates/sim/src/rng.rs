//! Seeded randomness. Every stream is derived from the run's seed and a fixed tuple (day,
//! shard, purpose), so output does not depend on how many threads ran or in which order.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator used everywhere.
pub type SimRng = Xoshiro256PlusPlus;

/// splitmix64 finaliser: spreads a key over 64 bits.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A generator for `(seed, a, b, c)`.
pub fn stream(seed: u64, a: u64, b: u64, c: u64) -> SimRng {
    SimRng::seed_from_u64(mix(mix(mix(seed ^ 0x51_1CE) ^ a) ^ b.wrapping_mul(0x100_0193)) ^ c)
}

/// Convenience draws.
pub trait Draw {
    /// 64 random bits.
    fn bits(&mut self) -> u64;
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64;
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool;
    /// Uniform integer in `[lo, hi]`.
    fn between(&mut self, r: [u32; 2]) -> u32;
    /// Uniform index below `n` (`n` > 0).
    fn index(&mut self, n: usize) -> usize;
    /// A Poisson count with mean `lambda` (Knuth for small means, normal approximation above).
    fn poisson(&mut self, lambda: f64) -> u32;
    /// Lognormal with the given median and sigma.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64;
    /// Standard normal.
    fn normal(&mut self) -> f64;
}

impl<R: Rng> Draw for R {
    fn bits(&mut self) -> u64 {
        self.next_u64()
    }
    fn unit(&mut self) -> f64 {
        self.random::<f64>()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.random::<f64>() < p
    }
    fn between(&mut self, r: [u32; 2]) -> u32 {
        if r[1] <= r[0] { r[0] } else { self.random_range(r[0]..=r[1]) }
    }
    fn index(&mut self, n: usize) -> usize {
        if n <= 1 { 0 } else { self.random_range(0..n) }
    }
    fn poisson(&mut self, lambda: f64) -> u32 {
        Poisson::new(lambda).sample(self)
    }
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
    fn normal(&mut self) -> f64 {
        // Ziggurat: no logarithm or cosine on the common path.
        self.sample(rand_distr::StandardNormal)
    }
}

/// A Poisson distribution with `exp(-lambda)` computed once, for a mean drawn from many
/// times: the same counts from the same draws as [`Draw::poisson`].
#[derive(Clone, Copy, Debug)]
pub struct Poisson {
    lambda: f64,
    /// `exp(-lambda)`.
    l: f64,
}

impl Poisson {
    /// Mean `lambda`.
    pub fn new(lambda: f64) -> Self {
        Poisson { lambda, l: (-lambda).exp() }
    }

    /// A count (Knuth for small means, normal approximation above).
    pub fn sample<R: Rng>(&self, rng: &mut R) -> u32 {
        let lambda = self.lambda;
        if lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let mut k = 0u32;
            let mut p = 1.0;
            loop {
                p *= rng.unit();
                if p <= self.l {
                    return k;
                }
                k += 1;
            }
        }
        let v = lambda + lambda.sqrt() * rng.normal();
        v.round().max(0.0) as u32
    }
}
