//! The teams' runbooks, end to end on real repositories and real pushes through the server's
//! hooks, with every record checked by plain git: on the commit that was deployed, with the
//! version that was deployed.

use std::path::Path;

use crate::branches::in_pipeline;
use crate::deploy::{path, value};
use crate::harness::{Format, World};
use crate::hooks::{push, stderr};

/// What plain git says a record tag holds: the commit it is on, and its Version trailer.
fn record_facts(world: &World, remote: &Path, tag: &str) -> (String, String) {
    let commit = world.git(remote, &["rev-parse", &format!("{tag}^{{commit}}")]).trim().to_owned();
    let message = world.git(remote, &["cat-file", "tag", tag]);
    let version = message.lines().find_map(|l| l.strip_prefix("Version: ")).unwrap_or_default().to_owned();
    (commit, version)
}

/// The pipeline GitHub Actions runs when a pull request from `source` into `target`, at `head`,
/// is approved: its event file names the head.
fn approval(world: &World, head: &str, source: &str, target: &str) -> Vec<(&'static str, String)> {
    let event = world.path("event.json");
    let repo = r#"{"full_name":"infra/infra"}"#;
    let body = format!(
        r#"{{"pull_request":{{"head":{{"sha":"{head}","ref":"{source}","repo":{repo}}},"base":{{"ref":"{target}","repo":{repo}}}}}}}"#
    );
    std::fs::write(&event, body).expect("writes");
    vec![
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_EVENT_NAME", "pull_request_review".to_owned()),
        ("GITHUB_EVENT_PATH", path(&event).to_owned()),
        ("GITHUB_BASE_REF", target.to_owned()),
        ("GITHUB_HEAD_REF", source.to_owned()),
        ("GITHUB_SHA", "0".repeat(40)),
        ("GITHUB_REF", "refs/pull/3/merge".to_owned()),
    ]
}

fn head(world: &World, repo: &Path, rev: &str) -> String {
    world.git(repo, &["rev-parse", rev]).trim().to_owned()
}

const INFRASTRUCTURE: &str = r#"version = "1.2.0"

[app]
repo = "."

[[environments]]
name = "dev"
branch = "dev"
deploys = "any-branch"

[[environments]]
name = "qa"
branch = "qa"
cut = "rc"
after = "dev"
restricted = true

[[environments]]
name = "stage"
branch = "stage"
cut = "rc"
after = "qa"
restricted = true
gate = "self"

[[environments]]
name = "prod"
branch = "main"
cut = "final"
after = "stage"
restricted = true
require-bump = true
"#;

/// The infrastructure repository and its bare remote, guarded by the remote's hooks.
fn infrastructure(world: &World) -> (std::path::PathBuf, std::path::PathBuf) {
    let remote = world.empty_repo("infra.git", true);
    let repo = world.repo("infra");
    world.git(&repo, &["remote", "add", "origin", path(&remote)]);
    world.commit_release_file(&repo, "main", INFRASTRUCTURE.as_bytes());
    world.git(&repo, &["branch", "qa", "main"]);
    world.git(&repo, &["branch", "stage", "main"]);
    world.commit_release_file(&repo, "dev", INFRASTRUCTURE.replace("1.2.0", "WIP").as_bytes());
    world.git(&repo, &["push", "-q", "origin", "main", "qa", "stage", "dev"]);
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    (repo, remote)
}

/// The infrastructure team: one Terraform repository whose dev, qa, stage and main branches
/// are the environments. A feature branch deploys to dev from its own pipeline, goes to qa once
/// dev ran its head, to stage on approval (deployed before the merge), and to main through a
/// merge commit, with a version bump.
#[test]
fn infrastructure_runbook_feature_to_dev_qa_stage_on_approval_and_main() {
    infrastructure_runbook(&World::new());
}

/// Git 3.0 makes new repositories SHA-256 with reftable references; users also have the two
/// combinations between.
#[test]
fn infrastructure_runbook_in_every_repository_format() {
    for format in &Format::ALL[1..] {
        infrastructure_runbook(&World::in_format(*format));
    }
}

