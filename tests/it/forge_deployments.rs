//! Forge-native deployments: every record also tells the forge, where it has a deployments API,
//! that the environment runs that commit, once per record. On the fake forge in GitHub's,
//! GitLab's and Bitbucket Data Center's dialects, backed by the release repository's remote,
//! which refuses deployments of commits it lacks as the real forges do.

use serde_json::Value;

use crate::deploy::TwoRepos;
use crate::fake_forge::{Deployment, Dialect, FakeForge, Fault};
use crate::harness::{NOON, Transcript, World};
use crate::promote::point_at;
use crate::reconcile::TOKEN;

/// The pipeline of the `n`th deployment.
fn pipeline(n: u32) -> String {
    format!("https://ci.example.com/shop/release/runs/{n}")
}

/// `record <env>` as the `n`th pipeline runs it, at ten past ten plus `n` minutes.
fn record(world: &World, repos: &TwoRepos, forge: &FakeForge, env: &str, n: u32, extra: &[&str]) -> Transcript {
    let url = pipeline(n);
    let at = format!("2026-11-21T10:{:02}:00Z", 10 + n);
    let mut args = vec!["record", env, "--json", "--pipeline-url", &url, "--at", &at];
    args.extend_from_slice(extra);
    world.release_with(&repos.release, &args, &[(forge.dialect.variable(), TOKEN), ("GIT_COMMITTER_DATE", NOON)])
}

/// The demo's release with a forge: the release repository published on the fake forge.
fn on_forge(world: &World, dialect: Dialect) -> (TwoRepos, FakeForge) {
    let forge = FakeForge::new(dialect, Some(TOKEN));
    let repos = TwoRepos::new(world);
    point_at(world, &repos.release, dialect.kind(), &forge.api());
    forge.back_with(&repos.release_remote);
    (repos, forge)
}

/// qa set to 1.0.0 and its first candidate prepared: what a record of qa records.
fn qa_prepared(world: &World, release: &std::path::Path) {
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
}

/// The release commit a record names, which the forge's deployment is of in this layout.
fn release_commit(world: &World, repos: &TwoRepos, tag: &str) -> String {
    let message = world.git(&repos.app_remote, &["cat-file", "-p", &format!("refs/tags/{tag}")]);
    message
        .lines()
        .find_map(|line| line.strip_prefix("Release-Commit: "))
        .unwrap_or_else(|| panic!("{tag} names its release commit:\n{message}"))
        .to_owned()
}

fn told(run: &Transcript) -> String {
    run.json()["forge"]["told"].as_str().unwrap_or_default().to_owned()
}

/// The demo's flow (qa deploys rc.1, then rc.2, prod deploys 1.0.0), each record run twice: one
/// deployment per record, of the release commit that asked for it, each with a success; the
/// rerun tells the forge nothing new. Returns the records' tags.
///
/// qa's branch asks for 1.0.0 at both of its deployments: GitLab, whose deployments carry no
/// note of the record, already shows qa running that release commit, and is told once.
fn demo_flow(world: &World, repos: &TwoRepos, forge: &FakeForge) -> Vec<String> {
    let notes_records = forge.dialect != Dialect::Gitlab;
    let release = &repos.release;
    let mut tags = Vec::new();
    qa_prepared(world, release);
    for (n, env) in [(1, "qa"), (2, "qa"), (3, "prod")] {
        if n == 2 {
            repos.app_commit(world, "Second feature");
            world.release(release, &["prepare", "qa"]).expect_status(0);
        }
        if n == 3 {
            world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
            world.release_at(release, &["prepare", "prod"], NOON).expect_status(0);
        }
        let first = record(world, repos, forge, env, n, &[]);
        first.expect_status(0);
        let expected = if n == 2 && !notes_records { "present" } else { "created" };
        assert_eq!(told(&first), expected, "{:?}: {first}", forge.dialect);
        let again = record(world, repos, forge, env, n, &[]);
        again.expect_status(0);
        assert_eq!(again.json()["created"], false, "{again}");
        assert_eq!(told(&again), "present", "{:?}: a rerun adds none: {again}", forge.dialect);
        tags.push(first.json()["tag"].as_str().expect("a tag").to_owned());
    }
    let deployments = forge.deployments();
    let told_of: Vec<&String> =
        tags.iter().enumerate().filter(|(n, _)| notes_records || *n != 1).map(|(_, t)| t).collect();
    assert_eq!(deployments.len(), told_of.len(), "{:?}: one deployment per record: {deployments:#?}", forge.dialect);
    for (made, tag) in deployments.iter().zip(told_of) {
        assert_eq!(made.environment, tag.rsplit('.').next().unwrap_or_default(), "{made:?}");
        assert_eq!(made.sha, release_commit(world, repos, tag), "{:?}: {made:?}", forge.dialect);
    }
    tags
}

