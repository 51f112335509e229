// fetch_add with its result unused, and used: labs/experiments/lab5_std.py
// compiles this with -O to assembly and looks at the instruction.
use std::sync::atomic::{AtomicU64, Ordering};

#[unsafe(no_mangle)]
pub fn add_unused(total: &AtomicU64, n: u64) {
    total.fetch_add(n, Ordering::Relaxed);
}

#[unsafe(no_mangle)]
pub fn add_used(total: &AtomicU64, n: u64) -> u64 {
    total.fetch_add(n, Ordering::Relaxed)
}
