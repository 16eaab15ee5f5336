//! Writes go through the `git` binary, which honours the user's identity, signing and hooks.

use super::{Expect, GitCommand, GitError, Repo, TreeEntry};
use crate::object_id::ObjectId;

/// A compare-and-swap of one reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub name: String,
    pub new: ObjectId,
    pub old: Expect,
}

/// One reference to push, with the value the remote must still hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRef {
    pub source: ObjectId,
    pub destination: String,
    pub lease: Expect,
}

/// How a push ended, when git could talk to the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Pushed,
    /// The remote refused; each entry is a reference and git's reason, then what the remote said
    /// (its `remote:` lines, such as a hook's message).
    Rejected(Vec<(String, String)>, Vec<String>),
}

impl Repo {
    /// Stores bytes as a blob.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<ObjectId, GitError> {
        self.id_from(&GitCommand::new(["hash-object", "-w", "--stdin"]).stdin(bytes))
    }

    /// Stores a tree of the given entries.
    pub fn write_tree(&self, entries: &[TreeEntry]) -> Result<ObjectId, GitError> {
        self.id_from(&GitCommand::new(["mktree", "-z"]).stdin(mktree_input(entries)))
    }

    /// The id [`Repo::write_tree`] would give these entries, found without storing anything:
    /// `git mktree` writes into a throwaway objects directory. For dry runs.
    pub fn tree_id(&self, entries: &[TreeEntry]) -> Result<ObjectId, GitError> {
        let (command, _scratch) =
            self.writing_nothing(GitCommand::new(["mktree", "-z", "--missing"]).stdin(mktree_input(entries)))?;
        self.id_from(&command)
    }

    /// `command` made to write its objects into a throwaway objects directory that reads this
    /// repository's (or a push's quarantine view of them) through its alternates; the directory
    /// goes when the returned view is dropped, so it must outlive the command's run.
    fn writing_nothing(&self, command: GitCommand) -> Result<(GitCommand, super::quarantine::ObjectView), GitError> {
        let own = match &self.objects_view {
            Some(view) => view.path().to_owned(),
            None => self.common_dir().join("objects"),
        };
        let scratch = super::quarantine::ObjectView::scratch(&own)
            .map_err(|e| super::read_error("a throwaway objects directory")(Box::new(e)))?;
        let command = command.env("GIT_OBJECT_DIRECTORY", scratch.path()).env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &own);
        Ok((command, scratch))
    }

    /// Stores a commit with the user's identity (and signature, if they sign commits).
    pub fn write_commit(&self, tree: &ObjectId, parents: &[ObjectId], message: &str) -> Result<ObjectId, GitError> {
        let mut args = vec!["commit-tree".to_owned(), tree.to_string()];
        for parent in parents {
            args.extend(["-p".to_owned(), parent.to_string()]);
        }
        args.extend(["-F".to_owned(), "-".to_owned()]);
        self.id_from(&GitCommand::new(args).stdin(message))
    }

    /// Applies every update or none: one `git update-ref --stdin` transaction.
    pub fn update_refs(&self, updates: &[RefUpdate], reflog: &str) -> Result<(), GitError> {
        let mut script = String::from("start\n");
        for update in updates {
            match &update.old {
                Expect::Absent => script.push_str(&format!("create {} {}\n", update.name, update.new)),
                Expect::At(old) => script.push_str(&format!("update {} {} {old}\n", update.name, update.new)),
            }
        }
        script.push_str("prepare\ncommit\n");
        self.run(&GitCommand::new(["update-ref", "-m", reflog, "--stdin"]).stdin(script))?;
        Ok(())
    }

    /// Deletes a reference, only while it still points at `expected`.
    pub fn delete_ref(&self, name: &str, expected: &ObjectId, reflog: &str) -> Result<(), GitError> {
        self.run(&GitCommand::new(["update-ref", "-m", reflog, "-d", name, expected.as_str()]))?;
        Ok(())
    }

    /// The committer time of a commit, in seconds since the epoch.
    pub fn commit_seconds(&self, commit: &ObjectId) -> Result<i64, GitError> {
        let output = self.run(&GitCommand::new(["show", "-s", "--format=%ct", commit.as_str()]))?;
        Ok(output.stdout.trim().parse().unwrap_or_default())
    }

    /// Sets a value in the repository's own configuration.
    pub fn set_config(&self, key: &str, value: &str) -> Result<(), GitError> {
        self.run(&GitCommand::new(["config", "--local", key, value]))?;
        Ok(())
    }

    /// Whether a path differs between HEAD, the index and the work tree.
    pub fn is_dirty(&self, path: &str) -> Result<bool, GitError> {
        let output = self.run(&GitCommand::new(["status", "--porcelain", "--untracked-files=no", "--", path]))?;
        Ok(!output.stdout.trim().is_empty())
    }

    /// Points the index entry of a top-level file at a blob, leaving every other entry as it was.
    pub fn stage(&self, file: &TreeEntry) -> Result<(), GitError> {
        let path = String::from_utf8_lossy(&file.name);
        self.run(&GitCommand::new([
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("{},{},{path}", file.mode, file.id),
        ]))?;
        Ok(())
    }

    /// Pushes all references atomically, each with its lease.
    pub fn push(&self, remote: &str, refs: &[PushRef]) -> Result<PushOutcome, GitError> {
        let mut args = vec!["push".to_owned(), "--porcelain".to_owned(), "--atomic".to_owned()];
        for push in refs {
            let expected = match &push.lease {
                Expect::Absent => String::new(),
                Expect::At(id) => id.to_string(),
            };
            args.push(format!("--force-with-lease={}:{expected}", push.destination));
        }
        args.extend(["--".to_owned(), remote.to_owned()]);
        args.extend(refs.iter().map(|push| format!("{}:{}", push.source, push.destination)));
        let command = GitCommand::new(args);
        let output = self.output(&command)?;
        let rejected = rejections(&output.stdout);
        match (output.success, rejected.is_empty()) {
            (true, _) => Ok(PushOutcome::Pushed),
            (false, false) => Ok(PushOutcome::Rejected(rejected, remote_lines(&output.stderr))),
            // The pre-push hook here declined: git says nothing of the refs, only what it printed.
            (false, true) if output.stdout.trim().is_empty() && declined_here(&output.stderr) => {
                let refs = refs.iter().map(|p| (p.destination.clone(), "[rejected] (pre-push hook declined)".into()));
                let said =
                    output.stderr.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("error: failed to push"));
                Ok(PushOutcome::Rejected(refs.collect(), said.map(|l| format!("pre-push hook: {l}")).collect()))
            }
            (false, true) => Err(GitError::Failed { command: command.display(), stderr: output.stderr }),
        }
    }

    /// The paths that conflict when `theirs` is merged into `ours`; empty when it merges cleanly.
    /// Writes nothing here: `git merge-tree --write-tree` writes the merged objects into a
    /// throwaway objects directory that reads this repository's through its alternates.
    pub fn merge_conflicts(&self, ours: &ObjectId, theirs: &ObjectId) -> Result<Vec<String>, GitError> {
        let (command, _scratch) = self.writing_nothing(
            GitCommand::new(["merge-tree", "--write-tree", "--name-only", "--no-messages"])
                .arg(ours.to_string())
                .arg(theirs.to_string()),
        )?;
        let output = self.output(&command)?;
        if output.success {
            return Ok(Vec::new());
        }
        // Conflicts fail quietly: the first line is the tree, the conflicted paths follow.
        if !output.stderr.trim().is_empty() {
            return Err(GitError::Failed { command: command.display(), stderr: output.stderr });
        }
        let mut paths: Vec<String> =
            output.stdout.lines().skip(1).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        paths.dedup();
        Ok(paths)
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &ObjectId, descendant: &ObjectId) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        let args = ["merge-base", "--is-ancestor", ancestor.as_str(), descendant.as_str()];
        Ok(self.output(&GitCommand::new(args))?.success)
    }

    /// Every best common ancestor of `a` and `b` (`git merge-base --all`): more than one where
    /// their histories cross.
    pub fn merge_bases(&self, a: &ObjectId, b: &ObjectId) -> Result<Vec<ObjectId>, GitError> {
        let command = GitCommand::new(["merge-base", "--all", a.as_str(), b.as_str()]);
        let output = self.output(&command)?;
        if !output.success && !output.stderr.trim().is_empty() {
            return Err(GitError::Failed { command: command.display(), stderr: output.stderr });
        }
        Ok(output.stdout.lines().filter_map(ObjectId::from_hex).collect())
    }

    /// A commit's parents, in order.
    pub fn commit_parents(&self, commit: &ObjectId) -> Result<Vec<ObjectId>, GitError> {
        let output = self.run(&GitCommand::new(["rev-list", "--parents", "-n", "1", commit.as_str(), "--"]))?;
        Ok(output.stdout.split_whitespace().skip(1).filter_map(ObjectId::from_hex).collect())
    }

    /// The best common ancestor of every one of `commits` (`git merge-base --octopus`); `None`
    /// when they share no history.
    pub fn merge_base(&self, commits: &[ObjectId]) -> Result<Option<ObjectId>, GitError> {
        if let [only] = commits {
            return Ok(Some(only.clone()));
        }
        let mut args = vec!["merge-base".to_owned(), "--octopus".to_owned()];
        args.extend(commits.iter().map(ToString::to_string));
        let command = GitCommand::new(args);
        let output = self.output(&command)?;
        if !output.success {
            // Exit 1 without a word: no common ancestor. Anything said is a failure.
            if output.stderr.trim().is_empty() {
                return Ok(None);
            }
            return Err(GitError::Failed { command: command.display(), stderr: output.stderr });
        }
        ObjectId::from_hex(output.stdout.trim()).map(Some).ok_or(GitError::NotAnId { output: output.stdout })
    }

    /// For each of `candidates`, whether it is `head` or one of its ancestors: in this process,
    /// with one graph of the history shared by every question.
    ///
    /// # Errors
    /// When the history cannot be read.
    pub fn ancestors_of(&self, head: &ObjectId, candidates: &[&ObjectId]) -> Result<Vec<bool>, GitError> {
        // A shallow history ends where git says it does, and an odd one is git's to judge: one
        // `git merge-base --is-ancestor` each, as before.
        let by_git = || candidates.iter().map(|candidate| self.is_ancestor(candidate, head)).collect();
        if self.is_shallow() {
            return by_git();
        }
        self.ancestors_in_process(head, candidates).or_else(|_| by_git())
    }

    fn ancestors_in_process(&self, head: &ObjectId, candidates: &[&ObjectId]) -> Result<Vec<bool>, GitError> {
        let history = |e| super::read_error("the history")(Box::new(e));
        let tip = super::from_id(head)?;
        let cache =
            self.repo.commit_graph_if_enabled().map_err(|e| super::read_error("the commit-graph")(Box::new(e)))?;
        let mut graph = self.repo.revision_graph(cache.as_ref());
        let mut found = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            let candidate = super::from_id(candidate)?;
            let base = if candidate == tip {
                Some(tip)
            } else {
                self.repo.merge_base_with_graph(candidate, tip, &mut graph).map_err(history)?.map(gix::Id::detach)
            };
            found.push(base == Some(candidate));
        }
        Ok(found)
    }

    /// How many commits are reachable from `to` and not from `from`.
    pub fn count_between(&self, from: &ObjectId, to: &ObjectId) -> Result<u64, GitError> {
        let command = GitCommand::new(["rev-list", "--count", to.as_str()]).arg(format!("^{from}")).arg("--");
        let output = self.run(&command)?;
        output.stdout.trim().parse().map_err(|_| GitError::NotACount { output: output.stdout })
    }

    /// The commits reachable from `to` and not from `from`, newest first, at most `limit`:
    /// `(id, message)`.
    pub fn commits_between(
        &self,
        from: Option<&ObjectId>,
        to: &ObjectId,
        limit: usize,
    ) -> Result<Vec<(ObjectId, String)>, GitError> {
        let mut command = GitCommand::new(["log", "--format=%H%x00%B%x1e", "--no-color"])
            .arg(format!("--max-count={limit}"))
            .arg(to.as_str());
        if let Some(from) = from {
            command = command.arg(format!("^{from}"));
        }
        let listing = self.run(&command.arg("--"))?.stdout;
        Ok(listing
            .split('\x1e')
            .filter_map(|entry| {
                let (id, message) = entry.trim_start_matches('\n').split_once('\0')?;
                Some((ObjectId::from_hex(id)?, message.trim_end().to_owned()))
            })
            .collect())
    }

    /// The committer times (seconds since the epoch) of the commits reachable from `to` and not
    /// from `from`, newest first, at most `limit`.
    pub fn commit_times_between(
        &self,
        from: Option<&ObjectId>,
        to: &ObjectId,
        limit: usize,
    ) -> Result<Vec<i64>, GitError> {
        let mut command =
            GitCommand::new(["log", "--format=%ct", "--no-color"]).arg(format!("--max-count={limit}")).arg(to.as_str());
        if let Some(from) = from.filter(|from| *from != to) {
            command = command.arg(format!("^{from}"));
        } else if from.is_some() {
            return Ok(Vec::new());
        }
        let listing = self.run(&command.arg("--"))?.stdout;
        Ok(listing.lines().filter_map(|line| line.trim().parse().ok()).collect())
    }

    /// The worktree that has `branch` checked out, if any.
    pub fn worktree_with_branch(&self, branch: &str) -> Result<Option<std::path::PathBuf>, GitError> {
        let listing = self.run(&GitCommand::new(["worktree", "list", "--porcelain"]))?.stdout;
        let wanted = format!("branch refs/heads/{branch}");
        let mut path = None;
        for line in listing.lines() {
            if let Some(worktree) = line.strip_prefix("worktree ") {
                path = Some(std::path::PathBuf::from(worktree));
            } else if line == wanted {
                return Ok(path);
            }
        }
        Ok(None)
    }

    fn id_from(&self, command: &GitCommand) -> Result<ObjectId, GitError> {
        let output = self.run(command)?;
        ObjectId::from_hex(&output.stdout).ok_or(GitError::NotAnId { output: output.stdout })
    }
}

