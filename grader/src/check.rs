//! What a check is, and what it says when it fails.
//!
//! A check is a plain function with a lab step, a name, points and a
//! deadline. It runs as a list of steps, CS144-style: each action it takes
//! is recorded with [`Ctx::step`] *as it happens* (printed at once, so that
//! even a check killed at its deadline shows how far it got), and a failure
//! carries what was expected and what was observed. The runner adds the
//! handout link of the check's step, so every failure ends by saying where
//! the explanation is.

use std::fmt::{self, Debug, Display};
use std::io::{self, Write as _};
use std::time::{Duration, Instant};

pub use grader_sandbox::protocol::Visibility;
use grader_sandbox::protocol::{CHANNEL_ENV, Frame};

use crate::bins::Binary;
use crate::channel;
use crate::steps::Step;

/// What a check returns: `Ok` when the behaviour it names was seen.
pub type CheckResult = Result<(), Failure>;

/// How a check runs, which decides whether it can grade a foreign binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Calls the lab crates in-process (their Rust API).
    Library,
    /// Runs a built binary (`echoserver`, `echoclient`) as a child process.
    Process,
}

/// One graded check.
#[derive(Clone, Copy)]
pub struct Check {
    /// Name inside its lab, e.g. `readn_every_split` (a valid test name).
    pub name: &'static str,
    /// The handout step that explains the behaviour.
    pub step: Step,
    /// Points at full marks.
    pub points: u32,
    /// Hard deadline: past it, the check and everything it started is killed.
    pub deadline: Duration,
    /// In-process library check or binary check.
    pub kind: Kind,
    /// Needs IPv6 loopback (`::1`): on a host without it, the check is
    /// skipped and counts in neither the score nor the maximum.
    pub needs_ipv6: bool,
    /// One line saying what behaviour is checked.
    pub about: &'static str,
    /// Who may see its details: [`Visibility::Visible`] for every check of
    /// the starter; a check the instructor holds back says when
    /// ([`Check::held_back`]).
    pub visibility: Visibility,
    /// The check itself.
    pub body: Body,
}

/// What a check runs.
#[derive(Clone, Copy)]
pub enum Body {
    /// A function of its own.
    Plain(fn(&mut Ctx) -> CheckResult),
    /// A check that several labs share, run against one of their binaries
    /// (lab 3's server checks, run again for lab 5's servers: see
    /// [`crate::labs::servers`]).
    OnBinary(fn(&mut Ctx, Binary) -> CheckResult, Binary),
}

/// A lab's check table, one entry per check, in handout order: its kind
/// (`library`, in-process, or `process`, a built binary), its name, the
/// handout step, its points, what it checks, and what it runs; then, if
/// need be, `needs_ipv6` or `with_deadline(…)`. Gives a `Vec<Check>`.
///
/// ```text
/// checks! {
///     // Step 1: readn.
///     library readn_eof: LAB1_READN, 2,
///         "readn: EOF first gives 0, EOF mid-way exactly the bytes before it"
///         => readn_eof::<I>;
///     process echo_ipv6_and_localhost: LAB4_LOOP, 1,
///         "hosts `::1` and `localhost` connect and echo"
///         => echo_ipv6_and_localhost, needs_ipv6;
/// }
/// ```
///
/// Every lab writes its table so (lab 3's and lab 5's server checks come
/// from [`crate::labs::servers::register`]).
#[macro_export]
macro_rules! checks {
    ($(
        $kind:ident $name:ident: $step:expr, $points:expr, $about:expr => $run:expr
        $(, $modifier:ident $(($($arg:expr),*))?)*;
    )*) => {
        vec![$(
            $crate::check::Check::$kind(stringify!($name), $step, $points, $about, $run)
                $(.$modifier($($($arg),*)?))*
        ),*]
    };
}

/// Deadline of an in-process check: reached only when the code under test hangs.
pub const LIBRARY_DEADLINE: Duration = Duration::from_secs(10);
/// Deadline of a process check: its own waits (10 s each) run out first and
/// say what they awaited; this is the backstop.
pub const PROCESS_DEADLINE: Duration = Duration::from_secs(30);

impl Check {
    /// An in-process check of the lab crates, with [`LIBRARY_DEADLINE`].
    pub const fn library(
        name: &'static str,
        step: Step,
        points: u32,
        about: &'static str,
        run: fn(&mut Ctx) -> CheckResult,
    ) -> Check {
        Check {
            name,
            step,
            points,
            deadline: LIBRARY_DEADLINE,
            kind: Kind::Library,
            needs_ipv6: false,
            about,
            visibility: Visibility::Visible,
            body: Body::Plain(run),
        }
    }

    /// A check of a built binary, with [`PROCESS_DEADLINE`].
    pub const fn process(
        name: &'static str,
        step: Step,
        points: u32,
        about: &'static str,
        run: fn(&mut Ctx) -> CheckResult,
    ) -> Check {
        Check {
            deadline: PROCESS_DEADLINE,
            kind: Kind::Process,
            ..Check::library(name, step, points, about, run)
        }
    }

