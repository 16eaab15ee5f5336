//! Drift: `status` says whether each environment runs what its branch asks for, and
//! `status --exit-code` fails a scheduled check when one does not.

use crate::deploy::one_repo;
use crate::gate::prepared_qa;
use crate::harness::World;

/// Two minutes after the harness's moment: a second deployment, distinct from the first.
const LATER: &str = "2026-11-21T10:17:00Z";

fn environment<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let rows = status["environments"].as_array().expect("environments is a list");
    rows.iter().find(|row| row["name"] == name).expect("the environment has a row")
}

#[test]
fn status_shows_drift_after_a_merge_that_was_not_deployed_and_none_after_it_is() {
    let world = World::new();
    let (repo, _remote) = one_repo(&world);
    world.release(&repo, &["prepare", "qa"]).expect_status(0);
    world.release(&repo, &["record", "qa"]).expect_status(0);
    let deployed = world.git(&repo, &["rev-parse", "qa"]).trim().to_owned();

    let status = world.release(&repo, &["status", "--json"]);
    status.expect_status(0);
    let qa = environment(&status.json(), "qa").clone();
    assert_eq!(qa["drift"]["behind"], false, "{status}");
    assert_eq!(qa["drift"]["undeployed_commits"], 0);
    assert_eq!(qa["drift"]["commit"], deployed.as_str(), "full ids in JSON");
    assert_eq!(qa["head"], deployed.as_str());

    // A feature merged into qa with a merge commit, and no deployment since.
    world.git(&repo, &["checkout", "-q", "-b", "feature/pay", "qa"]);
    std::fs::write(repo.join("pay.tf"), "resource \"pay\" {}\n").expect("file can be written");
    world.git(&repo, &["add", "pay.tf"]);
    world.git(&repo, &["commit", "-q", "-m", "Pay by card"]);
    world.git(&repo, &["checkout", "-q", "qa"]);
    world.git(&repo, &["merge", "-q", "--no-ff", "-m", "Merge feature/pay", "feature/pay"]);
    world.git(&repo, &["push", "-q", "origin", "qa"]);
    let merged = world.git(&repo, &["rev-parse", "qa"]).trim().to_owned();

    let status = world.release_at(&repo, &["status", "--json"], LATER);
    let qa = environment(&status.json(), "qa").clone();
    assert_eq!(qa["drift"]["behind"], true, "{status}");
    assert_eq!(qa["drift"]["commit"], merged.as_str());
    assert_eq!(qa["drift"]["undeployed_commits"], 2, "the feature commit and the merge");
    assert_eq!(qa["deployed"]["commit"], deployed.as_str());
    let human = world.release_at(&repo, &["status"], LATER);
    human.expect_status(0).expect_stdout("behind by 2 commits");
    human.expect_stderr(&format!(
        "hint: qa runs 1.2.0 ({}) but its branch asks for 1.2.0 ({}); its deployment runs 'git release prepare qa'",
        &deployed[..7],
        &merged[..7]
    ));
    world.release_at(&repo, &["status", "--exit-code"], LATER).expect_status(1);

    world.release_at(&repo, &["prepare", "qa"], LATER).expect_status(0).expect_stdout("tag=v1.2.0-rc.2\n");
    world.release_at(&repo, &["record", "qa"], LATER).expect_status(0);
    let status = world.release_at(&repo, &["status", "--json"], LATER);
    let qa = environment(&status.json(), "qa").clone();
    assert_eq!(qa["drift"]["behind"], false, "{status}");
    assert_eq!(qa["drift"]["undeployed_commits"], 0);
    assert_eq!(qa["deployed"]["commit"], merged.as_str());
}