/// What the remote printed during a push, each line with git's `remote: ` prefix.
fn remote_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|line| line.strip_prefix("remote: ").is_some_and(|l| !l.trim().is_empty()))
        .map(|line| line.trim_end().to_owned())
        .collect()
}

/// `git mktree -z`'s input: `<mode> <type> <id>\t<name>\0` for each entry.
fn mktree_input(entries: &[TreeEntry]) -> Vec<u8> {
    let mut input = Vec::new();
    for entry in entries {
        input.extend_from_slice(format!("{} {} {}\t", entry.mode, entry.kind, entry.id).as_bytes());
        input.extend_from_slice(&entry.name);
        input.push(0);
    }
    input
}

/// What a remote (`remote: ` lines) or this repository's pre-push hook (`pre-push hook: `
/// lines) said of a refused push, read as git and git-release print errors: each `error:` line
/// and any other line a cause named after who said it, each `caused by:` line under it a cause
/// of its own, each `hint:` line a hint. Returns `(causes, hints)`.
#[must_use]
pub fn refusal(remote: &str, said: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut causes, mut hints) = (Vec::new(), Vec::new());
    for line in said {
        let (who, text) = if let Some(text) = line.strip_prefix("remote: ") {
            (remote, text)
        } else if let Some(text) = line.strip_prefix("pre-push hook: ") {
            ("pre-push hook", text)
        } else {
            causes.push(line.clone());
            continue;
        };
        let text = text.trim_end();
        if let Some(cause) = text.trim_start().strip_prefix("caused by: ") {
            causes.push(cause.to_owned());
        } else if let Some(hint) = text.strip_prefix("hint: ") {
            hints.push(hint.to_owned());
        } else {
            let text = text.strip_prefix("error: ").unwrap_or(text);
            causes.push(format!("{who}: {text}"));
        }
    }
    (causes, hints)
}

