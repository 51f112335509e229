// An Arc hands out shared references only: rejected (labs/src/lab5/threads.md).
use std::sync::Arc;

fn main() {
    // ANCHOR: arc
    let total = Arc::new(0u64);
    let mine = Arc::clone(&total);
    std::thread::spawn(move || *mine += 1);
    // ANCHOR_END: arc
}
