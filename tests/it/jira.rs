//! Jira: `record` tells the issues a deployment carries, once; `promote --jira-issue` links the
//! pull request; failures are warnings unless `--jira-strict`. Against the fake Jira, in both
//! dialects.

use std::path::Path;

use serde_json::Value;

use crate::deploy::TwoRepos;
use crate::fake_forge::FakeForge;
use crate::fake_jira::{FakeJira, Fault, Flavour};
use crate::harness::{DATE, NOON, Transcript, World};
use crate::promote::point_at;
use crate::reconcile::edit_release_file;

const USER: &str = "releaser@example.com";
const TOKEN: &str = "jira_tok_0123SECRET";

/// Adds `[jira]` for the fake, with `extra` lines in the table, at the end of the release file.
fn point_jira_at(world: &World, release: &Path, jira: &FakeJira, extra: &str) {
    edit_release_file(world, release, |file| {
        format!("{file}\n[jira]\nurl = \"{}\"\nkind = \"{}\"\n{extra}", jira.url(), jira.flavour.kind())
    });
}

fn record(world: &World, release: &Path, site: &str, args: &[&str]) -> Transcript {
    let mut all = vec!["-v", "record", "qa", "--json"];
    all.extend_from_slice(args);
    // A deployment told with --at is recorded later that day; one without it, at the moment.
    let moment = if args.contains(&"--at") { NOON } else { DATE };
    let vars = [
        ("JIRA_USER", USER),
        ("JIRA_TOKEN", TOKEN),
        ("JIRA_URL", site),
        ("GIT_RELEASE_HTTP_BACKOFF_MS", "10"),
        ("GIT_COMMITTER_DATE", moment),
    ];
    let run = world.release_with(release, &all, &vars);
    assert!(!run.to_string().contains("SECRET"), "the token shows:\n{run}");
    run
}

