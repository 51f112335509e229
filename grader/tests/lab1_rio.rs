//! Lab 1 checks: `cargo test -p grader --test lab1_rio`.
//!
//! The checks live in `grader/src/labs/lab1_rio.rs` and `grader/src/labs/lab1_rio/`; this
//! target only runs them.

fn main() {
    grader::harness::test_main(1)
}
