//! Parallel pipelines against one remote: each round lands a new application commit, then runs
//! `prepare qa` and `record qa` for what it prepared, as a CI job would. A watcher reads the
//! remote's tags all along: none may move or vanish, no rc number may name two commits, and every
//! record must be there at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Tag, figure, scale, tags};
use crate::deploy::{path, value};
use crate::harness::World;
use crate::http_push::{Lighttpd, PASSWORD, bare, helper};

/// Where the pipelines push: the application's and the release repository's remotes.
struct Remotes {
    app_url: String,
    app_bare: PathBuf,
    release_url: String,
}

/// One round's outcome, as the pipeline's output told it.
struct Round {
    rc: String,
    commit: String,
    record: String,
    pipeline: String,
}

fn seed(world: &World, remotes: &Remotes) {
    let developer = world.path("seed-app");
    world.git(&world.path(""), &["clone", "-q", &remotes.app_url, path(&developer)]);
    world.git(&developer, &["commit", "-q", "--allow-empty", "-m", "First feature"]);
    world.git(&developer, &["push", "-q", "origin", "HEAD:refs/heads/main"]);
    let release = world.empty_repo("seed-release", false);
    world.git(&release, &["remote", "add", "origin", &remotes.release_url]);
    world.release(&release, &["init", "--app", &remotes.app_url]).expect_status(0);
    world.git(&release, &["push", "-q", "origin", "refs/heads/environment/*:refs/heads/environment/*"]);
    world.release(&release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
}

/// Lands one new commit on the application's main branch, racing the other pipelines for it.
fn land_commit(world: &World, developer: &Path, message: &str) {
    for _ in 0..500 {
        world.git(developer, &["fetch", "-q", "origin"]);
        world.git(developer, &["reset", "-q", "--hard", "origin/main"]);
        world.git(developer, &["commit", "-q", "--allow-empty", "-m", message]);
        let mut push = world.command("git", developer);
        if push.args(["push", "-q", "origin", "HEAD:refs/heads/main"]).output().expect("git runs").status.success() {
            return;
        }
    }
    panic!("{message} never landed");
}

fn pipeline(world: &World, remotes: &Remotes, number: usize, rounds: usize) -> Vec<Round> {
    let release = world.path(&format!("pipeline-{number}"));
    let developer = world.path(&format!("developer-{number}"));
    world.git(&world.path(""), &["clone", "-q", &remotes.release_url, path(&release)]);
    world.git(&world.path(""), &["clone", "-q", &remotes.app_url, path(&developer)]);
    (0..rounds)
        .map(|round| {
            land_commit(world, &developer, &format!("Change {round} of pipeline {number}"));
            let prepared = world.release(&release, &["prepare", "qa"]);
            prepared.expect_status(0);
            let (rc, commit) = (value(&prepared.stdout, "tag"), value(&prepared.stdout, "commit"));
            let pipeline = format!("https://ci.example.com/pipeline/{number}/{round}");
            let recorded = world.release(&release, &["record", "qa", "--commit", commit, "--pipeline-url", &pipeline]);
            recorded.expect_status(0);
            assert_eq!(value(&recorded.stdout, "commit"), commit, "{recorded}");
            Round {
                rc: rc.to_owned(),
                commit: commit.to_owned(),
                record: value(&recorded.stdout, "record_tag").to_owned(),
                pipeline,
            }
        })
        .collect()
}

/// Reads the remote's tags until `done`, and returns every change to a tag once seen.
fn watch(world: &World, bare: &Path, done: &AtomicBool) -> (Vec<String>, usize) {
    let mut seen: BTreeMap<String, Tag> = BTreeMap::new();
    let mut violations = Vec::new();
    let mut looks = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let now = tags(world, bare);
        looks += 1;
        for (name, before) in &seen {
            match now.get(name) {
                None => violations.push(format!("{name} vanished")),
                Some(current) if current != before => {
                    violations.push(format!("{name} moved from {} to {}", before.object, current.object));
                }
                Some(_) => {}
            }
        }
        for (name, object) in now {
            seen.entry(name).or_insert(object);
        }
        if finished {
            return (violations, looks);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn race(transport: &str, world: &World, remotes: &Remotes) {
    let started = Instant::now();
    let (pipelines, rounds) = (scale(4, 8), scale(3, 25));
    seed(world, remotes);
    let done = AtomicBool::new(false);
    let results = Mutex::new(Vec::new());
    let (violations, looks) = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| watch(world, &remotes.app_bare, &done));
        let workers: Vec<_> = (0..pipelines)
            .map(|number| {
                let results = &results;
                scope.spawn(move || {
                    let rounds = pipeline(world, remotes, number, rounds);
                    results.lock().expect("no pipeline panicked holding it").extend(rounds);
                })
            })
            .collect();
        // The watcher stops even when a pipeline fails, and the failure is told after.
        let outcomes: Vec<_> = workers.into_iter().map(std::thread::ScopedJoinHandle::join).collect();
        done.store(true, Ordering::SeqCst);
        let watcher_saw = watcher.join().expect("the watcher finishes");
        for outcome in outcomes {
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
        watcher_saw
    });
    assert!(violations.is_empty(), "{violations:#?}");
    let results = results.into_inner().expect("every pipeline finished");
    assert_eq!(results.len(), pipelines * rounds);

    let mut commit_of_rc: BTreeMap<&str, &str> = BTreeMap::new();
    let mut rc_of_commit: BTreeMap<&str, &str> = BTreeMap::new();
    for round in &results {
        let commit = *commit_of_rc.entry(&round.rc).or_insert(&round.commit);
        assert_eq!(commit, round.commit, "{} names two commits", round.rc);
        let rc = *rc_of_commit.entry(&round.commit).or_insert(&round.rc);
        assert_eq!(rc, round.rc, "{} got two rc numbers", round.commit);
    }
    let tags = tags(world, &remotes.app_bare);
    let peeled = |tag: &str| tags.get(tag).map(|t| t.commit.clone()).unwrap_or_default();
    let rcs: BTreeSet<u64> = tags
        .keys()
        .filter_map(|t| t.strip_prefix("v1.0.0-rc."))
        .map(|n| n.parse().expect("rc numbers are numbers"))
        .collect();
    let expected: BTreeSet<u64> = (1..=rcs.len() as u64).collect();
    assert_eq!(rcs, expected, "rc numbers run from 1 without gaps");
    for (rc, commit) in &commit_of_rc {
        assert_eq!(&peeled(rc), commit, "{rc} on the remote");
    }
    let mut records = BTreeSet::new();
    for round in &results {
        assert!(tags.contains_key(&round.record), "{} is not on the remote", round.record);
        assert_eq!(peeled(&round.record), round.commit);
        let message = world.git(&remotes.app_bare, &["cat-file", "tag", &round.record]);
        assert!(message.contains(&format!("Pipeline: {}\n", round.pipeline)), "{}: {message}", round.record);
        records.insert(round.record.clone());
    }
    assert_eq!(records.len(), results.len(), "each round has a record of its own");
    figure(
        &format!("races over {transport}"),
        started,
        &format!(
            "{pipelines} pipelines x {rounds} rounds: {} prepares and {} records, {} rc numbers each on one commit, \
             {} records present, 0 tags moved or lost in {looks} reads of the remote",
            results.len(),
            results.len(),
            rcs.len(),
            records.len()
        ),
    );
}

#[test]
fn parallel_pipelines_over_file_never_share_an_rc_nor_lose_a_tag() {
    let world = World::new();
    let app_bare = world.empty_repo("app.git", true);
    let release_bare = world.empty_repo("release.git", true);
    let remotes = Remotes {
        app_url: format!("file://{}", path(&app_bare)),
        app_bare,
        release_url: format!("file://{}", path(&release_bare)),
    };
    race("file://", &world, &remotes);
}

#[test]
fn parallel_pipelines_over_http_never_share_an_rc_nor_lose_a_tag() {
    let world = World::new();
    let server = Lighttpd::start(&world, &world.path("http"));
    let app_bare = bare(&world, &world.path("http/repos/app.git"));
    bare(&world, &world.path("http/repos/release.git"));
    world.git(&world.path(""), &["config", "--global", "credential.helper", &helper(PASSWORD)]);
    let remotes = Remotes { app_url: server.url("app.git"), app_bare, release_url: server.url("release.git") };
    race("HTTP", &world, &remotes);
}
