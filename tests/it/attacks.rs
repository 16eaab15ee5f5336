//! Someone with push rights to one branch tries to get past the gate. Each test is named for what
//! the attacker tried, and asserts that nothing was let in.

use std::path::Path;

use crate::deploy::{TwoRepos, path};
use crate::gate::prepared_qa;
use crate::harness::{SHOP_FILE, World};
use crate::hooks::{feature_on_qa, push, remote_ref, shop, stderr};

/// prod's rules as an attacker would rewrite them: no previous environment, unrestricted, listed
/// first so that it looks like the start of the path.
fn weakened(file: &str) -> String {
    let prod_start = file.find("[[environments]]\nname = \"prod\"").expect("prod's table");
    let prod_end = file[prod_start..].find("\n[").map_or(file.len(), |end| prod_start + end + 1);
    let prod =
        file[prod_start..prod_end].replace("after = \"qa\"\n", "").replace("restricted = true", "restricted = false");
    let rest = format!("{}{}", &file[..prod_start], &file[prod_end..]);
    let first = rest.find("[[environments]]").expect("an environment");
    format!("{}{prod}\n{}", &rest[..first], &rest[first..])
}

/// Commits `text` as the release file on the branch checked out.
fn commit_file(world: &World, repo: &Path, text: &str, message: &str) -> String {
    std::fs::write(repo.join("release.toml"), text).expect("release file");
    world.git(repo, &["commit", "-q", "-am", message]);
    world.git(repo, &["rev-parse", "HEAD"]).trim().to_owned()
}

fn github_pull_request(world: &World, base: &str, head_ref: &str, head: &str) -> Vec<(&'static str, String)> {
    let event = world.path("event.json");
    let body = format!(
        r#"{{"action":"synchronize","pull_request":{{"number":7,"head":{{"sha":"{head}","ref":"{head_ref}"}},"base":{{"ref":"{base}"}}}}}}"#
    );
    std::fs::write(&event, body).expect("event file");
    vec![
        ("GITHUB_ACTIONS", "true".into()),
        ("GITHUB_EVENT_NAME", "pull_request".into()),
        ("GITHUB_BASE_REF", base.into()),
        ("GITHUB_HEAD_REF", head_ref.into()),
        ("GITHUB_EVENT_PATH", path(&event).into()),
    ]
}

#[test]
fn a_pull_request_that_rewrites_prods_rules_is_judged_by_the_rules_it_replaces() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    // qa is unrestricted: the attacker pushes a weakened file there and asks to promote it. CI
    // checks out the pull request's head, so the file found first is the attacker's.
    world.git(release, &["checkout", "-q", "environment/qa"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("release file");
    let evil =
        weakened(&file).replace("[app]\n", "[forge]\nkind = \"github\"\napi = \"http://127.0.0.1:9/\"\n\n[app]\n");
    let head = commit_file(&world, release, &evil, "Simplify the release path");
    world.git(release, &["push", "-q", "origin", "environment/qa"]);
    world.git(release, &["checkout", "-q", "--detach", &head]);
    let before = world.state(&repos.release_remote);

    let env = github_pull_request(&world, "environment/prod", "environment/qa", &head);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let gate = world.release_with(release, &["gate", "--ci", "--json"], &env);
    gate.expect_status(1);
    let json = gate.json();
    let finding =
        |check: &str| json["findings"].as_array().expect("findings").iter().find(|f| f["check"] == check).cloned();
    let previous = finding("previous-deployed").expect("prod still comes after qa");
    assert_eq!(previous["ok"], false, "{json}");
    let settings = finding("release-settings").expect("the edits are shown");
    let message = settings["message"].as_str().unwrap_or_default();
    for edit in [
        "environments.prod (moved)",
        "environments.prod.after (removed)",
        "environments.prod.restricted",
        "forge.api (added)",
    ] {
        assert!(message.contains(edit), "{message}");
    }
    assert_eq!(world.state(&repos.release_remote), before, "nothing was let in");

    // The same change, once qa has deployed it, passes: by prod's rules, not the ones it brings.
    world.git(release, &["checkout", "-q", "environment/qa"]);
    world.release(release, &["record", "qa"]).expect_status(0);
    world.release_with(release, &["gate", "--ci", "--json"], &env).expect_status(0);
}

#[test]
fn a_pull_request_into_an_environment_that_does_not_exist_is_refused_not_ungoverned() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let head = world.git(&repos.release, &["rev-parse", "environment/qa"]).trim().to_owned();
    let env = github_pull_request(&world, "environment/staging", "environment/qa", &head);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let gate = world.release_with(&repos.release, &["gate", "--ci"], &env);
    gate.expect_status(1)
        .expect_stderr(
            "error: environment/staging exists neither here nor on origin, so no settings govern a change into it",
        )
        .expect_stderr("hint: fetch it with 'git fetch origin environment/staging'");
}

