//! The documented behaviour of `Bank`, one guarantee per test.
//!
//! Every test runs its checks while two other threads make transfers in
//! opposite directions (see `common::with_crossfire`): a bank
//! that can deadlock fails every test here, with a message that says so,
//! instead of passing the single-threaded checks by luck.

mod common;

use common::with_crossfire;
use exercise_5::{Bank, TransferError};

#[test]
fn new_bank_reports_len_and_balances() {
    with_crossfire(|checks| {
        let balances = [70, 0, 5, u64::MAX / 4];
        let bank = Bank::new(&balances);
        assert_eq!(bank.len(), 4, "Bank::new was given 4 balances, but len() is {}", bank.len());
        assert!(!bank.is_empty(), "a bank with 4 accounts says is_empty() is true");
        checks.assert_balances(&bank, &balances, "Bank::new(&[70, 0, 5, u64::MAX / 4])");
        for account in [4, 5, usize::MAX] {
            let balance = checks.balance(&bank, account);
            assert_eq!(balance, None, "balance({account}) of a bank with 4 accounts is {balance:?}, expected None");
        }
    });
}

#[test]
fn empty_bank_has_no_accounts() {
    with_crossfire(|checks| {
        let bank = Bank::new(&[]);
        assert_eq!(bank.len(), 0, "a bank made from no balances has len() {}, expected 0", bank.len());
        assert!(bank.is_empty(), "a bank made from no balances says is_empty() is false");
        let balance = checks.balance(&bank, 0);
        assert_eq!(balance, None, "balance(0) of an empty bank is {balance:?}, expected None");
        for (from, to) in [(0, 1), (0, 0)] {
            let result = checks.transfer(&bank, from, to, 0);
            assert_eq!(
                result,
                Err(TransferError::NoSuchAccount),
                "transfer({from}, {to}, 0) in an empty bank returned {result:?}"
            );
        }
        let total = checks.total(&bank);
        assert_eq!(total, 0, "total() of an empty bank is {total}, expected 0");
    });
}

#[test]
fn transfer_moves_the_amount() {
    with_crossfire(|checks| {
        let bank = Bank::new(&[100, 20, 7]);
        let result = checks.transfer(&bank, 0, 1, 30);
        assert_eq!(result, Ok(()), "transfer(0, 1, 30) from balances [100, 20, 7] returned {result:?}");
        checks.assert_balances(&bank, &[70, 50, 7], "transfer(0, 1, 30) from [100, 20, 7]");
        let result = checks.transfer(&bank, 2, 0, 7);
        assert_eq!(
            result,
            Ok(()),
            "transfer(2, 0, 7) of the whole balance of account 2 returned {result:?}; a transfer of \
             exactly the balance must succeed"
        );
        checks.assert_balances(&bank, &[77, 50, 0], "transfer(2, 0, 7) from [70, 50, 7]");
    });
}

#[test]
fn transfer_of_zero_succeeds_and_changes_nothing() {
    with_crossfire(|checks| {
        let bank = Bank::new(&[10, 0, 3]);
        for (from, to) in [(0, 1), (1, 0), (1, 2), (2, 0)] {
            let result = checks.transfer(&bank, from, to, 0);
            assert_eq!(
                result,
                Ok(()),
                "transfer({from}, {to}, 0) between two distinct accounts returned {result:?}; a transfer \
                 of 0 must succeed, even from an empty account"
            );
            checks.assert_balances(&bank, &[10, 0, 3], &format!("transfer({from}, {to}, 0)"));
        }
    });
}

#[test]
fn insufficient_funds_change_nothing() {
    with_crossfire(|checks| {
        let bank = Bank::new(&[50, 0, 9]);
        for (from, to, amount) in [(0, 1, 51), (1, 2, 1), (2, 0, u64::MAX), (0, 2, 1 << 40)] {
            let result = checks.transfer(&bank, from, to, amount);
            assert_eq!(
                result,
                Err(TransferError::InsufficientFunds),
                "transfer({from}, {to}, {amount}) from balances [50, 0, 9] returned {result:?}"
            );
            checks.assert_balances(
                &bank,
                &[50, 0, 9],
                &format!("the failed transfer({from}, {to}, {amount}) (on error nothing may change)"),
            );
        }
    });
}

