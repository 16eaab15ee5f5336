//! The reconcile benchmark: one repository whose release file names qa and 1,000 environments
//! after it, each auto-promoted, on the fake forge in GitHub's dialect answering every request
//! 20 ms late. qa deploys a change none of them holds, so each wants a promotion: the first round
//! opens 1,000 pull requests; an unchanged second round must write nothing and finish in 2 s.
//! Requests are counted by the forge, times are wall-clock, in one run.
#![expect(clippy::print_stdout, reason = "a benchmark prints its table")]

#[allow(dead_code)]
#[path = "../tests/it/fake_forge.rs"]
mod fake_forge;
#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use fake_forge::FakeForge;
use harness::World;

const ENVIRONMENTS: usize = 1_000;
const LATENCY: Duration = Duration::from_millis(20);
const RERUN_LIMIT: Duration = Duration::from_secs(2);
const TOKEN: &str = "tok_bench_0123456789abcdef";

fn main() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repo = world.repo("shop");
    published(&world, &repo, &forge.api());
    let mut file = String::from(
        "version = \"1.0.0\"\n\n[app]\nrepo = \".\"\n\n[[environments]]\nname = \"qa\"\nbranch = \"qa\"\ncut = \"rc\"\n",
    );
    for n in 0..ENVIRONMENTS {
        let _ = write!(
            file,
            "\n[[environments]]\nname = \"p{n:04}\"\nbranch = \"env/p{n:04}\"\ncut = \"final\"\nafter = \"qa\"\nauto-promote = true\n"
        );
    }
    let _ = write!(file, "\n[forge]\nkind = \"github\"\napi = \"{}\"\nrepository = \"shop/release\"\n", forge.api());
    world.commit_release_file(&repo, "qa", file.as_bytes());
    let qa = world.git(&repo, &["rev-parse", "qa"]);
    let created: String =
        (0..ENVIRONMENTS).map(|n| format!("create refs/heads/env/p{n:04} {}", qa.trim()) + "\n").collect();
    let mut update = world.command("git", &repo);
    update.args(["update-ref", "--stdin"]).stdin(std::process::Stdio::piped());
    let mut child = update.spawn().expect("git update-ref runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), created.as_bytes()).expect("refs are sent");
    assert!(child.wait().expect("git update-ref ends").success(), "the environment branches are created");
    // qa deploys a change that none of the environments after it holds yet.
    std::fs::write(repo.join("app.txt"), "a change for qa\n").expect("the work tree is writable");
    world.git(&repo, &["add", "app.txt"]);
    world.git(&repo, &["commit", "-q", "-m", "A change for qa"]);
    world.git(&repo, &["push", "-q", "origin", "--all"]);
    world.release(&repo, &["prepare", "qa"]).expect_status(0);
    world.release(&repo, &["record", "qa"]).expect_status(0);

    forge.set_latency(LATENCY);
    let round = || {
        let before = forge.requests().len();
        let started = Instant::now();
        let run = world.release_with(&repo, &["reconcile", "--json"], &[("GITHUB_TOKEN", TOKEN)]);
        let took = started.elapsed();
        run.expect_status(0);
        let requests = forge.requests()[before..].to_vec();
        let writes = requests.iter().filter(|(line, _)| !line.starts_with("GET ")).count();
        (took, requests.len(), writes)
    };
    let (first, first_requests, first_writes) = round();
    let opened = forge.open_pulls().len();
    let (again, again_requests, again_writes) = round();

    println!(
        "{:<44} {:>10} {:>9} {:>7} {:>10}",
        "reconcile, 1,000 environments, 20 ms a request", "time", "requests", "writes", "target"
    );
    println!("{:<44} {:>8.0}ms {first_requests:>9} {first_writes:>7} {:>10}", "first round", ms(first), "-");
    println!(
        "{:<44} {:>8.0}ms {again_requests:>9} {again_writes:>7} {:>10}",
        "unchanged rerun",
        ms(again),
        "<= 2000ms"
    );
    let mut failed = Vec::new();
    if opened != ENVIRONMENTS {
        failed.push(format!("the first round left {opened} pull requests open, not {ENVIRONMENTS}"));
    }
    // Every target is an ancestor of qa: no promotion can conflict, so the forge is only listed.
    if again_requests > ENVIRONMENTS.div_ceil(100) + 1 {
        failed.push(format!("the unchanged rerun made {again_requests} requests, more than the listing's pages"));
    }
    if again_writes != 0 {
        failed.push(format!("the unchanged rerun wrote {again_writes} times"));
    }
    if again > RERUN_LIMIT {
        failed.push(format!("the unchanged rerun took {:.0} ms, over {} ms", ms(again), RERUN_LIMIT.as_millis()));
    }
    for failure in &failed {
        println!("MISSED: {failure}");
    }
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

/// Points `origin` at the forge's address for the repository, served from a bare repository
/// beside it, so that the forge the release file names is the remote's own.
fn published(world: &World, repo: &std::path::Path, api: &str) {
    let bare = world.empty_repo("shop.git", true);
    let bare = bare.to_str().expect("temp paths are UTF-8");
    let url = format!("{api}/shop/release.git");
    world.git(repo, &["config", &format!("url.{bare}.insteadOf"), &url]);
    world.git(repo, &["remote", "add", "origin", &url]);
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
