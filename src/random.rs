//! Random ids from the system's secure generator, for ids that must not be guessable and for
//! jitter.

use ring::rand::{SecureRandom, SystemRandom};

/// A random non-zero 64-bit id (snapshot and event ids that must not be guessable; jitter).
pub fn random_id() -> u64 {
    let mut bytes = [0u8; 8];
    SystemRandom::new().fill(&mut bytes).expect("system randomness");
    u64::from_le_bytes(bytes).max(1)
}
