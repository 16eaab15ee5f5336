//! `doctor`: each finding and its fix, on real repositories and the fake forge; and that it
//! writes nothing anywhere.

use crate::adopt::{adopt, infrastructure};
use crate::deploy::{TwoRepos, path};
use crate::fake_forge::FakeForge;
use crate::harness::{Transcript, World};
use crate::promote::TOKEN;
use crate::reconcile::edit_release_file;

fn finding(run: &Transcript, check: &str) -> serde_json::Value {
    let json = run.json();
    let found = json["findings"].as_array().expect("findings").iter().find(|f| f["check"] == check).cloned();
    found.unwrap_or_else(|| panic!("no {check} finding in {run}"))
}

fn doctor(world: &World, dir: &std::path::Path) -> Transcript {
    world.release_with(dir, &["doctor", "--json"], &[("GITHUB_TOKEN", TOKEN)])
}

/// A release file on qa whose settings differ from main's, a branch without one while its pull
/// request waits, a token that may not push, protection the token may not read.
#[test]
fn doctor_names_each_broken_piece_with_its_fix_and_writes_nothing() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    adopt(&world, &infra, &forge, &[]).expect_status(0);

    let before = (world.state(&infra.work), world.state(&infra.bare), forge.requests().len());
    let waiting = doctor(&world, &infra.work);
    waiting.expect_status(1);
    let file = finding(&waiting, "release-file");
    assert_eq!(file["ok"], false);
    assert_eq!(file["hint"], "merge the pull request from release-init/main into main (a merge commit, not squashed)");
    let branches = finding(&waiting, "environment-branches");
    assert_eq!(branches["ok"], false);
    assert_eq!(branches["message"], "main has no release.toml");
    assert_eq!(
        branches["hint"],
        "merge the pull request from release-init/main into main (a merge commit, not squashed)"
    );
    let after = (world.state(&infra.work), world.state(&infra.bare));
    assert_eq!((before.0, before.1), after, "doctor writes nothing");
    let asked: Vec<String> = forge.requests()[before.2..].iter().map(|(line, _)| line.clone()).collect();
    assert!(asked.iter().all(|line| line.starts_with("GET ")), "only reads: {asked:?}");

    forge.state.lock().expect("state").merge("1", None, "merge", "Merge pull request #1").expect("merges");
    world.git(&infra.work, &["pull", "-q", "origin", "main"]);
    world.git(&infra.work, &["switch", "-q", "qa"]);
    std::fs::write(
        infra.work.join("release.toml"),
        world
            .show(&infra.work, "qa:release.toml")
            .replace("cut = \"final\"\n", "cut = \"final\"\nrequire-bump = true\n"),
    )
    .expect("edited");
    world.git(&infra.work, &["commit", "-q", "-am", "A setting of qa's own"]);
    world.git(&infra.work, &["switch", "-q", "main"]);
    let differing = doctor(&world, &infra.work);
    let agree = finding(&differing, "settings-agree");
    assert_eq!(agree["ok"], false, "{differing}");
    assert_eq!(agree["message"], "release.toml on qa differs from origin/main in more than its version");

    forge.state.lock().expect("state").read_only = true;
    forge.state.lock().expect("state").protection_hidden = true;
    let limited = doctor(&world, &infra.work);
    let reached = finding(&limited, "forge");
    assert_eq!(reached["ok"], false);
    assert_eq!(reached["message"], "GitHub answers, but the token may not push: promotions cannot be opened");
    assert_eq!(reached["hint"], "give the token write access to contents and pull requests");
    let protection = finding(&limited, "protection");
    assert_eq!(
        (protection["ok"].clone(), protection["message"].clone()),
        (
            serde_json::json!(true),
            serde_json::json!("GitHub does not let this token read the protection of main: not checked")
        )
    );
}

/// Before init, doctor says what init does; a CI job that signs nothing is told to.
#[test]
fn doctor_before_init_points_at_init_and_a_ci_job_must_sign() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    let bare = doctor(&world, &infra.work);
    bare.expect_status(1);
    let file = finding(&bare, "release-file");
    assert!(
        file["hint"].as_str().is_some_and(|h| h.starts_with("in a release repository, git release init brings")),
        "{bare}"
    );

    adopt(&world, &infra, &forge, &[]).expect_status(0);
    let in_ci = world.release_with(&infra.work, &["doctor", "--json"], &[("GITHUB_TOKEN", TOKEN), ("CI", "true")]);
    let signing = finding(&in_ci, "signing");
    assert_eq!(signing["ok"], false);
    assert_eq!(signing["message"], "this CI job makes records, and its tags are not signed");
    let trust = finding(&in_ci, "trust");
    assert_eq!(trust["ok"], false);
}

/// An application repository guarded by the release repository's settings: doctor there checks
/// that repository answers and the hook is installed.
#[test]
fn doctor_in_an_application_repository_checks_the_release_repository_and_its_hook() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = path(&repos.release_remote).to_owned();
    let install = ["hooks", "install", "--release", release.as_str(), "--release-branch", "environment/prod"];
    world.release(&repos.app_remote, &install).expect_status(0);
    let healthy = world.release(&repos.app_remote, &["doctor"]);
    healthy.expect_status(0).expect_stdout("ok    hooks               pre-receive is git-release's");
    healthy.expect_stdout("its environment/prod decides which tags this repository takes");

    world.git(&repos.app_remote, &["config", "release.repositoryBranch", "environment/nope"]);
    let wrong = world.release(&repos.app_remote, &["doctor"]);
    wrong.expect_status(1).expect_stdout("has no branch environment/nope");
    wrong.expect_stdout("fix: git release hooks install --release <tmp>/release.git");
}

/// The release file kept on every branch is compared on its settings, not its comments.
#[test]
fn doctor_reads_settings_not_comments() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    edit_release_file(&world, &repos.release, |text| format!("# a comment of dev's own\n{text}"));
    let run = world.release(&repos.release, &["doctor", "--json", "--offline"]);
    assert_eq!(finding(&run, "settings-agree")["ok"], true, "{run}");
}
