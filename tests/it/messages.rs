//! What users read when something is refused or asked wrongly: each test is named after what a
//! new user saw, and shows the corrected text and exit status.

use crate::deploy::{TwoRepos, path};
use crate::harness::World;

/// qa runs 1.0.0 (rc.1 cut and recorded); prod's branch still asks for WIP.
fn qa_deployed(world: &World) -> TwoRepos {
    let repos = TwoRepos::new(world);
    world.release(&repos.release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(&repos.release, &["prepare", "qa"]).expect_status(0);
    world.release(&repos.release, &["record", "qa"]).expect_status(0);
    repos
}

/// Seen: a hook's refusal inside `set --push` came out as `caused by:   caused by:` and
/// `caused by: hint:`. The hook's causes and hints now read as the command's own.
#[test]
fn a_hook_refusing_set_push_reads_as_one_error_with_the_hooks_hints() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    for (installed_in, said_by) in [(&repos.release_remote, "origin: "), (release, "pre-push hook: ")] {
        world.release(installed_in, &["hooks", "install"]).expect_status(0);
        let before = world.state(release);
        let refused = world.release(release, &["set", "prod", "2.0.0", "--push"]);
        refused.expect_status(1).expect_stderr("error: origin refused the push; nothing was changed here\n");
        refused.expect_stderr(&format!("  caused by: {said_by}refusing refs/heads/environment/prod"));
        refused.expect_stderr("  caused by: release-candidate: no release candidate for 2.0.0");
        refused.expect_stderr("\nhint: make the version resolvable, then deploy it to qa\n");
        for nested in ["caused by:   caused by:", "caused by: hint:", "remote:", "error: refusing"] {
            assert!(!refused.stderr.contains(nested), "{nested:?} in:\n{refused}");
        }
        assert_eq!(world.state(release), before, "nothing changed here");
    }
}

/// Seen: in a fresh clone, the pre-push hook refused a good promotion because the application
/// repository had "not been fetched here", with the hint to deploy to qa, which qa had. The
/// hook now fetches the records a push to an environment branch is judged by.
#[test]
fn a_fresh_clones_hook_lets_a_good_promotion_through() {
    let world = World::new();
    let repos = qa_deployed(&world);
    world.git(&world.path(""), &["clone", "-q", path(&repos.release_remote), "fresh"]);
    let fresh = world.path("fresh");
    world.release(&fresh, &["hooks", "install"]).expect_status(0);
    let pushed = world.release(&fresh, &["set", "prod", "1.0.0", "--push"]);
    pushed.expect_status(0).expect_stdout("-> 1.0.0 on environment/prod");
    assert!(!pushed.stderr.contains("not been fetched"), "{pushed}");
}

/// Seen: `promote qa qa` said "qa is the first environment".
#[test]
fn promoting_an_environment_into_itself_or_into_one_after_nothing_says_so() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let itself = world.release(&repos.release, &["promote", "qa", "qa"]);
    itself.expect_status(2).expect_stderr("error: cannot promote qa into itself\n");
    itself.expect_stderr("hint: name two environments: dev, qa, prod\n");
    let first = world.release(&repos.release, &["promote", "dev", "qa"]);
    first.expect_status(1).expect_stderr("caused by: qa comes after no environment (its `after` is not set)");
    assert!(!first.stderr.contains("first environment"), "{first}");
}

/// Seen: `--json` usage errors had empty `causes` and never named the missing argument.
#[test]
fn json_usage_errors_name_the_missing_argument() {
    let world = World::new();
    let missing = world.release(&world.path(""), &["prepare", "--json"]);
    missing.expect_status(2);
    let error = &missing.json()["error"];
    assert_eq!(error["message"], "the following required arguments were not provided: <ENVIRONMENT>");
    assert_eq!(error["causes"], serde_json::json!(["<ENVIRONMENT>"]));
    assert_eq!(error["hints"][0], "usage: git release prepare --json <ENVIRONMENT>");
}

/// Seen: `help --help` exited 2 with "unrecognized subcommand '--help'".
#[test]
fn help_of_help_is_help() {
    let world = World::new();
    let help = world.release(&world.path(""), &["help", "--help"]);
    help.expect_status(0).expect_stdout("Usage: git release help [COMMAND]...");
}

