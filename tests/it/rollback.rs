//! `git release rollback`: an environment set back to what it ran before, through the gate and
//! the hooks, deployed without cutting anything, and recorded as a rollback.

use crate::deploy::{TwoRepos, one_repo, tags};
use crate::gate::prepared_qa;
use crate::harness::{NOON, World};

/// prod ran 1.0.0, then a bad 1.1.0; every step through the release remote's pre-receive hook.
pub fn prod_ran_a_bad_release(world: &World) -> (TwoRepos, String, String) {
    let repos = TwoRepos::new(world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_at(release, args, NOON);
    world.release(&repos.release_remote, &["hooks", "install"]).expect_status(0);
    let good = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    at(&["set", "qa", "1.0.0", "--push"]).expect_status(0);
    at(&["prepare", "qa"]).expect_status(0);
    at(&["record", "qa", "--at", "2026-11-21T10:20:00Z"]).expect_status(0);
    at(&["set", "prod", "1.0.0", "--push"]).expect_status(0);
    at(&["prepare", "prod"]).expect_status(0).expect_stdout("tag=v1.0.0\n");
    at(&["record", "prod", "--at", "2026-11-21T10:30:00Z"]).expect_status(0);

    let bad = repos.app_commit(world, "A change that breaks prod");
    at(&["set", "qa", "1.1.0", "--push"]).expect_status(0);
    at(&["prepare", "qa"]).expect_status(0);
    at(&["record", "qa", "--at", "2026-11-21T10:40:00Z"]).expect_status(0);
    at(&["set", "prod", "1.1.0", "--push"]).expect_status(0);
    at(&["prepare", "prod"]).expect_status(0).expect_stdout("tag=v1.1.0\n");
    at(&["record", "prod", "--at", "2026-11-21T10:50:00Z"]).expect_status(0);
    (repos, good, bad)
}

#[test]
fn rolling_prod_back_after_a_bad_deployment_goes_through_the_gate_and_is_recorded_as_such() {
    let world = World::new();
    let (repos, good, _bad) = prod_ran_a_bad_release(&world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_at(release, args, NOON);

    let before = (world.state(release), world.state(&repos.release_remote));
    let dry = at(&["rollback", "prod", "--dry-run"]);
    dry.expect_status(0).expect_stdout("-version = \"1.1.0\"").expect_stdout("+version = \"1.0.0\"");
    assert_eq!((world.state(release), world.state(&repos.release_remote)), before, "a dry run changes nothing");

    // Through the release remote's pre-receive hook: qa runs 1.1.0 now, yet prod may go back.
    let rolled = at(&["rollback", "prod", "--push", "--json"]);
    rolled.expect_status(0);
    let json = rolled.json();
    assert_eq!(json["to"], "1.0.0");
    assert_eq!(json["rollback"]["to"], "1.0.0.20261121T103000Z.prod");
    assert_eq!(json["rollback"]["of"], "1.1.0.20261121T105000Z.prod");
    assert_eq!(json["rollback"]["commit"], good.as_str());
    assert_eq!(json["pushed"], true);
    let head = json["commit"].as_str().expect("a commit").to_owned();
    assert_eq!(world.git(&repos.release_remote, &["rev-parse", "environment/prod"]).trim(), head);
    let message = world.git(release, &["log", "-1", "--format=%B", &head]);
    assert!(
        message.contains("Rollback-To: 1.0.0.20261121T103000Z.prod\nRollback-Of: 1.1.0.20261121T105000Z.prod"),
        "{message}"
    );

    let gate = at(&["gate", "--target", "prod", "--source", "environment/prod", "--head", &head, "--json"]);
    gate.expect_status(0);
    let findings = gate.json()["findings"].clone();
    let rollback = findings.as_array().expect("findings").iter().find(|f| f["check"] == "rollback").cloned();
    let rollback = rollback.unwrap_or_else(|| panic!("a rollback finding: {gate}"));
    assert_eq!(rollback["ok"], true);
    assert!(rollback["message"].as_str().is_some_and(|m| m.contains("prod ran 1.0.0")), "{gate}");

    // The deployment takes the record's commit and its final tag, and cuts nothing.
    let tags_before = tags(&world, &repos.app_remote);
    let prepared = at(&["prepare", "prod", "--json"]);
    prepared.expect_status(0);
    assert_eq!(prepared.json()["commit"], good.as_str());
    assert_eq!(prepared.json()["tag"], "v1.0.0");
    assert_eq!(prepared.json()["created"], false);
    at(&["record", "prod", "--at", "2026-11-21T11:00:00Z"]).expect_status(0);
    let record = world.git(&repos.app_remote, &["cat-file", "-p", "1.0.0.20261121T110000Z.prod"]);
    assert!(record.contains(&format!("object {good}")), "{record}");
    assert!(record.contains("Version: 1.0.0\n"), "{record}");
    assert!(record.contains("Rollback-Of: 1.1.0.20261121T105000Z.prod\n"), "{record}");
    let mut after = tags(&world, &repos.app_remote);
    after.retain(|tag| !tag.contains("1.0.0.20261121T110000Z.prod"));
    assert_eq!(after, tags_before, "only the record is new: no tag moved, none deleted");

    let log = at(&["log", "prod"]);
    log.expect_status(0);
    let order: Vec<&str> = log.stdout.lines().skip(1).filter_map(|l| l.split_whitespace().nth(4)).collect();
    assert_eq!(
        order,
        ["1.0.0.20261121T110000Z.prod", "1.1.0.20261121T105000Z.prod", "1.0.0.20261121T103000Z.prod"],
        "{log}"
    );
    log.expect_stdout("(rollback of 1.1.0.20261121T105000Z.prod)");
    let status = at(&["status", "--json"]);
    let prod = status.json()["environments"][2].clone();
    assert_eq!(prod["drift"]["behind"], false, "prod runs what its branch asks for: {status}");
    // Recorded again, it is the same deployment.
    at(&["record", "prod", "--at", "2026-11-21T11:00:00Z"])
        .expect_status(0)
        .expect_stderr("already recorded as 1.0.0.20261121T110000Z.prod");
}

#[test]
fn a_rollback_goes_only_to_what_the_environment_itself_ran() {
    let world = World::new();
    let (repos, _good, _bad) = prod_ran_a_bad_release(&world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_at(release, args, NOON);
    let before = (world.state(release), world.state(&repos.release_remote));

    at(&["rollback", "prod", "--to", "1.0.0.20261121T102000Z.qa"])
        .expect_status(1)
        .expect_stderr(
            "error: `1.0.0.20261121T102000Z.qa` is neither a deployment record of prod nor a version prod ran",
        )
        .expect_stderr("caused by: prod ran: 1.1.0, 1.0.0")
        .expect_stderr("a record of another environment does not count");
    at(&["rollback", "prod", "--to", "0.9.0"]).expect_status(1).expect_stderr("nor a version prod ran");
    at(&["rollback", "prod", "--to", "1.1.0"])
        .expect_status(1)
        .expect_stderr("error: prod runs that now (1.1.0.20261121T105000Z.prod); there is nothing to roll back");
    at(&["rollback", "dev"])
        .expect_status(1)
        .expect_stderr("error: dev has no deployment record, so there is nothing to roll back");
    assert_eq!((world.state(release), world.state(&repos.release_remote)), before, "refusals change nothing");
}

#[test]
fn an_environment_that_ran_one_thing_has_nothing_to_roll_back_to() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    world
        .release(release, &["rollback", "qa"])
        .expect_status(1)
        .expect_stderr("error: qa has run only 1.0.0 (")
        .expect_stderr("hint: see what qa ran: git release log qa");
}

#[test]
fn a_forged_rollback_trailer_opens_nothing() {
    let world = World::new();
    let (repos, _good, _bad) = prod_ran_a_bad_release(&world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_at(release, args, NOON);
    // Someone who may push to prod names qa's record as prod's, by hand.
    at(&["set", "prod", "1.0.0", "-m", "Roll back\n\nRollback-To: 1.0.0.20261121T102000Z.qa"]).expect_status(0);
    // A trailer naming another environment's record makes no rollback of prod: the change is
    // judged as any other, and qa no longer runs 1.0.0.
    let gate = at(&["gate", "--target", "prod", "--source", "environment/prod", "--head", "environment/prod"]);
    gate.expect_status(1).expect_stdout("FAIL  previous-current   qa no longer runs it");
    assert!(!gate.stdout.contains("rollback"), "{gate}");
    // Deployed from this checkout alone, the unpublished branch decides, and is still refused.
    at(&["prepare", "prod", "--no-push"]).expect_status(1).expect_stderr("qa no longer runs it");
    let pushed = world
        .command("git", release)
        .args(["push", "origin", "environment/prod"])
        .env("GIT_COMMITTER_DATE", NOON)
        .output()
        .expect("runs");
    assert!(!pushed.status.success(), "the hook refuses it too: {}", String::from_utf8_lossy(&pushed.stderr));
    assert!(String::from_utf8_lossy(&pushed.stderr).contains("qa no longer runs it"));
}

#[test]
fn one_repository_rolls_back_with_the_files_the_earlier_deployment_ran() {
    let world = World::new();
    let (repo, _remote) = one_repo(&world);
    let at = |args: &[&str]| world.release_at(&repo, args, NOON);
    at(&["prepare", "qa"]).expect_status(0);
    at(&["record", "qa", "--at", "2026-11-21T10:20:00Z"]).expect_status(0);
    let good = world.git(&repo, &["rev-parse", "qa"]).trim().to_owned();
    world.git(&repo, &["checkout", "-q", "qa"]);
    std::fs::write(repo.join("main.tf"), "resource \"broken\" {}\n").expect("file can be written");
    world.git(&repo, &["add", "main.tf"]);
    world.git(&repo, &["commit", "-q", "-m", "Break qa"]);
    world.git(&repo, &["push", "-q", "origin", "qa"]);
    world.git(&repo, &["checkout", "-q", "main"]);
    at(&["prepare", "qa"]).expect_status(0);
    at(&["record", "qa", "--at", "2026-11-21T10:30:00Z"]).expect_status(0);

    // The dry run shows what the commit takes back besides the release file.
    let before = world.state(&repo);
    at(&["rollback", "qa", "--push", "--dry-run"])
        .expect_status(0)
        .expect_stdout("deployed, which differ in: main.tf\n")
        .expect_stdout("Would run:");
    assert_eq!(world.state(&repo), before, "a dry run changes nothing");
    at(&["rollback", "qa", "--push"]).expect_status(0).expect_stdout("rolled back to 1.2.0");
    world.git(&repo, &["fetch", "-q", "origin"]);
    let files = world.git(&repo, &["ls-tree", "--name-only", "origin/qa"]);
    assert!(!files.contains("main.tf"), "the branch holds the files qa ran before: {files}");
    let prepared = at(&["prepare", "qa", "--json"]);
    prepared.expect_status(0);
    assert_eq!(prepared.json()["commit"], good.as_str(), "the commit qa ran, whose files the branch holds");
    assert_eq!(prepared.json()["tag"], "v1.2.0-rc.1");
}

/// Found by an independent pass: the head of qa's branch after `rollback qa` names a record of
/// qa in `Rollback-To:`, and the gate into prod read it as a rollback of prod, refusing the
/// promotion with checks that had nothing to do with it.
#[test]
fn a_promotion_from_a_branch_that_rolled_back_is_judged_as_any_other() {
    let world = World::new();
    let (repos, good, _bad) = prod_ran_a_bad_release(&world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_at(release, args, NOON);
    at(&["rollback", "qa", "--push"]).expect_status(0);
    at(&["prepare", "qa"]).expect_status(0);
    at(&["record", "qa", "--at", "2026-11-21T11:00:00Z"]).expect_status(0);
    let gate = at(&["gate", "--target", "prod", "--json"]);
    let json = gate.json();
    let checks: Vec<&str> =
        json["findings"].as_array().expect("findings").iter().filter_map(|f| f["check"].as_str()).collect();
    assert!(!checks.contains(&"rollback"), "qa's rollback is no rollback of prod: {json}");
    assert_eq!(json["deploys"], good.as_str(), "{json}");
    assert!(checks.contains(&"previous-deployed") && checks.contains(&"promotion-path"), "{json}");
    let failed: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["ok"] == false)
        .filter_map(|f| f["check"].as_str())
        .collect();
    // 1.0.0 is older than what prod runs, and qa ran it: only the bump prod does not ask for could refuse.
    assert!(failed.is_empty(), "{json}");
    gate.expect_status(0);
}
