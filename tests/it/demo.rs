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
    // The gate refuses prod before qa records the candidate's deployment, and allows it after.
    let gates: Vec<&str> = transcript.stdout.split("release$ git release gate --target prod\n").skip(1).collect();
    assert_eq!(gates.len(), 2, "two gate steps:\n{transcript}");
    assert!(gates[0].contains("FAIL  previous-deployed  qa has not deployed"), "{}", gates[0]);
    assert!(gates[0].contains("refused: previous-deployed\nrelease$ git release record qa\n"), "{}", gates[0]);
    assert!(gates[1].contains("ok    previous-deployed  qa deployed"), "{}", gates[1]);
    assert!(gates[1].contains("\nallowed\n"), "{}", gates[1]);
    // With no forge, the promotion is printed for people to merge.
    let promotion = transcript.stdout.split("release$ git release promote qa prod\n").nth(1).expect("promote ran");
    assert!(promotion.starts_with("Promote qa → prod: 1.0.0 (v1.0.0-rc.2)\n"), "{promotion}");
    assert!(promotion.contains("for you to merge into environment/prod.") && promotion.contains("- `"), "{promotion}");

    let status = transcript.stdout.split("release$ git release status\n").nth(1).expect("status ran");
    let row = |env: &str| status.lines().find(|line| line.starts_with(env)).unwrap_or_default().to_owned();
    // DEPLOYED holds the version, then the commit in seven hex digits.
    let deployed = |env: &str| {
        let row = row(env);
        let words: Vec<&str> = row.split_whitespace().collect();
        words.windows(2).any(|w| w[0] == "1.0.0" && w[1].len() == 7 && w[1].chars().all(|c| c.is_ascii_hexdigit()))
    };
    assert!(deployed("qa ") && deployed("prod "), "qa and prod show a deployment:\n{status}");
    assert!(row("prod ").ends_with(" allowed"), "prod's gate column:\n{status}");

    // It ends with the report, and says where it is.
    transcript.expect_stdout("release$ git release report --output ../report.html\n");
    transcript.expect_stdout("Its report, to open in a browser: <tmp>/sandbox/report.html\n");
    let page = std::fs::read_to_string(dir.join("report.html")).expect("the report");
    assert!(page.contains("data-environment=\"prod\"") && page.contains("1.0.0"), "{page}");

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
    let kept: Vec<_> = std::fs::read_dir(&dir).expect("the folder stays").flatten().map(|e| e.file_name()).collect();
    assert_eq!(kept, ["report.html"], "only the report stays");

    std::fs::create_dir_all(world.path("busy")).expect("folder");
    std::fs::write(world.path("busy/notes.txt"), "mine\n").expect("file");
    let refused = world.release(&world.path(""), &["demo", "--dir", path(&world.path("busy"))]);
    refused.expect_status(2).expect_stderr("is not empty");
    assert_eq!(std::fs::read_to_string(world.path("busy/notes.txt")).expect("still there"), "mine\n");
}