    /// The same check with another hard deadline.
    pub const fn with_deadline(self, deadline: Duration) -> Check {
        Check { deadline, ..self }
    }

    /// The same check, marked as one that cannot run without `::1`.
    pub const fn needs_ipv6(self) -> Check {
        Check {
            needs_ipv6: true,
            ..self
        }
    }

    /// The same check, held back by the instructor: official grading runs
    /// it, and its details are shown as `visibility` says (Gradescope's
    /// `after_due_date`, `after_published` or `hidden`). Only the
    /// instructor's `held-back` grader registers such checks.
    pub const fn held_back(self, visibility: Visibility) -> Check {
        Check { visibility, ..self }
    }

    /// A process check that runs `run` against `binary`.
    pub const fn on_binary(
        name: &'static str,
        step: Step,
        points: u32,
        about: &'static str,
        run: fn(&mut Ctx, Binary) -> CheckResult,
        binary: Binary,
    ) -> Check {
        Check {
            body: Body::OnBinary(run, binary),
            ..Check::process(name, step, points, about, |_| Ok(()))
        }
    }

    /// Runs the check (in the current process: the runner starts one per
    /// check and calls this there).
    pub fn run(&self, ctx: &mut Ctx) -> CheckResult {
        match self.body {
            Body::Plain(run) => run(ctx),
            Body::OnBinary(run, binary) => run(ctx, binary),
        }
    }

    /// `lab1_rio::readn_every_split`: the name `cargo test` and the report use.
    pub fn id(&self) -> String {
        format!("{}::{}", lab_slug(self.step.lab), self.name)
    }
}

impl Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// The lab's name, from the table of labs: `lab1_rio`, `lab2_netutil`, ….
///
/// # Panics
/// When `lab` is not in [`crate::labs::LABS`]: a step of a lab that has no
/// row (`cargo test -p grader --lib` names it first).
pub fn lab_slug(lab: u8) -> &'static str {
    match crate::labs::lab(lab) {
        Some(l) => l.slug,
        None => panic!("lab {lab} has a step but no row in grader::labs::LABS"),
    }
}

pub use grader_sandbox::protocol::Failure;

/// The context a check runs in: its step log, its deadline and its seed.
pub struct Ctx {
    started: Instant,
    deadline: Duration,
    steps: usize,
    seed: u64,
}

impl Ctx {
    /// A context for a check with this hard deadline (and seed 0).
    pub fn new(deadline: Duration) -> Ctx {
        Ctx::seeded(deadline, 0)
    }

    /// A context whose inputs are drawn from `seed`.
    pub fn seeded(deadline: Duration, seed: u64) -> Ctx {
        Ctx {
            started: Instant::now(),
            deadline,
            steps: 0,
            seed,
        }
    }

    /// The seed this check draws its inputs from: the runner's
    /// [`crate::runner::check_seed`] of the run's seed and the check's id,
    /// so a run with the same seed (`--seed`, official grading's
    /// per-submission seed) draws the same inputs again. A check that uses
    /// it names it in its steps, so a failure can be reproduced.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Records the next step (an action or an expectation that held).
    ///
    /// The step is sent to the runner at once, so a runner that must kill a
    /// hung check can still show what it was doing.
    pub fn step(&mut self, text: impl Display) {
        self.steps += 1;
        let text = text.to_string().replace('\n', " ");
        if !channel::send(&Frame::Step { text: text.clone() }) {
            // Not a contained check (a unit test running it in-process):
            // `println!`, which the test harness captures.
            println!("step: {text}");
        }
    }

    /// How many steps were recorded so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Time left before the hard deadline kills this check.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_sub(self.started.elapsed())
    }

    /// A wait budget for one event: `want`, but never past the point where
    /// the check could still report a clean failure before its hard deadline.
    pub fn budget(&self, want: Duration) -> Duration {
        let margin = Duration::from_millis(500);
        want.min(self.remaining().saturating_sub(margin))
    }

    /// Checks that `observed` equals `expected` (bytes), with a diff on failure.
    pub fn expect_bytes(
        &mut self,
        what: impl Display,
        expected: &[u8],
        observed: &[u8],
    ) -> CheckResult {
        if expected == observed {
            self.step(format!("{what}: {}  ok", show_bytes(observed)));
            return Ok(());
        }
        self.step(what);
        Err(bytes_failure(expected, observed))
    }

    /// Checks that `observed == expected`, showing both with `Debug`.
    pub fn expect_eq<T: PartialEq + Debug>(
        &mut self,
        what: impl Display,
        expected: T,
        observed: T,
    ) -> CheckResult {
        if expected == observed {
            self.step(format!("{what} -> {observed:?}  ok"));
            return Ok(());
        }
        self.step(what);
        Err(Failure::new(
            format!("{expected:?}"),
            format!("{observed:?}"),
        ))
    }

    /// Fails unless `cond`; `expected` says what should have held.
    pub fn expect(
        &mut self,
        what: impl Display,
        cond: bool,
        expected: impl Display,
        observed: impl Display,
    ) -> CheckResult {
        if cond {
            self.step(format!("{what}  ok"));
            Ok(())
        } else {
            self.step(what);
            Err(Failure::new(expected, observed))
        }
    }
}