#[must_use]
/// Whether every rejection of a push (`(reference, git's reason)`) lost a race: the name was taken
/// or moved meanwhile, rather than refused by a hook or a protection rule. Only then is looking
/// again the answer.
pub fn lost_race(refs: &[(String, String)]) -> bool {
    // A remote that loses the race inside its own ref transaction says so in other words.
    let reasons = [
        "stale info",
        "already exists",
        "fetch first",
        "atomic push failed",
        "atomic transaction failed",
        "failed to update ref",
        "failed to lock",
    ];
    refs.iter().all(|(_, why)| reasons.iter().any(|reason| why.contains(reason)))
        && refs.iter().any(|(_, why)| !why.contains("atomic push failed"))
}

/// Whether a push that reported no reference failed in this repository's pre-push hook: git
/// gave up before sending, and not for want of the remote or its credentials.
fn declined_here(stderr: &str) -> bool {
    stderr.contains("error: failed to push some refs")
        && !super::unreachable(stderr)
        && !super::refused_credentials(stderr)
}

/// The `!` lines of `git push --porcelain`: `!\t<src>:<dst>\t[rejected] (<reason>)`.
fn rejections(porcelain: &str) -> Vec<(String, String)> {
    porcelain
        .lines()
        .filter_map(|line| line.strip_prefix("!\t"))
        .map(|line| {
            let mut fields = line.splitn(2, '\t');
            let refspec = fields.next().unwrap_or_default();
            let destination = refspec.rsplit(':').next().unwrap_or(refspec).to_owned();
            (destination, fields.next().unwrap_or_default().to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::rejections;

    #[test]
    fn reads_rejections_from_porcelain_push_output() {
        let output = "To /tmp/remote.git\n!\tabc:refs/heads/environment/qa\t[rejected] (stale info)\nDone\n";
        assert_eq!(
            rejections(output),
            vec![("refs/heads/environment/qa".to_owned(), "[rejected] (stale info)".to_owned())]
        );
    }
}
