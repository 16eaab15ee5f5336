//! Faults from outside the tool: the remote declines the push, the remote is gone before or
//! during a run, a file-size limit (`ulimit -f`) stops a write, the forge fails. Every run ends in
//! success or in a plain error with the documented exit status; no tag moves or goes, no branch
//! goes back, a refusal changes nothing at all, and once the fault is gone a rerun finishes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::crashes::{Subject, check_tags, new_work, rerun};
use super::{Dice, figure, scale};
use crate::deploy::TwoRepos;
use crate::fake_forge::{Dialect, FakeForge, Fault};
use crate::harness::World;
use crate::reconcile::{TOKEN, auto_promoted};

/// Retries kept short, so a forge that fails costs a test little.
const QUICK: [(&str, &str); 3] =
    [("GIT_RELEASE_HTTP_BACKOFF_MS", "10"), ("GIT_RELEASE_HTTP_TIMEOUT", "1"), ("GIT_RELEASE_HTTP_TRIES", "2")];

/// A fault in the repositories or on the machine.
#[derive(Debug, Clone, Copy)]
enum Outside {
    /// Both remotes' pre-receive hooks decline every push.
    Declined,
    /// Both remotes are gone before the run starts.
    Gone,
    /// Both remotes go away this long after the run starts.
    GoneAfter(Duration),
    /// No file the run writes may grow beyond this many blocks (`ulimit -f`).
    FileLimit(u32),
}

/// Every reference of a repository and the object it names.
fn refs(world: &World, repo: &Path) -> BTreeMap<String, String> {
    world
        .git(repo, &["for-each-ref", "--format=%(refname) %(objectname)"])
        .lines()
        .filter_map(|line| line.split_once(' ').map(|(name, object)| (name.to_owned(), object.to_owned())))
        .collect()
}

/// The repositories a run may touch: the release repository, its caches, and both remotes.
fn repositories(repos: &TwoRepos) -> Vec<PathBuf> {
    let caches = std::fs::read_dir(repos.release.join(".git/release/apps"))
        .map_or_else(|_| Vec::new(), |dir| dir.flatten().map(|entry| entry.path()).collect());
    [&repos.release, &repos.release_remote, &repos.app_remote].into_iter().cloned().chain(caches).collect()
}

/// What the repositories hold, and the release repository's work tree.
struct Snapshot {
    refs: BTreeMap<PathBuf, BTreeMap<String, String>>,
    work_tree: String,
}

impl Snapshot {
    fn take(world: &World, repos: &TwoRepos) -> Snapshot {
        Snapshot {
            refs: repositories(repos).into_iter().map(|repo| (repo.clone(), refs(world, &repo))).collect(),
            work_tree: world.git(&repos.release, &["status", "--porcelain"]),
        }
    }

    /// A refusal changed nothing but what a fetch records; a failure moved no tag, removed none,
    /// and moved no branch back.
    fn check_kept(&self, world: &World, repos: &TwoRepos, refused: bool, context: &str) {
        let after = Snapshot::take(world, repos);
        assert_eq!(self.work_tree, after.work_tree, "{context}: the work tree changed");
        for (repo, before) in &self.refs {
            let now = after.refs.get(repo).cloned().unwrap_or_default();
            for (name, object) in before {
                let kept = now.get(name);
                if name.starts_with("refs/remotes/") {
                    continue;
                }
                if refused || name.starts_with("refs/tags/") {
                    assert_eq!(kept, Some(object), "{context}: {name} in {}", repo.display());
                    continue;
                }
                let kept = kept.unwrap_or_else(|| panic!("{context}: {name} is gone from {}", repo.display()));
                let forward = world
                    .command("git", repo)
                    .args(["merge-base", "--is-ancestor", object, kept])
                    .status()
                    .expect("git runs");
                assert!(forward.success(), "{context}: {name} went back in {}", repo.display());
            }
            if refused {
                let added: Vec<_> =
                    now.keys().filter(|n| !n.starts_with("refs/remotes/") && !before.contains_key(*n)).collect();
                assert!(added.is_empty(), "{context}: a refusal added {added:?} to {}", repo.display());
            }
        }
    }
}

