//! `cargo run -p grader`: the labs' checks, run by the grader's command
//! line ([`grader::cli`]).

use std::process::ExitCode;

fn main() -> ExitCode {
    grader::cli::main(grader::labs::all())
}
