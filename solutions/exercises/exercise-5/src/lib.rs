//! exercise-5: fix a deadlock. Reference solution.
//!
//! The deadlock came from two transfers taking the same two locks in
//! opposite orders. The fix is lock ordering: every thread that holds more
//! than one account lock takes them in ascending account index. A cycle of
//! threads each waiting for a lock held by the next would need someone to
//! wait for a lower index while holding a higher one, which nobody does.
//! `total` follows the same rule, taking every lock in ascending order and
//! holding them all while it sums, which makes its sum a snapshot.

use std::sync::{Mutex, MutexGuard};

/// Why a transfer did not happen. When several apply, the first in this
/// order is returned: `NoSuchAccount`, `SameAccount`, `InsufficientFunds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferError {
    /// `from` or `to` is not an account of this bank.
    NoSuchAccount,
    /// `from` and `to` are the same account.
    SameAccount,
    /// `from` holds less than `amount`.
    InsufficientFunds,
}

/// Accounts numbered 0..len(), shared by many threads.
///
/// `Bank` is `Send + Sync`; every method takes `&self`.
pub struct Bank {
    /// One lock per account, so that transfers between different pairs of
    /// accounts can run at the same time.
    accounts: Vec<Mutex<u64>>,
}

impl Bank {
    /// A bank with one account per element of `balances`, account `i`
    /// holding `balances[i]`.
    pub fn new(balances: &[u64]) -> Bank {
        Bank { accounts: balances.iter().map(|&balance| Mutex::new(balance)).collect() }
    }

    /// The number of accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the bank has no accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The balance of `account`, or `None` if there is no such account.
    pub fn balance(&self, account: usize) -> Option<u64> {
        self.accounts.get(account).map(|account| *lock(account))
    }

    /// Moves `amount` from `from` to `to` as one atomic step: no observer
    /// ever sees the money in both accounts or in neither. On error nothing
    /// changes; a transfer of 0 between two distinct accounts succeeds and
    /// changes nothing. Never deadlocks or livelocks: every call finishes in
    /// bounded time, whatever transfers and `total` calls run concurrently,
    /// in whatever directions.
    pub fn transfer(&self, from: usize, to: usize, amount: u64) -> Result<(), TransferError> {
        if from >= self.accounts.len() || to >= self.accounts.len() {
            return Err(TransferError::NoSuchAccount);
        }
        // Before taking any lock: with a single account there is no second
        // lock to order, and locking the same Mutex twice on one thread
        // would wait for ourselves forever.
        if from == to {
            return Err(TransferError::SameAccount);
        }

        // Lock the lower index first, whichever way the money goes. Then
        // `transfer(a, b)` and `transfer(b, a)` both wait for the same lock
        // first, and whoever gets it can also get the second.
        let (low, high) = (from.min(to), from.max(to));
        let mut low_balance = lock(&self.accounts[low]);
        let mut high_balance = lock(&self.accounts[high]);
        let (from_balance, to_balance) =
            if from == low { (&mut *low_balance, &mut *high_balance) } else { (&mut *high_balance, &mut *low_balance) };

        // The check and the move happen under both locks, so no other
        // thread sees or changes either balance in between.
        if *from_balance < amount {
            return Err(TransferError::InsufficientFunds);
        }
        *from_balance -= amount;
        *to_balance += amount;
        Ok(())
    }

    /// The sum of all balances as one consistent snapshot: while transfers
    /// run, it always equals the sum of the initial balances.
    pub fn total(&self) -> u64 {
        // Hold every lock at once, so that no transfer runs between reading
        // one account and the next; take them in ascending order, the same
        // order transfers use, so that this cannot deadlock with them.
        let guards: Vec<MutexGuard<'_, u64>> = self.accounts.iter().map(lock).collect();
        guards.iter().map(|balance| **balance).sum()
    }
}

/// Locks one account.
///
/// A poisoned lock means another thread panicked while holding it. Every
/// change to a balance happens after all checks, in two statements that
/// cannot panic for amounts the bank can hold, so the balance is still
/// valid and we carry on with it.
fn lock(account: &Mutex<u64>) -> MutexGuard<'_, u64> {
    account.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
