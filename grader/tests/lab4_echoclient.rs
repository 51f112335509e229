//! Lab 4 checks: `cargo test -p grader --test lab4_echoclient`.
//!
//! The checks live in `grader/src/labs/lab4_echoclient.rs`; this target only runs them.

fn main() {
    grader::harness::test_main(4)
}
