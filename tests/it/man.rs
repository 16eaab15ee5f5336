//! The man page is generated from the clap definition and checked in; this test keeps it fresh.

use std::fmt::Write as _;

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/man/git-release.1");

#[test]
fn man_page_is_fresh() {
    let generated = generate();
    if std::env::var_os("UPDATE_MAN").is_some() {
        std::fs::write(PAGE, &generated).expect("man page can be written");
    }
    let checked_in = std::fs::read_to_string(PAGE).unwrap_or_default();
    assert!(
        checked_in == generated,
        "man/git-release.1 is stale; regenerate it with: UPDATE_MAN=1 cargo test --test it man_page_is_fresh"
    );
}

/// Seen: the synopsis named no values (`[-C ]`, `[--remote]`) and options such as `--commit`
/// showed none either; `log`'s environment is optional and shown so.
#[test]
fn the_synopsis_and_options_name_their_values() {
    let page = generate();
    let synopsis = page.lines().skip_while(|l| *l != ".SH SYNOPSIS").nth(1).unwrap_or_default();
    for shown in [
        "\\fB\\-C\\fR \\fI<PATH>\\fR",
        "\\fB\\-\\-remote\\fR \\fI<NAME>\\fR",
        "\\fB\\-\\-config\\-from\\fR \\fI<REV>\\fR",
    ] {
        assert!(synopsis.contains(shown), "{shown} in {synopsis}");
    }
    assert!(page.contains(".SS \"git release log [OPTIONS] [<ENVIRONMENT>]\""), "log's environment is optional");
    assert!(page.contains("\\fB\\-\\-commit\\fR \\fI<REV>\\fR"), "--commit names its value");
}

fn generate() -> String {
    let mut command = git_release::cli::command().name("git-release");
    command.build();
    let man = clap_mangen::Man::new(command.clone()).title("GIT-RELEASE").section("1").manual("Git Manual");
    let mut page = Vec::new();
    man.render_title(&mut page).expect("renders");
    man.render_name_section(&mut page).expect("renders");
    let mut page = String::from_utf8(page).expect("roff is UTF-8");
    page.push_str(&synopsis(&command));
    let mut rest = Vec::new();
    man.render_description_section(&mut rest).expect("renders");
    man.render_options_section(&mut rest).expect("renders");
    page.push_str(&String::from_utf8(rest).expect("roff is UTF-8"));
    page.push_str(&commands_section(&command));
    page.push_str(EXTRA_SECTIONS);
    page
}

/// An option as a synopsis or list shows it: its names, and its value's name when it takes one.
fn option(arg: &clap::Arg) -> String {
    let long = arg.get_long().map(|l| l.replace('-', "\\-"));
    let name = match (arg.get_short(), long) {
        (Some(short), Some(long)) => format!("\\fB\\-{short}\\fR, \\fB\\-\\-{long}\\fR"),
        (None, Some(long)) => format!("\\fB\\-\\-{long}\\fR"),
        (Some(short), None) => format!("\\fB\\-{short}\\fR"),
        (None, None) => return format!("<{}>", arg.get_id().as_str().to_uppercase()),
    };
    let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
    match arg.get_value_names() {
        Some([value, ..]) if takes_value => format!("{name} \\fI<{value}>\\fR"),
        _ if takes_value => format!("{name} \\fI<{}>\\fR", arg.get_id().as_str().to_uppercase()),
        _ => name,
    }
}

/// `git release [-C <PATH>] … <COMMAND>`, every global option with the name of its value.
fn synopsis(command: &clap::Command) -> String {
    let globals: Vec<String> = command
        .get_arguments()
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
        .map(|a| format!("[{}]", option(a).replace(", ", "|")))
        .collect();
    format!(".SH SYNOPSIS\n\\fBgit release\\fR {} \\fI<COMMAND>\\fR [\\fI<ARGS>\\fR]\n", globals.join(" "))
}

