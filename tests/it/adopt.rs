//! `init` in a repository whose environment branches exist, as a team has it before
//! git-release: each branch keeps its history, and one the remote protects gets a pull request.

use std::path::{Path, PathBuf};

use crate::deploy::path;
use crate::fake_forge::FakeForge;
use crate::harness::{NOON, World, stable};
use crate::promote::TOKEN;

/// An infrastructure repository on a bare remote the fake forge serves, before git-release.
pub struct Infra {
    pub work: PathBuf,
    pub bare: PathBuf,
}

fn commit(world: &World, dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("file can be written");
    world.git(dir, &["add", file]);
    world.git(dir, &["commit", "-q", "-m", &format!("Change {file}")]);
}

/// qa, stage and main with commits of their own (main has a hotfix the others lack), pushed to
/// a remote at the fake forge's address, whose main takes changes by pull request only.
pub fn infrastructure(world: &World, forge: &FakeForge) -> Infra {
    let bare = world.empty_repo("infra.git", true);
    let work = world.repo("seed");
    commit(world, &work, "main.tf", "resource \"null\" \"a\" {}\n");
    world.git(&work, &["checkout", "-q", "-b", "stage"]);
    commit(world, &work, "stage.tf", "resource \"null\" \"b\" {}\n");
    world.git(&work, &["checkout", "-q", "-b", "qa"]);
    commit(world, &work, "qa.tf", "resource \"null\" \"c\" {}\n");
    world.git(&work, &["checkout", "-q", "main"]);
    commit(world, &work, "hotfix.tf", "resource \"null\" \"fix\" {}\n");
    let url = format!("{}/shop/release.git", forge.api());
    world.git(&work, &["config", &format!("url.{}.insteadOf", path(&bare)), &url]);
    world.git(&work, &["remote", "add", "origin", &url]);
    world.git(&work, &["push", "-q", "origin", "main", "stage", "qa"]);
    world.git(&work, &["branch", "-q", "-D", "qa", "stage"]);
    world.git(&work, &["fetch", "-q", "origin"]);
    protect(&bare, "main");
    forge.back_with(&bare);
    Infra { work, bare }
}

/// The remote refuses every push to `branch`, as a forge's branch protection does.
pub fn protect(bare: &Path, branch: &str) {
    protect_each(bare, &[branch]);
}

/// The remote refuses every push to each of `branches`.
pub fn protect_each(bare: &Path, branches: &[&str]) {
    let hook = bare.join("hooks/pre-receive");
    let refs = branches.iter().map(|b| format!("refs/heads/{b}")).collect::<Vec<_>>().join("|");
    let script = format!(
        "#!/bin/sh\nwhile read old new ref; do\n  case \"$ref\" in {refs})\n    \
         echo \"error: GH006: Protected branch update failed for $ref.\" >&2\n    \
         echo \"error: Changes must be made through a pull request.\" >&2\n    exit 1;;\n  esac\ndone\n"
    );
    std::fs::write(&hook, script).expect("hook written");
    let mut permissions = std::fs::metadata(&hook).expect("hook exists").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&hook, permissions).expect("hook made executable");
}

fn tip(world: &World, bare: &Path, branch: &str) -> String {
    world.git(bare, &["rev-parse", &format!("refs/heads/{branch}")]).trim().to_owned()
}

pub const ADOPT: [&str; 7] = ["init", "--env", "qa=qa", "--env", "stage=stage", "--env", "prod=main"];

/// `init` for the infrastructure repository, on the fake forge.
pub fn adopt(world: &World, infra: &Infra, forge: &FakeForge, extra: &[&str]) -> crate::harness::Transcript {
    let api = forge.api();
    let mut args: Vec<&str> = ADOPT.to_vec();
    args.extend(["--forge", "github", "--forge-api", &api]);
    args.extend(extra);
    world.release_with(&infra.work, &args, &[("GITHUB_TOKEN", TOKEN), ("GIT_COMMITTER_DATE", NOON)])
}

