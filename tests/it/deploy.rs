//! `prepare`, `record`, `log` and the deployed column of `status`, against real repositories and
//! real pushes to bare remotes.

use std::path::{Path, PathBuf};

use crate::harness::{NOON, World};

/// The two-repository layout: an application repository and a release repository, each with a
/// bare remote; the environment branches are published.
pub struct TwoRepos {
    pub app_remote: PathBuf,
    pub app: PathBuf,
    pub release: PathBuf,
    pub release_remote: PathBuf,
}

impl TwoRepos {
    pub fn new(world: &World) -> TwoRepos {
        let app_remote = world.empty_repo("app.git", true);
        let app = world.path("app");
        world.git(&world.path(""), &["clone", "-q", path(&app_remote), path(&app)]);
        world.git(&app, &["commit", "-q", "--allow-empty", "-m", "First feature"]);
        world.git(&app, &["push", "-q", "origin", "main"]);
        let release_remote = world.empty_repo("release.git", true);
        let release = world.empty_repo("release", false);
        world.git(&release, &["remote", "add", "origin", path(&release_remote)]);
        world.release(&release, &["init", "--app", path(&app_remote)]).expect_status(0);
        world.git(&release, &["push", "-q", "origin", "refs/heads/environment/*:refs/heads/environment/*"]);
        TwoRepos { app_remote, app, release, release_remote }
    }

    /// Commits to the application's main branch and pushes it; returns the new commit.
    pub fn app_commit(&self, world: &World, message: &str) -> String {
        world.git(&self.app, &["commit", "-q", "--allow-empty", "-m", message]);
        world.git(&self.app, &["push", "-q", "origin", "main"]);
        world.git(&self.app, &["rev-parse", "HEAD"]).trim().to_owned()
    }
}

pub fn path(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// `<type> <name> <commit>` for every tag of a repository, as plain git sees them.
pub fn tags(world: &World, repo: &Path) -> Vec<String> {
    let listing = world.git(
        repo,
        &["for-each-ref", "refs/tags", "--format=%(objecttype) %(refname:short) %(*objectname)%(if:equals=commit)%(objecttype)%(then)%(objectname)%(end)"],
    );
    listing.lines().map(str::to_owned).collect()
}

pub fn value<'a>(stdout: &'a str, key: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= line in:\n{stdout}"))
}

#[test]
fn two_repository_release_cuts_candidates_a_final_and_records_every_deployment() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let first = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    let release = &repos.release;

    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let prepared = world.release(release, &["prepare", "qa"]);
    insta::assert_snapshot!(prepared.to_string());
    prepared.expect_status(0);
    world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:20:00Z"], NOON).expect_status(0);

    let second = repos.app_commit(&world, "Second feature");
    let prepared = world.release(release, &["prepare", "qa"]);
    prepared.expect_status(0);
    assert_eq!(value(&prepared.stdout, "tag"), "v1.0.0-rc.2");
    assert_eq!(value(&prepared.stdout, "commit"), second);
    world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:30:00Z"], NOON).expect_status(0);

    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    let prepared = world.release_at(release, &["prepare", "prod", "--json"], NOON);
    prepared.expect_status(0);
    let json = prepared.json();
    assert_eq!(json["tag"], "v1.0.0");
    assert_eq!(json["commit"], second.as_str());
    assert_eq!(json["created"], true);
    world.release_at(release, &["record", "prod", "--at", "2026-11-21T10:40:00Z"], NOON).expect_status(0);

    let mut expected = vec![
        format!("tag 1.0.0.20261121T102000Z.qa {first}"),
        format!("tag 1.0.0.20261121T103000Z.qa {second}"),
        format!("tag 1.0.0.20261121T104000Z.prod {second}"),
        format!("tag v1.0.0 {second}"),
        format!("tag v1.0.0-rc.1 {first}"),
        format!("tag v1.0.0-rc.2 {second}"),
    ];
    expected.sort();
    let mut on_remote = tags(&world, &repos.app_remote);
    on_remote.sort();
    assert_eq!(on_remote, expected, "every tag annotated, on the right commit, on the remote");

    let status = world.release_at(release, &["status", "--json"], NOON);
    let environments = status.json()["environments"].clone();
    assert_eq!(environments[1]["deployed"]["tag"], "1.0.0.20261121T103000Z.qa");
    assert_eq!(environments[2]["deployed"]["commit"], second.as_str());
    assert_eq!(environments[2]["deployed"]["time"], "2026-11-21T10:40:00Z");
    assert!(environments[0]["deployed"].is_null());

    let log = world.release_at(release, &["log"], NOON);
    insta::assert_snapshot!(log.to_string());
}

