//! `doctor`: each finding and its fix, on real repositories and the fake forge; and that it
//! writes nothing anywhere.

use crate::adopt::{adopt, infrastructure};
use crate::deploy::{TwoRepos, path};
use crate::fake_forge::FakeForge;
use crate::harness::{Transcript, World};
use crate::promote::TOKEN;
use crate::reconcile::edit_release_file;

fn finding(run: &Transcript, check: &str) -> serde_json::Value {
    let json = run.json();
    let found = json["findings"].as_array().expect("findings").iter().find(|f| f["check"] == check).cloned();
    found.unwrap_or_else(|| panic!("no {check} finding in {run}"))
}

/// A server on 127.0.0.1 that takes every connection and never answers; its port.
pub fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            open.push(stream);
        }
    });
    port
}

fn doctor(world: &World, dir: &std::path::Path) -> Transcript {
    world.release_with(dir, &["doctor", "--json"], &[("GITHUB_TOKEN", TOKEN)])
}

/// A release file on qa whose settings differ from main's, a branch without one while its pull
/// request waits, a token that may not push, protection the token may not read.
#[test]
fn doctor_names_each_broken_piece_with_its_fix_and_writes_nothing() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    adopt(&world, &infra, &forge, &[]).expect_status(0);

    let before = (world.state(&infra.work), world.state(&infra.bare), forge.requests().len());
    let waiting = doctor(&world, &infra.work);
    waiting.expect_status(1);
    let file = finding(&waiting, "release-file");
    assert_eq!(file["ok"], false);
    assert_eq!(
        file["hint"],
        "merge the pull request from release-init/main into main (a merge commit, not squashed); read it first: anyone who may push can change release-init/main"
    );
    // Found by an independent pass: the settings proposed there were read as the settings, and
    // anyone who may push can write them. Nothing else is judged until main holds its file.
    assert_eq!(waiting.json()["findings"].as_array().map(Vec::len), Some(1), "{waiting}");
    let after = (world.state(&infra.work), world.state(&infra.bare));
    assert_eq!((before.0, before.1), after, "doctor writes nothing");
    let asked: Vec<String> = forge.requests()[before.2..].iter().map(|(line, _)| line.clone()).collect();
    assert!(asked.iter().all(|line| line.starts_with("GET ")), "only reads: {asked:?}");

    forge.merge_by_hand(1, "merge");
    world.git(&infra.work, &["pull", "-q", "origin", "main"]);
    world.git(&infra.work, &["switch", "-q", "qa"]);
    std::fs::write(
        infra.work.join("release.toml"),
        world
            .show(&infra.work, "qa:release.toml")
            .replace("cut = \"final\"\n", "cut = \"final\"\nrequire-bump = true\n"),
    )
    .expect("edited");
    world.git(&infra.work, &["commit", "-q", "-am", "A setting of qa's own"]);
    world.git(&infra.work, &["push", "-q", "origin", "qa"]);
    // Found by an independent pass: doctor read the local qa, left behind what was fetched.
    world.git(&infra.work, &["reset", "-q", "--hard", "qa^"]);
    world.git(&infra.work, &["switch", "-q", "main"]);
    let differing = doctor(&world, &infra.work);
    let agree = finding(&differing, "settings-agree");
    assert_eq!(agree["ok"], false, "{differing}");
    assert_eq!(agree["message"], "release.toml on origin/qa differs from origin/main in more than its version");

    forge.state.lock().expect("state").read_only = true;
    forge.state.lock().expect("state").protection_hidden = true;
    let limited = doctor(&world, &infra.work);
    let reached = finding(&limited, "forge");
    assert_eq!(reached["ok"], false);
    assert_eq!(reached["message"], "GitHub answers, but the token may not push: promotions cannot be opened");
    assert_eq!(reached["hint"], "give the token write access to contents and pull requests");
    let protection = finding(&limited, "protection");
    assert_eq!(
        (protection["ok"].clone(), protection["message"].clone()),
        (
            serde_json::json!(true),
            serde_json::json!("GitHub does not let this token read the protection of stage, main: not checked")
        )
    );
}

/// Before init, doctor says what init does; a CI job that signs nothing is told to.
#[test]
fn doctor_before_init_points_at_init_and_a_ci_job_must_sign() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    let bare = doctor(&world, &infra.work);
    bare.expect_status(1);
    let file = finding(&bare, "release-file");
    assert!(
        file["hint"].as_str().is_some_and(|h| h.starts_with("in a release repository, git release init brings")),
        "{bare}"
    );

    adopt(&world, &infra, &forge, &[]).expect_status(0);
    forge.merge_by_hand(1, "merge");
    world.git(&infra.work, &["pull", "-q", "origin", "main"]);
    let in_ci = world.release_with(&infra.work, &["doctor", "--json"], &[("GITHUB_TOKEN", TOKEN), ("CI", "true")]);
    let signing = finding(&in_ci, "signing");
    assert_eq!(signing["ok"], false);
    assert_eq!(signing["message"], "this CI job makes records, and its tags are not signed");
    let trust = finding(&in_ci, "trust");
    assert_eq!(trust["ok"], false);
}