fn outcomes(run: &Transcript) -> Vec<String> {
    run.json()["jira"]["issues"]
        .as_array()
        .unwrap_or_else(|| panic!("a jira report: {run}"))
        .iter()
        .map(|o| {
            let transition = o["transition"].as_str().map(|t| format!(" {t}")).unwrap_or_default();
            format!(
                "{} {}{transition}",
                o["key"].as_str().unwrap_or_default(),
                o["comment"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn posts(jira: &FakeJira) -> Vec<String> {
    jira.requests().into_iter().filter(|line| !line.starts_with("GET ")).collect()
}

/// The text of a comment as the fake keeps it: the string, or the ADF document's text nodes.
fn text(body: &Value) -> String {
    if let Value::String(text) = body {
        return text.clone();
    }
    let paragraphs = body["content"].as_array().expect("blocks");
    paragraphs
        .iter()
        .map(|p| p["content"].as_array().expect("nodes").iter().map(|n| n["text"].as_str().unwrap_or("")).collect())
        .collect::<Vec<String>>()
        .join("\n\n")
}

/// qa deploys the cart (SHOP-1), then payments and refunds (SHOP-2, and SHOP-3 by its branch
/// name); each issue gets one comment per deployment, however often it is recorded.
fn tells_each_issue_once(flavour: Flavour) {
    let world = World::new();
    let jira = FakeJira::new(flavour, USER, TOKEN);
    let site = jira.url();
    jira.add_issues(&["SHOP-1", "SHOP-2", "SHOP-3"]);
    for by_hand in ["Looks good", "Tested on dev", "Ready for qa"] {
        jira.comment_by_hand("SHOP-2", by_hand);
    }
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    point_jira_at(&world, release, &jira, "[jira.transitions]\nqa = \"Deploy to QA\"\n");

    repos.app_commit(&world, "SHOP-1: the cart keeps its items");
    world.release(release, &["set", "qa", "1.4.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let first = record(&world, release, &site, &["--at", "2026-11-21T10:20:00Z"]);
    first.expect_status(0);
    assert_eq!(outcomes(&first), ["SHOP-1 added moved"], "{flavour:?}: {first}");
    assert_eq!(jira.issue("SHOP-1").status, "In QA");

    repos.app_commit(&world, "SHOP-2: pay by card\n\nRefs SHOP-2.");
    repos.app_commit(&world, "Merge branch 'feature/SHOP-3-refunds'");
    let head = repos.app_commit(&world, "Tidy up the build");
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let args = ["--at", "2026-11-21T10:30:00Z", "--pipeline-url", "https://ci.example.com/runs/8"];
    let dry = record(&world, release, &site, &[&args[..], &["--dry-run"]].concat());
    dry.expect_status(0);
    assert_eq!(outcomes(&dry), ["SHOP-2 would add would move", "SHOP-3 would add would move"], "{dry}");
    assert!(posts(&jira).len() == 2, "a dry run writes nothing to Jira: {:?}", jira.requests());
    let second = record(&world, release, &site, &args);
    second.expect_status(0);
    assert_eq!(outcomes(&second), ["SHOP-2 added moved", "SHOP-3 added moved"], "{flavour:?}: {second}");
    let tag = second.json()["tag"].as_str().expect("a tag").to_owned();
    let comments = jira.issue("SHOP-2").comments;
    assert_eq!(comments.len(), 4, "{comments:?}");
    let said = text(&comments[3]);
    assert_eq!(
        said,
        format!(
            "Deployed to qa in 1.4.0-rc.2 (commit {}): https://ci.example.com/runs/8\n\n{}",
            &head[..7],
            match flavour {
                Flavour::Cloud => format!("Recorded by git-release as {tag}."),
                Flavour::DataCenter => format!("Recorded by git-release as {{{{{tag}}}}}."),
            }
        )
    );
    assert_eq!(jira.issue("SHOP-1").comments.len(), 1, "SHOP-1 was not deployed again");

    let before = posts(&jira).len();
    let mut human = vec!["record", "qa"];
    human.extend_from_slice(&args);
    let human = world.release_with(
        release,
        &human,
        &[("JIRA_USER", USER), ("JIRA_TOKEN", TOKEN), ("JIRA_URL", &site), ("GIT_COMMITTER_DATE", NOON)],
    );
    human.expect_status(0);
    let human = human.stdout;
    let again = record(&world, release, &site, &args);
    again.expect_status(0);
    assert_eq!(again.json()["created"], false);
    assert_eq!(outcomes(&again), ["SHOP-2 present", "SHOP-3 present"], "{flavour:?}: {again}");
    assert_eq!(posts(&jira).len(), before, "a rerun writes nothing to Jira: {:?}", jira.requests());
    for key in ["SHOP-2", "SHOP-3"] {
        let ours = jira.issue(key).comments.iter().filter(|c| text(c).contains(&tag)).count();
        assert_eq!(ours, 1, "{key} is told once");
    }
    assert!(jira.requests().iter().any(|r| r.contains("startAt=2")), "comments are read past the first page");
    assert!(human.contains("SHOP-2  told before"), "{human}");

    // SHOP-2 moves on; a retried qa pipeline does not move it back.
    jira.set_status("SHOP-2", "Done");
    let retried = record(&world, release, &site, &args);
    assert_eq!(outcomes(&retried), ["SHOP-2 present", "SHOP-3 present"], "{flavour:?}: {retried}");
    assert_eq!(jira.issue("SHOP-2").status, "Done");
    assert_eq!(posts(&jira).len(), before, "{:?}", jira.requests());
}

#[test]
fn record_tells_each_jira_cloud_issue_once() {
    tells_each_issue_once(Flavour::Cloud);
}

#[test]
fn record_tells_each_jira_data_center_issue_once() {
    tells_each_issue_once(Flavour::DataCenter);
}

#[test]
fn jira_failures_warn_unless_strict_and_a_rerun_finishes_the_job() {
    let world = World::new();
    let jira = FakeJira::new(Flavour::Cloud, USER, TOKEN);
    let site = jira.url();
    jira.add_issues(&["SHOP-1"]);
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    point_jira_at(&world, release, &jira, "");
    repos.app_commit(&world, "SHOP-1: the cart reads UTF-8 names");
    world.release(release, &["set", "qa", "1.4.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);

    jira.fault(Fault::Drop);
    jira.fault(Fault::Status(503));
    let warned = record(&world, release, &site, &["--jira-issue", "SHOP-77"]);
    warned.expect_status(0).expect_stderr("warning: Jira: cannot read the comments of SHOP-77");
    warned.expect_stderr("hint: check that SHOP-77 is an issue");
    assert!(!warned.stderr.contains("UTF-8 is"), "a key-like word Jira does not know is no warning: {warned}");
    assert_eq!(
        outcomes(&warned),
        ["SHOP-1 added", "UTF-8 unknown", "SHOP-77 failed"],
        "drops and 503s are retried: {warned}"
    );
    assert_eq!(warned.json()["created"], true, "the deployment is recorded all the same");

    let strict = record(&world, release, &site, &["--jira-issue", "SHOP-77", "--jira-strict"]);
    strict.expect_status(128).expect_stderr("error: Jira was not told everything (1 failed)");
    strict.expect_stderr("caused by: the deployment is recorded as ");
    assert_eq!(strict.json()["error"]["kind"], "forge", "{strict}");

    jira.add_issues(&["SHOP-77"]);
    // Jira keeps the comment, and the answer is lost on the way: it is not added again.
    jira.lose_answer_to_next_post();
    let rerun = record(&world, release, &site, &["--jira-issue", "SHOP-77", "--jira-strict"]);
    rerun.expect_status(0);
    assert_eq!(outcomes(&rerun), ["SHOP-1 present", "UTF-8 unknown", "SHOP-77 added"], "{rerun}");
    assert_eq!(jira.issue("SHOP-1").comments.len(), 1);
    assert_eq!(jira.issue("SHOP-77").comments.len(), 1, "a lost answer does not make a second comment");

    let unauthorized = world.release_with(
        release,
        &["record", "qa", "--jira-strict"],
        &[("JIRA_USER", USER), ("JIRA_TOKEN", "wrong-SECRET"), ("JIRA_URL", &site)],
    );
    unauthorized.expect_status(128).expect_stderr("Jira refused the token (HTTP 401)");
    unauthorized.expect_stderr("the token came from JIRA_USER and JIRA_TOKEN");
    assert!(!unauthorized.to_string().contains("SECRET"), "{unauthorized}");

    let no_user = world.release_with(release, &["record", "qa"], &[("JIRA_TOKEN", TOKEN), ("JIRA_URL", &site)]);
    no_user.expect_status(0).expect_stderr("warning: Jira Cloud takes an account's e-mail address with its API token");
    no_user.expect_stderr("hint: set JIRA_USER");

    // Strict, and Jira cannot be told from here: refused before anything is recorded.
    repos.app_commit(&world, "SHOP-1: more of the cart");
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let before = crate::deploy::tags(&world, &repos.app_remote);
    let refused =
        world.release_with(release, &["record", "qa", "--jira-strict"], &[("JIRA_TOKEN", TOKEN), ("JIRA_URL", &site)]);
    refused.expect_status(2).expect_stderr("error: Jira Cloud takes an account's e-mail address");
    let offline = world.release_with(
        release,
        &["--offline", "record", "qa", "--jira-strict"],
        &[("JIRA_TOKEN", TOKEN), ("JIRA_URL", &site)],
    );
    offline.expect_status(2).expect_stderr("error: --jira-strict and --offline contradict each other");
    assert_eq!(crate::deploy::tags(&world, &repos.app_remote), before, "nothing was recorded");
}

#[test]
fn promote_links_its_pull_request_on_the_issue_jira_automation_names() {
    let world = World::new();
    let forge = FakeForge::github(Some("gh_SECRET"));
    let jira = FakeJira::new(Flavour::DataCenter, "", TOKEN);
    let site = jira.url();
    jira.add_issues(&["SHOP-9"]);
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    point_at(&world, release, "github", &forge.api());
    point_jira_at(&world, release, &jira, "");
    // What a CI job started by Jira automation does: every input from a variable.
    let inputs = [
        ("GIT_RELEASE_ENVIRONMENT", "qa"),
        ("GIT_RELEASE_VERSION", "1.4.0"),
        ("GIT_RELEASE_FROM", "qa"),
        ("GIT_RELEASE_TO", "prod"),
        ("JIRA_ISSUE", "SHOP-9"),
        ("JIRA_TOKEN", TOKEN),
        ("JIRA_URL", &site),
        ("GITHUB_TOKEN", "gh_SECRET"),
    ];
    let set = world.release_with(release, &["set", "--push", "--json"], &inputs);
    set.expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    for round in 0..2 {
        let promoted = world.release_with(release, &["promote", "--json"], &inputs);
        promoted.expect_status(0);
        assert!(!promoted.to_string().contains("SECRET"), "{promoted}");
        let json = promoted.json();
        assert_eq!(json["action"], if round == 0 { "created" } else { "unchanged" }, "{promoted}");
        let told = if round == 0 { "added" } else { "present" };
        assert_eq!(json["jira"]["issues"][0]["comment"], told, "{promoted}");
    }
    let comments = jira.issue("SHOP-9").comments;
    assert_eq!(comments.len(), 1, "{comments:?}");
    let url = format!("https://github.example/shop/release/pull/{}", forge.open_pulls()[0].number);
    assert_eq!(text(&comments[0]), format!("Promote qa → prod: 1.4.0 (v1.4.0-rc.1): {url}"));

    let bad = world.release_with(release, &["promote", "qa", "prod", "--jira-issue", "shop-9"], &inputs);
    bad.expect_status(2).expect_stderr("error: --jira-issue (or JIRA_ISSUE) `shop-9` is not a Jira issue key");
}

#[test]
fn a_jira_table_that_cannot_work_is_refused_with_every_problem() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    edit_release_file(&world, release, |file| {
        format!(
            "{file}\n[jira]\nurl = \"https://bot:hunter2@jira.example.com\"\nkind = \"server\"\nkey-pattern = \"(\"\n\n\
             [jira.transitions]\nstaging = \"Deploy\"\n"
        )
    });
    let status = world.release(release, &["status"]);
    status.expect_status(2);
    status.expect_stderr("[jira] url holds credentials; drop them and set JIRA_TOKEN (and JIRA_USER) instead");
    status.expect_stderr("[jira] kind `server` is unknown; use cloud or data-center");
    status.expect_stderr("[jira] key-pattern: `(` is not a regular expression");
    status.expect_stderr("[jira.transitions] names `staging`, which is not an environment (dev, qa, prod)");
    assert!(!status.to_string().contains("hunter2"), "{status}");
}

#[test]
fn without_jira_variables_the_token_comes_from_git_credential_helpers() {
    let world = World::new();
    let jira = FakeJira::new(Flavour::Cloud, USER, TOKEN);
    jira.add_issues(&["SHOP-5"]);
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    point_jira_at(&world, release, &jira, "");
    let helper = format!(
        "!f() {{ test \"$1\" = get && grep -q 'host=127.0.0.1:{}' && printf 'username={USER}\\npassword={TOKEN}\\n'; }}; f",
        jira.port
    );
    world.git(release, &["config", "credential.helper", &helper]);
    repos.app_commit(&world, "SHOP-5: search");
    world.release(release, &["set", "qa", "1.4.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    jira.add_issues(&["SHOP-6"]);
    let run =
        world.release_with(release, &["-v", "record", "qa", "--json", "--jira-strict"], &[("JIRA_ISSUE", "SHOP-6")]);
    run.expect_status(0);
    assert!(!run.to_string().contains("SECRET"), "{run}");
    assert_eq!(outcomes(&run), ["SHOP-5 added", "SHOP-6 added"], "{run}");
    assert_eq!(jira.issue("SHOP-5").comments.len(), 1);
}
