//! The module graph check that `.ci/run` runs: it passes on this tree, and it fails, naming the
//! modules, on a cycle, on a library module that imports `cli`, on a pure module that imports one
//! that is not, and on a module lib.rs's doc leaves out.

use std::path::Path;
use std::process::Command;

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/import-graph")
}

fn run(src: &Path) -> (bool, String) {
    let output = Command::new(script()).arg(src).output().expect("perl runs the script");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn this_tree_has_no_module_cycle_and_nothing_imports_cli() {
    let (ok, printed) = run(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(ok, "{printed}");
    assert!(
        printed.contains(
            "ok: no cycles, nothing imports cli, pure modules import only pure ones, and lib.rs names every module"
        ),
        "{printed}"
    );
    // The pure file inside `forge` is a node of its own, and the pure modules reach it alone.
    assert!(printed.contains("forge::detect -> secret\n"), "{printed}");
    assert!(printed.lines().any(|l| l.starts_with("version ") && l.contains("forge::detect")), "{printed}");
    assert!(printed.lines().any(|l| l.starts_with("cli ") && l.contains("-> ")), "{printed}");
}

#[test]
fn a_cycle_and_a_library_import_of_cli_are_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("cli")).expect("cli/");
    std::fs::create_dir_all(src.join("config")).expect("config/");
    // The doc names every module but `leaf`.
    let lib = "//! `cli`, `config`, `fuzz` and `git`.\n\
               pub mod cli;\npub mod config;\npub mod fuzz;\npub mod git;\npub mod leaf;\n";
    std::fs::write(src.join("lib.rs"), lib).expect("lib");
    std::fs::write(src.join("cli/mod.rs"), "use crate::{config, git::Repo};\n").expect("cli");
    // A path inside a comment or a string is no import.
    std::fs::write(
        src.join("config/mod.rs"),
        "// crate::cli\nconst S: &str = \"crate::cli\";\nuse crate::{\n    leaf,\n    git::{Repo, Tag},\n};\n",
    )
    .expect("config");
    std::fs::write(src.join("git.rs"), "fn f() { crate::config::read(); }\n").expect("git");
    std::fs::write(src.join("fuzz.rs"), "#[cfg(test)]\nmod tests {\n    use crate::cli::hook;\n}\n").expect("fuzz");
    std::fs::write(src.join("leaf.rs"), "pub fn f() {}\n").expect("leaf");
    let (ok, printed) = run(src);
    assert!(!ok, "{printed}");
    assert!(printed.contains("config       -> git leaf\n"), "{printed}");
    assert!(printed.contains("leaf         -> (nothing)\n"), "{printed}");
    assert!(printed.contains("error: library module `fuzz` imports `cli`"), "{printed}");
    assert!(!printed.contains("library module `config` imports"), "{printed}");
    assert!(!printed.contains("cycle: cli"), "{printed}");
    assert!(printed.contains("error: these modules import each other in a cycle: config git"), "{printed}");
    assert!(printed.contains("  config -> git\n") && printed.contains("  git -> config\n"), "{printed}");
    assert!(printed.contains("error: lib.rs's module doc does not name `leaf`"), "{printed}");
    assert!(!printed.contains("does not name `git`"), "{printed}");
}

#[test]
fn a_pure_module_importing_one_that_is_not_is_refused_and_strings_hide_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("forge")).expect("forge/");
    let lib =
        "//! `forge`, `git`, `plan` and `version`.\npub mod forge;\npub mod git;\npub mod plan;\npub mod version;\n";
    std::fs::write(src.join("lib.rs"), lib).expect("lib");
    std::fs::write(src.join("forge/mod.rs"), "pub mod detect;\n").expect("forge");
    std::fs::write(src.join("forge/detect.rs"), "use super::github;\n").expect("detect");
    std::fs::write(src.join("forge/github.rs"), "pub fn f() {}\n").expect("github");
    std::fs::write(src.join("git.rs"), "pub fn f() {}\n").expect("git");
    // A URL in a string before the import must not hide it, as a `//` taken for a comment would.
    std::fs::write(src.join("plan.rs"), "const U: &str = \"https://x\";\nuse crate::git::Ident;\n").expect("plan");
    std::fs::write(src.join("version.rs"), "use crate::forge::detect::Kind;\n").expect("version");
    let (ok, printed) = run(src);
    assert!(!ok, "{printed}");
    assert!(printed.contains("error: pure module `plan` imports `git`, which is not pure"), "{printed}");
    assert!(printed.contains("version      -> forge::detect\n"), "{printed}");
    // A pure file that reaches into its module's other files is pure no more.
    assert!(printed.contains("error: pure module `forge::detect` imports `forge`, which is not pure"), "{printed}");
    assert!(!printed.contains("pure module `version`"), "{printed}");
}
