//! `git release reconcile`: auto-promotion pull requests kept in line with the deployments, on a
//! fake forge, through races and faults.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::deploy::TwoRepos;
use crate::fake_forge::{Chaos, Dialect, FakeForge};
use crate::harness::World;
use crate::promote::point_at;

pub const TOKEN: &str = "tok_0123456789abcdefSECRET";

/// Deploys the next rc to qa at `minute` past ten: a new application commit, then prepare and
/// record (the tests' clock stands still otherwise).
pub fn deploy_qa(world: &World, repos: &TwoRepos, change: &str, minute: u32) {
    repos.app_commit(world, change);
    world.release(&repos.release, &["prepare", "qa"]).expect_status(0);
    let at = format!("2026-11-21T10:{minute:02}:00Z");
    world.release_with(&repos.release, &["record", "qa"], &[("GIT_COMMITTER_DATE", &at)]).expect_status(0);
}

/// Changes the settings as an administrator does: `edit` rewrites the release file on every
/// environment branch, each keeping its version, and each is published, since each environment's
/// own settings judge what enters it. Ends on environment/dev, whose file the workspace reads,
/// where there is one.
pub fn edit_release_file(world: &World, release: &Path, edit: impl Fn(String) -> String) {
    let branches = world.git(release, &["for-each-ref", "--format=%(refname:short)", "refs/heads/environment/"]);
    for branch in branches.lines() {
        world.git(release, &["checkout", "-q", branch]);
        let file = std::fs::read_to_string(release.join("release.toml")).expect("release file");
        std::fs::write(release.join("release.toml"), edit(file)).expect("release file");
        world.git(release, &["commit", "-q", "-am", "Change the settings"]);
        let published = world
            .command("git", release)
            .args(["rev-parse", "-q", "--verify", &format!("refs/remotes/origin/{branch}")])
            .output();
        if published.is_ok_and(|o| o.status.success()) {
            world.git(release, &["push", "-q", "origin", branch]);
        }
    }
    if branches.lines().any(|branch| branch == "environment/dev") {
        world.git(release, &["checkout", "-q", "environment/dev"]);
    }
}

/// prod auto-promoted from qa, with `extra` lines in its table; qa deployed 1.4.0-rc.1 and rc.2.
pub fn auto_promoted(world: &World, forge: &FakeForge, extra: &str) -> TwoRepos {
    let repos = TwoRepos::new(world);
    let release = &repos.release;
    world.release(release, &["set", "qa", "1.4.0", "--push"]).expect_status(0);
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world.release(release, &["record", "qa"]).expect_status(0);
    deploy_qa(world, &repos, "Second feature", 20);
    edit_release_file(world, release, |file| {
        file.replacen("after = \"qa\"\n", &format!("after = \"qa\"\nauto-promote = true\n{extra}"), 1)
    });
    point_at(world, release, forge.dialect.kind(), &forge.api());
    repos
}

/// An environment table: released finally, after qa, auto-promoted.
fn auto_environment(name: &str) -> String {
    format!("\n[[environments]]\nname = \"{name}\"\ncut = \"final\"\nafter = \"qa\"\nauto-promote = true\n")
}

pub fn reconcile(world: &World, release: &Path, forge: &FakeForge, args: &[&str]) -> Value {
    // After every deployment these tests make: they record at minutes past ten.
    reconcile_at(world, release, forge, crate::harness::NOON, args)
}

/// A reconcile run at `moment`, as the tool's clock reads it.
fn reconcile_at(world: &World, release: &Path, forge: &FakeForge, moment: &str, args: &[&str]) -> Value {
    let mut all = vec!["-v", "reconcile", "--json"];
    all.extend_from_slice(args);
    let vars = [(forge.dialect.variable(), TOKEN), ("GIT_COMMITTER_DATE", moment)];
    let run = world.release_with(release, &all, &vars);
    run.expect_status(0);
    assert!(!run.to_string().contains("SECRET"), "the token shows:\n{run}");
    run.json()
}

fn writes(forge: &FakeForge) -> usize {
    forge.requests().iter().filter(|(line, _)| !line.starts_with("GET ")).count()
}

