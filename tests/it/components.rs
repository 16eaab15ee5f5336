//! Applications of several repositories: an umbrella and its components, tagged and recorded
//! together.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::deploy::{TwoRepos, path, tags};
use crate::harness::{NOON, World};
use crate::reconcile::edit_release_file;

/// The umbrella (`app`) with two components, `api` and `web`, each with a first commit on main.
pub struct Umbrella {
    pub repos: TwoRepos,
    pub api_remote: PathBuf,
    pub web_remote: PathBuf,
}

impl Umbrella {
    pub fn new(world: &World) -> Umbrella {
        let repos = TwoRepos::new(world);
        let api_remote = component(world, "api");
        let web_remote = component(world, "web");
        let tables = format!(
            "\n[[app.components]]\nname = \"api\"\nrepo = \"{}\"\n\n[[app.components]]\nname = \"web\"\nrepo = \"{}\"\nbranch = \"main\"\n",
            path(&api_remote),
            path(&web_remote)
        );
        edit_release_file(world, &repos.release, |file| file + &tables);
        Umbrella { repos, api_remote, web_remote }
    }

    /// The three remotes, umbrella first.
    pub fn remotes(&self) -> [(&str, &Path); 3] {
        [("app", &self.repos.app_remote), ("api", &self.api_remote), ("web", &self.web_remote)]
    }
}

/// A bare component repository with one commit on main.
fn component(world: &World, name: &str) -> PathBuf {
    let remote = world.empty_repo(&format!("{name}.git"), true);
    let clone = world.path(name);
    world.git(&world.path(""), &["clone", "-q", path(&remote), path(&clone)]);
    world.git(&clone, &["commit", "-q", "--allow-empty", "-m", &format!("First {name} change")]);
    world.git(&clone, &["push", "-q", "origin", "main"]);
    remote
}

fn head(world: &World, remote: &Path) -> String {
    world.git(remote, &["rev-parse", "main"]).trim().to_owned()
}

/// The tags of one name in a repository, as `<name> <commit>`.
fn tagged(world: &World, remote: &Path, name: &str) -> Vec<String> {
    tags(world, remote)
        .into_iter()
        .filter_map(|line| line.strip_prefix("tag ").map(str::to_owned))
        .filter(|line| line.split(' ').next() == Some(name))
        .collect()
}

#[test]
fn a_release_tags_the_umbrella_and_every_component_alike() {
    let world = World::new();
    let app = Umbrella::new(&world);
    let release = &app.repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);

    let dry = world.release(release, &["prepare", "qa", "--dry-run"]);
    dry.expect_status(0)
        .expect_stdout("push refs/tags/v1.0.0-rc.1 to web (<tmp>/web.git), where it must not exist yet");
    assert!(tagged(&world, &app.web_remote, "v1.0.0-rc.1").is_empty(), "a dry run pushes nothing");
    let prepared = world.release(release, &["prepare", "qa", "--json"]);
    prepared.expect_status(0);
    let json = prepared.json();
    assert_eq!(json["tag"], "v1.0.0-rc.1");
    assert_eq!(json["components"]["api"]["tag"], "v1.0.0-rc.1");
    assert_eq!(json["components"]["web"]["commit"], head(&world, &app.web_remote).as_str());
    for (name, remote) in app.remotes() {
        assert_eq!(tagged(&world, remote, "v1.0.0-rc.1"), [format!("v1.0.0-rc.1 {}", head(&world, remote))], "{name}");
    }
    let again = world.release(release, &["prepare", "qa"]);
    again.expect_status(0).expect_stdout("commit_api=").expect_stdout("tag_web=v1.0.0-rc.1\n");

    let recorded = world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:20:00Z", "--json"], NOON);
    recorded.expect_status(0);
    let record = recorded.json();
    assert_eq!(record["components"]["web"]["tag"], "1.0.0.20261121T102000Z.qa");
    for (name, remote) in app.remotes() {
        let message = world.git(remote, &["tag", "-l", "--format=%(contents)", "1.0.0.20261121T102000Z.qa"]);
        assert!(message.contains(&format!("Commit: {}\n", head(&world, remote))), "{name}: {message}");
        assert!(message.contains(&format!("Component: api {}\n", head(&world, &app.api_remote))), "{message}");
    }

    let status = world.release(release, &["status", "--json"]);
    let qa = status.json()["environments"][1]["deployed"].clone();
    assert_eq!(qa["components"]["api"], head(&world, &app.api_remote).as_str(), "{qa}");
    assert_eq!(qa["components"]["app"], head(&world, &app.repos.app_remote).as_str());
    let short = |remote: &Path| head(&world, remote)[..7].to_owned();
    let parts = format!("(api {}, web {})", short(&app.api_remote), short(&app.web_remote));
    world.release(release, &["status"]).expect_status(0).expect_stdout(&parts);
    world.release(release, &["log"]).expect_status(0).expect_stdout(&parts);

    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    let gate = world.release(release, &["gate", "--target", "prod", "--source", "environment/qa"]);
    gate.expect_stdout(&format!("deploying {} {parts}", short(&app.repos.app_remote)));
    let prepared = world.release(release, &["prepare", "prod", "--json"]);
    prepared.expect_status(0);
    assert_eq!(prepared.json()["components"]["api"]["tag"], "v1.0.0");
    for (name, remote) in app.remotes() {
        assert_eq!(tagged(&world, remote, "v1.0.0"), [format!("v1.0.0 {}", head(&world, remote))], "{name}");
    }
    world.release_at(release, &["record", "prod", "--at", "2026-11-21T10:40:00Z"], NOON).expect_status(0);
    for (name, remote) in app.remotes() {
        assert_eq!(tagged(&world, remote, "1.0.0.20261121T104000Z.prod").len(), 1, "{name}");
    }
}

