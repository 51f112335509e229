//! The labs, as data: [`LABS`] is the one table of the course — each lab's
//! number, name, handout page, crates, binaries, whether a course may leave
//! it out, and its checks — and everything else derives from it: the check
//! ids (`lab1_rio::readn_eof`), the binaries each lab's test target builds,
//! the test targets themselves (a unit test proves each row has one), and
//! the starter's `--without-lab` (xtask reads the table).
//!
//! Adding a lab is a row here, a module of checks, its steps in
//! `steps.rs`, its test target in `grader/tests/` and `grader/Cargo.toml`,
//! its crates and its handout page; `cargo test -p grader --lib` names
//! whatever of those is missing (see `CONTRIBUTING.md`).

use crate::bins::Binary;
use crate::check::Check;

pub mod lab1_rio;
pub mod lab2_netutil;
pub mod lab3_echoserver;
pub mod lab4_echoclient;
// Lab 5 is optional: `cargo xtask starter DIR --without-lab 5` turns the
// feature off (and leaves the lab 5 crates and pages out).
#[cfg(feature = "lab5")]
pub mod lab5_concurrency;
pub mod servers;

/// One lab of the course.
#[derive(Clone, Copy, Debug)]
pub struct Lab {
    /// 1, 2, …: the order students do them in.
    pub number: u8,
    /// `lab1_rio`: its checks' prefix, its test target and its module.
    pub slug: &'static str,
    /// Its handout page, from the repository's root.
    pub page: &'static str,
    /// The crates students write in it (`crates/NAME`).
    pub crates: &'static [&'static str],
    /// The binaries its checks run.
    pub binaries: &'static [Binary],
    /// May a course leave it out (`cargo xtask starter --without-lab N`,
    /// which also turns off the grader's feature `labN`)?
    pub optional: bool,
    /// Its points at full marks: what its checks must add up to (a unit
    /// test holds them to it, so a check added to a shared group, or a
    /// point moved, is never a silent change of a lab's total; the handout
    /// and the instructor's table say the same, which the book's check
    /// compares).
    pub points: u32,
    /// Its checks, in handout order.
    pub checks: fn() -> Vec<Check>,
}

const LAB1: Lab = Lab {
    number: 1,
    slug: "lab1_rio",
    page: "labs/src/lab1-rio.md",
    crates: &["rio"],
    binaries: &[],
    optional: false,
    points: 30,
    checks: lab1_rio::checks,
};

const LAB2: Lab = Lab {
    number: 2,
    slug: "lab2_netutil",
    page: "labs/src/lab2-netutil.md",
    crates: &["netutil"],
    binaries: &[],
    optional: false,
    points: 23,
    checks: lab2_netutil::checks,
};

const LAB3: Lab = Lab {
    number: 3,
    slug: "lab3_echoserver",
    page: "labs/src/lab3-echoserver.md",
    crates: &["echoserver"],
    binaries: &[Binary::EchoServer],
    optional: false,
    points: 36,
    checks: lab3_echoserver::checks,
};

const LAB4: Lab = Lab {
    number: 4,
    slug: "lab4_echoclient",
    page: "labs/src/lab4-echoclient.md",
    crates: &["echoclient"],
    binaries: &[Binary::EchoClient],
    optional: false,
    points: 20,
    checks: lab4_echoclient::checks,
};

#[cfg(feature = "lab5")]
const LAB5: Lab = Lab {
    number: 5,
    slug: "lab5_concurrency",
    page: "labs/src/lab5-concurrency.md",
    crates: &["echoservert", "echoservers"],
    binaries: &[Binary::EchoServerT, Binary::EchoServerS],
    optional: true,
    points: 72,
    checks: lab5_concurrency::checks,
};

/// Every lab of this build, in order.
#[cfg(feature = "lab5")]
pub const LABS: &[Lab] = &[LAB1, LAB2, LAB3, LAB4, LAB5];
/// Every lab of this build, in order.
#[cfg(not(feature = "lab5"))]
pub const LABS: &[Lab] = &[LAB1, LAB2, LAB3, LAB4];

/// The lab numbered `number`, if this build has it.
pub fn lab(number: u8) -> Option<&'static Lab> {
    LABS.iter().find(|l| l.number == number)
}

/// Every check of every lab, in lab and handout order.
pub fn all() -> Vec<Check> {
    LABS.iter().flat_map(|lab| (lab.checks)()).collect()
}

