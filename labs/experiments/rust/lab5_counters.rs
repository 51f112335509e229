// Two threads add to one AtomicU64, 10 million times each
// (labs/experiments/lab5_threads.py):
//
//   fetch_add   total.fetch_add(1): one indivisible read-modify-write;
//   load_store  let n = total.load(); total.store(n + 1): atomics used
//               correctly, and still a lost update whenever the other
//               thread runs between the two.
//
// Prints the total; 20,000,000 is right.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

const N: u64 = 10_000_000;

fn main() {
    let load_store = match std::env::args().nth(1).as_deref() {
        Some("fetch_add") => false,
        Some("load_store") => true,
        _ => panic!("usage: lab5_counters fetch_add|load_store"),
    };
    let total = Arc::new(AtomicU64::new(0));
    // A spinning start line rather than std's Barrier: a Barrier wakes the
    // first thread through the kernel, and on a busy machine it may be
    // scheduled only after the other has finished its ten million adds.
    // Spinning, neither starts until both are on a CPU at the same time.
    let ready = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (counter, ready) = (Arc::clone(&total), Arc::clone(&ready));
            std::thread::spawn(move || {
                ready.fetch_add(1, Relaxed);
                while ready.load(Relaxed) < 2 {
                    std::hint::spin_loop(); // both begin together
                }
                for _ in 0..N {
                    if load_store {
                        let n = counter.load(Relaxed);
                        counter.store(n + 1, Relaxed);
                    } else {
                        counter.fetch_add(1, Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    println!("{}", total.load(Relaxed));
}
