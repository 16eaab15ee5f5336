//! The one clock: `GIT_COMMITTER_DATE`, read as git reads it, else the system's. Every date a
//! deployment writes comes from it, and a date git cannot read is refused before anything changes.

use jiff::Timestamp;

use crate::deploy::{TwoRepos, value};
use crate::harness::World;

/// `<tagger date> <tag name>` of a tag on the application's remote, and its Deployed-At trailer.
fn tag_dates(world: &World, repos: &TwoRepos, tag: &str) -> (String, String) {
    let line = world.git(&repos.app_remote, &["tag", "-l", "--format=%(taggerdate:raw)", tag]);
    let message = world.git(&repos.app_remote, &["tag", "-l", "--format=%(contents)", tag]);
    let at = message.lines().find_map(|l| l.strip_prefix("Deployed-At: ")).unwrap_or_default().to_owned();
    (line.trim().to_owned(), at)
}

/// The two-repository layout with qa's branch asking for `version`.
fn qa_asks_for(world: &World, version: &str) -> TwoRepos {
    let repos = TwoRepos::new(world);
    world.release(&repos.release, &["set", "qa", version, "--push"]).expect_status(0);
    repos
}

/// As [`qa_asks_for`] 1.0.0, with its rc cut by `prepare`.
fn qa_prepared(world: &World) -> TwoRepos {
    let repos = qa_asks_for(world, "1.0.0");
    world.release(&repos.release, &["prepare", "qa"]).expect_status(0);
    repos
}

#[test]
fn one_date_moves_every_date_a_deployment_writes() {
    let world = World::new();
    let repos = qa_asks_for(&world, "1.0.0");
    let release = &repos.release;
    // 2031-05-04T12:00:00Z, in git's own form, told in another offset.
    let moment = [("GIT_COMMITTER_DATE", "@1935662400 +0200")];
    world.release_with(release, &["prepare", "qa"], &moment).expect_status(0);
    let recorded = world.release_with(release, &["record", "qa", "--json"], &moment);
    let tag = recorded.expect_status(0).json()["tag"].as_str().expect("a record name").to_owned();

    assert_eq!(tag, "1.0.0.20310504T120000Z.qa");
    assert_eq!(tag_dates(&world, &repos, &tag), ("1935662400 +0200".to_owned(), "2031-05-04T12:00:00Z".to_owned()));
    let rc = world.git(&repos.app_remote, &["tag", "-l", "--format=%(taggerdate:raw)", "v1.0.0-rc.1"]);
    assert_eq!(rc.trim(), "1935662400 +0200", "the rc tag is dated by the same clock");
}

#[test]
fn a_local_time_is_read_in_the_zone_git_reads_it_in() {
    let world = World::new();
    let repos = qa_prepared(&world);
    let release = &repos.release;
    let vars = [("GIT_COMMITTER_DATE", "2031-05-04 14:00:00"), ("TZ", "Europe/Berlin")];
    let recorded = world.release_with(release, &["record", "qa", "--json"], &vars);
    assert_eq!(recorded.expect_status(0).json()["tag"], "1.0.0.20310504T120000Z.qa", "14:00 in Berlin is 12:00 UTC");
}

#[test]
fn without_a_fixed_date_the_system_clock_decides_to_the_microsecond() {
    let world = World::new();
    let repos = qa_prepared(&world);
    let release = &repos.release;
    let args = ["record", "qa", "--json"];
    let before = Timestamp::from_microsecond(Timestamp::now().as_microsecond()).expect("in range");
    let output = world.release_command(release, &args).env_remove("GIT_COMMITTER_DATE").output().expect("runs");
    let after = Timestamp::now();
    let recorded = world.transcript(&args, &output);
    let tag = recorded.expect_status(0).json()["tag"].as_str().expect("a record name").to_owned();

    let (tagger, at) = tag_dates(&world, &repos, &tag);
    let at: Timestamp = at.parse().expect("Deployed-At is RFC 3339");
    assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
    assert_eq!(at.subsec_nanosecond() % 1000, 0, "kept to the microsecond: {at}");
    let named = at.strftime("%Y%m%dT%H%M%SZ").to_string();
    assert_eq!(tag, format!("1.0.0.{named}.qa"), "the name's second is Deployed-At's");
    assert_eq!(tagger.split(' ').next(), Some(at.as_second().to_string().as_str()), "the tagger's second too");
}

