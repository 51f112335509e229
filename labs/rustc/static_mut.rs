// A global, as in C: rejected outside `unsafe` (labs/src/lab5/threads.md).
// ANCHOR: static_mut
static mut TOTAL: u64 = 0;

fn main() {
    std::thread::spawn(|| TOTAL += 1);
}
// ANCHOR_END: static_mut
