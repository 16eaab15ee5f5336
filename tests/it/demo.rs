//! `git release demo`: the sandbox release, end to end.

use crate::deploy::{path, tags};
use crate::harness::World;

#[test]
fn demo_walks_a_release_to_prod_and_ends_with_both_deployed() {
    let world = World::new();
    let dir = world.path("sandbox");
    let transcript = world.release(&world.path(""), &["demo", "--dir", path(&dir), "--keep"]);
    transcript.expect_status(0);
    for step in
        ["release$ git release prepare qa", "tag=v1.0.0-rc.2", "release$ git release prepare prod", "tag=v1.0.0\n"]
    {
        transcript.expect_stdout(step);
    }
    let status = transcript.stdout.split("release$ git release status\n").nth(1).expect("status ran");
    let deployed = |env: &str| {
        status
            .lines()
            .find(|line| line.starts_with(env))
            .is_some_and(|line| line.contains("1.0.0 ") && !line.ends_with(" -"))
    };
    assert!(deployed("qa ") && deployed("prod "), "qa and prod show a deployment:\n{status}");

    let on_remote = tags(&world, &dir.join("app.git"));
    assert_eq!(on_remote.len(), 6, "two candidates, a final and three records: {on_remote:?}");
    assert!(on_remote.iter().all(|tag| tag.starts_with("tag ")), "all annotated: {on_remote:?}");
}

#[test]
fn demo_cleans_up_unless_kept_and_refuses_a_folder_in_use() {
    let world = World::new();
    let dir = world.path("sandbox");
    world.release(&world.path(""), &["demo", "--dir", path(&dir), "-q"]).expect_status(0);
    assert!(!dir.join("app.git").exists(), "the sandbox is gone");

    std::fs::create_dir_all(world.path("busy")).expect("folder");
    std::fs::write(world.path("busy/notes.txt"), "mine\n").expect("file");
    let refused = world.release(&world.path(""), &["demo", "--dir", path(&world.path("busy"))]);
    refused.expect_status(2).expect_stderr("is not empty");
    assert_eq!(std::fs::read_to_string(world.path("busy/notes.txt")).expect("still there"), "mine\n");
}
