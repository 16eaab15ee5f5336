//! Signed records and version tags: qa's deploy job and prod's each sign with a key of their own,
//! `[trust]` in the judging environment's file says whose signatures count, and `git tag -v`
//! verifies every tag git-release wrote. Real ssh keys, made by `ssh-keygen`.

use std::path::{Path, PathBuf};

use crate::deploy::TwoRepos;
use crate::harness::{Transcript, World};
use crate::reconcile::edit_release_file;

/// A deploy job's key pair, made with no passphrase, as a CI secret would hold it.
pub struct Key {
    private: PathBuf,
    pub public: String,
}

pub fn key(world: &World, name: &str) -> Key {
    let private = world.path(&format!("{name}-key"));
    let made = world
        .command("ssh-keygen", &world.path(""))
        .args(["-q", "-t", "ed25519", "-N", "", "-C", &format!("{name}-deploy@ci"), "-f"])
        .arg(&private)
        .output()
        .expect("ssh-keygen runs: run ./test.sh, which installs what the tests need");
    assert!(made.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&made.stderr));
    let public = std::fs::read_to_string(private.with_extension("pub")).expect("the public key");
    Key { private, public: public.trim().to_owned() }
}

/// The variables a deploy job sets so that git signs tags with `key` (none: it signs nothing).
pub fn signing_vars(key: Option<&Key>) -> Vec<(String, String)> {
    let Some(key) = key else { return Vec::new() };
    let settings =
        [("tag.gpgSign", "true".to_owned()), ("gpg.format", "ssh".into()), ("user.signingKey", path(&key.private))];
    let mut vars = vec![("GIT_CONFIG_COUNT".to_owned(), settings.len().to_string())];
    for (index, (name, value)) in settings.into_iter().enumerate() {
        vars.push((format!("GIT_CONFIG_KEY_{index}"), name.to_owned()));
        vars.push((format!("GIT_CONFIG_VALUE_{index}"), value));
    }
    vars
}

fn path(path: &Path) -> String {
    path.to_str().expect("temporary paths are UTF-8").to_owned()
}

pub fn run_as(world: &World, dir: &Path, args: &[&str], key: Option<&Key>) -> Transcript {
    let vars = signing_vars(key);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    world.release_with(dir, args, &vars)
}

/// The release repository of the demo with `[trust]` on every environment branch: qa's records
/// and rc tags are signed by qa's key, prod's by prod's.
fn trusted(world: &World, mode: &str) -> (TwoRepos, Key, Key) {
    let repos = TwoRepos::new(world);
    let (qa, prod) = (key(world, "qa"), key(world, "prod"));
    let section = format!(
        "\n[trust]\nmode = \"{mode}\"\n\n[trust.signers]\nqa = [\"{}\"]\nprod = [\"{}\"]\n",
        qa.public, prod.public
    );
    edit_release_file(world, &repos.release, |file| format!("{file}{section}"));
    (repos, qa, prod)
}

/// Which deploy job's key signs a step: qa's, prod's, or none.
#[derive(Clone, Copy)]
enum By {
    Qa,
    Prod,
    Nobody,
}

/// The trusted demo with qa at 1.0.0, its rc cut and its deployment recorded, each step signed
/// as `by` says.
fn qa_deployed(world: &World, mode: &str, rc: By, record: By) -> (TwoRepos, Key, Key) {
    let (repos, qa, prod) = trusted(world, mode);
    let key = |by: By| match by {
        By::Qa => Some(&qa),
        By::Prod => Some(&prod),
        By::Nobody => None,
    };
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let enforced = mode == "enforce";
    for (step, by, pattern) in [("prepare", rc, "v1.0.0-rc.1"), ("record", record, "1.0.0.*.qa")] {
        if enforced && !matches!(by, By::Qa) {
            // Under enforce qa's job signs with qa's key or refuses: another signature, or none,
            // is one made by hand.
            run_as(world, release, &[step, "qa", "--no-push"], Some(&qa)).expect_status(0);
            let cache = cache_of(release);
            let tag = world.git(&cache, &["tag", "-l", pattern]);
            publish_resigned(world, &cache, tag.trim(), key(by));
        } else {
            run_as(world, release, &[step, "qa"], key(by)).expect_status(0);
        }
    }
    (repos, qa, prod)
}

