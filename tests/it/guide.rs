//! The README's getting-started guides, run as written: each command of a guide's `sh` blocks,
//! in order, through `sh -c`, in a home whose `~/.ssh/release` is a real key, against real
//! repositories and the fake forge. What a person does on the forge between two commands
//! (merging a pull request, committing the pipeline, requiring a check) the test does there.
//!
//! Only addresses change: the guides' `github.com` repositories are the fake forge's (git reaches
//! them through `url.<path>.insteadOf`), and since the fake's address does not say which forge it
//! is, `init --sign` is followed by `--forge github --forge-api <fake>`.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::adopt::infrastructure;
use crate::deploy::path;
use crate::fake_forge::FakeForge;
use crate::harness::{NOON, Transcript, World, stable};
use crate::promote::TOKEN;

const README: &str = include_str!("../../README.md");

/// The commands of the `sh` blocks under `### {heading}`, up to the next heading.
fn guide(heading: &str) -> VecDeque<String> {
    let start = README.find(&format!("\n### {heading}\n")).unwrap_or_else(|| panic!("the README has {heading}"));
    let section = &README[start + 1..];
    let end = section[4..].find("\n#").map_or(section.len(), |at| at + 4);
    let mut commands = VecDeque::new();
    let mut inside = false;
    for line in section[..end].lines() {
        match line.trim() {
            "```sh" => inside = true,
            "```" => inside = false,
            text if inside && !text.is_empty() && !text.starts_with('#') => commands.push_back(text.to_owned()),
            _ => {}
        }
    }
    assert!(!commands.is_empty(), "{heading} has commands");
    commands
}

/// A person following a guide: where they are, and the commands still to run.
struct Reader<'a> {
    world: &'a World,
    dir: PathBuf,
    steps: VecDeque<String>,
    /// Each pair: text of the guide, and what the test runs for it.
    replace: Vec<(String, String)>,
    name: &'static str,
    count: usize,
}

impl Reader<'_> {
    /// Runs the guide's next command, which must begin with `expected`, and expects `status`;
    /// its transcript is kept as a snapshot. `cd` moves the reader.
    fn step(&mut self, expected: &str, status: i32) -> Transcript {
        let line = self.steps.pop_front().unwrap_or_else(|| panic!("the guide ends before `{expected}`"));
        assert!(line.starts_with(expected), "the guide's next command is `{line}`; the test expects `{expected}`");
        let mut run = line.clone();
        for (from, to) in &self.replace {
            run = run.replace(from, to);
        }
        let mut transcript =
            Transcript { command: line.clone(), status: 0, stdout: String::new(), stderr: String::new() };
        for part in run.split(" && ") {
            if let Some(dir) = part.strip_prefix("cd ") {
                self.dir = self.dir.join(dir);
                continue;
            }
            let output = self
                .world
                .command("sh", &self.dir)
                .args(["-c", part])
                .envs([("GITHUB_TOKEN", TOKEN), ("GIT_COMMITTER_DATE", NOON), ("GIT_AUTHOR_DATE", NOON)])
                .output()
                .expect("sh runs");
            let done = self.world.transcript(&[], &output);
            transcript.stdout.push_str(&done.stdout);
            transcript.stderr.push_str(&done.stderr);
            transcript.status = done.status;
            if done.status != 0 {
                break;
            }
        }
        self.count += 1;
        insta::assert_snapshot!(format!("{}_{:02}", self.name, self.count), stable(&transcript.to_string()));
        transcript.expect_status(status);
        transcript
    }

    fn done(&self) {
        assert!(self.steps.is_empty(), "the test ran out before the guide's {:?}", self.steps);
    }
}

/// A key at `~/.ssh/release`, as the guides make it first.
fn release_key(world: &World) {
    let dir = world.path("home/.ssh");
    std::fs::create_dir_all(&dir).expect("~/.ssh made");
    let made = world
        .command("ssh-keygen", &dir)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "release@example.com", "-f", "release"])
        .output()
        .expect("ssh-keygen runs: run ./test.sh, which installs what the tests need");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
}

/// git reaches `url` at `bare`, for every repository of the test's home.
fn reach(world: &World, url: &str, bare: &Path) {
    world.git(&world.path(""), &["config", "--global", &format!("url.{}.insteadOf", path(bare)), url]);
}

fn failed(transcript: &Transcript) -> Vec<String> {
    transcript
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("FAIL"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or_default().to_owned())
        .collect()
}

/// Merges `source` into `target` on the fake forge, as a person merges a pull request there.
fn merge_on_forge(forge: &FakeForge, source: &str, target: &str) {
    forge.seed([(source.to_owned(), target.to_owned())]);
    forge.merge_by_hand(forge.pulls().len() as u64, "merge");
}

