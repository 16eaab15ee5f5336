//! Every command's `--dry-run`: it prints the plan (snapshotted here) and writes nothing: no
//! object, reference or config change in any repository it touches, and no write to the forge.

use std::path::Path;

use crate::deploy::{TwoRepos, path};
use crate::fake_forge::FakeForge;
use crate::harness::{NOON, World, stable};
use crate::preview::{git_url, pull_request};
use crate::promote::{TOKEN, edit_prod_by_hand, promotable};
use crate::reconcile::auto_promoted;
use crate::rollback::prod_ran_a_bad_release;

/// Everything a run could write in one repository: what `World::state` sees (references, HEAD,
/// config, index, work tree) and every file under its objects directory.
fn written(world: &World, dir: &Path) -> String {
    let mut seen = world.state(dir);
    let objects = world.git(dir, &["rev-parse", "--git-path", "objects"]);
    let objects = dir.join(objects.trim());
    let mut files = Vec::new();
    let mut folders = vec![objects.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("objects are readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path.strip_prefix(&objects).expect("inside").to_owned());
            }
        }
    }
    files.sort();
    for file in files {
        seen.push_str(&format!("object file {}\n", file.display()));
    }
    seen
}

/// The four repositories of a release beside its application.
fn all(world: &World, repos: &TwoRepos) -> Vec<String> {
    [&repos.release, &repos.release_remote, &repos.app, &repos.app_remote]
        .iter()
        .map(|dir| written(world, dir))
        .collect()
}

/// Another clone pushes to the release remote: a new commit on environment/dev and a branch of
/// its own under preview/, so that any fetch a dry run made would bring something here.
fn moved_on_elsewhere(world: &World, repos: &TwoRepos) {
    let elsewhere = world.path("elsewhere");
    if !elsewhere.exists() {
        world.git(&world.path(""), &["clone", "-q", path(&repos.release_remote), path(&elsewhere)]);
    }
    world.git(&elsewhere, &["fetch", "-q", "origin"]);
    world.git(&elsewhere, &["checkout", "-q", "-B", "environment/dev", "origin/environment/dev"]);
    world.git(&elsewhere, &["commit", "-q", "--allow-empty", "-m", "Moved on elsewhere"]);
    world.git(
        &elsewhere,
        &["push", "-q", "origin", "environment/dev", "environment/dev:refs/heads/preview/other-000000"],
    );
    world.git(&elsewhere, &["push", "-q", "-f", "origin", "environment/dev:refs/heads/preview/other-000000"]);
}

fn forge_writes(forge: &FakeForge) -> usize {
    forge.requests().iter().filter(|(line, _)| !line.starts_with("GET ")).count()
}

/// Runs a dry run in the release repository at noon, snapshots its transcript under `name` and
/// checks that no repository changed.
fn dry_run(world: &World, repos: &TwoRepos, name: &str, args: &[&str], vars: &[(&str, &str)]) {
    let before = all(world, repos);
    let mut vars = vars.to_vec();
    vars.push(("GIT_COMMITTER_DATE", NOON));
    let run = world.release_with(&repos.release, args, &vars);
    run.expect_status(0);
    let after = all(world, repos);
    for (index, (was, is)) in before.iter().zip(&after).enumerate() {
        let which = ["release", "release remote", "app", "app remote"][index];
        assert_eq!(was, is, "`{}` wrote into the {which} repository", args.join(" "));
    }
    insta::assert_snapshot!(name, stable(&run.to_string()));
}

#[test]
fn init_set_and_bump_dry_runs_write_nothing() {
    let world = World::new();
    let fresh = TwoRepos::new(&world);
    let app = fresh.app_remote.to_str().expect("UTF-8").to_owned();
    let empty = world.empty_repo("empty", false);
    let before = written(&world, &empty);
    let init = world.release_with(&empty, &["init", "--app", &app, "--dry-run"], &[("GIT_COMMITTER_DATE", NOON)]);
    init.expect_status(0);
    // The command line is not scrubbed as the output is.
    insta::assert_snapshot!("init", stable(&init.to_string().replace(&app, "<tmp>/app.git")));
    assert_eq!(written(&world, &empty), before, "init --dry-run wrote");

    moved_on_elsewhere(&world, &fresh);
    dry_run(&world, &fresh, "set", &["set", "qa", "1.1.0", "--push", "--dry-run"], &[]);
    let before = all(&world, &fresh);
    world.release(&fresh.release, &["set", "qa", "1.1.0", "--push"]).expect_status(0);
    let after = all(&world, &fresh);
    assert!(before[0] != after[0] && before[1] != after[1], "the same run, not dry, is seen to write");
    moved_on_elsewhere(&world, &fresh);
    dry_run(&world, &fresh, "bump", &["bump", "qa", "minor", "--push", "--dry-run"], &[]);
}

#[test]
fn rollback_dry_run_writes_nothing() {
    let world = World::new();
    let (repos, _, _) = prod_ran_a_bad_release(&world);
    moved_on_elsewhere(&world, &repos);
    dry_run(&world, &repos, "rollback", &["rollback", "prod", "--push", "--dry-run"], &[]);
}