pub fn actions(report: &Value) -> Vec<String> {
    report["environments"][0]["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| format!("{} #{}", a["action"].as_str().unwrap_or_default(), a["number"]))
        .collect()
}

/// The life of one auto-promotion: opened once for rc.2, left alone, moved to rc.3 in place,
/// and nothing open once prod deployed it; two reconcilers at once open one.
fn follows_the_deployments(dialect: Dialect) {
    let world = World::new();
    let forge = FakeForge::new(dialect, Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let release = &repos.release;

    let first = reconcile(&world, release, &forge, &[]);
    assert_eq!(actions(&first), ["create #1"], "{dialect:?}: {first}");
    assert_eq!(first["environments"][0]["desired"]["tag"], "v1.4.0-rc.2");
    let open = forge.open_pulls();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].source.as_str(), open[0].target.as_str()), ("environment/qa", "environment/prod"));
    assert_eq!(open[0].title, "Promote qa → prod: 1.4.0 (v1.4.0-rc.2)");
    assert!(open[0].body.starts_with("<!-- git-release:promotion\nformat = 1\n"), "{}", open[0].body);
    assert!(open[0].body.contains("tag = \"v1.4.0-rc.2\""), "{}", open[0].body);

    let before = writes(&forge);
    let second = reconcile(&world, release, &forge, &[]);
    assert!(actions(&second).is_empty(), "{second}");
    assert_eq!(second["environments"][0]["open"]["number"], 1);
    assert_eq!(writes(&forge), before, "{dialect:?}: an unchanged rerun writes nothing");

    deploy_qa(&world, &repos, "Third feature", 30);
    let third = reconcile(&world, release, &forge, &[]);
    assert_eq!(actions(&third), ["update #1"], "{third}");
    let open = forge.open_pulls();
    assert_eq!(open.len(), 1, "{dialect:?}: still one");
    assert_eq!(open[0].title, "Promote qa → prod: 1.4.0 (v1.4.0-rc.3)");
    assert!(open[0].body.contains("tag = \"v1.4.0-rc.3\""), "{}", open[0].body);

    // Merged and pushed, not deployed yet: nothing to open.
    world.git(release, &["checkout", "-q", "environment/prod"]);
    world.git(release, &["merge", "-q", "--no-edit", "origin/environment/qa"]);
    world.git(release, &["push", "-q", "origin", "environment/prod"]);
    world.git(release, &["checkout", "-q", "environment/dev"]);
    forge.merged(1);
    let pending = reconcile(&world, release, &forge, &[]);
    assert!(actions(&pending).is_empty(), "{pending}");
    assert_eq!(pending["environments"][0]["desired"]["state"], "nothing", "{pending}");
    world.release_at(release, &["prepare", "prod"], crate::harness::NOON).expect_status(0);
    world.release_at(release, &["record", "prod"], crate::harness::NOON).expect_status(0);
    let deployed = reconcile(&world, release, &forge, &[]);
    assert!(actions(&deployed).is_empty(), "{deployed}");
    let reason = deployed["environments"][0]["desired"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("prod runs qa's 1.4.0 (v1.4.0-rc.3) already"), "{deployed}");
    assert!(forge.open_pulls().is_empty());

    // Two reconcilers at once, against a slow forge with nothing open: one pull request.
    let fresh = FakeForge::new(dialect, Some(TOKEN));
    fresh.set_latency(Duration::from_millis(30));
    point_at(&world, release, dialect.kind(), &fresh.api());
    world.release(release, &["set", "qa", "1.5.0", "--push"]).expect_status(0);
    deploy_qa(&world, &repos, "Fourth feature", 40);
    let children: Vec<_> = (0..2)
        .map(|_| {
            let mut command = world.release_command(release, &["reconcile", "--json"]);
            command.env(dialect.variable(), TOKEN).env("GIT_COMMITTER_DATE", crate::harness::NOON);
            command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            command.spawn().expect("git-release starts")
        })
        .collect();
    let mut said = String::new();
    for child in children {
        let output = child.wait_with_output().expect("git-release ends");
        assert!(output.status.success(), "{dialect:?}: {}", String::from_utf8_lossy(&output.stderr));
        said.push_str(&String::from_utf8_lossy(&output.stdout));
    }
    let open = fresh.open_pulls();
    assert_eq!(open.len(), 1, "{dialect:?}: {open:?}\n{said}");
    assert!(open[0].body.contains("tag = \"v1.5.0-rc.1\""), "{}", open[0].body);
}

#[test]
fn github_auto_promotion_follows_the_deployments() {
    follows_the_deployments(Dialect::Github);
}

#[test]
fn gitlab_auto_promotion_follows_the_deployments() {
    follows_the_deployments(Dialect::Gitlab);
}