#[test]
fn a_date_git_cannot_read_is_refused_before_anything_changes() {
    let world = World::new();
    let repos = qa_asks_for(&world, "1.0.0");
    let release = &repos.release;
    let before = (world.state(release), world.state(&repos.app_remote));
    let bad = [("GIT_COMMITTER_DATE", "next tuesday")];
    for command in [&["prepare", "qa"][..], &["record", "qa"], &["reconcile", "--dry-run"]] {
        world
            .release_with(release, command, &bad)
            .expect_status(2)
            .expect_stderr("error: GIT_COMMITTER_DATE `next tuesday` is not a date git can read")
            .expect_stderr("caused by: fatal: invalid date format: next tuesday")
            .expect_stderr("hint: set GIT_COMMITTER_DATE to a time such as 2026-11-21T10:15:00Z");
    }
    assert_eq!((world.state(release), world.state(&repos.app_remote)), before, "nothing changed");
    let prepared = world.release(release, &["prepare", "qa"]);
    assert_eq!(value(&prepared.expect_status(0).stdout, "tag"), "v1.0.0-rc.1", "and the next run goes through");
}

/// What the independent pass found git reads differently from a plain string: bytes that are
/// not UTF-8, and blanks, which git refuses where an empty value means "unset".
#[test]
fn the_variable_is_read_as_git_reads_it_whatever_its_bytes() {
    use std::os::unix::ffi::OsStrExt as _;
    let world = World::new();
    let repos = qa_asks_for(&world, "1.0.0");
    let release = &repos.release;
    let odd = std::ffi::OsStr::from_bytes(b"2031-05-04T12:00:00Z\xff");
    let args = ["prepare", "qa"];
    let output = world.release_command(release, &args).env("GIT_COMMITTER_DATE", odd).output().expect("runs");
    world.transcript(&args, &output).expect_status(0);
    let rc = world.git(&repos.app_remote, &["tag", "-l", "--format=%(taggerdate:raw)", "v1.0.0-rc.1"]);
    assert_eq!(rc.trim(), "1935662400 +0000", "git reads the date before the odd byte, and so does the tool");

    let before = (world.state(release), world.state(&repos.app_remote));
    for blank in ["   ", "\t"] {
        world
            .release_with(release, &["record", "qa"], &[("GIT_COMMITTER_DATE", blank)])
            .expect_status(2)
            .expect_stderr("is not a date git can read")
            .expect_stderr("hint: set GIT_COMMITTER_DATE");
    }
    assert_eq!((world.state(release), world.state(&repos.app_remote)), before);
}

/// Every command that writes a commit or a tag, or decides by the time, refuses a clock it
/// cannot use before it changes anything, `--dry-run` included: a date git cannot read, one
/// past what a timestamp holds, and an offset git reads but cannot write into an object.
#[test]
fn every_command_that_writes_refuses_an_unusable_clock_first() {
    let world = World::new();
    let repos = qa_asks_for(&world, "1.0.0");
    let release = &repos.release;
    let fresh = world.empty_repo("fresh", false);
    let before = (world.state(release), world.state(&repos.release_remote), world.state(&repos.app_remote));
    let unusable = [
        ("garbage", "is not a date git can read", "fatal: invalid date format: garbage"),
        ("@253402300799 +0000", "lies outside the times git-release can keep", "253402300799 seconds since 1970"),
        ("@1795256100 +9999", "has an offset from UTC that git cannot write into a commit or tag", "+10039"),
    ];
    let commands: [&[&str]; 9] = [
        &["set", "qa", "1.1.0", "--push"],
        &["set", "qa", "1.1.0", "--dry-run"],
        &["bump", "qa", "minor"],
        &["prepare", "qa", "--dry-run"],
        &["record", "qa", "--at", "2026-11-21T10:00:00Z"],
        &["promote", "qa", "prod", "--dry-run"],
        &["reconcile", "--dry-run"],
        &["preview", "create", "try", "owner/repo@0123456789abcdef0123456789abcdef01234567"],
        &["demo", "--dir", "demo-sandbox"],
    ];
    for (value, message, cause) in unusable {
        for command in commands {
            world
                .release_with(release, command, &[("GIT_COMMITTER_DATE", value)])
                .expect_status(2)
                .expect_stderr(&format!("error: GIT_COMMITTER_DATE `{value}` {message}"))
                .expect_stderr(cause)
                .expect_stderr("hint: set GIT_COMMITTER_DATE to a time such as");
        }
        world.release_with(&fresh, &["init"], &[("GIT_COMMITTER_DATE", value)]).expect_status(2);
    }
    let after = (world.state(release), world.state(&repos.release_remote), world.state(&repos.app_remote));
    assert_eq!(after, before, "nothing changed");
    assert!(!world.path("release/demo-sandbox").exists(), "the demo built no sandbox");
    assert_eq!(world.git(&fresh, &["for-each-ref"]), "", "init wrote no branch");
    world.release(release, &["status"]).expect_status(0);
    world.release_with(release, &["status"], &[("GIT_COMMITTER_DATE", "garbage")]).expect_status(0);
}