#[test]
fn pushing_rules_to_an_unrestricted_branch_does_not_unlock_prod() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    // The server's HEAD names qa, as many release repositories' HEAD names their first branch.
    world.git(&remote, &["symbolic-ref", "HEAD", "refs/heads/environment/qa"]);
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    feature_on_qa(&world, &repo);
    // qa is anyone's to push to: the attacker switches prod's guard off there, and in a new branch
    // that sorts before every other.
    world.git(&repo, &["checkout", "-q", "environment/qa"]);
    commit_file(&world, &repo, &weakened(SHOP_FILE), "prod needs no gate");
    let qa = push(&world, &repo, &["--no-verify", "origin", "environment/qa"]);
    assert!(qa.status.success(), "qa is unrestricted: {}", stderr(&qa));
    world.git(&repo, &["checkout", "-q", "-b", "aaa"]);
    let aaa = push(&world, &repo, &["--no-verify", "origin", "aaa"]);
    assert!(aaa.status.success(), "{}", stderr(&aaa));

    // Now prod, with a commit qa never recorded.
    world.git(&repo, &["checkout", "-q", "environment/prod"]);
    world.git(&repo, &["merge", "-q", "--ff-only", "environment/qa"]);
    let prod = remote_ref(&world, &remote, "refs/heads/environment/prod");
    let refused = push(&world, &repo, &["--no-verify", "origin", "environment/prod"]);
    let text = stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(
        text.contains("remote: error: refusing refs/heads/environment/prod: environment/prod is restricted"),
        "{text}"
    );
    assert!(text.contains("previous-deployed: qa has not deployed"), "{text}");
    assert_eq!(remote_ref(&world, &remote, "refs/heads/environment/prod"), prod, "prod did not move");

    // A hook put in place by hand, with nothing saying where its rules are, lets nothing through.
    world.git(&remote, &["config", "--unset", "release.configRef"]);
    let unconfigured = push(&world, &repo, &["--no-verify", "origin", "environment/prod"]);
    let text = stderr(&unconfigured);
    assert!(text.contains("remote: error: nothing here says which references to guard"), "{text}");
    assert!(text.contains("git config release.configRef refs/heads/<branch>"), "{text}");
    assert_eq!(remote_ref(&world, &remote, "refs/heads/environment/prod"), prod, "prod did not move");
}

#[test]
fn the_branch_checked_out_does_not_decide_what_pre_push_guards() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    feature_on_qa(&world, &repo);
    let prod = remote_ref(&world, &remote, "refs/heads/environment/prod");
    // A branch whose release file says prod is unguarded, checked out, pushed straight onto prod.
    world.git(&repo, &["checkout", "-q", "-b", "feature/evil", "environment/prod"]);
    commit_file(&world, &repo, &weakened(SHOP_FILE), "prod needs no gate");
    let refused = push(&world, &repo, &["origin", "feature/evil:environment/prod"]);
    let text = stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("error: refusing refs/heads/environment/prod: environment/prod is restricted"), "{text}");
    assert_eq!(remote_ref(&world, &remote, "refs/heads/environment/prod"), prod, "prod did not move");
}

#[test]
fn a_broken_release_file_on_an_ordinary_branch_locks_nobody_out() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    world.git(&repo, &["checkout", "-q", "-b", "wip", "main"]);
    commit_file(&world, &repo, "version = \n[[environments", "Half-written");
    for args in [
        &["origin", "wip"][..],
        &["--no-verify", "origin", "wip:wip2"],
        &["origin", ":wip"],
        &["--no-verify", "origin", ":wip2"],
    ] {
        let pushed = push(&world, &repo, args);
        assert!(pushed.status.success(), "{args:?}: {}", stderr(&pushed));
    }
    // And the environment branches stay guarded with that file checked out.
    let refused = push(&world, &repo, &["--no-verify", "origin", ":environment/qa"]);
    assert!(stderr(&refused).contains("environment branches are never deleted"), "{}", stderr(&refused));
}

#[test]
fn a_bare_release_repository_judges_promotions_by_the_applications_records() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(&repos.release_remote, &["hooks", "install"]).expect_status(0);
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["set", "prod", "1.0.0"]).expect_status(0);
    let refused = push(&world, release, &["origin", "environment/prod"]);
    let text = stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("remote: error: refusing refs/heads/environment/prod"), "{text}");
    assert!(text.contains("previous-deployed: qa has not deployed"), "{text}");

    world.release(release, &["record", "qa"]).expect_status(0);
    let pushed = push(&world, release, &["origin", "environment/prod"]);
    assert!(pushed.status.success(), "a promotion qa deployed goes in: {}", stderr(&pushed));
}

#[test]
fn hooks_are_not_installed_where_they_would_guard_nothing() {
    let world = World::new();
    let repo = world.repo("app");
    let before = world.state(&repo);
    let refused = world.release(&repo, &["hooks", "install"]);
    refused
        .expect_status(2)
        .expect_stderr("error: this repository holds no release file, so its hooks would guard nothing")
        .expect_stderr("hint: in an application repository, name the release repository: git release hooks install --release <url|path>");
    assert_eq!(world.state(&repo), before, "no hook, no setting");
    assert!(!repo.join(".git/hooks/pre-push").exists());
}