#[test]
fn prepare_and_record_dry_runs_write_nothing() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    world.release(&repos.release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    dry_run(&world, &repos, "prepare", &["prepare", "qa", "--dry-run"], &[]);
    world.release(&repos.release, &["prepare", "qa"]).expect_status(0);
    dry_run(&world, &repos, "record", &["record", "qa", "--dry-run"], &[]);
}

/// Found by an independent pass: with `--app-dir`, the application clone a person works in was
/// fetched blobless and pruned as git-release's own cache is, on a dry run too: it became a
/// partial clone, and lost the tags only it had.
#[test]
fn a_dry_run_leaves_the_clone_app_dir_names_alone_and_a_real_run_keeps_its_tags() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    world.release(&repos.release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.git(&repos.app, &["tag", "-a", "-m", "mine", "my-local-tag"]);
    world.git(&repos.app, &["tag", "my-light-tag"]);
    let elsewhere = world.path("app-elsewhere");
    world.git(&world.path(""), &["clone", "-q", path(&repos.app_remote), path(&elsewhere)]);
    world.git(&elsewhere, &["commit", "-q", "--allow-empty", "-m", "Pushed by someone else"]);
    world.git(&elsewhere, &["tag", "someone-elses"]);
    world.git(&elsewhere, &["push", "-q", "--tags", "origin", "HEAD:main"]);
    // Relative to the release repository, where the command runs: the transcript stays the same.
    let app = "../app";
    assert!(repos.release.join(app).join(".git").is_dir());
    dry_run(&world, &repos, "prepare_app_dir", &["prepare", "qa", "--dry-run", "--app-dir", app], &[]);
    world.release(&repos.release, &["prepare", "qa", "--app-dir", app]).expect_status(0);
    let tags = world.git(&repos.app, &["tag", "-l"]);
    assert!(tags.contains("my-local-tag") && tags.contains("my-light-tag"), "{tags}");
    let config = world.git(&repos.app, &["config", "--local", "--list"]);
    assert!(!config.contains("partialclonefilter") && !config.contains("promisor"), "{config}");
}

#[test]
fn promote_and_rebuild_dry_runs_write_nothing_here_or_on_the_forge() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let token = [("GITHUB_TOKEN", TOKEN)];
    dry_run(&world, &repos, "promote", &["promote", "qa", "prod", "--dry-run"], &token);
    assert_eq!(forge_writes(&forge), 0);

    edit_prod_by_hand(&world, &repos.release);
    dry_run(&world, &repos, "promote_rebuild", &["promote", "qa", "prod", "--rebuild", "--dry-run"], &token);
    assert_eq!(forge_writes(&forge), 0);
    assert!(forge.open_pulls().is_empty());
}

#[test]
fn reconcile_dry_run_writes_nothing_here_or_on_the_forge() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    moved_on_elsewhere(&world, &repos);
    dry_run(&world, &repos, "reconcile", &["reconcile", "--dry-run"], &[("GITHUB_TOKEN", TOKEN)]);
    assert_eq!(forge_writes(&forge), 0);
    assert!(forge.open_pulls().is_empty());
}

/// A promotion the forge says conflicts is rebuilt on `promote/<to>`: the dry run shows the
/// commit and the push that would make it, as `promote --rebuild --dry-run` does, and makes
/// neither.
#[test]
fn a_reconcile_dry_run_that_would_rebuild_shows_the_commit_and_the_push() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let token = [("GITHUB_TOKEN", TOKEN), ("GIT_COMMITTER_DATE", NOON)];
    world.release_with(&repos.release, &["reconcile"], &token).expect_status(0);
    assert_eq!(forge.open_pulls().len(), 1);
    edit_prod_by_hand(&world, &repos.release);
    forge.state.lock().expect("state").pulls[0].conflicts = true;
    let writes = forge_writes(&forge);
    moved_on_elsewhere(&world, &repos);
    dry_run(&world, &repos, "reconcile_rebuild", &["reconcile", "--dry-run"], &token[..1]);
    assert_eq!(forge_writes(&forge), writes);
    let pushed = world.git(&repos.release_remote, &["for-each-ref", "refs/heads/promote/"]);
    assert!(pushed.trim().is_empty(), "{pushed}");
    // The same round, not dry, does what the plan showed.
    world.release_with(&repos.release, &["reconcile"], &token).expect_status(0);
    let open = forge.open_pulls();
    assert_eq!(open.iter().map(|p| (p.number, p.source.as_str())).collect::<Vec<_>>(), [(2, "promote/prod")]);
    let pushed = world.git(&repos.release_remote, &["for-each-ref", "--format=%(refname)", "refs/heads/promote/"]);
    assert_eq!(pushed.trim(), "refs/heads/promote/prod");
}

#[test]
fn preview_create_and_delete_dry_runs_write_nothing() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    git_url(&world, &repos.release);
    pull_request(&world, &repos);
    let create = ["preview", "create", "test-my-thing", "owner/repo#pull/42"];
    dry_run(&world, &repos, "preview_create", &[&create[..], &["--dry-run"]].concat(), &[]);
    let created = world.release_at(&repos.release, &create, NOON);
    created.expect_status(0);
    let name = created.stdout.trim().to_owned();
    moved_on_elsewhere(&world, &repos);
    dry_run(&world, &repos, "preview_delete", &["preview", "delete", &name, "--dry-run"], &[]);
}
