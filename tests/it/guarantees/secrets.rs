//! Secrets never show. Every command runs verbose, plain and with `--json`, with every forge's
//! token variables and Jira's credentials set to values of their own: against a healthy forge and
//! Jira, through the fake forge's faults and chaos, with wrong tokens, with unreachable remotes and
//! a pull request's address whose URLs carry a password, with a credentialed pipeline URL, and
//! against an HTTP remote whose password comes from a credential helper. No secret may show in
//! what a run prints, nor in what the runs leave behind: pull requests, comments and statuses on
//! the forges, what Jira was sent, and the tags, commits, reflogs and configuration of every
//! repository and cache. The URLs still show, with `***` for their credentials.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use serde_json::Value;

use super::{figure, scale};
use crate::deploy::{TwoRepos, path};
use crate::fake_forge::{Chaos, Dialect, FakeForge, Fault, base64};
use crate::fake_jira::{FakeJira, Flavour};
use crate::harness::{Transcript, World};
use crate::http_push::{Lighttpd, PASSWORD, bare, helper};
use crate::promote::point_at;
use crate::reconcile::{auto_promoted, edit_release_file};

/// Every forge's token variables, each set to a value of its own.
const TOKENS: [(&str, &str); 8] = [
    ("GITHUB_TOKEN", "ghp_SECRET0github0token"),
    ("GH_TOKEN", "gho_SECRET0gh0token"),
    ("GITLAB_TOKEN", "glpat-SECRET0gitlab0token"),
    ("CI_JOB_TOKEN", "glcbt-SECRET0job0token"),
    ("BITBUCKET_TOKEN", "bbat-SECRET0bitbucket0token"),
    ("AZURE_DEVOPS_EXT_PAT", "azpat-SECRET0azure0token"),
    ("SYSTEM_ACCESSTOKEN", "azsys-SECRET0system0token"),
    ("GITEA_TOKEN", "gtea-SECRET0gitea0token"),
];
const JIRA_USER: &str = "releaser@example.com";
const JIRA_TOKEN: &str = "jira-SECRET0jira0token";
/// What a forge and Jira are given instead of their token, to refuse.
const WRONG_TOKEN: &str = "nope-SECRET0wrong0token";
/// The password in the URLs of the remotes that cannot be reached.
const URL_PASSWORD: &str = "url-SECRET0remote0password";
const PIPELINE_PASSWORD: &str = "ci-SECRET0pipeline0password";
const MASKED_PIPELINE: &str = "https://***@ci.example.com/runs/9";
/// A token in a pipeline URL's query.
const QUERY_TOKEN: &str = "qs-SECRET0query0token";
/// Plain output, then `--json`.
const BOTH: [bool; 2] = [false, true];

#[test]
fn no_command_shows_a_secret_in_what_it_prints_or_leaves_behind() {
    let started = Instant::now();
    let world = World::new();
    let mut forges = vec![FakeForge::new(Dialect::Github, Some(token("GITHUB_TOKEN")))];
    let jira = FakeJira::new(Flavour::Cloud, JIRA_USER, JIRA_TOKEN);
    jira.add_issues(&["SHOP-1"]);
    let repos = auto_promoted(&world, &forges[0], "");
    edit_release_file(&world, &repos.release, |file| {
        format!("{file}\n[jira]\nurl = \"{}\"\nkind = \"{}\"\n", jira.url(), jira.flavour.kind())
    });
    let mut run = Runner::new(&world);
    run.env.push(("JIRA_URL".to_owned(), jira.url()));
    every_command(&mut run, &repos);
    commands_without_a_forge(&mut run, &repos);
    let (faulted, seeds) = faults(&mut run, &repos.release, &forges[0]);
    forges.extend(every_forge(&mut run, &repos.release));
    let mut masked_urls = unreachable_remotes(&mut run, &repos);
    masked_urls += credentials_given(&mut run, &repos);
    http_remote(&mut run, &repos);
    masked_urls += left_behind(&mut run.scan, &world, &forges, &jira);

    let expected = command_names();
    let missing: Vec<&String> = expected.difference(&run.scan.commands).collect();
    assert!(missing.is_empty(), "commands this guarantee never ran: {missing:?}");
    let Scan { secrets, runs, places, bytes, .. } = run.scan;
    figure(
        "secrets",
        started,
        &format!(
            "{runs} runs of all {} commands (verbose, plain and --json) with {} secrets set, through {faulted} \
             forge faults, wrong tokens, {seeds} chaos seeds, {} forges, unreachable remotes with passwords, a \
             pipeline URL with one and an HTTP remote behind a credential helper: {places} places and {bytes} bytes \
             scanned, {masked_urls} URLs shown with their credentials masked, 0 secrets shown",
            expected.len(),
            secrets.len(),
            Dialect::ALL.len()
        ),
    );
}