fn commands_section(command: &clap::Command) -> String {
    let mut roff = String::from(".SH COMMANDS\n");
    for sub in command.get_subcommands() {
        let args: Vec<String> = sub
            .get_positionals()
            .map(|a| {
                let name = format!("<{}>", a.get_id().as_str().to_uppercase());
                if a.is_required_set() { name } else { format!("[{name}]") }
            })
            .collect();
        let _ = writeln!(roff, ".SS \"git release {} [OPTIONS] {}\"", sub.get_name(), args.join(" "));
        let _ = writeln!(roff, "{}", escape(&sub.get_about().map(ToString::to_string).unwrap_or_default()));
        for arg in sub.get_arguments().filter(|a| !a.is_global_set() && a.get_id() != "help" && !a.is_hide_set()) {
            let name = option(arg);
            let values = arg.get_possible_values().iter().map(|v| v.get_name().to_owned()).collect::<Vec<_>>();
            let mut help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            if !values.is_empty() {
                let _ = write!(help, " [one of: {}]", values.join(", "));
            }
            let _ = writeln!(roff, ".TP\n{name}\n{}", escape(&help));
        }
    }
    roff
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('-', "\\-")
        .lines()
        .map(|l| if l.starts_with('.') { format!("\\&{l}") } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n")
}

const EXTRA_SECTIONS: &str = r#".SH METRICS
\fBgit release metrics\fR counts, per environment and over the period from \fB\-\-since\fR (included; default: 30 days before the end) to \fB\-\-until\fR (excluded; default: now), from the deployment records and the application's history alone:
.TP
.B deployment frequency
the records made in the period, and that number per day.
.TP
.B lead time for changes
for each application commit that a record in the period brought (reachable from its commit and not from the environment's record before it: a commit that a rollback took away counts again when it comes back), the record's time less the commit's committer time (0 where the commit is dated after the record); the median and the 90th percentile, by the nearest rank.
.TP
.B change failure rate
the share of the period's records that failed: the environment's next record rolls it back (its Rollback\-Of names it), or deploys another commit within the fix window (\fB\-\-fix\-window\fR, default 1h), a fix forward.
.TP
.B time to restore
for each failed record, the time to the environment's next record; median and 90th percentile.
.PP
\fB\-\-json\fR prints them for dashboards; \fB\-\-openmetrics\fR prints gauges (git_release_deployments, git_release_lead_time_seconds, git_release_change_failure_ratio, git_release_time_to_restore_seconds, labelled by environment and, for times, percentile) ending in # EOF, for a Prometheus textfile collector.
.SH "FORGE DEPLOYMENTS"
Where the release repository's forge has a deployments API, \fBrecord\fR also tells it that the environment runs what was recorded, once per record and only while it is the environment's newest: on GitHub a deployment (its payload naming the record) with a success status carrying the pipeline as log_url, the environment's \fBurl\fR as environment_url, and auto_inactive; on GitLab a deployment of the environment; on Bitbucket Data Center a deployment keyed git\-release. Gitea, Bitbucket Cloud and Azure DevOps have no such API and are told nothing. The deployment is of the commit the release repository holds: the deployed commit in one repository, the environment branch's commit beside an application repository. A forge that cannot be told is a warning, or with \fB\-\-forge\-strict\fR an error (exit 128) saying the record was made; \fB[forge] deployments = false\fR turns it off.
.SH REPORT
\fBgit release report\fR writes one self\-contained HTML page (no script, font or outside address) of the environment graph and what each runs, drift, each environment's deployments, rollbacks and approvals, the DORA keys of the last 30 days and the open promotions where a forge answers; a table stands behind every picture.
.SH "EXIT STATUS"
Every command exits with one of these statuses:
.TP
.B 0
Done, or the gate allows.
.TP
.B 1
Refused: a gate failed, or the operation is not allowed in this state (an environment branch already exists, the remote moved, a checked\-out release file has changes). Nothing was changed.
.TP
.B 2
Usage or configuration error: a bad argument, or an invalid release file. Nothing was changed.
.TP
.B 128
Git, forge or network failure: not a repository, a git command failed.
.PP
With \fB\-\-json\fR, an error is also printed on stdout as
\fB{"error":{"kind","message","causes","hints"}}\fR, with the same status.
.SH FILES
.TP
.B release.toml
The release file, at the top of every environment branch. Only \fBversion\fR differs between the branches: \fBWIP\fR (track a branch, cut no version tags), a semantic version such as \fB1.4.0\fR, or any other string valid in a tag name such as \fB2026.11\fR (both released through rc and final tags; only \fBbump\fR and \fBrequire\-bump\fR need a semantic version). For \fBstatus\fR, \fBlog\fR, \fBdiff\fR, \fBgate\fR, \fBpromote\fR and \fBreconcile\fR the environments are read from the branch \fBrelease.configRef\fR names, as fetched, where it is set; otherwise, and for the other commands, from HEAD when HEAD has one, else from the reference in \fBrelease.configRef\fR, else from the remote's default branch, else from the first branch that holds one; \fB\-\-config\-from\fR names another revision. Each environment's version is read from its own branch, and a change into an environment is judged by that environment's own settings as its branch stood before the change (the pull request's base, the pushed branch's old value); the change contributes only its version.
.TP
.B [app]
\fBrepo\fR: "." for this repository, or the URL or path of the application repository. \fBbranch\fR: the tracked branch. \fBrelease\-branch\fR: where rc tags are cut when it exists; "release/{version}" unless set, and "" for none.
.TP
.B [[app.components]]
\fBname\fR, \fBrepo\fR (a URL or path) and \fBbranch\fR (default: its HEAD branch) of each further repository of the application; \fB[app] repo\fR is then the umbrella, named "app". \fBprepare\fR cuts one rc number in every repository (completing one that a run left unpushed), writes every tag object before it pushes, and pushes each repository atomically; a final release needs the umbrella's highest rc in every repository, on the commit the previous environment recorded there last. \fBrecord\fR records the deployment in every repository, with a Component trailer per repository.
.TP
.B [preview]
\fBttl\fR: \fBreconcile\fR deletes previews older than this, such as "7d". On a preview's branch, \fB[preview.pins.<repository>]\fR holds \fBref\fR, \fBurl\fR and \fBcommit\fR, written by \fBpreview create\fR.
.TP
.B [tags]
\fBrc\fR (default "v{version}\-rc.{n}"), \fBfinal\fR ("v{version}"), \fBdeploy\fR ("{version}.{timestamp}.{env}"), \fBdeploy\-wip\fR ("{timestamp}_{env}_{branch}"). Each must hold its placeholders and yield tag names git accepts.
.TP
.B .git/release/apps/
The bare cache of a separate application repository, fetched before \fBprepare\fR, \fBrecord\fR and \fBlog\fR. Deployment records are annotated tags there (and on its remote) whose messages carry the trailers Environment, Version, Commit, Release\-Commit, Tag, Branch, Pipeline, Deployed\-By and Deployed\-At. Records whose names fall in the same second get "+2", "+3" and so on.
.TP
.B [[environments]]
\fBname\fR (lower\-case letters, digits and "\-"), \fBbranch\fR (default "environment/<name>"), \fBcut\fR (none, rc or final), \fBafter\fR (the previous environment), \fBrestricted\fR, \fBauto\-promote\fR; for \fBreconcile\fR, \fBsoak\fR (how long the previous environment's deployment must have run, such as "2h" or "1h30m"), \fBfreeze\fR (UTC windows in which nothing new opens, such as "2026\-12\-20T00:00:00Z/2027\-01\-04T08:00:00Z" or "Fri 16:00/Mon 08:00"), \fBblocked\fR (versions or version tags never promoted here); \fBgate\fR (previous, or self to deploy on approval with \fBprepare \-\-commit\fR), \fBdeploys\fR (branch, or any\-branch for an environment such as dev that deploys whichever branch its pipeline names, with cut = "none"), \fBmatch\fR, \fBprevious\-current\fR, \fBrequire\-bump\fR. Names and branches are unique; \fBafter\fR names a defined environment and forms no cycle.
.TP
.B variables, [variable\-sets.<name>]
An environment's \fBvariables\fR (a table of strings) and the \fBvariable\-sets\fR it names (tables under \fB[variable\-sets]\fR that several environments share, such as the settings of every prod region) tell its pipeline what it deploys to: \fBprepare\fR prints them after its own keys as name=value lines and under "variables" in JSON, read from the environment's own branch. Its own values override its sets', and a later set an earlier one. Names are letters, digits and "_", not starting with a digit, not one of prepare's own keys (environment, version, commit, tag, branch, already_deployed, commit_* and tag_*, in any case), and not one that shells, loaders, git or CI systems keep (PATH, BASH_ENV, LD_PRELOAD, GIT_*, GITHUB_*, CI_* and the like); values are one line without control or direction characters. They are printed, so they are not for secrets.
.TP
.B [forge]
\fBkind\fR (github, gitlab, bitbucket\-server, bitbucket\-cloud, azure\-devops, gitea or none), \fBapi\fR, \fBrepository\fR, \fBgit\-url\fR (where a preview's short reference owner/repo is fetched from, such as "https://git.example.com/{repository}.git"; github, gitlab and bitbucket\-cloud have defaults).
.TP
.B [jira]
\fBurl\fR (the site), \fBkind\fR (cloud or data\-center; default cloud for *.atlassian.net), \fBkey\-pattern\fR (how an issue key looks; default "[A\-Z][A\-Z0\-9_]+\-\\d+"). \fB[jira.transitions]\fR maps an environment to the transition (or status) its deployments take. \fBrecord\fR comments once on every issue the deployment carries and takes the transition; \fBpromote \-\-jira\-issue\fR comments the pull request's link. Jira failures are warnings unless \fB\-\-jira\-strict\fR.
.TP
.B [trust]
\fBmode\fR (off, warn or enforce; default off) and \fB[trust.signers]\fR, which maps an environment to the keys whose signatures count for its records and version tags: ssh public keys as a .pub file holds them, or OpenPGP fingerprints. Under warn, an unsigned or untrusted record or version tag counts with a warning; under enforce it is none: the gate, \fBstatus\fR, \fBlog\fR and \fBprepare\fR pass over it and both hooks refuse it. The judging environment's file says whose signatures count. Only the tags a decision reads are verified, with \fBgit verify\-tag\fR.
.SH CONFIGURATION
.TP
.B tag.gpgSign, gpg.format, user.signingKey
When \fBtag.gpgSign\fR is true, every tag git\-release writes is signed as \fBgit tag \-s\fR signs it (OpenPGP, X.509 or ssh, by \fBgpg.program\fR, \fBgpg.x509.program\fR or \fBgpg.ssh.program\fR), read from the repository the command runs in; \fBgit tag \-v\fR verifies it. \fBinit \-\-sign\fR sets the three.
.TP
.B release.configRef
The reference whose release file describes the environments when HEAD has none, and from which the hooks read which references they guard (nothing else: without it, a hook in a repository with release files refuses every push). \fBinit\fR and \fBhooks install\fR set it to the last environment's branch.
.SH ENVIRONMENT
.TP
.B NO_COLOR
When set and not empty, \fB\-\-color auto\fR prints no colour.
.TP
.B GIT_DIR, GIT_WORK_TREE
Honoured as git honours them.
.TP
.B GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL
The identity of the commits \fBinit\fR, \fBset\fR and \fBbump\fR write and of the tags
\fBprepare\fR and \fBrecord\fR write, as for any git commit or tag.
.TP
.B GIT_COMMITTER_DATE
The one clock every time decision reads, in any form git takes (such as 2026\-11\-21T10:15:00Z or "@1795256100 +0000"), read as git reads it: the time of a record made without \fB\-\-at\fR, the tagger date of every tag \fBprepare\fR and \fBrecord\fR write, how long a deployment has soaked, whether a \fBfreeze\fR window is on, whether a preview has outlived \fB[preview] ttl\fR, and how long a forge's rate limit asks to wait when its answer carries no Date. Unset or empty, the system clock decides, to the microsecond, within the years git can date by (1970 to 2099). A value git cannot read, or one git cannot write into a commit or tag, is refused (exit 2) before anything changes, and so is a \fB\-\-at\fR more than five minutes after the clock.
.TP
.B GIT_AUTHOR_DATE
The author date of the commits \fBinit\fR, \fBset\fR, \fBbump\fR and \fBpreview create\fR write, as for any git commit; checked like GIT_COMMITTER_DATE before anything is written. No decision reads it.
.TP
.B GIT_RELEASE_APP_DIR, GIT_RELEASE_COMMIT, GIT_RELEASE_BRANCH, GIT_RELEASE_PIPELINE_URL
The same as \fB\-\-app\-dir\fR, \fB\-\-commit\fR, \fB\-\-branch\fR and \fB\-\-pipeline\-url\fR.
.TP
.B GIT_RELEASE_ENVIRONMENT, GIT_RELEASE_VERSION, GIT_RELEASE_FROM, GIT_RELEASE_TO, JIRA_ISSUE
The environment (\fBset\fR, \fBbump\fR, \fBprepare\fR, \fBrecord\fR), the version (\fBset\fR), the two environments of \fBpromote\fR and \fBdiff\fR, and \fB\-\-jira\-issue\fR, when not given on the command line: for CI jobs that Jira automation starts.
.TP
.B JIRA_USER, JIRA_TOKEN
Jira Cloud's account e-mail address and API token (Basic authentication), or, for Data Center, JIRA_TOKEN alone as a personal access token. Without them, \fBgit credential fill\fR is asked for the site's host.
.TP
.B JIRA_URL
The Jira site JIRA_TOKEN belongs to: the token is sent to \fB[jira] url\fR only when that is this site.
.TP
.B GIT_RELEASE_FORGE_USER
The forge account the forge token acts as, for a token the forge will not name (a GitLab job token, some access tokens), in the forge's terms: a login or user name, Bitbucket Cloud's account uuid, Azure DevOps' identity id. \fBpromote\fR and \fBreconcile\fR take as theirs only pull requests that account opened; the forge's own answer wins when it gives one.
.TP
.B GITHUB_ACTIONS, GITLAB_CI, TF_BUILD, BITBUCKET_BUILD_NUMBER, JENKINS_URL
Mark the CI system whose variables give a record its pipeline URL and who deployed:
GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID and GITHUB_ACTOR; CI_PIPELINE_URL and
GITLAB_USER_LOGIN; SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_BUILDID and BUILD_REQUESTEDFOR;
BITBUCKET_GIT_HTTP_ORIGIN and BITBUCKET_STEP_TRIGGERER_UUID; BUILD_URL and BUILD_USER_ID.
.SH "SEE ALSO"
\fBgit\-tag\fR(1), \fBgit\-push\fR(1), \fBgit\-check\-ref\-format\fR(1)
"#;

/// Installed as README's install command lays it out (`<prefix>/bin` and
/// `<prefix>/share/man/man1`), `git release --help` shows this page through git and man.
#[test]
fn git_release_help_opens_the_installed_man_page() {
    let world = crate::harness::World::new();
    let prefix = world.path("prefix");
    let man1 = prefix.join("share/man/man1");
    std::fs::create_dir_all(&man1).expect("man dir can be created");
    std::fs::create_dir_all(prefix.join("bin")).expect("bin dir can be created");
    std::fs::copy(PAGE, man1.join("git-release.1")).expect("page can be copied");
    std::fs::copy(env!("CARGO_BIN_EXE_git-release"), prefix.join("bin/git-release")).expect("binary can be copied");
    let path = format!("{}:{}", prefix.join("bin").display(), std::env::var("PATH").expect("PATH is set"));
    let output = world
        .command("git", &world.path(""))
        .env("PATH", path)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .args(["release", "--help"])
        .output()
        .expect("git runs");
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "git release --help failed: {}", String::from_utf8_lossy(&output.stderr));
    for heading in ["GIT-RELEASE(1)", "EXIT STATUS", "FILES", "ENVIRONMENT", "git release set [OPTIONS]"] {
        assert!(page.contains(heading), "the page lacks {heading}:\n{page}");
    }
}
