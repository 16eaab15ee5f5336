//! The gate, status and hook benchmark: a generated repository with 200,000 commits, 100,000
//! deployment records across four environments and 1,000 rc tags, all refs packed; each
//! git-release command is timed beside a git command on the same repository, as a ratio.
//!
//! `[trust] mode = "enforce"` is on, and the records and the rc tag the decisions read are
//! signed with an ssh key, so every verification those decisions make is in the times.
//!
//! A copy of that repository with 900,000 more tags named like records, lightweight or dated a
//! second that never was, holds a million tags: the gate there must take at most 100 ms and
//! 64 MiB. A release file of 4,000 environments must be read and checked in at most 50 ms.
//!
//! Run with `cargo bench --bench gate` (add `-- --fresh` to generate the repositories again).

#![expect(clippy::print_stdout, clippy::print_stderr, reason = "a benchmark prints its table")]
#![allow(clippy::cast_possible_wrap, clippy::cast_precision_loss, reason = "counts and times far below the limits")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const COMMITS: usize = 200_000;
const RECORDS: usize = 100_000;
const RC_TAGS: usize = 1_000;
const ENVIRONMENTS: [&str; 4] = ["dev", "qa", "stage", "prod"];
const RUNS: usize = 21;
const LOOK_ALIKES: usize = 900_000;
const MANY_ENVIRONMENTS: usize = 4_000;
/// 2026-01-01T00:00:00Z: the first commit; each later one a minute on.
const EPOCH: i64 = 1_767_225_600;

const RELEASE_FILE: &str = r#"version = "{version}"

[app]
repo = "."

[[environments]]
name = "dev"
branch = "environment/dev"

[[environments]]
name = "qa"
branch = "environment/qa"
cut = "rc"

[[environments]]
name = "stage"
branch = "environment/stage"
cut = "rc"
after = "qa"

[[environments]]
name = "prod"
branch = "environment/prod"
cut = "final"
after = "stage"
restricted = true

[trust]
mode = "enforce"

[trust.signers]
dev = ["{key}"]
qa = ["{key}"]
stage = ["{key}"]
prod = ["{key}"]
"#;