/// The secrets looked for, each with where it comes from, and what was looked through.
struct Scan {
    secrets: Vec<(String, String)>,
    /// Each command run, as `preview` and `preview create`.
    commands: BTreeSet<String>,
    runs: usize,
    places: usize,
    bytes: usize,
}

impl Scan {
    /// Fails, naming the place and where the secret comes from, when `text` holds a secret.
    #[track_caller]
    fn check(&mut self, place: &str, text: &str) {
        self.places += 1;
        self.bytes += text.len();
        for (source, secret) in &self.secrets {
            assert!(!text.contains(secret.as_str()), "{place} shows {source}");
        }
    }
}

/// Runs `git release -v [--json] ARGS` with every secret in its environment, and scans what it printed.
struct Runner<'a> {
    world: &'a World,
    env: Vec<(String, String)>,
    scan: Scan,
}

impl<'a> Runner<'a> {
    fn new(world: &'a World) -> Runner<'a> {
        let mut env: Vec<(String, String)> = TOKENS.iter().map(|&(k, v)| (k.to_owned(), v.to_owned())).collect();
        let more = [("JIRA_USER", JIRA_USER), ("JIRA_TOKEN", JIRA_TOKEN), ("GIT_RELEASE_HTTP_BACKOFF_MS", "10")];
        env.extend(more.map(|(k, v)| (k.to_owned(), v.to_owned())));
        let scan = Scan { secrets: secrets(), commands: BTreeSet::new(), runs: 0, places: 0, bytes: 0 };
        Runner { world, env, scan }
    }

    /// Runs plain, expecting `statuses[0]`, then with `--json`, expecting `statuses[1]`; returns the latter.
    #[track_caller]
    fn both(&mut self, dir: &Path, args: &[&str], statuses: [i32; 2]) -> Transcript {
        self.once(dir, args, false, &[statuses[0]], &[], None);
        self.once(dir, args, true, &[statuses[1]], &[], None)
    }

    /// Runs once with `vars` over the usual environment and `input` on stdin, expecting one of `statuses`.
    #[track_caller]
    fn once(
        &mut self,
        dir: &Path,
        args: &[&str],
        json: bool,
        statuses: &[i32],
        vars: &[(&str, &str)],
        input: Option<&str>,
    ) -> Transcript {
        let mut all = vec!["-v"];
        if json {
            all.push("--json");
        }
        all.extend_from_slice(args);
        let mut command = self.world.release_command(dir, &all);
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))).envs(vars.iter().copied());
        command.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("git-release starts");
        if let (Some(input), Some(mut pipe)) = (input, child.stdin.take()) {
            // A run that exits without reading closes the pipe; its exit status tells.
            let _ = pipe.write_all(input.as_bytes());
        }
        let output = child.wait_with_output().expect("git-release ends");
        let run = self.world.transcript(&all, &output);
        self.scan.runs += 1;
        self.scan.commands.insert(args[0].to_owned());
        if let [first, second, ..] = args {
            self.scan.commands.insert(format!("{first} {second}"));
        }
        self.scan.check(&format!("the stdout of `{}`", run.command), &run.stdout);
        self.scan.check(&format!("the stderr of `{}`", run.command), &run.stderr);
        assert!(statuses.contains(&run.status), "expected exit status {statuses:?}:\n{run}");
        // Completions print a script whatever is asked; some commands print only messages, on stderr.
        if json && args[0] != "completions" && !run.stdout.trim().is_empty() {
            let value: Value = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("`{}` printed no JSON document ({e}):\n{run}", run.command));
            self.scan.check(&format!("the JSON strings of `{}`", run.command), &strings(&value));
        }
        run
    }
}

