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
        TwoRepos::with_environments(world, &[])
    }

    /// As [`TwoRepos::new`], with `init --env` for each of `environments` (none: the defaults).
    pub fn with_environments(world: &World, environments: &[&str]) -> TwoRepos {
        let app_remote = world.empty_repo("app.git", true);
        let app = world.path("app");
        world.git(&world.path(""), &["clone", "-q", path(&app_remote), path(&app)]);
        world.git(&app, &["commit", "-q", "--allow-empty", "-m", "First feature"]);
        world.git(&app, &["push", "-q", "origin", "main"]);
        let release_remote = world.empty_repo("release.git", true);
        let release = world.empty_repo("release", false);
        world.git(&release, &["remote", "add", "origin", path(&release_remote)]);
        let mut init = vec!["init", "--app", path(&app_remote)];
        for environment in environments {
            init.extend(["--env", environment]);
        }
        world.release(&release, &init).expect_status(0);
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

    // Found by an independent pass: the hand-off this checkout recorded was recorded again for
    // every other pipeline address, and without one. A hand-off is recorded once.
    for pipeline in [Some("https://ci.example.com/runs/8"), None] {
        let mut args = vec!["record", "qa"];
        args.extend(pipeline.map(|url| ["--pipeline-url", url]).into_iter().flatten());
        world.release(release, &args).expect_status(0).expect_stderr("already recorded as");
        assert_eq!(tags(&world, &repos.app_remote), before, "the hand-off was recorded: {args:?}");
    }
    // Without the hand-off, another pipeline's deployment of the commit is another deployment.
    let commit = first.json()["commit"].as_str().expect("the commit").to_owned();
    let other_pipeline = world
        .release(release, &["record", "qa", "--commit", &commit, "--pipeline-url", "https://ci.example.com/runs/8"]);
    other_pipeline.expect_status(0);
    assert_eq!(tags(&world, &repos.app_remote).len(), before.len() + 1, "another pipeline is another deployment");
    // Without a pipeline, the latest record of that commit and version is this deployment.
    let bare = world.release(release, &["record", "qa", "--commit", &commit]);
    bare.expect_status(0).expect_stderr("already recorded as");
    assert_eq!(tags(&world, &repos.app_remote).len(), before.len() + 1, "recording again without a pipeline");
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
    world
        .release_at(release, &["record", "dev", "--commit", &newer, "--at", "2026-11-21T12:00:00+01:00"], NOON)
        .expect_status(0);
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
    // Eight pushes to qa in a row, each tracking its own application branch, start eight
    // pipelines; each checks out its own commit of qa while the branch moves on.
    let writer = world.path("writer");
    world.git(&world.path(""), &["clone", "-q", "-b", "environment/qa", path(&repos.release_remote), path(&writer)]);
    let mut pipelines = Vec::new();
    for n in 0..8 {
        let branch = format!("pipeline-{n}");
        world.git(&repos.app, &["checkout", "-q", "-b", &branch, "main"]);
        world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", &format!("Change {n}")]);
        world.git(&repos.app, &["push", "-q", "origin", &branch]);
        let commit = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
        let file = std::fs::read_to_string(writer.join("release.toml")).expect("release file");
        let file = match file.split_once("\nbranch = \"pipeline-") {
            Some((before, after)) => {
                format!("{before}\nbranch = \"{branch}{}", &after[after.find('"').expect("quoted")..])
            }
            None => file.replace("[app]\n", &format!("[app]\nbranch = \"{branch}\"\n")),
        };
        assert!(file.contains(&format!("branch = \"{branch}\"")), "the template has an [app] table:\n{file}");
        std::fs::write(writer.join("release.toml"), file).expect("release file written");
        world.git(&writer, &["commit", "-q", "-am", "Track this pipeline's branch"]);
        world.git(&writer, &["push", "-q", "origin", "environment/qa"]);
        let checked_out = world.git(&writer, &["rev-parse", "HEAD"]).trim().to_owned();
        let clone = world.path(&format!("release-{n}"));
        world.git(&world.path(""), &["clone", "-q", "-b", "environment/qa", path(&repos.release_remote), path(&clone)]);
        world.git(&clone, &["checkout", "-q", "-B", "environment/qa", &checked_out]);
        pipelines.push((clone, commit, checked_out));
    }
    let children: Vec<_> = pipelines
        .iter()
        .map(|(clone, _, checked_out)| {
            let mut command = world.release_command(clone, &["prepare", "qa"]);
            command.envs([
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_SHA", checked_out.as_str()),
                ("GITHUB_REF", "refs/heads/environment/qa"),
            ]);
            command.output_async()
        })
        .collect();
    let mut cut = Vec::new();
    for ((_, commit, _), child) in pipelines.iter().zip(children) {
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
    world.release(&repo, &["record", "qa"]).expect_status(0).expect_stdout("record_tag=1.2.0.20261121T101500Z.qa\n");

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

/// A commit lands on the application's main branch between `prepare` and `record` (another
/// team merged while qa's deployment ran). What is recorded is what `prepare` deployed, for a
/// candidate cut from main and for dev's WIP deployment of main's head alike; the new commit
/// was never deployed and gets no record.
#[test]
fn a_commit_pushed_between_prepare_and_record_changes_nothing_about_what_is_recorded() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    for environment in ["qa", "dev"] {
        let deployed = repos.app_commit(&world, &format!("What {environment} deploys"));
        let prepared = world.release(release, &["prepare", environment]);
        assert_eq!(value(&prepared.expect_status(0).stdout, "commit"), deployed);
        let landed = repos.app_commit(&world, "Merged while the deployment ran");
        let recorded = world.release(release, &["record", environment]);
        assert_eq!(value(&recorded.expect_status(0).stdout, "commit"), deployed, "{environment}: {recorded}");
        let tag = value(&recorded.stdout, "record_tag").to_owned();
        // Plain git agrees: the record is on the deployed commit, and nothing is on the new one.
        assert_eq!(world.git(&repos.app_remote, &["rev-parse", &format!("{tag}^{{commit}}")]).trim(), deployed);
        let on_landed = world.git(&repos.app_remote, &["tag", "--points-at", &landed]);
        assert!(on_landed.trim().is_empty(), "{environment}: nothing marks {landed}: {on_landed}");
    }
}

/// Without a hand-off from `prepare` and without `--commit`, `record` records only what a
/// version tag shows was prepared; it refuses to guess from a branch that may have moved, and
/// says how to name the commit.
#[test]
fn record_without_prepare_or_commit_refuses_to_guess_from_a_moving_branch() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world
        .release(release, &["record", "qa"])
        .expect_status(1)
        .expect_stderr("error: v1.0.0-rc.1 does not exist, so qa has not deployed it")
        .expect_stderr("name what was deployed with --commit");
    world
        .release(release, &["record", "dev"])
        .expect_status(1)
        .expect_stderr("error: record cannot tell what dev deployed")
        .expect_stderr("hint: name the deployed commit: git release record dev --commit <the commit prepare printed>");
    assert!(tags(&world, &repos.app_remote).is_empty(), "nothing was recorded");
    let head = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    let named = world.release(release, &["record", "dev", "--commit", &head]);
    assert_eq!(value(&named.expect_status(0).stdout, "commit"), head);
}