#[test]
fn a_deployment_cannot_be_recorded_as_happening_in_the_future() {
    let world = World::new();
    let repos = qa_prepared(&world);
    let release = &repos.release;
    let before = (world.state(release), world.state(&repos.app_remote));
    // The clock reads 2026-11-21T10:15:00Z (the harness's moment).
    world
        .release(release, &["record", "qa", "--at", "2099-01-01T00:00:00Z"])
        .expect_status(2)
        .expect_stderr("error: --at `2099-01-01T00:00:00Z` is in the future")
        .expect_stderr("caused by: it is 2026-11-21T10:15:00Z now")
        .expect_stderr("hint: record a deployment when it has happened");
    world.release(release, &["record", "qa", "--at", "2026-11-21T10:20:01Z"]).expect_status(2);
    assert_eq!((world.state(release), world.state(&repos.app_remote)), before, "nothing changed");
    let skewed = world.release(release, &["record", "qa", "--at", "2026-11-21T10:20:00Z", "--json"]);
    assert_eq!(skewed.expect_status(0).json()["tag"], "1.0.0.20261121T102000Z.qa", "five minutes of skew pass");
}

/// libfaketime's library, which `./test.sh` installs.
fn faketime_library() -> String {
    let listed = std::process::Command::new("dpkg").args(["-L", "libfaketime"]).output().expect("dpkg runs");
    String::from_utf8_lossy(&listed.stdout)
        .lines()
        .find(|line| line.ends_with("/libfaketime.so.1"))
        .unwrap_or_else(|| panic!("libfaketime is not installed: run ./test.sh, which installs it"))
        .to_owned()
}

/// Git cannot date what it writes by the system's own offset before 1970 or from 2100 on: with
/// the system clock there, and no `GIT_COMMITTER_DATE`, a command refuses before anything changes;
/// the same moment told with its offset goes through. Found by the independent pass.
#[test]
fn a_system_clock_outside_the_years_git_can_date_by_is_refused() {
    let world = World::new();
    let repos = qa_asks_for(&world, "1.0.0");
    let release = &repos.release;
    let before = (world.state(release), world.state(&repos.release_remote));
    let library = faketime_library();
    let at_system = |moment: &str, args: &[&str]| {
        let mut command = world.release_command(release, args);
        command.env_remove("GIT_COMMITTER_DATE").env("LD_PRELOAD", &library).env("FAKETIME", moment);
        world.transcript(args, &command.output().expect("runs"))
    };
    for (moment, shown) in
        [("@2100-06-01 00:00:00", "2100-06-01T00:00:00Z"), ("@1969-06-01 00:00:00", "1969-06-01T00:00:00Z")]
    {
        at_system(moment, &["set", "qa", "1.1.0", "--push"])
            .expect_status(2)
            .expect_stderr(&format!(
                "error: the system clock reads {shown}, which is outside the years git can date commits and tags by"
            ))
            .expect_stderr("hint: set the system clock right, or set GIT_COMMITTER_DATE");
        at_system(moment, &["status"]).expect_status(0);
    }
    assert_eq!((world.state(release), world.state(&repos.release_remote)), before, "nothing changed");

    let mut told = world.release_command(release, &["set", "qa", "1.1.0", "--push"]);
    told.env("LD_PRELOAD", &library)
        .env("FAKETIME", "@2100-06-01 00:00:00")
        .env("GIT_COMMITTER_DATE", "@4115491200 +0000");
    world.transcript(&["set"], &told.output().expect("runs")).expect_status(0);
    world.git(&repos.release_remote, &["fsck", "--strict"]);
}

/// The author's date of the commits git-release writes is git's to take from `GIT_AUTHOR_DATE`;
/// one git would refuse half-way is refused first. The value shows without the control
/// characters a terminal would obey. Found by the independent pass.
#[test]
fn a_bad_author_date_is_refused_first_and_shown_harmless() {
    let world = World::new();
    let repos = qa_asks_for(&world, "1.0.0");
    let release = &repos.release;
    let before = (world.state(release), world.state(&repos.release_remote));
    world
        .release_with(release, &["set", "qa", "1.1.0", "--push"], &[("GIT_AUTHOR_DATE", "garbage")])
        .expect_status(2)
        .expect_stderr("error: GIT_AUTHOR_DATE `garbage` is not a date git can read")
        .expect_stderr("hint: set GIT_AUTHOR_DATE to a time such as");
    let escaped = world.release_with(release, &["bump", "qa", "minor"], &[("GIT_COMMITTER_DATE", "x\u{1b}[31mRED\r")]);
    escaped.expect_status(2).expect_stderr("error: GIT_COMMITTER_DATE `x?[31mRED?` is not a date git can read");
    assert!(!escaped.stderr.contains('\u{1b}'), "{escaped}");
    assert_eq!((world.state(release), world.state(&repos.release_remote)), before, "nothing changed");
    world.release(release, &["prepare", "qa"]).expect_status(0);
    world
        .release(release, &["record", "qa", "--at", "1969-12-31T23:59:59Z"])
        .expect_status(2)
        .expect_stderr("error: --at `1969-12-31T23:59:59Z` is before 1970");
}
