//! `prepare` and `record` given bad input, a remote that refuses or is gone, and runs cut short:
//! each refuses clearly with its exit status and loses nothing, and a rerun converges.

use std::path::{Path, PathBuf};

use crate::deploy::{TwoRepos, path, tags};
use crate::harness::World;

/// The bare cache of the application repository inside the release repository's git directory.
fn cache(release: &Path) -> PathBuf {
    let apps = release.join(".git/release/apps");
    let mut entries = std::fs::read_dir(&apps).expect("the cache folder exists").map(|e| e.expect("entry").path());
    let cache = entries.next().expect("one cache");
    assert!(entries.next().is_none(), "one application, one cache");
    cache
}

fn with_qa_at_1_0_0(world: &World) -> TwoRepos {
    let repos = TwoRepos::new(world);
    world.release(&repos.release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    repos
}

#[test]
fn an_unknown_environment_is_a_usage_error_that_lists_the_valid_ones() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    for command in ["prepare", "record", "log"] {
        let transcript = world.release(&repos.release, &[command, "staging"]);
        transcript
            .expect_status(2)
            .expect_stderr("error: no environment is named `staging`")
            .expect_stderr("hint: environments: dev, qa, prod");
    }
}

#[test]
fn wip_cannot_cut_a_candidate() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.git(release, &["checkout", "-q", "environment/qa"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("release file");
    std::fs::write(release.join("release.toml"), file.replace("version = \"0.1.0\"", "version = \"WIP\""))
        .expect("release file written");
    world.git(release, &["commit", "-q", "-am", "Hand-edited"]);
    world.git(release, &["push", "-q", "origin", "environment/qa"]);
    let transcript = world.release(release, &["prepare", "qa"]);
    transcript.expect_status(2).expect_stderr("needs a version such as 1.4.0 or 2026.11, not `WIP`");
    assert!(tags(&world, &repos.app_remote).is_empty());
}

#[test]
fn a_final_without_a_candidate_is_refused() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    world.release(&repos.release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    let transcript = world.release(&repos.release, &["prepare", "prod"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(1);
    assert!(tags(&world, &repos.app_remote).is_empty());
}

#[test]
fn a_released_version_cuts_no_more_candidates() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let release = &repos.release;
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "prod"]).expect_status(0);
    repos.app_commit(&world, "After the release");
    let before = tags(&world, &repos.app_remote);
    let transcript = world.release(release, &["prepare", "qa"]);
    transcript
        .expect_status(1)
        .expect_stderr("error: version 1.0.0 is released already: v1.0.0 is on")
        .expect_stderr("hint: bump the version");
    assert_eq!(tags(&world, &repos.app_remote), before);
}

#[test]
fn an_unreachable_application_repository_is_named_without_its_credentials() {
    let world = World::new();
    let release = world.empty_repo("release", false);
    world.release(&release, &["init", "--offline", "--app", "http://127.0.0.1:9/shop/app.git"]).expect_status(0);
    world.git(&release, &["remote", "add", "origin", path(&world.empty_repo("release.git", true))]);
    let transcript = world.release(&release, &["prepare", "dev"]);
    transcript.expect_status(128).expect_stderr("http://127.0.0.1:9/shop/app.git");

    let clone = world.empty_repo("app-clone", false);
    world.git(&clone, &["remote", "add", "origin", "http://deployer:s3cret-token@127.0.0.1:9/shop/app.git"]);
    let transcript = world.release(&release, &["prepare", "dev", "-v", "--app-dir", path(&clone)]);
    transcript.expect_status(128).expect_stderr("http://***@127.0.0.1:9/shop/app.git");
    assert!(!transcript.to_string().contains("s3cret"), "{transcript}");
}

#[test]
fn an_unknown_commit_is_a_usage_error() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    for rev in ["no-such-branch", "0123456789012345678901234567890123456789"] {
        world
            .release(&repos.release, &["record", "qa", "--commit", rev])
            .expect_status(2)
            .expect_stderr(&format!("`{rev}` is not a commit of the application repository"));
    }
    assert!(tags(&world, &repos.app_remote).is_empty());
}