/// The bare cache of the application repository in the release repository's git directory.
pub fn cache_of(release: &Path) -> PathBuf {
    let apps = release.join(".git/release/apps");
    let mut entries = std::fs::read_dir(&apps).expect("the cache folder exists").map(|e| e.expect("entry").path());
    entries.next().expect("one cache")
}

/// Replaces tag `name` in `repo` with the same tag without its signature, and pushes it.
pub fn publish_unsigned(world: &World, repo: &Path, name: &str) {
    publish_resigned(world, repo, name, None);
}

/// Replaces tag `name` in `repo` with the same tag signed by `key` instead (or by nobody), and
/// pushes it.
fn publish_resigned(world: &World, repo: &Path, name: &str, key: Option<&Key>) {
    resign(world, repo, name, key);
    world.git(repo, &["push", "-q", "origin", &format!("refs/tags/{name}")]);
}

/// Replaces tag `name` in `repo` with the same tag signed by `key` instead (or by nobody), as
/// `ssh-keygen -Y sign` signs for git: a tag made by hand.
fn resign(world: &World, repo: &Path, name: &str, key: Option<&Key>) {
    let object = world.git(repo, &["cat-file", "tag", name]);
    let mut tag = object[..object.find("-----BEGIN SSH SIGNATURE-----").expect("a signed tag")].to_owned();
    if let Some(key) = key {
        let payload = world.path("payload");
        std::fs::write(&payload, &tag).expect("payload written");
        let signed = world
            .command("ssh-keygen", repo)
            .args(["-Y", "sign", "-n", "git", "-f"])
            .arg(&key.private)
            .arg(&payload)
            .output();
        assert!(signed.expect("ssh-keygen runs").status.success(), "ssh-keygen signs");
        tag.push_str(&std::fs::read_to_string(payload.with_extension("sig")).expect("the signature"));
        std::fs::remove_file(payload.with_extension("sig")).expect("removed");
    }
    let mut mktag = world.command("git", repo);
    mktag.arg("mktag").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = mktag.spawn().expect("git mktag starts");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), tag.as_bytes()).expect("written");
    let output = child.wait_with_output().expect("git mktag runs");
    assert!(output.status.success(), "git mktag: {}", String::from_utf8_lossy(&output.stderr));
    let id = String::from_utf8(output.stdout).expect("UTF-8");
    world.git(repo, &["update-ref", &format!("refs/tags/{name}"), id.trim()]);
}

/// `git tag -v` in the application's remote, with the two keys as its allowed signers.
fn git_verifies(world: &World, repos: &TwoRepos, keys: &[&Key], tag: &str) -> bool {
    let allowed = world.path("allowed_signers");
    let lines = keys.iter().map(|k| format!("deploy@ci {}", k.public)).collect::<Vec<_>>().join("\n");
    std::fs::write(&allowed, lines).expect("allowed signers written");
    let setting = format!("gpg.ssh.allowedSignersFile={}", path(&allowed));
    let output = world.command("git", &repos.app_remote).args(["-c", &setting, "tag", "-v", tag]).output();
    output.expect("git runs").status.success()
}

fn record_of(world: &World, repos: &TwoRepos, environment: &str) -> String {
    let tags = world.git(&repos.app_remote, &["tag", "-l", &format!("*.{environment}")]);
    let mut tags: Vec<&str> = tags.lines().collect();
    assert_eq!(tags.len(), 1, "one record of {environment}: {tags:?}");
    tags.remove(0).to_owned()
}

#[test]
fn qa_and_prod_each_sign_with_their_own_key_and_git_verifies_every_tag() {
    let world = World::new();
    let (repos, qa, prod) = qa_deployed(&world, "enforce", By::Qa, By::Qa);
    let release = &repos.release;
    let allowed = world.release(release, &["gate", "--target", "prod"]);
    allowed.expect_status(0);
    assert!(!allowed.stderr.contains("warning:"), "nothing to warn about:\n{allowed}");
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    run_as(&world, release, &["prepare", "prod"], Some(&prod)).expect_status(0).expect_stdout("tag=v1.0.0\n");
    run_as(&world, release, &["record", "prod"], Some(&prod)).expect_status(0);

    let qa_record = record_of(&world, &repos, "qa");
    let prod_record = record_of(&world, &repos, "prod");
    for tag in ["v1.0.0-rc.1", "v1.0.0", qa_record.as_str(), prod_record.as_str()] {
        assert!(git_verifies(&world, &repos, &[&qa, &prod], tag), "git tag -v {tag} verifies");
    }
    assert!(git_verifies(&world, &repos, &[&qa], &qa_record) && !git_verifies(&world, &repos, &[&qa], &prod_record));
    let status = world.release(release, &["status", "--json"]);
    let json = status.expect_status(0).json();
    assert_eq!(json["environments"][2]["deployed"]["tag"], prod_record.as_str(), "{json}");
    let log = world.release(release, &["log"]);
    log.expect_status(0).expect_stdout(&qa_record).expect_stdout(&prod_record);
}

