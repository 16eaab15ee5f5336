//! Environments that fan out (several after one) and fan in (one after several): the gate, the
//! deployments and `status` with `after` lists.

use std::path::Path;

use crate::deploy::{TwoRepos, path};
use crate::harness::World;
use crate::reconcile::edit_release_file;

/// stage cuts rc tags; prod-eu and prod-us each come after stage; global after both.
const FAN: &str = r#"[[environments]]
name = "stage"
branch = "environment/stage"
cut = "rc"

[[environments]]
name = "prod-eu"
branch = "environment/prod-eu"
cut = "final"
after = "stage"

[[environments]]
name = "prod-us"
branch = "environment/prod-us"
cut = "final"
after = "stage"

[[environments]]
name = "global"
branch = "environment/global"
cut = "final"
after = ["prod-eu", "prod-us"]
restricted = true

"#;

/// A release repository laid out as [`FAN`], every environment at 1.4.0, stage deployed it.
pub fn fanned(world: &World) -> TwoRepos {
    let repos = TwoRepos::with_environments(world, &["stage", "prod-eu", "prod-us", "global"]);
    edit_release_file(world, &repos.release, |file| {
        let (start, end) = (file.find("[[environments]]").expect("tables"), file.find("# [forge]").expect("forge"));
        let file = format!("{}{FAN}{}", &file[..start], &file[end..]);
        file.replace("version = \"WIP\"", "version = \"1.4.0\"").replace("version = \"0.1.0\"", "version = \"1.4.0\"")
    });
    world.git(&repos.release, &["checkout", "-q", "environment/stage"]);
    deploy(world, &repos.release, "stage");
    repos
}

fn deploy(world: &World, release: &Path, environment: &str) {
    world.release(release, &["prepare", environment]).expect_status(0);
    world.release(release, &["record", environment]).expect_status(0);
}

#[test]
fn the_gate_into_an_environment_after_two_waits_for_both() {
    let world = World::new();
    let repos = fanned(&world);
    let release = &repos.release;
    deploy(&world, release, "prod-eu");

    let refused = world.release(release, &["gate", "--target", "global"]);
    refused
        .expect_status(1)
        .expect_stdout("promotion-path     global comes after prod-eu and prod-us; environment/prod-eu is the branch of prod-eu; prod-us must have run it too")
        .expect_stdout("FAIL  previous-deployed  prod-us has not deployed")
        .expect_stdout("(prod-eu deployed ")
        .expect_stdout("hint: deploy it to prod-us first; its pipeline ends with 'git release record prod-us'");
    // A final deployment of global checks the same: prod-us has not run v1.4.0's commit.
    world.release(release, &["prepare", "global"]).expect_status(1).expect_stderr("prod-us");

    deploy(&world, release, "prod-us");
    let allowed = world.release(release, &["gate", "--target", "global"]);
    allowed
        .expect_status(0)
        .expect_stdout("ok    previous-deployed  prod-eu deployed ")
        .expect_stdout("; prod-us deployed ");
    // From the other region's branch, too.
    world
        .release(release, &["gate", "--target", "global", "--source", "environment/prod-us"])
        .expect_status(0)
        .expect_stdout("environment/prod-us is the branch of prod-us; prod-eu must have run it too");
    // From stage, which global does not come after, it is no promotion.
    world
        .release(release, &["gate", "--target", "global", "--source", "environment/stage"])
        .expect_status(1)
        .expect_stdout("global comes after prod-eu and prod-us, so changes enter it from environment/prod-eu or environment/prod-us only; environment/stage is the branch of stage");
}

#[test]
fn status_shows_the_fan_out_and_the_fan_in() {
    let world = World::new();
    let repos = fanned(&world);
    let status = world.release(&repos.release, &["status"]);
    status.expect_status(0);
    let rows: Vec<(String, String)> = status
        .stdout
        .lines()
        .skip(1)
        .map(|line| {
            let columns: Vec<&str> = line.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
            (columns[0].to_owned(), columns[5].to_owned())
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("stage".to_owned(), "-".to_owned()),
            ("prod-eu".to_owned(), "stage".to_owned()),
            ("prod-us".to_owned(), "stage".to_owned()),
            ("global (restricted)".to_owned(), "prod-eu, prod-us".to_owned()),
        ],
        "{}",
        status.stdout
    );
    let json = world.release(&repos.release, &["status", "--json"]).json();
    let afters: Vec<&serde_json::Value> =
        json["environments"].as_array().expect("rows").iter().map(|row| &row["after"]).collect();
    assert_eq!(
        afters,
        [&serde_json::json!(null), &"stage".into(), &"stage".into(), &serde_json::json!(["prod-eu", "prod-us"])]
    );
}

#[test]
fn promote_into_an_environment_after_two_comes_from_either() {
    let world = World::new();
    let repos = fanned(&world);
    let release = &repos.release;
    world.release(release, &["promote", "prod-us", "global", "--dry-run"]).expect_status(0);
    world
        .release(release, &["promote", "stage", "global", "--dry-run"])
        .expect_status(1)
        .expect_stderr("global comes after prod-eu and prod-us, not stage");
}