#[test]
fn a_record_dated_in_the_far_future_neither_gets_in_nor_blocks_prod_and_may_be_deleted() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    let head = feature_on_qa(&world, &repo);
    let main = world.git(&repo, &["rev-parse", "main"]).trim().to_owned();
    // A record in every other respect, on a commit qa never ran, dated so as to stay qa's latest.
    let name = "1.0.0.29991231T235959Z.qa";
    let message = format!(
        "Deploy 1.0.0 to qa\n\nEnvironment: qa\nVersion: 1.0.0\nCommit: {main}\nDeployed-At: 2999-12-31T23:59:59Z\n"
    );
    world.git(&repo, &["tag", "-a", "-m", &message, name, &main]);
    let pushed = push(&world, &repo, &["origin", name]);
    let said = format!(
        "{name} is named like a deployment record, but is none: its time 2999-12-31T23:59:59Z lies in the future"
    );
    assert!(stderr(&pushed).contains(&said), "{}", stderr(&pushed));
    assert_eq!(remote_ref(&world, &remote, &format!("refs/tags/{name}")), "", "refused");

    // Where it gets in all the same (the remote has no hook yet), it counts for nothing.
    let skipped = push(&world, &repo, &["--no-verify", "origin", name]);
    assert!(skipped.status.success(), "{}", stderr(&skipped));
    world.release(&repo, &["record", "qa"]).expect_status(0);
    let status = world.release(&repo, &["status", "--json"]);
    let qa = &status.expect_status(0).json()["environments"][0]["deployed"];
    assert_eq!(qa["commit"], head.as_str(), "qa's latest is what it ran: {qa}");
    world.release(&repo, &["gate", "--target", "prod"]).expect_status(0);

    // And it may be deleted through both hooks, though a real record may not.
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    let deleted = push(&world, &repo, &["origin", &format!(":refs/tags/{name}")]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(remote_ref(&world, &remote, &format!("refs/tags/{name}")), "");
    let real = world
        .git(&repo, &["tag", "-l", "1.0.0.*.qa"])
        .lines()
        .find(|t| !t.contains("2999"))
        .expect("qa's record")
        .to_owned();
    let kept = push(&world, &repo, &["--no-verify", "origin", &format!(":refs/tags/{real}")]);
    assert!(stderr(&kept).contains("such tags are never deleted"), "{}", stderr(&kept));
}

#[test]
fn a_forge_that_redirects_to_another_host_sends_no_token_there() {
    use crate::fake_forge::{Dialect, FakeForge, Fault};
    use crate::reconcile::TOKEN;
    // GitLab takes its token in PRIVATE-TOKEN, a header reqwest would carry across hosts itself.
    for dialect in [Dialect::Gitlab, Dialect::Github, Dialect::BitbucketServer] {
        let world = World::new();
        let forge = FakeForge::new(dialect, Some(TOKEN));
        let elsewhere = FakeForge::new(dialect, None);
        let repos = crate::promote::promotable(&world, &forge);
        forge.fault(Fault::Redirect { port: elsewhere.port });
        let run = world.release_with(&repos.release, &["promote", "qa", "prod"], &[(dialect.variable(), TOKEN)]);
        run.expect_status(128).expect_stderr(&format!("redirected to http://localhost:{}/", elsewhere.port));
        assert!(run.stderr.contains("another host, where no credential is sent"), "{dialect:?}: {run}");
        assert!(elsewhere.requests().is_empty(), "{dialect:?}: the other host heard nothing");
        assert!(!run.to_string().contains("SECRET"), "{run}");
        assert!(forge.open_pulls().is_empty());
    }
}

#[test]
fn a_release_file_that_points_the_forge_api_elsewhere_gets_no_token_from_a_variable() {
    use crate::fake_forge::{Dialect, FakeForge};
    use crate::reconcile::{TOKEN, edit_release_file};
    for dialect in [Dialect::Github, Dialect::Gitlab] {
        let world = World::new();
        let forge = FakeForge::new(dialect, Some(TOKEN));
        let repos = crate::promote::promotable(&world, &forge);
        // Another name for this machine is another host: the one the attacker's file names.
        let elsewhere = FakeForge::new(dialect, None);
        let evil = format!("http://localhost:{}", elsewhere.port);
        edit_release_file(&world, &repos.release, |file| file.replace(&forge.api(), &evil));
        let run = world.release_with(&repos.release, &["promote", "qa", "prod"], &[(dialect.variable(), TOKEN)]);
        run.expect_stderr(&format!("warning: {} is not sent to {evil}", dialect.variable()))
            .expect_stderr("a token from a variable goes only to the forge the remote URL or the CI names");
        let heard = elsewhere.requests();
        assert!(!heard.is_empty(), "{dialect:?}: the file's forge was asked: {run}");
        for (line, headers) in heard {
            assert!(
                headers.iter().all(|(_, value)| !value.contains("SECRET")),
                "{dialect:?}: {line} carried the token"
            );
        }
        assert!(!run.to_string().contains("SECRET"), "{run}");
    }
}