#[test]
fn an_unsigned_qa_record_does_not_open_prod_under_enforce() {
    let world = World::new();
    let (repos, ..) = qa_deployed(&world, "enforce", By::Qa, By::Nobody);
    let release = &repos.release;
    let record = record_of(&world, &repos, "qa");
    let refused = world.release(release, &["gate", "--target", "prod"]);
    refused
        .expect_status(1)
        .expect_stdout("qa has not deployed")
        .expect_stderr(&format!("warning: {record} does not count: it is not signed ([trust] mode = \"enforce\")"))
        .expect_stderr(
            "hint: a record or version tag counts when a key [trust.signers] lists for its environment signed it",
        );
    let status = world.release(release, &["status", "--json"]);
    let json = status.expect_status(0).json();
    assert!(json["environments"][1]["deployed"].is_null(), "qa shows no deployment: {json}");
}

#[test]
fn a_qa_record_signed_with_prods_key_does_not_open_prod() {
    let world = World::new();
    let (repos, ..) = qa_deployed(&world, "enforce", By::Prod, By::Prod);
    let release = &repos.release;
    let refused = world.release(release, &["gate", "--target", "prod"]);
    refused
        .expect_status(1)
        .expect_stderr("does not count: it is signed by ssh-ed25519 …")
        .expect_stderr("which [trust.signers] lists for other environments, not qa");
}

#[test]
fn under_warn_an_unsigned_record_counts_and_each_use_says_so() {
    let world = World::new();
    let (repos, ..) = qa_deployed(&world, "warn", By::Nobody, By::Nobody);
    let release = &repos.release;
    let record = record_of(&world, &repos, "qa");
    world
        .release(release, &["gate", "--target", "prod"])
        .expect_status(0)
        .expect_stderr(&format!("warning: {record} counts although it is not signed ([trust] mode = \"warn\")"));
}

#[test]
fn without_trust_signed_and_unsigned_records_count_alike_and_nothing_is_verified() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    let qa = key(&world, "qa");
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    run_as(&world, release, &["prepare", "qa"], Some(&qa)).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    let allowed = world.release(release, &["-v", "gate", "--target", "prod"]);
    allowed.expect_status(0);
    assert!(!allowed.stderr.contains("verify-tag"), "no signature is checked:\n{allowed}");
    assert!(git_verifies(&world, &repos, &[&qa], "v1.0.0-rc.1"), "signed all the same, as git is set to");
}

#[test]
fn a_signing_key_git_cannot_use_refuses_the_deployment_and_pushes_nothing() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let missing = Key { private: world.path("no-such-key"), public: String::new() };
    let before = world.state(&repos.app_remote);
    let refused = run_as(&world, release, &["prepare", "qa"], Some(&missing));
    refused
        .expect_status(128)
        .expect_stderr("error: ssh-keygen could not sign the tag")
        .expect_stderr("hint: tag.gpgSign is on, so every tag is signed: check user.signingKey and gpg.format");
    assert_eq!(world.state(&repos.app_remote), before, "no unsigned tag went out instead");
}

#[test]
fn a_signer_that_is_no_key_is_a_configuration_error_that_names_it() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let section = "\n[trust]\nmode = \"enforce\"\n\n[trust.signers]\nqa = [\"my laptop\"]\nstage = [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ\"]\n";
    edit_release_file(&world, &repos.release, |file| format!("{file}{section}"));
    world
        .release(&repos.release, &["status"])
        .expect_status(2)
        .expect_stderr("[trust.signers] qa: is neither an ssh public key")
        .expect_stderr("[trust.signers] names `stage`, which is not an environment (dev, qa, prod)");
}

