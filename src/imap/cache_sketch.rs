//! How often each cache key was looked up lately, approximately: a count-min sketch of 4-bit
//! counters (four rows, the smallest of the four counts is the estimate) that halves every
//! count after ten lookups per cache entry, so that old popularity fades (TinyLFU's
//! frequency filter). The caches admit a new entry in place of an old one only if the new one
//! was asked for more often.

use std::hash::{BuildHasher, Hash};

/// The sketch.
pub struct Sketch {
    rows: [Vec<u8>; 4],
    mask: usize,
    hasher: std::collections::hash_map::RandomState,
    added: usize,
    sample: usize,
}

impl Sketch {
    /// A sketch for a cache of `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        let width = (capacity.saturating_mul(4)).clamp(64, 1 << 20).next_power_of_two();
        Self {
            rows: std::array::from_fn(|_| vec![0; width]),
            mask: width - 1,
            hasher: std::collections::hash_map::RandomState::new(),
            added: 0,
            sample: capacity.saturating_mul(10).max(64),
        }
    }

    fn slots<K: Hash>(&self, key: &K) -> [usize; 4] {
        let h = self.hasher.hash_one(key);
        let (a, b) = (h as usize, ((h >> 32) as usize) | 1);
        std::array::from_fn(|i| a.wrapping_add(i.wrapping_mul(b)) & self.mask)
    }

    /// Counts one lookup of `key`.
    pub fn add<K: Hash>(&mut self, key: &K) {
        for (row, slot) in self.slots(key).into_iter().enumerate() {
            let c = &mut self.rows[row][slot];
            *c = (*c + 1).min(15);
        }
        self.added += 1;
        if self.added >= self.sample {
            self.added = 0;
            for row in &mut self.rows {
                row.iter_mut().for_each(|c| *c >>= 1);
            }
        }
    }

    /// About how often `key` was looked up lately (0 to 15).
    pub fn estimate<K: Hash>(&self, key: &K) -> u8 {
        self.slots(key).into_iter().enumerate().map(|(row, slot)| self.rows[row][slot]).min().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lookups_and_forgets_slowly() {
        let mut s = Sketch::new(100);
        for _ in 0..5 {
            s.add(&"hot");
        }
        s.add(&"cold");
        assert!(s.estimate(&"hot") >= 5);
        assert!(s.estimate(&"cold") >= 1 && s.estimate(&"cold") < 5);
        assert_eq!(s.estimate(&"never"), 0, "an unseen key (with a sketch this empty)");
        // After 1,000 lookups of other keys (the sample), every count has been halved.
        for i in 0..1_000 {
            s.add(&i);
        }
        assert!(s.estimate(&"hot") <= 3, "{}", s.estimate(&"hot"));
    }
}
