//! Personalised PageRank over the undirected graph of distinct platform neighbours: how close
//! each account is to the seeds (listed accounts, accounts named by listed memo addresses or
//! hosts, accounts receiving strong crypto memos), with restart probability `alpha`.
//!
//! `r = alpha·s + (1 − alpha)·Pᵀ r`, where `s` is the seed distribution and `P` moves from a
//! node to each neighbour with equal probability; a node without neighbours sends its mass
//! back to the seeds, so the total stays exactly the seeds' total (1, or 0 without seeds).

use crate::graph::Graph;

/// Runs `iterations` power steps from `seeds` (non-negative weights per platform account;
/// normalised here). Returns one rank per account; they sum to 1 (0 when no seed has weight).
pub fn personalised_pagerank(g: &Graph, seeds: &[f64], alpha: f64, iterations: usize) -> Vec<f64> {
    let n = g.n as usize;
    let total: f64 = seeds.iter().take(n).map(|w| w.max(0.0)).sum();
    if total <= 0.0 {
        return vec![0.0; n];
    }
    let s: Vec<f64> = (0..n).map(|i| seeds.get(i).map_or(0.0, |w| w.max(0.0)) / total).collect();
    let mut r = s.clone();
    let mut next = vec![0.0; n];
    for _ in 0..iterations {
        let mut dangling = 0.0;
        for (i, x) in next.iter_mut().enumerate() {
            *x = alpha * s.get(i).copied().unwrap_or(0.0);
        }
        for (a, &ra) in r.iter().enumerate() {
            let nb = g.neighbours(u32::try_from(a).unwrap_or(u32::MAX));
            if nb.is_empty() {
                dangling += ra;
                continue;
            }
            let share = (1.0 - alpha) * ra / nb.len() as f64;
            for &b in nb {
                if let Some(x) = next.get_mut(b as usize) {
                    *x += share;
                }
            }
        }
        if dangling > 0.0 {
            for (x, si) in next.iter_mut().zip(&s) {
                *x += (1.0 - alpha) * dangling * si;
            }
        }
        std::mem::swap(&mut r, &mut next);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;
    use proptest::prelude::*;

    proptest! {
        /// Mass is conserved (ranks sum to 1 with seeds, 0 without), ranks are non-negative,
        /// and an account in a component without seeds gets nothing.
        #[test]
        fn mass_is_conserved(
            n in 1u32..30,
            raw in prop::collection::vec((0u32..30, 0u32..30), 0..80),
            seed_raw in prop::collection::vec((0u32..30, 0.0f64..5.0), 0..5),
        ) {
            let edges: Vec<Edge> = raw.into_iter().filter(|&(a, b)| a < n && b < n && a != b)
                .map(|(src, dst)| Edge { amount: 100, src, dst, t: 0, flags: 0 }).collect();
            let g = Graph::from_edges(n, 0, edges);
            let mut seeds = vec![0.0; n as usize];
            for (i, w) in seed_raw { if i < n { seeds[i as usize] += w; } }
            let r = personalised_pagerank(&g, &seeds, 0.15, 30);
            let total: f64 = r.iter().sum();
            let expected = if seeds.iter().sum::<f64>() > 0.0 { 1.0 } else { 0.0 };
            prop_assert!((total - expected).abs() < 1e-9, "total {total}");
            prop_assert!(r.iter().all(|&x| x >= 0.0));
            // Components: an account not connected to any seed has rank 0.
            let mut uf = crate::rings::UnionFind::new(n as usize);
            for e in &g.edges { uf.union(e.src, e.dst); }
            let seeded: Vec<u32> = (0..n).filter(|&i| seeds[i as usize] > 0.0).map(|i| uf.find(i)).collect();
            for a in 0..n {
                if !seeded.contains(&uf.find(a)) {
                    prop_assert_eq!(r[a as usize], 0.0);
                }
            }
        }
    }
}
