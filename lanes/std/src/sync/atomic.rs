//! `std::sync::atomic` over shuttle's models.
//!
//! Every operation is a scheduling point: another thread may run between
//! any two of them, which is exactly where a load-then-store breaks. shuttle
//! treats every ordering as `SeqCst`, so a correct weaker ordering is never
//! blamed (and a bug that needs a weak-memory reordering is not found: the
//! lane only explores interleavings).

use std::fmt;
use std::panic::Location;

pub use std::sync::atomic::{Ordering, compiler_fence};

use crate::harness::record;

/// A memory fence: a scheduling point (orderings are all `SeqCst` here).
#[track_caller]
pub fn fence(order: Ordering) {
    record("fence", Location::caller());
    shuttle::sync::atomic::fence(order);
}

macro_rules! atomic_int {
    ($name:ident, $int:ty) => {
        #[doc = concat!("An atomic `", stringify!($int), "` (std's API over shuttle's model).")]
        pub struct $name {
            inner: shuttle::sync::atomic::$name,
        }

        impl $name {
            /// A new atomic holding `value`.
            pub const fn new(value: $int) -> $name {
                $name { inner: shuttle::sync::atomic::$name::new(value) }
            }

            /// A mutable reference to the value (no other thread can see it).
            pub fn get_mut(&mut self) -> &mut $int {
                self.inner.get_mut()
            }

            /// Consumes the atomic and returns its value.
            pub fn into_inner(self) -> $int {
                self.inner.into_inner()
            }

            /// Loads the value.
            #[track_caller]
            pub fn load(&self, order: Ordering) -> $int {
                let value = self.inner.load(order);
                record(format!("{}::load -> {value}", stringify!($name)), Location::caller());
                value
            }

            /// Stores `value`.
            #[track_caller]
            pub fn store(&self, value: $int, order: Ordering) {
                self.inner.store(value, order);
                record(format!("{}::store({value})", stringify!($name)), Location::caller());
            }

            /// Stores `value` and returns the previous one.
            #[track_caller]
            pub fn swap(&self, value: $int, order: Ordering) -> $int {
                let previous = self.inner.swap(value, order);
                record(format!("{}::swap({value}) -> {previous}", stringify!($name)), Location::caller());
                previous
            }

            /// Stores `new` if the value is `current`.
            #[track_caller]
            pub fn compare_exchange(
                &self,
                current: $int,
                new: $int,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$int, $int> {
                let result = self.inner.compare_exchange(current, new, success, failure);
                record(
                    format!("{}::compare_exchange({current}, {new}) -> {result:?}", stringify!($name)),
                    Location::caller(),
                );
                result
            }

            /// Like `compare_exchange` (never fails spuriously here).
            #[track_caller]
            pub fn compare_exchange_weak(
                &self,
                current: $int,
                new: $int,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$int, $int> {
                let result = self.inner.compare_exchange_weak(current, new, success, failure);
                record(
                    format!("{}::compare_exchange_weak({current}, {new}) -> {result:?}", stringify!($name)),
                    Location::caller(),
                );
                result
            }

            /// Applies `f` until a compare-exchange succeeds or `f` returns `None`;
            /// each attempt is a load and a compare-exchange (two scheduling points).
            #[track_caller]
            pub fn fetch_update<F>(&self, set_order: Ordering, fetch_order: Ordering, mut f: F) -> Result<$int, $int>
            where
                F: FnMut($int) -> Option<$int>,
            {
                let location = Location::caller();
                let mut previous = self.inner.load(fetch_order);
                record(format!("{}::fetch_update: load -> {previous}", stringify!($name)), location);
                while let Some(next) = f(previous) {
                    match self.inner.compare_exchange_weak(previous, next, set_order, fetch_order) {
                        Ok(value) => {
                            record(format!("{}::fetch_update: stores {next}", stringify!($name)), location);
                            return Ok(value);
                        }
                        Err(value) => {
                            record(format!("{}::fetch_update: changed meanwhile to {value}, retries", stringify!($name)), location);
                            previous = value;
                        }
                    }
                }
                record(format!("{}::fetch_update: gives up at {previous}", stringify!($name)), location);
                Err(previous)
            }

            atomic_int!(@rmw $name, $int, fetch_add, fetch_sub, fetch_and, fetch_nand, fetch_or, fetch_xor, fetch_max, fetch_min);
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new(0)
            }
        }

        impl From<$int> for $name {
            fn from(value: $int) -> $name {
                $name::new(value)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.inner.fmt(f)
            }
        }
    };
    (@rmw $name:ident, $int:ty, $($method:ident),*) => {
        $(
            #[doc = concat!("`", stringify!($method), "`: one atomic read-modify-write; returns the previous value.")]
            #[track_caller]
            pub fn $method(&self, value: $int, order: Ordering) -> $int {
                let previous = self.inner.$method(value, order);
                record(format!("{}::{}({value}) -> {previous}", stringify!($name), stringify!($method)), Location::caller());
                previous
            }
        )*
    };
}

atomic_int!(AtomicU8, u8);
atomic_int!(AtomicU16, u16);
atomic_int!(AtomicU32, u32);
atomic_int!(AtomicU64, u64);
atomic_int!(AtomicUsize, usize);
atomic_int!(AtomicI8, i8);
atomic_int!(AtomicI16, i16);
atomic_int!(AtomicI32, i32);
atomic_int!(AtomicI64, i64);
atomic_int!(AtomicIsize, isize);

/// An atomic `bool` (std's API over shuttle's model).
pub struct AtomicBool {
    inner: shuttle::sync::atomic::AtomicBool,
}

impl AtomicBool {
    /// A new atomic holding `value`.
    pub const fn new(value: bool) -> AtomicBool {
        AtomicBool { inner: shuttle::sync::atomic::AtomicBool::new(value) }
    }

    /// A mutable reference to the value.
    pub fn get_mut(&mut self) -> &mut bool {
        self.inner.get_mut()
    }

    /// Consumes the atomic and returns its value.
    pub fn into_inner(self) -> bool {
        self.inner.into_inner()
    }

    /// Loads the value.
    #[track_caller]
    pub fn load(&self, order: Ordering) -> bool {
        let value = self.inner.load(order);
        record(format!("AtomicBool::load -> {value}"), Location::caller());
        value
    }

    /// Stores `value`.
    #[track_caller]
    pub fn store(&self, value: bool, order: Ordering) {
        self.inner.store(value, order);
        record(format!("AtomicBool::store({value})"), Location::caller());
    }

    /// Stores `value` and returns the previous one.
    #[track_caller]
    pub fn swap(&self, value: bool, order: Ordering) -> bool {
        let previous = self.inner.swap(value, order);
        record(format!("AtomicBool::swap({value}) -> {previous}"), Location::caller());
        previous
    }

    /// Stores `new` if the value is `current`.
    #[track_caller]
    pub fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        let result = self.inner.compare_exchange(current, new, success, failure);
        record(format!("AtomicBool::compare_exchange({current}, {new}) -> {result:?}"), Location::caller());
        result
    }

    /// Like `compare_exchange` (never fails spuriously here).
    #[track_caller]
    pub fn compare_exchange_weak(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        let result = self.inner.compare_exchange_weak(current, new, success, failure);
        record(format!("AtomicBool::compare_exchange_weak({current}, {new}) -> {result:?}"), Location::caller());
        result
    }

    /// Applies `f` until a compare-exchange succeeds or `f` returns `None`.
    #[track_caller]
    pub fn fetch_update<F>(&self, set_order: Ordering, fetch_order: Ordering, mut f: F) -> Result<bool, bool>
    where
        F: FnMut(bool) -> Option<bool>,
    {
        let location = Location::caller();
        let mut previous = self.inner.load(fetch_order);
        record(format!("AtomicBool::fetch_update: load -> {previous}"), location);
        while let Some(next) = f(previous) {
            match self.inner.compare_exchange_weak(previous, next, set_order, fetch_order) {
                Ok(value) => {
                    record(format!("AtomicBool::fetch_update: stores {next}"), location);
                    return Ok(value);
                }
                Err(value) => previous = value,
            }
        }
        Err(previous)
    }

    /// Logical and; returns the previous value.
    #[track_caller]
    pub fn fetch_and(&self, value: bool, order: Ordering) -> bool {
        let previous = self.inner.fetch_and(value, order);
        record(format!("AtomicBool::fetch_and({value}) -> {previous}"), Location::caller());
        previous
    }

    /// Logical nand; returns the previous value.
    #[track_caller]
    pub fn fetch_nand(&self, value: bool, order: Ordering) -> bool {
        let previous = self.inner.fetch_nand(value, order);
        record(format!("AtomicBool::fetch_nand({value}) -> {previous}"), Location::caller());
        previous
    }

    /// Logical or; returns the previous value.
    #[track_caller]
    pub fn fetch_or(&self, value: bool, order: Ordering) -> bool {
        let previous = self.inner.fetch_or(value, order);
        record(format!("AtomicBool::fetch_or({value}) -> {previous}"), Location::caller());
        previous
    }

    /// Logical xor; returns the previous value.
    #[track_caller]
    pub fn fetch_xor(&self, value: bool, order: Ordering) -> bool {
        let previous = self.inner.fetch_xor(value, order);
        record(format!("AtomicBool::fetch_xor({value}) -> {previous}"), Location::caller());
        previous
    }
}

impl Default for AtomicBool {
    fn default() -> AtomicBool {
        AtomicBool::new(false)
    }
}

impl From<bool> for AtomicBool {
    fn from(value: bool) -> AtomicBool {
        AtomicBool::new(value)
    }
}

impl fmt::Debug for AtomicBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// Atomic pointers: shuttle's own (no exercise stores pointers; not traced).
pub use shuttle::sync::atomic::AtomicPtr;