/// `set qa 1.0.1` whose candidate lands on the commit 1.0.0 ran: a new version on the same
/// commit is a new deployment, recorded with its own version.
#[test]
fn a_new_version_on_the_commit_an_older_one_ran_is_recorded_anew() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:20:00Z"], NOON).expect_status(0);
    world.release(release, &["set", "qa", "1.0.1", "--push"]).expect_status(0);
    assert_eq!(value(&world.release(release, &["prepare", "qa"]).expect_status(0).stdout, "tag"), "v1.0.1-rc.1");
    let recorded = world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:30:00Z"], NOON);
    recorded.expect_status(0).expect_stderr("recorded 1.0.1.");
    assert_eq!(value(&recorded.stdout, "version"), "1.0.1");
    let log = world.release_at(release, &["log", "qa"], NOON);
    assert!(log.expect_status(0).stdout.contains("1.0.1"), "{log}");
    let status = world.release_at(release, &["status", "--json"], NOON);
    assert_eq!(status.expect_status(0).json()["environments"][1]["deployed"]["version"], "1.0.1");
}

/// A checkout that recorded its deployment and runs `record` again later, after another
/// checkout deployed a newer version, records nothing new: the hand-off was used.
#[test]
fn a_hand_off_recorded_once_is_not_recorded_again_later() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let first = world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:20:00Z"], NOON);
    let made = value(&first.expect_status(0).stdout, "record_tag").to_owned();
    let other = world.path("other");
    world.git(&world.path(""), &["clone", "-q", "-b", "environment/qa", path(&repos.release_remote), path(&other)]);
    world.release(&other, &["set", "qa", "1.1.0", "--push"]).expect_status(0);
    world.release(&other, &["prepare", "qa"]).expect_status(0);
    world.release_at(&other, &["record", "qa", "--at", "2026-11-21T10:30:00Z"], NOON).expect_status(0);
    let before = tags(&world, &repos.app_remote);
    let again = world.release_at(release, &["record", "qa"], NOON);
    again.expect_status(0).expect_stderr(&format!("already recorded as {made}"));
    assert_eq!(tags(&world, &repos.app_remote), before, "no record of 1.0.0 over 1.1.0");
    let log = world.release_at(release, &["log", "qa", "--json"], NOON);
    assert_eq!(log.expect_status(0).json()["records"][0]["version"], "1.1.0", "{log}");
}

