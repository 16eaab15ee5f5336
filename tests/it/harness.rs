//! The sealed world every test runs in: a temp HOME, no system or global git configuration but
//! the one written here, fixed dates and identity, and no terminal prompts.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The moment every command of a test runs at, unless the test states another by setting
/// `GIT_COMMITTER_DATE` for it: git dates commits and tags by it, and git-release's one clock
/// reads it for every time decision, so commit ids are the same on every run and no test
/// depends on the day it runs.
pub const DATE: &str = "2026-11-21T10:15:00Z";

/// Later that day: the moment tests run `record --at` for deployments made that morning, since
/// a deployment cannot be recorded as happening after the moment it is recorded at.
pub const NOON: &str = "2026-11-21T12:00:00Z";

pub struct World {
    root: tempfile::TempDir,
    format: Format,
}

/// How a test's repositories store objects and references: what `git init` and `git clone`
/// make, through `GIT_DEFAULT_HASH` and `GIT_DEFAULT_REF_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// `sha1` or `sha256`.
    pub objects: &'static str,
    /// `files` or `reftable`.
    pub refs: &'static str,
}

impl Format {
    /// Git's defaults before 3.0.
    pub const CLASSIC: Format = Format { objects: "sha1", refs: "files" };
    /// Every combination git writes; git 3.0's default is the last.
    pub const ALL: [Format; 4] = [
        Format::CLASSIC,
        Format { objects: "sha1", refs: "reftable" },
        Format { objects: "sha256", refs: "files" },
        Format { objects: "sha256", refs: "reftable" },
    ];
}

/// What a command printed and how it exited, in the form of a terminal session.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub command: String,
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl World {
    pub fn new() -> World {
        World::in_format(Format::CLASSIC)
    }

    /// A world whose `git init` and `git clone` make repositories in `format`.
    pub fn in_format(format: Format) -> World {
        let root = tempfile::Builder::new().prefix("git-release-test").tempdir().expect("temp dir can be created");
        let home = root.path().join("home");
        std::fs::create_dir_all(&home).expect("home can be created");
        std::fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Rel Easer\n\temail = releaser@example.com\n[init]\n\tdefaultBranch = main\n\
             [advice]\n\tdetachedHead = false\n[protocol \"file\"]\n\tallow = always\n",
        )
        .expect("git config can be written");
        World { root, format }
    }

    /// Fails unless the repository at `dir` is stored in this world's format.
    #[track_caller]
    pub fn assert_format(&self, dir: &Path) {
        let objects = self.git(dir, &["rev-parse", "--show-object-format"]);
        let refs = self.git(dir, &["rev-parse", "--show-ref-format"]);
        assert_eq!((objects.trim(), refs.trim()), (self.format.objects, self.format.refs), "{}", dir.display());
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// A sealed command: nothing from the developer's environment but PATH, and libfaketime's
    /// variables when the suite runs with the system clock moved (`./test.sh`'s second pass),
    /// so that the clock moves for every program a test starts, as it would on a later day.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
        let home = self.path("home");
        // Hooks run `git release`, so git must find this build of git-release first.
        let binary = Path::new(env!("CARGO_BIN_EXE_git-release")).parent().expect("the binary is in a folder");
        let inherited = std::env::var_os("PATH").expect("PATH is set");
        let path = std::env::join_paths(std::iter::once(binary.to_owned()).chain(std::env::split_paths(&inherited)))
            .expect("PATH entries join");
        let mut command = Command::new(program);
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", path)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
            .env("GIT_DEFAULT_HASH", self.format.objects)
            .env("GIT_DEFAULT_REF_FORMAT", self.format.refs)
            .env("GIT_AUTHOR_DATE", DATE)
            .env("GIT_COMMITTER_DATE", DATE)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("NO_COLOR", "1")
            .env("LC_ALL", "C")
            .env("TZ", "UTC");
        let faked: Vec<_> = std::env::vars_os()
            .filter(|(key, _)| key.to_str().is_some_and(|key| key == "LD_PRELOAD" || key.starts_with("FAKETIME")))
            .collect();
        if !faked.is_empty() {
            // man's seccomp sandbox refuses the semaphore libfaketime opens in every program.
            command.envs(faked).env("MAN_DISABLE_SECCOMP", "1");
        }
        command
    }

    /// Runs git and returns its stdout; a failure fails the test.
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let output = self.command("git", dir).args(args).output().expect("git runs");
        assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("git prints UTF-8 here")
    }

    /// A new repository with one commit on `main`.
    pub fn repo(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        self.git(self.root.path(), &["init", "-q", name]);
        std::fs::write(dir.join("README"), "an application\n").expect("file can be written");
        self.git(&dir, &["add", "README"]);
        self.git(&dir, &["commit", "-q", "-m", "Start"]);
        dir
    }

    /// A new repository without commits.
    pub fn empty_repo(&self, name: &str, bare: bool) -> PathBuf {
        let mut args = vec!["init", "-q"];
        if bare {
            args.push("--bare");
        }
        args.push(name);
        self.git(self.root.path(), &args);
        self.path(name)
    }

    /// Commits `text` as `release.toml` on a new branch and checks it out.
    pub fn commit_release_file(&self, dir: &Path, branch: &str, text: &[u8]) {
        self.git(dir, &["checkout", "-q", "-B", branch]);
        std::fs::write(dir.join("release.toml"), text).expect("file can be written");
        self.git(dir, &["add", "release.toml"]);
        self.git(dir, &["commit", "-q", "-m", "Release file"]);
    }

    /// Runs `git-release` with arguments in `dir`.
    pub fn release(&self, dir: &Path, args: &[&str]) -> Transcript {
        self.release_with(dir, args, &[])
    }

    /// Runs `git-release` at `moment`, as its clock reads it.
    pub fn release_at(&self, dir: &Path, args: &[&str], moment: &str) -> Transcript {
        self.release_with(dir, args, &[("GIT_COMMITTER_DATE", moment)])
    }

    /// `git release` as a command not yet started, for running several at once.
    pub fn release_command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = self.command(env!("CARGO_BIN_EXE_git-release"), dir);
        command.args(args);
        command
    }

    /// Runs `git-release` with extra environment variables, as a CI system would set them.
    pub fn release_with(&self, dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Transcript {
        let mut command = self.release_command(dir, args);
        command.envs(vars.iter().copied());
        let output = command.output().expect("git-release runs");
        self.transcript(args, &output)
    }

    /// The transcript of a finished `git release` run.
    pub fn transcript(&self, args: &[&str], output: &std::process::Output) -> Transcript {
        Transcript {
            command: format!("git release {}", args.join(" ")),
            status: output.status.code().expect("exits with a status"),
            stdout: self.scrub(&String::from_utf8_lossy(&output.stdout)),
            stderr: self.scrub(&String::from_utf8_lossy(&output.stderr)),
        }
    }

    /// Everything a command could change: references, HEAD, index, work tree, local config.
    pub fn state(&self, dir: &Path) -> String {
        let mut state = self.git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"]);
        state.push_str(&self.git(dir, &["symbolic-ref", "-q", "HEAD"]));
        state.push_str(&self.git(dir, &["config", "--local", "--list"]));
        if self.git(dir, &["rev-parse", "--is-bare-repository"]).trim() == "false" {
            state.push_str(&self.git(dir, &["ls-files", "-s"]));
            state.push_str(&self.git(dir, &["status", "--porcelain", "--ignored"]));
            for entry in std::fs::read_dir(dir).expect("work tree is readable") {
                let path = entry.expect("entry is readable").path();
                if path.is_file() {
                    state.push_str(&format!(
                        "{}: {:?}\n",
                        path.display(),
                        std::fs::read(&path).expect("file is readable")
                    ));
                }
            }
        }
        state
    }

    /// A file on a branch, as committed.
    pub fn show(&self, dir: &Path, spec: &str) -> String {
        self.git(dir, &["show", spec])
    }

    fn scrub(&self, text: &str) -> String {
        let root = self.root.path().to_string_lossy().into_owned();
        let canonical = self.root.path().canonicalize().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        text.replace(&canonical, "<tmp>").replace(&root, "<tmp>")
    }
}

