//! Command-line flags for the bench programs: `--quick`, `--rounds 5`,
//! `--server-cmd "…"`.
//!
//! A handful of flags do not justify a parser crate in a teaching
//! workspace, so this is a list of the arguments that the program takes
//! flags out of, one by one; whatever is left at the end is an error.

use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{Context, Result, bail};

/// The arguments not yet taken by [`Args::flag`] or [`Args::value`].
///
/// # Examples
///
/// ```
/// let mut args = bench::args::Args::from_vec(vec!["--quick".into(), "--rounds".into(), "3".into()]);
/// assert!(args.flag("--quick"));
/// assert_eq!(args.value::<u32>("--rounds")?, Some(3));
/// assert_eq!(args.value::<u32>("--seed")?, None);
/// args.finish()?;
/// # Ok::<(), anyhow::Error>(())
/// ```
pub struct Args {
    rest: Vec<String>,
}

impl Args {
    /// The program's arguments, without the program name.
    pub fn from_env() -> Args {
        Args::from_vec(std::env::args().skip(1).collect())
    }

    /// Arguments from a list (for tests and examples).
    pub fn from_vec(rest: Vec<String>) -> Args {
        Args { rest }
    }

    /// Takes `name` out of the list; `true` if it was there.
    pub fn flag(&mut self, name: &str) -> bool {
        let before = self.rest.len();
        self.rest.retain(|a| a != name);
        self.rest.len() != before
    }

    /// Takes `name VALUE` out of the list and parses `VALUE`; the last one
    /// counts if the flag is given more than once.
    ///
    /// # Errors
    ///
    /// The flag is last with no value, or the value does not parse.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Result<Option<T>>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let mut found = None;
        while let Some(i) = self.rest.iter().position(|a| a == name) {
            if i + 1 == self.rest.len() {
                bail!("{name} needs a value");
            }
            let value = self.rest.remove(i + 1);
            self.rest.remove(i);
            found = Some(
                value
                    .parse()
                    .with_context(|| format!("bad value for {name}: {value:?}"))?,
            );
        }
        Ok(found)
    }

    /// Checks that every argument was taken.
    ///
    /// # Errors
    ///
    /// An argument that no flag took, such as a misspelt flag.
    pub fn finish(self) -> Result<()> {
        match self.rest.first() {
            Some(unknown) => bail!("unknown argument {unknown:?} (try --help)"),
            None => Ok(()),
        }
    }
}

/// A bench program's `main`: prints `usage` for `--help` or `-h`, else runs
/// `program` on the command line's arguments; an error ends it with one
/// line on stderr, `NAME: what went wrong`, and exit status 1.
pub fn main(name: &str, usage: &str, program: impl FnOnce(Args) -> Result<()>) -> ExitCode {
    let mut args = Args::from_env();
    if args.flag("--help") || args.flag("-h") {
        println!("{usage}");
        return ExitCode::SUCCESS;
    }
    match program(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
