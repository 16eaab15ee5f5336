//! Talking to remotes through the `git` binary, which brings the user's credentials and SSH setup.

use std::path::{Path, PathBuf};

use super::{GitCommand, GitError, Repo, Trace};
use crate::object_id::ObjectId;

impl Repo {
    /// Creates a bare repository at `path` (and the folders above it) for copies of the
    /// repository at `url`, in that repository's object format (SHA-1 or SHA-256: git fetches
    /// nothing between the two), and opens it. Where `url` cannot be asked, git's default.
    pub fn init_bare_for(path: &Path, url: &str, trace: Trace) -> Result<Repo, GitError> {
        let parent = path.parent().unwrap_or(path);
        std::fs::create_dir_all(parent).map_err(|source| GitError::WriteFile { path: parent.to_owned(), source })?;
        let mut command = GitCommand::new(["init", "--bare", "--quiet"]);
        if let Some(format) = object_format_of(url, parent, &trace) {
            command = command.arg(format!("--object-format={format}"));
        }
        command.arg(path.as_os_str()).run(parent, true, &*trace)?;
        Repo::open_at(path, trace)
    }

    /// This worktree's own git folder (the common one outside linked worktrees).
    #[must_use]
    pub fn git_dir(&self) -> PathBuf {
        super::absolute(self.repo.git_dir())
    }

    /// Whether the repository's history is cut short (a shallow clone, as CI checks out).
    #[must_use]
    pub fn is_shallow(&self) -> bool {
        self.common_dir().join("shallow").is_file()
    }

    /// The folder shared by all worktrees: where git keeps refs and objects.
    #[must_use]
    pub fn common_dir(&self) -> PathBuf {
        super::absolute(self.repo.common_dir())
    }

    /// The user name and password git's credential helpers hold for `protocol://host`, asked
    /// without any prompt; `None` when no helper has one. The password is never traced.
    #[must_use]
    pub fn credential_fill(&self, protocol: &str, host: &str) -> Option<(Option<String>, String)> {
        let request = format!("protocol={protocol}\nhost={host}\n\n");
        let command = GitCommand::new(["credential", "fill"])
            .stdin(request)
            .env("GIT_ASKPASS", "true")
            .env("SSH_ASKPASS", "true");
        let output = command.output(self.command_dir(), self.isolated, &*self.trace).ok().filter(|o| o.success)?;
        let value = |key: &str| output.stdout.lines().find_map(|l| l.strip_prefix(key)).map(str::to_owned);
        let password = value("password=").filter(|p| !p.is_empty())?;
        Some((value("username=").filter(|u| !u.is_empty()), password))
    }

    /// The URL of a configured remote.
    #[must_use]
    pub fn remote_url(&self, remote: &str) -> Option<String> {
        self.config_string(&format!("remote.{remote}.url"))
    }

    /// Fetches exactly the given refspecs; `blobless` asks for commits and trees only, where the
    /// server allows it.
    pub fn fetch(&self, remote: &str, refspecs: &[String], blobless: bool) -> Result<(), GitError> {
        self.fetch_with(remote, refspecs, blobless, false)
    }

    /// Fetches exactly the given refspecs, commits and trees only where the server allows it,
    /// and drops every reference under their destinations that the remote no longer has.
    pub fn fetch_pruning(&self, remote: &str, refspecs: &[String]) -> Result<(), GitError> {
        self.fetch_with(remote, refspecs, true, true)
    }

    fn fetch_with(&self, remote: &str, refspecs: &[String], blobless: bool, prune: bool) -> Result<(), GitError> {
        let mut args: Vec<String> =
            ["fetch", "--no-tags", "--no-write-fetch-head", "--no-auto-maintenance"].map(str::to_owned).into();
        if blobless {
            args.push("--filter=blob:none".to_owned());
        }
        if prune {
            args.push("--prune".to_owned());
        }
        // `--`: a remote is sometimes a URL from a release file, never to be read as an option.
        args.extend(["--".to_owned(), remote.to_owned()]);
        args.extend(refspecs.iter().cloned());
        let command = GitCommand::new(args);
        // A fetch changes nothing on the remote: one an HTTP server failed (a 5xx, as a busy
        // git http-backend answers now and then) is simply asked again, twice at most.
        for pause in [100, 400] {
            match self.run(&command) {
                Err(GitError::Failed { stderr, .. }) if server_failed(&stderr) => {
                    std::thread::sleep(std::time::Duration::from_millis(pause));
                }
                done => return done.map(|_| ()),
            }
        }
        self.run(&command).map(|_| ())
    }

