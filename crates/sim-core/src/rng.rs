//! Random streams: one ChaCha stream per replication.
//!
//! The determinism contract (DESIGN.md principle 3) needs the random numbers a
//! replication sees to depend only on the user's seed and the replication's
//! index, never on which thread ran it or how the run was split into shards.
//! ChaCha has a 64-bit stream selector, so the seed becomes the key and the
//! replication index the stream: every replication gets its own independent
//! sequence, and any replication can be replayed alone (`--trace N`).

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// The random source handed to models. A thin wrapper so the sampling code
/// does not depend on rand's traits, which change between major versions.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: ChaCha12Rng,
}

impl SimRng {
    /// The stream of replication `replication` under `seed`.
    pub fn for_replication(seed: u64, replication: u64) -> Self {
        let mut key = [0u8; 32];
        // SplitMix64 spreads a small user seed (1, 2, 42...) over the whole
        // 256-bit key; its constants are from Steele, Lea and Flood,
        // "Fast splittable pseudorandom number generators" (OOPSLA 2014).
        let mut state = seed;
        for chunk in key.chunks_exact_mut(8) {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes());
        }
        let mut inner = ChaCha12Rng::from_seed(key);
        inner.set_stream(replication);
        SimRng { inner }
    }

    /// A raw 64-bit draw.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform draw in [0, 1) with 53 random bits: exactly representable,
    /// so the value is the same on every platform.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform draw in (0, 1]: safe to take the logarithm of.
    #[inline]
    pub fn unit_open0(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// A uniform integer in [0, n) without modulo bias (Lemire's method with
    /// rejection), for picking among candidates.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no valid result");
        loop {
            let x = self.next_u64();
            let m = (x as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_and_replication_only() {
        let a: Vec<u64> = (0..4)
            .map(|_| SimRng::for_replication(7, 3).next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut x = SimRng::for_replication(7, 3);
        let mut y = SimRng::for_replication(7, 4);
        let mut z = SimRng::for_replication(8, 3);
        let (x1, y1, z1) = (x.next_u64(), y.next_u64(), z.next_u64());
        assert_ne!(x1, y1);
        assert_ne!(x1, z1);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SimRng::for_replication(1, 0);
        let mut seen = [0u32; 3];
        for _ in 0..3000 {
            seen[r.below(3) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }
}