#[test]
fn a_record_name_held_by_another_commit_is_never_overwritten() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let first = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    world.git(&repos.app, &["tag", "-a", "-m", "made by hand", "1.0.0.20261121T101500Z.qa", &first]);
    world.git(&repos.app, &["push", "-q", "origin", "1.0.0.20261121T101500Z.qa"]);
    let second = repos.app_commit(&world, "Second");
    world.release(&repos.release, &["prepare", "qa"]).expect_status(0).expect_stdout("tag=v1.0.0-rc.1\n");
    let recorded = world.release(&repos.release, &["record", "qa", "--commit", &second]);
    recorded.expect_status(0).expect_stdout("record_tag=1.0.0.20261121T101500Z.qa+2\n");
    let on_remote = tags(&world, &repos.app_remote);
    assert!(on_remote.contains(&format!("tag 1.0.0.20261121T101500Z.qa {first}")), "{on_remote:?}");
    assert!(on_remote.contains(&format!("tag 1.0.0.20261121T101500Z.qa+2 {second}")), "{on_remote:?}");
}

#[test]
fn a_tag_left_unpushed_is_pushed_by_the_next_run() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let release = &repos.release;
    world.release(release, &["prepare", "qa", "--no-push"]).expect_status(0).expect_stdout("tag=v1.0.0-rc.1\n");
    world.release(release, &["record", "qa", "--no-push"]).expect_status(0);
    assert!(tags(&world, &repos.app_remote).is_empty(), "--no-push pushes nothing");
    let local = tags(&world, &cache(release));
    assert_eq!(local.len(), 2, "{local:?}");
    world.release(release, &["log"]).expect_status(0);
    assert_eq!(tags(&world, &cache(release)), local, "a fetch keeps what was made here and not pushed yet");

    world.release(release, &["prepare", "qa"]).expect_status(0).expect_stdout("tag=v1.0.0-rc.1\n");
    world.release(release, &["record", "qa"]).expect_status(0).expect_stderr("already recorded as");
    assert_eq!(tags(&world, &repos.app_remote), local, "the same tags, now on the remote");
    let marks = world.git(&cache(release), &["for-each-ref", "refs/release/unpushed/"]);
    assert_eq!(marks, "", "pushed tags keep no mark of having been kept here only");
    let object = |repo: &Path| world.git(repo, &["rev-parse", "refs/tags/v1.0.0-rc.1"]);
    assert_eq!(object(&repos.app_remote), object(&cache(release)), "the very tag object was pushed");
}

#[test]
fn a_run_cut_short_after_its_push_is_finished_by_the_next() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let release = &repos.release;
    world.release(release, &["prepare", "qa"]).expect_status(0);
    // As if killed between the push and the local reference: the remote has it, the cache not.
    world.git(&cache(release), &["tag", "-d", "v1.0.0-rc.1"]);
    let again = world.release(release, &["prepare", "qa"]);
    again.expect_status(0).expect_stdout("tag=v1.0.0-rc.1\n").expect_stderr("reusing v1.0.0-rc.1");
    assert_eq!(tags(&world, &repos.app_remote).len(), 1, "no second candidate");
}

#[test]
fn a_lock_a_stopped_push_left_on_the_remote_is_named_after_a_few_looks() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let lock = repos.app_remote.join("refs/tags/v1.0.0-rc.1.lock");
    std::fs::create_dir_all(lock.parent().expect("a folder")).expect("tags folder");
    std::fs::write(&lock, "").expect("lock written");
    let transcript = world.release(&repos.release, &["prepare", "qa"]);
    transcript
        .expect_status(128)
        .expect_stderr("cannot take the push: a lock file stands in the way")
        .expect_stderr("if none runs there, remove ");
    let stderr = &transcript.stderr;
    assert!(stderr.contains("v1.0.0-rc.1.lock and run this command again"), "{stderr}");
    assert_eq!(stderr.matches("looking again").count(), 2, "three looks, then the lock is named: {stderr}");
    assert!(tags(&world, &repos.app_remote).is_empty(), "nothing was pushed");
    assert!(tags(&world, &cache(&repos.release)).is_empty(), "no local tag for a push that failed");

    std::fs::remove_file(&lock).expect("lock removed as the hint says");
    world.release(&repos.release, &["prepare", "qa"]).expect_status(0).expect_stdout("tag=v1.0.0-rc.1\n");
}

