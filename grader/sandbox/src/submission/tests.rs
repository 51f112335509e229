use super::assemble::*;
use super::fingerprint::*;
use super::marks::*;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sandbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn crates_are_found_up_to_two_levels_down() {
    let d = tmp("find");
    assert_eq!(find_crates(&d), None);
    std::fs::create_dir_all(d.join("a/b/crates/rio/src")).unwrap();
    assert_eq!(find_crates(&d), Some(d.join("a/b/crates")));
    std::fs::create_dir_all(d.join("target/crates/rio/src")).unwrap();
    assert_eq!(find_crates(&d), Some(d.join("a/b/crates")));
    std::fs::create_dir_all(d.join("crates/netutil/src")).unwrap();
    assert_eq!(find_crates(&d), Some(d.join("crates")));
    let _ = std::fs::remove_dir_all(&d);
}

/// Only crates/*/src is taken; links are left out; a missing crate keeps
/// the base's.
#[test]
fn only_sources_are_taken() {
    let d = tmp("assemble");
    let base = d.join("base");
    for c in ["rio", "netutil"] {
        std::fs::create_dir_all(base.join(format!("crates/{c}/src"))).unwrap();
        std::fs::write(base.join(format!("crates/{c}/src/lib.rs")), "// starter").unwrap();
        std::fs::write(base.join(format!("crates/{c}/Cargo.toml")), "# ours").unwrap();
    }
    std::fs::create_dir_all(base.join("grader")).unwrap();
    std::fs::write(base.join("grader/x.rs"), "// grader").unwrap();
    let sub = d.join("sub/crates");
    std::fs::create_dir_all(sub.join("rio/src")).unwrap();
    std::fs::write(sub.join("rio/src/lib.rs"), "// theirs").unwrap();
    std::fs::write(sub.join("rio/Cargo.toml"), "# theirs").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", sub.join("rio/src/secret.rs")).unwrap();
    let work = d.join("work");
    let taken = assemble(&base, &sub, &work).unwrap();
    let read = |p: &str| std::fs::read_to_string(work.join(p)).unwrap();
    assert_eq!(read("crates/rio/src/lib.rs"), "// theirs");
    assert_eq!(read("crates/rio/Cargo.toml"), "# ours");
    assert_eq!(read("crates/netutil/src/lib.rs"), "// starter");
    assert_eq!(read("grader/x.rs"), "// grader");
    assert!(!work.join("crates/rio/src/secret.rs").exists());
    assert!(
        taken.notes.iter().any(|n| n.contains("secret.rs")),
        "{:?}",
        taken.notes
    );
    assert!(
        taken
            .notes
            .iter()
            .any(|n| n.contains("netutil/src: missing"))
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// The first directory others may not enter is named, from the top:
/// what the unprivileged build's fix-it error says.
#[test]
fn a_closed_directory_is_found() {
    use std::os::unix::fs::PermissionsExt as _;
    let d = tmp("closed");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(d.join("home/.rustup/bin")).unwrap();
    assert_eq!(closed_to_others(&d.join("home/.rustup/bin")), None);
    std::fs::set_permissions(d.join("home"), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(
        closed_to_others(&d.join("home/.rustup/bin")),
        Some((d.join("home").canonicalize().unwrap(), 0o700))
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// A directory closed to others (a 700 home) is named, with the fix.
#[test]
fn a_closed_directory_is_named_with_its_fix() {
    use std::os::unix::fs::PermissionsExt as _;
    let d = tmp("closed-fix");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let inner = d.join("home");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o700)).unwrap();
    if reachable_by_others(&std::env::temp_dir()).is_ok() {
        let e = reachable_by_others(&inner.join("grades/not-yet")).unwrap_err();
        assert!(e.contains("mode 700") && e.contains("chmod o+x"), "{e}");
        assert!(reachable_by_others(&d.join("open/not-yet")).is_ok());
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// The autograder zip (the starter with Gradescope's scripts) and the
/// gradebook's base (the starter) have one fingerprint; a grader's file
/// changes it.
#[test]
fn the_fingerprint_is_the_graders_only() {
    let d = tmp("fingerprint");
    std::fs::create_dir_all(d.join("grader/src")).unwrap();
    std::fs::write(d.join("grader/src/lib.rs"), "// checks").unwrap();
    let base = grader_fingerprint(&d).unwrap();
    for (name, text) in [
        ("setup.sh", "#!/bin/sh"),
        ("run_autograder", "#!/bin/sh"),
        ("toolchain.txt", "1.95.0"),
        ("grader.toml", "labs = \"1-2\""),
        ("README.md", "# hello"),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    assert_eq!(grader_fingerprint(&d).unwrap(), base);
    std::fs::write(d.join("grader/src/lib.rs"), "// other checks").unwrap();
    assert_ne!(grader_fingerprint(&d).unwrap(), base);
    let _ = std::fs::remove_dir_all(&d);
}

/// An upload has no commit: the line says so, with the grader.
#[test]
fn what_was_graded_reads_as_uploaded_without_a_commit() {
    let about = Provenance {
        picked_by: "as uploaded (an upload carries no commit id)".into(),
        grader: "00ff".into(),
        ..Provenance::default()
    };
    assert_eq!(
        about.markdown(),
        "**Graded:** the files as uploaded (an upload carries no commit id). Grader `00ff`."
    );
    let about = Provenance {
        submitted_at: Some("2026-12-01T14:22:32.365935-05:00".into()),
        ..about
    };
    assert!(
        about
            .markdown()
            .contains("no commit id), submitted 2026-12-01T14:22:32.365935-05:00. Grader"),
        "{}",
        about.markdown()
    );
}

#[test]
fn the_unsafe_rule_is_explained() {
    let out = "   Compiling rio\nerror: usage of an `unsafe` block\n --> src/lib.rs:1:1\n  = note: requested on the command line with `-F unsafe-code`\n";
    let e = compile_error(out);
    assert!(e.starts_with("Lab crates may not use `unsafe`"), "{e}");
    assert!(e.contains("usage of an `unsafe` block"));
    let e = compile_error("error[E0308]: mismatched types\n");
    assert!(e.starts_with("Your code does not compile"), "{e}");
}

#[test]
fn results_are_read() {
    let text = r#"{"score": 3, "output": "x", "tests": [
        {"name": "a", "score": 2, "max_score": 2, "status": "passed", "extra_data": {"id": "lab1_rio::a", "lab": 1}},
        {"name": "b", "score": 0, "max_score": 1, "status": "failed", "extra_data": {"id": "lab1_rio::b", "lab": 1}},
        {"name": "c", "score": 1, "max_score": 4, "status": "failed", "extra_data": {"id": "lab3_echoserver::c", "lab": 3}}],
        "extra_data": {"max_score": 7, "skipped": [{"id": "lab4_echoclient::d", "lab": 4, "points": 1, "reason": "no ::1"}]}}"#;
    let g = read_results(text, String::new()).unwrap();
    assert_eq!((g.score, g.max_score), (3, 7));
    assert_eq!(
        g.labs,
        vec![
            LabMark {
                lab: 1,
                score: 2,
                max_score: 3
            },
            LabMark {
                lab: 3,
                score: 1,
                max_score: 4
            },
            LabMark {
                lab: 4,
                score: 0,
                max_score: 0
            },
        ]
    );
    assert_eq!(g.checks.len(), 3);
    assert!(g.checks[0].passed && !g.checks[1].passed);
}