// ---------------------------------------------------------------------------
// A check process: the grader executable, started again to run one check.

/// Called first thing by every grader executable: when this process was
/// started to run one check, runs it and exits; otherwise returns.
pub fn run_check_if_asked(checks: &[Check]) {
    if std::env::var_os(CHANNEL_ENV).is_none() {
        return;
    }
    let channel::Handed { proof, id, seed } = match channel::take_channel() {
        Ok(got) => got,
        Err(e) => {
            eprintln!("grader: this check process has no channel to its runner: {e}");
            // SAFETY: _exit ends the process at once; nothing is running yet.
            unsafe { libc::_exit(3) }
        }
    };
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "(a panic without a message)".to_string()
        };
        let place = info
            .location()
            .map(|l| format!(" (at {}:{}:{})", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        channel::send(&Frame::Panic {
            text: format!("{msg}{place}"),
        });
    }));
    let frame = match checks.iter().find(|c| c.id() == id) {
        Some(check) => {
            let mut ctx = Ctx::seeded(check.deadline, seed);
            match check.run(&mut ctx) {
                Ok(()) => Frame::Pass { proof },
                Err(failure) => Frame::Fail { proof, failure },
            }
        }
        None => Frame::Fail {
            proof,
            failure: Failure::new(
                format!("a check named {id} in this grader"),
                "none: the grader executable is not the one that listed the checks",
            ),
        },
    };
    channel::send(&frame);
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    // _exit, not exit: nothing registered by the code under test runs after
    // the verdict.
    // SAFETY: _exit ends the process at once.
    unsafe { libc::_exit(0) }
}

/// A failure for two byte strings that differ: lengths, contents cut near
/// the first difference, and the offset of that difference.
pub fn bytes_failure(expected: &[u8], observed: &[u8]) -> Failure {
    let at = first_difference(expected, observed);
    let what = match (expected.get(at), observed.get(at)) {
        (Some(e), Some(o)) => format!("expected {}, got {}", escape_byte(*e), escape_byte(*o)),
        (Some(e), None) => format!("expected {}, got the end", escape_byte(*e)),
        (None, Some(o)) => format!("expected the end, got {}", escape_byte(*o)),
        (None, None) => "none".to_string(),
    };
    Failure::new(
        format!(
            "{} {}",
            count_bytes(expected.len()),
            show_bytes_near(expected, at)
        ),
        format!(
            "{} {}",
            count_bytes(observed.len()),
            show_bytes_near(observed, at)
        ),
    )
    .note(format!("first difference at offset {at}: {what}"))
}

/// `1 byte`, `2 bytes`.
pub fn count_bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

/// Offset of the first byte where `a` and `b` differ (the shorter length
/// when one is a prefix of the other).
pub fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// How many bytes of a value a message shows.
const SHOW: usize = 32;

/// `b"hi\n"`, escaped, cut after 32 bytes with `...`.
pub fn show_bytes(bytes: &[u8]) -> String {
    show_bytes_near(bytes, 0)
}

/// Like [`show_bytes`], but the window starts shortly before `at`.
pub fn show_bytes_near(bytes: &[u8], at: usize) -> String {
    let start = at.saturating_sub(8).min(bytes.len());
    let start = if start <= 8 { 0 } else { start };
    let end = (start + SHOW).min(bytes.len());
    let mut s = String::new();
    if start > 0 {
        s.push_str(&format!("[{start} bytes]..."));
    }
    s.push_str("b\"");
    for &b in &bytes[start..end] {
        s.push_str(&escape_byte(b));
    }
    s.push('"');
    if end < bytes.len() {
        s.push_str(&format!("...[{} more]", bytes.len() - end));
    }
    s
}

/// One byte as Rust writes it in a byte string: `a`, `\n`, `\x00`.
pub fn escape_byte(b: u8) -> String {
    std::ascii::escape_default(b).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_escaped_and_cut() {
        assert_eq!(show_bytes(b"wo\x00\r\n\xff"), r#"b"wo\x00\r\n\xff""#);
        let long = vec![b'a'; 100];
        assert_eq!(
            show_bytes(&long),
            format!("b\"{}\"...[68 more]", "a".repeat(32))
        );
    }

    #[test]
    fn first_difference_is_reported() {
        let f = bytes_failure(b"wo", b"wo\x00");
        assert_eq!(f.expected, r#"2 bytes b"wo""#);
        assert_eq!(f.observed, r#"3 bytes b"wo\x00""#);
        assert_eq!(
            f.notes,
            vec![r"first difference at offset 2: expected the end, got \x00"]
        );
    }

    #[test]
    fn window_moves_to_the_difference() {
        let mut a = vec![b'x'; 1000];
        let b = a.clone();
        a[900] = b'y';
        let f = bytes_failure(&a, &b);
        assert!(
            f.expected.contains("[892 bytes]...b\"xxxxxxxxy"),
            "{}",
            f.expected
        );
        assert!(f.notes[0].contains("offset 900"));
    }
}
