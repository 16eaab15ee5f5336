//! Approvals as signed evidence: `approve` and `revoke` write signed tags beside the records,
//! and `require-approvals` makes the gate wait for distinct approvers `[trust.approvers]` lists.
//! Real ssh keys, made by `ssh-keygen`; the signatures are checked as `git tag -v` checks them.

use crate::deploy::TwoRepos;
use crate::harness::World;
use crate::reconcile::edit_release_file;
use crate::trust::{Key, key, run_as};

/// The demo's repositories with prod requiring two approvals by alice's or bob's key, and qa
/// having deployed 1.0.0-rc.1: only approvals stand between it and prod.
fn awaiting_approval(world: &World) -> (TwoRepos, Key, Key, Key) {
    let repos = TwoRepos::new(world);
    let (alice, bob, mallory) = (key(world, "alice"), key(world, "bob"), key(world, "mallory"));
    let approvers = format!("\n[trust.approvers]\nprod = [\"{}\", \"{}\"]\n", alice.public, bob.public);
    edit_release_file(world, &repos.release, |file| {
        let file = file.replace("restricted = true\n", "restricted = true\nrequire-approvals = 2\n");
        format!("{file}{approvers}")
    });
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    (repos, alice, bob, mallory)
}

fn gate(world: &World, repos: &TwoRepos) -> crate::harness::Transcript {
    world.release(&repos.release, &["gate", "--target", "prod"])
}

#[test]
fn two_trusted_approvals_open_prod_and_an_untrusted_one_does_not_count() {
    let world = World::new();
    let (repos, alice, bob, mallory) = awaiting_approval(&world);
    let release = &repos.release;
    gate(&world, &repos).expect_status(1).expect_stdout("FAIL  approved           approvals: 0 of 2 for ");

    run_as(&world, release, &["approve", "prod", "-m", "Release notes read"], Some(&alice))
        .expect_status(0)
        .expect_stdout("approved 1.0.0 (")
        .expect_stdout(" for prod as approval/prod/20261121T101500Z, pushed");
    let one = gate(&world, &repos);
    one.expect_status(1).expect_stdout("approvals: 1 of 2 for ").expect_stdout("(by ssh-ed25519 …");
    one.expect_stdout("hint: 1 more of the approvers [trust.approvers] lists for prod approve it with a signed tag");

    // The same second: the next approval takes the next name.
    run_as(&world, release, &["approve", "prod"], Some(&mallory))
        .expect_status(0)
        .expect_stdout("as approval/prod/20261121T101500Z+2, pushed");
    gate(&world, &repos)
        .expect_status(1)
        .expect_stdout("approvals: 1 of 2")
        .expect_stdout("not counted: approval/prod/20261121T101500Z+2: it is signed by ");

    run_as(&world, release, &["approve", "prod"], Some(&bob)).expect_status(0);
    gate(&world, &repos).expect_status(0).expect_stdout("ok    approved           approvals: 2 of 2 for ");
    let json = world.release(release, &["gate", "--target", "prod", "--json"]).json();
    assert_eq!(json["approvals"]["required"], 2, "{json}");
    let approved = json["approvals"]["approved"].as_array().expect("approved");
    assert!(approved.iter().all(|word| word["key"].as_str().is_some_and(|k| k.starts_with("ssh-ed25519 …"))), "{json}");
    assert!(
        approved.iter().all(|word| word["tag"].as_str().is_some_and(|t| t.starts_with("approval/prod/"))),
        "{json}"
    );
    assert_eq!(json["approvals"]["ignored"].as_array().map(Vec::len), Some(1), "mallory's: {json}");

    // Every approval is a tag git itself verifies.
    let cache_tags = world.git(&repos.app_remote, &["tag", "-l", "approval/*"]);
    assert_eq!(cache_tags.lines().count(), 3, "{cache_tags}");
}

#[test]
fn a_duplicate_approval_by_one_person_counts_once() {
    let world = World::new();
    let (repos, alice, _bob, _mallory) = awaiting_approval(&world);
    for _ in 0..2 {
        run_as(&world, &repos.release, &["approve", "prod"], Some(&alice)).expect_status(0);
    }
    gate(&world, &repos).expect_status(1).expect_stdout("approvals: 1 of 2");
}

