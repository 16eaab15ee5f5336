//! References in a repository whose references gix cannot read (`extensions.refStorage =
//! reftable`, git's default from 3.0): read through `git` itself. Objects are still read by gix,
//! which reads every object format git writes.

use super::{GitCommand, GitError, Repo, from_id, read_error, to_id};
use crate::object_id::ObjectId;

/// How this repository's references are stored, from `extensions.refStorage`.
pub(super) fn read_by_git(repo: &gix::Repository) -> bool {
    repo.config_snapshot().string("extensions.refStorage").is_some_and(|storage| storage.as_slice() != b"files")
}

/// One line of `for-each-ref` in [`FORMAT`]: the object named, the full name, and the commit an
/// annotated tag points to when it points straight at one.
pub(super) struct Listed<'a> {
    pub target: &'a str,
    pub name: &'a str,
    pub peeled: Option<&'a str>,
    /// It names no tag object.
    pub lightweight: bool,
}

/// `<object> <name> <type the tag points to>:<what it points to>`; names hold no spaces.
const FORMAT: &str = "--format=%(objectname) %(refname) %(*objecttype):%(*objectname)";

pub(super) fn parse(line: &str) -> Option<Listed<'_>> {
    let mut fields = line.splitn(3, ' ');
    let (target, name, pointed) = (fields.next()?, fields.next()?, fields.next()?);
    let peeled = pointed.strip_prefix("commit:");
    Some(Listed { target, name, peeled, lightweight: pointed == ":" })
}

impl Repo {
    /// `for-each-ref` of every reference under the folder holding `prefix`: the caller keeps
    /// those whose names start with `prefix` (git matches whole name components only).
    pub(super) fn list_by_git(&self, prefix: &str) -> Result<String, GitError> {
        let folder = prefix.rfind('/').map_or("refs/", |slash| &prefix[..=slash]);
        Ok(self.run(&GitCommand::new(["for-each-ref", FORMAT, "--end-of-options", folder]))?.stdout)
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
    fn reads_the_lines_git_lists_references_in() {
        let tag = parse("aaaa refs/tags/v1 commit:bbbb").expect("a line");
        assert_eq!((tag.target, tag.name, tag.peeled), ("aaaa", "refs/tags/v1", Some("bbbb")));
        let branch = parse("cccc refs/heads/main :").expect("a line");
        assert_eq!((branch.name, branch.peeled, branch.lightweight), ("refs/heads/main", None, true));
        assert!(!tag.lightweight);
        let nested = parse("dddd refs/tags/t tag:eeee").expect("a line");
        assert_eq!(nested.peeled, None, "a tag of a tag is peeled by reading its objects");
        assert!(parse("garbage").is_none());
    }
}