#[test]
fn bitbucket_server_auto_promotion_follows_the_deployments() {
    follows_the_deployments(Dialect::BitbucketServer);
}

#[test]
fn bitbucket_cloud_auto_promotion_follows_the_deployments() {
    follows_the_deployments(Dialect::BitbucketCloud);
}

#[test]
fn azure_devops_auto_promotion_follows_the_deployments() {
    follows_the_deployments(Dialect::Azure);
}

#[test]
fn gitea_auto_promotion_follows_the_deployments() {
    follows_the_deployments(Dialect::Gitea);
}

#[test]
fn a_version_closed_by_hand_is_held_until_qa_deploys_a_newer_one() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let release = &repos.release;
    reconcile(&world, release, &forge, &[]);
    forge.close_by_hand(1);
    let held = reconcile(&world, release, &forge, &[]);
    assert!(actions(&held).is_empty(), "{held}");
    let notes = held["environments"][0]["notes"].to_string();
    assert!(notes.contains("is held: #1"), "{held}");
    assert!(forge.open_pulls().is_empty());

    deploy_qa(&world, &repos, "Third feature", 30);
    let newer = reconcile(&world, release, &forge, &[]);
    assert_eq!(actions(&newer), ["create #2"], "{newer}");
}

#[test]
fn stale_unreadable_and_duplicate_promotions_are_closed_naming_the_kept_one() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let release = &repos.release;
    // Earlier promotions of git-release's own: one from a branch of someone's, and one whose
    // block was mangled.
    {
        let mut state = forge.state.lock().expect("state");
        let block = "<!-- git-release:promotion\nformat = 1\nfrom = \"qa\"\nto = \"prod\"\nversion = \"1.4.0\"\ncommit = \"0\"\n-->";
        for (source, body) in
            [("hotfix", block.to_owned()), ("other", block.replace("format = 1", "format = 1\nfrom = 2"))]
        {
            let number = state.pulls.len() as u64 + 1;
            state.pulls.push(crate::fake_forge::Pull {
                number,
                title: "old".into(),
                body,
                source: source.into(),
                target: "environment/prod".into(),
                open: true,
                draft: false,
                version: 0,
                merged: false,
                head: crate::fake_forge::Head::Here,
                author: crate::fake_forge::BOT.into(),
                conflicts: false,
                head_sha: None,
                blocked: None,
            });
        }
    }
    let run = reconcile(&world, release, &forge, &[]);
    assert_eq!(actions(&run), ["create #3", "close #2", "close #1"], "{run}");
    let open = forge.open_pulls();
    assert_eq!(open.iter().map(|p| p.number).collect::<Vec<_>>(), [3]);
    let comments = forge.comments();
    assert!(comments.iter().any(|(n, text)| *n == 1 && text.contains("Superseded by #3")), "{comments:?}");
    assert!(comments.iter().any(|(n, text)| *n == 2 && text.contains("cannot be read")), "{comments:?}");
    // What git-release closed itself carries `closed-by` and holds nothing back.
    let closed = forge.pulls().into_iter().find(|p| p.number == 1).expect("#1");
    assert!(closed.body.contains("closed-by = \"git-release\""), "{}", closed.body);
}

#[test]
fn freeze_soak_and_blocked_hold_promotions_back_and_dry_run_writes_nothing() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "soak = \"1w\"\n");
    let release = &repos.release;
    // qa recorded rc.2 at 2026-11-21T10:20:00Z; each run states the moment it is at.
    let desired = |moment: &str| {
        reconcile_at(&world, release, &forge, moment, &["--dry-run"])["environments"][0]["desired"].clone()
    };
    let soaking = desired("2026-11-24T10:20:00Z");
    assert_eq!(soaking["state"], "wait", "{soaking}");
    assert_eq!(soaking["reason"], "qa's 1.4.0 (v1.4.0-rc.2) has run 3d of the 7d soak prod asks");
    assert_eq!(desired("2026-11-28T10:19:59Z")["state"], "wait", "a second short of the soak");
    assert_eq!(desired("2026-11-28T10:20:00Z")["state"], "want", "the soak is over");

    let window = "2026-12-20T00:00:00Z/2027-01-04T08:00:00Z";
    edit_release_file(&world, release, |file| file.replace("soak = \"1w\"\n", &format!("freeze = [\"{window}\"]\n")));
    assert_eq!(desired("2026-12-19T23:59:59Z")["state"], "want", "before the freeze");
    let frozen = desired("2026-12-24T12:00:00Z");
    assert_eq!(
        (frozen["state"].as_str(), frozen["reason"].as_str()),
        (Some("wait"), Some(&*format!("prod is frozen ({window})")))
    );
    assert_eq!(desired("2027-01-04T08:00:00Z")["state"], "want", "the freeze ends");

    edit_release_file(&world, release, |file| {
        file.replace(&format!("freeze = [\"{window}\"]\n"), "blocked = [\"v1.4.0-rc.2\"]\n")
    });
    let blocked = reconcile(&world, release, &forge, &[]);
    assert_eq!(blocked["environments"][0]["desired"]["reason"], "v1.4.0-rc.2 is blocked in prod", "{blocked}");
    assert_eq!(writes(&forge), 0);

    edit_release_file(&world, release, |file| file.replace("blocked = [\"v1.4.0-rc.2\"]\n", ""));
    let dry = world.release_with(release, &["reconcile", "--dry-run"], &[("GITHUB_TOKEN", TOKEN)]);
    dry.expect_status(0).expect_stdout("prod: would open from environment/qa");
    assert_eq!(writes(&forge), 0, "a dry run writes nothing");
    assert!(forge.open_pulls().is_empty());
}

