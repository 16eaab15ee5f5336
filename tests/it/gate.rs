//! `git release gate`: the merge gate from flags and from CI variables, in both layouts.

use crate::deploy::{TwoRepos, path};
use crate::harness::World;
use crate::reconcile::edit_release_file;

/// A release repository whose qa has cut `v1.0.0-rc.1` but recorded no deployment yet.
pub fn prepared_qa(world: &World) -> TwoRepos {
    let repos = TwoRepos::new(world);
    world.release(&repos.release, &["set", "qa", "1.0.0", "--push"]).expect_status(0);
    world.release(&repos.release, &["prepare", "qa"]).expect_status(0);
    repos
}

#[test]
fn prod_opens_only_to_what_qa_deployed() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    // The release file names the application's temporary path, so the head commit differs per run.
    let head = world.git(release, &["rev-parse", "--short", "environment/qa"]).trim().to_owned();
    let refused = world.release(release, &["gate", "--target", "prod"]);
    insta::assert_snapshot!(refused.to_string().replace(&head, "<head>"));
    refused.expect_status(1);

    world.release(release, &["record", "qa"]).expect_status(0);
    let allowed = world.release(release, &["gate", "--target", "environment/prod"]);
    insta::assert_snapshot!(allowed.to_string().replace(&head, "<head>"));
    allowed.expect_status(0);
}

#[test]
fn the_json_verdict_names_target_source_head_and_every_finding() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    let head = world.git(release, &["rev-parse", "environment/qa"]).trim().to_owned();
    let rc = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    let gate = world.release(release, &["gate", "--target", "prod", "--json"]);
    gate.expect_status(0);
    let json = gate.json();
    assert_eq!(json["allowed"], true);
    assert_eq!(json["target"], serde_json::json!({"environment": "prod", "branch": "environment/prod"}));
    assert_eq!(json["source"], "environment/qa");
    assert_eq!(json["head"], head.as_str());
    assert_eq!(json["deploys"], rc.as_str());
    let checks: Vec<&str> =
        json["findings"].as_array().expect("findings").iter().map(|f| f["check"].as_str().expect("check")).collect();
    assert_eq!(
        checks,
        [
            "promotion-path",
            "release-file",
            "release-settings",
            "version-valid",
            "release-candidate",
            "previous-deployed",
            "previous-current"
        ]
    );
    for finding in json["findings"].as_array().expect("findings") {
        assert_eq!(finding["ok"], true, "{finding}");
        assert!(finding["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(finding["hint"].is_null());
    }
}

#[test]
fn status_shows_each_promotion_as_gate_judges_it() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    // prod also wants a greater version than its last: status asks the records about prod itself.
    edit_release_file(&world, release, |file| {
        file.replace("restricted = true", "restricted = true\nrequire-bump = true")
    });
    for recorded in [false, true] {
        if recorded {
            world.release(release, &["record", "qa"]).expect_status(0);
        }
        let gate = world.release(release, &["gate", "--target", "prod", "--json"]);
        gate.expect_status(i32::from(!recorded));
        let status = world.release(release, &["status", "--json"]);
        status.expect_status(0);
        let environments = status.json()["environments"].clone();
        assert_eq!(environments[2]["gate"], gate.json(), "status and gate judge prod alike");
        assert_eq!(environments[0]["gate"], serde_json::Value::Null, "nothing is promoted into dev");
        let bumped =
            gate.json()["findings"].as_array().expect("findings").iter().any(|f| f["check"] == "version-bumped");
        assert!(bumped, "{gate}");
        let shown = world.release(release, &["status"]);
        let prod = shown.stdout.lines().find(|l| l.starts_with("prod")).expect("a prod row").to_owned();
        if recorded {
            assert!(prod.ends_with(" allowed"), "{shown}");
        } else {
            assert!(prod.ends_with(" refused: previous-deployed"), "{shown}");
            shown.expect_stderr("hint: see why a promotion into prod is refused: git release gate --target prod");
        }
    }
}

#[test]
fn a_promotion_that_skips_an_environment_is_refused() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    let gate = world.release(release, &["gate", "--target", "prod", "--source", "environment/dev", "--json"]);
    gate.expect_status(1);
    let json = gate.json();
    assert_eq!(json["allowed"], false);
    let path = &json["findings"][0];
    assert_eq!(path["check"], "promotion-path");
    assert_eq!(path["ok"], false);
    assert_eq!(
        path["message"],
        "prod comes after qa, so changes enter it from environment/qa only; environment/dev is the branch of dev"
    );
}

