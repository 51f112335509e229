//! Lab 5 checks: `cargo test -p grader --test lab5_concurrency`.
//!
//! The checks live in `grader/src/labs/lab5_concurrency.rs` and `grader/src/labs/lab5_concurrency/`; this
//! target only runs them.

fn main() {
    grader::harness::test_main(5)
}
