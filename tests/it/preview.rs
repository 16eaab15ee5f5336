//! Preview environments: unmerged work deployed from its own environment branch.

use std::path::Path;

use crate::components::Umbrella;
use crate::deploy::{TwoRepos, path, tags};
use crate::harness::{DATE, World};
use crate::reconcile::edit_release_file;

/// A forge whose short references `owner/repo` live at `<world>/owner/repo.git`.
pub fn git_url(world: &World, release: &Path) {
    let root = world.path("");
    let forge = format!(
        "\n[forge]\nkind = \"github\"\ngit-url = \"file://{}/{{repository}}.git\"\n",
        path(&root).trim_end_matches('/')
    );
    edit_release_file(world, release, |file| file + &forge);
    world.git(release, &["push", "-q", "origin", "environment/dev"]);
}

/// Makes `<world>/owner/repo.git` the application remote, and pushes a commit to
/// `refs/pull/42/head` there; returns the commit.
pub fn pull_request(world: &World, repos: &TwoRepos) -> String {
    std::fs::create_dir_all(world.path("owner")).expect("dir");
    std::os::unix::fs::symlink(&repos.app_remote, world.path("owner/repo.git")).expect("symlink");
    world.git(&repos.app, &["checkout", "-q", "-b", "my-thing"]);
    world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", "Unmerged work"]);
    world.git(&repos.app, &["push", "-q", "origin", "HEAD:refs/pull/42/head"]);
    world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// Names the application repository by the address its forge gives it, `<world>/owner/repo.git`
/// (the same repository as `app.git`, which `pull_request` links there).
pub fn app_as_owner_repo(world: &World, repos: &TwoRepos) {
    let (from, to) = (path(&repos.app_remote).to_owned(), path(&world.path("owner/repo.git")).to_owned());
    edit_release_file(world, &repos.release, |file| file.replace(&from, &to));
    world.git(&repos.release, &["push", "-q", "origin", "environment/dev"]);
}

#[test]
fn a_preview_pins_a_pull_request_under_a_name_its_commits_decide() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    git_url(&world, release);
    let commit = pull_request(&world, &repos);

    let created = world.release(release, &["preview", "create", "test-my-thing", "owner/repo#pull/42"]);
    created.expect_status(0);
    let name = created.stdout.trim().to_owned();
    assert!(name.starts_with("test-my-thing-") && name.len() == "test-my-thing-".len() + 6, "{name}");
    assert!(name["test-my-thing-".len()..].bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
    let branch = format!("preview/{name}");
    let file = world.git(&repos.release_remote, &["show", &format!("{branch}:release.toml")]);
    assert!(file.contains("version = \"WIP\""), "{file}");
    assert!(file.contains("[preview.pins.app]\nref = \"owner/repo#pull/42\""), "{file}");
    assert!(file.contains(&format!("commit = \"{commit}\"")), "{file}");

    let before = (world.state(release), world.state(&repos.release_remote));
    let again = world.release(release, &["preview", "create", "test-my-thing", "owner/repo#pull/42", "--json"]);
    again.expect_status(0);
    let json = again.json();
    assert_eq!(json["name"], name.as_str());
    assert_eq!(json["branch"], branch.as_str());
    assert_eq!(json["components"]["app"]["ref"], "owner/repo#pull/42");
    assert_eq!(json["components"]["app"]["commit"], commit.as_str());
    assert_eq!(json["created"], false);
    assert_eq!((world.state(release), world.state(&repos.release_remote)), before, "a rerun changes nothing");

    // The pull request moves on: another commit, another preview.
    world.git(&repos.app, &["commit", "-q", "--allow-empty", "-m", "More work"]);
    world.git(&repos.app, &["push", "-q", "-f", "origin", "HEAD:refs/pull/42/head"]);
    let moved = world.release(release, &["preview", "create", "test-my-thing", "owner/repo#pull/42"]);
    moved.expect_status(0);
    assert_ne!(moved.stdout.trim(), name);

    // The preview deploys like any environment, from its own branch, cutting no version tags.
    let prepared = world.release(release, &["prepare", &name, "--json"]);
    prepared.expect_status(0);
    assert_eq!(prepared.json()["commit"], commit.as_str());
    assert!(prepared.json()["tag"].is_null());
    let recorded = world.release(release, &["record", &branch, "--json"]);
    recorded.expect_status(0);
    let record = recorded.json()["tag"].as_str().expect("a record").to_owned();
    assert!(tags(&world, &repos.app_remote).iter().any(|t| t == &format!("tag {record} {commit}")));

    let listed = world.release(release, &["preview", "list", "--json"]);
    listed.expect_status(0);
    let previews = listed.json()["previews"].clone();
    assert_eq!(previews.as_array().map(Vec::len), Some(2), "{previews}");
    assert!(previews.as_array().expect("list").iter().any(|p| p["name"] == name.as_str()));

    world.release(release, &["preview", "delete", &name, "--dry-run"]).expect_status(0);
    world.git(&repos.release_remote, &["rev-parse", "--verify", "-q", &branch]);
    world.release(release, &["preview", "delete", &name]).expect_status(0);
    let gone = world.git(&repos.release_remote, &["for-each-ref", &format!("refs/heads/{branch}")]);
    assert!(gone.is_empty(), "the branch is gone: {gone}");
    assert!(tags(&world, &repos.app_remote).iter().any(|t| t.contains(&record)), "its record stays");
    let listed = world.release(release, &["preview", "list", "--json"]);
    assert_eq!(listed.json()["previews"].as_array().map(Vec::len), Some(1));
    world.release(release, &["preview", "delete", &name]).expect_status(1).expect_stderr("no preview called");
}

#[test]
fn a_preview_of_several_repositories_pins_the_named_ones_and_follows_the_rest() {
    let world = World::new();
    let app = Umbrella::new(&world);
    let release = &app.repos.release;
    git_url(&world, release);
    let api = world.path("api");
    world.git(&api, &["checkout", "-q", "-b", "faster"]);
    world.git(&api, &["commit", "-q", "--allow-empty", "-m", "Faster api"]);
    world.git(&api, &["push", "-q", "origin", "faster"]);
    let faster = world.git(&api, &["rev-parse", "HEAD"]).trim().to_owned();
    std::fs::create_dir_all(world.path("someone")).expect("dir");
    std::os::unix::fs::symlink(&app.api_remote, world.path("someone/api.git")).expect("a fork");

    let created = world.release(release, &["preview", "create", "faster-api", "someone/api#faster", "--json"]);
    created.expect_status(0);
    let json = created.json();
    assert_eq!(json["components"]["api"]["commit"], faster.as_str(), "a fork's branch matches by name: {json}");
    let name = json["name"].as_str().expect("name").to_owned();
    let prepared = world.release(release, &["prepare", &name, "--json"]);
    prepared.expect_status(0);
    let json = prepared.json();
    assert_eq!(json["components"]["api"]["commit"], faster.as_str());
    let web = world.git(&app.web_remote, &["rev-parse", "main"]);
    assert_eq!(json["components"]["web"]["commit"], web.trim(), "unpinned repositories follow their branch");
}

#[test]
fn bad_preview_input_is_refused_and_changes_nothing() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    git_url(&world, release);
    pull_request(&world, &repos);
    let before = (world.state(release), world.state(&repos.release_remote));

    let refused = world.release(release, &["preview", "create", "try", "repo-42"]);
    refused
        .expect_status(2)
        .expect_stderr("error: `repo-42` is not a reference a preview can take")
        .expect_stderr("caused by: accepted: https://github.com/owner/repo/pull/42, or owner/repo#pull/42")
        .expect_stderr("caused by: accepted: https://github.com/owner/repo/commit/<sha>, or owner/repo@<sha>");
    world
        .release(release, &["preview", "create", "try", "nope=owner/repo#pull/42"])
        .expect_status(2)
        .expect_stderr("error: the application has no repository called `nope`")
        .expect_stderr("hint: repositories: app");
    world
        .release(release, &["preview", "create", "try", "owner/repo#pull/99"])
        .expect_status(1)
        .expect_stderr("error: pull request 99 does not exist in file://");
    world
        .release(release, &["preview", "create", "Try/This", "owner/repo#pull/42"])
        .expect_status(2)
        .expect_stderr("error: `Try/This` cannot name a preview");
    world
        .release(release, &["preview", "create", "try", "owner/repo#gone-branch"])
        .expect_status(1)
        .expect_stderr("error: branch gone-branch does not exist in file://");
    assert_eq!((world.state(release), world.state(&repos.release_remote)), before);
}