#[test]
fn gate_ci_reads_github_actions_as_the_flags_say() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    let head = world.git(release, &["rev-parse", "environment/qa"]).trim().to_owned();
    let event = world.path("event.json");
    let body = format!(
        r#"{{"action":"synchronize","pull_request":{{"number":7,"head":{{"sha":"{head}","ref":"environment/qa"}},"base":{{"ref":"environment/prod"}}}}}}"#
    );
    std::fs::write(&event, body).expect("event file");
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_BASE_REF", "environment/prod"),
        ("GITHUB_HEAD_REF", "environment/qa"),
        ("GITHUB_EVENT_PATH", path(&event)),
    ];
    let flags = ["gate", "--target", "environment/prod", "--source", "environment/qa", "--head", &head, "--json"];
    for recorded in [false, true] {
        if recorded {
            world.release(release, &["record", "qa"]).expect_status(0);
        }
        let by_ci = world.release_with(release, &["gate", "--ci", "--json"], &github);
        let by_flags = world.release(release, &flags);
        assert_eq!(by_ci.status, by_flags.status, "{by_ci}\n{by_flags}");
        assert_eq!(by_ci.json(), by_flags.json());
        assert_eq!(by_ci.status, i32::from(!recorded));
    }
}

#[test]
fn gate_ci_refuses_an_unknown_ci_and_a_push_pipeline() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let unknown = world.release(&repos.release, &["gate", "--ci"]);
    unknown
        .expect_status(2)
        .expect_stderr("--ci found no CI system it knows")
        .expect_stderr("hint: pass the change as flags");
    let push =
        world.release_with(&repos.release, &["gate", "--ci"], &[("GITLAB_CI", "true"), ("CI_COMMIT_SHA", "abc")]);
    push.expect_status(2).expect_stderr(
        "GitLab CI does not say which pull request this is: CI_MERGE_REQUEST_TARGET_BRANCH_NAME is not set",
    );
}

#[test]
fn an_unknown_target_is_a_usage_error() {
    let world = World::new();
    let repos = TwoRepos::new(&world);
    let gate = world.release(&repos.release, &["gate", "--target", "staging"]);
    gate.expect_status(2)
        .expect_stderr("no environment is named `staging` or has it as its branch")
        .expect_stderr("hint: environments: dev, qa, prod");
}

/// The one-repository layout with qa's head deployed and recorded (at 10:15:00): the
/// repository and that head.
/// Found by an independent pass: a pipeline that sets `GIT_RELEASE_PIPELINE_URL` for all its
/// steps (for `record`) broke every plain `gate`, which took the variable for `--pipeline-url`
/// and asked for `--report`.
#[test]
fn the_pipeline_url_variable_leaves_a_plain_gate_alone_and_the_flag_asks_for_report() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let url = ("GIT_RELEASE_PIPELINE_URL", "https://ci.example.com/runs/7");
    world.release_with(&repos.release, &["gate", "--target", "prod"], &[url]).expect_status(1);
    world.release(&repos.release, &["record", "qa"]).expect_status(0);
    world.release_with(&repos.release, &["gate", "--target", "prod"], &[url]).expect_status(0);
    world
        .release(&repos.release, &["gate", "--target", "prod", "--pipeline-url", "https://ci.example.com/runs/8"])
        .expect_status(2)
        .expect_stderr("error: --pipeline-url names the page the gate's status links to, and --report is not given")
        .expect_stderr("hint: add --report");
    // Found by the same pass: a source that is no branch name failed as a git error (128).
    world
        .release(&repos.release, &["gate", "--target", "prod", "--source", "a..b"])
        .expect_status(2)
        .expect_stderr("`a..b` is not a branch name")
        .expect_stderr("hint: name the change's branch as git does");
}

fn qa_recorded_in_one_repository(world: &World) -> (std::path::PathBuf, String) {
    let (repo, _remote) = crate::deploy::one_repo(world);
    world.git(&repo, &["checkout", "-q", "qa"]);
    world.git(&repo, &["commit", "-q", "--allow-empty", "-m", "Ready for qa"]);
    world.git(&repo, &["push", "-q", "origin", "qa"]);
    let qa = world.git(&repo, &["rev-parse", "qa"]).trim().to_owned();
    world.release(&repo, &["prepare", "qa"]).expect_status(0);
    world.release(&repo, &["record", "qa"]).expect_status(0).expect_stdout("record_tag=1.2.0.20261121T101500Z.qa\n");
    (repo, qa)
}

/// Rewrites packed-refs with `extra` lines added (`(name, target, peeled)`), sorted as git
/// keeps it, without asking git: the targets may be objects the repository does not have.
fn pack_look_alikes(world: &World, repo: &std::path::Path, extra: &[(String, String, Option<String>)]) {
    world.git(repo, &["pack-refs", "--all"]);
    let file = repo.join(".git/packed-refs");
    let text = std::fs::read_to_string(&file).expect("packed-refs is readable");
    let mut entries: Vec<(String, String, Option<String>)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(peeled) = line.strip_prefix('^') {
            entries.last_mut().expect("a peeled line follows its reference").2 = Some(peeled.to_owned());
        } else {
            let (id, name) = line.split_once(' ').expect("`<id> <name>`");
            entries.push((name.to_owned(), id.to_owned(), None));
        }
    }
    entries.extend(extra.iter().cloned());
    entries.sort();
    let mut packed = "# pack-refs with: peeled fully-peeled sorted \n".to_owned();
    for (name, id, peeled) in entries {
        packed.push_str(&format!("{id} {name}\n"));
        if let Some(peeled) = peeled {
            packed.push_str(&format!("^{peeled}\n"));
        }
    }
    std::fs::write(&file, packed).expect("packed-refs is written");
}

