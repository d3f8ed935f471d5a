//! The contract, one call at a time, and the scenarios that test it:
//! shared by `tests/lane.rs` (under the controlled scheduler) and
//! `tests/stress.rs` (on real threads). The module that includes this file
//! names the types under test (`student::{Bank, TransferError}` or the real crate's).

use std::fmt;

use rand::Rng;
use testkit::StdRng;
use testkit::lincheck::{Scenario, Spec};

use super::{Bank, TransferError};

/// The calls of the public API, with their arguments.
#[derive(Clone, Debug)]
pub enum Op {
    Transfer(usize, usize, u64),
    Balance(usize),
    Total,
    Len,
    IsEmpty,
}

/// What a call returns (errors by name, so the model needs no
/// submission type).
#[derive(Clone, PartialEq)]
pub enum Ret {
    Transfer(Result<(), &'static str>),
    Balance(Option<u64>),
    Number(u64),
    Bool(bool),
}

impl fmt::Debug for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Transfer(Ok(())) => f.write_str("Ok(())"),
            Ret::Transfer(Err(e)) => write!(f, "Err({e})"),
            Ret::Balance(b) => write!(f, "{b:?}"),
            Ret::Number(n) => write!(f, "{n}"),
            Ret::Bool(b) => write!(f, "{b}"),
        }
    }
}

pub struct BankSpec;

/// Amounts that compete: two transfers of 60 out of an account of 100
/// cannot both succeed; 0 is the edge case the contract names.
const AMOUNTS: [u64; 4] = [0, 40, 60, 100];

impl Spec for BankSpec {
    type Init = Vec<u64>;
    type Op = Op;
    type Ret = Ret;
    type Final = Vec<u64>;
    type Model = Vec<u64>;
    type Sut = Bank;

    fn generate(rng: &mut StdRng) -> Scenario<Self> {
        // Now and then an empty bank, where every call is an edge case.
        let accounts = match rng.random_range(0..20) {
            0 => 0,
            1..=13 => 2,
            _ => 3,
        };
        let mut init: Vec<u64> = (0..accounts).map(|_| [0, 60, 100][rng.random_range(0..3)]).collect();
        let threads = if rng.random_bool(0.5) { 3 } else { 2 };
        // The account most transfers of this scenario take money from,
        // with money in it to compete for.
        let hot = if accounts == 0 { 0 } else { rng.random_range(0..accounts) };
        if let Some(balance) = init.get_mut(hot) {
            *balance = [60, 100][rng.random_range(0..2)];
        }
        let threads = (0..threads)
            .map(|_| {
                if accounts >= 2 && rng.random_range(0..4) == 0 {
                    // Two balances read one after the other while
                    // another thread moves money between them: a
                    // transfer that is not one atomic step shows the
                    // money in neither account, or in both.
                    let first = if rng.random_bool(0.5) { hot } else { rng.random_range(0..accounts) };
                    let second = (first + rng.random_range(1..accounts)) % accounts;
                    return vec![Op::Balance(first), Op::Balance(second)];
                }
                (0..rng.random_range(1..=3))
                    .map(|_| match rng.random_range(0..20) {
                        0..=9 => {
                            let amount = AMOUNTS[rng.random_range(0..AMOUNTS.len())];
                            if accounts == 0 {
                                return Op::Transfer(0, rng.random_range(0..2), amount);
                            }
                            // Mostly two distinct existing accounts, in
                            // either direction, often out of the same
                            // account (transfers competing for its
                            // funds); sometimes the same one, or
                            // accounts past the end (the errors' order).
                            let from = if rng.random_bool(0.5) { hot } else { rng.random_range(0..accounts) };
                            let (from, to) = match rng.random_range(0..12) {
                                0 => (from, from),
                                1 => (from, accounts),
                                2 => (accounts, from),
                                3 => (accounts + 1, accounts + 1),
                                _ => (from, (from + rng.random_range(1..accounts)) % accounts),
                            };
                            Op::Transfer(from, to, amount)
                        }
                        10..=12 => Op::Total,
                        // Balances are read while transfers run, often
                        // two in a row (money in neither or both).
                        13..=18 => Op::Balance(rng.random_range(0..=accounts)),
                        _ if rng.random_bool(0.5) => Op::Len,
                        _ => Op::IsEmpty,
                    })
                    .collect()
            })
            .collect();
        let mut threads: Vec<Vec<Op>> = threads;
        if accounts >= 2 && rng.random_range(0..10) < 3 {
            // The same funds, wanted by every thread at once: each
            // transfer out of `hot` fits its balance, no two together do.
            let amount = if init[hot] == 100 { 60 } else { 40 };
            for ops in &mut threads {
                let to = (hot + rng.random_range(1..accounts)) % accounts;
                ops.insert(0, Op::Transfer(hot, to, amount));
                ops.truncate(3);
            }
        }
        Scenario { init, threads }
    }

    fn model(init: &Vec<u64>) -> Vec<u64> {
        init.clone()
    }

    fn step(balances: &mut Vec<u64>, op: &Op) -> Option<Ret> {
        Some(match *op {
            Op::Transfer(from, to, _) if from >= balances.len() || to >= balances.len() => {
                Ret::Transfer(Err("NoSuchAccount"))
            }
            Op::Transfer(from, to, _) if from == to => Ret::Transfer(Err("SameAccount")),
            Op::Transfer(from, _, amount) if balances[from] < amount => Ret::Transfer(Err("InsufficientFunds")),
            Op::Transfer(from, to, amount) => {
                balances[from] -= amount;
                balances[to] += amount;
                Ret::Transfer(Ok(()))
            }
            Op::Balance(account) => Ret::Balance(balances.get(account).copied()),
            Op::Total => Ret::Number(balances.iter().sum()),
            Op::Len => Ret::Number(balances.len() as u64),
            Op::IsEmpty => Ret::Bool(balances.is_empty()),
        })
    }

    fn model_final(balances: &Vec<u64>) -> Vec<u64> {
        balances.clone()
    }

    fn sut(init: &Vec<u64>) -> Bank {
        Bank::new(init)
    }

    fn call(bank: &Bank, op: &Op) -> Ret {
        match *op {
            Op::Transfer(from, to, amount) => Ret::Transfer(bank.transfer(from, to, amount).map_err(|e| match e {
                TransferError::NoSuchAccount => "NoSuchAccount",
                TransferError::SameAccount => "SameAccount",
                TransferError::InsufficientFunds => "InsufficientFunds",
            })),
            Op::Balance(account) => Ret::Balance(bank.balance(account)),
            Op::Total => Ret::Number(bank.total()),
            Op::Len => Ret::Number(bank.len() as u64),
            Op::IsEmpty => Ret::Bool(bank.is_empty()),
        }
    }

    fn sut_final(bank: &Bank) -> Vec<u64> {
        (0..bank.len()).map(|account| bank.balance(account).unwrap_or(u64::MAX)).collect()
    }

    fn show_init(init: &Vec<u64>) -> String {
        format!("let bank = Bank::new(&{init:?});")
    }

    fn show_op(op: &Op) -> String {
        match op {
            Op::Transfer(from, to, amount) => format!("transfer({from}, {to}, {amount})"),
            Op::Balance(account) => format!("balance({account})"),
            Op::Total => "total()".to_string(),
            Op::Len => "len()".to_string(),
            Op::IsEmpty => "is_empty()".to_string(),
        }
    }

    fn show_final(balances: &Vec<u64>) -> String {
        format!("the balances {balances:?}")
    }
}
