use crate::deploy::one_repo;
use crate::harness::{DATE, NOON, SHOP_FILE, World};

#[test]
fn status_lists_every_environment_in_config_order() {
    let world = World::new();
    let repo = world.repo("app");
    world.release(&repo, &["init"]).expect_status(0);
    world.release(&repo, &["set", "qa", "1.4.0"]).expect_status(0);

    let transcript = world.release(&repo, &["status"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(0);

    let json = world.release(&repo, &["status", "--json"]);
    insta::assert_snapshot!(json.to_string());
    let qa = &json.json()["environments"][1];
    assert_eq!(qa["version"], "1.4.0");
    assert_eq!(qa["deployed"], serde_json::Value::Null);
}

#[test]
fn status_works_whatever_is_checked_out() {
    let world = World::new();
    let repo = world.repo("app");
    world.release(&repo, &["init"]).expect_status(0);
    world.git(&repo, &["checkout", "-q", "--detach", "main"]);
    world.release(&repo, &["status"]).expect_status(0).expect_stdout("prod (restricted)");
    world.git(&repo, &["checkout", "-q", "environment/qa"]);
    world.release(&repo, &["status"]).expect_status(0).expect_stdout("0.1.0");
}

#[test]
fn a_fresh_clone_reads_remote_branches_and_shows_missing_ones() {
    let world = World::new();
    let origin = world.repo("origin");
    world.release(&origin, &["init"]).expect_status(0);
    world.git(world.path("").as_path(), &["clone", "-q", origin.to_str().expect("utf-8 path"), "clone"]);
    let clone = world.path("clone");
    world.git(&origin, &["branch", "-D", "environment/prod"]);
    world.git(&clone, &["branch", "-r", "-d", "origin/environment/prod"]);

    let transcript = world.release(&clone, &["status"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript
        .expect_status(0)
        .expect_stdout("origin/environment/qa")
        .expect_stderr("hint: missing branches: environment/prod");
    let json = world.release(&clone, &["status", "--json"]).json();
    assert_eq!(json["environments"][1]["ref"], "refs/remotes/origin/environment/qa");
    assert_eq!(json["environments"][2]["head"], serde_json::Value::Null);
}

#[test]
fn status_outside_a_repository_fails_with_128() {
    let world = World::new();
    let dir = world.path("nothing");
    std::fs::create_dir_all(&dir).expect("dir can be created");
    let transcript = world.release(&dir, &["status"]);
    transcript.expect_status(128).expect_stderr("error: <tmp>/nothing is not inside a git repository");
    transcript.expect_stderr("hint: run it inside a repository, or point at one with -C <path>");
    let json = world.release(&dir, &["status", "--json"]);
    json.expect_status(128);
    assert_eq!(json.json()["error"]["kind"], "git");
}

#[test]
fn status_without_any_release_file_explains_what_to_do() {
    let world = World::new();
    let repo = world.repo("app");
    let transcript = world.release(&repo, &["status"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(2);
}

#[test]
fn config_from_reads_another_revision() {
    let world = World::new();
    let repo = world.repo("app");
    world.release(&repo, &["init"]).expect_status(0);
    world.git(&repo, &["config", "--unset", "release.configRef"]);
    world
        .release(&repo, &["--config-from", "environment/prod", "status"])
        .expect_status(0)
        .expect_stdout("environment/prod");
    world
        .release(&repo, &["status", "--config-from", "main"])
        .expect_status(2)
        .expect_stderr("error: release.toml is not in main");
}

#[test]
fn a_gate_without_the_application_repository_says_what_fetches_it() {
    let world = World::new();
    let repo = world.repo("release");
    // The application repository is a remote that was never fetched here.
    let file = SHOP_FILE.replace("repo = \".\"", "repo = \"https://127.0.0.1:9/shop.git\"");
    world.commit_release_file(&repo, "environment/prod", file.replace("1.0.0", "0.9.0").as_bytes());
    world.commit_release_file(&repo, "environment/qa", file.as_bytes());

    let status = world.release(&repo, &["status", "--json"]);
    status.expect_status(0);
    let gate = &status.json()["environments"][1]["gate"];
    assert_eq!(gate["allowed"], false);
    let finding = gate["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "previous-deployed")
        .expect("a previous-deployed finding")
        .clone();
    assert_eq!(finding["ok"], false);
    let message = finding["message"].as_str().expect("a message");
    assert!(
        message.contains(
            "https://127.0.0.1:9/shop.git has not been fetched here; 'git release gate --target prod' fetches it when online"
        ),
        "{message}"
    );
    world.release(&repo, &["status"]).expect_status(0).expect_stdout("refused: release-candidate, previous-deployed");
}

/// `status` reads the records through `.git/release/records-index` once packed-refs holds them.
/// The index only chooses which lines of packed-refs to read, so what `status` shows is what a
/// full scan shows: with records packed, one newer and loose, one dated after the horizon, one
/// deleted, a loose tag hiding a packed one, and the index itself cut short.
#[test]
fn the_records_index_never_changes_what_status_shows() {
    let world = World::new();
    let (repo, _) = one_repo(&world);
    let index = repo.join(".git/release/records-index");
    world.git(&repo, &["checkout", "-q", "qa"]);
    // A change to qa, deployed there at `at`, with the clock at `moment`.
    let deploy_qa = |change: &str, at: &str, moment: &str| {
        std::fs::write(repo.join("app.txt"), change).expect("the work tree is writable");
        world.git(&repo, &["commit", "-q", "-am", change]);
        world.git(&repo, &["push", "-q", "origin", "qa"]);
        world.release_at(&repo, &["prepare", "qa"], moment).expect_status(0);
        world.release_at(&repo, &["record", "qa", "--at", at], moment).expect_status(0);
    };
    std::fs::write(repo.join("app.txt"), "").expect("the work tree is writable");
    world.git(&repo, &["add", "app.txt"]);
    deploy_qa("Ready for qa", "2026-11-21T09:00:00Z", DATE);
    world.release(&repo, &["record", "dev", "--commit", "qa", "--at", "2026-11-21T09:30:00Z"]).expect_status(0);
    world.git(&repo, &["pack-refs", "--all"]);
    // A full scan, and the index it leaves.
    let status = |moment: &str| -> serde_json::Value {
        world.release_at(&repo, &["--offline", "status", "--json"], moment).expect_status(0).json()
    };
    let full = |moment: &str| {
        let _ = std::fs::remove_file(&index);
        let shown = status(moment);
        assert!(index.is_file(), "a full scan of packed records writes the index");
        shown
    };
    let scanned = full(DATE);
    assert_eq!(scanned["environments"][1]["deployed"]["time"], "2026-11-21T09:00:00Z", "{scanned}");
    assert_eq!(status(DATE), scanned, "read through the index");

    // A newer deployment, loose until packed; and one dated after the horizon of 10:15.
    deploy_qa("More for qa", "2026-11-21T10:00:00Z", DATE);
    let loose = status(DATE);
    assert_eq!(loose["environments"][1]["deployed"]["time"], "2026-11-21T10:00:00Z", "{loose}");
    assert_eq!(loose, full(DATE));
    deploy_qa("Yet more for qa", "2026-11-21T11:59:00Z", NOON);
    world.git(&repo, &["pack-refs", "--all"]);
    let packed = status(DATE);
    assert_eq!(packed["environments"][1]["deployed"]["time"], "2026-11-21T10:00:00Z", "after the horizon: {packed}");
    assert_eq!(packed, full(DATE));
    assert_eq!(status(NOON)["environments"][1]["deployed"]["time"], "2026-11-21T11:59:00Z");

    // Deleting a packed record rewrites packed-refs: the index of the old file is not used.
    let newest = world.git(&repo, &["tag", "-l", "*T1000*.qa"]).trim().to_owned();
    world.git(&repo, &["tag", "-d", &newest]);
    let deleted = status(DATE);
    assert_eq!(deleted["environments"][1]["deployed"]["time"], "2026-11-21T09:00:00Z", "{deleted}");
    assert_eq!(deleted, full(DATE));

    // A loose tag of the same name hides the packed record, whatever the index says.
    let oldest = world.git(&repo, &["tag", "-l", "*T0900*.qa"]).trim().to_owned();
    let head = world.git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    std::fs::write(repo.join(".git/refs/tags").join(&oldest), format!("{head}\n")).expect("a loose tag is written");
    let hidden = status(DATE);
    assert_eq!(hidden["environments"][1]["deployed"], serde_json::Value::Null, "{hidden}");
    assert_eq!(hidden, full(DATE));

    // An index cut short is not believed.
    let bytes = std::fs::read(&index).expect("the index is there");
    std::fs::write(&index, &bytes[..bytes.len() / 2]).expect("the index is cut");
    assert_eq!(status(DATE), hidden);

    // Found by the independent pass: a pipe in its place made status wait forever, and a link
    // there was read through and written through.
    std::fs::remove_file(&index).expect("the index is removed");
    let made = world.command("mkfifo", &repo).arg(&index).status().expect("mkfifo runs");
    assert!(made.success());
    let mut child = world
        .release_command(&repo, &["--offline", "status", "--json"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("git-release starts");
    let started = std::time::Instant::now();
    while child.try_wait().expect("the run is watched").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().expect("the run is stopped");
            panic!("status waits on a pipe in place of the index");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(status(DATE), hidden);
    std::fs::remove_file(&index).expect("the pipe is removed");
    let victim = world.path("victim.txt");
    std::fs::write(&victim, "kept\n").expect("the victim is written");
    std::os::unix::fs::symlink(&victim, &index).expect("a link is planted");
    assert_eq!(status(DATE), hidden);
    assert_eq!(std::fs::read_to_string(&victim).expect("the victim is there"), "kept\n");
    assert!(index.symlink_metadata().expect("the index is there").is_file(), "the link was replaced by an index");
}