fn main() {
    let fresh = std::env::args().any(|a| a == "--fresh");
    let repo = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-100k-signed-tags");
    if fresh || !repo.join("packed-refs").is_file() {
        let started = Instant::now();
        generate(&repo);
        eprintln!("generated {} in {:.1}s", repo.display(), started.elapsed().as_secs_f64());
    }
    let million = repo.with_file_name("bench-million-tags");
    if fresh || !million.join("packed-refs").is_file() {
        let started = Instant::now();
        add_look_alikes(&repo, &million);
        eprintln!("generated {} in {:.1}s", million.display(), started.elapsed().as_secs_f64());
    }
    let crowded = repo.with_file_name("bench-4000-environments");
    if fresh || !crowded.join("packed-refs").is_file() {
        many_environments(&crowded);
    }
    // Where the hooks read what they guard, as 'git release hooks install' sets it.
    for repo in [&repo, &million, &crowded] {
        git_out(repo, &["config", "release.configRef", "refs/heads/environment/prod"]);
    }
    let binary = env!("CARGO_BIN_EXE_git-release");
    let stage = git_out(&repo, &["rev-parse", "environment/stage"]);
    // prod's branch as it stood before its last deployment: the promotion moves it forward.
    let prod = git_out(&repo, &["rev-parse", "environment/prod^"]);
    let zero = "0".repeat(40);
    let ordinary = format!("refs/heads/feature {stage} refs/heads/feature {zero}\n");
    let promotion = format!("refs/heads/environment/prod {stage} refs/heads/environment/prod {prod}\n");

    let ours = |args: &[&str]| Run::new(binary, args);
    let git = |args: &[&str]| Run::new("git", args);
    let crowded_tip = git_out(&crowded, &["rev-parse", "environment/prod"]);
    let crowded_push = format!("refs/heads/feature {crowded_tip} refs/heads/feature {zero}\n");
    let rows = [
        (
            "gate --target prod",
            &repo,
            ours(&["--offline", "gate", "--target", "prod"]),
            git(&["tag", "--points-at", &stage]),
            Target::Ratio(0.1),
        ),
        (
            "gate, a million tags",
            &million,
            ours(&["--offline", "gate", "--target", "prod"]),
            git(&["tag", "--points-at", &stage]),
            Target::Millis(100.0),
        ),
        (
            "hook pre-push, 4,000 environments",
            &crowded,
            ours(&["hook", "pre-push", "origin", "url"]).stdin(&crowded_push),
            git(&["rev-parse", "HEAD"]),
            Target::Millis(50.0),
        ),
        (
            "status",
            &repo,
            ours(&["--offline", "status"]),
            git(&["for-each-ref", "--sort=-creatordate", "--count=1", "refs/tags/*.qa"]),
            Target::Ratio(0.05),
        ),
        (
            "hook pre-push (ordinary branch)",
            &repo,
            ours(&["hook", "pre-push", "origin", "url"]).stdin(&ordinary),
            git(&["rev-parse", "HEAD"]),
            Target::Ratio(2.0),
        ),
        (
            "hook pre-push (environment/prod)",
            &repo,
            ours(&["hook", "pre-push", "origin", "url"]).stdin(&promotion),
            git(&["rev-parse", "HEAD"]),
            Target::None,
        ),
    ];

    println!(
        "{:<34} {:>10} {:>12} {:>10} {:>8} {:>10} {:>8}",
        "command", "ours", "git", "git ms", "ratio", "target", "peak"
    );
    let mut failed = Vec::new();
    for (name, repo, ours, git, target) in rows {
        let ((ours_time, status), git_time) = medians(&ours, &git, repo);
        let ratio = ours_time.as_secs_f64() / git_time.as_secs_f64();
        let peak = ours.peak_kib(repo);
        let target_text = match target {
            Target::Ratio(ratio) => format!("<= {ratio}x"),
            Target::Millis(limit) => format!("<= {limit}ms"),
            Target::None => "-".to_owned(),
        };
        println!(
            "{name:<34} {:>8.1}ms {:>12} {:>8.1}ms {:>7.2}x {target_text:>10} {:>6}MiB",
            ms(ours_time),
            git.label(),
            ms(git_time),
            ratio,
            peak.map_or_else(|| "?".to_owned(), |kib| format!("{:.1}", kib as f64 / 1024.0)),
        );
        if !status.success() {
            failed.push(format!("{name} exited with {status}"));
        }
        match target {
            Target::Ratio(limit) if ratio > limit => {
                failed.push(format!("{name}: {ratio:.2}x, over the {limit}x target"));
            }
            Target::Millis(limit) if ms(ours_time) > limit => {
                failed.push(format!("{name}: {:.1}ms, over the {limit}ms target", ms(ours_time)));
            }
            _ => {}
        }
        if peak.is_some_and(|kib| kib > 64 * 1024) {
            failed.push(format!("{name}: peak memory over 64 MiB"));
        }
    }
    if failed.is_empty() {
        println!("every target met");
    } else {
        for failure in &failed {
            println!("MISSED: {failure}");
        }
        std::process::exit(1);
    }
}

/// What a row must meet: a ratio to git's command, or a time of its own.
#[derive(Clone, Copy)]
enum Target {
    Ratio(f64),
    Millis(f64),
    None,
}

struct Run {
    program: String,
    args: Vec<String>,
    stdin: Option<String>,
}

impl Run {
    fn new(program: &str, args: &[&str]) -> Run {
        Run { program: program.to_owned(), args: args.iter().map(|a| (*a).to_owned()).collect(), stdin: None }
    }

    fn stdin(mut self, text: &str) -> Run {
        self.stdin = Some(text.to_owned());
        self
    }

    fn label(&self) -> String {
        let first = self.args.first().map_or("", String::as_str);
        format!("git {first}")
    }

