//! `grader-sandbox`: the part of the grader that links no student code.
//!
//! ```text
//! grader-sandbox supervise --deadline-ms N [--uid U] -- PROGRAM ARGS…
//!     run one check process contained (the grader calls this; see supervise.rs)
//! ```

use std::process::ExitCode;

use grader_sandbox::supervise;

const USAGE: &str = "usage: grader-sandbox supervise --deadline-ms N [--uid U] -- PROGRAM [ARGS…]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("supervise") => match supervise::parse_args(&args[1..]) {
            Ok(opts) => match supervise::run(&opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("grader-sandbox: cannot report: {e}");
                    ExitCode::from(3)
                }
            },
            Err(e) => {
                eprintln!("grader-sandbox: {e}\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
