//! `git release metrics`: the DORA keys of a history whose commit and record times the test
//! states, against the numbers worked out by hand.

use crate::deploy::TwoRepos;
use crate::harness::World;

pub const LATER: &str = "2026-11-21T13:00:00Z";

/// qa deploys the first commit at 11:00 and the second (committed at 11:30) at 12:30, then rolls
/// back to the first at 12:40; every command runs at `LATER`. Returns the repositories and the
/// first commit's committer time.
pub fn known_history(world: &World) -> (TwoRepos, i64) {
    let repos = TwoRepos::new(world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_with(release, args, &[("GIT_COMMITTER_DATE", LATER)]);
    let first_commit: i64 =
        world.git(&repos.app, &["log", "-1", "--format=%ct"]).trim().parse().expect("a committer time");
    at(&["set", "qa", "1.0.0", "--push"]).expect_status(0);
    at(&["prepare", "qa"]).expect_status(0);
    at(&["record", "qa", "--at", "2026-11-21T11:00:00Z"]).expect_status(0);
    // The second commit, at 11:30, deployed first at 12:30: a lead time of one hour.
    world
        .command("git", &repos.app)
        .args(["commit", "-q", "--allow-empty", "-m", "Second feature"])
        .env("GIT_COMMITTER_DATE", "2026-11-21T11:30:00Z")
        .status()
        .expect("git commits");
    world.git(&repos.app, &["push", "-q", "origin", "main"]);
    at(&["prepare", "qa"]).expect_status(0);
    at(&["record", "qa", "--at", "2026-11-21T12:30:00Z"]).expect_status(0);
    // Rolled back ten minutes later: that deployment failed, and qa was restored in 10 minutes.
    at(&["rollback", "qa", "--push"]).expect_status(0);
    at(&["prepare", "qa"]).expect_status(0);
    at(&["record", "qa", "--at", "2026-11-21T12:40:00Z"]).expect_status(0);
    (repos, first_commit)
}

#[test]
fn metrics_of_a_known_history_with_one_rollback() {
    let world = World::new();
    let (repos, first_commit) = known_history(&world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_with(release, args, &[("GIT_COMMITTER_DATE", LATER)]);

    let run = at(&["metrics", "qa", "--since", "2026-11-21", "--until", "2026-11-22", "--json"]);
    run.expect_status(0);
    let json = run.json();
    let qa = &json["environments"][0];
    assert_eq!(json["since"], "2026-11-21T00:00:00Z");
    assert_eq!(json["fix_window_seconds"], 3_600);
    assert_eq!(qa["environment"], "qa");
    assert_eq!(qa["deployments"], 3, "{json}");
    assert_eq!(qa["deployments_per_day"], 3.0);
    // Lead times: 11:00 less the first commit's time, and one hour; nearest-rank median and p90.
    let first = "2026-11-21T11:00:00Z".parse::<jiff::Timestamp>().expect("a moment").as_second() - first_commit;
    let (low, high) = (first.min(3_600), first.max(3_600));
    assert_eq!(qa["lead_time"]["count"], 2, "{json}");
    assert_eq!(qa["lead_time"]["median_seconds"], low, "{json}");
    assert_eq!(qa["lead_time"]["p90_seconds"], high, "{json}");
    assert_eq!(qa["failed"], 1, "{json}");
    assert!((qa["change_failure_rate"].as_f64().expect("a rate") - 1.0 / 3.0).abs() < 1e-9, "{json}");
    assert_eq!(qa["time_to_restore"]["median_seconds"], 600, "{json}");

    // The same as OpenMetrics text, which ends as the format asks.
    let text = at(&["metrics", "qa", "--since", "2026-11-21", "--until", "2026-11-22", "--openmetrics"]);
    text.expect_status(0)
        .expect_stdout("git_release_deployments{environment=\"qa\"} 3\n")
        .expect_stdout("git_release_time_to_restore_seconds{environment=\"qa\",percentile=\"50\"} 600\n")
        .expect_stdout("# UNIT git_release_lead_time_seconds seconds\n");
    assert!(text.stdout.ends_with("# EOF\n"), "{text}");
    // Read by the Prometheus client's own parsers: the strict OpenMetrics one, and the text
    // format's, which a textfile collector uses.
    let python = crate::templates::ci_tool("venv/bin/python");
    for parser in ["prometheus_client.openmetrics.parser", "prometheus_client.parser"] {
        let script = format!(
            "import sys, {parser} as p\nfamilies = list(p.text_string_to_metric_families(sys.stdin.read()))\n\
             print(sorted((s.name, s.labels.get('percentile', ''), s.value) for f in families for s in f.samples))"
        );
        let mut child = std::process::Command::new(&python)
            .args(["-c", &script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), text.stdout.as_bytes()).expect("written");
        let read = child.wait_with_output().expect("it ends");
        let said = String::from_utf8_lossy(&read.stdout);
        assert!(read.status.success(), "{parser}: {}", String::from_utf8_lossy(&read.stderr));
        assert!(said.contains("('git_release_deployments', '', 3"), "{parser}: {said}");
        assert!(said.contains("('git_release_time_to_restore_seconds', '50', 600"), "{parser}: {said}");
    }
    // And as a table for people.
    at(&["metrics", "--since", "2026-11-21", "--until", "2026-11-22"])
        .expect_status(0)
        .expect_stdout("from 2026-11-21T00:00:00Z to 2026-11-22T00:00:00Z (fix window 1.0h)")
        .expect_stdout("33% (1 of 3)");
}

#[test]
fn a_period_the_flags_do_not_describe_is_a_usage_error() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    world
        .release(&repos.release, &["metrics", "--since", "yesterday"])
        .expect_status(2)
        .expect_stderr("error: `yesterday` is not a moment")
        .expect_stderr("hint: give a date (2026-11-01) or a moment");
    world
        .release(&repos.release, &["metrics", "--since", "2026-11-22", "--until", "2026-11-21"])
        .expect_status(2)
        .expect_stderr("is not before --until");
}

#[test]
fn a_moment_with_an_offset_is_that_moment_and_one_without_is_refused() {
    let world = World::new();
    let (repos, _) = known_history(&world);
    let at = |args: &[&str]| world.release_with(&repos.release, args, &[("GIT_COMMITTER_DATE", LATER)]);
    let deployments = |since: &str| {
        let run = at(&["metrics", "qa", "--since", since, "--until", "2026-11-22", "--json"]);
        run.expect_status(0);
        run.json()["environments"][0]["deployments"].as_u64().expect("a count")
    };
    // Found by an independent pass: any moment whose offset was not `Z` was read as midnight.
    assert_eq!(deployments("2026-11-21T11:30:00+00:00"), 2, "12:30 and 12:40");
    assert_eq!(deployments("2026-11-21T13:35:00+01:00"), 1, "12:35Z: only 12:40");
    assert_eq!(deployments("2026-11-21"), 3);
    at(&["metrics", "--since", "2026-11-21T10:00:00"])
        .expect_status(2)
        .expect_stderr("give a date, or a moment with its offset");
}
