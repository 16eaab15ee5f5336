//! References in a repository whose references gix cannot read (`extensions.refStorage =
//! reftable`, git's default from 3.0): read through `git` itself. Objects are still read by gix,
//! which reads every object format git writes.

use super::{GitCommand, GitError, Repo, from_id, read_error, to_id};
use crate::object_id::ObjectId;

/// How this repository's references are stored, from `extensions.refStorage`.
pub(super) fn read_by_git(repo: &gix::Repository) -> bool {
    repo.config_snapshot().string("extensions.refStorage").is_some_and(|storage| storage.as_slice() != b"files")
}

/// One reference as `git show-ref -d` lists it: the object named, the full name, and the
/// object an annotated tag peels to, which the reference store keeps (no tag object is read).
pub(super) struct Listed<'a> {
    pub target: &'a str,
    pub name: &'a str,
    pub peeled: Option<&'a str>,
    /// It names no tag object: no peeled line follows it.
    pub lightweight: bool,
}

/// The references of `show-ref -d` output: `<id> <name>`, each annotated tag followed by
/// `<peeled id> <name>^{}`.
pub(super) fn parse(listing: &str) -> impl Iterator<Item = Listed<'_>> {
    let mut lines = listing.lines().filter_map(|line| line.split_once(' ')).peekable();
    std::iter::from_fn(move || {
        loop {
            let (target, name) = lines.next()?;
            if name.ends_with("^{}") {
                continue;
            }
            let peeled = lines.next_if(|(_, next)| next.strip_suffix("^{}") == Some(name)).map(|(id, _)| id);
            return Some(Listed { target, name, peeled, lightweight: peeled.is_none() });
        }
    })
}

impl Repo {
    /// `show-ref -d` of every tag (for a prefix under `refs/tags/`), else of every reference:
    /// the caller keeps those whose names start with `prefix`. A tenth of `for-each-ref`'s time
    /// with `%(*objectname)`, which reads every tag object.
    pub(super) fn list_by_git(&self, prefix: &str) -> Result<String, GitError> {
        let mut command = GitCommand::new(["show-ref", "-d"]);
        if prefix.starts_with("refs/tags/") {
            command = command.arg("--tags");
        }
        // Nothing to list is exit 1, with nothing said.
        let output = self.output(&command)?;
        if output.success || output.stderr.trim().is_empty() {
            Ok(output.stdout)
        } else {
            Err(GitError::Failed { command: command.display(), stderr: output.stderr })
        }
    }

    /// The object a reference names, through any symbolic references; `None` when it is absent.
    pub(super) fn resolve_by_git(&self, name: &str) -> Result<Option<gix::ObjectId>, GitError> {
        let output = self.output(&GitCommand::new(["rev-parse", "-q", "--verify", "--end-of-options", name]))?;
        if !output.success {
            return Ok(None);
        }
        let id = ObjectId::from_hex(&output.stdout).ok_or(GitError::NotAnId { output: output.stdout.clone() })?;
        Ok(Some(from_id(&id)?))
    }

    /// The reference a symbolic reference points to; `None` when it is absent or not symbolic.
    pub(super) fn symbolic_by_git(&self, name: &str) -> Result<Option<String>, GitError> {
        let output = self.output(&GitCommand::new(["symbolic-ref", "-q", "--", name]))?;
        Ok(output.success.then(|| output.stdout.trim().to_owned()))
    }

    /// The commit an object peels to, through any chain of tags.
    pub(super) fn peel_to_commit(&self, id: gix::ObjectId, what: &str) -> Result<ObjectId, GitError> {
        let object = self.repo.find_object(id).map_err(|e| read_error(what)(e.into()))?;
        let commit = object.peel_to_commit().map_err(|e| read_error(what)(e.into()))?;
        Ok(to_id(commit.id))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_the_references_git_lists_with_their_peeled_ids() {
        let listing = "aaaa refs/tags/v1\nbbbb refs/tags/v1^{}\ncccc refs/heads/main\ndddd refs/tags/light\n";
        let listed: Vec<_> = parse(listing).map(|r| (r.target, r.name, r.peeled, r.lightweight)).collect();
        assert_eq!(
            listed,
            [
                ("aaaa", "refs/tags/v1", Some("bbbb"), false),
                ("cccc", "refs/heads/main", None, true),
                ("dddd", "refs/tags/light", None, true)
            ]
        );
        assert_eq!(parse("garbage").count(), 0);
    }
}