fn states(made: &Deployment) -> Vec<&str> {
    made.statuses.iter().map(|status| status.state.as_str()).collect()
}

#[test]
fn the_demo_flow_on_github_makes_one_deployment_per_record_with_its_pipeline() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Github);
    let tags = demo_flow(&world, &repos, &forge);
    let deployments = forge.deployments();
    for (n, (made, tag)) in deployments.iter().zip(&tags).enumerate() {
        assert_eq!(made.payload["git-release"]["record"], tag.as_str(), "{made:?}");
        let success = made.statuses.iter().find(|s| s.state == "success").expect("a success status");
        let n = u32::try_from(n + 1).expect("few");
        assert_eq!(success.log_url.as_deref(), Some(pipeline(n).as_str()), "{made:?}");
    }
    // auto_inactive: qa's first deployment went inactive when its second succeeded.
    assert_eq!(states(&deployments[0]), ["success", "inactive"]);
    assert_eq!(states(&deployments[1]), ["success"]);
    assert_eq!(states(&deployments[2]), ["success"]);
}

#[test]
fn the_demo_flow_on_gitlab_makes_one_deployment_per_record() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Gitlab);
    demo_flow(&world, &repos, &forge);
    let deployments = forge.deployments();
    assert!(deployments.iter().all(|made| states(made) == ["success"]), "{deployments:#?}");
    let prod = deployments.last().expect("prod's deployment");
    assert_eq!(
        (prod.environment.as_str(), prod.reference.as_str()),
        ("prod", "environment/prod"),
        "the branch deployed"
    );
}

#[test]
fn the_demo_flow_on_bitbucket_data_center_makes_one_deployment_per_record() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::BitbucketServer);
    let tags = demo_flow(&world, &repos, &forge);
    let deployments = forge.deployments();
    for (n, (made, tag)) in deployments.iter().zip(&tags).enumerate() {
        assert_eq!(states(made), ["SUCCESSFUL"], "{made:?}");
        assert_eq!(made.payload["displayName"], tag.as_str(), "{made:?}");
        let n = u32::try_from(n + 1).expect("few");
        assert_eq!(made.statuses[0].log_url.as_deref(), Some(pipeline(n).as_str()), "{made:?}");
    }
}

#[test]
fn an_older_record_run_again_does_not_tell_the_forge_the_environment_went_back() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Github);
    let tags = demo_flow(&world, &repos, &forge);
    let first = world.git(&repos.app_remote, &["rev-parse", &format!("refs/tags/{}^{{commit}}", tags[0])]);
    let old = record(&world, &repos, &forge, "qa", 1, &["--commit", first.trim()]);
    old.expect_status(0);
    assert_eq!(old.json()["tag"], tags[0].as_str(), "the same record: {old}");
    let skipped = old.json()["forge"]["skipped"].as_str().unwrap_or_default().to_owned();
    assert!(skipped.contains("the forge hears of the newest only"), "{old}");
    assert_eq!(forge.deployments().len(), 3);
}

