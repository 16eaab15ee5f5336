//! Which commit of an environment branch a deployment reads: the one the CI checked out, else
//! the branch as its remote has it after a fetch. A local branch decides only when nothing is
//! published.

use crate::deploy::{TwoRepos, one_repo, path, tags, value};
use std::path::Path;

use crate::harness::{Transcript, World};

/// `git release <args>` as the GitHub Actions pipeline of a push to `branch` runs it, having
/// checked out `commit`.
pub fn in_pipeline(world: &World, repo: &Path, args: &[&str], commit: &str, branch: &str) -> Transcript {
    let reference = format!("refs/heads/{branch}");
    let vars = [("GITHUB_ACTIONS", "true"), ("GITHUB_SHA", commit), ("GITHUB_REF", reference.as_str())];
    world.release_with(repo, args, &vars)
}

#[test]
fn a_local_environment_branch_ahead_of_its_remote_is_refused_unless_nothing_is_published() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    // A push the server refused, or one never made: qa here asks for a version qa never got.
    world.release(release, &["set", "qa", "1.1.0"]).expect_status(0);
    let before = (world.state(release), world.state(&repos.app_remote));
    world
        .release(release, &["prepare", "qa"])
        .expect_status(1)
        .expect_stderr("error: environment/qa here has commits that origin/environment/qa does not; they were never pushed")
        .expect_stderr("hint: push environment/qa first ('git push origin environment/qa'), or deploy from this checkout alone with --no-push");
    world.release(release, &["record", "qa", "--commit", "main"]).expect_status(1).expect_stderr("were never pushed");
    assert_eq!((world.state(release), world.state(&repos.app_remote)), before, "a refusal changes nothing");

    // Deployed from this checkout alone, the local branch decides, and a note says so.
    let local = world.release(release, &["prepare", "qa", "--no-push"]);
    local.expect_status(0).expect_stderr("using environment/qa, as nothing is published");
    assert_eq!(value(&local.stdout, "version"), "1.1.0");
    assert!(tags(&world, &repos.app_remote).is_empty(), "--no-push publishes nothing");
}

#[test]
fn a_local_environment_branch_behind_its_remote_deploys_what_the_remote_asks_for() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    // A promotion merged on the forge moves qa on the remote; qa here stays where it was.
    let other = world.path("other");
    world.git(&world.path(""), &["clone", "-q", path(&repos.release_remote), path(&other)]);
    world.release(&other, &["set", "qa", "1.1.0", "--push"]).expect_status(0);
    let prepared = world.release(release, &["prepare", "qa"]);
    prepared.expect_status(0).expect_stderr("is behind origin/environment/qa");
    assert_eq!(value(&prepared.stdout, "version"), "1.1.0");
    assert_eq!(value(&prepared.stdout, "tag"), "v1.1.0-rc.1");
}

#[test]
fn a_pipeline_deploys_the_commit_its_ci_checked_out_though_the_branch_moved_on() {
    let world = World::new();
    let (repo, remote) = one_repo(&world);
    world.git(&repo, &["checkout", "-q", "dev"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "What this pipeline deploys"]);
    world.git(&repo, &["push", "-q", "origin", "dev"]);
    let checked_out = world.git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    // Another push to dev lands while the pipeline runs; its own pipeline deploys it.
    let other = world.path("other");
    world.git(&world.path(""), &["clone", "-q", "-b", "dev", path(&remote), path(&other)]);
    world.git(&other, &["commit", "-q", "--allow-empty", "-m", "The next push"]);
    world.git(&other, &["push", "-q", "origin", "dev"]);

    // As the CI checks out: detached, at the pushed commit.
    world.git(&repo, &["checkout", "-q", "--detach", &checked_out]);
    let prepared = in_pipeline(&world, &repo, &["prepare", "dev"], &checked_out, "dev");
    prepared.expect_status(0).expect_stderr("since this pipeline checked out");
    assert_eq!(value(&prepared.stdout, "commit"), checked_out);
    let recorded = in_pipeline(&world, &repo, &["record", "dev"], &checked_out, "dev");
    assert_eq!(value(&recorded.expect_status(0).stdout, "commit"), checked_out, "{recorded}");
    let tag = value(&recorded.stdout, "record_tag").to_owned();
    assert_eq!(world.git(&remote, &["rev-parse", &format!("{tag}^{{commit}}")]).trim(), checked_out);

    // Without the CI's word, the branch as the remote has it decides: its head has the files
    // dev runs, so there is nothing to deploy, unless asked again.
    let head = world.git(&other, &["rev-parse", "HEAD"]).trim().to_owned();
    let plain = world.release(&repo, &["prepare", "dev"]);
    plain.expect_status(0).expect_stdout("already_deployed=true\n").expect_stderr("dev runs WIP on ");
    assert_eq!(value(&plain.stdout, "commit"), checked_out);
    let again = world.release(&repo, &["prepare", "dev", "--again"]);
    again.expect_status(0).expect_stdout("already_deployed=false\n");
    assert_eq!(value(&again.stdout, "commit"), head);
}