#[test]
fn a_final_release_needs_the_same_candidate_deployed_in_every_repository() {
    let world = World::new();
    let app = Umbrella::new(&world);
    let release = &app.repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    let refused = world.release(release, &["prepare", "prod"]);
    refused.expect_status(1).expect_stderr("error: qa deployed nothing of app, not v1.0.0-rc.1");
    world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:20:00Z"], NOON).expect_status(0);

    // A new api commit cut rc.2 in every repository, but qa has not deployed it yet.
    let api = world.path("api");
    world.git(&api, &["commit", "-q", "--allow-empty", "-m", "Second api change"]);
    world.git(&api, &["push", "-q", "origin", "main"]);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    for (name, remote) in app.remotes() {
        assert_eq!(tagged(&world, remote, "v1.0.0-rc.2").len(), 1, "{name} took rc.2 too");
    }
    let before = world.state(&app.repos.app_remote);
    let refused = world.release(release, &["prepare", "prod"]);
    refused.expect_status(1).expect_stderr("error: qa deployed ");
    assert_eq!(world.state(&app.repos.app_remote), before, "a refusal changes nothing");
    world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:30:00Z"], NOON).expect_status(0);
    world.release_at(release, &["prepare", "prod"], NOON).expect_status(0);
}

/// A pre-receive hook on `remote` that says it started, waits for `go`, and refuses the push.
fn hold_pushes(remote: &Path, dir: &Path) {
    let hook = remote.join("hooks").join("pre-receive");
    let script = format!(
        "#!/bin/sh\ntouch '{dir}/started'\nwhile [ ! -f '{dir}/go' ]; do sleep 0.05; done\necho 'held by the test' >&2\ntouch '{dir}/done'\nexit 1\n",
        dir = path(dir)
    );
    std::fs::write(&hook, script).expect("hook");
    std::process::Command::new("chmod").arg("+x").arg(&hook).status().expect("chmod");
}

fn wait_for(file: &Path) {
    let start = Instant::now();
    while !file.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "{} never appeared", file.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_run_killed_between_two_repositories_pushes_is_completed_by_the_next() {
    let world = World::new();
    let app = Umbrella::new(&world);
    let release = &app.repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let signals = world.path("signals");
    std::fs::create_dir_all(&signals).expect("dir");
    hold_pushes(&app.web_remote, &signals);

    let mut run = world.release_command(release, &["prepare", "qa"]).spawn().expect("starts");
    wait_for(&signals.join("started"));
    run.kill().expect("SIGKILL");
    run.wait().expect("reaped");
    std::fs::write(signals.join("go"), "").expect("go");
    wait_for(&signals.join("done"));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(tagged(&world, &app.repos.app_remote, "v1.0.0-rc.1").len(), 1, "app was pushed");
    assert_eq!(tagged(&world, &app.api_remote, "v1.0.0-rc.1").len(), 1, "api was pushed");
    assert!(tagged(&world, &app.web_remote, "v1.0.0-rc.1").is_empty(), "web was not");

    // With the hook still refusing, the run says what reached where.
    std::fs::remove_file(signals.join("done")).expect("reset");
    let refused = world.release(release, &["prepare", "qa"]);
    refused
        .expect_status(1)
        .expect_stderr("error: the deployment reached app, api but not web")
        .expect_stderr("caused by: <tmp>/web.git: held by the test")
        .expect_stderr("hint: run this command again once web takes the push");

    std::fs::remove_file(app.web_remote.join("hooks").join("pre-receive")).expect("hook removed");
    let completed = world.release(release, &["prepare", "qa", "--json"]);
    completed.expect_status(0);
    assert_eq!(completed.json()["tag"], "v1.0.0-rc.1", "the same number, completed: {}", completed.stdout);
    for (name, remote) in app.remotes() {
        assert_eq!(tagged(&world, remote, "v1.0.0-rc.1"), [format!("v1.0.0-rc.1 {}", head(&world, remote))], "{name}");
        assert!(tagged(&world, remote, "v1.0.0-rc.2").is_empty(), "{name}: no second candidate");
    }
}