/// GitHub, with qa prepared, refusing the next request as a token without the right is refused.
fn refusing_once(world: &World) -> (TwoRepos, FakeForge) {
    let (repos, forge) = on_forge(world, Dialect::Github);
    qa_prepared(world, &repos.release);
    forge.fault(Fault::Said { status: 403, message: "Resource not accessible by integration", retry_after: None });
    (repos, forge)
}

#[test]
fn a_forge_that_fails_is_a_warning_and_the_rerun_tells_it() {
    let world = World::new();
    let (repos, forge) = refusing_once(&world);
    let warned = record(&world, &repos, &forge, "qa", 1, &[]);
    warned.expect_status(0).expect_stderr("warning: GitHub was not told of the deployment");
    warned.expect_stderr("Resource not accessible by integration").expect_stderr("deployments: write");
    assert_eq!(warned.json()["created"], true, "the record is made all the same: {warned}");
    assert!(!warned.to_string().contains("SECRET"), "{warned}");
    assert!(forge.deployments().is_empty());
    let again = record(&world, &repos, &forge, "qa", 1, &[]);
    again.expect_status(0);
    assert_eq!(told(&again), "created", "{again}");
    assert_eq!(forge.deployments().len(), 1);
}

#[test]
fn forge_strict_fails_when_the_forge_cannot_be_told() {
    let world = World::new();
    let (repos, forge) = refusing_once(&world);
    let failed = record(&world, &repos, &forge, "qa", 1, &["--forge-strict"]);
    failed.expect_status(128).expect_stderr("error: GitHub was not told of the deployment");
    failed.expect_stderr("the deployment is recorded as 1.0.0.").expect_stderr("run the same command again");
    let again = record(&world, &repos, &forge, "qa", 1, &["--forge-strict"]);
    again.expect_status(0);
    assert_eq!(told(&again), "created", "{again}");
}

#[test]
fn forge_strict_on_a_forge_without_deployments_writes_nothing() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Gitea);
    let release = &repos.release;
    qa_prepared(&world, release);
    let before = crate::deploy::tags(&world, &repos.app_remote);
    let refused = record(&world, &repos, &forge, "qa", 1, &["--forge-strict"]);
    refused.expect_status(2).expect_stderr("error: --forge-strict was given, but Gitea has no deployments API");
    assert_eq!(crate::deploy::tags(&world, &repos.app_remote), before, "no record made");
    let plain = record(&world, &repos, &forge, "qa", 1, &[]);
    plain.expect_status(0);
    assert_eq!(told(&plain), "no-api", "{plain}");
    assert!(!plain.stderr.contains("warning"), "a forge without the API is no failure: {plain}");
}

#[test]
fn deployments_false_leaves_the_forge_alone() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Github);
    let release = &repos.release;
    crate::reconcile::edit_release_file(&world, release, |file| {
        file.replace("[forge]\n", "[forge]\ndeployments = false\n")
    });
    qa_prepared(&world, release);
    let quiet = record(&world, &repos, &forge, "qa", 1, &[]);
    quiet.expect_status(0);
    assert!(quiet.json().get("forge").is_none(), "{quiet}");
    assert!(forge.deployments().is_empty());
    assert!(forge.requests().iter().all(|(line, _)| !line.contains("deployments")), "{:?}", forge.requests());
}

#[test]
fn the_environment_url_goes_with_the_success() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Github);
    let release = &repos.release;
    crate::reconcile::edit_release_file(&world, release, |file| {
        file.replacen("name = \"qa\"\n", "name = \"qa\"\nurl = \"https://qa.shop.example\"\n", 1)
    });
    qa_prepared(&world, release);
    record(&world, &repos, &forge, "qa", 1, &[]).expect_status(0);
    let deployments = forge.deployments();
    assert_eq!(deployments[0].statuses[0].environment_url.as_deref(), Some("https://qa.shop.example"));
    let value: Value = deployments[0].payload.clone();
    assert!(value["git-release"]["commit"].as_str().is_some_and(|c| c.len() == 40), "{value}");
}

