//! Lab 2 checks: `cargo test -p grader --test lab2_netutil`.
//!
//! The checks live in `grader/src/labs/lab2_netutil.rs` and `grader/src/labs/lab2_netutil/`; this
//! target only runs them.

fn main() {
    grader::harness::test_main(2)
}
