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
    world.release(&repo, &["set", "qa", "1.0.0+exp"]).expect_status(2).expect_stderr("its build metadata (after `+`)");
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

/// The repository's state but for what a fetch records (`refs/remotes/`).
fn own_state(world: &World, dir: &std::path::Path) -> String {
    world.state(dir).lines().filter(|line| !line.starts_with("refs/remotes/")).collect::<Vec<_>>().join("\n")
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

    // The push fetches first: the lease is on the remote's value, and the branch here lacks it.
    let before = own_state(&world, &repo);
    let remote_before = world.state(&remote);
    let transcript = world.release(&repo, &["set", "qa", "1.2.0", "--push"]);
    insta::assert_snapshot!(transcript.to_string());
    transcript.expect_status(1).expect_stderr("error: environment/qa does not contain origin/environment/qa");
    assert_eq!(own_state(&world, &repo), before, "the local branch stays where it was");
    assert_eq!(world.state(&remote), remote_before, "the other clone's 1.1.0 is still on the remote");
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

#[test]
fn set_keeps_line_endings_mode_and_quoting_elsewhere() {
    let world = World::new();
    let repo = world.repo("app");
    let text = "version = '1.0.0'\r\n\r\n[[environments]]\r\nname = \"qa\"\r\ncut = 'rc'";
    world.commit_release_file(&repo, "environment/qa", text.as_bytes());
    let file = repo.join("release.toml");
    let mut permissions = std::fs::metadata(&file).expect("file is there").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&file, permissions).expect("mode can be set");
    world.git(&repo, &["add", "release.toml"]);
    world.git(&repo, &["commit", "-q", "-m", "Executable"]);
    world.git(&repo, &["checkout", "-q", "main"]);
    world.git(&repo, &["config", "release.configRef", "refs/heads/environment/qa"]);

    let before = world.state(&repo);
    world.release(&repo, &["set", "qa", "1.0.0"]).expect_status(0).expect_stdout("qa is already at 1.0.0");
    assert_eq!(world.state(&repo), before, "the same version in other quotes is no change");

    world.release(&repo, &["set", "qa", "1.0.1"]).expect_status(0);
    let expected = "version = \"1.0.1\"\r\n\r\n[[environments]]\r\nname = \"qa\"\r\ncut = 'rc'";
    assert_eq!(world.show(&repo, "environment/qa:release.toml"), expected);
    assert!(world.git(&repo, &["ls-tree", "environment/qa", "release.toml"]).starts_with("100755 "), "mode kept");
}

#[test]
fn set_repairs_a_version_that_does_not_fit() {
    let world = World::new();
    let repo = initialised(&world);
    world.git(&repo, &["checkout", "-q", "environment/qa"]);
    let text =
        std::fs::read_to_string(repo.join("release.toml")).expect("file is there").replace("\"0.1.0\"", "\"WIP\"");
    std::fs::write(repo.join("release.toml"), text).expect("file can be written");
    world.git(&repo, &["commit", "-q", "-a", "-m", "Oops"]);
    world.git(&repo, &["checkout", "-q", "main"]);
    // status shows the broken row among the others, and says why.
    world.release(&repo, &["status"]).expect_status(0).expect_stdout("invalid").expect_stderr("not `WIP`");
    world.release(&repo, &["set", "qa", "1.0.0"]).expect_status(0).expect_stdout("qa: WIP -> 1.0.0");
    let status = world.release(&repo, &["status"]);
    status.expect_status(0);
    assert!(!status.stdout.contains("invalid") && !status.stderr.contains("warning"), "{status}");
}

#[test]
fn set_refuses_a_branch_checked_out_in_another_worktree() {
    let world = World::new();
    let repo = initialised(&world);
    world.git(&repo, &["worktree", "add", "-q", world.path("wt").to_str().expect("utf-8 path"), "environment/dev"]);
    let before = world.state(&repo);
    world
        .release(&repo, &["set", "dev", "3.0.0"])
        .expect_status(1)
        .expect_stderr("error: environment/dev is checked out in the worktree <tmp>/wt");
    assert_eq!(world.state(&repo), before);
    world.release(&world.path("wt"), &["set", "dev", "3.0.0"]).expect_status(0);
    assert_eq!(world.git(&world.path("wt"), &["status", "--porcelain"]), "", "that worktree follows");
}

#[test]
fn bump_refuses_a_version_at_the_limit() {
    let world = World::new();
    let repo = initialised(&world);
    let max = format!("{0}.{0}.{0}", u64::MAX);
    world.release(&repo, &["set", "qa", &max]).expect_status(0);
    world.release(&repo, &["bump", "qa", "patch"]).expect_status(2).expect_stderr("cannot be raised");
}

#[test]
fn a_remote_given_as_a_url_is_refused_without_echoing_it() {
    let world = World::new();
    let repo = initialised(&world);
    let transcript = world.release(&repo, &["--remote", "https://bob:s3cret@git.example.com/x.git", "status"]);
    transcript.expect_status(2).expect_stderr("error: --remote takes the name of a remote, such as origin");
    assert!(!transcript.stderr.contains("s3cret") && !transcript.stdout.contains("s3cret"), "{transcript}");
}

#[test]
fn a_push_whose_remote_tracking_value_was_left_stale_goes_through() {
    let world = World::new();
    let remote = world.empty_repo("origin.git", true);
    let repo = initialised(&world);
    world.git(&repo, &["remote", "add", "origin", remote.to_str().expect("utf-8 path")]);
    world.git(&repo, &["push", "-q", "origin", "environment/dev", "environment/qa", "environment/prod"]);
    let old = world.git(&repo, &["rev-parse", "environment/qa"]).trim().to_owned();
    world.release(&repo, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    // As after a run stopped between its push and the update of origin/environment/qa.
    world.git(&repo, &["update-ref", "refs/remotes/origin/environment/qa", &old]);
    world.release(&repo, &["set", "qa", "1.1.0", "--push"]).expect_status(0).expect_stdout(", pushed)");
    assert_eq!(
        world.git(&remote, &["rev-parse", "environment/qa"]),
        world.git(&repo, &["rev-parse", "environment/qa"])
    );
}
