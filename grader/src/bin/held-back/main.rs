//! The instructor's grader: every check of the labs, and the checks the
//! instructor holds back. This directory is never in the starter (`cargo
//! xtask starter` leaves it out, and CI proves it), so students do not see
//! these checks before they are graded; official grading (`run_autograder`,
//! `cargo xtask grade`) builds and runs this executable instead of `grader`.
//!
//! Why a directory of its own rather than a module of the grader's library:
//! official grading builds a submission in two steps. First the whole
//! workspace without this directory, so that no file of the submission is
//! ever compiled while these sources are readable (`include_str!` of a
//! path in here finds nothing); then this executable alone, which compiles
//! none of the submission's code again. Its sources are removed before any
//! check runs.
//!
//! A held-back check is written like any other (`grader::check`: steps,
//! expected vs observed, its handout step), with two differences: it is
//! registered here, with [`VISIBILITY`], and it draws its inputs from
//! [`grader::Ctx::seed`], which official grading derives from the
//! submission, so a regrade draws the same inputs and a student cannot
//! learn them from a classmate's feedback. See the instructor's chapter,
//! "Checks you hold back".
//!
//! ```text
//! cargo run -p grader --bin held-back                 # every check, held-back ones too
//! cargo run -p grader --bin held-back -- --seed 42    # the inputs of a given seed
//! ```

mod lab1;
mod lab3;

use std::process::ExitCode;

use grader::Check;
use grader::check::Visibility;
use grader::steps::{LAB1_READLINEB, LAB3_ACCEPT};

/// When students see a held-back check's details: `AfterDueDate` (on
/// Gradescope, after the assignment's due date; in `cargo xtask grade`'s
/// feedback, once `--release-held-back` is given), `AfterPublished`, or
/// `Hidden` (its points count, its details are never shown).
const VISIBILITY: Visibility = Visibility::AfterDueDate;

/// The checks held back, in handout order.
fn held_back() -> Vec<Check> {
    grader::checks! {
        library held_back_readlineb_seeded_text: LAB1_READLINEB, 2,
            "readlineb: a text of seeded random lines, some longer than the buffer, read in seeded pieces"
            => lab1::readlineb_seeded_text, held_back(VISIBILITY);
        process held_back_server_echoes_seeded_lines: LAB3_ACCEPT, 2,
            "echoserver: seeded random lines, one longer than 64 KiB, echoed exactly"
            => lab3::server_echoes_seeded_lines, held_back(VISIBILITY);
    }
}

fn main() -> ExitCode {
    let mut checks = grader::labs::all();
    checks.extend(held_back());
    // Each lab's checks together, the held-back ones last within their lab.
    checks.sort_by_key(|c| c.step.lab);
    grader::cli::main(checks)
}