#[test]
fn a_record_carries_its_facts_as_trailers_and_reads_ci_variables() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.example.com"),
        ("GITHUB_REPOSITORY", "shop/release"),
        ("GITHUB_RUN_ID", "4242"),
        ("GITHUB_ACTOR", "octo-deployer"),
    ];
    let recorded = world.release_with(release, &["record", "qa", "--json"], &github);
    recorded.expect_status(0);
    let json = recorded.json();
    assert_eq!(json["pipeline"], "https://github.example.com/shop/release/actions/runs/4242");
    let tag = json["tag"].as_str().expect("a tag name");
    let message = world.git(&repos.app_remote, &["tag", "-l", "--format=%(contents)", tag]);
    let release_commit = world.git(release, &["rev-parse", "environment/qa"]);
    let app_commit = world.git(&repos.app, &["rev-parse", "HEAD"]);
    let expected = format!(
        "Deploy 1.0.0 to qa\n\nEnvironment: qa\nVersion: 1.0.0\nCommit: {}\nRelease-Commit: {}\nTag: v1.0.0-rc.1\n\
         Branch: main\nPipeline: https://github.example.com/shop/release/actions/runs/4242\n\
         Deployed-By: octo-deployer\nDeployed-At: 2026-11-21T10:15:00Z\n\n",
        app_commit.trim(),
        release_commit.trim()
    );
    assert_eq!(message, expected);
}

#[test]
fn recording_the_same_deployment_again_changes_nothing() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let args = ["record", "qa", "--pipeline-url", "https://ci.example.com/runs/7", "--json"];
    let first = world.release(release, &args);
    first.expect_status(0);
    assert_eq!(first.json()["created"], true);
    let before = tags(&world, &repos.app_remote);
    let again = world.release(release, &args);
    again.expect_status(0).expect_stderr("already recorded as");
    assert_eq!(again.json()["created"], false);
    assert_eq!(again.json()["tag"], first.json()["tag"]);
    assert_eq!(tags(&world, &repos.app_remote), before, "no second record");

    let other_pipeline = world.release(release, &["record", "qa", "--pipeline-url", "https://ci.example.com/runs/8"]);
    other_pipeline.expect_status(0);
    assert_eq!(tags(&world, &repos.app_remote).len(), before.len() + 1, "another pipeline is another deployment");
}

#[test]
fn deployments_in_one_second_are_all_recorded_in_order() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "dev", "1.0.0", "--push"]).expect_status(0);
    let mut commits = Vec::new();
    for n in 1..=3 {
        let commit = repos.app_commit(&world, &format!("Change {n}"));
        world.release(release, &["record", "dev", "--commit", &commit]).expect_status(0);
        commits.push(commit);
    }
    let log = world.release(release, &["log", "dev", "--json"]);
    let records = log.json()["records"].as_array().expect("records").clone();
    let seen: Vec<(&str, &str)> =
        records.iter().map(|r| (r["tag"].as_str().expect("tag"), r["commit"].as_str().expect("commit"))).collect();
    assert_eq!(
        seen,
        [
            ("1.0.0.20261121T101500Z.dev+3", commits[2].as_str()),
            ("1.0.0.20261121T101500Z.dev+2", commits[1].as_str()),
            ("1.0.0.20261121T101500Z.dev", commits[0].as_str()),
        ]
    );
}