/// A release repository whose previews live `[preview] ttl = "7d"`, with one preview made by
/// each `(name, reference, moment)`; returns their unique names.
fn previews_made_at(world: &World, made: &[(&str, &str, &str)]) -> (TwoRepos, Vec<String>) {
    let repos = TwoRepos::new(world);
    let release = &repos.release;
    git_url(world, release);
    edit_release_file(world, release, |file| file + "\n[preview]\nttl = \"7d\"\n");
    world.git(release, &["push", "-q", "origin", "environment/dev"]);
    pull_request(world, &repos);
    let names = made
        .iter()
        .map(|(name, reference, moment)| {
            let created = world.release_at(release, &["preview", "create", name, reference], moment);
            created.expect_status(0).stdout.trim().to_owned()
        })
        .collect();
    (repos, names)
}

/// The preview branches the release remote holds.
fn preview_branches(world: &World, repos: &TwoRepos) -> String {
    world.git(&repos.release_remote, &["for-each-ref", "--format=%(refname:short)", "refs/heads/preview"])
}

#[test]
fn reconcile_deletes_previews_older_than_their_ttl() {
    let world = World::new();
    // Each command states the moment it runs at: "old" is made 20 days before "new".
    let made = [("old", "owner/repo#pull/42", "2026-11-01T10:15:00Z"), ("new", "owner/repo#main", DATE)];
    let (repos, names) = previews_made_at(&world, &made);
    let (release, stale, fresh) = (&repos.release, &names[0], &names[1]);

    let dry = world.release_at(release, &["reconcile", "--dry-run"], DATE);
    dry.expect_status(0).expect_stdout(&format!("preview {stale}: would delete (older than [preview] ttl)"));
    world.git(&repos.release_remote, &["rev-parse", "--verify", "-q", &format!("preview/{stale}")]);
    let swept = world.release_at(release, &["reconcile", "--json"], DATE);
    assert_eq!(swept.expect_status(0).json()["expired"], serde_json::json!([stale]));
    assert_eq!(preview_branches(&world, &repos).trim(), format!("preview/{fresh}"), "only the young preview stays");

    let week = world.release_at(release, &["reconcile", "--json"], "2026-11-28T10:15:00Z");
    assert_eq!(week.expect_status(0).json().get("expired"), None, "seven days old is not older than 7d");
    let later = world.release_at(release, &["reconcile", "--json"], "2026-11-28T10:15:01Z");
    assert_eq!(later.expect_status(0).json()["expired"], serde_json::json!([fresh]));
    assert_eq!(preview_branches(&world, &repos).trim(), "", "a second past its ttl the young one goes too");
}