#[test]
fn init_adds_the_release_file_to_each_branch_and_proposes_it_where_the_branch_is_protected() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    let (qa, stage, main) =
        (tip(&world, &infra.bare, "qa"), tip(&world, &infra.bare, "stage"), tip(&world, &infra.bare, "main"));
    let work_before = world.git(&infra.work, &["status", "--porcelain", "--ignored"]);

    let dry = adopt(&world, &infra, &forge, &["--dry-run"]);
    dry.expect_status(0).expect_stdout("push its commit to release-init/<branch> and open a pull request instead");
    assert_eq!(tip(&world, &infra.bare, "qa"), qa, "a dry run pushes nothing");
    assert!(forge.pulls().is_empty());

    let run = adopt(&world, &infra, &forge, &[]);
    insta::assert_snapshot!("adopt_first_run", stable(&run.to_string()));
    run.expect_status(0);
    assert!(!run.to_string().contains("SECRET"), "{run}");
    // qa and stage took one commit each on top of what they had; main took nothing.
    assert_eq!(world.git(&infra.bare, &["rev-parse", "qa^1"]).trim(), qa);
    assert_eq!(world.git(&infra.bare, &["rev-parse", "stage^1"]).trim(), stage);
    assert_eq!(tip(&world, &infra.bare, "main"), main, "the protected branch is as it was");
    assert!(world.show(&infra.bare, "qa:release.toml").contains("version = \"0.1.0\""));
    assert!(world.show(&infra.bare, "stage:release.toml").contains("version = \"0.1.0\""));
    assert_eq!(world.show(&infra.bare, "qa:qa.tf"), "resource \"null\" \"c\" {}\n", "qa keeps its files");
    // main's commit waits on a branch of its own, with its pull request.
    assert_eq!(world.git(&infra.bare, &["rev-parse", "release-init/main^1"]).trim(), main);
    assert!(world.show(&infra.bare, "release-init/main:release.toml").contains("cut = \"final\""));
    let pulls = forge.open_pulls();
    let summary: Vec<_> =
        pulls.iter().map(|p| (p.number, p.source.as_str(), p.target.as_str(), p.title.as_str())).collect();
    assert_eq!(summary, [(1, "release-init/main", "main", "Add release.toml to main")]);
    assert!(pulls[0].body.contains("with a merge commit, not squashed"), "{}", pulls[0].body);
    // HEAD's branch main was not moved: the work tree is as it was.
    assert_eq!(world.git(&infra.work, &["rev-parse", "main"]).trim(), main);
    assert_eq!(world.git(&infra.work, &["status", "--porcelain", "--ignored"]), work_before);
    // Promotions between the branches merge the release file without conflict.
    for (from, into) in [("qa", "stage"), ("stage", "release-init/main"), ("qa", "release-init/main")] {
        world.git(&infra.bare, &["merge-tree", "--write-tree", into, from]);
    }

    // Run again before the pull request is merged: nothing is doubled, nothing moves.
    let side = tip(&world, &infra.bare, "release-init/main");
    let again = adopt(&world, &infra, &forge, &[]);
    again.expect_status(0).expect_stdout("  qa     ").expect_stdout("kept\n");
    assert_eq!(tip(&world, &infra.bare, "release-init/main"), side, "the pull request's branch stays as it is");
    assert_eq!(forge.pulls().len(), 1, "the open pull request is found, not doubled");

    // Once it is merged, everything is set up: a third run keeps every branch.
    forge.merge_by_hand(1, "merge");
    let settled = adopt(&world, &infra, &forge, &[]);
    settled.expect_status(0);
    assert_eq!(settled.to_string().matches("kept\n").count(), 3, "{settled}");
    world.git(&infra.work, &["merge", "-q", "--ff-only", "origin/main"]);
    world.release(&infra.work, &["status"]).expect_status(0).expect_stdout("main ");
}