/// The one-repository shop with `[trust]` enforced in its release file and both hooks installed.
fn trusted_shop(world: &World) -> (PathBuf, PathBuf, Key, Key) {
    let (qa, prod) = (key(world, "qa"), key(world, "prod"));
    let remote = world.empty_repo("shop.git", true);
    let repo = world.repo("shop");
    world.git(&repo, &["remote", "add", "origin", &path(&remote)]);
    let file = format!(
        "{}\n[trust]\nmode = \"enforce\"\n\n[trust.signers]\nqa = [\"{}\"]\nprod = [\"{}\"]\n",
        crate::harness::SHOP_FILE,
        qa.public,
        prod.public
    );
    world.commit_release_file(&repo, "main", file.as_bytes());
    for branch in ["environment/qa", "environment/prod"] {
        world.git(&repo, &["branch", branch, "main"]);
    }
    world.git(&repo, &["push", "-q", "origin", "main", "environment/qa", "environment/prod"]);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    (repo, remote, qa, prod)
}

#[test]
fn both_hooks_refuse_a_qa_record_or_candidate_not_signed_by_qas_key() {
    let world = World::new();
    let (repo, remote, qa, prod) = trusted_shop(&world);
    world.git(&repo, &["checkout", "-q", "environment/qa"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Feature"]);
    world.git(&repo, &["push", "-q", "origin", "environment/qa"]);

    // A job that signs nothing makes nothing; a candidate made by hand does not get out.
    let unsigned = world.release(&repo, &["prepare", "qa"]);
    unsigned.expect_status(2).expect_stderr("error: [trust] mode = \"enforce\", and git here signs no tags");
    world.git(&repo, &["tag", "-a", "-m", "Release candidate v1.0.0-rc.1 of 1.0.0", "v1.0.0-rc.1"]);
    for verify in ["--verify", "--no-verify"] {
        let pushed = crate::hooks::push(&world, &repo, &[verify, "origin", "v1.0.0-rc.1"]);
        let said = crate::hooks::stderr(&pushed);
        assert!(said.contains("v1.0.0-rc.1 does not count: it is not signed"), "{verify}: {said}");
    }
    assert_eq!(crate::hooks::remote_ref(&world, &remote, "refs/tags/v1.0.0-rc.1"), "");
    world.git(&repo, &["tag", "-d", "v1.0.0-rc.1"]);
    run_as(&world, &repo, &["prepare", "qa"], Some(&qa)).expect_status(0).expect_stdout("tag=v1.0.0-rc.1\n");

    // qa's job with prod's key is refused; a record of qa signed with prod's key by hand, kept
    // here and pushed past the local hook, is refused by the server.
    let refused = run_as(&world, &repo, &["record", "qa", "--no-push"], Some(&prod));
    refused
        .expect_status(2)
        .expect_stderr("which [trust.signers] does not list for qa: the tags this deployment makes would not count");
    run_as(&world, &repo, &["record", "qa", "--no-push"], Some(&qa)).expect_status(0);
    let record = world.git(&repo, &["tag", "-l", "*.qa"]).trim().to_owned();
    resign(&world, &repo, &record, Some(&prod));
    let pushed = crate::hooks::push(&world, &repo, &["--no-verify", "origin", &record]);
    let said = crate::hooks::stderr(&pushed);
    assert!(!pushed.status.success(), "{said}");
    assert!(said.contains("which [trust.signers] lists for other environments, not qa"), "{said}");
    assert!(
        said.contains(
            "hint: tags that record releases and deployments are signed by the deploy job of their environment (qa)"
        ),
        "{said}"
    );
    assert_eq!(crate::hooks::remote_ref(&world, &remote, &format!("refs/tags/{record}")), "");

    // prod stays shut: the only record of qa here does not count.
    world.git(&repo, &["checkout", "-q", "environment/prod"]);
    world.git(&repo, &["merge", "-q", "--ff-only", "environment/qa"]);
    let refused = crate::hooks::push(&world, &repo, &["--no-verify", "origin", "environment/prod"]);
    assert!(!refused.status.success(), "{}", crate::hooks::stderr(&refused));
    assert!(crate::hooks::stderr(&refused).contains("qa has not deployed"), "{}", crate::hooks::stderr(&refused));

    // qa's own key: the record goes in, and so does the promotion.
    world.git(&repo, &["tag", "-d", &record]);
    run_as(&world, &repo, &["record", "qa", "--at", "2026-11-21T10:20:00Z"], Some(&qa)).expect_status(0);
    let promoted = crate::hooks::push(&world, &repo, &["origin", "environment/prod"]);
    assert!(promoted.status.success(), "{}", crate::hooks::stderr(&promoted));
}

#[test]
fn the_application_repositorys_server_refuses_unsigned_records_by_the_release_repositorys_trust() {
    let world = World::new();
    let (repos, qa, _) = trusted(&world, "enforce");
    let release = &repos.release;
    let install =
        ["hooks", "install", "--release", &path(&repos.release_remote), "--release-branch", "environment/prod"];
    world.release(&repos.app_remote, &install).expect_status(0);
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let before = world.state(&repos.app_remote);
    world.release(release, &["prepare", "qa"]).expect_status(2).expect_stderr("git here signs no tags");
    assert_eq!(world.state(&repos.app_remote), before, "no unsigned candidate");
    // An unsigned record, as a copy of a signed one without its signature, is refused.
    run_as(&world, release, &["prepare", "qa"], Some(&qa)).expect_status(0);
    run_as(&world, release, &["record", "qa", "--no-push"], Some(&qa)).expect_status(0);
    let cache = cache_of(release);
    let record = world.git(&cache, &["tag", "-l", "*.qa"]).trim().to_owned();
    let refused = std::panic::catch_unwind(|| publish_unsigned(&world, &cache, &record));
    assert!(refused.is_err(), "the server takes no unsigned record");
    assert_eq!(crate::hooks::remote_ref(&world, &repos.app_remote, &format!("refs/tags/{record}")), "");
    world.git(&cache, &["tag", "-d", &record]);
    run_as(&world, release, &["record", "qa"], Some(&qa)).expect_status(0);
    world.release(release, &["gate", "--target", "prod"]).expect_status(0);
}

#[test]
fn init_sign_sets_up_signing_here_and_trusts_that_key_for_every_environment() {
    let world = World::new();
    let repo = world.repo("shop");
    let key = key(&world, "release");
    let key_path = path(&key.private);
    let initialised = world.release(&repo, &["init", "--sign", &key_path]);
    initialised.expect_status(0);
    assert_eq!(world.git(&repo, &["config", "tag.gpgSign"]).trim(), "true");
    assert_eq!(world.git(&repo, &["config", "gpg.format"]).trim(), "ssh");
    assert_eq!(world.git(&repo, &["config", "user.signingKey"]).trim(), key_path);
    let file = world.show(&repo, "environment/prod:release.toml");
    assert!(file.contains("[trust]\nmode = \"enforce\""), "{file}");
    assert!(file.contains(&format!("prod = [\"{}\"]", key.public.rsplit_once(' ').expect("a comment").0)), "{file}");

    world.release(&repo, &["prepare", "qa", "--no-push"]).expect_status(0).expect_stdout("tag=v0.1.0-rc.1\n");
    world.release(&repo, &["record", "qa", "--no-push"]).expect_status(0);
    world.release(&repo, &["gate", "--target", "prod"]).expect_status(0);
    let allowed = world.path("allowed");
    std::fs::write(&allowed, format!("me {}\n", key.public)).expect("allowed signers");
    let setting = format!("gpg.ssh.allowedSignersFile={}", path(&allowed));
    let record = world.git(&repo, &["tag", "-l", "*.qa"]).trim().to_owned();
    for tag in ["v0.1.0-rc.1", record.as_str()] {
        world.git(&repo, &["-c", &setting, "tag", "-v", tag]);
    }

    let other = world.repo("other");
    let missing = world.release(&other, &["init", "--sign", &path(&world.path("nowhere"))]);
    missing.expect_status(2).expect_stderr("nowhere: no such file").expect_stderr("hint: give an ssh key file");
    assert!(!world.git(&other, &["branch", "--list"]).contains("environment/"), "nothing was created");
}

#[test]
fn an_unsigned_candidate_is_passed_over_by_prepare_and_cut_again_under_a_new_number() {
    let world = World::new();
    let (repos, qa, prod) = trusted(&world, "enforce");
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    // Someone who may push tags but holds no key puts an rc on the commit qa would deploy.
    let main = world.git(&repos.app, &["rev-parse", "main"]).trim().to_owned();
    world.git(&repos.app, &["tag", "-a", "-m", "Release candidate", "v1.0.0-rc.1", &main]);
    world.git(&repos.app, &["push", "-q", "origin", "v1.0.0-rc.1"]);
    let cut = run_as(&world, release, &["prepare", "qa"], Some(&qa));
    cut.expect_status(0)
        .expect_stdout("tag=v1.0.0-rc.2\n")
        .expect_stderr("warning: v1.0.0-rc.1 does not count: it is not signed");
    run_as(&world, release, &["record", "qa"], Some(&qa)).expect_status(0);
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    run_as(&world, release, &["prepare", "prod"], Some(&prod)).expect_status(0).expect_stdout("tag=v1.0.0\n");
    assert!(git_verifies(&world, &repos, &[&qa, &prod], "v1.0.0-rc.2"));
}

#[test]
fn a_push_to_dev_that_switches_trust_off_changes_nothing_status_or_log_show() {
    // Found by the independent pass: status, log and promote took [trust] from the file checked
    // out, so a push to unrestricted dev made forged records show as what qa runs.
    let world = World::new();
    let (repos, ..) = qa_deployed(&world, "enforce", By::Qa, By::Qa);
    let release = &repos.release;
    let deployed = world.git(&repos.app_remote, &["rev-list", "-n", "1", "v1.0.0-rc.1"]).trim().to_owned();
    let evil = repos.app_commit(&world, "Something qa never ran");
    let name = "1.0.0.20261121T101530Z.qa";
    let forged = format!(
        "Deploy 1.0.0 to qa\n\nEnvironment: qa\nVersion: 1.0.0\nCommit: {evil}\nDeployed-At: 2026-11-21T10:15:30Z\n"
    );
    world.git(&repos.app, &["tag", "-a", "-m", &forged, name, &evil]);
    world.git(&repos.app, &["push", "-q", "origin", name]);
    world.git(release, &["checkout", "-q", "environment/dev"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("dev's file");
    std::fs::write(release.join("release.toml"), file.replace("mode = \"enforce\"", "mode = \"off\""))
        .expect("written");
    world.git(release, &["commit", "-q", "-am", "Trust nobody's signatures"]);
    world.git(release, &["push", "-q", "origin", "environment/dev"]);

    // log fetches the forged record into the cache; status then reads it from there.
    let log = world.release(release, &["log", "qa"]);
    assert!(!log.expect_status(0).stdout.contains(name), "the forged record is no record:\n{log}");
    log.expect_stderr(&format!("warning: {name} does not count: it is not signed"));
    let status = world.release(release, &["status", "--json"]);
    let json = status.expect_status(0).json();
    assert_eq!(json["environments"][1]["deployed"]["commit"], deployed.as_str(), "qa runs what it ran: {json}");
    assert_eq!(json["environments"][2]["gate"]["deploys"], deployed.as_str(), "{json}");
    status.expect_stderr(&format!("warning: {name} does not count: it is not signed"));

    // Found by the second pass: a file checked out that also names another branch prod's.
    world.git(release, &["checkout", "-q", "-b", "evil", "environment/qa"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("the file");
    let renamed = file.replace("branch = \"environment/prod\"", "branch = \"evil\"").replace("\"enforce\"", "\"off\"");
    assert_ne!(renamed, file, "prod's branch is named in the file");
    std::fs::write(release.join("release.toml"), renamed).expect("written");
    world.git(release, &["commit", "-q", "-am", "prod is this branch now"]);
    let log = world.release(release, &["log", "qa"]);
    assert!(!log.expect_status(0).stdout.contains(name), "release.configRef says which branch is prod's:\n{log}");
}

#[test]
fn a_push_that_unrestricts_prod_needs_a_commit_signed_by_prods_key() {
    // Found by the independent pass: on a server whose pre-receive hook is the only guard, a push
    // to prod that set restricted = false kept the version, passed the gate, and opened prod.
    let world = World::new();
    let (repos, _, prod) = qa_deployed(&world, "enforce", By::Qa, By::Qa);
    let release = &repos.release;
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    world.release(&repos.release_remote, &["hooks", "install"]).expect_status(0);
    world.git(release, &["checkout", "-q", "environment/prod"]);
    world.git(release, &["merge", "-q", "--ff-only", "origin/environment/prod"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("prod's file");
    std::fs::write(release.join("release.toml"), file.replacen("restricted = true", "restricted = false", 1))
        .expect("written");
    world.git(release, &["commit", "-q", "-am", "Open prod"]);
    let refused = crate::hooks::push(&world, release, &["--no-verify", "origin", "environment/prod"]);
    let said = crate::hooks::stderr(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(
        said.contains("release-settings: the change edits environments.prod.restricted of restricted prod"),
        "{said}"
    );
    assert!(said.contains("it is not signed"), "{said}");

    // Signed by a key nobody lists, it is refused, and the refusal says whose key it is not.
    let stranger = key(&world, "stranger");
    let amend = |key: &Key| {
        let mut amend = world.command("git", release);
        amend.args(["commit", "-q", "--amend", "-S", "--no-edit"]).envs(signing_vars(Some(key)));
        assert!(amend.status().expect("git runs").success());
    };
    amend(&stranger);
    let refused = crate::hooks::push(&world, release, &["--no-verify", "origin", "environment/prod"]);
    let said = crate::hooks::stderr(&refused);
    assert!(said.contains("it is signed by the ED25519 key SHA256:"), "{said}");
    assert!(said.contains("which [trust.signers] does not list for prod"), "{said}");

    // The same change, signed by a key prod lists, is prod's own decision.
    amend(&prod);
    let pushed = crate::hooks::push(&world, release, &["--no-verify", "origin", "environment/prod"]);
    assert!(pushed.status.success(), "{}", crate::hooks::stderr(&pushed));
}

#[test]
fn a_final_tag_made_by_hand_holds_its_name_and_the_warning_says_it_does_not_count() {
    // Found by the independent pass: an unsigned v1.0.0 on another commit blocked the release
    // with no word that it was not one of the prod job's.
    let world = World::new();
    let (repos, ..) = qa_deployed(&world, "enforce", By::Qa, By::Qa);
    let release = &repos.release;
    let evil = repos.app_commit(&world, "Something qa never ran");
    world.git(&repos.app, &["tag", "-a", "-m", "Release 1.0.0", "v1.0.0", &evil]);
    world.git(&repos.app, &["push", "-q", "origin", "v1.0.0"]);
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    let refused = world.release(release, &["gate", "--target", "prod"]);
    refused
        .expect_status(1)
        .expect_stdout("FAIL  release-candidate")
        .expect_stderr("warning: v1.0.0 does not count: it is not signed ([trust] mode = \"enforce\")");
}

/// An OpenPGP key made with gpg in a keyring of the test's own; its fingerprint.
fn openpgp_key(world: &World, gnupg: &Path, who: &str) -> String {
    let gpg = |args: &[&str]| {
        let output = world.command("gpg", &world.path("")).arg("--homedir").arg(gnupg).args(args).output();
        let output = output.expect("gpg runs: run ./test.sh, which installs what the tests need");
        assert!(output.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    gpg(&["--batch", "--passphrase", "", "--quick-gen-key", who, "ed25519", "sign", "never"]);
    let listed = gpg(&["--with-colons", "--list-keys", who]);
    let fingerprint = listed.lines().find_map(|line| line.strip_prefix("fpr:")).expect("a fingerprint");
    fingerprint.trim_matches(':').to_owned()
}

#[test]
fn openpgp_signatures_count_by_fingerprint_against_the_verifiers_keyring() {
    let world = World::new();
    let gnupg = world.path("gnupg");
    std::fs::create_dir_all(&gnupg).expect("a keyring folder");
    std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("private");
    let qa = openpgp_key(&world, &gnupg, "QA Deploy <qa@ci.example.com>");
    let other = openpgp_key(&world, &gnupg, "Someone Else <else@example.com>");
    let repos = TwoRepos::new(&world);
    let section = format!("\n[trust]\nmode = \"enforce\"\n\n[trust.signers]\nqa = [\"{qa}\"]\n");
    edit_release_file(&world, &repos.release, |file| format!("{file}{section}"));
    let release = &repos.release;
    let home = path(&gnupg);
    // A job that signs with `key` (OpenPGP is git's default format) at `moment`.
    let job = |key: &str, moment: &str| -> Vec<(&'static str, String)> {
        let mut vars = vec![("GNUPGHOME", home.clone()), ("GIT_COMMITTER_DATE", moment.to_owned())];
        if !key.is_empty() {
            vars.extend([
                ("GIT_CONFIG_COUNT", "2".to_owned()),
                ("GIT_CONFIG_KEY_0", "tag.gpgSign".to_owned()),
                ("GIT_CONFIG_VALUE_0", "true".to_owned()),
                ("GIT_CONFIG_KEY_1", "user.signingKey".to_owned()),
                ("GIT_CONFIG_VALUE_1", key.to_owned()),
            ]);
        }
        vars
    };
    let run = |args: &[&str], vars: Vec<(&'static str, String)>| {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        world.release_with(release, args, &vars)
    };
    let (qa, other) = (qa.as_str(), other.as_str());
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    run(&["prepare", "qa"], job(qa, "2026-11-21T10:15:00Z")).expect_status(0);
    run(&["record", "qa"], job(other, "2026-11-21T10:15:00Z")).expect_status(0);
    let refused = run(&["gate", "--target", "prod"], job("", "2026-11-21T10:15:00Z"));
    refused
        .expect_status(1)
        .expect_stderr(&format!("it is signed by {other}, which [trust.signers] does not list for qa"));
    run(&["record", "qa", "--commit", "v1.0.0-rc.1"], job(qa, "2026-11-21T10:20:00Z")).expect_status(0);
    run(&["gate", "--target", "prod"], job("", "2026-11-21T10:20:00Z")).expect_status(0);
    let mut verify = world.command("git", &repos.app_remote);
    verify.env("GNUPGHOME", &gnupg).args(["tag", "-v", "v1.0.0-rc.1"]);
    assert!(verify.output().expect("git runs").status.success(), "git tag -v verifies the OpenPGP signature");
    let _ =
        world.command("gpgconf", &world.path("")).arg("--homedir").arg(&gnupg).args(["--kill", "gpg-agent"]).status();
}

#[test]
fn git_dash_c_settings_sign_as_they_do_for_git_tag() {
    // Found by the second pass: `git -c user.signingKey=… release prepare` signed with the key
    // in the repository's config, or refused as not signing at all.
    let world = World::new();
    let (repos, qa, _) = trusted(&world, "enforce");
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let key = format!("user.signingKey={}", path(&qa.private));
    let dash_c = ["-c", "tag.gpgSign=true", "-c", "gpg.format=ssh", "-c", key.as_str(), "release", "prepare", "qa"];
    let output = world.command("git", release).args(dash_c).output().expect("git runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(git_verifies(&world, &repos, &[&qa], "v1.0.0-rc.1"), "signed with the key given to git -c");
}

#[test]
fn under_warn_the_hooks_let_unsigned_changes_in_and_say_so() {
    // Found by the second pass: under warn, an unsigned push that unrestricted prod passed the
    // server hook without a word.
    let world = World::new();
    let (repos, ..) = qa_deployed(&world, "warn", By::Nobody, By::Nobody);
    let release = &repos.release;
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    world.release(&repos.release_remote, &["hooks", "install"]).expect_status(0);
    world.git(release, &["checkout", "-q", "environment/prod"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("prod's file");
    std::fs::write(release.join("release.toml"), file.replacen("restricted = true", "restricted = false", 1))
        .expect("written");
    world.git(release, &["commit", "-q", "-am", "Open prod"]);
    let pushed = crate::hooks::push(&world, release, &["--no-verify", "origin", "environment/prod"]);
    let said = crate::hooks::stderr(&pushed);
    assert!(pushed.status.success(), "{said}");
    assert!(said.contains("remote: warning: refs/heads/environment/prod: commit "), "{said}");
    assert!(said.contains("counts although it is not signed ([trust] mode = \"warn\")"), "{said}");
}

/// A deploy job's checkout whose release file turns `[trust]` off (a local edit, or a push to an
/// unrestricted branch it checked out) changes nothing about which tags count for `prepare`: an
/// rc nobody trusted signed is still passed over, and said so.
#[test]
fn a_checkout_that_turns_trust_off_does_not_make_prepare_count_an_untrusted_candidate() {
    let world = World::new();
    let (repos, qa, _) = trusted(&world, "enforce");
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    let main = world.git(&repos.app, &["rev-parse", "main"]).trim().to_owned();
    world.git(&repos.app, &["tag", "-a", "-m", "Release candidate", "v1.0.0-rc.1", &main]);
    world.git(&repos.app, &["push", "-q", "origin", "v1.0.0-rc.1"]);
    world.git(release, &["checkout", "-q", "-b", "scratch"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("the release file");
    std::fs::write(release.join("release.toml"), file.replace("mode = \"enforce\"", "mode = \"off\""))
        .expect("written");
    world.git(release, &["commit", "-q", "-am", "Trust nobody's signatures"]);
    run_as(&world, release, &["prepare", "qa"], Some(&qa))
        .expect_status(0)
        .expect_stdout("tag=v1.0.0-rc.2\n")
        .expect_stderr("warning: v1.0.0-rc.1 does not count: it is not signed");
}