#[test]
fn a_push_the_remote_declines_changes_nothing_here() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let hook = repos.app_remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'tags are frozen today' >&2\nexit 1\n").expect("hook written");
    make_executable(&hook);
    let transcript = world.release(&repos.release, &["prepare", "qa"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(1);
    assert!(tags(&world, &cache(&repos.release)).is_empty(), "no local tag for a push that failed");
    assert!(tags(&world, &repos.app_remote).is_empty());
}

#[test]
fn dry_run_shows_the_plan_and_changes_nothing() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let transcript = world.release(&repos.release, &["prepare", "qa", "--dry-run"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(0);
    // Nothing was prepared: qa ran no 1.0.0 on main, as the real run would say too.
    let refused = world.release(&repos.release, &["record", "qa", "--dry-run", "--json", "--commit", "main"]);
    refused.expect_status(1).expect_stderr("no tag of 1.0.0 stands on");
    // dev cuts no tags: the dry run names the commit it would record.
    let recorded = world.release(&repos.release, &["record", "dev", "--dry-run", "--json", "--commit", "main"]);
    recorded.expect_status(0);
    assert_eq!(recorded.json()["dry_run"], true);
    assert!(tags(&world, &cache(&repos.release)).is_empty());
    assert!(tags(&world, &repos.app_remote).is_empty());
}

#[test]
fn a_time_that_is_not_rfc3339_is_a_usage_error() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    world
        .release(&repos.release, &["record", "qa", "--at", "yesterday"])
        .expect_status(2)
        .expect_stderr("error: --at `yesterday` is not a time");
}

#[test]
fn credentials_in_a_pipeline_url_never_reach_the_record() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let url = "https://bot:ci-secret@ci.example.com/runs/9";
    world.release(&repos.release, &["prepare", "qa"]).expect_status(0);
    let recorded = world.release(&repos.release, &["record", "qa", "--pipeline-url", url, "--json"]);
    recorded.expect_status(0);
    assert!(!recorded.stdout.contains("ci-secret") && !recorded.stderr.contains("ci-secret"), "{recorded}");
    let tag = recorded.json()["tag"].as_str().expect("a tag").to_owned();
    let message = world.git(&repos.app_remote, &["tag", "-l", "--format=%(contents)", &tag]);
    assert!(message.contains("Pipeline: https://***@ci.example.com/runs/9\n"), "{message}");
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("hook made executable");
}

#[test]
fn a_local_tag_that_differs_from_the_remotes_is_refused_and_kept() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let release = &repos.release;
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let cache = cache(release);
    let remote = world.git(&cache, &["rev-parse", "refs/tags/v1.0.0-rc.1"]);
    world.git(&cache, &["tag", "-f", "-a", "-m", "made here", "v1.0.0-rc.1", "refs/remotes/origin/main"]);
    let mine_again = world.git(&cache, &["rev-parse", "refs/tags/v1.0.0-rc.1"]);
    assert_ne!(remote, mine_again);
    let refused = world.release(release, &["record", "qa"]);
    refused
        .expect_status(1)
        .expect_stderr("error: tag v1.0.0-rc.1 here differs from the one on ")
        .expect_stderr("hint: if the local one is not wanted, remove it with 'git tag -d v1.0.0-rc.1'");
    assert_eq!(world.git(&cache, &["rev-parse", "refs/tags/v1.0.0-rc.1"]), mine_again, "the local tag is kept");
}

#[test]
fn a_tag_deleted_on_the_remote_is_dropped_from_the_cache_and_counts_no_more() {
    let world = World::new();
    let repos = with_qa_at_1_0_0(&world);
    let release = &repos.release;
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    world.release(release, &["gate", "--target", "prod"]).expect_status(0);
    // The application's admins delete qa's record, say as forged: every cache follows.
    let record = world.git(&repos.app_remote, &["tag", "-l", "*.qa"]).trim().to_owned();
    world.git(&repos.app_remote, &["tag", "-d", &record]);
    world.release(release, &["gate", "--target", "prod"]).expect_status(1).expect_stdout("qa has not deployed");
    assert!(!tags(&world, &cache(release)).iter().any(|t| t.contains(&record)), "the cache dropped it");
    assert!(tags(&world, &cache(release)).iter().any(|t| t.contains("v1.0.0-rc.1")), "and kept the rest");
}