#[test]
fn status_shows_the_latest_deployment_by_its_time_not_by_name() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "dev", "2.0.0", "--push"]).expect_status(0);
    let newer = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    world.release_at(release, &["record", "dev", "--at", "2026-11-21T12:00:00+01:00"], NOON).expect_status(0);
    world.release(release, &["set", "dev", "10.0.0", "--push"]).expect_status(0);
    let older = repos.app_commit(&world, "Backfilled");
    world
        .release_at(release, &["record", "dev", "--commit", &older, "--at", "2026-11-21T09:00:00Z"], NOON)
        .expect_status(0);

    let status = world.release_at(release, &["status", "--json"], NOON);
    let deployed = &status.json()["environments"][0]["deployed"];
    assert_eq!(deployed["commit"], newer.as_str(), "11:00 UTC is later than 09:00 UTC");
    assert_eq!(deployed["time"], "2026-11-21T11:00:00Z");
    assert_eq!(deployed["version"], "2.0.0");
    let log = world.release_at(release, &["log", "-n", "1"], NOON);
    log.expect_status(0).expect_stdout("2.0.0.20261121T110000Z.dev");
    assert!(!log.stdout.contains("10.0.0"), "-n 1 shows one record:\n{log}");
}

#[test]
fn a_wip_environment_records_the_branch_it_deployed() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    world.git(&repos.app, &["checkout", "-q", "-b", "feature/x"]);
    world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", "Try something"]);
    world.git(&repos.app, &["push", "-q", "origin", "feature/x"]);
    let feature = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();

    let prepared = world.release(&repos.release, &["prepare", "dev"]);
    prepared.expect_status(0);
    assert_eq!(value(&prepared.stdout, "tag"), "", "WIP cuts no tag");
    assert_eq!(value(&prepared.stdout, "version"), "WIP");

    let recorded = world.release(&repos.release, &["record", "dev", "--branch", "feature/x", "--json"]);
    recorded.expect_status(0);
    assert_eq!(recorded.json()["tag"], "20261121T101500Z_dev_feature-x");
    assert_eq!(recorded.json()["commit"], feature.as_str());
}

#[test]
fn eight_concurrent_prepares_cut_eight_distinct_candidates() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    world.release(&repos.release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let mut pipelines = Vec::new();
    for n in 0..8 {
        let branch = format!("pipeline-{n}");
        world.git(&repos.app, &["checkout", "-q", "-b", &branch, "main"]);
        world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", &format!("Change {n}")]);
        world.git(&repos.app, &["push", "-q", "origin", &branch]);
        let commit = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
        let clone = world.path(&format!("release-{n}"));
        world.git(&world.path(""), &["clone", "-q", "-b", "environment/qa", path(&repos.release_remote), path(&clone)]);
        let file = std::fs::read_to_string(clone.join("release.toml")).expect("release file");
        let file = file.replace("[app]\n", &format!("[app]\nbranch = \"{branch}\"\n"));
        assert!(file.contains(&branch), "the template has an [app] table:\n{file}");
        std::fs::write(clone.join("release.toml"), file).expect("release file written");
        world.git(&clone, &["commit", "-q", "-am", "Track this pipeline's branch"]);
        pipelines.push((clone, commit));
    }
    let children: Vec<_> =
        pipelines.iter().map(|(clone, _)| world.release_command(clone, &["prepare", "qa"]).output_async()).collect();
    let mut cut = Vec::new();
    for ((_, commit), child) in pipelines.iter().zip(children) {
        let output = child.wait_with_output().expect("prepare finishes");
        let transcript = world.transcript(&["prepare", "qa"], &output);
        transcript.expect_status(0);
        assert_eq!(value(&transcript.stdout, "commit"), commit);
        cut.push((value(&transcript.stdout, "tag").to_owned(), commit.clone()));
    }
    let mut names: Vec<&str> = cut.iter().map(|(tag, _)| tag.as_str()).collect();
    names.sort_by_key(|name| name.rsplit('.').next().and_then(|n| n.parse::<u32>().ok()));
    let expected: Vec<String> = (1..=8).map(|n| format!("v1.0.0-rc.{n}")).collect();
    assert_eq!(names, expected, "eight distinct numbers, none skipped");
    let on_remote = tags(&world, &repos.app_remote);
    for (tag, commit) in &cut {
        assert!(on_remote.contains(&format!("tag {tag} {commit}")), "{tag} on {commit}: {on_remote:?}");
    }
    assert_eq!(on_remote.len(), 8, "nothing else was tagged");
}