#[test]
fn a_dry_run_says_what_the_forge_would_be_told_and_tells_it_nothing() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Github);
    let release = &repos.release;
    qa_prepared(&world, release);
    let dry = record(&world, &repos, &forge, "qa", 1, &["--dry-run"]);
    dry.expect_status(0);
    assert_eq!(told(&dry), "would-create", "{dry}");
    assert!(forge.deployments().is_empty());
    assert!(forge.requests().iter().all(|(line, _)| line.starts_with("GET ")), "only reads: {:?}", forge.requests());
}

#[test]
fn a_lost_answer_to_the_new_deployment_makes_no_second_one() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Github);
    let release = &repos.release;
    qa_prepared(&world, release);
    // The list is answered; the new deployment is made, but its answer never arrives.
    forge.fault(Fault::Pass);
    forge.fault(Fault::Lost);
    let run = record(&world, &repos, &forge, "qa", 1, &[]);
    run.expect_status(0);
    assert_eq!(told(&run), "created", "{run}");
    let deployments = forge.deployments();
    assert_eq!(deployments.len(), 1, "one deployment, found again after the lost answer: {deployments:#?}");
    assert_eq!(states(&deployments[0]), ["success"]);
}

#[test]
fn a_forged_record_cannot_point_the_forge_at_another_release_commit() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Github);
    let release = &repos.release;
    qa_prepared(&world, release);
    let real = world.release_with(release, &["record", "qa", "--json"], &[(forge.dialect.variable(), TOKEN)]);
    real.expect_status(0);
    let tag = real.json()["tag"].as_str().expect("a tag").to_owned();
    let asked = release_commit(&world, &repos, &tag);
    // Someone who may push tags and a branch: a commit of their own in the release remote, and
    // a record-shaped tag a second later, on the same deployed commit, naming that commit.
    world.git(release, &["checkout", "-q", "-b", "evil", "environment/qa"]);
    world.git(release, &["commit", "-q", "--allow-empty", "-m", "Not reviewed"]);
    world.git(release, &["push", "-q", "origin", "evil"]);
    let evil = world.git(release, &["rev-parse", "HEAD"]).trim().to_owned();
    let deployed = real.json()["commit"].as_str().expect("a commit").to_owned();
    let message = world.git(&repos.app_remote, &["cat-file", "-p", &format!("refs/tags/{tag}")]);
    let body: String = message.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
    let second = tag.replace("Z.qa", "Z.qa+2");
    let forged = body.replace(&format!("Release-Commit: {asked}"), &format!("Release-Commit: {evil}"));
    let app = &repos.app;
    world.git(app, &["fetch", "-q", "--tags", "origin"]);
    world.git(app, &["tag", "-a", &second, &deployed, "-m", &forged]);
    world.git(app, &["push", "-q", "origin", &second]);
    let rerun = world.release_with(
        release,
        &["record", "qa", "--commit", &deployed, "--json"],
        &[(forge.dialect.variable(), TOKEN)],
    );
    rerun.expect_status(0);
    assert!(
        forge.deployments().iter().all(|made| made.sha != evil),
        "the forge was told of a commit only a forged record names: {rerun}\n{:#?}",
        forge.deployments()
    );
}

#[test]
fn a_record_kept_here_is_not_told_until_it_is_pushed() {
    let world = World::new();
    let (repos, forge) = on_forge(&world, Dialect::Github);
    qa_prepared(&world, &repos.release);
    let kept = record(&world, &repos, &forge, "qa", 1, &["--no-push"]);
    kept.expect_status(0);
    assert!(kept.json().get("forge").is_none(), "{kept}");
    assert!(forge.deployments().is_empty(), "found by an independent pass: a record on no remote was told");
    let pushed = record(&world, &repos, &forge, "qa", 1, &[]);
    pushed.expect_status(0);
    assert_eq!(told(&pushed), "created", "{pushed}");
}
