//! SIGKILL at random moments of `prepare`, `record`, `promote` and `reconcile`: sometimes the
//! tool alone (the git it started runs on, as when a runner kills one process), sometimes its
//! whole process group (as when a runner kills the job). Right after each kill no tag may point
//! at a wrong commit; a rerun must then finish the work, and every repository must pass fsck.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Dice, Tag, figure, scale, tags};
use crate::deploy::{TwoRepos, value};
use crate::fake_forge::{Dialect, FakeForge};
use crate::harness::World;
use crate::reconcile::{TOKEN, auto_promoted};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject {
    /// `set qa` with `--push`, which commits to the release repository and pushes it.
    Set,
    Prepare,
    Record,
    Promote,
    Reconcile,
}

impl Subject {
    const ALL: [Subject; 4] = [Subject::Prepare, Subject::Record, Subject::Promote, Subject::Reconcile];
    pub(super) const WITH_SET: [Subject; 5] =
        [Subject::Set, Subject::Prepare, Subject::Record, Subject::Promote, Subject::Reconcile];

    pub(super) fn args(self, run: usize) -> Vec<String> {
        let version = version(run);
        let args = match self {
            Subject::Set => vec!["set", "qa", &version, "--push"],
            Subject::Prepare => vec!["prepare", "qa"],
            Subject::Record => vec!["record", "qa", "--pipeline-url"],
            Subject::Promote => vec!["promote", "qa", "prod"],
            Subject::Reconcile => vec!["reconcile"],
        };
        let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        if self == Subject::Record {
            args.push(pipeline(run));
        }
        args
    }
}

/// The moment the runs under test start at: after the deployments `new_work` records, one a
/// minute from 11:00.
pub(super) const LATER: &str = "2026-11-21T23:00:00Z";

fn pipeline(run: usize) -> String {
    format!("https://ci.example.com/run/{run}")
}

/// The version run `run` of `set` gives qa.
fn version(run: usize) -> String {
    format!("1.5.{run}")
}

/// Gives `subject` something to do in run `run`: a new commit to prepare, a candidate to record,
/// or a later deployment to promote.
pub(super) fn new_work(world: &World, repos: &TwoRepos, subject: Subject, run: usize) {
    let release = &repos.release;
    match subject {
        Subject::Set => {}
        Subject::Prepare => {
            repos.app_commit(world, &format!("Change {run}"));
        }
        Subject::Record => {
            repos.app_commit(world, &format!("Change {run}"));
            world.release(release, &["prepare", "qa"]).expect_status(0);
        }
        Subject::Promote | Subject::Reconcile => {
            // Each deployment later than the last, and all before the harness's moment, when
            // the promotion runs: the newest rc is the one to promote.
            repos.app_commit(world, &format!("Change {run}"));
            world.release(release, &["prepare", "qa"]).expect_status(0);
            let at = format!("2026-11-21T{}:{:02}:00Z", 11 + run / 60, run % 60);
            world.release_with(release, &["record", "qa"], &[("GIT_COMMITTER_DATE", &at)]).expect_status(0);
        }
    }
}

/// What a kill did.
#[derive(Default)]
struct Tally {
    runs: usize,
    killed: usize,
    groups: usize,
    /// Reruns stopped by a lock file the killed git left, named in their hint.
    explained: usize,
}

/// The lock file a refusal's hint asks to remove.
fn held_lock(stderr: &str) -> Option<String> {
    let hint =
        stderr.lines().find(|l| l.starts_with("hint: a git command ") && l.contains(" was stopped while writing"))?;
    let (_, rest) = hint.split_once("remove ")?;
    rest.split_once(" and run this command again")
        .or_else(|| rest.split_once(" and run the command again"))
        .map(|(path, _)| path.to_owned())
}

fn group_alive(pid: u32) -> bool {
    let probe = Command::new("kill").args(["-0", "--", &format!("-{pid}")]).stderr(Stdio::null()).status();
    probe.is_ok_and(|s| s.success())
}

