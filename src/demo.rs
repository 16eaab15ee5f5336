//! `git release demo`: a throwaway sandbox that walks a two-repository release end to end, each
//! step a real `git` or `git release` process, shown as a terminal session. The sandbox has its
//! own git configuration, so nothing of the user's is read or changed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Kind};
use crate::git::GitCommand;
use crate::ui::{Paint, Report};

/// One command of the session and what it printed.
#[derive(Debug, Serialize)]
struct Step {
    directory: String,
    command: String,
    status: i32,
    stdout: String,
    stderr: String,
}

/// The report the demo ends with, in the sandbox's folder: kept when the rest goes.
const REPORT: &str = "report.html";

#[derive(Debug, Serialize)]
struct DemoReport {
    dir: Option<PathBuf>,
    /// The report of the sandbox, which stays.
    report: PathBuf,
    steps: Vec<Step>,
}

impl Report for DemoReport {
    fn human(&self, _paint: Paint) -> String {
        let report = format!("\nIts report, to open in a browser: {}\n", self.report.display());
        match &self.dir {
            Some(dir) => format!("\nThe sandbox is kept in {}{report}", dir.display()),
            None => report,
        }
    }
}

/// Builds the sandbox in `dir` (empty or new; else a new temporary folder), walks the release
/// through it, and removes it but for its report unless `keep` or a step failed.
///
/// # Errors
/// When the folder is not empty or cannot be made, or a step ends otherwise than expected.
pub fn run(context: &Context, dir: Option<&Path>, keep: bool) -> Result<(), Error> {
    let root = sandbox(dir)?;
    let mut session = Session { context, root: root.clone(), steps: Vec::new(), paint: context.ui.stdout_paint() };
    let outcome = session.walk();
    let kept = keep || outcome.is_err();
    if !kept {
        remove_contents(&root);
    }
    outcome?;
    let report = root.join(REPORT);
    context.ui.report(&DemoReport { dir: kept.then_some(root), report, steps: session.steps });
    Ok(())
}

/// Removes the sandbox but for its report, which stays in the folder.
fn remove_contents(root: &Path) {
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_name() == REPORT {
            continue;
        }
        let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
    }
}

/// The sandbox folder: the one asked for (empty or new), else a new temporary one.
fn sandbox(dir: Option<&Path>) -> Result<PathBuf, Error> {
    let root = match dir {
        Some(dir) => std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned()),
        None => std::env::temp_dir().join(format!("git-release-demo-{}", std::process::id())),
    };
    if root.exists() && std::fs::read_dir(&root).map_or(true, |mut d| d.next().is_some()) {
        return Err(Error::new(Kind::Usage, format!("{} is not empty", root.display()))
            .hint("give --dir a folder that is empty or does not exist yet"));
    }
    std::fs::create_dir_all(&root)
        .map_err(|e| Error::new(Kind::Usage, format!("cannot create {}", root.display())).cause(e.to_string()))?;
    Ok(root)
}

struct Session<'a> {
    context: &'a Context,
    root: PathBuf,
    steps: Vec<Step>,
    paint: Paint,
}

