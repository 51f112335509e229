// A shared pointer that is not thread-safe: rejected (labs/src/lab5/threads.md).
use std::cell::Cell;
use std::rc::Rc;

fn main() {
    // ANCHOR: rc
    let total = Rc::new(Cell::new(0u64));
    let mine = Rc::clone(&total);
    std::thread::spawn(move || mine.set(mine.get() + 1));
    // ANCHOR_END: rc
}