/// Seen: `log -n 0` hinted "no deployments are recorded yet" where there were some.
#[test]
fn log_of_none_says_nothing_of_what_is_recorded() {
    let world = World::new();
    let repos = qa_deployed(&world);
    let none = world.release(&repos.release, &["log", "-n", "0"]);
    none.expect_status(0);
    assert_eq!((none.stdout.as_str(), none.stderr.as_str()), ("", ""), "{none}");
    world.release(&repos.release, &["log", "-n", "1"]).expect_status(0).expect_stdout(".qa");
}

/// Seen: in the application repository, the hint was `git release init`, which would make it a
/// release repository.
#[test]
fn the_application_repository_is_told_apart_from_an_empty_one() {
    let world = World::new();
    let repos = qa_deployed(&world);
    world.git(&repos.app, &["fetch", "-q", "--tags"]);
    let here = world.release(&repos.app, &["status"]);
    here.expect_status(2).expect_stderr("error: no release.toml found\n");
    here.expect_stderr("hint: this looks like an application repository: its tags name deployments");
    here.expect_stderr("hint: run git release in the release repository whose `app` names this one");
    assert!(!here.stderr.contains("git release init"), "{here}");
    let empty = world.repo("empty");
    world.release(&empty, &["status"]).expect_status(2).expect_stderr("'git release init'");
}

/// Seen: a fresh clone of the application repository, whose tags were not fetched, was still
/// told only to run `git release init`: nothing there says which kind of repository it is, so
/// both ways are named.
#[test]
fn a_fresh_application_clone_without_tags_is_told_both_ways() {
    let world = World::new();
    let repos = qa_deployed(&world);
    let clone = world.path("fresh-app");
    world.git(&world.path(""), &["clone", "-q", "--no-tags", path(&repos.app_remote), path(&clone)]);
    let here = world.release(&clone, &["status"]);
    here.expect_status(2).expect_stderr("error: no release.toml found\n");
    here.expect_stderr(
        "hint: if the environments are branches of a release repository beside this one, run git release there, or point at it with -C <path>\n\
         hint: if they are branches of this repository, create them with 'git release init'\n",
    );
    assert_eq!(world.git(&clone, &["tag", "-l"]), "", "nothing was fetched or written");
}

/// Seen: `--remote nope … --push` showed a raw `git push --porcelain` command line.
#[test]
fn a_push_to_a_missing_remote_names_the_remote() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let before = world.state(&repos.release);
    let failed = world.release(&repos.release, &["--remote", "nope", "set", "qa", "1.0.0", "--push"]);
    failed.expect_status(128).expect_stderr("error: cannot push to nope\n");
    failed.expect_stderr("caused by: fatal: 'nope' does not appear to be a git repository");
    assert!(!failed.stderr.contains("--porcelain"), "{failed}");
    assert_eq!(world.state(&repos.release), before);
}

/// Seen: every unknown environment added "a preview is named as 'git release preview list'
/// shows it"; only a preview's branch name is now told about previews.
#[test]
fn an_unknown_environment_mentions_previews_only_for_a_preview_branch() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let typo = world.release(&repos.release, &["log", "qq"]);
    typo.expect_status(2).expect_stderr("hint: environments: dev, qa, prod\n");
    assert!(!typo.stderr.contains("preview"), "{typo}");
    let preview = world.release(&repos.release, &["log", "preview/gone-123456"]);
    preview.expect_status(2).expect_stderr("hint: a preview is named as 'git release preview list' shows it");
}

/// Seen: `set -q` still printed what it did.
#[test]
fn quiet_set_prints_nothing() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let quiet = world.release(&repos.release, &["set", "qa", "1.0.0", "-q"]);
    quiet.expect_status(0);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""), "{quiet}");
    let dry = world.release(&repos.release, &["set", "qa", "1.1.0", "-q", "--dry-run"]);
    dry.expect_status(0).expect_stdout("1.1.0");
}

