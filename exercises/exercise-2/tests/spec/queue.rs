//! The contract, one call at a time, and the scenarios that test it:
//! shared by `tests/lane.rs` (under the controlled scheduler) and
//! `tests/stress.rs` (on real threads). The module that includes this file
//! names the types under test (`student::{BoundedQueue, parallel_sum}` or the real crate's).

use std::collections::VecDeque;
use std::fmt;

use rand::Rng;
use testkit::StdRng;
use testkit::lincheck::{Scenario, Spec};

use super::{BoundedQueue, parallel_sum};

/// The calls of the public API, with their arguments.
#[derive(Clone, Debug)]
pub enum Op {
    Push(u64),
    Pop,
    Close,
    Len,
    IsEmpty,
    IsClosed,
    Capacity,
    /// `parallel_sum(producers, consumers, capacity)` (its own pipeline).
    ParallelSum(Vec<Vec<u64>>, usize, usize),
}

/// What a call returns.
#[derive(Clone, PartialEq)]
pub enum Ret {
    Push(Result<(), u64>),
    Pop(Option<u64>),
    Unit,
    Number(u64),
    Bool(bool),
}

impl fmt::Debug for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Push(result) => write!(f, "{result:?}"),
            Ret::Pop(item) => write!(f, "{item:?}"),
            Ret::Unit => f.write_str("()"),
            Ret::Number(n) => write!(f, "{n}"),
            Ret::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// How the queue starts: its capacity and the items pushed before the
/// threads start (so that pops compete for them, or pushes for room).
#[derive(Clone, Debug)]
pub struct Init {
    pub capacity: usize,
    pub items: Vec<u64>,
}

/// The model: the items in order and whether the queue is closed.
#[derive(Clone)]
pub struct Model {
    capacity: usize,
    items: VecDeque<u64>,
    closed: bool,
}

/// The final state: whether it was closed, then every item left
/// (read by closing the queue and popping until `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Final {
    closed: bool,
    items: Vec<u64>,
}

pub struct QueueSpec;

impl Spec for QueueSpec {
    type Init = Init;
    type Op = Op;
    type Ret = Ret;
    type Final = Final;
    type Model = Model;
    type Sut = BoundedQueue<u64>;

    fn generate(rng: &mut StdRng) -> Scenario<Self> {
        let capacity = if rng.random_bool(0.6) { 1 } else { 2 };
        let prefill = rng.random_range(0..=capacity);
        let mut next = 1..;
        let items: Vec<u64> = next.by_ref().take(prefill).collect();
        let threads = if rng.random_bool(0.5) { 3 } else { 2 };
        let threads = (0..threads)
            .map(|_| {
                (0..rng.random_range(1..=3))
                    .map(|_| match rng.random_range(0..50) {
                        0..=13 => Op::Push(next.next().expect("endless")),
                        14..=27 => Op::Pop,
                        28..=32 => Op::Close,
                        33..=38 => Op::Len,
                        39..=40 => Op::IsEmpty,
                        41..=42 => Op::IsClosed,
                        43 => Op::Capacity,
                        _ => {
                            let producers = (0..rng.random_range(1..=2))
                                .map(|_| (0..rng.random_range(1..=2)).map(|_| rng.random_range(1..=9)).collect())
                                .collect();
                            Op::ParallelSum(producers, rng.random_range(1..=2), 1)
                        }
                    })
                    .collect()
            })
            .collect();
        Scenario { init: Init { capacity, items }, threads }
    }

    fn model(init: &Init) -> Model {
        Model { capacity: init.capacity, items: init.items.iter().copied().collect(), closed: false }
    }

    fn step(queue: &mut Model, op: &Op) -> Option<Ret> {
        Some(match op {
            Op::Push(item) if queue.closed => Ret::Push(Err(*item)),
            Op::Push(_) if queue.items.len() == queue.capacity => return None,
            Op::Push(item) => {
                queue.items.push_back(*item);
                Ret::Push(Ok(()))
            }
            Op::Pop => match queue.items.pop_front() {
                Some(item) => Ret::Pop(Some(item)),
                None if queue.closed => Ret::Pop(None),
                None => return None,
            },
            Op::Close => {
                queue.closed = true;
                Ret::Unit
            }
            Op::Len => Ret::Number(queue.items.len() as u64),
            Op::IsEmpty => Ret::Bool(queue.items.is_empty()),
            Op::IsClosed => Ret::Bool(queue.closed),
            Op::Capacity => Ret::Number(queue.capacity as u64),
            Op::ParallelSum(producers, _, _) => Ret::Number(producers.iter().flatten().sum()),
        })
    }

    fn model_final(queue: &Model) -> Final {
        Final { closed: queue.closed, items: queue.items.iter().copied().collect() }
    }

    fn sut(init: &Init) -> BoundedQueue<u64> {
        let queue = BoundedQueue::new(init.capacity);
        for &item in &init.items {
            // Room for every item: a failure here is the submission's.
            assert_eq!(queue.push(item), Ok(()), "push({item}) into an open queue with room failed");
        }
        queue
    }

    fn call(queue: &BoundedQueue<u64>, op: &Op) -> Ret {
        match op {
            Op::Push(item) => Ret::Push(queue.push(*item)),
            Op::Pop => Ret::Pop(queue.pop()),
            Op::Close => {
                queue.close();
                Ret::Unit
            }
            Op::Len => Ret::Number(queue.len() as u64),
            Op::IsEmpty => Ret::Bool(queue.is_empty()),
            Op::IsClosed => Ret::Bool(queue.is_closed()),
            Op::Capacity => Ret::Number(queue.capacity() as u64),
            Op::ParallelSum(producers, consumers, capacity) => {
                Ret::Number(parallel_sum(producers.clone(), *consumers, *capacity))
            }
        }
    }

    fn sut_final(queue: &BoundedQueue<u64>) -> Final {
        let closed = queue.is_closed();
        queue.close();
        // At most a few items: a queue that keeps returning items past
        // its contents is cut off (and then differs from the model).
        let items = std::iter::from_fn(|| queue.pop()).take(16).collect();
        Final { closed, items }
    }

    fn show_init(init: &Init) -> String {
        let pushes: String = init.items.iter().map(|item| format!(" queue.push({item});")).collect();
        format!("let queue = BoundedQueue::new({});{pushes}", init.capacity)
    }

    fn show_op(op: &Op) -> String {
        match op {
            Op::Push(item) => format!("push({item})"),
            Op::Pop => "pop()".to_string(),
            Op::Close => "close()".to_string(),
            Op::Len => "len()".to_string(),
            Op::IsEmpty => "is_empty()".to_string(),
            Op::IsClosed => "is_closed()".to_string(),
            Op::Capacity => "capacity()".to_string(),
            Op::ParallelSum(producers, consumers, capacity) => {
                format!("parallel_sum(vec!{producers:?}, {consumers}, {capacity})")
            }
        }
    }

    fn show_final(fin: &Final) -> String {
        format!("is_closed() -> {}; then close() and pop() until None -> {:?}", fin.closed, fin.items)
    }
}