#[test]
fn a_revoked_approval_counts_no_more() {
    let world = World::new();
    let (repos, alice, bob, _mallory) = awaiting_approval(&world);
    let release = &repos.release;
    run_as(&world, release, &["approve", "prod"], Some(&alice)).expect_status(0);
    run_as(&world, release, &["approve", "prod"], Some(&bob)).expect_status(0);
    gate(&world, &repos).expect_status(0);
    let revoked = world.release_with(
        release,
        &["revoke", "prod", "-m", "Found a bug"],
        &[("GIT_COMMITTER_DATE", "2026-11-21T10:20:00Z")],
    );
    // Unsigned, a revocation is refused like an approval: it would count for no one.
    revoked
        .expect_status(1)
        .expect_stderr("error: an approval counts only signed")
        .expect_stderr("hint: have git sign tags");
    let vars = crate::trust::signing_vars(Some(&bob));
    let mut vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    vars.push(("GIT_COMMITTER_DATE", "2026-11-21T10:20:00Z"));
    world
        .release_with(release, &["revoke", "prod", "-m", "Found a bug"], &vars)
        .expect_status(0)
        .expect_stdout("revoked the approval of 1.0.0 (");
    gate(&world, &repos).expect_status(1).expect_stdout("approvals: 1 of 2").expect_stdout("; revoked: ssh-ed25519 …");
    // Nothing was deleted: both approvals and the revocation are there.
    assert_eq!(world.git(&repos.app_remote, &["tag", "-l", "approval/*"]).lines().count(), 3);
}

#[test]
fn an_approval_of_another_commit_does_not_count() {
    let world = World::new();
    let (repos, alice, bob, _mallory) = awaiting_approval(&world);
    let other = repos.app_commit(&world, "Not what qa ran");
    run_as(&world, &repos.release, &["approve", "prod", "--commit", &other, "--version", "1.0.0"], Some(&alice))
        .expect_status(0);
    run_as(&world, &repos.release, &["approve", "prod"], Some(&bob)).expect_status(0);
    gate(&world, &repos).expect_status(1).expect_stdout("approvals: 1 of 2");
}

#[test]
fn an_approval_by_an_untrusted_key_does_not_count() {
    let world = World::new();
    let (repos, _alice, _bob, mallory) = awaiting_approval(&world);
    run_as(&world, &repos.release, &["approve", "prod"], Some(&mallory)).expect_status(0);
    gate(&world, &repos)
        .expect_status(1)
        .expect_stdout("approvals: 0 of 2")
        .expect_stdout("which [trust.approvers] does not list for prod");
}

#[test]
fn the_application_repositorys_server_guards_approvals_like_records() {
    let world = World::new();
    let (repos, alice, _bob, mallory) = awaiting_approval(&world);
    let release = &repos.release;
    let remote = crate::deploy::path(&repos.release_remote).to_owned();
    let install = ["hooks", "install", "--release", remote.as_str(), "--release-branch", "environment/prod"];
    world.release(&repos.app_remote, &install).expect_status(0);
    let tags = |world: &World| world.git(&repos.app_remote, &["tag", "-l", "approval/*"]);

    // An approval no approver signed is refused by the server: it would count for no one.
    run_as(&world, release, &["approve", "prod"], Some(&mallory))
        .expect_status(1)
        .expect_stderr("error: origin refused the push; nothing was changed here")
        .expect_stderr("does not count as an approval: it is signed by ");
    assert_eq!(tags(&world), "", "nothing reached the server");
    let cache = crate::trust::cache_of(release);
    assert_eq!(world.git(&cache, &["tag", "-l", "approval/*"]), "", "nor is kept here");

    run_as(&world, release, &["approve", "prod"], Some(&alice)).expect_status(0);
    let approved = tags(&world).trim().to_owned();
    assert_eq!(approved, "approval/prod/20261121T101500Z");

    // The same approval without its signature, under a new name: refused.
    let unsigned = std::panic::catch_unwind(|| {
        world.git(&cache, &["tag", "approval/prod/20261121T101500Z+2", &approved]);
        crate::trust::publish_unsigned(&world, &cache, "approval/prod/20261121T101500Z+2");
    });
    assert!(unsigned.is_err(), "the server takes no unsigned approval");
    // Approvals are never deleted nor moved: a revocation is a new tag.
    let deleted = world.command("git", &cache).args(["push", "origin", &format!(":refs/tags/{approved}")]).output();
    let deleted = deleted.expect("git runs");
    assert!(!deleted.status.success());
    assert!(
        String::from_utf8_lossy(&deleted.stderr)
            .contains("records an approval or its revocation, and those are never deleted"),
        "{deleted:?}"
    );
    assert_eq!(tags(&world).trim(), approved);
}