/// The run as a user would start it: the forge's token, short retries.
fn command(world: &World, repos: &TwoRepos, dialect: Dialect, args: &[String]) -> Command {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = world.release_command(&repos.release, &args);
    command.env(dialect.variable(), TOKEN).env("GIT_COMMITTER_DATE", super::crashes::LATER).envs(QUICK);
    command
}

/// The same command under `ulimit -f blocks`.
fn limited(inner: &Command, blocks: u32) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", &format!("ulimit -f {blocks} && exec \"$0\" \"$@\"")]);
    command.arg(inner.get_program()).args(inner.get_args());
    if let Some(dir) = inner.get_current_dir() {
        command.current_dir(dir);
    }
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
}

fn gone(path: &Path) -> PathBuf {
    path.with_extension("gone")
}

fn take_away(repos: &TwoRepos) {
    for remote in [&repos.app_remote, &repos.release_remote] {
        std::fs::rename(remote, gone(remote)).expect("the remote can be moved away");
    }
}

fn bring_back(repos: &TwoRepos) {
    for remote in [&repos.app_remote, &repos.release_remote] {
        if gone(remote).exists() {
            std::fs::rename(gone(remote), remote).expect("the remote can be moved back");
        }
    }
}

fn decline(repos: &TwoRepos, on: bool) {
    use std::os::unix::fs::PermissionsExt;
    for remote in [&repos.app_remote, &repos.release_remote] {
        let hook = remote.join("hooks/pre-receive");
        if on {
            std::fs::write(&hook, "#!/bin/sh\necho 'pushes are frozen today' >&2\nexit 1\n").expect("hook written");
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("hook made executable");
        } else {
            std::fs::remove_file(&hook).expect("hook removed");
        }
    }
}

/// Runs `command` under `fault` and returns what it printed.
fn run_under(repos: &TwoRepos, mut command: Command, fault: Outside) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    match fault {
        Outside::Declined => {
            decline(repos, true);
            let output = command.output().expect("git-release runs");
            decline(repos, false);
            output
        }
        Outside::Gone => {
            take_away(repos);
            let output = command.output().expect("git-release runs");
            bring_back(repos);
            output
        }
        Outside::GoneAfter(delay) => {
            let child = command.spawn().expect("git-release starts");
            std::thread::sleep(delay);
            take_away(repos);
            let output = child.wait_with_output().expect("git-release ends");
            bring_back(repos);
            output
        }
        Outside::FileLimit(blocks) => limited(&command, blocks).output().expect("git-release runs"),
    }
}

/// The first line of an error, checked to be one: `error: …`, and not a panic.
fn error_line<'a>(stderr: &'a str, context: &str) -> &'a str {
    assert!(!stderr.contains("panicked"), "{context}: {stderr}");
    stderr.lines().find(|line| line.starts_with("error: ")).unwrap_or_else(|| panic!("{context}: no error: {stderr}"))
}

/// How faulted runs ended.
#[derive(Default)]
struct Tally {
    runs: usize,
    finished: usize,
    refused: usize,
    failed: usize,
    /// Reruns that first had to do what the error's hint said.
    explained: usize,
}