#[test]
fn bad_input_is_refused_with_the_documented_status() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let release = &repos.release;
    world
        .release_with(release, &["reconcile", "--env", "qa"], &[("GITHUB_TOKEN", TOKEN)])
        .expect_status(2)
        .expect_stderr("error: qa is not auto-promoted")
        .expect_stderr("hint: set auto-promote = true");
    world.release(release, &["reconcile", "--watch", "0s"]).expect_status(2);
    world.release(release, &["--offline", "reconcile"]).expect_status(2).expect_stderr("reconcile needs a forge");
    edit_release_file(&world, release, |file| {
        file.replacen("auto-promote = true\n", "auto-promote = true\nsoak = \"2 hours\"\n", 1)
    });
    world.release(release, &["reconcile"]).expect_status(2).expect_stderr("`2 hours` is not a duration");
    assert_eq!(forge.requests().len(), 0);
}

#[test]
fn reconcile_converges_through_a_forge_that_fails_thirty_percent_of_calls() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let release = &repos.release;
    // Three more auto-promoted environments after qa.
    edit_release_file(&world, release, |file| {
        let more: String = ["stage", "uat", "perf"].iter().map(|name| auto_environment(name)).collect();
        file.replacen("\n[forge]\n", &format!("{more}\n[forge]\n"), 1)
    });
    forge.set_chaos(Some(Chaos { percent: 30, seed: 0x5EED }));
    let patience = [
        ("GITHUB_TOKEN", TOKEN),
        ("GIT_RELEASE_HTTP_TIMEOUT", "1"),
        ("GIT_RELEASE_HTTP_BACKOFF_MS", "20"),
        ("GIT_RELEASE_HTTP_TRIES", "3"),
    ];
    // Rounds in one process that survive failed calls, then two processes at once, then qa moves.
    let watch = world.release_with(release, &["reconcile", "--watch", "1s", "--rounds", "3"], &patience);
    assert!(watch.to_string().contains("prod:"), "{watch}");
    deploy_qa(&world, &repos, "Third feature", 30);
    let children: Vec<_> = (0..2)
        .map(|_| {
            let mut command = world.release_command(release, &["reconcile", "--watch", "1s", "--rounds", "3"]);
            command.envs(patience);
            command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
            command.spawn().expect("git-release starts")
        })
        .collect();
    for child in children {
        child.wait_with_output().expect("git-release ends");
    }
    let faults = forge.requests().len();
    forge.set_chaos(None);
    let settled = reconcile(&world, release, &forge, &[]);
    let open = forge.open_pulls();
    for env in ["prod", "stage", "uat", "perf"] {
        let into: Vec<_> = open.iter().filter(|p| p.target == format!("environment/{env}")).collect();
        assert_eq!(into.len(), 1, "{env}: {into:?}\n{settled}");
        assert!(into[0].body.contains("tag = \"v1.4.0-rc.3\""), "{env}: {}", into[0].body);
    }
    assert!(faults > 40, "the chaos saw {faults} requests");
    let before = writes(&forge);
    reconcile(&world, release, &forge, &[]);
    assert_eq!(writes(&forge), before, "converged: nothing left to write");
}

