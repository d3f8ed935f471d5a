//! exercise-1, reference solution: the check and the act under one lock.
//!
//! The skeleton read the balance, paused, and wrote back a value computed
//! from what it had read. Any other thread that changed the balance in the
//! meantime was either overwritten (a lost deposit) or ignored (two
//! withdrawals that each saw enough money). Here every method that changes
//! the balance holds one `Mutex` guard from its read to its write, so no
//! other thread can run between the two: the read-modify-write is a single
//! atomic step.
//!
//! The skeleton's `simulate_processing` pause is gone. It never caused the
//! race, it only made it easier to see; kept inside the critical section it
//! would stay correct, but every other thread would wait for it while holding
//! nothing useful to do (and a waiting thread that falls asleep on the lock
//! is slow to wake up).

use std::sync::{Mutex, MutexGuard};

/// A bank account shared by many threads.
///
/// `Account` is `Send + Sync`; every method takes `&self`.
pub struct Account {
    /// The balance. Every read-modify-write of it happens while holding
    /// this lock, from the read to the write.
    balance: Mutex<u64>,
}

impl Account {
    /// An account holding `initial_balance`.
    pub fn new(initial_balance: u64) -> Account {
        Account { balance: Mutex::new(initial_balance) }
    }

    /// The current balance.
    pub fn balance(&self) -> u64 {
        *self.lock()
    }

    /// Adds `amount` to the balance. Never loses an update, whatever runs
    /// concurrently. Behaviour past `u64::MAX` is unspecified (tests stay far
    /// below it).
    pub fn deposit(&self, amount: u64) {
        *self.lock() += amount;
    }

    /// Withdraws `amount` if and only if the balance covers it, as one
    /// atomic step, and returns whether it did. `withdraw(0)` returns true
    /// and changes nothing. Under any interleaving: the balance never goes
    /// below zero, and the final balance equals the initial balance plus the
    /// deposits minus the withdrawals that returned true.
    pub fn withdraw(&self, amount: u64) -> bool {
        // One guard for the check and the store: while it lives, no other
        // thread can change the balance this decision is based on.
        let mut balance = self.lock();
        if *balance < amount {
            return false;
        }
        *balance -= amount;
        true
    }

    /// Locks the balance.
    ///
    /// A poisoned lock means some thread panicked while holding it. No
    /// method here panics between its read and its write, so the balance
    /// is still consistent and it is safe to go on using it.
    fn lock(&self) -> MutexGuard<'_, u64> {
        self.balance.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