#[test]
fn a_release_file_that_points_jira_elsewhere_gets_no_jira_token() {
    use crate::fake_jira::{FakeJira, Flavour};
    use crate::reconcile::edit_release_file;
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    let site = FakeJira::new(Flavour::Cloud, "releaser@example.com", "jira-SECRET");
    let elsewhere = FakeJira::new(Flavour::Cloud, "releaser@example.com", "jira-SECRET");
    site.add_issues(&["SHOP-1"]);
    elsewhere.add_issues(&["SHOP-1"]);
    // qa is anyone's to push to, and qa's own release file names the Jira its record tells.
    let evil = format!("http://localhost:{}", elsewhere.url().rsplit(':').next().expect("a port"));
    edit_release_file(&world, release, |file| format!("{file}\n[jira]\nurl = \"{evil}\"\nkind = \"cloud\"\n"));
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    let vars = [("JIRA_USER", "releaser@example.com"), ("JIRA_TOKEN", "jira-SECRET"), ("JIRA_URL", &*site.url())];
    let run = world.release_with(release, &["record", "qa", "--jira-issue", "SHOP-1"], &vars);
    run.expect_status(0)
        .expect_stderr(&format!("warning: JIRA_TOKEN is not sent to {evil}"))
        .expect_stderr("a token from a variable goes only to the site JIRA_URL names");
    assert!(elsewhere.requests().is_empty(), "the file's Jira heard nothing: {:?}", elsewhere.requests());
    assert!(!run.to_string().contains("SECRET"), "{run}");
}

#[test]
fn a_release_candidate_qa_never_ran_is_not_released_to_prod() {
    // Found by the independent pass: after prod's promotion passed the gate, a higher rc on the
    // attacker's commit became what `prepare prod` released.
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    // The attacker may push tags to the application repository: an annotated rc.2 of their own.
    let evil = repos.app_commit(&world, "Something qa never ran");
    world.git(&repos.app, &["tag", "-a", "-m", "Release candidate v1.0.0-rc.2 of 1.0.0", "v1.0.0-rc.2", &evil]);
    world.git(&repos.app, &["push", "-q", "origin", "v1.0.0-rc.2"]);
    let before = world.state(&repos.app_remote);

    let refused = world.release(release, &["prepare", "prod"]);
    refused
        .expect_status(1)
        .expect_stderr(&format!("error: qa has not deployed {}, which v1.0.0 would release to prod", &evil[..7]))
        .expect_stderr("hint: deploy that candidate to qa first");
    assert_eq!(world.state(&repos.app_remote), before, "no final tag was cut");
    world.release(release, &["record", "prod"]).expect_status(1);
    assert_eq!(world.state(&repos.app_remote), before, "and nothing was recorded");
}

