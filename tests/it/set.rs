use std::path::PathBuf;

use crate::harness::World;

fn initialised(world: &World) -> PathBuf {
    let repo = world.repo("app");
    world.release(&repo, &["init"]).expect_status(0);
    repo
}

#[test]
fn set_changes_exactly_one_line_on_its_branch_and_nothing_else() {
    let world = World::new();
    let repo = initialised(&world);
    let before = world.state(&repo);
    let old_qa = world.git(&repo, &["rev-parse", "environment/qa"]);

    let transcript = world.release(&repo, &["set", "qa", "1.4.0"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(0);

    let diff = world.git(&repo, &["diff", "--numstat", old_qa.trim(), "environment/qa"]);
    assert_eq!(diff, "1\t1\trelease.toml\n", "one line changed, in one file");
    let patch = world.git(&repo, &["diff", "-U0", old_qa.trim(), "environment/qa"]);
    assert!(patch.contains("-version = \"0.1.0\"\n+version = \"1.4.0\"\n"), "{patch}");
    assert_eq!(world.git(&repo, &["rev-parse", "environment/qa^"]), old_qa, "a child of the old head");
    let without_qa = |state: String| {
        state.lines().filter(|l| !l.starts_with("refs/heads/environment/qa ")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(without_qa(world.state(&repo)), without_qa(before), "only environment/qa moved");
}

#[test]
fn set_twice_is_idempotent() {
    let world = World::new();
    let repo = initialised(&world);
    world.release(&repo, &["set", "qa", "1.4.0"]).expect_status(0);
    let before = world.state(&repo);
    world.release(&repo, &["set", "qa", "1.4.0"]).expect_status(0).expect_stdout("qa is already at 1.4.0");
    assert_eq!(world.state(&repo), before);
}

#[test]
fn set_refuses_versions_that_do_not_fit_and_changes_nothing() {
    let world = World::new();
    let repo = initialised(&world);
    let before = world.state(&repo);
    let transcript = world.release(&repo, &["set", "qa", "WIP"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(2);
    world.release(&repo, &["set", "prod", "hotfix-1"]).expect_status(2).expect_stderr("needs a semantic version");
    for bad in [
        "1.0..0",
        "1.0.0.lock",
        "a b",
        "a~1",
        "a^",
        "a:b",
        "a?",
        "a*",
        "a[",
        "a\\b",
        "a\u{1}b",
        "a@{1}",
        "-1",
        "1.",
        "1/",
    ] {
        world.release(&repo, &["set", "dev", "--", bad]).expect_status(2).expect_stderr("cannot be a version");
    }
    world
        .release(&repo, &["set", "staging", "1.0.0"])
        .expect_status(2)
        .expect_stderr("hint: environments: dev, qa, prod");
    assert_eq!(world.state(&repo), before);
}

#[test]
fn bump_raises_semantic_versions_and_refuses_wip() {
    let world = World::new();
    let repo = initialised(&world);
    let minor = world.release(&repo, &["bump", "qa", "minor"]);
    insta::assert_snapshot!("bump_minor", minor.to_string());
    minor.expect_status(0).expect_stdout("qa: 0.1.0 -> 0.2.0");
    world.release(&repo, &["bump", "qa", "major"]).expect_status(0).expect_stdout("qa: 0.2.0 -> 1.0.0");
    world.release(&repo, &["bump", "qa", "patch"]).expect_status(0).expect_stdout("qa: 1.0.0 -> 1.0.1");
    let before = world.state(&repo);
    let transcript = world.release(&repo, &["bump", "dev", "patch"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(2);
    assert_eq!(world.state(&repo), before);
}

#[test]
fn dry_run_prints_the_diff_and_changes_nothing() {
    let world = World::new();
    let repo = initialised(&world);
    let before = world.state(&repo);
    let transcript = world.release(&repo, &["bump", "prod", "patch", "--dry-run"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(0).expect_stdout("-version = \"0.1.0\"\n+version = \"0.1.1\"");
    assert_eq!(world.state(&repo), before);
}

#[test]
fn set_keeps_comments_and_layout_byte_for_byte() {
    let world = World::new();
    let repo = world.repo("app");
    let text = "# ours\nversion   =   '1.0.0'   # keep me\n\n[[environments]]   # envs\nname=\"qa\"\ncut = \"rc\"\n";
    world.commit_release_file(&repo, "environment/qa", text.as_bytes());
    world.git(&repo, &["checkout", "-q", "main"]);
    world.git(&repo, &["config", "release.configRef", "refs/heads/environment/qa"]);
    world.release(&repo, &["set", "qa", "1.0.1"]).expect_status(0);
    let expected =
        "# ours\nversion   =   \"1.0.1\"   # keep me\n\n[[environments]]   # envs\nname=\"qa\"\ncut = \"rc\"\n";
    assert_eq!(world.show(&repo, "environment/qa:release.toml"), expected);
}

#[test]
fn set_in_a_bare_repository() {
    let world = World::new();
    let repo = world.empty_repo("release.git", true);
    world.release(&repo, &["init"]).expect_status(0);
    world.release(&repo, &["set", "prod", "0.2.0"]).expect_status(0);
    assert!(world.show(&repo, "environment/prod:release.toml").contains("version = \"0.2.0\""));
}

#[test]
fn set_on_the_checked_out_branch_updates_the_work_tree_and_index() {
    let world = World::new();
    let repo = initialised(&world);
    world.git(&repo, &["checkout", "-q", "environment/qa"]);
    std::fs::write(repo.join("notes.txt"), "staged work\n").expect("file can be written");
    world.git(&repo, &["add", "notes.txt"]);

    world.release(&repo, &["set", "qa", "1.1.0"]).expect_status(0);
    let file = std::fs::read_to_string(repo.join("release.toml")).expect("file is there");
    assert!(file.contains("version = \"1.1.0\""));
    assert_eq!(
        world.git(&repo, &["status", "--porcelain"]),
        "A  notes.txt\n",
        "release.toml is clean, other work stays staged"
    );
    assert_eq!(world.git(&repo, &["show", "--name-only", "--format=", "HEAD"]), "release.toml\n");

    std::fs::write(repo.join("release.toml"), format!("{file}# mine\n")).expect("file can be written");
    let before = world.state(&repo);
    world
        .release(&repo, &["set", "qa", "1.2.0"])
        .expect_status(1)
        .expect_stderr("error: release.toml has uncommitted changes on environment/qa, which is checked out");
    assert_eq!(world.state(&repo), before);
}

#[test]
fn push_with_a_lease_and_refuse_when_the_remote_moved() {
    let world = World::new();
    let remote = world.empty_repo("origin.git", true);
    let repo = initialised(&world);
    world.git(&repo, &["remote", "add", "origin", remote.to_str().expect("utf-8 path")]);
    world.git(&repo, &["push", "-q", "origin", "environment/dev", "environment/qa", "environment/prod"]);

    world.release(&repo, &["set", "qa", "1.0.0", "--push"]).expect_status(0).expect_stdout(", pushed)");
    assert_eq!(
        world.git(&remote, &["rev-parse", "environment/qa"]),
        world.git(&repo, &["rev-parse", "environment/qa"])
    );

    let other = world.path("other");
    world.git(&world.path(""), &["clone", "-q", remote.to_str().expect("utf-8 path"), "other"]);
    world.release(&other, &["set", "qa", "1.1.0", "--push"]).expect_status(0);

    let before = world.state(&repo);
    let remote_before = world.state(&remote);
    let transcript = world.release(&repo, &["set", "qa", "1.2.0", "--push"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(1).expect_stderr("hint: the branch moved on origin: run 'git fetch origin'");
    assert_eq!(world.state(&repo), before, "the local branch stays where it was");
    assert_eq!(world.state(&remote), remote_before);
}

#[test]
fn set_on_a_branch_that_exists_only_on_the_remote_creates_it_here() {
    let world = World::new();
    let origin = initialised(&world);
    world.git(&world.path(""), &["clone", "-q", origin.to_str().expect("utf-8 path"), "clone"]);
    let clone = world.path("clone");
    let remote_qa = world.git(&clone, &["rev-parse", "origin/environment/qa"]);

    world.release(&clone, &["set", "qa", "3.0.0"]).expect_status(0).expect_stdout("qa: 0.1.0 -> 3.0.0");
    assert_eq!(world.git(&clone, &["rev-parse", "environment/qa^"]), remote_qa, "built on the remote's branch");
    assert_eq!(world.git(&clone, &["rev-parse", "origin/environment/qa"]), remote_qa, "the remote is untouched");
}