/// A persistent runner's checkout keeps the hand-off of an earlier CI run; another run's
/// `record` does not take it for its own deployment.
#[test]
fn a_hand_off_from_another_ci_run_is_not_taken() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    let run = |id: &str| {
        [
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_SERVER_URL", "https://github.example".to_owned()),
            ("GITHUB_REPOSITORY", "shop/release".to_owned()),
            ("GITHUB_RUN_ID", id.to_owned()),
        ]
    };
    let vars = |id: &str| run(id);
    let with = |id: &str, args: &[&str]| {
        let vars = vars(id);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        world.release_with(release, args, &vars)
    };
    let deployed = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    with("7", &["prepare", "dev"]).expect_status(0);
    repos.app_commit(&world, "Later work");
    with("8", &["record", "dev"])
        .expect_status(1)
        .expect_stderr("note: passing over what prepare decided in https://github.example/shop/release/actions/runs/7")
        .expect_stderr("record cannot tell what dev deployed");
    let recorded = with("7", &["record", "dev"]);
    assert_eq!(value(&recorded.expect_status(0).stdout, "commit"), deployed);
}

/// Versions are opaque where no order is asked of them: `2026.11` is cut as `v2026.11-rc.1` in
/// qa and released as `v2026.11` on the same commit in prod; `bump`, which needs an order,
/// refuses it plainly.
#[test]
fn an_opaque_version_is_cut_and_released_and_only_bump_refuses_it() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "2026.11", "--push"]).expect_status(0);
    let prepared = world.release(release, &["prepare", "qa"]);
    assert_eq!(value(&prepared.expect_status(0).stdout, "tag"), "v2026.11-rc.1");
    world.release(release, &["record", "qa"]).expect_status(0);
    world.release(release, &["set", "prod", "2026.11", "--push"]).expect_status(0);
    let released = world.release(release, &["prepare", "prod"]);
    assert_eq!(value(&released.expect_status(0).stdout, "tag"), "v2026.11");
    world.release(release, &["record", "prod"]).expect_status(0);
    let commit_of = |tag: &str| world.git(&repos.app_remote, &["rev-parse", &format!("{tag}^{{commit}}")]);
    assert_eq!(commit_of("v2026.11"), commit_of("v2026.11-rc.1"), "prod released what qa ran");
    world
        .release(release, &["bump", "qa", "patch"])
        .expect_status(2)
        .expect_stderr("error: cannot bump qa: `2026.11` is not a semantic version, so there is nothing to bump")
        .expect_stderr("hint: set a version instead: git release set qa <version>");
}

/// The release manager has branched `release/1.0.0` off main and fixed something there; main
/// has moved on. qa's candidate of 1.0.0 is cut from the release branch, as the release file
/// documents by default, and the record names the branch it came from.
#[test]
fn qa_cuts_its_candidate_from_the_release_branch_when_one_exists_by_default() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.git(&repos.app, &["checkout", "-q", "-b", "release/1.0.0"]);
    world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", "Fix on the release branch"]);
    world.git(&repos.app, &["push", "-q", "origin", "release/1.0.0"]);
    let fixed = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    world.git(&repos.app, &["checkout", "-q", "main"]);
    let main = repos.app_commit(&world, "Work for the next version");
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let prepared = world.release(release, &["prepare", "qa"]);
    assert_eq!(value(&prepared.expect_status(0).stdout, "commit"), fixed, "not main's {main}");
    let recorded = world.release(release, &["record", "qa"]);
    let tag = value(&recorded.expect_status(0).stdout, "record_tag").to_owned();
    let message = world.git(&repos.app_remote, &["tag", "-l", "--format=%(contents)", &tag]);
    assert!(message.contains("Branch: release/1.0.0"), "{message}");
    assert_eq!(world.git(&repos.app_remote, &["rev-parse", "v1.0.0-rc.1^{commit}"]).trim(), fixed);
}

/// Found by an independent pass: `record --branch` naming a branch the application repository
/// lacks failed as a network error (128) that blamed the address.
#[test]
fn a_branch_the_application_repository_lacks_is_named_not_blamed_on_the_network() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let before = world.state(&repos.app_remote);
    world
        .release(&repos.release, &["record", "dev", "--branch", "no-such-branch"])
        .expect_status(2)
        .expect_stderr("error: the application repository")
        .expect_stderr("has no branch no-such-branch")
        .expect_stderr("hint: check the branch's name");
    assert_eq!(world.state(&repos.app_remote), before);
}