/// Without a forge to ask, the declined branch's commit waits on its own branch, and the output
/// says what to do with it.
#[test]
fn init_names_the_pull_request_to_open_where_no_forge_answers() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    let mut args = ADOPT.to_vec();
    args.push("--offline");
    let run = world.release(&infra.work, &args);
    run.expect_status(0);
    run.expect_stdout("on release-init/main: open a pull request from it into main");
    run.expect_stderr("hint: no pull request was opened for main: no forge is known for this repository's remote");
    run.expect_stderr("hint: merge it into main with a merge commit, not squashed");
    assert!(forge.pulls().is_empty());
    assert!(world.show(&infra.bare, "release-init/main:release.toml").contains("name = \"prod\""));
}

/// A release repository that exists beside an application repository: its branches hold the
/// deployment's own files, which stay.
#[test]
fn init_adopts_an_existing_release_repository_beside_an_application_repository() {
    let world = World::new();
    let app = world.repo("app");
    let release = world.repo("release");
    world.git(&release, &["branch", "environment/qa"]);
    world.git(&release, &["checkout", "-q", "-b", "environment/prod"]);
    commit(&world, &release, "values-prod.yaml", "replicas: 3\n");
    world.git(&release, &["checkout", "-q", "main"]);
    let prod = world.git(&release, &["rev-parse", "environment/prod"]);

    let run = world.release(&release, &["init", "--env", "qa", "--env", "prod", "--app", path(&app)]);
    run.expect_status(0).expect_stdout("environment/qa    ").expect_stdout("added\n");
    assert_eq!(world.git(&release, &["rev-parse", "environment/prod^1"]), prod);
    assert_eq!(world.show(&release, "environment/prod:values-prod.yaml"), "replicas: 3\n");
    let prod_file = world.show(&release, "environment/prod:release.toml");
    assert!(prod_file.contains(&format!("repo = \"{}\"", path(&app))), "{prod_file}");
    world.release(&release, &["status"]).expect_status(0).expect_stdout("environment/prod");
}

/// A branch whose release file lists other environments is refused before anything is written;
/// a local branch with commits its remote lacks too.
#[test]
fn init_refuses_a_disagreeing_release_file_or_a_branch_ahead_of_its_remote() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    world.git(&infra.work, &["checkout", "-q", "-b", "qa", "origin/qa"]);
    std::fs::write(
        infra.work.join("release.toml"),
        "version = \"WIP\"\n[app]\nrepo = \".\"\n[[environments]]\nname = \"qa\"\nbranch = \"qa\"\n",
    )
    .expect("written");
    world.git(&infra.work, &["add", "release.toml"]);
    world.git(&infra.work, &["commit", "-q", "-m", "A release file of its own"]);
    world.git(&infra.work, &["checkout", "-q", "main"]);
    let before = world.state(&infra.work);
    let mut args = ADOPT.to_vec();
    args.push("--offline");
    let ahead = world.release(&infra.work, &args);
    ahead.expect_status(1).expect_stderr("error: qa here has commits origin/qa lacks\n");
    assert_eq!(world.state(&infra.work), before);
    world.git(&infra.work, &["push", "-q", "origin", "qa"]);
    let (here, there) = (world.state(&infra.work), world.state(&infra.bare));
    let disagrees = world.release(&infra.work, &args);
    disagrees.expect_status(1).expect_stderr("error: release.toml on qa at ");
    disagrees.expect_stderr(
        "has other settings than the ones init brings\n  caused by: it lists qa=qa; the settings list qa=qa stage=stage prod=main\n",
    );
    assert_eq!((world.state(&infra.work), world.state(&infra.bare)), (here, there), "nothing written");

    // Found by an independent pass: a file listing the same environments with other settings
    // (prod no longer restricted) was kept beside the settings --env makes.
    let scratch = world.repo("scratch");
    let mut made = ADOPT.to_vec();
    made.extend(["--offline", "-q"]);
    world.release(&scratch, &made).expect_status(0);
    let loose = world.show(&scratch, "qa:release.toml").replace("restricted = true\n", "");
    world.git(&infra.work, &["switch", "-q", "qa"]);
    std::fs::write(infra.work.join("release.toml"), loose).expect("written");
    world.git(&infra.work, &["commit", "-q", "-am", "Looser settings"]);
    world.git(&infra.work, &["push", "-q", "origin", "qa"]);
    world.git(&infra.work, &["switch", "-q", "main"]);
    let looser = world.release(&infra.work, &args);
    looser.expect_status(1).expect_stderr(
        "has other settings than the ones init brings\n  caused by: they differ in more than the version\n",
    );
}