/// Every command that talks to the forge, Jira or the remotes, on a healthy forge and Jira.
fn every_command(run: &mut Runner<'_>, repos: &TwoRepos) {
    let release = repos.release.as_path();
    let pipeline = format!("https://bot:{PIPELINE_PASSWORD}@ci.example.com/runs/9");
    for args in [&["status"][..], &["log"], &["metrics"], &["report", "--output", "-"], &["diff", "qa", "prod"]] {
        run.both(release, args, [0, 0]);
    }
    // No hook, no pipeline, no [trust] here: doctor finds what to fix, and asks the forge.
    run.both(release, &["doctor"], [1, 1]);
    run.both(release, &["gate", "--target", "prod", "--report", "--pipeline-url", &pipeline], [0, 0]);
    run.both(release, &["promote", "qa", "prod", "--jira-issue", "SHOP-1"], [0, 0]);
    run.both(release, &["reconcile"], [0, 0]);
    run.both(release, &["set", "qa", "1.5.0", "--push"], [0, 0]);
    run.both(release, &["bump", "qa", "patch", "--push"], [0, 0]);
    let head = repos.app_commit(run.world, "SHOP-1: the cart keeps its items");
    run.both(release, &["prepare", "qa"], [0, 0]);
    run.both(release, &["record", "qa", "--pipeline-url", &pipeline], [0, 0]);
    // git signs no tags here: an approval, which would count for no one, is refused.
    run.both(release, &["approve", "prod", "-m", "Read the notes"], [1, 1]);
    run.both(release, &["revoke", "prod"], [1, 1]);
    let created = run.both(release, &["preview", "create", "smoke", &format!("owner/repo@{head}")], [0, 0]);
    let name = created.json()["name"].as_str().expect("the preview's name").to_owned();
    run.both(release, &["preview", "list"], [0, 0]);
    run.both(release, &["preview", "delete", &name], [0, 1]);
    // qa goes back to what it ran before the deployment above, twice over: the same change again.
    run.both(release, &["rollback", "qa", "--push"], [0, 0]);
}

/// The hooks (given an environment branch's deletion, and the credentialed URL git hands
/// pre-push), their installation, init, completions and the demo.
fn commands_without_a_forge(run: &mut Runner<'_>, repos: &TwoRepos) {
    let (world, release) = (run.world, repos.release.as_path());
    let prod = world.git(release, &["rev-parse", "refs/heads/environment/prod"]).trim().to_owned();
    let zero = "0".repeat(prod.len());
    let pushed = format!("(delete) {zero} refs/heads/environment/prod {prod}\n");
    let received = format!("{prod} {zero} refs/heads/environment/prod\n");
    let url = unreachable("shop/release.git");
    for json in BOTH {
        run.once(release, &["hook", "pre-push", "origin", &url], json, &[1], &[], Some(pushed.as_str()));
        run.once(release, &["hook", "pre-receive"], json, &[1], &[], Some(received.as_str()));
        for action in ["install", "status", "uninstall"] {
            run.once(release, &["hooks", action], json, &[0], &[], None);
        }
        let fresh = world.empty_repo(if json { "fresh-json" } else { "fresh" }, false);
        run.once(&fresh, &["init", "--app", path(&repos.app_remote), "--ci", "github"], json, &[0], &[], None);
        // A URL with a password is no [app] repo: refused, without repeating it.
        run.once(&fresh, &["init", "--app", &unreachable("shop/app.git")], json, &[2], &[], None);
        let sandbox = world.path(if json { "demo-json" } else { "demo" });
        run.once(&world.path(""), &["demo", "--dir", path(&sandbox)], json, &[0], &[], None);
    }
    for shell in ["bash", "zsh", "fish"] {
        run.both(release, &["completions", shell], [0, 0]);
    }
}

/// The forge failing on purpose (alternately plain and `--json`, to keep the hangs few), refusing
/// a wrong token, Jira too, then failing at random. Returns how many faults and chaos seeds it met.
fn faults(run: &mut Runner<'_>, release: &Path, forge: &FakeForge) -> (usize, u64) {
    let quick = [("GIT_RELEASE_HTTP_TIMEOUT", "1"), ("GIT_RELEASE_HTTP_TRIES", "2")];
    let cases = [
        (vec![Fault::Status { status: 429, retry_after: Some(0) }], 0),
        (vec![Fault::Drop], 0),
        (vec![Fault::Status { status: 503, retry_after: None }; 2], 128),
        (vec![Fault::SignInPage], 128),
        (vec![Fault::Malformed], 128),
        (vec![Fault::Hang; 2], 128),
    ];
    let faulted = cases.len();
    for (index, (queued, status)) in cases.into_iter().enumerate() {
        for fault in queued {
            forge.fault(fault);
        }
        run.once(release, &["promote", "qa", "prod"], index % 2 == 1, &[status], &quick, None);
    }
    let wrong_forge_token = [("GITHUB_TOKEN", WRONG_TOKEN)];
    for json in BOTH {
        run.once(release, &["promote", "qa", "prod"], json, &[128], &wrong_forge_token, None);
        run.once(release, &["reconcile"], json, &[128], &wrong_forge_token, None);
        let strict = ["record", "qa", "--jira-strict", "--jira-issue", "SHOP-1"];
        run.once(release, &strict, json, &[128], &[("JIRA_TOKEN", WRONG_TOKEN)], None);
    }
    let seeds = u64::try_from(scale(2, 20)).expect("a small number");
    for seed in 1..=seeds {
        forge.set_chaos(Some(Chaos { percent: 30, seed: 0x5EED ^ seed }));
        // This much failure may outlast the retries: any outcome but a usage error or a crash.
        let json = seed % 2 == 0;
        run.once(release, &["reconcile"], json, &[0, 1, 128], &quick, None);
        run.once(release, &["promote", "qa", "prod"], !json, &[0, 1, 128], &quick, None);
    }
    forge.set_chaos(None);
    (faulted, seeds)
}