/// An application repository guarded by the release repository's settings: doctor there checks
/// that repository answers and the hook is installed.
#[test]
fn doctor_in_an_application_repository_checks_the_release_repository_and_its_hook() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = path(&repos.release_remote).to_owned();
    let install = ["hooks", "install", "--release", release.as_str(), "--release-branch", "environment/prod"];
    world.release(&repos.app_remote, &install).expect_status(0);
    let healthy = world.release(&repos.app_remote, &["doctor"]);
    healthy.expect_status(0).expect_stdout("ok    hooks               pre-receive is git-release's");
    healthy.expect_stdout("its environment/prod decides which tags this repository takes");

    world.git(&repos.app_remote, &["config", "release.repositoryBranch", "environment/nope"]);
    let wrong = world.release(&repos.app_remote, &["doctor"]);
    wrong.expect_status(1).expect_stdout("has no branch environment/nope");
    wrong.expect_stdout("fix: git release hooks install --release <tmp>/release.git");
}

/// The release file kept on every branch is compared on its settings, not its comments.
#[test]
fn doctor_reads_settings_not_comments() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    edit_release_file(&world, &repos.release, |text| format!("# a comment of dev's own\n{text}"));
    let run = world.release(&repos.release, &["doctor", "--json", "--offline"]);
    assert_eq!(finding(&run, "settings-agree")["ok"], true, "{run}");
}

/// Found by an independent pass: with no token at all doctor said the token may push; a hook git
/// skips (not executable) or one edited to do nothing passed; a pipeline whose gate job runs
/// nothing passed; an application repository that never answers held doctor forever.
#[test]
fn doctor_is_not_fooled_by_a_missing_token_a_dead_hook_a_hollow_pipeline_or_a_silent_server() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    std::fs::remove_file(infra.bare.join("hooks/pre-receive")).expect("main takes pushes here");
    adopt(&world, &infra, &forge, &[]).expect_status(0);
    world.git(&infra.work, &["pull", "-q", "origin", "main"]);

    let anonymous = world.release(&infra.work, &["doctor", "--json"]);
    let reached = finding(&anonymous, "forge");
    assert_eq!(reached["ok"], false, "{anonymous}");
    assert!(reached["message"].as_str().is_some_and(|m| m.contains("no token was sent")), "{anonymous}");
    assert!(!anonymous.stdout.contains("\"protection\""), "nothing is said of what could not be read");

    world.release(&infra.work, &["hooks", "install"]).expect_status(0);
    let hook = infra.work.join(".git/hooks/pre-push");
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let skipped = doctor(&world, &infra.work);
    assert_eq!(
        finding(&skipped, "hooks")["message"],
        "pre-push is git-release's, but it is not executable, so git skips it"
    );
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let text = std::fs::read_to_string(&hook).expect("the shim");
    std::fs::write(&hook, text.replacen('\n', "\nexit 0\n", 1)).expect("edited");
    let edited = doctor(&world, &infra.work);
    assert_eq!(
        finding(&edited, "hooks")["message"],
        "pre-push is git-release's, but it was edited since it was installed"
    );
    assert_eq!(finding(&edited, "hooks")["hint"], "git release hooks uninstall, then git release hooks install");

    // A gate workflow that runs nothing, on every branch.
    world.release(&infra.work, &["init", "--ci", "github"]).expect_status(0);
    std::fs::write(
        infra.work.join(".github/workflows/release-gate.yml"),
        "on: pull_request\njobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo fine\n",
    )
    .expect("hollowed");
    world.git(&infra.work, &["add", ".github", "deploy.sh"]);
    world.git(&infra.work, &["commit", "-q", "-m", "A pipeline"]);
    for branch in ["qa", "stage", "main"] {
        world.git(&infra.work, &["push", "-q", "-f", "origin", &format!("HEAD:{branch}")]);
    }
    world.git(&infra.work, &["fetch", "-q", "origin"]);
    let hollow = doctor(&world, &infra.work);
    let ci = finding(&hollow, "ci");
    assert_eq!(ci["ok"], false, "{hollow}");
    assert!(
        ci["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(".github/workflows/release-gate.yml on qa does not run git release gate")),
        "{hollow}"
    );
}

/// An application repository behind a server that takes the connection and never answers:
/// doctor gives up on it and says so.
#[test]
fn doctor_gives_up_on_an_application_repository_that_never_answers() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let silent = format!("http://127.0.0.1:{}/shop/app.git", silent_server());
    edit_release_file(&world, &repos.release, |text| text.replace(path(&repos.app_remote), &silent));
    let started = std::time::Instant::now();
    let run = world.release(&repos.release, &["doctor", "--json", "--config-from", "environment/prod"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "doctor came back in {:?}", started.elapsed());
    let app = finding(&run, "app-repository");
    assert_eq!(app["ok"], false, "{run}");
    assert!(app["message"].as_str().is_some_and(|m| m.contains("does not answer")), "{run}");
}

/// Found by an independent pass: main's pull request from init merged squashed left main without
/// the commit the others share, and nothing said so until a promotion met the conflict.
#[test]
fn doctor_finds_branches_that_do_not_share_the_commit_that_added_the_release_file() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    adopt(&world, &infra, &forge, &[]).expect_status(0);
    forge.merge_by_hand(1, "squash");
    world.git(&infra.work, &["pull", "-q", "origin", "main"]);
    let run = doctor(&world, &infra.work);
    let shared = finding(&run, "shared-history");
    assert_eq!(shared["ok"], false, "{run}");
    assert_eq!(
        shared["message"],
        "stage and main do not share the commit that added release.toml: a promotion between them meets a conflict in it"
    );
    assert!(
        shared["hint"].as_str().is_some_and(
            |h| h.starts_with("give main a merge that keeps its files: git switch main && git merge -s ours ")
        ),
        "{run}"
    );
}
