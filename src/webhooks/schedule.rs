//! Fair shares of the delivery worker: at most `concurrency` deliveries in flight per instance,
//! and at most `per_account` of them for any one account, so that an account whose receivers
//! hang holds only its share while the others' deliveries go on.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// The deliveries in flight, counted per account.
#[derive(Debug)]
pub struct Slots {
    total: usize,
    per_account: usize,
    busy: Mutex<Busy>,
}

#[derive(Debug, Default)]
struct Busy {
    total: usize,
    accounts: HashMap<String, usize>,
}

/// One delivery's place in flight; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    account: String,
}

impl Slots {
    /// `total` slots, at most `per_account` for one account (each at least 1).
    pub fn new(total: usize, per_account: usize) -> Arc<Self> {
        let total = total.max(1);
        Arc::new(Self { total, per_account: per_account.clamp(1, total), busy: Mutex::default() })
    }

    fn busy(&self) -> std::sync::MutexGuard<'_, Busy> {
        self.busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True if no slot is free at all.
    pub fn full(&self) -> bool {
        self.busy().total >= self.total
    }

    /// A slot for a delivery of `account`, unless the instance or the account is at its limit.
    pub fn take(self: &Arc<Self>, account: &str) -> Option<Slot> {
        let mut busy = self.busy();
        if busy.total >= self.total || busy.accounts.get(account).is_some_and(|n| *n >= self.per_account) {
            return None;
        }
        busy.total += 1;
        *busy.accounts.entry(account.to_string()).or_default() += 1;
        Some(Slot { slots: self.clone(), account: account.to_string() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut busy = self.slots.busy();
        busy.total -= 1;
        if let Some(n) = busy.accounts.get_mut(&self.account) {
            *n -= 1;
            if *n == 0 {
                busy.accounts.remove(&self.account);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_gets_its_share_and_others_the_rest() {
        let slots = Slots::new(4, 2);
        let a: Vec<Slot> = (0..10).filter_map(|_| slots.take("a")).collect();
        assert_eq!(a.len(), 2, "a's share");
        let b = slots.take("b").expect("b still gets a slot");
        let c = slots.take("c").expect("and c");
        assert!(slots.full());
        assert!(slots.take("d").is_none(), "the instance is at its limit");
        drop(b);
        assert!(!slots.full());
        assert!(slots.take("a").is_none(), "a is still at its share");
        let d = slots.take("d").expect("a freed slot goes to another account");
        drop(a);
        let again: Vec<Slot> = (0..10).filter_map(|_| slots.take("a")).collect();
        assert_eq!(again.len(), 2, "a's slots came back");
        drop((c, d, again));
        assert!(Slots::new(0, 0).take("x").is_some(), "limits are at least 1");
    }
}