    fn command(&self, repo: &Path, program: &str, prefix: &[&str]) -> Command {
        let mut command = Command::new(program);
        command
            .args(prefix)
            .args(&self.args)
            .current_dir(repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    fn once(&self, repo: &Path) -> (Duration, std::process::ExitStatus) {
        let started = Instant::now();
        let mut child = self.command(repo, &self.program, &[]).spawn().expect("the command starts");
        if let Some(text) = &self.stdin {
            child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("stdin takes the input");
        }
        let output = child.wait_with_output().expect("the command runs");
        (started.elapsed(), output.status)
    }

    /// Peak resident memory in KiB, as GNU time reports it; `None` without /usr/bin/time.
    fn peak_kib(&self, repo: &Path) -> Option<u64> {
        if !Path::new("/usr/bin/time").is_file() {
            return None;
        }
        let mut command = self.command(repo, "/usr/bin/time", &["-f", "peak-kib=%M", &self.program]);
        let mut child = command.spawn().ok()?;
        if let Some(text) = &self.stdin {
            child.stdin.take()?.write_all(text.as_bytes()).ok()?;
        }
        let output = child.wait_with_output().ok()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        stderr.lines().find_map(|l| l.strip_prefix("peak-kib=")).and_then(|kib| kib.trim().parse().ok())
    }
}

/// The medians of `ours` and `git` over the same stretch of time: after two runs of each to warm
/// the page cache, they take turns, so that whatever else the machine does falls on both alike
/// and the ratio compares like with like.
fn medians(ours: &Run, git: &Run, repo: &Path) -> ((Duration, std::process::ExitStatus), Duration) {
    let (_, status) = ours.once(repo);
    for _ in 0..2 {
        git.once(repo);
        ours.once(repo);
    }
    let (mut mine, mut theirs) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    for _ in 0..RUNS {
        mine.push(ours.once(repo).0);
        theirs.push(git.once(repo).0);
    }
    mine.sort();
    theirs.sort();
    ((mine[RUNS / 2], status), theirs[RUNS / 2])
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn git_out(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git").args(args).current_dir(repo).output().expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8").trim().to_owned()
}

/// Writes the repository with one `git fast-import` stream, then packs every ref.
fn generate(repo: &Path) {
    let _ = std::fs::remove_dir_all(repo);
    std::fs::create_dir_all(repo).expect("the repository folder can be made");
    git_out(repo, &["init", "-q", "--bare", "--initial-branch=main", "."]);
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet", "--done"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import starts");
    let key = repo.join("bench-key");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "bench@ci", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(made.success(), "ssh-keygen failed");
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("the public key");
    let mut out = std::io::BufWriter::new(import.stdin.take().expect("stdin"));
    let newest = stream(&mut out, public.trim()).expect("the stream is written");
    drop(out);
    assert!(import.wait().expect("fast-import runs").success(), "fast-import failed");
    git_out(repo, &["pack-refs", "--all"]);
    // The tags decisions read, signed as `git tag -s` would sign them.
    let decisive = std::iter::once("v2.0.0-rc.1".to_owned()).chain(newest);
    for name in decisive {
        sign(repo, &key, &name);
    }
    git_out(repo, &["pack-refs", "--all"]);
}

/// A copy of `base` with [`LOOK_ALIKES`] more tags named like the records of each environment,
/// dated after the last record and before now: nine in ten lightweight, on the tips of the
/// environment branches; one in ten on the rc tag's object, annotated, but dated a second that
/// never was (a 13th month). packed-refs is written directly, sorted, as `git pack-refs` would.
fn add_look_alikes(base: &Path, repo: &Path) {
    let _ = std::fs::remove_dir_all(repo);
    let copied = Command::new("cp").arg("-a").arg(base).arg(repo).status().expect("cp runs");
    assert!(copied.success(), "the base repository could not be copied");
    let tips: Vec<String> =
        ENVIRONMENTS.iter().map(|e| git_out(repo, &["rev-parse", &format!("environment/{e}")])).collect();
    let rc_object = git_out(repo, &["rev-parse", "v2.0.0-rc.1"]);
    let rc_commit = git_out(repo, &["rev-parse", "v2.0.0-rc.1^{commit}"]);
    let packed = std::fs::read_to_string(repo.join("packed-refs")).expect("packed-refs");
    let mut entries: Vec<(String, String, Option<String>)> = Vec::new();
    for line in packed.lines().filter(|l| !l.starts_with('#')) {
        if let Some(peeled) = line.strip_prefix('^') {
            entries.last_mut().expect("a reference before its peeled line").2 = Some(peeled.to_owned());
        } else if let Some((id, name)) = line.split_once(' ') {
            entries.push((name.to_owned(), id.to_owned(), None));
        }
    }
    // 2026-06-01T00:00:00Z, after the last record.
    let start = 1_780_272_000;
    for n in 0..LOOK_ALIKES {
        let index = n % ENVIRONMENTS.len();
        let environment = ENVIRONMENTS[index];
        if n % 10 == 9 {
            let name = format!("refs/tags/1.{n}.0.20261301T000000Z.{environment}");
            entries.push((name, rc_object.clone(), Some(rc_commit.clone())));
        } else {
            let time = jiff::Timestamp::from_second(start + n as i64).expect("a valid time");
            let name = format!("refs/tags/1.{}.0.{}.{environment}", n / 300, time.strftime("%Y%m%dT%H%M%SZ"));
            entries.push((name, tips[index].clone(), None));
        }
    }
    entries.sort_unstable();
    let mut out = std::io::BufWriter::new(std::fs::File::create(repo.join("packed-refs")).expect("packed-refs"));
    writeln!(out, "# pack-refs with: peeled fully-peeled sorted ").expect("written");
    for (name, id, peeled) in entries {
        writeln!(out, "{id} {name}").expect("written");
        if let Some(peeled) = peeled {
            writeln!(out, "^{peeled}").expect("written");
        }
    }
    out.flush().expect("packed-refs is written");
}

/// A small repository whose release file names [`MANY_ENVIRONMENTS`] environments, each after
/// the one before: every command reads and checks all of them.
fn many_environments(repo: &Path) {
    let _ = std::fs::remove_dir_all(repo);
    std::fs::create_dir_all(repo).expect("the repository folder can be made");
    git_out(repo, &["init", "-q", "--bare", "--initial-branch=main", "."]);
    let mut file = "version = \"1.0.0\"\n\n[app]\nrepo = \".\"\n".to_owned();
    for n in 1..=MANY_ENVIRONMENTS {
        let after = if n == 1 { String::new() } else { format!("after = \"e{}\"\n", n - 1) };
        let cut = if n == MANY_ENVIRONMENTS { "final" } else { "rc" };
        file.push_str(&format!(
            "\n[[environments]]\nname = \"e{n}\"\nbranch = \"environment/e{n}\"\ncut = \"{cut}\"\n{after}"
        ));
    }
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet", "--done"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import starts");
    let mut out = std::io::BufWriter::new(import.stdin.take().expect("stdin"));
    let ident = "Bench Mark <bench@example.com>";
    (|| -> std::io::Result<()> {
        writeln!(out, "blob\nmark :1")?;
        data(&mut out, &file)?;
        writeln!(out, "commit refs/heads/environment/prod\nmark :2\ncommitter {ident} {EPOCH} +0000")?;
        data(&mut out, "Release file")?;
        writeln!(out, "M 100644 :1 release.toml\n")?;
        for n in 1..=MANY_ENVIRONMENTS {
            writeln!(out, "reset refs/heads/environment/e{n}\nfrom :2\n")?;
        }
        writeln!(out, "done")
    })()
    .expect("the stream is written");
    drop(out);
    assert!(import.wait().expect("fast-import runs").success(), "fast-import failed");
    git_out(repo, &["pack-refs", "--all"]);
}