fn outside(subject: Subject, faults: &[Outside], tally: &mut Tally) {
    let world = World::new();
    let forge = FakeForge::new(Dialect::Github, Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let pushes = matches!(subject, Subject::Set | Subject::Prepare | Subject::Record);
    for (run, &fault) in faults.iter().enumerate() {
        new_work(&world, &repos, subject, run);
        let mut context = format!("{subject:?} run {run} under {fault:?}");
        let cache = repos.release.join(".git/release/apps");
        if matches!(fault, Outside::FileLimit(_)) && run % 2 == 0 && cache.exists() {
            // As on a fresh machine: the application's cache is made anew, under the limit.
            std::fs::remove_dir_all(&cache).expect("the cache can be removed");
            context.push_str(", without a cache");
        }
        let before = Snapshot::take(&world, &repos);
        let output = run_under(&repos, command(&world, &repos, forge.dialect, &subject.args(run)), fault);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let status = output.status.code().unwrap_or_else(|| panic!("{context}: ended by a signal: {stderr}"));
        tally.runs += 1;
        match (fault, status) {
            // Promotions push nothing unless rebuilt, and read what the last fetch brought.
            (_, 0) if !matches!(fault, Outside::Declined | Outside::Gone) || !pushes => tally.finished += 1,
            // Moved away while its receive-pack ran, the remote fails to take the push, and says so.
            (Outside::GoneAfter(_), 1) => {
                assert!(error_line(&stderr, &context).contains("refused the push"), "{context}: {stderr}");
                tally.refused += 1;
            }
            (Outside::Declined, 1) => {
                assert!(error_line(&stderr, &context).contains("refused the push"), "{context}: {stderr}");
                assert!(stderr.contains(": pushes are frozen today\n"), "{context}: {stderr}");
                tally.refused += 1;
            }
            (Outside::Gone | Outside::GoneAfter(_), 128) => {
                error_line(&stderr, &context);
                assert!(stderr.contains("app.git") || stderr.contains("release.git"), "{context}: {stderr}");
                assert!(stderr.contains("\nhint: "), "{context}: {stderr}");
                tally.failed += 1;
            }
            (Outside::FileLimit(_), 128) => {
                error_line(&stderr, &context);
                assert!(stderr.contains("\nhint: "), "{context}: {stderr}");
                tally.failed += 1;
            }
            _ => panic!("{context}: exit {status}: {stderr}"),
        }
        before.check_kept(&world, &repos, status == 1, &context);
        check_tags(&world, &repos, &context);
        tally.explained += usize::from(rerun(&world, &repos, &forge, (subject, run), &context, true, || {
            command(&world, &repos, forge.dialect, &subject.args(run))
        }));
    }
}

#[test]
fn declined_pushes_vanished_remotes_and_full_files_lose_nothing() {
    let started = Instant::now();
    let mut dice = Dice::new(0x00FA_0175);
    let mut tally = Tally::default();
    let limits: Vec<u32> = if scale(0, 1) == 1 { vec![0, 1, 2, 4, 8, 16, 32, 64, 256, 1024] } else { vec![0, 2, 16] };
    for subject in Subject::WITH_SET {
        let mut faults = vec![Outside::Declined, Outside::Gone];
        for _ in 0..scale(2, 20) {
            faults.push(Outside::GoneAfter(Duration::from_millis(dice.below(400) as u64)));
        }
        faults.extend(limits.iter().map(|&blocks| Outside::FileLimit(blocks)));
        outside(subject, &faults, &mut tally);
    }
    figure(
        "faults outside",
        started,
        &format!(
            "{} runs of set --push, prepare, record, promote and reconcile under a declined push, vanished remotes \
             (before and during the run) and file-size limits of {:?} blocks: {} finished, {} refused with exit 1, \
             {} failed with exit 128, 0 tags moved or lost, 0 branches moved back, {} reruns converged ({} after \
             doing what the error's hint said)",
            tally.runs, limits, tally.finished, tally.refused, tally.failed, tally.runs, tally.explained
        ),
    );
}

/// A fault of the forge: what it does to which request, and how many tries it lasts.
#[derive(Debug, Clone, Copy)]
struct ForgeFault {
    fault: Fault,
    /// One try, which a retry gets past; or every try.
    lasting: bool,
}

const FORGE_FAULTS: [ForgeFault; 9] = [
    ForgeFault { fault: Fault::Status { status: 500, retry_after: None }, lasting: false },
    ForgeFault { fault: Fault::Status { status: 429, retry_after: Some(0) }, lasting: false },
    ForgeFault { fault: Fault::Drop, lasting: false },
    ForgeFault { fault: Fault::Hang, lasting: false },
    ForgeFault { fault: Fault::Lost, lasting: false },
    ForgeFault { fault: Fault::Status { status: 503, retry_after: None }, lasting: true },
    ForgeFault { fault: Fault::Drop, lasting: true },
    ForgeFault { fault: Fault::SignInPage, lasting: true },
    ForgeFault { fault: Fault::Malformed, lasting: true },
];

#[test]
fn forge_failures_at_every_request_end_plainly_and_a_rerun_finishes() {
    let started = Instant::now();
    let full = scale(0, 1) == 1;
    let dialects: &[Dialect] = if full { &Dialect::ALL } else { &[Dialect::Github, Dialect::Azure] };
    let mut dice = Dice::new(0x000F_0A6E);
    let mut tally = Tally::default();
    let mut missed = 0;
    for &dialect in dialects {
        let world = World::new();
        let forge = FakeForge::new(dialect, Some(TOKEN));
        let repos = auto_promoted(&world, &forge, "");
        let mut run = 0;
        for subject in [Subject::Promote, Subject::Reconcile] {
            // How many requests an undisturbed run makes: faults fall on each of them.
            new_work(&world, &repos, subject, run);
            let asked = forge.requests().len();
            let undisturbed = format!("{dialect:?} {subject:?} undisturbed");
            rerun(&world, &repos, &forge, (subject, run), &undisturbed, true, || {
                command(&world, &repos, dialect, &subject.args(run))
            });
            let requests = forge.requests().len() - asked;
            run += 1;
            let trials: Vec<(usize, ForgeFault)> = (0..requests)
                .flat_map(|at| FORGE_FAULTS.iter().map(move |&fault| (at, fault)))
                .filter(|_| full || dice.below(12) == 0)
                .collect();
            for (at, ForgeFault { fault, lasting }) in trials {
                new_work(&world, &repos, subject, run);
                let context =
                    format!("{dialect:?} {subject:?} run {run}, {fault:?} at request {at} (lasting {lasting})");
                let before = Snapshot::take(&world, &repos);
                for _ in 0..at {
                    forge.fault(Fault::Pass);
                }
                for _ in 0..if lasting { 2 } else { 1 } {
                    forge.fault(fault);
                }
                let output = command(&world, &repos, dialect, &subject.args(run)).output().expect("git-release runs");
                let unmet = forge.clear_faults();
                let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                let stderr = format!("{stderr}\n--- stdout\n{}", String::from_utf8_lossy(&output.stdout));
                let status = output.status.code().unwrap_or_else(|| panic!("{context}: ended by a signal"));
                tally.runs += 1;
                if unmet > usize::from(lasting) {
                    // The run ended before the request the fault waited for.
                    missed += 1;
                }
                match status {
                    0 => {
                        assert!(!lasting || unmet > 0, "{context}: a lasting fault met, yet exit 0: {stderr}");
                        tally.finished += 1;
                    }
                    128 => {
                        assert!(
                            lasting || matches!(fault, Fault::Lost),
                            "{context}: one failed try was not retried: {stderr}"
                        );
                        error_line(&stderr, &context);
                        tally.failed += 1;
                    }
                    _ => panic!("{context}: exit {status}: {stderr}"),
                }
                let open = forge.open_pulls().into_iter().filter(|p| p.target == "environment/prod").count();
                assert!(open <= 1, "{context}: {open} open pull requests into prod");
                before.check_kept(&world, &repos, false, &context);
                tally.explained += usize::from(rerun(&world, &repos, &forge, (subject, run), &context, true, || {
                    command(&world, &repos, forge.dialect, &subject.args(run))
                }));
                run += 1;
            }
        }
    }
    figure(
        "forge faults",
        started,
        &format!(
            "{} runs of promote and reconcile on {} forges, one fault at each request they make (5xx, 429, dropped, \
             hanging, answer lost after the change; lasting 503, dropped, sign-in page, broken JSON): {} finished, \
             {} failed with exit 128 ({missed} ended before the faulted request), never two open pull requests, \
             {} reruns converged",
            tally.runs,
            dialects.len(),
            tally.finished,
            tally.failed,
            tally.runs
        ),
    );
}
