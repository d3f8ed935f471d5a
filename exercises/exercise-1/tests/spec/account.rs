//! The contract, one call at a time, and the scenarios that test it:
//! shared by `tests/lane.rs` (under the controlled scheduler) and
//! `tests/stress.rs` (on real threads). The module that includes this file
//! names the types under test (`student::Account` or the real crate's).

use std::fmt;

use rand::Rng;
use testkit::StdRng;
use testkit::lincheck::{Scenario, Spec};

use super::Account;

/// The calls of the public API, with their arguments.
#[derive(Clone, Debug)]
pub enum Op {
    Deposit(u64),
    Withdraw(u64),
    Balance,
}

/// What a call returns.
#[derive(Clone, PartialEq)]
pub enum Ret {
    Unit,
    Bool(bool),
    Balance(u64),
}

impl fmt::Debug for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Unit => f.write_str("()"),
            Ret::Bool(b) => write!(f, "{b}"),
            Ret::Balance(n) => write!(f, "{n}"),
        }
    }
}

pub struct AccountSpec;

/// Amounts that compete for the same funds: two withdrawals of 60 from
/// 100 cannot both succeed, a deposit of 40 can make a withdrawal of
/// 100 possible, and 0 is the edge case the contract names.
const AMOUNTS: [u64; 4] = [0, 40, 60, 100];

impl Spec for AccountSpec {
    type Init = u64;
    type Op = Op;
    type Ret = Ret;
    type Final = u64;
    type Model = u64;
    type Sut = Account;

    fn generate(rng: &mut StdRng) -> Scenario<Self> {
        let init = [0, 60, 100, 100][rng.random_range(0..4)];
        let threads = if rng.random_bool(0.5) { 3 } else { 2 };
        let threads = (0..threads)
            .map(|_| {
                (0..rng.random_range(1..=3))
                    .map(|_| {
                        let amount = AMOUNTS[rng.random_range(0..AMOUNTS.len())];
                        match rng.random_range(0..10) {
                            0..=4 => Op::Withdraw(amount),
                            5..=7 => Op::Deposit(amount),
                            _ => Op::Balance,
                        }
                    })
                    .collect()
            })
            .collect();
        Scenario { init, threads }
    }

    fn model(init: &u64) -> u64 {
        *init
    }

    fn step(balance: &mut u64, op: &Op) -> Option<Ret> {
        Some(match *op {
            Op::Deposit(amount) => {
                *balance += amount;
                Ret::Unit
            }
            Op::Withdraw(amount) if amount <= *balance => {
                *balance -= amount;
                Ret::Bool(true)
            }
            Op::Withdraw(_) => Ret::Bool(false),
            Op::Balance => Ret::Balance(*balance),
        })
    }

    fn model_final(balance: &u64) -> u64 {
        *balance
    }

    fn sut(init: &u64) -> Account {
        Account::new(*init)
    }

    fn call(account: &Account, op: &Op) -> Ret {
        match *op {
            Op::Deposit(amount) => {
                account.deposit(amount);
                Ret::Unit
            }
            Op::Withdraw(amount) => Ret::Bool(account.withdraw(amount)),
            Op::Balance => Ret::Balance(account.balance()),
        }
    }

    fn sut_final(account: &Account) -> u64 {
        account.balance()
    }

    fn show_init(init: &u64) -> String {
        format!("let account = Account::new({init});")
    }

    fn show_op(op: &Op) -> String {
        match op {
            Op::Deposit(amount) => format!("deposit({amount})"),
            Op::Withdraw(amount) => format!("withdraw({amount})"),
            Op::Balance => "balance()".to_string(),
        }
    }

    fn show_final(balance: &u64) -> String {
        format!("balance() -> {balance}")
    }
}