trait Spawn {
    fn output_async(&mut self) -> std::process::Child;
}

impl Spawn for std::process::Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().expect("spawns")
    }
}

const ONE_REPO_FILE: &str = r#"version = "1.2.0"

[app]
repo = "."

[[environments]]
name = "dev"
branch = "dev"

[[environments]]
name = "qa"
branch = "qa"
cut = "rc"

[[environments]]
name = "stage"
branch = "stage"
cut = "rc"
after = "qa"

[[environments]]
name = "prod"
branch = "main"
cut = "final"
after = "stage"
"#;

/// The one-repository layout: the code and its environment branches `dev`, `qa`, `stage` and
/// `main`, published to a bare remote.
pub fn one_repo(world: &World) -> (PathBuf, PathBuf) {
    let remote = world.empty_repo("shop.git", true);
    let repo = world.repo("shop");
    world.git(&repo, &["remote", "add", "origin", path(&remote)]);
    world.commit_release_file(&repo, "main", ONE_REPO_FILE.as_bytes());
    for branch in ["qa", "stage"] {
        world.git(&repo, &["branch", branch, "main"]);
    }
    world.commit_release_file(&repo, "dev", ONE_REPO_FILE.replace("1.2.0", "WIP").as_bytes());
    world.git(&repo, &["push", "-q", "origin", "main", "qa", "stage", "dev"]);
    (repo, remote)
}