/// The pull request is where approvers look: a promotion waiting only for approvals is opened,
/// its body counts them, and the next round brings the count up to date.
#[test]
fn a_promotion_waiting_for_approvals_is_opened_and_its_body_counts_them() {
    use crate::fake_forge::FakeForge;
    use crate::reconcile::{TOKEN, actions, auto_promoted, reconcile};
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let alice = key(&world, "alice");
    edit_release_file(&world, &repos.release, |file| {
        let file = file.replacen("auto-promote = true\n", "auto-promote = true\nrequire-approvals = 1\n", 1);
        format!("{file}\n[trust.approvers]\nprod = [\"{}\"]\n", alice.public)
    });
    let first = reconcile(&world, &repos.release, &forge, &[]);
    assert_eq!(actions(&first), ["create #1"], "{first}");
    let body = forge.open_pulls()[0].body.clone();
    assert!(body.contains("- ❌ `approved`: approvals: 0 of 1 for "), "{body}");

    run_as(&world, &repos.release, &["approve", "prod"], Some(&alice)).expect_status(0);
    let second = reconcile(&world, &repos.release, &forge, &[]);
    assert_eq!(actions(&second), ["update #1"], "{second}");
    let body = forge.open_pulls()[0].body.clone();
    assert!(body.contains("- ✅ `approved`: approvals: 1 of 1 for "), "{body}");
}

#[test]
fn status_and_log_show_the_approvals() {
    let world = World::new();
    let (repos, alice, _bob, mallory) = awaiting_approval(&world);
    let release = &repos.release;
    run_as(&world, release, &["approve", "prod", "-m", "Looked at the diff"], Some(&alice)).expect_status(0);
    run_as(&world, release, &["approve", "prod"], Some(&mallory)).expect_status(0);
    let status = world.release(release, &["status"]);
    let prod = status.stdout.lines().find(|l| l.starts_with("prod")).expect("a prod row").to_owned();
    assert!(prod.ends_with("refused: approved (approvals 1/2)"), "{prod}");

    let log = world.release(release, &["log", "--approvals"]);
    log.expect_status(0);
    let lines: Vec<&str> = log.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(lines[0].starts_with("TIME "), "{log}");
    assert!(
        lines[1].contains("approval/prod/20261121T101500Z+2") && lines[1].contains("(not counted: it is signed by"),
        "{log}"
    );
    assert!(
        lines[2].contains("approval/prod/20261121T101500Z ")
            && lines[2].contains("approved")
            && lines[2].contains("(ssh-ed25519 …"),
        "{log}"
    );
    let json = world.release(release, &["log", "--approvals", "--json"]).json();
    let first = &json["approvals"][1];
    assert_eq!(first["stance"], "approve");
    assert_eq!(first["environment"], "prod");
    assert_eq!(first["reason"], "Looked at the diff");
    assert!(first["counts_for"].as_str().is_some_and(|key| key.starts_with("ssh-ed25519 …")), "{json}");
    assert!(json["approvals"][0]["not_counted"].as_str().is_some(), "{json}");
}

/// Found by the independent pass: an approval dated a year ahead outranked every later
/// revocation and counted at once. It counts for nothing until its time comes, and the hook
/// refuses it.
#[test]
fn an_approval_dated_ahead_of_the_clock_does_not_count() {
    let world = World::new();
    let (repos, alice, bob, _mallory) = awaiting_approval(&world);
    let release = &repos.release;
    let vars = crate::trust::signing_vars(Some(&bob));
    let mut vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    vars.push(("GIT_COMMITTER_DATE", "2027-06-01T00:00:00Z"));
    world.release_with(release, &["approve", "prod"], &vars).expect_status(0);
    run_as(&world, release, &["approve", "prod"], Some(&alice)).expect_status(0);
    gate(&world, &repos)
        .expect_status(1)
        .expect_stdout("approvals: 1 of 2")
        .expect_stdout("approval/prod/20270601T000000Z: it is dated 2027-06-01T00:00:00Z, ahead of the clock");

    // With the hook on the application's server, it does not get in at all.
    let remote = crate::deploy::path(&repos.release_remote).to_owned();
    let install = ["hooks", "install", "--release", remote.as_str(), "--release-branch", "environment/prod"];
    world.release(&repos.app_remote, &install).expect_status(0);
    let last = vars.len() - 1;
    vars[last] = ("GIT_COMMITTER_DATE", "2027-07-01T00:00:00Z");
    world.release_with(release, &["approve", "prod", "--no-push"], &vars).expect_status(0);
    // Pushed at the tests' moment, as the server's clock reads it.
    let cache = crate::trust::cache_of(release);
    let pushed =
        world.command("git", &cache).args(["push", "origin", "refs/tags/approval/prod/20270701T000000Z"]).output();
    let pushed = pushed.expect("git runs");
    assert!(!pushed.status.success());
    let said = String::from_utf8_lossy(&pushed.stderr);
    assert!(
        said.contains("approval/prod/20270701T000000Z is dated 2027-07-01T00:00:00Z, ahead of the clock"),
        "{said}"
    );
}