impl Transcript {
    /// Fails with the whole transcript unless the command exited with `status`.
    #[track_caller]
    pub fn expect_status(&self, status: i32) -> &Transcript {
        assert_eq!(self.status, status, "unexpected exit status:\n{self}");
        self
    }

    #[track_caller]
    pub fn expect_stderr(&self, needle: &str) -> &Transcript {
        assert!(self.stderr.contains(needle), "stderr lacks {needle:?}:\n{self}");
        self
    }

    #[track_caller]
    pub fn expect_stdout(&self, needle: &str) -> &Transcript {
        assert!(self.stdout.contains(needle), "stdout lacks {needle:?}:\n{self}");
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.command)?;
        writeln!(f, "[exit {}]", self.status)?;
        writeln!(f, "--- stdout")?;
        f.write_str(&self.stdout)?;
        writeln!(f, "--- stderr")?;
        f.write_str(&self.stderr)
    }
}

/// A one-repository release file with qa and a restricted prod after it.
pub const SHOP_FILE: &str = r#"version = "1.0.0"

[app]
repo = "."

[[environments]]
name = "qa"
branch = "environment/qa"
cut = "rc"

[[environments]]
name = "prod"
branch = "environment/prod"
cut = "final"
after = "qa"
restricted = true
"#;

/// A transcript as a snapshot keeps it: each object id (seven hex digits or more) as `<id>`, a
/// preview's six as `<hex>` (the fixtures commit at the moment they run, so their ids differ
/// from run to run), and a loopback port as `<port>`.
pub fn stable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let id = word.len() >= 7 && word.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        // An id abbreviated to seven digits, or a whole one, may be all decimal digits by chance.
        let lettered = word.bytes().any(|b| b.is_ascii_alphabetic()) || word.len() == 7 || word.len() >= 40;
        out.push_str(if id && lettered { "<id>" } else { word });
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    // A preview's name ends in six hex digits of the commits it pins.
    let hidden = after_each(&out, "test-my-thing-", "<hex>", |rest| {
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex == 6 { 6 } else { 0 }
    });
    after_each(&hidden, "127.0.0.1:", "<port>", |rest| rest.bytes().take_while(u8::is_ascii_digit).count())
}

/// `text` with what follows each `marker` replaced by `with`, for as many bytes as `length` says
/// (none: left as it is).
fn after_each(text: &str, marker: &str, with: &str, length: impl Fn(&str) -> usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let end = at + marker.len();
        out.push_str(&rest[..end]);
        let taken = length(&rest[end..]);
        out.push_str(if taken > 0 { with } else { "" });
        rest = &rest[end + taken..];
    }
    out.push_str(rest);
    out
}