/// Starts the command, kills it after `delay` (with its group when `group`), waits until nothing
/// it started still runs, and tells whether the kill came before it finished.
fn kill_after(mut command: Command, delay: Duration, group: bool) -> bool {
    command.process_group(0).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = command.spawn().expect("git-release starts");
    let pid = child.id();
    std::thread::sleep(delay);
    let finished = child.try_wait().expect("the child can be asked").is_some();
    if !finished {
        if group {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
        } else {
            let _ = child.kill();
        }
    }
    let _ = child.wait();
    let waited = Instant::now();
    while group_alive(pid) {
        assert!(waited.elapsed() < Duration::from_secs(30), "what the killed run started never ends");
        std::thread::sleep(Duration::from_millis(10));
    }
    !finished
}

/// No rc names two commits, no commit has two rcs, every record sits on the commit it names,
/// and a tag held here and on the remote is the same tag in both.
pub(super) fn check_tags(world: &World, repos: &TwoRepos, context: &str) {
    let remote = tags(world, &repos.app_remote);
    let mut rc_of_commit: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, Tag { object, commit }) in &remote {
        if name.contains("-rc.") {
            let other = rc_of_commit.insert(commit, name);
            assert!(other.is_none(), "{context}: {commit} has {name} and {other:?}");
        } else if !name.starts_with('v') {
            let message = world.git(&repos.app_remote, &["cat-file", "tag", object]);
            assert!(message.contains(&format!("\nCommit: {commit}\n")), "{context}: {name} is on {commit}:\n{message}");
        }
    }
    let cache = repos.release.join(".git/release/apps");
    let caches = std::fs::read_dir(&cache).map_or_else(|_| Vec::new(), |d| d.flatten().map(|e| e.path()).collect());
    for local in caches.iter().map(std::path::PathBuf::as_path).chain([repos.release.as_path()]) {
        for (name, tag) in tags(world, local) {
            if let Some(on_remote) = remote.get(&name) {
                assert_eq!(&tag, on_remote, "{context}: {name} differs between {} and the remote", local.display());
            }
        }
    }
}