/// A promotion on a fake of each forge, each taking its own variable's token.
fn every_forge(run: &mut Runner<'_>, release: &Path) -> Vec<FakeForge> {
    let mut forges = Vec::new();
    for (index, dialect) in Dialect::ALL.into_iter().enumerate() {
        let forge = FakeForge::new(dialect, Some(token(dialect.variable())));
        point_at(run.world, release, dialect.kind(), &forge.api());
        run.once(release, &["promote", "qa", "prod"], index % 2 == 1, &[0], &[], None);
        assert_eq!(forge.open_pulls().len(), 1, "{dialect:?} holds the promotion");
        forges.push(forge);
    }
    forges
}

/// Remotes that cannot be reached, whose URLs carry a password: the application clone a deployment
/// reads (`--app-dir`) and a clone of the release repository. Every run fails; returns how many named the URL with its password masked.
fn unreachable_remotes(run: &mut Runner<'_>, repos: &TwoRepos) -> usize {
    let world = run.world;
    let clone = world.empty_repo("app-clone", false);
    world.git(&clone, &["remote", "add", "origin", &unreachable("shop/app.git")]);
    let app_dir = path(&clone);
    let reads: [&[&str]; 5] = [
        &["prepare", "qa", "--app-dir", app_dir],
        &["record", "qa", "--app-dir", app_dir],
        &["log", "--app-dir", app_dir],
        &["gate", "--target", "prod", "--app-dir", app_dir],
        &["reconcile", "--app-dir", app_dir],
    ];
    let mut shown = 0;
    for args in reads {
        for json in BOTH {
            let failed = run.once(&repos.release, args, json, &[128], &[], None);
            let hidden = failed.to_string().contains(&masked("shop/app.git"));
            // prepare names the application repository it cannot fetch (see `deploy_faults`).
            assert!(hidden || args[0] != "prepare", "the URL shows, its password masked:\n{failed}");
            shown += usize::from(hidden);
        }
    }
    let mirror = world.path("mirror");
    world.git(&world.path(""), &["clone", "-q", path(&repos.release_remote), path(&mirror)]);
    world.git(&mirror, &["checkout", "-q", "environment/dev"]);
    world.git(&mirror, &["remote", "set-url", "origin", &unreachable("shop/release.git")]);
    for args in [&["set", "qa", "1.6.0", "--push"][..], &["preview", "list"], &["reconcile"]] {
        for json in BOTH {
            let failed = run.once(&mirror, args, json, &[128], &[], None);
            shown += usize::from(failed.to_string().contains(&masked("shop/release.git")));
        }
    }
    shown
}