#[test]
fn self_transfer_is_same_account() {
    with_crossfire(|checks| {
        let bank = Bank::new(&[40, 8]);
        for (account, amount) in [(0, 10), (1, 8), (0, 0), (1, 0)] {
            let result = checks.transfer(&bank, account, account, amount);
            assert_eq!(
                result,
                Err(TransferError::SameAccount),
                "transfer({account}, {account}, {amount}) from an account to itself returned {result:?}"
            );
            checks.assert_balances(
                &bank,
                &[40, 8],
                &format!("the failed transfer({account}, {account}, {amount}) (on error nothing may change)"),
            );
        }
    });
}

#[test]
fn unknown_accounts_are_no_such_account() {
    with_crossfire(|checks| {
        let bank = Bank::new(&[25, 25, 25]);
        for (from, to) in [(0, 3), (3, 1), (2, usize::MAX), (usize::MAX, 0), (3, 4)] {
            let result = checks.transfer(&bank, from, to, 5);
            assert_eq!(
                result,
                Err(TransferError::NoSuchAccount),
                "transfer({from}, {to}, 5) in a bank with accounts 0, 1 and 2 returned {result:?}"
            );
            checks.assert_balances(
                &bank,
                &[25, 25, 25],
                &format!("the failed transfer({from}, {to}, 5) (on error nothing may change)"),
            );
        }
    });
}

#[test]
fn errors_follow_the_documented_precedence() {
    with_crossfire(|checks| {
        let bank = Bank::new(&[10, 10]);
        let cases = [
            // An unknown account comes before everything else...
            (2, 2, 5, TransferError::NoSuchAccount, "the account does not exist (it is also the same account)"),
            (7, 7, 1_000, TransferError::NoSuchAccount, "the account does not exist (same account, too much)"),
            (0, 2, 1_000, TransferError::NoSuchAccount, "account 2 does not exist (and 0 holds too little)"),
            (2, 0, 1_000, TransferError::NoSuchAccount, "account 2 does not exist (it cannot pay 1000 either)"),
            // ...and the same account before insufficient funds.
            (1, 1, 1_000, TransferError::SameAccount, "it is the same account (which holds too little, too)"),
            (0, 0, u64::MAX, TransferError::SameAccount, "it is the same account (which holds too little, too)"),
        ];
        for (from, to, amount, expected, why) in cases {
            let result = checks.transfer(&bank, from, to, amount);
            assert_eq!(
                result,
                Err(expected),
                "transfer({from}, {to}, {amount}) with balances [10, 10] returned {result:?}, expected \
                 {expected:?}: {why}. When several errors apply, the first of NoSuchAccount, SameAccount, \
                 InsufficientFunds wins"
            );
            checks.assert_balances(
                &bank,
                &[10, 10],
                &format!("the failed transfer({from}, {to}, {amount}) (on error nothing may change)"),
            );
        }
    });
}

#[test]
fn total_sums_every_balance() {
    with_crossfire(|checks| {
        let bank = Bank::new(&[3, 0, 1 << 40, 17, 1]);
        let expected = 3 + (1 << 40) + 17 + 1;
        let total = checks.total(&bank);
        assert_eq!(total, expected, "total() of balances [3, 0, 2^40, 17, 1] is {total}, expected {expected}");
        for (from, to, amount) in [(2, 1, 1 << 39), (0, 4, 3), (3, 0, 18)] {
            let _ = checks.transfer(&bank, from, to, amount);
            let total = checks.total(&bank);
            assert_eq!(
                total, expected,
                "after transfer({from}, {to}, {amount}) total() is {total}, expected {expected}: a transfer \
                 must neither create nor destroy money"
            );
        }
        let single = Bank::new(&[42]);
        let total = checks.total(&single);
        assert_eq!(total, 42, "total() of a bank with one account holding 42 is {total}");
    });
}