/// What is missing for the labs of the table to be whole, one line each,
/// naming the lab and the file: its handout page, its checks' module, its
/// test target (file and `[[test]]`), its crates and binaries, its
/// feature when optional; and, the other way round, a crate, test target
/// or step that no row of the table claims. Empty when all is there.
/// `root` is the workspace's root.
pub fn missing_parts(root: &std::path::Path) -> Vec<String> {
    use crate::steps;
    let mut missing = Vec::new();
    let manifest = std::fs::read_to_string(root.join("grader/Cargo.toml")).unwrap_or_default();
    let manifest: toml_like::Manifest = toml_like::Manifest::parse(&manifest);
    for lab in LABS {
        let who = format!("lab {} ({})", lab.number, lab.slug);
        let mut need = |what: &str, rel: String| {
            if !root.join(&rel).exists() {
                missing.push(format!("{who}: {what} {rel} does not exist"));
            }
        };
        need("its handout page", lab.page.to_string());
        need(
            "its checks' module",
            format!("grader/src/labs/{}.rs", lab.slug),
        );
        need("its test target", format!("grader/tests/{}.rs", lab.slug));
        for c in lab.crates {
            need("its crate", format!("crates/{c}/Cargo.toml"));
        }
        for b in lab.binaries {
            need("its binary", format!("crates/{}/src/main.rs", b.name()));
        }
        let target = root.join(format!("grader/tests/{}.rs", lab.slug));
        if let Ok(text) = std::fs::read_to_string(&target) {
            if !text.contains(&format!("test_main({})", lab.number)) {
                missing.push(format!(
                    "{who}: grader/tests/{}.rs does not call grader::harness::test_main({})",
                    lab.slug, lab.number
                ));
            }
        }
        if !manifest.tests.iter().any(|t| t == lab.slug) {
            missing.push(format!(
                "{who}: grader/Cargo.toml has no [[test]] name = \"{}\" (harness = false)",
                lab.slug
            ));
        }
        if lab.optional
            && !manifest
                .features
                .iter()
                .any(|f| *f == format!("lab{}", lab.number))
        {
            missing.push(format!(
                "{who}: it is optional, but grader/Cargo.toml declares no feature lab{}",
                lab.number
            ));
        }
        if !steps::ALL.iter().any(|s| s.lab == lab.number) {
            missing.push(format!("{who}: no step in grader/src/steps.rs"));
        }
        for step in steps::ALL.iter().filter(|s| s.lab == lab.number) {
            if step.file != lab.page {
                missing.push(format!(
                    "{who}: step {} ({}) links to {}, not to the lab's page {}",
                    step.number, step.title, step.file, lab.page
                ));
            }
        }
    }
    let claimed = |f: &dyn Fn(&Lab) -> bool| LABS.iter().any(f);
    for dir in subdirs(&root.join("crates")) {
        if !claimed(&|l: &Lab| l.crates.contains(&dir.as_str())) {
            missing.push(format!(
                "crates/{dir} belongs to no lab of grader::labs::LABS"
            ));
        }
    }
    for name in manifest.tests.iter() {
        if !claimed(&|l: &Lab| l.slug == name) {
            missing.push(format!(
                "grader/Cargo.toml's [[test]] {name} belongs to no lab of grader::labs::LABS"
            ));
        }
    }
    for step in steps::ALL {
        // (lab 5's steps stay in steps.rs when its feature is off)
        let compiled_out = step.lab == 5 && !cfg!(feature = "lab5");
        if lab(step.lab).is_none() && !compiled_out {
            missing.push(format!(
                "grader/src/steps.rs has steps of lab {}, which has no row in grader::labs::LABS",
                step.lab
            ));
        }
    }
    missing
}

/// The names of the directories in `dir`.
fn subdirs(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// Just enough of `grader/Cargo.toml` to see the test targets and features
/// (its `[[test]] name = "…"` lines and the keys of `[features]`).
mod toml_like {
    pub struct Manifest {
        pub tests: Vec<String>,
        pub features: Vec<String>,
    }

    impl Manifest {
        pub fn parse(text: &str) -> Manifest {
            let (mut tests, mut features) = (Vec::new(), Vec::new());
            let mut section = "";
            for line in text.lines().map(str::trim) {
                if line.starts_with('[') {
                    section = line;
                    continue;
                }
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                let (key, value) = (key.trim(), value.trim().trim_matches('"'));
                match section {
                    "[[test]]" if key == "name" => tests.push(value.to_string()),
                    "[features]" => features.push(key.to_string()),
                    _ => {}
                }
            }
            Manifest { tests, features }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Every lab of the table has all its parts, and nothing is outside the
    /// table: this is the check that names what a new lab still lacks.
    #[test]
    fn every_lab_is_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let missing = missing_parts(&root);
        assert!(
            missing.is_empty(),
            "the table of labs (grader/src/labs/mod.rs) and the repository disagree:\n  {}",
            missing.join("\n  ")
        );
    }

    /// Each lab's checks add up to the points its row states.
    #[test]
    fn every_lab_has_the_points_it_states() {
        for lab in LABS {
            let sum: u32 = (lab.checks)().iter().map(|c| c.points).sum();
            assert_eq!(
                sum, lab.points,
                "lab {} ({}): its checks add up to {sum} points, its row in grader/src/labs/mod.rs says {}",
                lab.number, lab.slug, lab.points
            );
        }
    }

    /// Every check's lab has a row, and every binary belongs to one lab.
    #[test]
    fn checks_and_binaries_have_a_lab() {
        for c in all() {
            assert!(lab(c.step.lab).is_some(), "{} has no lab row", c.name);
        }
        #[cfg(feature = "lab5")]
        for b in Binary::ALL {
            let labs = LABS.iter().filter(|l| l.binaries.contains(&b)).count();
            assert_eq!(labs, 1, "{} is in {labs} labs of the table", b.name());
        }
    }

    #[test]
    fn names_are_unique_and_test_safe() {
        let mut seen = HashSet::new();
        for c in all() {
            assert!(seen.insert(c.id()), "duplicate check {}", c.id());
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                "check name {:?} should be snake_case",
                c.name
            );
            assert!(c.points > 0, "{} has no points", c.id());
            assert!(!c.about.is_empty(), "{} says nothing about itself", c.id());
        }
    }
}