/// Found by an independent pass: a second `init` without its arguments, while main's pull
/// request waited, made the default environments on new branches. The settings are read only
/// where release.configRef points (never from release-init/main, which anyone who may push can
/// write); until main holds them, the arguments of the first run say them again.
#[test]
fn a_second_run_without_arguments_before_the_merge_is_told_what_to_do() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    adopt(&world, &infra, &forge, &[]).expect_status(0);
    let before = world.state(&infra.work);
    let again = world.release_with(&infra.work, &["init"], &[("GITHUB_TOKEN", TOKEN), ("GIT_COMMITTER_DATE", NOON)]);
    again
        .expect_status(2)
        .expect_stderr("error: release.configRef is refs/heads/main, and no release.toml is there yet\n");
    again.expect_stderr("hint: name the environments with --env NAME=BRANCH, as the first run did, or merge the pull request it opened first");
    assert_eq!(world.state(&infra.work), before);
    adopt(&world, &infra, &forge, &[]).expect_status(0).expect_stdout("kept\n");
    assert_eq!(forge.pulls().len(), 1, "the pull request is found again");
}

/// Found by an independent pass: a hand-written release file on main did not share the commit
/// the other branches got, so a later promotion met an add/add conflict. Now main keeps its file
/// and takes a merge of that commit.
#[test]
fn every_branch_comes_to_share_one_commit_that_adds_the_release_file() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    std::fs::remove_file(infra.bare.join("hooks/pre-receive")).expect("main takes pushes here");
    // main holds a file with the settings init would write, committed by hand.
    let scratch = world.repo("scratch");
    let api = forge.api();
    let mut args = ADOPT.to_vec();
    args.extend(["--forge", "github", "--forge-api", &api, "--offline", "-q"]);
    world.release(&scratch, &args).expect_status(0);
    commit(&world, &infra.work, "release.toml", &world.show(&scratch, "main:release.toml"));
    world.git(&infra.work, &["push", "-q", "origin", "main"]);
    let main = tip(&world, &infra.bare, "main");
    let stage = tip(&world, &infra.bare, "stage");

    let run = adopt(&world, &infra, &forge, &[]);
    run.expect_status(0).expect_stdout("kept, with a merge of the commit the others share");
    // Found by an independent pass: the shared commit stood on stage's head, so main's merge of
    // it took stage's commits into main's history without their files.
    let leaked = world.command("git", &infra.bare).args(["merge-base", "--is-ancestor", &stage, "main"]).output();
    assert!(!leaked.expect("git runs").status.success(), "stage's commits are not in main's history");
    assert_eq!(world.git(&infra.bare, &["rev-parse", "main^1"]).trim(), main);
    assert_eq!(world.git(&infra.bare, &["diff", "--stat", &main, "main"]), "", "main's files are as they were");
    let shared = world.git(&infra.bare, &["rev-parse", "main^2"]);
    assert_eq!(world.git(&infra.bare, &["rev-parse", "qa^2"]), shared, "qa and main share one commit");
    world.release(&infra.work, &["set", "stage", "2.4.0", "--push"]).expect_status(0);
    for (from, into) in [("qa", "stage"), ("stage", "main"), ("qa", "main")] {
        world.git(&infra.bare, &["merge-tree", "--write-tree", into, from]);
    }
}