/// A head dated far ahead of the clock would keep its preview for ever; one dated more than the
/// ttl ahead goes, and one a little ahead (a skewed clock) stays. Found by the independent pass.
#[test]
fn a_preview_dated_beyond_its_ttl_ahead_of_the_clock_expires() {
    let world = World::new();
    let made =
        [("far", "owner/repo#pull/42", "2099-01-01T00:00:00Z"), ("near", "owner/repo#main", "2026-11-21T11:00:00Z")];
    let (repos, names) = previews_made_at(&world, &made);
    let swept = world.release_at(&repos.release, &["reconcile"], DATE);
    swept.expect_status(0).expect_stdout(&format!(
        "preview {}: deleted (dated further ahead of now than [preview] ttl, so its age cannot be told)",
        names[0]
    ));
    let left = preview_branches(&world, &repos);
    assert_eq!(left.trim(), format!("preview/{}", names[1]), "45 minutes ahead is a skewed clock, not a forged date");
}

/// Only what `preview create` made expires: a branch someone else keeps under preview/ (it
/// pins nothing) stays, however old. Found by the independent pass.
#[test]
fn reconcile_expires_only_the_previews_it_made() {
    let world = World::new();
    let (repos, names) = previews_made_at(&world, &[("old", "owner/repo#main", "2026-11-01T10:15:00Z")]);
    let release = &repos.release;
    world.git(release, &["checkout", "-q", "--orphan", "notes"]);
    std::fs::write(release.join("notes.txt"), "kept by hand\n").expect("file can be written");
    world.git(release, &["add", "notes.txt"]);
    let old = [("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")];
    let committed = world.command("git", release).args(["commit", "-q", "-m", "Notes"]).envs(old).status();
    assert!(committed.expect("git runs").success());
    world.git(release, &["push", "-q", "origin", "notes:preview/notes", "notes:preview/bar-abcdef"]);
    let swept = world.release_at(release, &["reconcile", "--json"], DATE);
    assert_eq!(swept.expect_status(0).json()["expired"], serde_json::json!([names[0]]));
    assert_eq!(preview_branches(&world, &repos), "preview/bar-abcdef\npreview/notes\n");
}

