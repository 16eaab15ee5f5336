//! What people read, kept whole: stdout, stderr and exit status of the main success and refusal
//! paths of promote, reconcile, the hooks, Jira and previews. A change to any of them shows here
//! as a diff to review.

use crate::deploy::TwoRepos;
use crate::fake_forge::FakeForge;
use crate::fake_jira::{FakeJira, Flavour};
use crate::harness::{NOON, Transcript, World, stable};
use crate::hooks::{feature_on_qa, run_with_stdin, shop};
use crate::preview::{git_url, pull_request};
use crate::promote::{TOKEN, edit_prod_by_hand, promotable};
use crate::reconcile::{auto_promoted, edit_release_file};

fn keep(name: &str, run: &Transcript) {
    insta::assert_snapshot!(name, stable(&run.to_string()));
}

#[test]
fn promote_opens_keeps_and_refuses() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    let run =
        |args: &[&str]| world.release_with(release, args, &[("GITHUB_TOKEN", TOKEN), ("GIT_COMMITTER_DATE", NOON)]);
    keep("promote_opens", &run(&["promote", "qa", "prod"]));
    keep("promote_again_changes_nothing", &run(&["promote", "qa", "prod"]));
    keep("promote_the_wrong_way", &run(&["promote", "prod", "qa"]));
    edit_prod_by_hand(&world, release);
    keep("promote_conflicting_branches", &run(&["promote", "qa", "prod"]));
    keep(
        "promote_offline_prints_the_promotion",
        &run(&["--offline", "promote", "qa", "prod", "--rebuild", "--dry-run"]),
    );
}

#[test]
fn reconcile_opens_then_rests_and_refuses_what_is_not_auto_promoted() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let run = |args: &[&str]| {
        world.release_with(&repos.release, args, &[("GITHUB_TOKEN", TOKEN), ("GIT_COMMITTER_DATE", NOON)])
    };
    keep("reconcile_opens", &run(&["reconcile"]));
    keep("reconcile_up_to_date", &run(&["reconcile"]));
    keep("reconcile_not_auto_promoted", &run(&["reconcile", "--env", "qa"]));
}

#[test]
fn the_pre_push_hook_refuses_then_lets_through() {
    let world = World::new();
    let (repo, _remote) = shop(&world);
    keep("hooks_install", &world.release(&repo, &["hooks", "install"]));
    keep("hooks_status", &world.release(&repo, &["hooks", "status"]));
    let head = feature_on_qa(&world, &repo);
    let old = world.git(&repo, &["rev-parse", "origin/environment/prod"]).trim().to_owned();
    let line = format!("refs/heads/environment/prod {head} refs/heads/environment/prod {old}\n");
    let hook = |name: &str| {
        let output = run_with_stdin(&mut world.release_command(&repo, &["hook", "pre-push", "origin"]), &line);
        keep(name, &world.transcript(&["hook", "pre-push", "origin"], &output));
    };
    hook("hook_refuses_what_qa_did_not_deploy");
    world.release(&repo, &["record", "qa"]).expect_status(0);
    hook("hook_lets_through_what_qa_deployed");
}

#[test]
fn record_tells_jira_and_strict_fails_on_what_it_could_not_tell() {
    let world = World::new();
    let jira = FakeJira::new(Flavour::Cloud, "releaser@example.com", "jira_tok_0123SECRET");
    jira.add_issues(&["SHOP-1"]);
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    let site = jira.url();
    edit_release_file(&world, release, |file| format!("{file}\n[jira]\nurl = \"{site}\"\nkind = \"cloud\"\n"));
    repos.app_commit(&world, "SHOP-1: the cart keeps its items");
    world.release(release, &["set", "qa", "1.4.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let record = |at: &str, extra: &[&str]| {
        let args = [&["record", "qa", "--at", at][..], extra].concat();
        let vars = [
            ("JIRA_USER", "releaser@example.com"),
            ("JIRA_TOKEN", "jira_tok_0123SECRET"),
            ("JIRA_URL", site.as_str()),
            ("GIT_RELEASE_HTTP_BACKOFF_MS", "10"),
            ("GIT_COMMITTER_DATE", NOON),
        ];
        world.release_with(release, &args, &vars)
    };
    keep("record_tells_jira", &record("2026-11-21T10:20:00Z", &[]));
    keep(
        "record_jira_strict_unknown_issue",
        &record("2026-11-21T10:25:00Z", &["--jira-issue", "SHOP-77", "--jira-strict"]),
    );
}

#[test]
fn preview_create_list_delete_and_refusals() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    git_url(&world, release);
    pull_request(&world, &repos);
    let run = |args: &[&str]| world.release_at(release, args, NOON);
    let created = run(&["preview", "create", "test-my-thing", "owner/repo#pull/42"]);
    keep("preview_create", &created);
    keep("preview_list", &run(&["preview", "list"]));
    keep("preview_bad_name", &run(&["preview", "create", "Test_It", "owner/repo#pull/42"]));
    keep("preview_delete_unknown", &run(&["preview", "delete", "no-such-preview"]));
    keep("preview_delete", &run(&["preview", "delete", created.stdout.trim()]));
}
