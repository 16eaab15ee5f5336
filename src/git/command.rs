//! The one place that builds and runs `git` commands: never through a shell, always traced.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{GitError, redact};

/// A `git` invocation with its arguments and standard input.
#[derive(Debug, Clone)]
pub struct GitCommand {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
}

/// What a finished `git` command printed.
#[derive(Debug, Clone)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Why a git that a signal ended stopped, as a line of its own.
fn stopped_by(signal: i32) -> String {
    let why = match signal {
        9 => " (SIGKILL: killed from outside, or by the out-of-memory killer)",
        15 => " (SIGTERM: asked to stop from outside)",
        25 => " (SIGXFSZ: File too large: a file outgrew the file-size limit, `ulimit -f`)",
        _ => "",
    };
    format!("git was ended by signal {signal}{why}\n")
}

impl GitCommand {
    pub fn new<I, S>(args: I) -> GitCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        GitCommand { args: args.into_iter().map(Into::into).collect(), env: Vec::new(), stdin: None }
    }

    #[must_use]
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> GitCommand {
        self.stdin = Some(input.into());
        self
    }

    /// Adds one argument.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<OsString>) -> GitCommand {
        self.args.push(arg.into());
        self
    }

    /// Sets an environment variable for this command only.
    #[must_use]
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> GitCommand {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The command as a person would type it, with credentials in URLs masked.
    #[must_use]
    pub fn display(&self) -> String {
        let args = self.args.iter().map(|a| quote(&a.to_string_lossy())).collect::<Vec<_>>().join(" ");
        redact(&format!("git {args}"))
    }

    /// Runs the command in `dir`; a non-zero exit is returned, not raised. `isolated` keeps from
    /// it the variables that point git at a repository (a hook's `GIT_DIR`, a push's quarantine),
    /// for a repository other than the one this process was started for.
    pub(super) fn output(&self, dir: &Path, isolated: bool, trace: &dyn Fn(&str)) -> Result<Output, GitError> {
        trace(&self.display());
        let mut command = Command::new("git");
        if isolated {
            for key in REPOSITORY_VARIABLES {
                command.env_remove(key);
            }
        }
        let mut child = command
            .args(&self.args)
            .current_dir(dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| GitError::Spawn { source })?;
        if let Some(input) = &self.stdin {
            let mut pipe = child.stdin.take().expect("stdin was requested as a pipe");
            // A git that exits early closes the pipe; its exit status and stderr say why.
            let _ = pipe.write_all(input);
        }
        let output = child.wait_with_output().map_err(|source| GitError::Spawn { source })?;
        let mut stderr = redact(&String::from_utf8_lossy(&output.stderr));
        if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&output.status) {
            if !stderr.is_empty() && !stderr.ends_with('\n') {
                stderr.push('\n');
            }
            stderr.push_str(&stopped_by(signal));
        }
        Ok(Output {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        })
    }

    /// Runs the command in `dir`, outside any repository handle; a non-zero exit is returned.
    ///
    /// # Errors
    /// When git cannot be started.
    pub fn output_in(&self, dir: &Path) -> Result<Output, GitError> {
        self.output(dir, true, &|_| {})
    }

    /// Runs the command and fails unless it exits with 0.
    pub(super) fn run(&self, dir: &Path, isolated: bool, trace: &dyn Fn(&str)) -> Result<Output, GitError> {
        let output = self.output(dir, isolated, trace)?;
        if output.success {
            Ok(output)
        } else {
            Err(GitError::Failed { command: self.display(), stderr: output.stderr })
        }
    }
}

/// What `git rev-parse --local-env-vars` lists, and the quarantine of a push being received:
/// each points git at one repository's objects, references or configuration. Settings given as
/// `git -c` (`GIT_CONFIG_PARAMETERS`, `GIT_CONFIG_COUNT`) are meant for every repository and stay.
const REPOSITORY_VARIABLES: [&str; 15] = [
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
    "GIT_QUARANTINE_PATH",
    "GIT_NAMESPACE",
];

fn quote(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%^~".contains(&b));
    if plain { arg.to_owned() } else { format!("'{}'", arg.replace('\'', "'\\''")) }
}