#[test]
fn one_repository_guide_from_existing_branches_to_a_gate_that_holds() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    release_key(&world);
    let api = forge.api();
    let url = format!("{api}/shop/release.git");
    reach(&world, &url, &infra.bare);
    let mut reader = Reader {
        world: &world,
        dir: world.path(""),
        steps: guide("One repository whose branches are the environments"),
        replace: vec![
            ("git clone https://github.com/acme/infra".into(), format!("git clone {url} infra")),
            ("--sign ~/.ssh/release".into(), format!("--sign ~/.ssh/release --forge github --forge-api {api}")),
        ],
        name: "guide_one_repository",
        count: 0,
    };
    reader.step("git clone", 0);
    let main = world.git(&infra.bare, &["rev-parse", "main"]);
    reader.step("git release init --env qa=qa --env stage=stage --env prod=main", 0);
    assert_eq!(world.git(&infra.bare, &["rev-parse", "main"]), main, "main is protected");
    forge.merge_by_hand(1, "merge");
    reader.step("git pull", 0);
    let doctor = reader.step("git release doctor", 1);
    assert_eq!(failed(&doctor), ["hooks", "ci", "protection"], "{doctor}");
    reader.step("git release hooks install", 0);
    reader.step("git release init --ci github", 0);

    // The pipeline goes onto every environment branch by pull requests; main requires the gate.
    let clone = reader.dir.clone();
    world.git(&clone, &["switch", "-q", "-c", "pipeline"]);
    world.git(&clone, &["add", ".github", "deploy.sh"]);
    world.git(&clone, &["commit", "-q", "-m", "Add the release pipeline"]);
    world.git(&clone, &["push", "-q", "origin", "pipeline"]);
    world.git(&clone, &["switch", "-q", "main"]);
    for branch in ["qa", "stage", "main"] {
        merge_on_forge(&forge, "pipeline", branch);
    }
    forge.require_check("gate");

    reader.step("git pull", 0);
    let healthy = reader.step("git release doctor", 0);
    assert!(failed(&healthy).is_empty(), "{healthy}");
    let refused = reader.step("git release gate --target prod", 1);
    refused.expect_stdout("FAIL  previous-deployed");
    reader.step("git release prepare stage && git release record stage", 0);
    reader.step("git release gate --target prod", 0).expect_stdout("allowed");
    reader.done();

    // A clone of its own needs the hook, which also points it at main's settings.
    world.git(&world.path(""), &["clone", "-q", &url, "colleague"]);
    let colleague = world.path("colleague");
    let fresh = world.release_with(&colleague, &["doctor"], &[("GITHUB_TOKEN", TOKEN)]);
    fresh.expect_status(1);
    assert_eq!(failed(&fresh), ["config-ref", "hooks"], "{fresh}");
    fresh.expect_stdout("fix: git config release.configRef refs/heads/main");
    world.release(&colleague, &["hooks", "install"]).expect_status(0);
    world.release_with(&colleague, &["doctor"], &[("GITHUB_TOKEN", TOKEN)]).expect_status(0);
}

#[test]
fn release_repository_guide_beside_an_application() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    release_key(&world);
    let api = forge.api();
    let shop = world.empty_repo("shop.git", true);
    let seed = world.repo("shop-seed");
    world.git(&seed, &["push", "-q", path(&shop), "main"]);
    reach(&world, "https://github.com/acme/shop", &shop);
    let release = world.empty_repo("release.git", true);
    let url = format!("{api}/shop/release.git");
    reach(&world, &url, &release);
    forge.back_with(&release);
    let mut reader = Reader {
        world: &world,
        dir: world.path(""),
        steps: guide("A release repository beside the application"),
        replace: vec![
            ("https://github.com/acme/release".into(), url.clone()),
            ("--sign ~/.ssh/release".into(), format!("--sign ~/.ssh/release --forge github --forge-api {api}")),
        ],
        name: "guide_release_repository",
        count: 0,
    };
    reader.step("git init release", 0);
    reader.step("git release init --app https://github.com/acme/shop", 0);
    reader.step("git remote add origin", 0);
    reader.step("git push origin environment/dev environment/qa environment/prod", 0);
    reader.step("git release hooks install", 0);
    let doctor = reader.step("git release doctor", 1);
    assert_eq!(failed(&doctor), ["ci", "protection"], "{doctor}");
    reader.step("git release gate --target prod", 1).expect_stdout("FAIL  previous-deployed");
    reader.step("git release prepare qa && git release record qa", 0);
    reader.step("git release gate --target prod", 0).expect_stdout("allowed");
    reader.done();
    assert!(world.git(&shop, &["tag", "--list"]).contains("v0.1.0-rc.1"), "qa cut its rc in the application");
}