impl Session<'_> {
    fn walk(&mut self) -> Result<(), Error> {
        self.write_config()?;
        self.say("An application repository with one commit, and its remote:");
        self.git(".", &["init", "--quiet", "--bare", "app.git"])?;
        self.git(".", &["clone", "--quiet", "app.git", "app"])?;
        self.git("app", &["commit", "--quiet", "--allow-empty", "-m", "Add the shop"])?;
        self.git("app", &["push", "--quiet", "origin", "main"])?;
        self.say("A release repository with the environments dev, qa and prod, and its remote:");
        self.git(".", &["init", "--quiet", "--bare", "release.git"])?;
        self.git(".", &["init", "--quiet", "release"])?;
        self.git("release", &["remote", "add", "origin", "../release.git"])?;
        self.release(&["init", "--app", "../app.git"])?;
        self.git("release", &["push", "--quiet", "origin", "environment/dev", "environment/qa", "environment/prod"])?;
        self.say("qa gets version 1.0.0; its pipeline cuts a release candidate and records the deployment:");
        self.release(&["set", "qa", "1.0.0", "--push"])?;
        self.release(&["prepare", "qa"])?;
        self.release(&["record", "qa"])?;
        self.say("A new commit in the application; qa deploys it as the next candidate:");
        self.git("app", &["commit", "--quiet", "--allow-empty", "-m", "Fix the checkout"])?;
        self.git("app", &["push", "--quiet", "origin", "main"])?;
        self.release(&["prepare", "qa"])?;
        self.say("Until qa records that deployment, the merge gate keeps the candidate out of prod:");
        self.release_refused(&["gate", "--target", "prod"])?;
        self.release(&["record", "qa"])?;
        self.say("Now qa has deployed it, the same promotion passes:");
        self.release(&["gate", "--target", "prod"])?;
        self.say("The promotion, printed for people to merge, as the release remote is on no forge:");
        self.release(&["promote", "qa", "prod"])?;
        self.say("prod gets 1.0.0; its pipeline tags the highest candidate's commit as v1.0.0:");
        self.release(&["set", "prod", "1.0.0", "--push"])?;
        self.release(&["prepare", "prod"])?;
        self.release(&["record", "prod"])?;
        self.say("What runs where, and how it got there:");
        self.release(&["status"])?;
        self.release(&["log"])?;
        self.git("app", &["fetch", "--quiet", "--tags"])?;
        self.git("app", &["tag", "--list", "-n1"])?;
        self.say("The same on one page, for a browser, a phone or paper:");
        self.release(&["report", "--output", &format!("../{REPORT}")])
    }

    /// The sandbox's own git configuration: an identity, and `main` as the first branch.
    fn write_config(&self) -> Result<(), Error> {
        let config = "[user]\n\tname = Demo Deployer\n\temail = deployer@example.com\n\
                      [init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n";
        let path = self.root.join("gitconfig");
        std::fs::write(&path, config)
            .map_err(|e| Error::new(Kind::Usage, format!("cannot write {}", path.display())).cause(e.to_string()))
    }

    fn say(&mut self, text: &str) {
        let gap = if self.steps.is_empty() { "" } else { "\n" };
        self.context.ui.stream(&format!("{gap}{}\n", self.paint.bold(&format!("# {text}"))));
    }

    fn git(&mut self, dir: &str, args: &[&str]) -> Result<(), Error> {
        let mut command = GitCommand::new(args.iter().copied());
        for (key, value) in self.environment() {
            command = command.env(key, value);
        }
        let output = command.output_in(&self.root.join(dir))?;
        self.show(dir, &command.display(), i32::from(!output.success), 0, output.stdout, output.stderr)
    }

    fn release(&mut self, args: &[&str]) -> Result<(), Error> {
        self.release_expecting(args, 0)
    }

    /// A step that must be refused (exit 1): the demo shows the refusal and goes on.
    fn release_refused(&mut self, args: &[&str]) -> Result<(), Error> {
        self.release_expecting(args, 1)
    }

    fn release_expecting(&mut self, args: &[&str], expected: i32) -> Result<(), Error> {
        let program = std::env::current_exe()
            .map_err(|e| Error::new(Kind::Git, "cannot find the git-release program").cause(e.to_string()))?;
        let output = Command::new(program)
            .args(args)
            .current_dir(self.root.join("release"))
            .envs(self.environment())
            .output()
            .map_err(|e| Error::new(Kind::Git, "cannot run git-release").cause(e.to_string()))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let shown = GitCommand::new(std::iter::once("release").chain(args.iter().copied())).display();
        self.show("release", &shown, output.status.code().unwrap_or(-1), expected, stdout, stderr)
    }

    /// Prints one command and its output; a step that exits otherwise than `expected` ends the
    /// session.
    fn show(
        &mut self,
        dir: &str,
        command: &str,
        status: i32,
        expected: i32,
        stdout: String,
        stderr: String,
    ) -> Result<(), Error> {
        let last = stderr.lines().last().unwrap_or_default().to_owned();
        let prompt = if dir == "." { "$".to_owned() } else { format!("{dir}$") };
        let mut text = format!("{} {command}\n", self.paint.dim(&prompt));
        text.push_str(&stdout);
        text.push_str(&stderr);
        self.context.ui.stream(&text);
        self.steps.push(Step { directory: dir.to_owned(), command: command.to_owned(), status, stdout, stderr });
        if status == expected {
            return Ok(());
        }
        Err(Error::new(Kind::Git, format!("the demo step `{command}` exited with {status}, not {expected}"))
            .cause(last)
            .hint(format!("the sandbox is kept for a look: {}", self.root.display())))
    }

    /// Variables for every process of the sandbox: its own git configuration and no other.
    fn environment(&self) -> Vec<(OsString, OsString)> {
        vec![
            ("GIT_CONFIG_GLOBAL".into(), self.root.join("gitconfig").into_os_string()),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("NO_COLOR".into(), "1".into()),
        ]
    }
}