/// Found by the independent pass: in one repository, an environment after one that cuts final
/// tags deploys a commit its gate let in by its files (the environment before ran the merge that
/// brought the candidate in), and `prepare` refused it, asking for the candidate's own commit.
#[test]
fn one_repository_fan_in_after_final_environments_deploys_what_the_gate_let_in() {
    let world = World::new();
    let remote = world.empty_repo("shop.git", true);
    let repo = world.repo("shop");
    world.git(&repo, &["remote", "add", "origin", path(&remote)]);
    let file = "version = \"1.0.0\"\n\n[app]\nrepo = \".\"\n\n[[environments]]\nname = \"stage\"\ncut = \"rc\"\n\n\
                [[environments]]\nname = \"prod-eu\"\ncut = \"final\"\nafter = \"stage\"\n\n\
                [[environments]]\nname = \"prod-us\"\ncut = \"final\"\nafter = \"stage\"\n\n\
                [[environments]]\nname = \"global\"\ncut = \"final\"\nafter = [\"prod-eu\", \"prod-us\"]\n";
    world.commit_release_file(&repo, "main", file.as_bytes());
    let branches = ["environment/stage", "environment/prod-eu", "environment/prod-us", "environment/global"];
    for branch in branches {
        world.git(&repo, &["branch", branch, "main"]);
    }
    world.git(&repo, &["config", "release.configRef", "refs/heads/environment/global"]);
    world.git(&repo, &[&["push", "-q", "origin"][..], &branches].concat());
    world.git(&repo, &["checkout", "-q", "--detach"]);
    world.release(&repo, &["prepare", "stage"]).expect_status(0);
    world.release(&repo, &["record", "stage"]).expect_status(0);
    // Each region takes the candidate through a merge commit of its own, as a forge merges.
    for region in ["prod-eu", "prod-us"] {
        let branch = format!("environment/{region}");
        world.git(&repo, &["checkout", "-q", &branch]);
        world.git(
            &repo,
            &["merge", "-q", "--no-ff", "-m", &format!("Promote stage to {region}"), "origin/environment/stage"],
        );
        world.git(&repo, &["commit", "-q", "--allow-empty", "-m", &format!("{region} is ready")]);
        world.git(&repo, &["push", "-q", "origin", &branch]);
        world.git(&repo, &["checkout", "-q", "--detach"]);
        world.release(&repo, &["prepare", region]).expect_status(0);
        world.release(&repo, &["record", region]).expect_status(0);
    }
    world.git(&repo, &["checkout", "-q", "environment/global"]);
    world.git(&repo, &["merge", "-q", "--ff-only", "origin/environment/prod-eu"]);
    world.git(&repo, &["push", "-q", "origin", "environment/global"]);
    world.git(&repo, &["checkout", "-q", "--detach"]);
    world.release(&repo, &["gate", "--target", "global", "--source", "environment/prod-eu"]).expect_status(0);
    world.release(&repo, &["prepare", "global"]).expect_status(0).expect_stdout("tag=v1.0.0\n");
    world.release(&repo, &["record", "global"]).expect_status(0);
}

/// Found by the independent pass: a version without candidates pointed at the environments
/// global comes after, which cut final tags; the candidates come from stage.
#[test]
fn a_version_without_candidates_names_where_they_are_cut() {
    let world = World::new();
    let repos = fanned(&world);
    let release = &repos.release;
    world.release(release, &["set", "prod-eu", "1.5.0", "--push"]).expect_status(0);
    world
        .release(release, &["gate", "--target", "global", "--source", "environment/prod-eu"])
        .expect_status(1)
        .expect_stdout("no release candidate for 1.5.0; deploy it to stage first");
}

/// Reconcile promotes into an environment after two from the first one listed, once the gate
/// allows it: both regions ran the commit.
#[test]
fn reconcile_promotes_into_an_environment_after_two_once_both_ran_it() {
    use crate::fake_forge::FakeForge;
    use crate::reconcile::{TOKEN, actions, reconcile};
    let world = World::new();
    let repos = fanned(&world);
    let release = &repos.release;
    let forge = FakeForge::github(Some(TOKEN));
    edit_release_file(&world, release, |file| {
        file.replacen(
            "after = [\"prod-eu\", \"prod-us\"]\n",
            "after = [\"prod-eu\", \"prod-us\"]\nauto-promote = true\n",
            1,
        )
    });
    crate::promote::point_at(&world, release, "github", &forge.api());
    world.git(release, &["checkout", "-q", "environment/stage"]);
    // global runs an older version: the regions' release file is what a promotion carries.
    world.release(release, &["set", "global", "1.3.0", "--push"]).expect_status(0);
    deploy(&world, release, "prod-eu");
    let waiting = reconcile(&world, release, &forge, &[]);
    assert!(actions(&waiting).is_empty(), "prod-us has not run it: {waiting}");
    assert!(
        waiting["environments"][0]["desired"]["reason"].to_string().contains("prod-us has not deployed"),
        "{waiting}"
    );
    deploy(&world, release, "prod-us");
    let opened = reconcile(&world, release, &forge, &[]);
    assert_eq!(actions(&opened), ["create #1"], "{opened}");
    assert_eq!(forge.open_pulls()[0].source, "environment/prod-eu");
    assert_eq!(opened["environments"][0]["from"], "prod-eu");
}
