use crate::harness::World;

#[test]
fn init_in_an_application_repository_creates_three_branches_from_head() {
    let world = World::new();
    let repo = world.repo("app");
    let head = world.git(&repo, &["rev-parse", "HEAD"]);
    let before = world.git(&repo, &["status", "--porcelain", "--ignored"]);

    let transcript = world.release(&repo, &["init"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(0);

    assert_eq!(world.git(&repo, &["rev-parse", "HEAD"]), head, "HEAD must not move");
    assert_eq!(world.git(&repo, &["status", "--porcelain", "--ignored"]), before, "index and work tree untouched");
    assert_eq!(world.git(&repo, &["symbolic-ref", "HEAD"]), "refs/heads/main\n");
    assert_eq!(world.git(&repo, &["config", "release.configRef"]), "refs/heads/environment/prod\n");
    for branch in ["environment/dev", "environment/qa", "environment/prod"] {
        let base = world.git(&repo, &["merge-base", "main", branch]);
        assert_eq!(base, head, "{branch} starts from HEAD");
        assert_eq!(world.show(&repo, &format!("{branch}:README")), "an application\n", "{branch} keeps the code");
    }
    assert!(world.show(&repo, "environment/dev:release.toml").contains("version = \"WIP\""));
    assert!(world.show(&repo, "environment/prod:release.toml").contains("version = \"0.1.0\""));
    let dev_parent = world.git(&repo, &["rev-parse", "environment/dev^"]);
    assert_eq!(dev_parent, world.git(&repo, &["rev-parse", "environment/qa"]), "all branches share history");
}

#[test]
fn init_in_an_empty_repository_writes_only_the_release_file() {
    let world = World::new();
    let repo = world.empty_repo("release", false);
    world.release(&repo, &["init", "--offline", "--app", "https://git.example.com/shop/app.git"]).expect_status(0);

    assert_eq!(world.git(&repo, &["ls-tree", "--name-only", "environment/qa"]), "release.toml\n");
    assert!(
        world.show(&repo, "environment/qa:release.toml").contains("repo = \"https://git.example.com/shop/app.git\"")
    );
    let unborn = world.command("git", &repo).args(["rev-parse", "--verify", "-q", "HEAD"]).output().expect("git runs");
    assert!(!unborn.status.success(), "HEAD stays unborn");
    let qa = world.git(&repo, &["rev-parse", "--short", "environment/qa"]);
    world
        .release(&repo, &["status"])
        .expect_status(0)
        .expect_stdout(&format!("environment/qa    {}  0.1.0", qa.trim()));
}

#[test]
fn init_in_a_bare_repository_with_named_environments() {
    let world = World::new();
    let repo = world.empty_repo("release.git", true);
    let transcript =
        world.release(&repo, &["init", "--env", "qa", "--env", "stage", "--env", "prod=main", "--version", "2.0.0"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(0);
    let status = world.release(&repo, &["status", "--json"]);
    let json = status.expect_status(0).json();
    let summary: Vec<String> = json["environments"]
        .as_array()
        .expect("environments is a list")
        .iter()
        .map(|e| format!("{} {} {} {}", e["name"], e["branch"], e["version"], e["cut"]))
        .collect();
    assert_eq!(
        summary,
        [
            r#""qa" "environment/qa" "2.0.0" "rc""#,
            r#""stage" "environment/stage" "2.0.0" "rc""#,
            r#""prod" "main" "2.0.0" "final""#,
        ]
    );
}

/// An environment branch that exists already keeps its history: the release file comes on top.
#[test]
fn init_adopts_an_environment_branch_that_exists() {
    let world = World::new();
    let repo = world.repo("app");
    world.git(&repo, &["branch", "environment/qa"]);
    let qa = world.git(&repo, &["rev-parse", "environment/qa"]);

    let transcript = world.release(&repo, &["init"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(0).expect_stdout("environment/qa    73b4607  0.1.0    added");
    assert_eq!(world.git(&repo, &["rev-parse", "environment/qa^"]), qa, "qa's commit is the parent of its new one");
    assert!(world.show(&repo, "environment/qa:release.toml").contains("version = \"0.1.0\""));
}

#[test]
fn init_dry_run_shows_the_file_and_the_steps_and_writes_nothing() {
    let world = World::new();
    let repo = world.repo("app");
    let before = world.state(&repo);
    let objects = world.git(&repo, &["count-objects"]);

    let transcript = world.release(&repo, &["init", "--dry-run"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(0).expect_stdout("+++ b/release.toml").expect_stdout("create refs/heads/environment/prod");
    transcript.expect_stdout("set git config release.configRef = refs/heads/environment/prod");
    assert_eq!(world.state(&repo), before);
    assert_eq!(world.git(&repo, &["count-objects"]), objects, "not even an object is written");
}

#[test]
fn init_refuses_invalid_names_before_writing_anything() {
    let world = World::new();
    let repo = world.repo("app");
    let before = world.state(&repo);
    world
        .release(&repo, &["init", "--env", "QA"])
        .expect_status(2)
        .expect_stderr("environment name `QA` is not allowed");
    world
        .release(&repo, &["init", "--env", "qa=bad..branch", "--env", "prod"])
        .expect_status(2)
        .expect_stderr("`bad..branch` is not a branch name git accepts: it contains '..'");
    world
        .release(&repo, &["init", "--version", "1.0..0"])
        .expect_status(2)
        .expect_stderr("`1.0..0` cannot be a version");
    assert_eq!(world.state(&repo), before);
}

/// A release file found at HEAD decides: arguments that would set other settings are refused,
/// and a second `init` keeps every branch as it is.
#[test]
fn init_keeps_the_release_file_it_finds_and_refuses_settings_it_would_overrule() {
    let world = World::new();
    let repo = world.repo("app");
    world.release(&repo, &["init"]).expect_status(0);
    world.git(&repo, &["checkout", "-q", "environment/qa"]);
    world.git(&repo, &["checkout", "-q", "-b", "copy"]);
    let before = world.state(&repo);
    let refused = world.release(&repo, &["init", "--env", "x"]);
    refused.expect_status(2).expect_stderr(
        "error: release.toml on environment/prod at 73b4607 decides the settings, and --env says otherwise\n",
    );
    refused.expect_stderr("hint: drop --env: init keeps the release.toml it found");
    // The run that wrote the settings may be given again, as automation does.
    world.release(&repo, &["init", "--version", "0.1.0", "-q"]).expect_status(0);
    world
        .release(&repo, &["init", "--version", "9.0.0"])
        .expect_status(2)
        .expect_stderr("and --version says otherwise");
    assert_eq!(world.state(&repo), before);

    let again = world.release(&repo, &["init"]);
    again.expect_status(0).expect_stdout("release.toml of environment/prod at 73b4607 on every environment branch:\n");
    again.expect_stdout("  environment/prod  73b4607  0.1.0    kept\n");
    assert_eq!(world.state(&repo), before, "nothing to do, nothing done");
}

/// Seen: `init --app ../typo.git` wrote a release file naming a repository that does not exist,
/// and every deployment failed later.
#[test]
fn init_refuses_an_application_repository_that_does_not_answer() {
    let world = World::new();
    let repo = world.repo("release");
    let before = world.state(&repo);
    let refused = world.release(&repo, &["init", "--app", "../typo.git"]);
    refused.expect_status(2).expect_stderr("error: --app ../typo.git: no application repository answers there\n");
    refused.expect_stderr("caused by: fatal: '../typo.git' does not appear to be a git repository");
    refused.expect_stderr("hint: where it is not reachable from here yet, --offline writes the release file");
    assert_eq!(world.state(&repo), before, "nothing written");
    world.release(&repo, &["init", "--offline", "--app", "../typo.git", "-q"]).expect_status(0);
}

/// Found by an independent pass: a hint printed `git push origin qa;touch${IFS}x`, which runs a
/// command when pasted. Names a shell reads otherwise are quoted.
#[test]
fn hints_quote_branch_names_a_shell_would_run() {
    let world = World::new();
    let repo = world.repo("app");
    let run = world.release(&repo, &["init", "--env", "qa=qa;touch${IFS}x", "--env", "prod=main"]);
    run.expect_status(0).expect_stderr("git push origin 'qa;touch${IFS}x' main\n");
}

/// Found by an independent pass: `init --app` held forever on a server that takes the connection
/// and never answers.
#[test]
fn init_gives_up_on_an_application_repository_that_never_answers() {
    let world = World::new();
    let repo = world.empty_repo("release", false);
    let port = crate::doctor::silent_server();
    let started = std::time::Instant::now();
    let run = world.release(&repo, &["init", "--app", &format!("http://127.0.0.1:{port}/shop/app.git")]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "init came back in {:?}", started.elapsed());
    run.expect_status(2).expect_stderr("no application repository answers there");
}