/// With an auto-promoted environment and no forge, reconcile is a usage error; it used to
/// delete the expired previews first and then refuse. Found by the independent pass.
#[test]
fn reconcile_refuses_before_deleting_a_preview_when_it_cannot_do_the_rest() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    git_url(&world, release);
    // The previews' references are fetched as GitHub's are; no forge is there to reach.
    edit_release_file(&world, release, |file| {
        file.replacen("after = \"qa\"\n", "after = \"qa\"\nauto-promote = true\n", 1)
            .replace("kind = \"github\"\n", "kind = \"none\"\n")
            + "\n[preview]\nttl = \"7d\"\n"
    });
    world.git(release, &["push", "-q", "origin", "environment/dev"]);
    pull_request(&world, &repos);
    let old = [("GIT_COMMITTER_DATE", "2026-11-01T10:15:00Z")];
    world.release_with(release, &["preview", "create", "old", "owner/repo#main"], &old).expect_status(0);
    let before = (world.state(release), world.state(&repos.release_remote));
    for args in [&["reconcile"][..], &["reconcile", "--dry-run"]] {
        world
            .release(release, args)
            .expect_status(2)
            .expect_stderr("error: reconcile needs a forge to read and write pull requests")
            .expect_stdout("");
        assert_eq!(world.release(release, args).stdout, "", "nothing deleted, nothing said to be");
    }
    assert_eq!((world.state(release), world.state(&repos.release_remote)), before, "the preview is still there");
}