/// Seen: `prepare prod --dry-run` said it would push a final tag "where it must not exist yet"
/// when the tag existed and the real run reused it.
#[test]
fn a_dry_run_says_a_tag_that_exists_is_reused() {
    let world = World::new();
    let repos = qa_deployed(&world);
    let release = &repos.release;
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "prod"]).expect_status(0).expect_stderr("created v1.0.0");
    let dry = world.release(release, &["prepare", "prod", "--dry-run"]);
    dry.expect_status(0)
        .expect_stdout("  reuse refs/tags/v1.0.0: push it to origin only where an earlier run could not\n");
    assert!(!dry.stdout.contains("must not exist yet"), "{dry}");
    world.release(release, &["prepare", "prod"]).expect_status(0).expect_stderr("reusing v1.0.0");
}

/// Seen: `promote --dry-run` wrote two objects (the merge it tried), and `prepare dev
/// --dry-run` in one repository fetched a branch and tags into it.
#[test]
fn dry_runs_write_neither_objects_nor_references() {
    let world = World::new();
    let repos = qa_deployed(&world);
    let release = &repos.release;
    // prod's branch changes its file too: the promotion conflicts, and merging is only tried;
    // and it holds a file of its own, so the rebuilt tree is one the repository lacks.
    world.release(release, &["set", "prod", "0.9.0", "--push"]).expect_status(0);
    world.git(release, &["checkout", "-q", "environment/prod"]);
    std::fs::write(release.join("NOTES"), "prod only\n").expect("written");
    world.git(release, &["add", "NOTES"]);
    world.git(release, &["commit", "-q", "-m", "Notes"]);
    world.git(release, &["push", "-q", "origin", "environment/prod"]);
    let objects = |dir: &std::path::Path| world.git(dir, &["count-objects", "-v"]);
    let before = (objects(release), world.state(release));
    world.release(release, &["promote", "qa", "prod", "--dry-run"]).expect_stderr("does not merge cleanly");
    assert_eq!((objects(release), world.state(release)), before, "a tried merge leaves nothing behind");
    // Found by the independent pass: a rebuild's dry run wrote the tree it would commit.
    world.release(release, &["--offline", "promote", "qa", "prod", "--rebuild", "--dry-run"]).expect_status(0);
    assert_eq!((objects(release), world.state(release)), before, "a rebuild's dry run stores nothing");

    let (repo, remote) = crate::deploy::one_repo(&world);
    let elsewhere = world.path("elsewhere");
    world.git(&world.path(""), &["clone", "-q", path(&remote), path(&elsewhere)]);
    world.git(&elsewhere, &["checkout", "-q", "dev"]);
    world.git(&elsewhere, &["commit", "-q", "--allow-empty", "-m", "Moved on"]);
    world.git(&elsewhere, &["tag", "someone-elses"]);
    world.git(&elsewhere, &["push", "-q", "--tags", "origin", "dev"]);
    let before = (objects(&repo), world.state(&repo));
    let dry = world.release(&repo, &["prepare", "dev", "--dry-run"]);
    dry.expect_status(0).expect_stderr("note: --dry-run fetches nothing into this repository");
    assert_eq!((objects(&repo), world.state(&repo)), before, "{dry}");
}

/// Seen: `prepare` and `record` both printed `tag=`, which clash in one `$GITHUB_OUTPUT`; and
/// `status --json` was said to abbreviate `head`.
#[test]
fn record_prints_record_tag_and_json_ids_are_whole() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let prepared = world.release(release, &["prepare", "qa"]);
    prepared.expect_status(0).expect_stdout("\ntag=v1.0.0-rc.1\n");
    let recorded = world.release(release, &["record", "qa"]);
    recorded.expect_status(0).expect_stdout("\nrecord_tag=1.0.0.20261121T101500Z.qa\n");
    assert!(!recorded.stdout.lines().any(|l| l.starts_with("tag=")), "{recorded}");
    let status = world.release(release, &["status", "--json"]);
    let json = status.expect_status(0).json();
    for env in json["environments"].as_array().expect("environments") {
        assert_eq!(env["head"].as_str().map(str::len), Some(40), "{env}");
    }
    assert_eq!(json["environments"][1]["deployed"]["commit"].as_str().map(str::len), Some(40), "{status}");
}