fn infrastructure_runbook(world: &World) {
    let (repo, remote) = infrastructure(world);
    world.assert_format(&repo);
    world.assert_format(&remote);

    // 1. A feature branch: its push pipeline deploys it to dev.
    world.git(&repo, &["checkout", "-q", "-b", "feature/network", "main"]);
    std::fs::write(repo.join("network.tf"), "resource \"network\" {}\n").expect("writes");
    world.git(&repo, &["add", "network.tf"]);
    world.git(&repo, &["commit", "-q", "-m", "NET-7 Add the network"]);
    world.git(&repo, &["push", "-q", "origin", "feature/network"]);
    let feature = head(world, &repo, "HEAD");
    let prepared = in_pipeline(world, &repo, &["prepare", "dev"], &feature, "feature/network");
    prepared.expect_status(0).expect_stdout("version=WIP\n").expect_stdout("already_deployed=false\n");
    assert_eq!(value(&prepared.stdout, "commit"), feature);
    let recorded = in_pipeline(world, &repo, &["record", "dev"], &feature, "feature/network");
    let dev_record = value(&recorded.expect_status(0).stdout, "record_tag").to_owned();
    assert_eq!(dev_record, "20261121T101500Z_dev_feature-network");
    assert_eq!(record_facts(world, &remote, &dev_record), (feature.clone(), "WIP".to_owned()));

    // 2. The pull request feature → qa: the gate asks that dev ran its head. A commit dev never
    //    ran is refused; once dev ran it, it goes in, as the merge commit the forge makes.
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "NET-7 Name the subnets"]);
    std::fs::write(repo.join("subnets.tf"), "resource \"subnet\" {}\n").expect("writes");
    world.git(&repo, &["add", "subnets.tf"]);
    world.git(&repo, &["commit", "-q", "-m", "NET-7 Add the subnets"]);
    world.git(&repo, &["push", "-q", "origin", "feature/network"]);
    let feature = head(world, &repo, "HEAD");
    let gate = ["gate", "--target", "qa", "--source", "feature/network", "--head", &feature];
    world.release(&repo, &gate).expect_status(1).expect_stdout("dev has not deployed");
    in_pipeline(world, &repo, &["prepare", "dev"], &feature, "feature/network").expect_status(0);
    in_pipeline(world, &repo, &["record", "dev"], &feature, "feature/network").expect_status(0);
    world.release(&repo, &gate).expect_status(0);
    world.git(&repo, &["checkout", "-q", "qa"]);
    world.git(&repo, &["merge", "-q", "--no-ff", "-m", "Merge feature/network into qa", "feature/network"]);
    let pushed = push(world, &repo, &["origin", "qa"]);
    assert!(pushed.status.success(), "the forge's merge of an allowed pull request: {}", stderr(&pushed));
    let qa = head(world, &repo, "qa");
    let prepared = in_pipeline(world, &repo, &["prepare", "qa"], &qa, "qa");
    assert_eq!(value(&prepared.expect_status(0).stdout, "tag"), "v1.2.0-rc.1");
    assert_eq!(value(&prepared.stdout, "commit"), qa);
    let recorded = in_pipeline(world, &repo, &["record", "qa"], &qa, "qa");
    let qa_record = value(&recorded.expect_status(0).stdout, "record_tag").to_owned();
    assert_eq!(record_facts(world, &remote, &qa_record), (qa.clone(), "1.2.0".to_owned()));

    // 3. qa → stage, deployed on approval: the pull request's pipeline deploys its head with
    //    the version it brings, the gate then lets it in, and the merge's own pipeline finds it
    //    deployed already and records nothing.
    let gate = ["gate", "--target", "stage", "--source", "qa", "--head", &qa];
    world.release(&repo, &gate).expect_status(1).expect_stdout("self-deployed");
    let approval = approval(world, &qa, "qa", "stage");
    let approval: Vec<(&str, &str)> = approval.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let prepared = world.release_with(&repo, &["prepare", "stage", "--commit", &qa], &approval);
    prepared.expect_status(0).expect_stdout("version=1.2.0\n").expect_stdout("tag=v1.2.0-rc.1\n");
    assert_eq!(value(&prepared.stdout, "commit"), qa);
    let recorded = world.release_with(&repo, &["record", "stage"], &approval);
    let stage_record = value(&recorded.expect_status(0).stdout, "record_tag").to_owned();
    assert_eq!(record_facts(world, &remote, &stage_record), (qa.clone(), "1.2.0".to_owned()));
    let message = world.git(&remote, &["cat-file", "tag", &stage_record]);
    assert!(message.contains("\nBranch: qa\n"), "the record names the pull request's branch:\n{message}");
    world.release(&repo, &gate).expect_status(0);
    world.git(&repo, &["checkout", "-q", "stage"]);
    world.git(&repo, &["merge", "-q", "--no-ff", "-m", "Merge qa into stage", "qa"]);
    let pushed = push(world, &repo, &["origin", "stage"]);
    assert!(pushed.status.success(), "the merge of what stage deployed on approval: {}", stderr(&pushed));
    let stage = head(world, &repo, "stage");
    let again = in_pipeline(world, &repo, &["prepare", "stage"], &stage, "stage");
    again.expect_status(0).expect_stdout("already_deployed=true\n");
    let nothing = in_pipeline(world, &repo, &["record", "stage"], &stage, "stage");
    assert_eq!(value(&nothing.expect_status(0).stdout, "record_tag"), stage_record, "no second record");

    // 4. stage → main: a merge commit, a bumped version, a final release on main's head.
    let gate = ["gate", "--target", "prod", "--source", "stage", "--head", &stage];
    world.release(&repo, &gate).expect_status(0).expect_stdout("version-bumped");
    world.git(&repo, &["checkout", "-q", "main"]);
    world.git(&repo, &["merge", "-q", "--no-ff", "-m", "Merge stage into main", "stage"]);
    let pushed = push(world, &repo, &["origin", "main"]);
    assert!(pushed.status.success(), "a no-ff merge of what stage deployed: {}", stderr(&pushed));
    let main = head(world, &repo, "main");
    let prepared = in_pipeline(world, &repo, &["prepare", "prod"], &main, "main");
    prepared.expect_status(0).expect_stdout("tag=v1.2.0\n");
    assert_eq!(value(&prepared.stdout, "commit"), main, "prod runs main's head");
    let recorded = in_pipeline(world, &repo, &["record", "prod"], &main, "main");
    let prod_record = value(&recorded.expect_status(0).stdout, "record_tag").to_owned();
    assert_eq!(record_facts(world, &remote, &prod_record), (main.clone(), "1.2.0".to_owned()));
    assert_eq!(head(world, &remote, "v1.2.0^{commit}"), qa, "the final is the candidate qa and stage ran");

    // The next change into main must bump the version: the same version is refused.
    world.git(&repo, &["checkout", "-q", "-b", "hotfix", "main"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Hotfix"]);
    let hotfix = head(world, &repo, "HEAD");
    let refused = world.release(&repo, &["gate", "--target", "prod", "--source", "hotfix", "--head", &hotfix]);
    refused.expect_status(1).expect_stdout("1.2.0 is not greater than 1.2.0");

    // dev promotes no branch of its own: qa's gate column judges nothing in status.
    let status = world.release(&repo, &["status", "--json"]);
    let json = status.expect_status(0).json();
    assert_eq!(json["environments"][1]["name"], "qa");
    assert_eq!(json["environments"][1]["gate"], serde_json::Value::Null, "{status}");
    assert_eq!(json["environments"][2]["gate"]["allowed"], true, "stage's promotion from qa: {status}");

    // What ran where, by plain git: each environment's records, newest last.
    let listing = world.git(&remote, &["tag", "-l", "--sort=creatordate"]);
    for tag in [&dev_record, &qa_record, &stage_record, &prod_record] {
        assert!(listing.lines().any(|line| line == tag.as_str()), "{tag} in {listing}");
    }
}

/// The release manager: a release repository beside the application. dev runs main's head as
/// WIP; qa takes candidates from release/1.1.0 while main moves on; prod releases the last
/// candidate qa ran, through a promotion the gate lets in.
#[test]
fn release_management_runbook_dev_wip_qa_from_the_release_branch_prod_final() {
    release_management_runbook(&World::new());
}

#[test]
fn release_management_runbook_in_every_repository_format() {
    for format in &Format::ALL[1..] {
        release_management_runbook(&World::in_format(*format));
    }
}

fn release_management_runbook(world: &World) {
    let repos = crate::deploy::TwoRepos::new(world);
    let (release, app) = (&repos.release, &repos.app);
    for repo in [release, app, &repos.app_remote] {
        world.assert_format(repo);
    }
    world.release(release, &["hooks", "install"]).expect_status(0);

    // 1. dev runs whatever main holds.
    let main = repos.app_commit(world, "SHOP-1 Checkout page");
    let prepared = world.release(release, &["prepare", "dev"]);
    prepared.expect_status(0).expect_stdout("version=WIP\n");
    assert_eq!(value(&prepared.stdout, "commit"), main);
    let dev_record =
        value(&world.release(release, &["record", "dev"]).expect_status(0).stdout, "record_tag").to_owned();
    assert_eq!(record_facts(world, &repos.app_remote, &dev_record), (main.clone(), "WIP".to_owned()));

    // 2. 1.1.0 is branched off; main moves on with what 1.1.0 will not have.
    world.git(app, &["branch", "release/1.1.0", "main"]);
    world.git(app, &["push", "-q", "origin", "release/1.1.0"]);
    let later = repos.app_commit(world, "SHOP-2 Next quarter's work");

    // 3. qa's candidates come from release/1.1.0, not main.
    world.release(release, &["set", "qa", "1.1.0", "--push"]).expect_status(0);
    let qa_release = head(world, release, "environment/qa");
    let prepared = in_pipeline(world, release, &["prepare", "qa"], &qa_release, "environment/qa");
    prepared.expect_status(0).expect_stdout("tag=v1.1.0-rc.1\n");
    assert_eq!(value(&prepared.stdout, "commit"), main, "the release branch's head, not {later}");
    in_pipeline(world, release, &["record", "qa"], &qa_release, "environment/qa").expect_status(0);

    // A fix goes onto the release branch; qa's pipeline runs again and takes rc.2.
    world.git(app, &["checkout", "-q", "release/1.1.0"]);
    world.git(app, &["commit", "-q", "--allow-empty", "-m", "SHOP-3 Fix the checkout total"]);
    world.git(app, &["push", "-q", "origin", "release/1.1.0"]);
    let fix = head(world, app, "HEAD");
    let prepared = in_pipeline(world, release, &["prepare", "qa"], &qa_release, "environment/qa");
    prepared.expect_status(0).expect_stdout("tag=v1.1.0-rc.2\n");
    assert_eq!(value(&prepared.stdout, "commit"), fix);
    let recorded = world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:20:00Z"], crate::harness::NOON);
    let qa_record = value(&recorded.expect_status(0).stdout, "record_tag").to_owned();
    assert_eq!(record_facts(world, &repos.app_remote, &qa_record), (fix.clone(), "1.1.0".to_owned()));
    let message = world.git(&repos.app_remote, &["cat-file", "tag", &qa_record]);
    assert!(message.contains("\nBranch: release/1.1.0\n"), "{message}");

    // 4. The promotion qa → prod: the gate lets it in, and the push (through the hook) goes.
    let gate = world.release_at(release, &["gate", "--target", "prod"], crate::harness::NOON);
    gate.expect_status(0);
    world.git(release, &["checkout", "-q", "environment/prod"]);
    world.git(release, &["merge", "-q", "--no-ff", "-m", "Promote qa to prod: 1.1.0", "environment/qa"]);
    let pushed = world
        .command("git", release)
        .args(["push", "origin", "environment/prod"])
        .env("GIT_COMMITTER_DATE", crate::harness::NOON)
        .output()
        .expect("git runs");
    assert!(pushed.status.success(), "{}", String::from_utf8_lossy(&pushed.stderr));

    // 5. prod's pipeline releases the candidate qa ran last, on the release branch.
    let prod_release = head(world, release, "environment/prod");
    let prepared = world.release_with(release, &["prepare", "prod"], &[("GIT_COMMITTER_DATE", crate::harness::NOON)]);
    prepared.expect_status(0).expect_stdout("tag=v1.1.0\n");
    assert_eq!(value(&prepared.stdout, "commit"), fix);
    let recorded = in_pipeline(world, release, &["record", "prod"], &prod_release, "environment/prod");
    let prod_record = value(&recorded.expect_status(0).stdout, "record_tag").to_owned();
    assert_eq!(record_facts(world, &repos.app_remote, &prod_record), (fix.clone(), "1.1.0".to_owned()));
    let message = world.git(&repos.app_remote, &["cat-file", "tag", &prod_record]);
    assert!(message.contains("\nBranch: release/1.1.0\n"), "prod names the branch its commit is on:\n{message}");
    assert_eq!(head(world, &repos.app_remote, "v1.1.0^{commit}"), fix);

    // 6. qa moves on to 1.2.0 from main, which never got 1.1.0's fix: the promotion says what
    //    prod would lose, with the Jira keys on both sides.
    world.git(release, &["checkout", "-q", "environment/dev"]);
    world.release(release, &["set", "qa", "1.2.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0).expect_stdout("tag=v1.2.0-rc.1\n");
    world.release_at(release, &["record", "qa", "--at", "2026-11-21T10:30:00Z"], crate::harness::NOON).expect_status(0);
    let diff = world.release_at(release, &["diff", "qa", "prod", "--json"], crate::harness::NOON);
    let json = diff.expect_status(0).json();
    let ids = |key: &str| -> Vec<String> {
        json[key].as_array().expect("a list").iter().map(|c| c["id"].as_str().unwrap_or_default().to_owned()).collect()
    };
    assert_eq!(ids("commits"), [later.as_str()], "{diff}");
    assert_eq!(ids("lost"), [fix.as_str()], "{diff}");
    assert_eq!(json["jira"], serde_json::json!(["SHOP-2"]), "{diff}");
    assert_eq!(json["jira_lost"], serde_json::json!(["SHOP-3"]), "{diff}");
    assert_eq!(json["shallow"], false);
    let human = world.release_at(release, &["diff", "qa", "prod"], crate::harness::NOON);
    human
        .expect_status(0)
        .expect_stdout("Commits prod runs now and would no longer\n")
        .expect_stdout("SHOP-3 Fix the checkout total");

    // What runs where is what each branch asks for.
    let status = world.release_at(release, &["status", "--json", "--exit-code"], crate::harness::NOON);
    let json = status.json();
    for env in json["environments"].as_array().expect("environments") {
        if env["name"] != "dev" {
            assert_eq!(env["drift"]["behind"], false, "{env}");
        }
    }
}

/// A shallow history (a CI checkout with `--depth 1`) lists fewer commits than there are: the
/// promotion says so instead of a silently short list.
#[test]
fn a_shallow_history_is_named_beside_the_commits_it_may_cut_short() {
    let world = World::new();
    let repos = crate::gate::prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    let cache = std::fs::read_dir(release.join(".git/release/apps"))
        .expect("the cache folder")
        .next()
        .expect("one cache")
        .expect("readable")
        .path();
    repos.app_commit(&world, "SHOP-9 A change after the shallow point");
    world.git(&cache, &["fetch", "-q", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main"]);
    assert!(cache.join("shallow").is_file(), "git made the cache shallow");
    let diff = world.release(release, &["diff", "qa", "prod", "--json", "--offline"]);
    assert_eq!(diff.expect_status(0).json()["shallow"], true, "{diff}");
    let human = world.release(release, &["diff", "qa", "prod", "--offline"]);
    human.expect_status(0).expect_stdout("warning: the application repository's history here is shallow");
}

/// Someone who may push a feature branch asks stage to deploy it on approval: a change qa never
/// ran is not deployed, prod cannot be deployed from a commit at all, and a record of a version
/// on a commit that carries none of its tags is refused; nothing is tagged or recorded.
#[test]
fn deploy_on_approval_deploys_only_what_the_gate_would_let_in() {
    let world = World::new();
    let (repo, remote) = infrastructure(&world);
    world.git(&repo, &["checkout", "-q", "-b", "evil", "stage"]);
    std::fs::write(repo.join("backdoor.tf"), "resource \"backdoor\" {}\n").expect("writes");
    let file = std::fs::read_to_string(repo.join("release.toml")).expect("reads");
    std::fs::write(repo.join("release.toml"), file.replace("gate = \"self\"\n", "")).expect("writes");
    world.git(&repo, &["add", "."]);
    world.git(&repo, &["commit", "-q", "-m", "Nothing to see"]);
    world.git(&repo, &["push", "-q", "origin", "evil"]);
    let evil = head(&world, &repo, "HEAD");
    let qa_before = head(&world, &remote, "qa");
    let before = world.state(&remote);

    world.release(&repo, &["prepare", "stage", "--commit", &evil]).expect_status(1).expect_stderr(&format!(
        "error: {} is not on qa, so it is no promotion from qa to deploy on approval",
        &evil[..7]
    ));
    // On qa's branch (put there past the hook), but never run by qa: the gate refuses it.
    world.git(&remote, &["update-ref", "refs/heads/qa", &evil]);
    world
        .release(&repo, &["prepare", "stage", "--commit", &evil])
        .expect_status(1)
        .expect_stderr(&format!("error: the gate into stage refuses {}, so it is not deployed on approval", &evil[..7]))
        .expect_stderr("previous-deployed: qa has not deployed");
    world.git(&remote, &["update-ref", "refs/heads/qa", &qa_before]);
    world
        .release(&repo, &["prepare", "prod", "--commit", &evil])
        .expect_status(2)
        .expect_stderr("error: --commit deploys a pull request before its merge, and prod does not deploy on approval")
        .expect_stderr("hint: merge the change into main, then run 'git release prepare prod'");
    world
        .release(&repo, &["prepare", "qa", "--branch", "evil"])
        .expect_status(2)
        .expect_stderr("error: --branch evil: qa deploys no branch of anyone's naming")
        .expect_stderr("caused by: qa deploys its own branch, qa");
    world.release(&repo, &["record", "stage", "--commit", &evil]).expect_status(1).expect_stderr(&format!(
        "error: no tag of 1.2.0 stands on {}, so stage did not deploy it as 1.2.0",
        &evil[..7]
    ));
    assert_eq!(world.state(&remote), before, "nothing was tagged or recorded");
}

/// A feature through dev into qa, as the runbook takes it: qa runs the merge (rc.1, recorded).
/// Returns qa's head.
fn qa_runs_a_feature(world: &World, repo: &Path) -> String {
    world.git(repo, &["checkout", "-q", "-b", "feature/dns", "main"]);
    std::fs::write(repo.join("dns.tf"), "resource \"dns\" {}\n").expect("writes");
    world.git(repo, &["add", "dns.tf"]);
    world.git(repo, &["commit", "-q", "-m", "Add the DNS zone"]);
    world.git(repo, &["push", "-q", "origin", "feature/dns"]);
    let feature = head(world, repo, "HEAD");
    in_pipeline(world, repo, &["prepare", "dev"], &feature, "feature/dns").expect_status(0);
    in_pipeline(world, repo, &["record", "dev"], &feature, "feature/dns").expect_status(0);
    world.git(repo, &["checkout", "-q", "qa"]);
    world.git(repo, &["merge", "-q", "--no-ff", "-m", "Merge feature/dns into qa", "feature/dns"]);
    let pushed = push(world, repo, &["origin", "qa"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    let qa = head(world, repo, "qa");
    in_pipeline(world, repo, &["prepare", "qa"], &qa, "qa").expect_status(0);
    in_pipeline(world, repo, &["record", "qa"], &qa, "qa").expect_status(0);
    qa
}

/// A commit of the attacker's on a branch of its own, with a file no environment ran.
fn backdoor(world: &World, repo: &Path, from: &str) -> String {
    world.git(repo, &["checkout", "-q", "-b", "evil", from]);
    std::fs::write(repo.join("backdoor.tf"), "resource \"backdoor\" {}\n").expect("writes");
    world.git(repo, &["add", "backdoor.tf"]);
    world.git(repo, &["commit", "-q", "-m", "Tidy up"]);
    world.git(repo, &["push", "-q", "origin", "evil"]);
    head(world, repo, "HEAD")
}

/// The hand-off is a file in the checkout: one edited to name another commit records nothing,
/// and a record forged by hand with plain git, whose `Tag:` stands elsewhere, is refused by the
/// server's hook.
#[test]
fn an_edited_hand_off_or_a_record_whose_tag_stands_elsewhere_records_nothing() {
    let world = World::new();
    let (repo, remote) = infrastructure(&world);
    let qa = qa_runs_a_feature(&world, &repo);
    let evil = backdoor(&world, &repo, "qa");
    let before = world.state(&remote);

    world.release(&repo, &["prepare", "qa", "--again", "--no-push"]).expect_status(0);
    let file = repo.join(".git/release/prepared/qa.json");
    let handed = std::fs::read_to_string(&file).expect("a hand-off");
    assert!(handed.contains(&qa), "{handed}");
    std::fs::write(&file, handed.replace(&qa, &evil)).expect("edited");
    world
        .release(&repo, &["record", "qa"])
        .expect_status(1)
        .expect_stderr(&format!(
            "error: what prepare handed off does not hold: v1.2.0-rc.1 does not stand on {}",
            &evil[..7]
        ))
        .expect_stderr("hint: run 'git release prepare qa' again");
    assert_eq!(world.state(&remote), before, "nothing recorded");
    // Found by an independent pass: one edited to name no tag at all was refused in a double
    // negative ("no version tag does not stand on").
    let tagless = handed.replace(&qa, &evil).replace("\"tag\": \"v1.2.0-rc.1\"", "\"tag\": null");
    assert!(tagless.contains("\"tag\": null"), "{handed}");
    std::fs::write(&file, tagless).expect("edited");
    world.release(&repo, &["record", "qa"]).expect_status(1).expect_stderr(&format!(
        "error: what prepare handed off does not hold: it names no version tag, and qa cuts one on {}",
        &evil[..7]
    ));
    assert_eq!(world.state(&remote), before, "nothing recorded");

    // The same lie made with plain git: qa's record, copied onto the attacker's commit.
    let record = world.git(&repo, &["tag", "-l", "1.2.0.*.qa"]).trim().to_owned();
    let message = world.git(&repo, &["cat-file", "tag", &record]);
    let body = message.split_once("\n\n").expect("a message").1.replace(&qa, &evil);
    let forged = format!("{record}+2");
    std::fs::write(world.path("message"), body).expect("writes");
    world.git(&repo, &["tag", "-a", "-F", path(&world.path("message")), &forged, &evil]);
    let pushed = push(&world, &repo, &["--no-verify", "origin", &forged]);
    let text = stderr(&pushed);
    assert!(!pushed.status.success(), "{text}");
    assert!(text.contains(&format!("its message says Tag: v1.2.0-rc.1, which stands on {}", &qa[..7])), "{text}");
    assert_eq!(world.state(&remote), before, "nothing recorded");
}

/// A checkout whose release file points stage at another branch (a pull request's merge, say)
/// does not move what stage deploys: with `release.configRef` set, deployments read their
/// environments there.
#[test]
fn deployments_read_their_environments_where_release_config_ref_says() {
    let world = World::new();
    let (repo, _remote) = infrastructure(&world);
    let evil = backdoor(&world, &repo, "main");
    let file = std::fs::read_to_string(repo.join("release.toml")).expect("reads");
    std::fs::write(repo.join("release.toml"), file.replace("branch = \"stage\"", "branch = \"evil\"")).expect("writes");
    world.git(&repo, &["commit", "-q", "-am", "stage lives here now"]);
    let evil_now = head(&world, &repo, "HEAD");
    assert_ne!(evil_now, evil);
    world.git(&repo, &["config", "release.configRef", "refs/heads/main"]);
    let stage = head(&world, &repo, "origin/stage");
    let prepared = world.release(&repo, &["prepare", "stage", "--dry-run"]);
    assert_eq!(value(&prepared.expect_status(0).stdout, "commit"), stage, "{prepared}");
}

/// Deploy on approval takes a promotion's head: a commit qa once ran that its branch no longer
/// holds (or never held) is not deployed to stage.
#[test]
fn deploy_on_approval_takes_only_a_head_on_the_branch_before() {
    let world = World::new();
    let (repo, remote) = infrastructure(&world);
    let qa = qa_runs_a_feature(&world, &repo);
    // qa ran the attacker's commit once, and its branch was put back since.
    let evil = backdoor(&world, &repo, "qa");
    world.git(&remote, &["update-ref", "refs/heads/qa", &evil]);
    world.git(&repo, &["fetch", "-q", "origin"]);
    in_pipeline(&world, &repo, &["prepare", "qa"], &evil, "qa").expect_status(0);
    in_pipeline(&world, &repo, &["record", "qa"], &evil, "qa").expect_status(0);
    world.git(&remote, &["update-ref", "refs/heads/qa", &qa]);
    let before = world.state(&remote);
    world
        .release(&repo, &["prepare", "stage", "--commit", &evil])
        .expect_status(1)
        .expect_stderr(&format!(
            "error: {} is not on qa, so it is no promotion from qa to deploy on approval",
            &evil[..7]
        ))
        .expect_stderr("hint: open the pull request into stage from qa, and deploy its head");
    assert_eq!(world.state(&remote), before, "nothing was tagged or recorded");
}

/// In one repository the server's hook sees where the environment branches are: an rc, final
/// or record tag made by hand on a commit no branch it belongs to holds is refused, so a forged
/// candidate, release or record cannot stand in for a deployment nor block a real one.
#[test]
fn version_and_record_tags_off_their_branches_are_refused_by_the_server() {
    let world = World::new();
    let (repo, remote) = infrastructure(&world);
    let qa = qa_runs_a_feature(&world, &repo);
    let evil = backdoor(&world, &repo, "qa");
    let before = world.state(&remote);
    // qa's record, copied onto the attacker's commit without the version tag it names, and the
    // same as prod's.
    let record = world.git(&repo, &["tag", "-l", "1.2.0.*.qa"]).trim().to_owned();
    let message = world.git(&repo, &["cat-file", "tag", &record]);
    let body = message.split_once("\n\n").expect("a message").1.replace(&qa, &evil);
    let body = body.lines().filter(|line| !line.starts_with("Tag: ")).collect::<Vec<_>>().join("\n") + "\n";
    std::fs::write(world.path("qa"), &body).expect("writes");
    std::fs::write(world.path("prod"), body.replace("Environment: qa", "Environment: prod")).expect("writes");
    let forged_qa = format!("{record}+2");
    let forged_prod = record.replace(".qa", ".prod");
    for (name, message) in [
        ("v1.2.0-rc.9", vec!["-m", "Release candidate"]),
        ("v1.2.0", vec!["-m", "Release 1.2.0"]),
        (forged_qa.as_str(), vec!["-F", path(&world.path("qa"))]),
        (forged_prod.as_str(), vec!["-F", path(&world.path("prod"))]),
    ] {
        let mut tag = vec!["tag", "-a"];
        tag.extend(message);
        tag.extend([name, evil.as_str()]);
        world.git(&repo, &tag);
        let pushed = push(&world, &repo, &["--no-verify", "origin", name]);
        let text = stderr(&pushed);
        assert!(!pushed.status.success(), "{name}: {text}");
        assert!(text.contains(&format!("{name} is on {}, which no branch it may be on holds", &evil[..7])), "{text}");
    }
    assert_eq!(world.state(&remote), before, "nothing forged stands");
}

/// On commits the environment branches do hold, a tag made by hand must still be one `prepare`
/// would cut: a final only on the highest rc's commit, an rc only of an unreleased version its
/// commit asks for, a record naming a tag of its environment's kind. Otherwise one push of a
/// forged final would burn a version, and a forged record would send a rollback anywhere.
#[test]
fn forged_tags_on_commits_the_branches_hold_are_refused_unless_prepare_would_cut_them() {
    let world = World::new();
    let (repo, remote) = infrastructure(&world);
    let qa = qa_runs_a_feature(&world, &repo);
    let first = world.git(&repo, &["rev-list", "--max-parents=0", "main"]).trim().to_owned();
    let before = world.state(&remote);
    let record = world.git(&repo, &["tag", "-l", "1.2.0.*.qa"]).trim().to_owned();
    let message = world.git(&repo, &["cat-file", "tag", &record]);
    let body = message
        .split_once("\n\n")
        .expect("a message")
        .1
        .replace(&qa, &first)
        .replace("Environment: qa", "Environment: prod");
    let body = body.lines().filter(|line| !line.starts_with("Tag: ")).collect::<Vec<_>>().join("\n") + "\n";
    std::fs::write(world.path("prod"), &body).expect("writes");
    let forged_prod = record.replace(".qa", ".prod");
    for (name, on, args, why) in [
        (
            "v1.3.0",
            first.as_str(),
            vec!["-m", "Release 1.3.0"],
            "v1.3.0 releases 1.3.0, of which no release candidate exists",
        ),
        ("v1.2.0-rc.9", first.as_str(), vec!["-m", "Candidate"], "but its commit"),
        (
            forged_prod.as_str(),
            first.as_str(),
            vec!["-F", path(&world.path("prod"))],
            "which cuts final tags, without naming such a tag of 1.2.0",
        ),
    ] {
        let mut tag = vec!["tag", "-a"];
        tag.extend(args);
        tag.extend([name, on]);
        world.git(&repo, &tag);
        let pushed = push(&world, &repo, &["--no-verify", "origin", name]);
        let text = stderr(&pushed);
        assert!(!pushed.status.success(), "{name}: {text}");
        assert!(text.contains(why), "{name}: {text}");
    }
    assert_eq!(world.state(&remote), before, "nothing forged stands");
}

/// Seen: a SHA-256 application repository beside a SHA-1 release repository (and the reverse,
/// and both SHA-256 on a machine whose git defaults to SHA-1) could not be deployed: the copy
/// git-release keeps of the other repository was made in git's default format, and git fetches
/// nothing between the two ("mismatched algorithms"). The copies now take the format of the
/// repository they copy.
#[test]
fn repositories_of_different_object_formats_work_together() {
    for (app_format, release_format) in [("sha256", "sha1"), ("sha1", "sha256"), ("sha256", "sha256")] {
        let world = World::new();
        let format = |name: &str| format!("--object-format={name}");
        let root = world.path("");
        world.git(&root, &["init", "-q", "--bare", &format(app_format), "app.git"]);
        world.git(&root, &["clone", "-q", "app.git", "app"]);
        let (app, app_remote) = (world.path("app"), world.path("app.git"));
        world.git(&app, &["commit", "-q", "--allow-empty", "-m", "First feature"]);
        world.git(&app, &["push", "-q", "origin", "main"]);
        world.git(&root, &["init", "-q", "--bare", &format(release_format), "release.git"]);
        world.git(&root, &["init", "-q", &format(release_format), "release"]);
        let (release, release_remote) = (world.path("release"), world.path("release.git"));
        world.git(&release, &["remote", "add", "origin", path(&release_remote)]);
        world.release(&release, &["init", "--app", path(&app_remote)]).expect_status(0);
        world.git(&release, &["push", "-q", "origin", "refs/heads/environment/*:refs/heads/environment/*"]);

        let context = format!("app {app_format}, release {release_format}");
        world.release(&release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
        let prepared = world.release(&release, &["prepare", "qa"]);
        prepared.expect_status(0).expect_stdout("tag=v1.0.0-rc.1\n");
        assert_eq!(value(&prepared.stdout, "commit").len(), if app_format == "sha256" { 64 } else { 40 }, "{context}");
        world.release(&release, &["record", "qa"]).expect_status(0);
        world.release(&release, &["gate", "--target", "prod"]).expect_status(0);
        // The application's server guards its tags by the release repository's settings.
        let install = ["hooks", "install", "--release", path(&release_remote), "--release-branch", "environment/prod"];
        world.release(&app_remote, &install).expect_status(0);
        let refused = crate::hooks::push(&world, &app, &["origin", ":refs/tags/v1.0.0-rc.1"]);
        assert!(stderr(&refused).contains("such tags are never deleted"), "{context}: {}", stderr(&refused));
    }
}
