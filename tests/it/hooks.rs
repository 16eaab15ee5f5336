//! The hooks: real `git push` through an installed pre-push hook, and through a bare remote's
//! pre-receive hook with `--no-verify`.

use std::path::{Path, PathBuf};

use crate::deploy::{TwoRepos, path};
use crate::harness::{SHOP_FILE, World};

/// One repository whose environment branches are published; `main` holds the release file.
pub fn shop(world: &World) -> (PathBuf, PathBuf) {
    let remote = world.empty_repo("shop.git", true);
    let repo = world.repo("shop");
    world.git(&repo, &["remote", "add", "origin", path(&remote)]);
    world.commit_release_file(&repo, "main", SHOP_FILE.as_bytes());
    for branch in ["environment/qa", "environment/prod"] {
        world.git(&repo, &["branch", branch, "main"]);
    }
    world.git(&repo, &["push", "-q", "origin", "main", "environment/qa", "environment/prod"]);
    (repo, remote)
}

/// A feature on qa, deployed there as far as `prepare` (the rc is cut), not yet recorded; prod's
/// branch holds it locally, unpushed.
pub fn feature_on_qa(world: &World, repo: &Path) -> String {
    world.git(repo, &["checkout", "-q", "environment/qa"]);
    world.git(repo, &["commit", "-q", "--allow-empty", "-m", "Feature"]);
    world.git(repo, &["push", "-q", "origin", "environment/qa"]);
    world.release(repo, &["prepare", "qa"]).expect_status(0);
    world.git(repo, &["checkout", "-q", "environment/prod"]);
    world.git(repo, &["merge", "-q", "--ff-only", "environment/qa"]);
    world.git(repo, &["rev-parse", "HEAD"]).trim().to_owned()
}