#[test]
fn a_key_listed_twice_is_one_approver() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let alice = key(&world, "alice");
    let approvers = format!("\n[trust.approvers]\nprod = [\"{}\", \"{}\"]\n", alice.public, alice.public);
    edit_release_file(&world, &repos.release, |file| {
        format!("{}{approvers}", file.replace("restricted = true\n", "restricted = true\nrequire-approvals = 2\n"))
    });
    world
        .release(&repos.release, &["status"])
        .expect_status(2)
        .expect_stderr("environment prod has require-approvals = 2, and [trust.approvers] lists 1 key for it");
}

#[test]
fn approve_refuses_a_version_that_is_no_version() {
    let world = World::new();
    let (repos, alice, _bob, _mallory) = awaiting_approval(&world);
    run_as(&world, &repos.release, &["approve", "prod", "--version", "1.0.0\nEnvironment: qa"], Some(&alice))
        .expect_status(2)
        .expect_stderr("is not a version");
    assert_eq!(world.git(&repos.app_remote, &["tag", "-l", "approval/*"]), "");
}

/// Found by the independent pass: an approval made with --no-push counted here and nowhere
/// else, and nothing said it was unpublished. It counts for no one until it is published.
#[test]
fn an_approval_kept_here_only_does_not_count() {
    let world = World::new();
    let (repos, alice, bob, _mallory) = awaiting_approval(&world);
    let release = &repos.release;
    run_as(&world, release, &["approve", "prod"], Some(&alice)).expect_status(0);
    run_as(&world, release, &["approve", "prod", "--no-push"], Some(&bob)).expect_status(0);
    gate(&world, &repos)
        .expect_status(1)
        .expect_stdout("approvals: 1 of 2")
        .expect_stdout("it was made with --no-push and is kept here only; approve again without --no-push");
    run_as(&world, release, &["approve", "prod"], Some(&bob)).expect_status(0);
    gate(&world, &repos).expect_status(0).expect_stdout("approvals: 2 of 2");
}

#[test]
fn the_report_shows_approvals_and_those_that_do_not_count() {
    let world = World::new();
    let (repos, alice, bob, mallory) = awaiting_approval(&world);
    let release = &repos.release;
    run_as(&world, release, &["approve", "prod", "-m", "Release notes read"], Some(&alice)).expect_status(0);
    run_as(&world, release, &["approve", "prod"], Some(&mallory)).expect_status(0);
    // Found by an independent pass: an approval dated ahead of the clock showed as a plain one.
    let mut vars = crate::trust::signing_vars(Some(&bob));
    vars.push(("GIT_COMMITTER_DATE".into(), "2030-01-01T00:00:00Z".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    world.release_with(release, &["approve", "prod"], &vars).expect_status(0);
    let log = world.release(release, &["log", "--approvals", "--json"]).json();
    let ahead =
        log["approvals"].as_array().expect("approvals").iter().find(|a| a["at"] == "2030-01-01T00:00:00Z").cloned();
    assert!(
        ahead.as_ref().is_some_and(|a| a["not_counted"].as_str().is_some_and(|why| why.contains("ahead of the clock"))),
        "{log}"
    );
    let report = world.release(release, &["report", "--json", "--output", "-"]);
    report.expect_status(0);
    let json = report.json();
    let approvals: Vec<&serde_json::Value> =
        json["timeline"].as_array().expect("a timeline").iter().filter(|e| e["kind"] == "approval").collect();
    assert_eq!(approvals.len(), 3, "{json}");
    assert!(approvals.iter().all(|e| e["environment"] == "prod"), "{json}");
    let not_counted =
        approvals.iter().filter(|e| e["by"].as_str().is_some_and(|by| by.contains("(not counted: "))).count();
    assert_eq!(not_counted, 2, "mallory's and the one ahead of the clock are shown as not counted: {json}");
    assert_eq!(json["status"]["environments"][2]["gate"]["allowed"], false, "{json}");
}
