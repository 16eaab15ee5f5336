//! `git release report`: the page of a known history, rendered by a real browser (Debian's
//! `chromium`, installed by `./test.sh`), headless. Every request the page makes leaves through a
//! proxy on loopback that counts it, and the browser's log is read for console messages: the page
//! must make none of either, and its environment table must say what `status --json` says.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::harness::World;
use crate::metrics::{LATER, known_history};

/// What a headless Chromium made of a page.
struct Rendered {
    /// The document as the browser built it.
    dom: String,
    /// The browser's own log, where console messages go.
    log: String,
    /// The first line of every request that reached the proxy.
    requests: Vec<String>,
}

fn chromium() -> PathBuf {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().map(PathBuf::from).find(|p| p.is_file());
    found.expect("chromium is not installed: run ./test.sh, which installs Debian's chromium package")
}

/// Renders `page` (a file) in headless Chromium with every request sent to a counting proxy.
fn render(world: &World, page: &Path) -> Rendered {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = proxy.local_addr().expect("an address").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let shared = seen.clone();
    std::thread::spawn(move || {
        for stream in proxy.incoming().flatten() {
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
            let _ = reader.read_line(&mut line);
            shared.lock().expect("requests").push(line.trim_end().to_owned());
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let profile = world.path(&format!("chromium-{port}"));
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--no-pings",
            "--disable-features=OptimizationHints,OptimizationHintsFetching,OptimizationGuideModelDownloading,\
             OptimizationTargetPrediction,NetworkTimeServiceQuerying,MediaRouter,Translate",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
        // Even loopback goes through the proxy: nothing leaves the file unseen.
        .arg("--proxy-bypass-list=<-loopback>")
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .env("HOME", world.path("chromium-home"))
        // The page holds no clock and runs no script: under the run with the clock moved ten
        // years ahead, Chromium itself (its certificates, its updater) takes a minute a page to
        // give up on a world that old, and tells nothing of the page.
        .env_remove("LD_PRELOAD")
        .env_remove("FAKETIME")
        .output()
        .expect("chromium runs");
    assert!(output.status.success(), "chromium failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let requests = seen.lock().expect("requests").iter().filter(|line| !browsers_own(line)).cloned().collect();
    Rendered {
        dom: String::from_utf8_lossy(&output.stdout).into_owned(),
        log: String::from_utf8_lossy(&output.stderr).into_owned(),
        requests,
    }
}

/// Whether a request is one Chromium's own services make whatever the page is (the component
/// updater, the optimization guide, the network clock, sign-in; more of them with the clock
/// moved ten years ahead): to Google's service domains, but not to the hosts a page takes fonts,
/// scripts or files from, which count as the page's.
fn browsers_own(line: &str) -> bool {
    let target = line.split_whitespace().nth(1).unwrap_or_default();
    let target = target.strip_prefix("http://").or_else(|| target.strip_prefix("https://")).unwrap_or(target);
    let host = target.split(['/', ':']).next().unwrap_or_default();
    let pages = ["fonts.googleapis.com", "ajax.googleapis.com", "storage.googleapis.com", "www.googleapis.com"];
    let services = [".googleapis.com", ".google.com", ".gvt1.com"];
    !pages.contains(&host) && services.iter().any(|domain| host.ends_with(domain))
}

/// The console messages in a browser log.
fn console(log: &str) -> Vec<&str> {
    log.lines().filter(|line| line.contains("CONSOLE")).collect()
}

/// The text of each cell of the row of `environment` in the environment table, tags dropped.
fn row_cells(dom: &str, environment: &str) -> Vec<String> {
    let table = dom.split("id=\"environment-table\"").nth(1).expect("the environment table");
    let row = table
        .split("<tr ")
        .find(|row| row.starts_with(&format!("data-environment=\"{environment}\"")))
        .unwrap_or_else(|| panic!("a row for {environment}"));
    let row = row.split("</tr>").next().unwrap_or_default().replace("</td>", "\u{1}").replace("</th>", "\u{1}");
    let mut text = String::new();
    // The row starts inside its own `<tr ` tag.
    let mut in_tag = true;
    for c in row.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let mut cells: Vec<String> = text.split('\u{1}').map(|cell| cell.replace("&amp;", "&")).collect();
    cells.pop();
    cells
}

#[test]
fn chromium_here_sees_a_request_and_a_console_error_when_a_page_makes_them() {
    // The check below must be able to fail: a page that loads an image from outside and logs an
    // error is caught by the same rendering.
    let world = World::new();
    let page = world.path("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><link rel=\"stylesheet\" href=\"https://fonts.googleapis.com/css?family=X\"></head>\
         <body><img src=\"http://images.example/x.png\" alt=\"\">\
         <script>console.error('canary-error')</script></body></html>",
    )
    .expect("page");
    let rendered = render(&world, &page);
    assert!(
        rendered.requests.iter().any(|r| r.contains("images.example")),
        "{:?}\n{}",
        rendered.requests,
        rendered.log
    );
    assert!(console(&rendered.log).iter().any(|line| line.contains("canary-error")), "{}", rendered.log);
}

#[test]
fn the_report_of_a_known_history_renders_with_no_console_message_nor_request() {
    let world = World::new();
    let (repos, _) = known_history(&world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_with(release, args, &[("GIT_COMMITTER_DATE", LATER)]);
    let page = world.path("report.html");
    let written = at(&["report", "--output", page.to_str().expect("UTF-8")]);
    written.expect_status(0).expect_stderr("wrote the report to");
    let rendered = render(&world, &page);
    assert!(rendered.requests.is_empty(), "the page made requests: {:?}", rendered.requests);
    assert!(console(&rendered.log).is_empty(), "console messages:\n{}", rendered.log);
    assert!(rendered.dom.contains("<h1>Release report</h1>"), "{}", rendered.dom);
    // Nothing may leave even where the proxy would not see it: the page forbids the browser to.
    assert!(
        rendered.dom.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""),
        "the page's Content-Security-Policy"
    );

    // Its environment table says what status --json says.
    let status = at(&["status", "--json"]).json();
    for env in status["environments"].as_array().expect("environments") {
        let name = env["name"].as_str().expect("a name");
        let cells = row_cells(&rendered.dom, name);
        assert_eq!(cells[0], name);
        assert_eq!(cells[1], env["branch"].as_str().expect("a branch"));
        assert_eq!(cells[2], env["version"].as_str().unwrap_or("-"), "{name}: {cells:?}");
        match env["deployed"].as_object() {
            Some(deployed) => {
                let version = deployed["version"].as_str().expect("a version");
                assert!(cells[4].starts_with(version), "{name}: {cells:?}");
                assert!(
                    cells[4].ends_with(&deployed["time"].as_str().expect("a time").replace(".000", "")),
                    "{cells:?}"
                );
                let commit = deployed["commit"].as_str().expect("a commit");
                assert_eq!(cells[5], commit[..7], "{name}: {cells:?}");
                assert_eq!(cells[6], deployed["tag"].as_str().expect("a tag"), "{name}: {cells:?}");
            }
            None => assert_eq!(cells[4..7], ["-", "-", "-"], "{name}: {cells:?}"),
        }
        let gate = &env["gate"];
        let shown = &cells[8];
        match gate["allowed"].as_bool() {
            Some(true) => assert!(shown.starts_with("allowed"), "{name}: {cells:?}"),
            Some(false) => assert!(shown.starts_with("refused: "), "{name}: {cells:?}"),
            None => assert_eq!(shown, "-", "{name}: {cells:?}"),
        }
    }
    // Its timeline holds every record log --json lists, the rollback marked as one.
    let log = at(&["log", "--json"]).json();
    let records = log["records"].as_array().expect("records");
    assert_eq!(records.len(), 3);
    for record in records {
        assert!(rendered.dom.contains(record["tag"].as_str().expect("a tag")), "{record}");
    }
    assert!(
        rendered.dom.contains(">rollback of <code>1.0.0.20261121T123000Z.qa</code></td>"),
        "the rollback shows as one, of the record it rolled back"
    );
    // And the metrics of that day, as metrics counts them: three deployments, one failed.
    assert!(rendered.dom.contains("33% (1 of 3)"), "{}", rendered.dom);
}

#[test]
fn a_report_written_where_a_folder_stands_is_refused_and_nothing_changes() {
    let world = World::new();
    let (repos, _) = known_history(&world);
    let folder = world.path("taken");
    std::fs::create_dir_all(&folder).expect("folder");
    let refused = world.release_with(
        &repos.release,
        &["report", "-o", folder.to_str().expect("UTF-8")],
        &[("GIT_COMMITTER_DATE", LATER)],
    );
    refused.expect_status(2).expect_stderr("cannot write the report to").expect_stderr("hint:");
    assert!(std::fs::read_dir(&folder).expect("folder").next().is_none(), "the folder is as it was");
}

#[test]
fn the_report_lists_the_open_promotions_where_the_forge_answers_and_says_so_where_it_does_not() {
    use crate::fake_forge::{Dialect, FakeForge, Fault};
    use crate::reconcile::TOKEN;
    let world = World::new();
    let forge = FakeForge::new(Dialect::Github, Some(TOKEN));
    let repos = crate::promote::promotable(&world, &forge);
    let release = &repos.release;
    let token = [(forge.dialect.variable(), TOKEN)];
    world.release_with(release, &["promote", "qa", "prod"], &token).expect_status(0);
    let listed = world.release_with(release, &["report", "--json", "--output", "-"], &token);
    listed.expect_status(0);
    let json = listed.json();
    assert_eq!(json["promotions"]["forge"], "GitHub", "{listed}");
    assert_eq!(json["promotions"]["open"][0]["number"], 1, "{listed}");
    assert_eq!(json["promotions"]["open"][0]["target"], "environment/prod", "{listed}");
    let page = world.release_with(release, &["report", "--output", "-"], &token);
    page.expect_status(0);
    assert!(page.stdout.contains(">#1 Promote qa → prod: 1.0.0"), "{page}");
    assert!(!page.to_string().contains("SECRET"), "{page}");

    // A forge that does not answer is a warning and a line on the page, not a failure.
    for _ in 0..8 {
        forge.fault(Fault::Status { status: 500, retry_after: None });
    }
    let down = world.release_with(release, &["report", "--output", "-"], &[token[0], ("GIT_RELEASE_HTTP_TRIES", "1")]);
    down.expect_status(0).expect_stderr("warning:");
    assert!(down.stdout.contains("GitHub could not be asked for the open pull requests"), "{down}");
    forge.clear_faults();
    let offline = world.release_with(release, &["--offline", "report", "--output", "-"], &token);
    offline.expect_status(0);
    assert!(offline.stdout.contains("None listed: not asked: --offline."), "{offline}");
}

#[test]
fn a_report_written_to_a_device_a_pipe_or_a_link_goes_through_it_and_replaces_nothing() {
    use std::os::unix::fs::FileTypeExt;
    let world = World::new();
    let (repos, _) = known_history(&world);
    let run = |output: &Path| {
        world.release_with(
            &repos.release,
            &["report", "-o", output.to_str().expect("UTF-8")],
            &[("GIT_COMMITTER_DATE", LATER)],
        )
    };
    // Found by an independent pass: `-o /dev/null` made /dev/null a regular file. A link and a
    // pipe stand in for it here: a test that broke /dev/null would break the machine.
    let target = world.path("target.html");
    let link = world.path("link.html");
    std::os::unix::fs::symlink(&target, &link).expect("a link");
    run(&link).expect_status(0);
    assert!(std::fs::symlink_metadata(&link).expect("the link").file_type().is_symlink(), "the link stays a link");
    assert!(std::fs::read_to_string(&target).expect("written through the link").contains("<h1>Release report</h1>"));
    let fifo = world.path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("the pipe is read"))
    };
    run(&fifo).expect_status(0);
    assert!(reader.join().expect("the reader").contains("<h1>Release report</h1>"));
    assert!(std::fs::metadata(&fifo).expect("the pipe").file_type().is_fifo(), "the pipe stays a pipe");
}

#[test]
fn the_reports_drift_reads_the_application_branch_as_it_is_now() {
    let world = World::new();
    let (repos, _) = known_history(&world);
    let release = &repos.release;
    let at = |args: &[&str]| world.release_with(release, args, &[("GIT_COMMITTER_DATE", LATER)]);
    // Found by an independent pass: the report fetched the tags only, and told drift from a
    // copy of the tracked branch as an earlier command had left it.
    for feature in ["third", "fourth"] {
        std::fs::write(repos.app.join(feature), feature).expect("a file");
        world.git(&repos.app, &["add", feature]);
        world.git(&repos.app, &["commit", "-q", "-m", feature]);
    }
    world.git(&repos.app, &["push", "-q", "origin", "main"]);
    let head = world.git(&repos.app, &["rev-parse", "HEAD"]).trim().to_owned();
    at(&["set", "qa", "1.1.0", "--push"]).expect_status(0);
    let json = at(&["report", "--json", "--output", "-"]).json();
    let qa = &json["status"]["environments"][1];
    assert_eq!(qa["name"], "qa");
    assert_eq!(qa["drift"]["commit"], head.as_str(), "{qa}");
    assert_eq!(qa["drift"]["undeployed_commits"], 3, "the second feature, rolled back, and two more: {qa}");

    // A release file that cannot be read says so, rather than reading as no drift.
    world.git(release, &["checkout", "-q", "environment/qa"]);
    let file = std::fs::read_to_string(release.join("release.toml")).expect("the release file");
    std::fs::write(release.join("release.toml"), format!("{file}\nunknown-key = 1\n")).expect("written");
    world.git(release, &["commit", "-q", "-am", "A key no one knows"]);
    let page = at(&["--offline", "report", "--output", "-"]);
    page.expect_status(0);
    assert!(
        page.stdout
            .contains("What qa runs against what its branch asks for cannot be told: its release file is invalid"),
        "{page}"
    );
}