/// Seen on a repository with a million tags named like records: the gate read every
/// lightweight one, newest first, to find it was no record (27 s). Lightweight tags, and names
/// of a second that never was, are now passed over by name: here their objects do not even
/// exist, so a read of any of them would fail the command.
#[test]
fn look_alike_tags_are_passed_over_by_name_without_reading_them() {
    let world = World::new();
    let (repo, qa) = qa_recorded_in_one_repository(&world);

    let missing = |n: u32| format!("{n:040x}");
    let mut look_alikes = Vec::new();
    for second in 1..60 {
        // Lightweight, a second newer than the record, on nothing this repository holds.
        look_alikes.push((format!("refs/tags/1.2.0.20261121T1015{second:02}Z.qa"), missing(second), None));
    }
    for never in ["20261321T101500Z", "20261121T246000Z", "20261131T101500Z"] {
        // Annotated as far as packed-refs says, dated a second that never was.
        look_alikes.push((format!("refs/tags/1.2.0.{never}.qa"), missing(99), Some(missing(98))));
    }
    pack_look_alikes(&world, &repo, &look_alikes);

    let gate = ["--offline", "gate", "--target", "stage", "--source", "qa", "--head", &qa];
    world.release(&repo, &gate).expect_status(0).expect_stdout("qa deployed");
    let log = world.release(&repo, &["--offline", "log", "qa"]);
    log.expect_status(0).expect_stdout("1.2.0.20261121T101500Z.qa");
    assert_eq!(log.stdout.matches(".qa").count(), 1, "one record, no look-alike:\n{log}");
    let status = world.release(&repo, &["--offline", "status", "--json"]);
    assert_eq!(status.expect_status(0).json()["environments"][1]["deployed"]["tag"], "1.2.0.20261121T101500Z.qa");
}

/// Seen: a 200 MiB tag named like a record cost 830 MiB in every gate and hook, read whole to
/// find it was none. A tag object over a mebibyte is now read no further than its header: this
/// one's header says 2 MiB and the rest of it is cut off, so reading it whole would fail.
#[test]
fn an_oversized_tag_is_read_no_further_than_its_header() {
    let world = World::new();
    let (repo, qa) = qa_recorded_in_one_repository(&world);

    // A loose object: zlib's header, then one stored block of the object's first bytes, and no
    // more. Its name is a minute newer than the record, and packed-refs peels it to qa's head.
    let name = "1.2.0.20261121T101600Z.qa";
    let start = format!("tag {}\0object {qa}\ntype commit\ntag {name}\n", 2 << 20);
    let mut stream = vec![0x78, 0x01, 0x00];
    let length = u16::try_from(start.len()).expect("short");
    stream.extend(length.to_le_bytes());
    stream.extend((!length).to_le_bytes());
    stream.extend(start.as_bytes());
    let id = "ab".repeat(20);
    let folder = repo.join(".git/objects").join(&id[..2]);
    std::fs::create_dir_all(&folder).expect("a folder");
    std::fs::write(folder.join(&id[2..]), stream).expect("written");
    pack_look_alikes(&world, &repo, &[(format!("refs/tags/{name}"), id, Some(qa.clone()))]);

    let gate = ["--offline", "gate", "--target", "stage", "--source", "qa", "--head", &qa];
    world.release(&repo, &gate).expect_status(0).expect_stdout("qa deployed");
    let log = world.release(&repo, &["--offline", "log", "qa"]);
    log.expect_status(0).expect_stdout("1.2.0.20261121T101500Z.qa");
    assert!(!log.stdout.contains(name), "{log}");
}

/// Found by an independent pass: with `release.configRef` set, a checkout whose release file is
/// broken (a pull request's, in CI) took every command down with a configuration error, where
/// the gate should judge it by the named file and refuse it on `release-file`.
#[test]
fn a_broken_release_file_checked_out_is_judged_not_fatal_where_config_ref_is_set() {
    let world = World::new();
    let repos = prepared_qa(&world);
    let release = &repos.release;
    world.release(release, &["record", "qa"]).expect_status(0);
    world.git(release, &["checkout", "-q", "environment/qa"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("the file");
    std::fs::write(release.join("release.toml"), file.replace("after = \"qa\"", "after = [\"qa\", \"qa-typo\"]"))
        .expect("written");
    world.git(release, &["commit", "-q", "-am", "A broken release file"]);
    let head = world.git(release, &["rev-parse", "HEAD"]).trim().to_owned();
    let gate = world.release(release, &["gate", "--target", "prod", "--source", "environment/qa", "--head", &head]);
    gate.expect_status(1)
        .expect_stdout("FAIL  release-file")
        .expect_stdout("after lists \"qa-typo\", which names no environment");
    world.release(release, &["status"]).expect_status(0);
    world.release(release, &["log"]).expect_status(0);
}