/// A fresh clone of the release repository, reading its settings from prod's branch as
/// `hooks install` would set it: its application cache not made yet.
fn fresh_release_clone(world: &World, repos: &TwoRepos) -> std::path::PathBuf {
    let clone = world.path("fresh-release");
    world.git(&world.path(""), &["clone", "-q", path(&repos.release_remote), path(&clone)]);
    world.git(&clone, &["config", "release.configRef", "refs/heads/environment/prod"]);
    clone
}

/// Found by the independent pass: in a fresh clone of the release repository, `log` filled the
/// application cache with tags only, and `status` then failed with "the application repository
/// … has no HEAD branch to track", which it has. `log` now learns that branch too, as status
/// needs it; where it is still not known here, status and the gate say so, and RUNS does not
/// claim "as asked" (the second pass).
#[test]
fn status_after_log_in_a_fresh_release_clone_says_what_is_not_fetched() {
    let world = World::new();
    let repos = qa_deployed(&world);
    let clone = fresh_release_clone(&world, &repos);
    world.release(&clone, &["log"]).expect_status(0).expect_stdout(".qa");
    let status = world.release(&clone, &["status", "--json"]);
    status.expect_status(0);
    let json = status.json();
    let qa = json["environments"].as_array().expect("rows").iter().find(|e| e["name"] == "qa").expect("qa").clone();
    assert_eq!(qa["deployed"]["version"], "1.0.0", "{json}");
    assert!(!json.to_string().contains("not been fetched"), "log fetched what status reads: {json}");

    // A cache whose remote HEAD is not known here (a remote without one, or a cache from an
    // older run): the gate says so, and RUNS says it cannot tell.
    let apps = clone.join(".git/release/apps");
    let cache =
        std::fs::read_dir(&apps).expect("the cache is there").next().expect("one cache").expect("readable").path();
    world.git(&cache, &["symbolic-ref", "--delete", "refs/remotes/origin/HEAD"]);
    let text = world.release(&clone, &["--offline", "status"]);
    text.expect_status(0).expect_stdout("unknown here");
    assert!(!text.to_string().contains("has no HEAD branch"), "{text}");
    let gate = world.release(&clone, &["--offline", "gate", "--target", "prod", "--source", "environment/qa"]);
    gate.expect_stdout("its HEAD has not been fetched");
    assert!(!gate.to_string().contains("has no HEAD branch"), "{gate}");
}

/// Found by the independent pass: in a clone made without tags, or before the application
/// repository was fetched, every environment showed "never deployed" and nothing said that the
/// records are simply not here.
#[test]
fn status_says_where_the_records_are_when_none_shows() {
    let world = World::new();
    let repos = qa_deployed(&world);
    let clone = fresh_release_clone(&world, &repos);
    let before = world.release(&clone, &["status"]);
    before.expect_status(0).expect_stderr(
        "hint: no deployment shows: the application repository has not been fetched here; 'git release log' fetches its records\n",
    );
    world.release(&clone, &["log"]).expect_status(0);
    let after = world.release(&clone, &["status"]);
    assert!(!after.stderr.contains("no deployment"), "{after}");

    let (repo, remote) = crate::deploy::one_repo(&world);
    world.git(&repo, &["checkout", "-q", "qa"]);
    world.release(&repo, &["prepare", "qa"]).expect_status(0);
    world.release(&repo, &["record", "qa"]).expect_status(0);
    let bare = world.path("shop-no-tags");
    world.git(&world.path(""), &["clone", "-q", "--no-tags", path(&remote), path(&bare)]);
    world.git(&bare, &["config", "release.configRef", "refs/heads/main"]);
    let none = world.release(&bare, &["--offline", "status"]);
    none.expect_status(0).expect_stderr(
        "hint: no deployment records are here: this clone was made without tags; fetch them with 'git fetch --tags origin'\n",
    );
    world.git(&bare, &["fetch", "-q", "--tags", "origin"]);
    let fetched = world.release(&bare, &["--offline", "status"]);
    assert!(!fetched.stderr.contains("no deployment records"), "{fetched}");
}
