//! Lab 3 checks: `cargo test -p grader --test lab3_echoserver`.
//!
//! The checks live in `grader/src/labs/lab3_echoserver.rs` and `grader/src/labs/lab3_echoserver/`; this
//! target only runs them.

fn main() {
    grader::harness::test_main(3)
}