/// Credentials given where a version, a preview's reference or a pipeline's address goes: the
/// first two are refused, naming the address masked; the third is recorded masked. Returns how
/// many masked addresses were seen.
fn credentials_given(run: &mut Runner<'_>, repos: &TwoRepos) -> usize {
    let release = repos.release.as_path();
    let pin = format!("http://bot:{URL_PASSWORD}@127.0.0.1:9/shop/app/pull/42");
    let odd = format!("http://bot:{URL_PASSWORD}@127.0.0.1:9/not/a/form");
    let pull = format!("{}/pull/42", unreachable("owner/repo"));
    let mut shown = 0;
    for json in BOTH {
        let refusals = [
            &["set", "qa", pin.as_str()][..],
            &["preview", "create", "odd", odd.as_str()],
            &["preview", "create", "leak", pull.as_str()],
        ];
        for args in refusals {
            let refused = run.once(release, args, json, &[2], &[], None);
            assert!(refused.stderr.contains("http://***@127.0.0.1:9/"), "the address shows, masked:\n{refused}");
            shown += 1;
        }
    }
    let pipeline = format!("https://ci.example.com/runs/10?access_token={QUERY_TOKEN}&attempt=2");
    // Another pipeline's deployment: it prepares before it records (a hand-off is recorded once).
    run.once(release, &["prepare", "qa", "--again"], false, &[0], &[], None);
    let recorded = run.once(release, &["record", "qa", "--pipeline-url", &pipeline], true, &[0], &[], None);
    let tag = recorded.json()["tag"].as_str().expect("a record").to_owned();
    let message = run.world.git(&repos.app_remote, &["tag", "-l", "--format=%(contents)", &tag]);
    let masked = "Pipeline: https://ci.example.com/runs/10?access_token=***&attempt=2\n";
    assert!(message.contains(masked), "the pipeline's address is recorded, its token masked:\n{message}");
    shown + 1
}

/// A release repository pushing over HTTP with Basic authentication, the password coming from a
/// credential helper given in the environment (so that no configuration file holds it); then a
/// helper with a wrong password.
fn http_remote(run: &mut Runner<'_>, repos: &TwoRepos) {
    let world = run.world;
    let server = Lighttpd::start(world, &world.path("http"));
    bare(world, &world.path("http/repos/release.git"));
    let web = world.empty_repo("web", false);
    world.git(&web, &["remote", "add", "origin", &server.url("release.git")]);
    let (right, wrong) = (helper(PASSWORD), helper(&format!("wrong-{PASSWORD}")));
    run.once(&web, &["init", "--app", path(&repos.app_remote)], false, &[0], &helper_env(&right), None);
    let pushed = world
        .command("git", &web)
        .args(["push", "-q", "origin", "refs/heads/environment/*:refs/heads/environment/*"])
        .envs(helper_env(&right))
        .output()
        .expect("git runs");
    assert!(pushed.status.success(), "the environment branches reach the HTTP remote");
    run.once(&web, &["set", "qa", "1.0.0", "--push"], false, &[0], &helper_env(&right), None);
    run.once(&web, &["preview", "list"], true, &[0], &helper_env(&right), None);
    for json in BOTH {
        run.once(&web, &["set", "qa", "1.1.0", "--push"], json, &[128], &helper_env(&wrong), None);
    }
}

/// Scans what the runs left behind: on the forges, in Jira, and in every repository and cache
/// under the world. Returns how often the pipeline's URL shows there, masked.
fn left_behind(scan: &mut Scan, world: &World, forges: &[FakeForge], jira: &FakeJira) -> usize {
    for forge in forges {
        let on = format!("the fake {:?}", forge.dialect);
        let pulls = forge.pulls();
        assert!(!pulls.is_empty(), "{on} holds pull requests");
        for pull in pulls {
            scan.check(&format!("pull request #{} on {on}", pull.number), &format!("{}\n{}", pull.title, pull.body));
        }
        for (number, text) in forge.comments() {
            scan.check(&format!("a comment on #{number} on {on}"), &text);
        }
        for status in forge.statuses() {
            scan.check(&format!("a commit status on {on}"), &format!("{}\n{}", status.context, status.description));
        }
        let asked: Vec<String> = forge.requests().into_iter().map(|(line, _headers)| line).collect();
        scan.check(&format!("the addresses asked of {on}"), &asked.join("\n"));
    }
    scan.check("the requests Jira received", &jira.requests().join("\n"));
    let issue = jira.issue("SHOP-1");
    assert!(!issue.comments.is_empty(), "Jira was told of the promotion and the deployment");
    let told = format!("{}\n{}", Value::Array(issue.comments), issue.status);
    scan.check("the comments and status of SHOP-1 in Jira", &told);
    let in_jira = told.matches(MASKED_PIPELINE).count();

    let mut dirs = Vec::new();
    git_dirs(&world.path(""), &mut dirs);
    let folders = dirs.iter().map(|dir| dir.display().to_string()).collect::<Vec<_>>().join("\n");
    scan.check("the folder names of the repositories", &folders);
    // This test gave these clones' remotes a password, in their configuration.
    let by_the_test = [world.path("app-clone/.git"), world.path("mirror/.git")];
    let mut records = 0;
    for dir in &dirs {
        let shown = dir.display();
        let tags = git_stdout(world, dir, &["for-each-ref", "refs/tags", "--format=%(contents)"]);
        records += tags.matches(&format!("Pipeline: {MASKED_PIPELINE}\n")).count();
        scan.check(&format!("the tag messages of {shown}"), &tags);
        scan.check(&format!("the commits of {shown}"), &git_stdout(world, dir, &["log", "--all", "-p", "--format=%B"]));
        scan.check(&format!("the reflogs of {shown}"), &read_all(&dir.join("logs")));
        if !by_the_test.contains(dir) {
            let config = std::fs::read_to_string(dir.join("config")).expect("a git directory has a config");
            scan.check(&format!("the configuration of {shown}"), &config);
        }
    }
    assert!(records > 0, "the deployment records name the pipeline, its password masked");
    in_jira + records
}

