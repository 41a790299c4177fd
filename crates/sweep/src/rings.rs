//! Rings: flagged accounts judged to be run by one operator, as the connected components of
//! links between them (a shared device, money paid between them, payers in common), found with
//! a union-find (path halving, union by size).

/// Disjoint sets over `0..n`.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).map(|i| u32::try_from(i).unwrap_or(u32::MAX)).collect(), size: vec![1; n] }
    }

    /// The representative of `x`'s set (an out-of-range `x` is its own).
    pub fn find(&mut self, mut x: u32) -> u32 {
        loop {
            let Some(&p) = self.parent.get(x as usize) else { return x };
            if p == x {
                return x;
            }
            let gp = self.parent.get(p as usize).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(x as usize) {
                *slot = gp;
            }
            x = gp;
        }
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (sa, sb) = (self.size_of(ra), self.size_of(rb));
        let (big, small) = if sa >= sb { (ra, rb) } else { (rb, ra) };
        if let Some(p) = self.parent.get_mut(small as usize) {
            *p = big;
        }
        if let Some(s) = self.size.get_mut(big as usize) {
            *s = sa + sb;
        }
    }

    /// Size of the set whose representative is `root`.
    pub fn size_of(&self, root: u32) -> u32 {
        self.size.get(root as usize).copied().unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Connectivity by breadth-first search, the reference.
    fn components(n: usize, edges: &[(u32, u32)]) -> Vec<usize> {
        let mut comp = vec![usize::MAX; n];
        let mut c = 0;
        for start in 0..n {
            if comp[start] != usize::MAX {
                continue;
            }
            let mut stack = vec![start];
            comp[start] = c;
            while let Some(x) = stack.pop() {
                for &(a, b) in edges {
                    for (u, v) in [(a as usize, b as usize), (b as usize, a as usize)] {
                        if u == x && comp[v] == usize::MAX {
                            comp[v] = c;
                            stack.push(v);
                        }
                    }
                }
            }
            c += 1;
        }
        comp
    }

    proptest! {
        #[test]
        fn same_set_iff_connected(n in 1usize..40, raw in prop::collection::vec((0u32..40, 0u32..40), 0..60)) {
            let edges: Vec<(u32, u32)> = raw.into_iter().filter(|&(a, b)| (a as usize) < n && (b as usize) < n).collect();
            let mut uf = UnionFind::new(n);
            for &(a, b) in &edges {
                uf.union(a, b);
            }
            let comp = components(n, &edges);
            for a in 0..n {
                for b in 0..n {
                    prop_assert_eq!(uf.find(a as u32) == uf.find(b as u32), comp[a] == comp[b]);
                }
            }
            // Sizes of the roots add up to n.
            let mut roots: Vec<u32> = (0..n as u32).map(|x| uf.find(x)).collect();
            roots.sort_unstable();
            roots.dedup();
            prop_assert_eq!(roots.iter().map(|&r| uf.size_of(r) as usize).sum::<usize>(), n);
        }
    }
}