/// A webhook's body, as Tekton Triggers or a pipeline trigger passes it: the name and each
/// component's reference, in JSON; the answer is JSON with the unique name and branch.
#[test]
fn a_preview_from_a_webhooks_json_body_answers_its_name_and_branch_in_json() {
    use std::io::Write;
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    git_url(&world, release);
    let commit = pull_request(&world, &repos);
    app_as_owner_repo(&world, &repos);

    let body = r#"{"name": "test-my-thing", "components": {"owner/repo": "owner/repo#42"}}"#;
    let mut command = world.release_command(release, &["preview", "create", "--from-json", "-"]);
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("git-release starts");
    child.stdin.take().expect("stdin").write_all(body.as_bytes()).expect("body written");
    let output = child.wait_with_output().expect("git-release ends");
    let created = world.transcript(&["preview", "create", "--from-json", "-"], &output);
    created.expect_status(0);
    let json = created.json();
    let name = json["name"].as_str().expect("a name").to_owned();
    assert!(name.starts_with("test-my-thing-") && name.len() == "test-my-thing-".len() + 6, "{name}");
    assert_eq!(json["branch"], format!("preview/{name}").as_str());
    assert_eq!(json["components"]["app"]["commit"], commit.as_str(), "#42 is pull request 42");
    assert_eq!(json["created"], true);

    // The same body from a file finds the same preview; the CLI form names it alike.
    std::fs::write(world.path("body.json"), body).expect("body file");
    let again = world.release(release, &["preview", "create", "--from-json", path(&world.path("body.json"))]);
    again.expect_status(0);
    assert_eq!(again.json()["name"], name.as_str());
    assert_eq!(again.json()["created"], false);
    let cli = world.release(release, &["preview", "create", "test-my-thing", "owner/repo#pull/42"]);
    assert_eq!(cli.expect_status(0).stdout.trim(), name);

    let before = (world.state(release), world.state(&repos.release_remote));
    for (bad, says) in [
        ("not json", "is not a preview request: expected ident"),
        (r#"{"components": {"owner/repo": "owner/repo#42"}}"#, "no \"name\" string"),
        (r#"{"name": "x", "components": {}}"#, "no \"components\" object"),
        // A key must name a repository of the application: a body cannot pin it to another's code.
        (
            r#"{"name": "x", "components": {"evil/other": "evil/other#42"}}"#,
            "components.evil/other names no repository of the application",
        ),
        (
            r#"{"name": "x", "components": {"owner/other": "owner/repo#42"}}"#,
            "components.owner/other names no repository",
        ),
        (
            r#"{"name": "a", "name": "b", "components": {"owner/repo": "owner/repo#42"}}"#,
            "the key \"name\" is given twice",
        ),
        (
            r#"{"name": "x", "components": {"owner/repo": "owner/repo#42", "owner/repo": "owner/repo#43"}}"#,
            "is given twice",
        ),
        (r#"{"name": "x", "components": {"owner/repo": 42}}"#, "components.owner/repo is not a string"),
        (r#"{"name": "Bad Name", "components": {"owner/repo": "owner/repo#42"}}"#, "Bad Name"),
    ] {
        std::fs::write(world.path("bad.json"), bad).expect("body file");
        let refused = world.release(release, &["preview", "create", "--from-json", path(&world.path("bad.json"))]);
        refused.expect_status(2).expect_stderr(says);
    }
    // Found by an independent pass: a body that cannot be read said so with no hint.
    let missing = world.release(release, &["preview", "create", "--from-json", path(&world.path("missing.json"))]);
    missing
        .expect_status(2)
        .expect_stderr("cannot read the preview's JSON from")
        .expect_stderr("hint: give a file that can be read, or - to read the body from stdin");
    assert_eq!((world.state(release), world.state(&repos.release_remote)), before, "refusals change nothing");
}

/// Found by an independent pass: a preview pinned to a commit deploys from no branch, and its
/// record was named with an empty branch part that the tag pattern could not read back, so
/// `log` never showed it.
#[test]
fn a_preview_of_a_commit_is_recorded_under_a_name_log_reads() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let release = &repos.release;
    git_url(&world, release);
    let commit = pull_request(&world, &repos);
    let created = world.release(release, &["preview", "create", "one-commit", &format!("owner/repo@{commit}")]);
    let name = created.expect_status(0).stdout.trim().to_owned();
    world.release(release, &["prepare", &name]).expect_status(0);
    let recorded = world.release(release, &["record", &name, "--json"]);
    let tag = recorded.expect_status(0).json()["tag"].as_str().expect("a record").to_owned();
    assert!(tag.ends_with(&format!("_{name}_detached")), "{tag}");
    let log = world.release(release, &["log", &name, "--json"]);
    assert_eq!(log.expect_status(0).json()["records"][0]["tag"], tag.as_str(), "{log}");
}