#[test]
fn a_pipeline_whose_commit_the_branch_no_longer_holds_is_refused() {
    let world = World::new();
    let (repo, remote) = one_repo(&world);
    world.git(&repo, &["checkout", "-q", "dev"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Soon rewritten"]);
    world.git(&repo, &["push", "-q", "origin", "dev"]);
    let checked_out = world.git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    world.git(&remote, &["update-ref", "refs/heads/dev", &format!("{checked_out}~1")]);
    world.git(&repo, &["checkout", "-q", "--detach", &checked_out]);
    let before = world.state(&remote);
    in_pipeline(&world, &repo, &["prepare", "dev"], &checked_out, "dev")
        .expect_status(1)
        .expect_stderr(&format!(
            "error: origin/dev no longer holds {}, which this pipeline checked out",
            &checked_out[..7]
        ))
        .expect_stderr("hint: dev was rewritten after this pipeline started");
    assert_eq!(world.state(&remote), before);
}

/// `[app] repo = "../app.git"` is relative to the release repository, from its subdirectories and
/// its linked worktrees alike: each finds the same application and the same deployments.
#[test]
fn a_relative_application_path_is_relative_to_the_release_repository_wherever_the_command_runs() {
    let world = World::new();
    let app_remote = world.empty_repo("app.git", true);
    let app = world.path("app");
    world.git(&world.path(""), &["clone", "-q", path(&app_remote), path(&app)]);
    world.git(&app, &["commit", "-q", "--allow-empty", "-m", "First feature"]);
    world.git(&app, &["push", "-q", "origin", "main"]);
    let release_remote = world.empty_repo("release.git", true);
    let release = world.empty_repo("release", false);
    world.git(&release, &["remote", "add", "origin", path(&release_remote)]);
    world.release(&release, &["init", "--app", "../app.git"]).expect_status(0);
    let file = world.git(&release, &["show", "environment/qa:release.toml"]);
    assert!(file.contains("repo = \"../app.git\""), "init keeps the path as given:\n{file}");
    world.git(&release, &["push", "-q", "origin", "refs/heads/environment/*:refs/heads/environment/*"]);
    world.release(&release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(&release, &["prepare", "qa"]).expect_status(0);
    world.release(&release, &["record", "qa"]).expect_status(0);

    let sub = release.join("deploy/scripts");
    std::fs::create_dir_all(&sub).expect("a subdirectory");
    let worktree = world.path("trees/qa");
    world.git(&release, &["worktree", "add", "-q", "--detach", path(&worktree), "environment/qa"]);
    for dir in [&release, &sub, &worktree] {
        let status = world.release(dir, &["status", "--json", "--offline"]);
        let qa = &status.expect_status(0).json()["environments"][1];
        assert_eq!(qa["name"], "qa", "{status}");
        assert_eq!(qa["deployed"]["version"], "1.0.0", "from {}: {status}", dir.display());
    }
    let caches = std::fs::read_dir(release.join(".git/release/apps")).expect("the cache folder").count();
    assert_eq!(caches, 1, "one cache serves every working directory");
}

/// CI checks out one commit of history (`--depth 1`): the pipeline deploys and records from it
/// as from a full clone.
#[test]
fn a_shallow_ci_checkout_prepares_and_records() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    world.release(&repos.release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let clone = world.path("ci");
    let url = format!("file://{}", path(&repos.release_remote));
    world.git(&world.path(""), &["clone", "-q", "--depth", "1", "-b", "environment/qa", &url, path(&clone)]);
    assert!(clone.join(".git/shallow").is_file(), "git made a shallow clone");
    let commit = world.git(&clone, &["rev-parse", "HEAD"]).trim().to_owned();
    let prepared = in_pipeline(&world, &clone, &["prepare", "qa"], &commit, "environment/qa");
    prepared.expect_status(0).expect_stdout("tag=v1.0.0-rc.1\n");
    let recorded = in_pipeline(&world, &clone, &["record", "qa"], &commit, "environment/qa");
    let tag = value(&recorded.expect_status(0).stdout, "record_tag").to_owned();
    let app_head = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    assert_eq!(world.git(&repos.app_remote, &["rev-parse", &format!("{tag}^{{commit}}")]).trim(), app_head);
}