/// Every secret set anywhere, with where it comes from; Basic authentication's headers too.
fn secrets() -> Vec<(String, String)> {
    let named = |source: &str, value: String| (source.to_owned(), value);
    let mut secrets: Vec<(String, String)> =
        TOKENS.iter().map(|&(name, value)| named(name, value.to_owned())).collect();
    secrets.extend([
        named("JIRA_TOKEN", JIRA_TOKEN.to_owned()),
        named("the wrong token", WRONG_TOKEN.to_owned()),
        named("a remote URL's password", URL_PASSWORD.to_owned()),
        named("the pipeline URL's password", PIPELINE_PASSWORD.to_owned()),
        named("the pipeline URL's query token", QUERY_TOKEN.to_owned()),
        // The wrong password given to the helper holds the right one.
        named("the HTTP remote's password", PASSWORD.to_owned()),
        named("Azure DevOps' Basic header", base64(&format!(":{}", token("AZURE_DEVOPS_EXT_PAT")))),
        named("Jira Cloud's Basic header", base64(&format!("{JIRA_USER}:{JIRA_TOKEN}"))),
        // `helper` answers with the user ci-bot.
        named("the HTTP remote's Basic header", base64(&format!("ci-bot:{PASSWORD}"))),
    ]);
    secrets
}

/// Every command and subcommand of the command line, as `preview create`.
fn command_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for command in git_release::cli::command().get_subcommands().filter(|c| c.get_name() != "help") {
        let name = command.get_name();
        names.insert(name.to_owned());
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            names.insert(format!("{name} {}", sub.get_name()));
        }
    }
    names
}

fn token(variable: &str) -> &'static str {
    TOKENS.iter().find(|(name, _)| *name == variable).map(|&(_, value)| value).expect("every forge's variable is set")
}

/// An address on a port nothing listens on, with a user and password.
fn unreachable(repository: &str) -> String {
    format!("http://bot:{URL_PASSWORD}@127.0.0.1:9/{repository}")
}

/// How an [`unreachable`] address shows.
fn masked(repository: &str) -> String {
    format!("http://***@127.0.0.1:9/{repository}")
}

/// `credential.helper` set to `script` through the environment.
fn helper_env(script: &str) -> [(&str, &str); 3] {
    [("GIT_CONFIG_COUNT", "1"), ("GIT_CONFIG_KEY_0", "credential.helper"), ("GIT_CONFIG_VALUE_0", script)]
}

/// Every string a JSON document holds, keys too, one a line: what a script reading it sees.
fn strings(value: &Value) -> String {
    match value {
        Value::String(text) => format!("{text}\n"),
        Value::Array(items) => items.iter().map(strings).collect(),
        Value::Object(map) => map.iter().flat_map(|(key, item)| [format!("{key}\n"), strings(item)]).collect(),
        _ => String::new(),
    }
}

/// Every git directory under `dir`: bare repositories, `.git` folders, and the caches inside them.
fn git_dirs(dir: &Path, found: &mut Vec<PathBuf>) {
    if dir.join("HEAD").is_file() && dir.join("objects").is_dir() {
        found.push(dir.to_owned());
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let inside = !matches!(entry.file_name().to_str(), Some("objects" | "refs" | "logs"));
        if inside && entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            git_dirs(&entry.path(), found);
        }
    }
}

/// What git prints on stdout; a repository without commits or tags prints nothing, and that is fine.
fn git_stdout(world: &World, dir: &Path, args: &[&str]) -> String {
    let output = world.command("git", dir).args(args).output().expect("git runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The files under `dir`, one after another; nothing when there is no such folder.
fn read_all(dir: &Path) -> String {
    let entries = std::fs::read_dir(dir).into_iter().flatten().flatten();
    entries
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                read_all(&path)
            } else {
                String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned()
            }
        })
        .collect()
}