/// A protected main that keeps its own file gets its merge of the shared commit proposed; a
/// second run proposes that same commit again rather than moving the pull request's head.
#[test]
fn a_protected_branch_that_keeps_its_file_is_proposed_the_same_merge_twice() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    std::fs::remove_file(infra.bare.join("hooks/pre-receive")).expect("main takes pushes for a moment");
    let scratch = world.repo("scratch");
    let api = forge.api();
    let mut args = ADOPT.to_vec();
    args.extend(["--forge", "github", "--forge-api", &api, "--offline", "-q"]);
    world.release(&scratch, &args).expect_status(0);
    // Kept byte for byte but for its comments: the merge carries main's own text.
    let own = format!("# main's own words\n{}", world.show(&scratch, "main:release.toml"));
    commit(&world, &infra.work, "release.toml", &own);
    world.git(&infra.work, &["push", "-q", "origin", "main"]);
    // stage takes no pushes either: on the second run it still needs its file, so main's merge
    // of the shared commit is made again.
    protect_each(&infra.bare, &["stage", "main"]);

    adopt(&world, &infra, &forge, &[]).expect_status(0).expect_stdout("from release-init/main");
    let proposed = tip(&world, &infra.bare, "release-init/main");
    assert_eq!(world.show(&infra.bare, "release-init/main:release.toml"), own);
    // An hour later, when a commit made anew would have another id.
    let mut again = ADOPT.to_vec();
    again.extend(["--forge", "github", "--forge-api", &api]);
    let later = [("GITHUB_TOKEN", TOKEN), ("GIT_COMMITTER_DATE", "2026-11-21T13:00:00Z")];
    world.release_with(&infra.work, &again, &later).expect_status(0);
    assert_eq!(tip(&world, &infra.bare, "release-init/main"), proposed, "the same commit, proposed again");
    assert_eq!(forge.pulls().len(), 2, "one for stage, one for main");
}

/// Found by an independent pass: a second run after main moved built a new commit adding the
/// file, which qa and stage did not share; and it proposed what someone else had pushed to
/// release-init/main, in a pull request someone else had opened.
#[test]
fn a_second_run_reuses_the_shared_commit_and_takes_nothing_it_did_not_make() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let infra = infrastructure(&world, &forge);
    adopt(&world, &infra, &forge, &["--offline"]).expect_status(0);
    let shared = world.git(&infra.bare, &["rev-parse", "qa^2"]);
    // main moves on (a hotfix merged by pull request), and someone pushes release-init/main.
    let seed = world.path("hotfix");
    world.git(&world.path(""), &["clone", "-q", path(&infra.bare), path(&seed)]);
    commit(&world, &seed, "hotfix2.tf", "resource \"null\" \"fix2\" {}\n");
    std::fs::remove_file(infra.bare.join("hooks/pre-receive")).expect("unprotected for a moment");
    world.git(&seed, &["push", "-q", "origin", "main"]);
    protect(&infra.bare, "main");
    world.git(&seed, &["switch", "-q", "-c", "release-init/main"]);
    commit(&world, &seed, "release.toml", "version = \"6.6.6\"\n");
    world.git(&seed, &["push", "-q", "-f", "origin", "release-init/main"]);
    forge.seed([("release-init/main".to_owned(), "main".to_owned())]);

    let run = adopt(&world, &infra, &forge, &[]);
    run.expect_status(0).expect_stderr("hint: no pull request was opened for main: pull request #1 from release-init/main into main was not opened by git-release");
    assert_eq!(world.git(&infra.bare, &["rev-parse", "release-init/main^2"]), shared, "the first run's commit, reused");
    assert!(
        world.show(&infra.bare, "release-init/main:release.toml").contains("name = \"prod\""),
        "the intruder's file is gone"
    );
    assert_eq!(forge.pulls()[0].title, "release-init/main into main", "someone else's pull request is left as it was");
}