fn fsck(world: &World, repo: &Path, context: &str) {
    let output =
        world.command("git", repo).args(["fsck", "--no-dangling", "--no-progress"]).output().expect("fsck runs");
    assert!(
        output.status.success(),
        "{context}: fsck of {}: {}",
        repo.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The rerun finished what the killed run began.
fn check_converged(world: &World, repos: &TwoRepos, forge: &FakeForge, subject: Subject, run: usize, stdout: &str) {
    let context = format!("{subject:?} run {run}");
    match subject {
        Subject::Set => {
            let line = format!("version = \"{}\"", version(run));
            let pushed = world.git(&repos.release_remote, &["show", "environment/qa:release.toml"]);
            assert!(pushed.contains(&line), "{context}: the remote's qa says:\n{pushed}");
            let here = world.git(&repos.release, &["rev-parse", "environment/qa"]);
            assert_eq!(here, world.git(&repos.release_remote, &["rev-parse", "environment/qa"]), "{context}");
        }
        Subject::Prepare => {
            let head = world.git(&repos.app_remote, &["rev-parse", "refs/heads/main"]).trim().to_owned();
            assert_eq!(value(stdout, "commit"), head, "{context}");
            let tag = value(stdout, "tag");
            let remote = tags(world, &repos.app_remote);
            assert_eq!(remote.get(tag).map(|t| t.commit.as_str()), Some(head.as_str()), "{context}: {tag}");
        }
        Subject::Record => {
            let listing = world.git(&repos.app_remote, &["for-each-ref", "refs/tags", "--format=%(contents)%00"]);
            let line = format!("Pipeline: {}\n", pipeline(run));
            let records = listing.split('\0').filter(|message| message.contains(&line)).count();
            assert_eq!(records, 1, "{context}: one record of the pipeline");
        }
        Subject::Promote | Subject::Reconcile => {
            let open: Vec<_> = forge.open_pulls().into_iter().filter(|p| p.target == "environment/prod").collect();
            assert_eq!(open.len(), 1, "{context}: {open:#?}");
            let newest = tags(world, &repos.app_remote)
                .keys()
                .filter_map(|name| name.strip_prefix("v1.4.0-rc.").and_then(|n| n.parse::<u64>().ok()))
                .max();
            let tag = format!("v1.4.0-rc.{}", newest.expect("qa deployed candidates"));
            assert!(
                open[0].body.contains(&format!("\"{tag}\"")),
                "{context}: the pull request is for {tag}:\n{}",
                open[0].body
            );
        }
    }
}

/// Reruns with the disturbance gone until the work is finished, and checks it is. An error whose
/// hint says what to do is followed, as an operator would, at most twice: remove the lock file a
/// stopped git left, or (with `bring_in`) bring in what a run stopped after its push left on the
/// remote only. Says whether a hint had to be followed.
pub(super) fn rerun(
    world: &World,
    repos: &TwoRepos,
    forge: &FakeForge,
    (subject, run): (Subject, usize),
    context: &str,
    bring_in: bool,
    command: impl Fn() -> Command,
) -> bool {
    let mut output = command().output().expect("git-release runs");
    let mut explained = false;
    for _ in 0..2 {
        if output.status.success() {
            break;
        }
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if let Some(lock) = held_lock(&stderr) {
            assert!(Path::new(&lock).is_file(), "{context}: {lock} is named but absent");
            std::fs::remove_file(&lock).expect("the lock file can be removed");
        } else {
            let told = stderr.lines().find_map(|line| line.strip_prefix("hint: bring them in first: "));
            let told = told.filter(|_| bring_in).unwrap_or_else(|| panic!("{context}: the rerun failed: {stderr}"));
            let done = world.command("sh", &repos.release).args(["-c", told]).status().expect("sh runs");
            assert!(done.success(), "{context}: `{told}` failed");
        }
        explained = true;
        output = command().output().expect("git-release runs");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{context}: the rerun failed: {stderr}");
    check_converged(world, repos, forge, subject, run, &String::from_utf8_lossy(&output.stdout));
    check_tags(world, repos, context);
    for repo in [&repos.release, &repos.release_remote, &repos.app_remote] {
        fsck(world, repo, context);
    }
    explained
}

fn crash(subject: Subject, runs: usize, dice: &mut Dice, tally: &mut Tally) {
    let world = World::new();
    let forge = FakeForge::new(Dialect::Github, Some(TOKEN));
    forge.set_latency(Duration::from_millis(5));
    let repos = auto_promoted(&world, &forge, "");
    let release = &repos.release;
    let command = |args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut command = world.release_command(release, &args);
        // Later than every deployment `new_work` records.
        command.env(Dialect::Github.variable(), TOKEN).env("GIT_COMMITTER_DATE", LATER);
        command
    };
    // How long one run takes undisturbed: kills fall anywhere within it.
    let started = Instant::now();
    let mut first = command(&subject.args(runs));
    assert!(first.output().expect("git-release runs").status.success(), "{subject:?} runs undisturbed");
    let span = u64::try_from(started.elapsed().as_millis()).expect("milliseconds fit") * 5 / 4 + 1;

    for run in 0..runs {
        new_work(&world, &repos, subject, run);
        let delay = Duration::from_millis(dice.next() % span);
        let group = dice.below(2) == 0;
        let killed = kill_after(command(&subject.args(run)), delay, group);
        tally.runs += 1;
        tally.killed += usize::from(killed);
        tally.groups += usize::from(killed && group);
        let context =
            format!("{subject:?} run {run}, killed after {delay:?}{}", if group { " with its group" } else { "" });
        check_tags(&world, &repos, &context);

        let explained = rerun(&world, &repos, &forge, (subject, run), &context, false, || command(&subject.args(run)));
        tally.explained += usize::from(explained);
    }
}

#[test]
fn killed_runs_leave_no_wrong_tag_and_a_rerun_always_finishes() {
    let started = Instant::now();
    let per_subject = scale(3, 50);
    let mut dice = Dice::new(0x0000_DEAD_BEEF);
    let mut tally = Tally::default();
    for subject in Subject::ALL {
        crash(subject, per_subject, &mut dice, &mut tally);
    }
    figure(
        "crashes",
        started,
        &format!(
            "{} runs of prepare, record, promote and reconcile ({per_subject} each): {} killed mid-run ({} with their \
             git), {} reruns converged ({} after removing the lock file a killed git left, as the error's hint \
             said), 0 tags on a wrong commit, 0 fsck failures",
            tally.runs, tally.killed, tally.groups, tally.runs, tally.explained
        ),
    );
}