/// The scale figure: 200 auto-promoted environments, 20 ms per forge request. What the forge's
/// latency costs is held against the floor that eight overlapping calls allow, measured in the
/// same run beside the tool's own work (the same rerun with no latency), so that a busy or a
/// slow machine moves both sides alike.
#[test]
fn two_hundred_environments_reconcile_with_the_forges_latency_overlapped() {
    let world = World::new();
    let forge = FakeForge::github(Some(TOKEN));
    let repos = auto_promoted(&world, &forge, "");
    let release = &repos.release;
    edit_release_file(&world, release, |file| {
        let more: String = (0..199).map(|n| auto_environment(&format!("p{n:03}"))).collect();
        file.replacen("\n[forge]\n", &format!("{more}\n[forge]\n"), 1)
    });
    let latency = Duration::from_millis(20);
    let timed = |latency: Duration| {
        forge.set_latency(latency);
        let (requests, started) = (forge.requests().len(), Instant::now());
        world.release_with(release, &["reconcile", "--json"], &[("GITHUB_TOKEN", TOKEN)]).expect_status(0);
        (started.elapsed(), forge.requests().len() - requests)
    };
    let (first, requests) = timed(latency);
    assert_eq!(forge.open_pulls().len(), 200);
    let before = writes(&forge);
    let listed_before = forge.requests().len();
    let (again, asked) = timed(latency);
    assert_eq!(writes(&forge), before, "an unchanged rerun writes nothing");
    // The open pull requests are listed once for the repository, page by page, not once for
    // each of the 200 environments.
    let lists: Vec<String> = forge.requests()[listed_before..]
        .iter()
        .map(|(line, _)| line.clone())
        .filter(|line| line.starts_with("GET ") && line.contains("/pulls?") && line.contains("state=open"))
        .collect();
    assert!(!lists.is_empty() && lists.len() <= 3 && lists.iter().all(|l| !l.contains("base=")), "{lists:#?}");
    let (own, _) = timed(Duration::ZERO);
    let serial = |requests: usize| latency * u32::try_from(requests).expect("a count");
    let figures = format!(
        "reconcile of 200 environments at {latency:?} a request: first {first:?} ({requests} requests, {:?} of \
         latency one after another), unchanged rerun {again:?} ({asked} requests, {:?}), the same rerun without \
         latency {own:?}",
        serial(requests),
        serial(asked)
    );
    std::io::Write::write_all(&mut std::io::stderr(), format!("{figures}\n").as_bytes()).expect("stderr");
    // The same work with and without latency: one after another, the rerun would take `serial`
    // longer; eight at once, an eighth. Half leaves room for a busy machine and none for no
    // overlap at all.
    assert!(again < own + serial(asked) / 2, "the forge's latency is not overlapped: {figures}");
    // The first run writes too (200 pull requests), which the rerun does not: twice its own work.
    assert!(first < own * 2 + serial(requests) / 2, "the forge's latency is not overlapped: {figures}");
}

/// An outsider's fork opens what looks like the promotion: the environment's branch name and a
/// copy of the promotion's body, once open and once closed by hand (which would hold a version
/// back). Neither is adopted, updated, closed or counted.
#[test]
fn pull_requests_from_forks_named_like_the_promotion_are_neither_adopted_nor_held() {
    for dialect in Dialect::ALL {
        let world = World::new();
        let forge = FakeForge::new(dialect, Some(TOKEN));
        let repos = auto_promoted(&world, &forge, "");
        let release = &repos.release;
        reconcile(&world, release, &forge, &[]);
        let copied = forge.open_pulls()[0].clone();

        let fresh = FakeForge::new(dialect, Some(TOKEN));
        point_at(&world, release, dialect.kind(), &fresh.api());
        {
            let mut state = fresh.state.lock().expect("state");
            for (number, open) in [(1, true), (2, false)] {
                state.pulls.push(crate::fake_forge::Pull {
                    number,
                    open,
                    head: crate::fake_forge::Head::Fork,
                    version: 0,
                    ..copied.clone()
                });
            }
        }
        let run = reconcile(&world, release, &fresh, &[]);
        assert_eq!(actions(&run), ["create #3"], "{dialect:?}: {run}");
        let pulls = fresh.pulls();
        let fork = pulls.iter().find(|p| p.number == 1).expect("the fork's");
        assert!(
            fork.open && fork.body == copied.body && fork.title == copied.title,
            "{dialect:?}: the fork's was left alone"
        );
        assert_eq!(fresh.open_pulls().iter().map(|p| p.number).collect::<Vec<_>>(), [1, 3], "{dialect:?}");
    }
}