/// Replaces tag `name` with the same tag, signed by the ssh key at `key`.
fn sign(repo: &Path, key: &Path, name: &str) {
    let object = git_out(repo, &["cat-file", "tag", name]) + "\n";
    let payload = repo.join("payload");
    std::fs::write(&payload, &object).expect("payload written");
    let signed = Command::new("ssh-keygen").args(["-Y", "sign", "-n", "git", "-f"]).arg(key).arg(&payload).output();
    assert!(signed.expect("ssh-keygen runs").status.success(), "ssh-keygen could not sign {name}");
    let signature = std::fs::read_to_string(payload.with_extension("sig")).expect("the signature");
    let mut mktag = Command::new("git")
        .arg("mktag")
        .current_dir(repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("git mktag starts");
    mktag.stdin.take().expect("stdin").write_all(format!("{object}{signature}").as_bytes()).expect("written");
    let output = mktag.wait_with_output().expect("git mktag runs");
    assert!(output.status.success(), "git mktag refused the signed {name}");
    let id = String::from_utf8(output.stdout).expect("UTF-8").trim().to_owned();
    git_out(repo, &["update-ref", &format!("refs/tags/{name}"), &id]);
    let _ = std::fs::remove_file(payload.with_extension("sig"));
}

fn data(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    write!(out, "data {}\n{text}\n", text.len())
}

/// Writes the stream; returns the names of the newest record of each environment.
fn stream(out: &mut impl Write, key: &str) -> std::io::Result<Vec<String>> {
    let mut newest_records = Vec::new();
    let ident = "Bench Mark <bench@example.com>";
    // Blobs :1..=4, the release file of each environment branch; :5 the one on main.
    let versions = ["WIP", "2.0.0", "2.0.0", "1.332.0", "2.0.0"];
    for (index, version) in versions.iter().enumerate() {
        writeln!(out, "blob\nmark :{}", index + 1)?;
        data(out, &RELEASE_FILE.replace("{version}", version).replace("{key}", key))?;
    }
    let mark = |n: usize| n + 10;
    for n in 0..COMMITS {
        writeln!(out, "commit refs/heads/main\nmark :{}", mark(n))?;
        writeln!(out, "committer {ident} {} +0000", EPOCH + n as i64 * 60)?;
        data(out, &format!("Change {n}"))?;
        if n == 0 {
            writeln!(out, "M 100644 :5 release.toml")?;
        }
        writeln!(out)?;
    }
    let tips: Vec<usize> = (0..ENVIRONMENTS.len()).map(|i| mark(COMMITS) + i).collect();
    let last = EPOCH + COMMITS as i64 * 60;
    for (index, environment) in ENVIRONMENTS.iter().enumerate() {
        writeln!(out, "commit refs/heads/environment/{environment}\nmark :{}", tips[index])?;
        writeln!(out, "committer {ident} {last} +0000")?;
        data(out, &format!("Deploy to {environment}"))?;
        writeln!(out, "from :{}\nM 100644 :{} release.toml\n", mark(COMMITS - 1), index + 1)?;
    }
    for n in 0..RC_TAGS {
        let (name, target) = if n + 1 == RC_TAGS {
            ("v2.0.0-rc.1".to_owned(), tips[2])
        } else {
            (format!("v1.{}.0-rc.{}", n / 3, n % 3 + 1), mark(n * 100))
        };
        writeln!(out, "tag {name}\nfrom :{target}\ntagger {ident} {} +0000", EPOCH + n as i64 * 3600)?;
        data(out, &format!("Release candidate {name}\n"))?;
    }
    for n in 0..RECORDS {
        let environment = ENVIRONMENTS[n % ENVIRONMENTS.len()];
        // The newest record of each environment is on its branch's tip.
        let newest = n + ENVIRONMENTS.len() >= RECORDS;
        let target = if newest { tips[n % ENVIRONMENTS.len()] } else { mark((n * 7) % COMMITS) };
        let version = if environment == "dev" { "WIP".to_owned() } else { format!("1.{}.0", n / 300) };
        let seconds = EPOCH + n as i64 * 120;
        let time = jiff::Timestamp::from_second(seconds).expect("a valid time");
        let stamp = time.strftime("%Y%m%dT%H%M%SZ").to_string();
        let name = if version == "WIP" {
            format!("{stamp}_{environment}_main")
        } else {
            format!("{version}.{stamp}.{environment}")
        };
        let branch = if version == "WIP" { "Branch: main\n" } else { "" };
        let message = format!(
            "Deploy {version} to {environment}\n\nEnvironment: {environment}\nVersion: {version}\n{branch}Deployed-At: {}\n",
            time.strftime("%Y-%m-%dT%H:%M:%SZ")
        );
        writeln!(out, "tag {name}\nfrom :{target}\ntagger {ident} {seconds} +0000")?;
        data(out, &message)?;
        if newest {
            newest_records.push(name);
        }
    }
    writeln!(out, "done")?;
    Ok(newest_records)
}