pub fn push(world: &World, repo: &Path, args: &[&str]) -> std::process::Output {
    let mut command = world.command("git", repo);
    command.arg("push").args(args);
    command.output().expect("git runs")
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn remote_ref(world: &World, remote: &Path, name: &str) -> String {
    let mut command = world.command("git", remote);
    command.args(["rev-parse", "--verify", "-q", name]);
    String::from_utf8_lossy(&command.output().expect("git runs").stdout).trim().to_owned()
}

#[test]
fn pre_push_holds_prod_until_qa_records_the_commit() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0).expect_stderr("installed ");
    let head = feature_on_qa(&world, &repo);

    let refused = push(&world, &repo, &["origin", "environment/prod"]);
    let text = stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("error: refusing refs/heads/environment/prod: environment/prod is restricted"), "{text}");
    assert!(text.contains("caused by: previous-deployed: qa has not deployed"), "{text}");
    assert!(text.contains("hint: deploy it to qa first"), "{text}");
    assert_ne!(remote_ref(&world, &remote, "refs/heads/environment/prod"), head, "nothing moved");

    world.release(&repo, &["record", "qa"]).expect_status(0);
    let pushed = push(&world, &repo, &["origin", "environment/prod"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    assert_eq!(remote_ref(&world, &remote, "refs/heads/environment/prod"), head);
}

#[test]
fn pre_push_protects_release_tags_and_environment_branches() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    feature_on_qa(&world, &repo);
    let rc = remote_ref(&world, &remote, "refs/tags/v1.0.0-rc.1");
    assert!(!rc.is_empty(), "prepare pushed the rc through the hook");

    let deleted = push(&world, &repo, &["origin", ":refs/tags/v1.0.0-rc.1"]);
    assert!(!deleted.status.success());
    assert!(stderr(&deleted).contains("v1.0.0-rc.1 records a release or deployment, and such tags are never deleted"));

    world.git(&repo, &["tag", "-f", "-a", "-m", "moved", "v1.0.0-rc.1", "main"]);
    let moved = push(&world, &repo, &["--force", "origin", "refs/tags/v1.0.0-rc.1"]);
    assert!(!moved.status.success());
    assert!(stderr(&moved).contains("never moved"), "{}", stderr(&moved));
    assert_eq!(remote_ref(&world, &remote, "refs/tags/v1.0.0-rc.1"), rc, "the rc stayed where it was");

    world.git(&repo, &["tag", "v1.0.1-rc.1", "main"]);
    let lightweight = push(&world, &repo, &["origin", "v1.0.1-rc.1"]);
    assert!(stderr(&lightweight).contains("is named like a release or deployment tag but is lightweight"));
    world.git(&repo, &["tag", "-a", "-m", "odd", "vWIP-rc.1", "main"]);
    let odd = push(&world, &repo, &["origin", "vWIP-rc.1"]);
    assert!(stderr(&odd).contains("no version tags are cut of `WIP`"), "{}", stderr(&odd));
    world.git(&repo, &["tag", "-a", "-m", "not a record", "1.0.0.20261121T101500Z.prod", "main"]);
    let fake = push(&world, &repo, &["origin", "1.0.0.20261121T101500Z.prod"]);
    assert!(
        stderr(&fake).contains("named like a deployment record, but is none: its message is not a deployment record's")
    );

    let branch = push(&world, &repo, &["origin", ":environment/qa"]);
    assert!(stderr(&branch).contains("environment branches are never deleted"));

    world.git(&repo, &["checkout", "-q", "-b", "feature/y", "main"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Anything"]);
    world.git(&repo, &["tag", "-a", "-m", "ours", "vendor-drop"]);
    let ordinary = push(&world, &repo, &["origin", "feature/y", "vendor-drop"]);
    assert!(ordinary.status.success(), "{}", stderr(&ordinary));
    assert!(
        !stderr(&ordinary).contains("error:") && !stderr(&ordinary).contains("hint:"),
        "ordinary pushes pass silently"
    );
}

#[test]
fn pre_push_refuses_an_invalid_release_file_on_an_environment_branch() {
    let world = World::new();
    let (repo, _remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    world.git(&repo, &["config", "release.configRef", "refs/heads/main"]);
    // qa cuts rc tags, which WIP cannot have.
    world.commit_release_file(&repo, "environment/qa", SHOP_FILE.replace("1.0.0", "WIP").as_bytes());
    let refused = push(&world, &repo, &["origin", "environment/qa"]);
    let text = stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("release.toml on environment/qa at"), "{text}");
    assert!(text.contains("is not valid"), "{text}");
}

#[test]
fn pre_receive_refuses_what_no_verify_skips_on_the_client() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    assert!(remote.join("hooks/pre-receive").is_file());
    let head = feature_on_qa(&world, &repo);

    let refused = push(&world, &repo, &["--no-verify", "origin", "environment/prod"]);
    let text = stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("remote: error: refusing refs/heads/environment/prod"), "{text}");
    assert!(text.contains("previous-deployed"), "{text}");
    assert!(text.contains("pre-receive hook declined"), "{text}");

    let deleted = push(&world, &repo, &["--no-verify", "origin", ":refs/tags/v1.0.0-rc.1"]);
    assert!(stderr(&deleted).contains("never deleted"), "{}", stderr(&deleted));
    world.git(&repo, &["tag", "-f", "-a", "-m", "moved", "v1.0.0-rc.1", "main"]);
    let moved = push(&world, &repo, &["--no-verify", "--force", "origin", "refs/tags/v1.0.0-rc.1"]);
    assert!(stderr(&moved).contains("never moved"), "{}", stderr(&moved));
    world.git(&repo, &["tag", "-d", "v1.0.0-rc.1"]);

    world.release(&repo, &["record", "qa"]).expect_status(0);
    let pushed = push(&world, &repo, &["--no-verify", "origin", "environment/prod"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    assert_eq!(remote_ref(&world, &remote, "refs/heads/environment/prod"), head);
}

#[test]
fn two_repositories_gate_the_release_repository_push() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["hooks", "install"]).expect_status(0);
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let refused = world.release(release, &["set", "prod", "1.0.0", "--push"]);
    refused.expect_stderr("previous-deployed: qa has not deployed");
    world.release(release, &["record", "qa"]).expect_status(0);
    let pushed = push(&world, release, &["origin", "environment/prod"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
}

#[test]
fn hooks_install_is_idempotent_chains_with_force_and_uninstalls() {
    let world = World::new();
    let (repo, _remote) = shop(&world);
    let hooks = world.path("shared-hooks");
    world.git(&repo, &["config", "core.hooksPath", path(&hooks)]);
    std::fs::create_dir_all(&hooks).expect("hooks dir");
    std::fs::write(hooks.join("pre-push"), "#!/bin/sh\necho other hook ran >&2\n").expect("hook");
    std::fs::set_permissions(hooks.join("pre-push"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("mode");
    world
        .release(&repo, &["hooks", "install"])
        .expect_status(1)
        .expect_stderr("already exists and is not git-release's");
    assert_eq!(std::fs::read_to_string(hooks.join("pre-push")).expect("hook"), "#!/bin/sh\necho other hook ran >&2\n");

    world.release(&repo, &["hooks", "install", "--force"]).expect_status(0);
    world.release(&repo, &["hooks", "install", "--force"]).expect_status(0).expect_stderr("already git-release's hook");
    let status = world.release(&repo, &["hooks", "status", "--json"]);
    assert_eq!(status.json()["hooks"][0], serde_json::json!({"name": "pre-push", "state": "chained"}));

    world.git(&repo, &["checkout", "-q", "environment/qa"]);
    let pushed = push(&world, &repo, &["origin", ":environment/qa"]);
    let text = stderr(&pushed);
    assert!(text.contains("other hook ran") && text.contains("never deleted"), "both hooks ran:\n{text}");

    world.release(&repo, &["hooks", "uninstall"]).expect_status(0);
    assert_eq!(std::fs::read_to_string(hooks.join("pre-push")).expect("hook"), "#!/bin/sh\necho other hook ran >&2\n");
    let status = world.release(&repo, &["hooks", "status", "--json"]);
    assert_eq!(status.json()["hooks"][0]["state"], "other");
}

/// A push that tries to get around the hooks, how to set it up, and the words of its refusal.
struct Bypass {
    what: &'static str,
    prepare: &'static [&'static [&'static str]],
    push: &'static [&'static str],
    refusal: &'static str,
}

const BYPASSES: &[Bypass] = &[
    Bypass {
        what: "every tag forced at once",
        prepare: &[&["tag", "-f", "-a", "-m", "moved", "v1.0.0-rc.1", "main"]],
        push: &["origin", "+refs/tags/*:refs/tags/*"],
        refusal: "such tags are never moved",
    },
    Bypass {
        what: "an environment branch forced back",
        prepare: &[&["branch", "-f", "environment/qa", "main"]],
        push: &["--force", "origin", "environment/qa"],
        refusal: "environment/qa is the branch of environment qa, and it only moves forward",
    },
    Bypass {
        what: "an environment branch forced through a + refspec",
        prepare: &[],
        push: &["origin", "+main:refs/heads/environment/qa"],
        refusal: "it only moves forward",
    },
    Bypass {
        what: "a release tag deleted through a refspec",
        prepare: &[],
        push: &["origin", ":refs/tags/v1.0.0-rc.1"],
        refusal: "such tags are never deleted",
    },
    Bypass {
        what: "a release tag pruned by a wildcard refspec",
        prepare: &[&["tag", "-d", "v1.0.0-rc.1"]],
        push: &["--prune", "origin", "refs/tags/*:refs/tags/*"],
        refusal: "such tags are never deleted",
    },
    Bypass {
        what: "an environment branch deleted with --delete",
        prepare: &[],
        push: &["--delete", "origin", "environment/qa"],
        refusal: "environment branches are never deleted",
    },
];

#[test]
fn every_bypass_attempt_is_refused_by_pre_push_and_by_pre_receive() {
    let started = std::time::Instant::now();
    let mut refused = 0;
    for bypass in BYPASSES {
        for server_side in [false, true] {
            let world = World::new();
            let (repo, remote) = shop(&world);
            world.release(&repo, &["hooks", "install"]).expect_status(0);
            world.release(&remote, &["hooks", "install"]).expect_status(0);
            feature_on_qa(&world, &repo);
            world.git(&repo, &["fetch", "-q", "origin"]);
            for step in bypass.prepare {
                world.git(&repo, step);
            }
            let before = world.state(&remote);
            let mut args = if server_side { vec!["--no-verify"] } else { Vec::new() };
            args.extend(bypass.push);
            let output = push(&world, &repo, &args);
            let text = stderr(&output);
            let side = if server_side { "pre-receive" } else { "pre-push" };
            assert!(!output.status.success(), "{side} let {} through: {text}", bypass.what);
            let by_the_right_hook = if server_side {
                text.contains("remote: error: refusing")
            } else {
                text.contains("error: refusing") && !text.contains("remote:")
            };
            assert!(by_the_right_hook && text.contains(bypass.refusal), "{side}, {}: {text}", bypass.what);
            assert_eq!(world.state(&remote), before, "{side}, {}: the remote changed", bypass.what);
            refused += 1;
        }
    }

    // Names git would refuse never reach a hook through git; a hook must refuse them anyway, as
    // other servers hand it whatever they were sent.
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    feature_on_qa(&world, &repo);
    let tag = remote_ref(&world, &remote, "refs/tags/v1.0.0-rc.1");
    let hidden = ["refs/tags/../tags/v1.0.0-rc.2", "refs/heads/x/../environment/prod", "refs/tags//v1.0.0-rc.2"];
    for reference in hidden {
        let pushed = push(&world, &repo, &["origin", &format!("main:{reference}")]);
        assert!(stderr(&pushed).contains("invalid refspec"), "git refuses {reference} first: {}", stderr(&pushed));
        let zero = "0".repeat(40);
        for (hook, dir, line) in [
            ("pre-receive", &remote, format!("{zero} {tag} {reference}\n")),
            ("pre-push", &repo, format!("refs/tags/x {tag} {reference} {zero}\n")),
        ] {
            let before = world.state(&remote);
            let mut command = world.release_command(dir, &["hook", hook, "origin", "unused"]);
            let output = run_with_stdin(&mut command, &line);
            let text = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{hook} {reference}: {text}");
            assert!(text.contains("is not a valid reference name"), "{hook} {reference}: {text}");
            assert_eq!(world.state(&remote), before);
            refused += 1;
        }
    }
    crate::guarantees::figure(
        "bypass",
        started,
        &format!("{refused} bypass attempts, {refused} refused, 0 let through, the remote unchanged after each"),
    );
}

pub fn run_with_stdin(command: &mut std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("runs");
    child.stdin.take().expect("stdin is piped").write_all(input.as_bytes()).expect("stdin takes the line");
    child.wait_with_output().expect("it finishes")
}

/// Record tags made by hand that say something else than their messages (another second in the
/// name, another commit in `Commit:`) are refused by the hook; where they get in all the same (a
/// push that skips it), they count for nothing: the gate still refuses what qa never recorded,
/// and qa's real record is its latest.
#[test]
fn records_that_lie_are_refused_and_count_for_nothing() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    let head = feature_on_qa(&world, &repo);
    let main = world.git(&repo, &["rev-parse", "main"]).trim().to_owned();
    let forged = [
        ("1.0.0.20991231T000000Z.qa", &head, "its message makes it 1.0.0.20261121T100000Z.qa".to_owned()),
        ("1.0.0.20261121T100000Z.qa", &main, format!("its message says Commit: {main}")),
    ];
    for (name, commit, why) in &forged {
        let message = format!(
            "Deploy 1.0.0 to qa\n\nEnvironment: qa\nVersion: 1.0.0\nCommit: {commit}\nDeployed-At: 2026-11-21T10:00:00Z\n"
        );
        world.git(&repo, &["tag", "-a", "-m", &message, name, &head]);
        let pushed = push(&world, &repo, &["origin", name]);
        assert!(!pushed.status.success(), "{name} was pushed");
        let said = format!("{name} is named like a deployment record, but is none: {why}");
        assert!(stderr(&pushed).contains(&said), "{said}\n{}", stderr(&pushed));
        assert_eq!(remote_ref(&world, &remote, &format!("refs/tags/{name}")), "", "{name} reached the remote");
    }
    // Git reads both values of a trailer said twice; so a record may say each fact once.
    let twice = format!(
        "Deploy 1.0.0 to qa\n\nEnvironment: qa\nVersion: 1.0.0\nCommit: {head}\nCommit: {main}\nDeployed-At: 2026-11-21T10:05:00Z\n"
    );
    world.git(&repo, &["tag", "-a", "-m", &twice, "1.0.0.20261121T100500Z.qa", &head]);
    let pushed = push(&world, &repo, &["origin", "1.0.0.20261121T100500Z.qa"]);
    assert!(stderr(&pushed).contains("but is none: its message says Commit: more than once"), "{}", stderr(&pushed));
    let skipped = push(&world, &repo, &["--no-verify", "origin", "1.0.0.20991231T000000Z.qa"]);
    assert!(skipped.status.success(), "{}", stderr(&skipped));

    let gate = world.release(&repo, &["gate", "--target", "prod"]);
    gate.expect_status(1).expect_stdout("qa has not deployed");
    world.release(&repo, &["record", "qa"]).expect_status(0);
    world.release(&repo, &["gate", "--target", "prod"]).expect_status(0);
    let status = world.release(&repo, &["status", "--json"]);
    assert_eq!(status.expect_status(0).json()["environments"][0]["deployed"]["tag"], "1.0.0.20261121T101500Z.qa");
}

/// The one-repository layout with stage and main restricted, guarded by the remote's
/// pre-receive hook; qa has deployed a feature that stage has not.
fn infrastructure_with_qa_ahead(world: &World) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let (repo, remote) = crate::deploy::one_repo(world);
    world.git(&repo, &["checkout", "-q", "main"]);
    let text = std::fs::read_to_string(repo.join("release.toml")).expect("file is there");
    let text = text
        .replace("branch = \"stage\"\n", "branch = \"stage\"\nrestricted = true\n")
        .replace("branch = \"main\"\n", "branch = \"main\"\nrestricted = true\n");
    std::fs::write(repo.join("release.toml"), text).expect("file can be written");
    world.git(&repo, &["commit", "-q", "-am", "stage and main are restricted"]);
    world.git(&repo, &["branch", "-f", "qa", "main"]);
    world.git(&repo, &["branch", "-f", "stage", "main"]);
    world.git(&repo, &["push", "-q", "-f", "origin", "main", "qa", "stage"]);
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    world.git(&repo, &["checkout", "-q", "qa"]);
    std::fs::write(repo.join("network.tf"), "resource \"network\" {}\n").expect("file can be written");
    world.git(&repo, &["add", "network.tf"]);
    world.git(&repo, &["commit", "-q", "-m", "Add the network"]);
    world.git(&repo, &["push", "-q", "origin", "qa"]);
    world.release(&repo, &["prepare", "qa"]).expect_status(0);
    world.release(&repo, &["record", "qa"]).expect_status(0);
    let qa = world.git(&repo, &["rev-parse", "qa"]).trim().to_owned();
    (repo, remote, qa)
}

#[test]
fn the_merge_commit_or_squash_a_forge_makes_of_an_allowed_promotion_goes_in() {
    let world = World::new();
    let (repo, _remote, qa) = infrastructure_with_qa_ahead(&world);
    // The gate allows the promotion qa → stage, as CI asks it.
    world.release(&repo, &["gate", "--target", "stage", "--source", "qa", "--head", &qa]).expect_status(0);

    // The forge merges it with a merge commit (no fast-forward), and the server takes it.
    world.git(&repo, &["checkout", "-q", "stage"]);
    world.git(&repo, &["merge", "-q", "--no-ff", "-m", "Merge qa into stage", "qa"]);
    let merged = push(&world, &repo, &["origin", "stage"]);
    assert!(merged.status.success(), "a no-ff merge of what qa deployed: {}", stderr(&merged));
    world.release(&repo, &["prepare", "stage"]).expect_status(0);
    world.release(&repo, &["record", "stage"]).expect_status(0);

    // Into main as a squash: one new commit with the files stage deployed.
    world.git(&repo, &["checkout", "-q", "main"]);
    world.git(&repo, &["merge", "-q", "--squash", "stage"]);
    world.git(&repo, &["commit", "-q", "-m", "Promote stage to main (squashed)"]);
    let squashed = push(&world, &repo, &["origin", "main"]);
    assert!(squashed.status.success(), "a squash of what stage deployed: {}", stderr(&squashed));
}

#[test]
fn a_merge_commit_that_brings_more_than_the_previous_environment_deployed_is_refused() {
    let world = World::new();
    let (repo, remote, _qa) = infrastructure_with_qa_ahead(&world);
    let before = world.state(&remote);
    world.git(&repo, &["checkout", "-q", "stage"]);
    world.git(&repo, &["merge", "-q", "--no-ff", "--no-commit", "qa"]);
    std::fs::write(repo.join("backdoor.tf"), "resource \"backdoor\" {}\n").expect("file can be written");
    world.git(&repo, &["add", "backdoor.tf"]);
    world.git(&repo, &["commit", "-q", "-m", "Merge qa into stage"]);
    let refused = push(&world, &repo, &["origin", "stage"]);
    let text = stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("previous-deployed: qa has not deployed"), "{text}");
    assert!(text.contains("(nor a commit with its tree)"), "{text}");
    assert_eq!(world.state(&remote), before, "nothing moved on the server");
}

/// The pre-commit framework (the real one, from the Python package index) installed as the pre-push hook, with this
/// repository's `.pre-commit-hooks.yaml`: what it hands the hook is judged as git's own stdin
/// would be, force-pushes and moved tags included (it passes the remote's old value as
/// `PRE_COMMIT_FROM_REF`).
#[test]
fn the_pre_commit_framework_drives_the_hook_and_its_refusals_hold() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.git(&repo, &["config", "release.configRef", "refs/heads/main"]);
    let pre_commit = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ci-tools/venv/bin/pre-commit");
    assert!(pre_commit.exists(), "{} is missing: run ./test.sh once", pre_commit.display());

    // The hook's repository, as a team would pin it, holding this project's manifest.
    let hooks = world.empty_repo("hooks-repo", false);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    std::fs::copy(manifest, hooks.join(".pre-commit-hooks.yaml")).expect("manifest copies");
    world.git(&hooks, &["add", "."]);
    world.git(&hooks, &["commit", "-q", "-m", "Hooks"]);
    let rev = world.git(&hooks, &["rev-parse", "HEAD"]).trim().to_owned();
    let config =
        format!("repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: git-release-guard\n", path(&hooks));
    // Kept beside the repository, so that every branch a test checks out uses it.
    let config_file = world.path("pre-commit-config.yaml");
    std::fs::write(&config_file, config).expect("config written");
    let installed = world
        .command(&pre_commit, &repo)
        .args(["install", "--hook-type", "pre-push", "--config", path(&config_file)])
        .output();
    let installed = installed.expect("pre-commit runs");
    assert!(installed.status.success(), "{}", stderr(&installed));

    // The framework prints what its hooks say on stdout, and git passes it through.
    let said = |output: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    };

    // prod until qa records the commit.
    let head = feature_on_qa(&world, &repo);
    let refused = push(&world, &repo, &["origin", "environment/prod"]);
    assert!(!refused.status.success(), "{}", said(&refused));
    assert!(said(&refused).contains("caused by: previous-deployed: qa has not deployed"), "{}", said(&refused));
    assert_ne!(remote_ref(&world, &remote, "refs/heads/environment/prod"), head, "nothing moved");

    // A force-push that drops qa's commit: the framework passes the remote's old tip.
    world.git(&repo, &["checkout", "-q", "-B", "environment/qa", "main"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Rewritten"]);
    let forced = push(&world, &repo, &["--force", "origin", "environment/qa"]);
    assert!(!forced.status.success(), "{}", said(&forced));
    assert!(said(&forced).contains("which does not contain it"), "{}", said(&forced));

    // An rc moved onto a new commit: the framework passes the old tag object.
    let rc = remote_ref(&world, &remote, "refs/tags/v1.0.0-rc.1");
    world.git(&repo, &["tag", "-f", "-a", "-m", "moved", "v1.0.0-rc.1", "environment/qa"]);
    let moved = push(&world, &repo, &["--force", "origin", "refs/tags/v1.0.0-rc.1"]);
    assert!(!moved.status.success(), "{}", said(&moved));
    assert!(said(&moved).contains("never moved"), "{}", said(&moved));
    assert_eq!(remote_ref(&world, &remote, "refs/tags/v1.0.0-rc.1"), rc, "the rc stayed where it was");

    // An ordinary branch passes.
    world.git(&repo, &["checkout", "-q", "-b", "feature/z", "main"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Anything"]);
    let ordinary = push(&world, &repo, &["origin", "feature/z"]);
    assert!(ordinary.status.success(), "{}", said(&ordinary));
}