#[test]
fn one_repository_layout_records_on_the_environment_heads() {
    let world = World::new();
    let (repo, remote) = one_repo(&world);
    world.git(&repo, &["checkout", "-q", "qa"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Ready for qa"]);
    world.git(&repo, &["push", "-q", "origin", "qa"]);
    let qa = world.git(&repo, &["rev-parse", "qa"]).trim().to_owned();

    let prepared = world.release(&repo, &["prepare", "qa", "--json"]);
    prepared.expect_status(0);
    assert_eq!(prepared.json()["commit"], qa.as_str());
    assert_eq!(prepared.json()["app"], ".");
    world.release(&repo, &["record", "qa"]).expect_status(0).expect_stdout("tag=1.2.0.20261121T101500Z.qa\n");

    world.git(&repo, &["checkout", "-q", "-b", "feature/x", "dev"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Try it on dev"]);
    world.git(&repo, &["push", "-q", "origin", "feature/x"]);
    let feature = world.git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    world.release(&repo, &["record", "dev", "--commit", "feature/x"]).expect_status(0);

    // Stage runs what qa ran (the rc it takes is qa's), then prod releases it.
    world.git(&repo, &["push", "-q", "origin", "qa:stage", "qa:main"]);
    world.git(&repo, &["fetch", "-q", "origin"]);
    world.git(&repo, &["branch", "-f", "stage", "origin/stage"]);
    world.git(&repo, &["branch", "-f", "main", "origin/main"]);
    world.release(&repo, &["prepare", "stage"]).expect_status(0).expect_stdout("tag=v1.2.0-rc.1\n");
    world.release(&repo, &["record", "stage"]).expect_status(0);
    world.release(&repo, &["prepare", "prod"]).expect_status(0).expect_stdout("tag=v1.2.0\n");
    world.release(&repo, &["record", "prod"]).expect_status(0);

    let mut expected = vec![
        format!("tag 1.2.0.20261121T101500Z.prod {qa}"),
        format!("tag 1.2.0.20261121T101500Z.qa {qa}"),
        format!("tag 1.2.0.20261121T101500Z.stage {qa}"),
        format!("tag 20261121T101500Z_dev_feature-x {feature}"),
        format!("tag v1.2.0 {qa}"),
        format!("tag v1.2.0-rc.1 {qa}"),
    ];
    expected.sort();
    let mut on_remote = tags(&world, &remote);
    on_remote.sort();
    assert_eq!(on_remote, expected);
}

#[test]
fn a_pinned_version_deploys_its_pull_request_branch_or_commit_and_cuts_nothing() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.git(&repos.app, &["checkout", "-q", "-b", "feature-x"]);
    world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", "Proposed change"]);
    let proposed = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    world.git(&repos.app, &["push", "-q", "origin", "HEAD:refs/pull/42/head", "feature-x"]);

    let pull = format!("file://{}/pull/42", path(&repos.app_remote));
    world.release(release, &["set", "qa", &pull, "--push"]).expect_status(0);
    let prepared = world.release(release, &["prepare", "qa", "--json"]);
    prepared.expect_status(0);
    assert_eq!(prepared.json()["commit"], proposed.as_str());
    assert!(prepared.json()["tag"].is_null(), "a pin cuts no tag:\n{prepared}");
    let recorded = world.release(release, &["record", "qa", "--json"]);
    recorded.expect_status(0);
    let tag = recorded.json()["tag"].as_str().expect("a record").to_owned();
    assert!(tag.ends_with("-app.git-pull-42.20261121T101500Z.qa"), "{tag}");
    let message = world.git(&repos.app_remote, &["tag", "-l", "--format=%(contents)", &tag]);
    assert!(message.contains(&format!("Version: {pull}\n")), "{message}");
    assert_eq!(tags(&world, &repos.app_remote).len(), 1, "no rc or final tag, one record");

    let owner = repos.app_remote.parent().and_then(Path::file_name).and_then(|n| n.to_str()).expect("a folder name");
    world.release(release, &["set", "qa", &format!("{owner}/app#feature-x"), "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0).expect_stdout(&format!("commit={proposed}\n"));
    let first = world.git(&repos.app, &["rev-parse", "main"]).trim().to_owned();
    world.release(release, &["set", "qa", &format!("{owner}/app@{first}"), "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0).expect_stdout(&format!("commit={first}\n"));
}

#[test]
fn a_pin_that_cannot_be_resolved_is_refused_with_what_to_do() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    let owner = repos.app_remote.parent().and_then(Path::file_name).and_then(|n| n.to_str()).expect("a folder name");
    world.release(release, &["set", "qa", &format!("{owner}/app#pull/7"), "--push"]).expect_status(0);
    world
        .release(release, &["prepare", "qa"])
        .expect_status(2)
        .expect_stderr("cannot tell which forge holds the pull request")
        .expect_stderr("[forge] kind");
    world.release(release, &["set", "qa", "someone/else#main", "--push"]).expect_status(0);
    world
        .release(release, &["prepare", "qa"])
        .expect_status(2)
        .expect_stderr("which is not the application repository");
    let missing = format!("file://{}/pull/99", path(&repos.app_remote));
    world.release(release, &["set", "qa", &missing, "--push"]).expect_status(0);
    world
        .release(release, &["prepare", "qa"])
        .expect_status(1)
        .expect_stderr("points at refs/pull/99/head, which the application repository does not have");
    assert!(tags(&world, &repos.app_remote).is_empty());
}