#[test]
fn a_commit_that_changes_no_file_counts_as_deployed() {
    let world = World::new();
    let (repo, _remote) = one_repo(&world);
    world.release(&repo, &["prepare", "qa"]).expect_status(0);
    world.release(&repo, &["record", "qa"]).expect_status(0);
    world.git(&repo, &["checkout", "-q", "qa"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Nothing to apply"]);
    world.git(&repo, &["push", "-q", "origin", "qa"]);

    let status = world.release(&repo, &["status", "--json"]);
    let qa = environment(&status.json(), "qa").clone();
    assert_eq!(qa["drift"]["behind"], false, "the same tree runs: {status}");
    assert_eq!(qa["drift"]["undeployed_commits"], 0);
    world.release(&repo, &["status"]).expect_status(0).expect_stdout("as asked");
}

#[test]
fn status_exit_code_passes_only_when_every_environment_runs_what_it_asks_for() {
    let world = World::new();
    let (repo, _remote) = one_repo(&world);
    world.release(&repo, &["status", "--exit-code"]).expect_status(1).expect_stdout("never deployed");
    world.release(&repo, &["status"]).expect_status(0);
    // Every environment deployed in the order the gate asks for: stage takes qa's candidate,
    // prod (on main) releases it.
    world.git(&repo, &["push", "-q", "origin", "qa:stage", "qa:main"]);
    world.git(&repo, &["fetch", "-q", "origin"]);
    world.git(&repo, &["branch", "-f", "stage", "origin/stage"]);
    world.git(&repo, &["branch", "-f", "main", "origin/main"]);
    for environment in ["dev", "qa", "stage", "prod"] {
        world.release(&repo, &["prepare", environment]).expect_status(0);
        world.release(&repo, &["record", environment]).expect_status(0);
    }
    let status = world.release(&repo, &["status", "--exit-code"]);
    status.expect_status(0);
    assert_eq!(status.stdout.matches("as asked").count(), 4, "{status}");
}

#[test]
fn a_new_version_asked_for_shows_what_runs_and_what_is_wanted() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    world.release(release, &["set", "qa", "1.1.0", "--push"]).expect_status(0);

    let status = world.release(release, &["status", "--json"]);
    let qa = environment(&status.json(), "qa").clone();
    assert_eq!(qa["drift"]["behind"], true, "{status}");
    assert_eq!(qa["drift"]["version"], "1.1.0");
    assert_eq!(qa["deployed"]["version"], "1.0.0");
    assert_eq!(qa["drift"]["undeployed_commits"], 0, "1.1.0 would take the commit 1.0.0 runs");
    world.release(release, &["status"]).expect_status(0).expect_stderr("hint: qa runs 1.0.0 (");
    // prod asks for a version whose candidate does not exist: it says why it cannot be told.
    let prod = environment(&status.json(), "prod").clone();
    assert_eq!(prod["drift"]["commit"], serde_json::Value::Null);
    assert!(prod["drift"]["unresolved"].as_str().is_some_and(|why| why.contains("no release candidate")), "{status}");
}

#[test]
fn one_invalid_release_file_shows_in_its_row_and_hides_no_other() {
    let world = World::new();
    let (repo, _remote) = one_repo(&world);
    world.release(&repo, &["prepare", "qa"]).expect_status(0);
    world.release(&repo, &["record", "qa"]).expect_status(0);
    world.git(&repo, &["checkout", "-q", "stage"]);
    std::fs::write(repo.join("release.toml"), "version = \"1.2.0\"\n[[environments]]\nnme = \"typo\"\n")
        .expect("file can be written");
    world.git(&repo, &["commit", "-q", "-am", "Break the release file"]);
    world.git(&repo, &["push", "-q", "origin", "stage"]);
    world.git(&repo, &["checkout", "-q", "main"]);

    let status = world.release(&repo, &["status"]);
    status.expect_status(0).expect_stderr("warning: release.toml on stage is not a valid release file");
    assert!(!status.stderr.contains("has no release.toml"), "it has one, invalid: {status}");
    let line = |name: &str| status.stdout.lines().find(|l| l.starts_with(name)).map(str::to_owned);
    assert!(line("stage").is_some_and(|l| l.contains("invalid")), "{status}");
    assert!(line("qa").is_some_and(|l| l.contains("as asked")), "{status}");
    assert!(line("prod").is_some_and(|l| l.contains("1.2.0")), "{status}");

    let json = world.release(&repo, &["status", "--json"]);
    json.expect_status(0);
    let stage = environment(&json.json(), "stage").clone();
    assert_eq!(stage["invalid"]["kind"], "config", "{json}");
    assert_eq!(stage["drift"], serde_json::Value::Null);
    assert_eq!(environment(&json.json(), "qa")["drift"]["behind"], false);
    world.release(&repo, &["status", "--exit-code"]).expect_status(1);
}