/// Found by an independent pass: qa ran a pinned feature branch, prod took the same pin through
/// the gate, and then anyone who may push that branch moved it: `prepare prod` resolved the pin
/// anew and deployed a commit qa never ran.
#[test]
fn a_pinned_branch_moved_after_the_gate_is_not_deployed_to_prod() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    world.git(&repos.app, &["checkout", "-q", "-b", "feature-x"]);
    world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", "What qa ran"]);
    world.git(&repos.app, &["push", "-q", "origin", "feature-x"]);
    let owner = repos.app_remote.parent().and_then(Path::file_name).and_then(|n| n.to_str()).expect("a folder name");
    let pin = format!("{owner}/app#feature-x");
    world.release(release, &["set", "qa", &pin, "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    world.release(release, &["set", "prod", &pin, "--push"]).expect_status(0);
    world.release(release, &["gate", "--target", "prod"]).expect_status(0);
    // While prod's pin is in and the gate was satisfied, the branch moves on.
    world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", "What qa never ran"]);
    world.git(&repos.app, &["push", "-q", "origin", "feature-x"]);
    let evil = world.git(&repos.app, &["rev-parse", "--short=7", "HEAD"]).trim().to_owned();
    let before = world.state(&repos.app_remote);

    world
        .release(release, &["prepare", "prod"])
        .expect_status(1)
        .expect_stderr(&format!("error: qa has not deployed {evil}, which version {pin} resolves to now"))
        .expect_stderr("hint: the pinned branch or pull request moved on since qa deployed it");
    assert_eq!(world.state(&repos.app_remote), before, "nothing was tagged");
    world.release(release, &["record", "prod"]).expect_status(1);
    assert_eq!(world.state(&repos.app_remote), before, "and nothing was recorded");
}

#[test]
fn a_release_candidate_on_a_side_branch_is_not_released_in_one_repository() {
    let world = World::new();
    let (repo, remote) = shop(&world);
    world.release(&repo, &["hooks", "install"]).expect_status(0);
    world.release(&remote, &["hooks", "install"]).expect_status(0);
    feature_on_qa(&world, &repo);
    world.release(&repo, &["record", "qa"]).expect_status(0);
    let pushed = push(&world, &repo, &["origin", "environment/prod"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    world.git(&repo, &["checkout", "-q", "-b", "evil", "environment/prod"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "EVIL"]);
    world.git(&repo, &["tag", "-a", "-m", "rc", "v1.0.0-rc.2"]);
    // The server refuses an rc on a commit no branch that cuts candidates holds...
    let tagged = push(&world, &repo, &["--no-verify", "origin", "evil", "v1.0.0-rc.2"]);
    assert!(!tagged.status.success(), "{}", stderr(&tagged));
    assert!(stderr(&tagged).contains("v1.0.0-rc.2 is on "), "{}", stderr(&tagged));
    assert!(stderr(&tagged).contains("which no branch it may be on holds (environment/qa)"), "{}", stderr(&tagged));
    // ...and where a server has no hook, prepare still releases nothing qa did not run.
    world.git(&remote, &["fetch", "-q", path(&repo), "evil:evil", "refs/tags/v1.0.0-rc.2:refs/tags/v1.0.0-rc.2"]);
    world.git(&repo, &["checkout", "-q", "environment/prod"]);
    let before = world.state(&remote);
    world.release(&repo, &["prepare", "prod"]).expect_status(1).expect_stderr("error: qa has not deployed ");
    assert_eq!(world.state(&remote), before, "no final tag on the attacker's commit");
}

#[test]
fn release_tags_in_the_application_repository_cannot_be_deleted_moved_or_forged() {
    let world = World::new();
    let repos = prepared_qa(&world);
    world.release(&repos.release, &["record", "qa"]).expect_status(0);
    // The application's server guards its tags by the release repository's settings.
    let release = path(&repos.release_remote);
    // The release repository's HEAD names a branch it does not have: the last environment's is named.
    let unnamed = world.release(&repos.app_remote, &["hooks", "install", "--release", release]);
    unnamed.expect_status(2).expect_stderr("hint: name its last environment's branch");
    // Found by an independent pass: a branch the release repository lacks failed as a network
    // error (128), and a bad name gave no hint; both are usage errors that say what to name.
    for (branch, says) in [
        ("environment/nope", "has no branch environment/nope"),
        ("bad..branch", "--release-branch `bad..branch` is not a branch name"),
    ] {
        world
            .release(&repos.app_remote, &["hooks", "install", "--release", release, "--release-branch", branch])
            .expect_status(2)
            .expect_stderr(says)
            .expect_stderr("hint: name the branch of the release repository's last environment");
        let config = world.git(&repos.app_remote, &["config", "--list", "--local"]);
        assert!(!config.contains("release.repository"), "nothing is set up: {config}");
    }
    // Found by a later pass: qa's branch was taken, whose pushers could rewrite what the hooks
    // guard by.
    world
        .release(&repos.app_remote, &["hooks", "install", "--release", release, "--release-branch", "environment/qa"])
        .expect_status(2)
        .expect_stderr("environment/qa is not the branch of the release repository's last environment, prod")
        .expect_stderr("hint: name it: --release-branch environment/prod");
    let install = ["hooks", "install", "--release", release, "--release-branch", "environment/prod"];
    let installed = world.release(&repos.app_remote, &install);
    installed.expect_status(0).expect_stderr("the hooks guard this repository's release and record tags by");
    world.release(&repos.app, &install).expect_status(0);
    world.git(&repos.app, &["fetch", "-q", "origin", "--tags"]);
    let record = world.git(&repos.app, &["tag", "-l", "1.0.0.*.qa"]).trim().to_owned();
    let before = world.state(&repos.app_remote);
    let main = world.git(&repos.app, &["rev-parse", "main"]).trim().to_owned();
    world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", "Elsewhere"]);

    let mut attempts: Vec<(Vec<String>, &str)> = vec![
        (vec![":refs/tags/v1.0.0-rc.1".into()], "such tags are never deleted"),
        (vec![format!(":refs/tags/{record}")], "such tags are never deleted"),
    ];
    world.git(&repos.app, &["tag", "-f", "-a", "-m", "moved", "v1.0.0-rc.1", "HEAD"]);
    attempts.push((vec!["--force".into(), "refs/tags/v1.0.0-rc.1".into()], "such tags are never moved"));
    world.git(&repos.app, &["tag", "v1.0.0-rc.9", &main]);
    attempts.push((vec!["refs/tags/v1.0.0-rc.9".into()], "is lightweight"));
    let forged = "Deploy 1.0.0 to qa\n\nEnvironment: qa\nVersion: 1.0.0\nDeployed-At: 2026-11-21T10:00:00Z\n";
    world.git(&repos.app, &["tag", "-a", "-m", forged, "1.0.0.20261121T095900Z.qa", "HEAD"]);
    attempts
        .push((vec!["refs/tags/1.0.0.20261121T095900Z.qa".into()], "is named like a deployment record, but is none"));
    for (refspecs, refusal) in &attempts {
        for no_verify in [false, true] {
            let mut args = vec!["origin"];
            if no_verify {
                args.insert(0, "--no-verify");
            }
            args.extend(refspecs.iter().map(String::as_str));
            let pushed = push(&world, &repos.app, &args);
            let text = stderr(&pushed);
            assert!(!pushed.status.success() && text.contains(refusal), "{args:?}: {text}");
            assert_eq!(text.contains("remote: error:"), no_verify, "{args:?}: refused by the right hook: {text}");
            assert_eq!(world.state(&repos.app_remote), before, "{args:?}: the application's tags stayed");
        }
    }
    // Ordinary work passes.
    world.git(&repos.app, &["tag", "-a", "-m", "ours", "vendor-drop", "HEAD"]);
    let ordinary = push(&world, &repos.app, &["origin", "main", "vendor-drop"]);
    assert!(ordinary.status.success(), "{}", stderr(&ordinary));
}

#[test]
fn a_genuine_candidate_or_record_pushed_again_under_another_name_counts_for_nothing() {
    // Found by the independent pass: qa's signed rc.1 of 1.0.0, pushed as v1.1.0-rc.5, became
    // 1.1.0's highest candidate, and `prepare prod` released the old code as v1.1.0.
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    world.git(&repos.app, &["fetch", "-q", "origin", "--tags"]);
    let object = |name: &str| world.git(&repos.app, &["rev-parse", &format!("refs/tags/{name}")]).trim().to_owned();
    let record = world.git(&repos.app, &["tag", "-l", "1.0.0.*.qa"]).trim().to_owned();
    let replays = [
        format!("{}:refs/tags/v1.1.0-rc.5", object("v1.0.0-rc.1")),
        format!("{}:refs/tags/{record}+3", object(&record)),
    ];

    // Where the application's server guards its tags, neither gets in.
    let guarded = path(&repos.release_remote);
    let install = ["hooks", "install", "--release", guarded, "--release-branch", "environment/prod"];
    world.release(&repos.app_remote, &install).expect_status(0);
    for (replay, said) in replays.iter().zip([
        "v1.1.0-rc.5 is the tag object of v1.0.0-rc.1, pushed again under another name",
        "pushed again under another name",
    ]) {
        let pushed = push(&world, &repos.app, &["origin", replay]);
        assert!(!pushed.status.success() && stderr(&pushed).contains(said), "{replay}: {}", stderr(&pushed));
    }
    // Where they get in all the same, they count for nothing.
    std::fs::remove_file(repos.app_remote.join("hooks/pre-receive")).expect("hook removed");
    for replay in &replays {
        let pushed = push(&world, &repos.app, &["origin", replay]);
        assert!(pushed.status.success(), "{}", stderr(&pushed));
    }
    world.release(release, &["set", "prod", "1.1.0", "--push"]).expect_status(0);
    let before = world.state(&repos.app_remote);
    world.release(release, &["prepare", "prod"]).expect_status(1).expect_stderr("no release candidate for 1.1.0");
    assert_eq!(world.state(&repos.app_remote), before, "no v1.1.0 on the old code");
    let log = world.release(release, &["log", "qa"]);
    assert!(!log.expect_status(0).stdout.contains("+3"), "the replayed record is no record:\n{log}");
}

#[test]
fn prepare_releases_no_candidate_qa_has_moved_on_from() {
    // Found by the independent pass: the gate refused on previous-current, yet `prepare prod`
    // made the final tag on a commit qa no longer ran.
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    let first = world.git(&repos.app_remote, &["rev-list", "-n", "1", "v1.0.0-rc.1"]).trim().to_owned();
    crate::reconcile::deploy_qa(&world, &repos, "Second", 20);
    // qa rolls back to the first commit and records that: rc.2 is not what qa runs any more.
    let at = [("GIT_COMMITTER_DATE", "2026-11-21T10:30:00Z")];
    world.release_with(release, &["record", "qa", "--commit", &first], &at).expect_status(0);
    world.release(release, &["set", "prod", "1.0.0", "--push"]).expect_status(0);
    let before = world.state(&repos.app_remote);
    let refused = world.release_with(release, &["prepare", "prod"], &at);
    refused.expect_status(1).expect_stderr(&format!("error: qa no longer runs it: qa deployed {} since", &first[..7]));
    assert_eq!(world.state(&repos.app_remote), before, "no v1.0.0 on what qa left behind");
    world.release_with(release, &["gate", "--target", "prod"], &at).expect_status(1).expect_stdout("previous-current");
}

#[test]
fn a_fork_pull_request_from_a_branch_named_like_qa_is_no_promotion_in_ci() {
    // Found by the independent pass: `gate --ci` passed a fork's `environment/qa` as qa.
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    let head = world.git(release, &["rev-parse", "environment/qa"]).trim().to_owned();
    let mut env = github_pull_request(&world, "environment/prod", "environment/qa", &head);
    let event = world.path("event.json");
    let own = std::fs::read_to_string(&event).expect("event");
    let fork = own
        .replace(
            r#""ref":"environment/qa"}"#,
            r#""ref":"environment/qa","repo":{"full_name":"outsider/release","fork":true}}"#,
        )
        .replace(r#""ref":"environment/prod"}"#, r#""ref":"environment/prod","repo":{"full_name":"shop/release"}}"#);
    std::fs::write(&event, fork).expect("the fork's event");
    env.push(("GITHUB_REPOSITORY", "shop/release".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let gate = world.release_with(release, &["gate", "--ci"], &env);
    gate.expect_status(1).expect_stdout("outsider/release:environment/qa");
    assert!(gate.stdout.contains("FAIL  promotion-path"), "{gate}");

    std::fs::write(&event, own).expect("the repository's own event");
    world.release_with(release, &["gate", "--ci"], &env).expect_status(0);
}

/// Someone who may push one branch opens, in the repository itself, what looks like the
/// promotion into prod: a copy of git-release's title and body, once closed by hand (which would
/// hold qa's version back) and once from another branch. git-release's account opened neither:
/// reconcile opens its own promotion and leaves both as they are.
#[test]
fn copies_of_a_promotion_someone_else_opened_are_neither_held_adopted_nor_closed() {
    use crate::fake_forge::{AccountKind, Dialect, FakeForge, Head, Pull};
    use crate::reconcile::{TOKEN, auto_promoted};
    for dialect in Dialect::ALL {
        let world = World::new();
        let forge = FakeForge::new(dialect, Some(TOKEN));
        let repos = auto_promoted(&world, &forge, "");
        let release = &repos.release;
        let vars = [(dialect.variable(), TOKEN)];
        world.release_with(release, &["reconcile"], &vars).expect_status(0);
        let copied = forge.open_pulls()[0].clone();

        let fresh = FakeForge::new(dialect, Some(TOKEN));
        fresh.add_account("mallory-token", "mallory", AccountKind::User);
        crate::promote::point_at(&world, release, dialect.kind(), &fresh.api());
        {
            let mut state = fresh.state.lock().expect("state");
            let by_mallory = Pull { head: Head::Here, author: "mallory".into(), version: 0, ..copied.clone() };
            state.pulls.push(Pull { number: 1, open: false, ..by_mallory.clone() });
            state.pulls.push(Pull { number: 2, source: "hotfix".into(), ..by_mallory });
        }
        let run = world.release_with(release, &["reconcile", "--json"], &vars);
        run.expect_status(0);
        let report = run.json();
        let notes = report["environments"][0]["notes"].to_string();
        assert!(!notes.contains("held"), "{dialect:?}: a stranger's closed copy holds nothing back: {report}");
        let pulls = fresh.pulls();
        let ours: Vec<&Pull> = pulls.iter().filter(|p| p.author == crate::fake_forge::BOT).collect();
        assert_eq!(ours.len(), 1, "{dialect:?}: git-release opened its own: {pulls:?}");
        assert!(ours[0].open && ours[0].source == "environment/qa", "{dialect:?}: {pulls:?}");
        for number in [1, 2] {
            let theirs = pulls.iter().find(|p| p.number == number).expect("mallory's");
            assert_eq!(
                (theirs.open, &theirs.title, &theirs.body),
                (number == 2, &copied.title, &copied.body),
                "{dialect:?}: #{number} was left as mallory left it"
            );
        }
        assert!(fresh.comments().is_empty(), "{dialect:?}: {:?}", fresh.comments());
    }
}

/// Someone who may push one branch opens the pull request from qa's branch into prod's before
/// git-release does, so that theirs would become the official promotion. Neither promote nor
/// reconcile takes it over: each refuses, says who opened it, and leaves it untouched.
#[test]
fn a_promotion_someone_else_opened_first_is_refused_not_taken_over() {
    use crate::fake_forge::{AccountKind, Dialect, FakeForge};
    use crate::reconcile::{TOKEN, auto_promoted};
    for dialect in Dialect::ALL {
        let world = World::new();
        let forge = FakeForge::new(dialect, Some(TOKEN));
        forge.add_account("mallory-token", "mallory", AccountKind::User);
        let repos = auto_promoted(&world, &forge, "");
        let release = &repos.release;
        forge.state.lock().expect("state").pulls.push(mallorys_promotion("environment/qa"));
        let before = forge.pulls();
        let vars = [(dialect.variable(), TOKEN)];
        for args in [&["promote", "qa", "prod"][..], &["reconcile", "--dry-run"][..], &["reconcile"][..]] {
            let run = world.release_with(release, args, &vars);
            run.expect_status(1)
                .expect_stderr(
                    "pull request #1 from environment/qa into environment/prod was not opened by git-release",
                )
                .expect_stderr("mallory opened it; the token acts as release-bot")
                .expect_stderr("hint: close #1 if it is not wanted");
            assert!(!run.to_string().contains("SECRET"), "{run}");
            assert_eq!(forge.pulls(), before, "{dialect:?} {args:?}: mallory's pull request is as it was");
            assert!(forge.comments().is_empty(), "{dialect:?}");
            let writes: Vec<String> = forge
                .requests()
                .into_iter()
                .map(|(line, _)| line)
                .filter(|line| !line.starts_with("GET ") && !line.ends_with("/graphql"))
                .collect();
            assert!(writes.is_empty(), "{dialect:?} {args:?}: nothing was even tried: {writes:?}");
        }
    }
}

/// Someone who may push the unrestricted environment/dev rewrites the environment list there:
/// prod comes after nothing and is not restricted, and the forge is another host. A job or a
/// person whose checkout is on environment/dev still sees prod as prod's own branch has it:
/// `status`, `promote` and `reconcile` read the list from the last environment's branch.
#[test]
fn a_push_to_dev_that_rewrites_the_environment_list_changes_nothing_that_judges_across_environments() {
    use crate::fake_forge::{Dialect, FakeForge};
    use crate::reconcile::{TOKEN, auto_promoted};
    let world = World::new();
    let forge = FakeForge::new(Dialect::Github, Some(TOKEN));
    let elsewhere = FakeForge::new(Dialect::Github, None);
    let repos = auto_promoted(&world, &forge, "");
    let release = &repos.release;
    world.git(release, &["checkout", "-q", "environment/dev"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("the release file");
    let rewritten = file
        .replace("after = \"qa\"\n", "")
        .replace("restricted = true\n", "")
        .replace(&forge.api(), &format!("http://localhost:{}", elsewhere.port));
    assert_ne!(rewritten, file, "the attacker's file differs");
    std::fs::write(release.join("release.toml"), rewritten).expect("written");
    world.git(release, &["commit", "-q", "-am", "prod needs nothing"]);
    world.git(release, &["push", "-q", "origin", "environment/dev"]);

    let vars = [("GITHUB_TOKEN", TOKEN)];
    let status = world.release_with(release, &["status", "--json"], &vars);
    let prod = status.expect_status(0).json()["environments"][2].clone();
    assert_eq!((prod["name"].as_str(), prod["after"].as_str()), (Some("prod"), Some("qa")), "{prod}");
    assert_eq!(prod["restricted"], true, "{prod}");
    world.release_with(release, &["promote", "qa", "prod", "--dry-run"], &vars).expect_status(0);
    world.release_with(release, &["reconcile"], &vars).expect_status(0);
    assert_eq!(forge.open_pulls().len(), 1, "reconcile opened prod's promotion on the forge prod names");
    assert!(elsewhere.requests().is_empty(), "the attacker's host heard nothing: {:?}", elsewhere.requests());
}

/// A stranger opens a pull request from `promote/prod`, the branch `promote --rebuild` pushes,
/// so that whatever git-release pushes there would show in theirs. The rebuild is refused before
/// anything is pushed.
#[test]
fn a_strangers_pull_request_from_the_rebuilt_branch_stops_the_rebuild_before_it_pushes() {
    use crate::fake_forge::{AccountKind, Dialect, FakeForge};
    use crate::reconcile::TOKEN;
    let world = World::new();
    let forge = FakeForge::new(Dialect::Github, Some(TOKEN));
    forge.add_account("mallory-token", "mallory", AccountKind::User);
    let repos = crate::promote::promotable(&world, &forge);
    forge.state.lock().expect("state").pulls.push(mallorys_promotion("promote/prod"));
    let run = world.release_with(&repos.release, &["promote", "qa", "prod", "--rebuild"], &[("GITHUB_TOKEN", TOKEN)]);
    run.expect_status(1)
        .expect_stderr("pull request #1 from promote/prod into environment/prod was not opened by git-release");
    let pushed = world.git(&repos.release_remote, &["for-each-ref", "refs/heads/promote/"]);
    assert!(pushed.trim().is_empty(), "nothing was pushed to promote/prod: {pushed}");
}

/// An open pull request #1 into prod that mallory, who may push one branch, opened from `source`
/// in the repository itself, titled like a promotion.
fn mallorys_promotion(source: &str) -> crate::fake_forge::Pull {
    crate::fake_forge::Pull {
        number: 1,
        title: "Promote qa → prod".into(),
        body: "Trust me.".into(),
        source: source.into(),
        target: "environment/prod".into(),
        open: true,
        draft: false,
        version: 0,
        merged: false,
        head: crate::fake_forge::Head::Here,
        author: "mallory".into(),
        conflicts: false,
        head_sha: None,
        blocked: None,
    }
}