    /// The branch a remote's HEAD names, asked of the remote itself.
    pub fn remote_head(&self, remote: &str) -> Result<Option<String>, GitError> {
        let output = self.run(&GitCommand::new(["ls-remote", "--symref", "--", remote, "HEAD"]))?;
        Ok(output
            .stdout
            .lines()
            .filter_map(|line| line.strip_prefix("ref: refs/heads/"))
            .find_map(|rest| rest.strip_suffix("\tHEAD"))
            .map(str::to_owned))
    }

    /// The commits of the named references on a remote or URL, asked of it with `ls-remote`:
    /// `(reference, commit)` for each that exists.
    pub fn ls_remote(&self, remote: &str, references: &[String]) -> Result<Vec<(String, ObjectId)>, GitError> {
        self.ls_remote_with(Vec::new(), remote, references)
    }

    /// As [`Repo::ls_remote`], giving up on an http server that sends nothing for `seconds`:
    /// for a check that must come back, such as `doctor`'s.
    pub fn ls_remote_within(
        &self,
        remote: &str,
        references: &[String],
        seconds: u32,
    ) -> Result<Vec<(String, ObjectId)>, GitError> {
        let bounded = ["-c", "http.lowSpeedLimit=1", "-c", &format!("http.lowSpeedTime={seconds}")].map(str::to_owned);
        self.ls_remote_with(bounded.into(), remote, references)
    }

    fn ls_remote_with(
        &self,
        mut args: Vec<String>,
        remote: &str,
        references: &[String],
    ) -> Result<Vec<(String, ObjectId)>, GitError> {
        args.extend(["ls-remote".to_owned(), "--".to_owned(), remote.to_owned()]);
        args.extend(references.iter().cloned());
        let output = self.run(&GitCommand::new(args))?;
        Ok(output
            .stdout
            .lines()
            .filter_map(|line| {
                let (id, name) = line.split_once('\t')?;
                Some((name.to_owned(), ObjectId::from_hex(id)?))
            })
            .collect())
    }

    /// Fetches one refspec and drops the tracking references under it that the remote no
    /// longer has.
    pub fn fetch_pruned(&self, remote: &str, refspec: &str) -> Result<(), GitError> {
        let args =
            ["fetch", "--no-tags", "--prune", "--no-write-fetch-head", "--no-auto-maintenance", "--", remote, refspec];
        self.run(&GitCommand::new(args))?;
        Ok(())
    }

    /// Deletes a branch on a remote, only while it still points at `expected`.
    pub fn delete_remote_branch(&self, remote: &str, reference: &str, expected: &ObjectId) -> Result<(), GitError> {
        let lease = format!("--force-with-lease={reference}:{expected}");
        self.run(&GitCommand::new(["push", "--porcelain", &lease, "--", remote, &format!(":{reference}")]))?;
        Ok(())
    }
}

/// The object format of the repository at `url`, by the length of the ids it lists: its
/// branches, else its tags. `None` when it lists none or cannot be asked.
fn object_format_of(url: &str, dir: &Path, trace: &Trace) -> Option<&'static str> {
    for which in ["--heads", "--tags"] {
        let listed = GitCommand::new(["ls-remote", which, "--", url]).output(dir, true, &**trace).ok()?;
        if !listed.success {
            return None;
        }
        let id = listed.stdout.lines().next().and_then(|line| line.split('\t').next());
        match id.map(str::len) {
            Some(64) => return Some("sha256"),
            Some(40) => return Some("sha1"),
            Some(_) => return None,
            None => {}
        }
    }
    None
}

/// Whether git says the HTTP server failed the request (500 to 504), rather than refused it.
fn server_failed(stderr: &str) -> bool {
    ["500", "502", "503", "504"].iter().any(|code| {
        stderr.contains(&format!("RPC failed; HTTP {code}")) || stderr.contains(&format!("returned error: {code}"))
    })
}

#[cfg(test)]
mod tests {
    use super::server_failed;

    #[test]
    fn only_a_server_that_failed_is_asked_again() {
        let failed = "error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500\nfatal: expected flush after ref listing\n";
        assert!(server_failed(failed));
        assert!(server_failed("fatal: unable to access 'https://x/': The requested URL returned error: 503\n"));
        assert!(!server_failed("fatal: unable to access 'https://x/': The requested URL returned error: 403\n"));
        assert!(!server_failed("fatal: repository 'https://x/' not found\n"));
    }
}
