//! The only module that reads repositories (through gix) or runs `git` (for writes and transport).

mod command;
mod packed;
mod quarantine;
mod refs;
mod sign;
mod sshsig;
mod tags;
mod transport;
mod write;

pub use command::{GitCommand, Output};
pub use packed::PackedStamp;
pub use sign::{Format, Signing};
pub use tags::{Dated, TagLine, TagObject, TagRef, read_date};
pub use write::{PushOutcome, PushRef, RefUpdate, lost_race, refusal};
// Plain data the pure modules own, named here too for the code that reads and writes git.
pub use crate::plan::{Expect, Ident, TreeEntry};
pub use crate::trust::Seal;

use std::path::{Path, PathBuf};

use crate::config::{Content, MAX_SIZE};
use crate::error::{Diagnostic, Kind};
use crate::object_id::ObjectId;
use crate::secret::redact;
use crate::trace::Trace;

/// Why reading or writing the repository failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{} is not inside a git repository", .path.display())]
    NotARepository { path: PathBuf, source: Box<gix::Error> },
    #[error("cannot read {what}")]
    Read { what: String, source: Box<dyn std::error::Error + Send + Sync> },
    #[error("cannot run git")]
    Spawn { source: std::io::Error },
    #[error("{}", what_failed(.command))]
    Failed { command: String, stderr: String },
    #[error("git printed `{output}` where an object id was expected")]
    NotAnId { output: String },
    #[error("git printed `{output}` where an identity and a date were expected")]
    NotAnIdent { output: String },
    #[error("git printed `{output}` where a count was expected")]
    NotACount { output: String },
    #[error("cannot write {}", .path.display())]
    WriteFile { path: PathBuf, source: std::io::Error },
    #[error("{program} could not sign the tag")]
    Sign { program: String, stderr: String },
}

impl Diagnostic for GitError {
    fn kind(&self) -> Kind {
        Kind::Git
    }

    fn causes(&self) -> Vec<String> {
        match self {
            GitError::Failed { stderr, .. } | GitError::Sign { stderr, .. } => {
                stderr.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
            }
            GitError::NotARepository { source, .. } => vec![source.to_string()],
            GitError::Read { source, .. } => vec![source.to_string()],
            GitError::Spawn { source } | GitError::WriteFile { source, .. } => vec![source.to_string()],
            GitError::NotAnId { .. } | GitError::NotAnIdent { .. } | GitError::NotACount { .. } => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            GitError::NotARepository { .. } => {
                vec!["run it inside a repository, or point at one with -C <path>".into()]
            }
            GitError::Spawn { .. } => vec!["install git and make sure it is on PATH".into()],
            GitError::Sign { program, .. } => vec![format!(
                "tag.gpgSign is on, so every tag is signed: check user.signingKey and gpg.format (`git tag -s` \
                 fails the same way), or that {program} is installed; where [trust] is not enforced, `git config tag.gpgSign \
                 false` stops signing"
            )],
            GitError::Failed { stderr, .. } if refused_credentials(stderr) => vec![
                "check the credentials git has for this remote: `git credential fill`, the credential helper, or an SSH key"
                    .into(),
            ],
            GitError::Failed { stderr, .. } if unreachable(stderr) => vec![
                "the remote could not be reached: check its address (`git remote -v`, or `app` in release.toml) and \
                 the network, then run the command again"
                    .into(),
            ],
            GitError::Failed { stderr, .. } if out_of_room(stderr) => vec![
                "git could not write a file: free disk space, or raise the file-size limit (`ulimit -f`), then run \
                 the command again"
                    .into(),
            ],
            GitError::Failed { stderr, .. } => held_lock(stderr)
                .map(|lock| {
                    vec![lock_hint(lock)]
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// What a failed git command was asked to do: for one that talks to a remote, what the user
/// asked of which remote (the exact command is in `-v`'s trace); else the command itself.
fn what_failed(command: &str) -> String {
    let words: Vec<&str> = command.split(' ').collect();
    let remote = words.iter().position(|w| *w == "--").and_then(|at| words.get(at + 1)).copied();
    match (words.get(1).copied(), remote) {
        (Some("push"), Some(remote)) => format!("cannot push to {remote}"),
        (Some("fetch"), Some(remote)) => format!("cannot fetch from {remote}"),
        (Some("ls-remote"), Some(remote)) => format!("cannot list the references of {remote}"),
        _ => format!("`{command}` failed"),
    }
}

/// What to do about a lock file that stands in git's way.
fn lock_hint(lock: &str) -> String {
    format!(
        "a git command was stopped while writing here, or another one is running: if none runs in this \
         repository, remove {lock} and run the command again"
    )
}

/// What to do about a lock file that stands in the way of a push on `remote`.
#[must_use]
pub fn remote_lock_hint(remote: &str, lock: &str) -> String {
    format!(
        "a git command on {remote} was stopped while writing, or another push is running: if none runs \
         there, remove {lock} and run this command again"
    )
}

/// The lock file a failed git command found in its way: `Unable to create '<path>.lock': File
/// exists`.
#[must_use]
pub fn held_lock(stderr: &str) -> Option<&str> {
    let (_, rest) = stderr.split_once("Unable to create '")?;
    let (path, rest) = rest.split_once('\'')?;
    let is_lock = Path::new(path).extension().is_some_and(|e| e == "lock");
    (is_lock && rest.starts_with(": File exists")).then_some(path)
}

/// Whether git failed because the remote refused or could not get credentials.
fn refused_credentials(stderr: &str) -> bool {
    ["Authentication failed", "could not read Username", "could not read Password", "Permission denied (publickey"]
        .iter()
        .any(|sign| stderr.contains(sign))
}

/// Git could not reach the remote: it is gone, misnamed, or the network is down.
fn unreachable(stderr: &str) -> bool {
    [
        "does not appear to be a git repository",
        "Could not read from remote repository",
        "Could not resolve host",
        "Failed to connect",
        "Connection refused",
        "repository not found",
        "not found: did you run git update-server-info",
    ]
    .iter()
    .any(|sign| stderr.contains(sign))
}

/// Git could not write a file: the disk is full, or a file-size limit stopped it.
fn out_of_room(stderr: &str) -> bool {
    ["No space left on device", "File too large", "Disk quota exceeded"].iter().any(|sign| stderr.contains(sign))
}

fn read_error(what: impl Into<String>) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> GitError {
    let what = what.into();
    move |source| GitError::Read { what, source }
}

/// The four sorts of git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Commit,
    Tag,
    Tree,
    Blob,
}

/// Where a branch was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchTip {
    /// `refs/heads/<branch>`.
    Local(ObjectId),
    /// Only `refs/remotes/<remote>/<branch>`.
    Remote {
        remote: String,
        id: ObjectId,
    },
    Missing,
}

impl BranchTip {
    #[must_use]
    pub fn id(&self) -> Option<&ObjectId> {
        match self {
            BranchTip::Local(id) | BranchTip::Remote { id, .. } => Some(id),
            BranchTip::Missing => None,
        }
    }
}

/// How many bytes of objects a repository keeps once read: a command judging many environments
/// reads the same few commits and trees again for each.
const OBJECT_CACHE: usize = 4 << 20;

/// A blob's id and its bytes.
type KeptFile = (gix::ObjectId, Vec<u8>);

/// An open repository and the way to report the git commands run in it.
#[derive(Clone)]
#[expect(clippy::struct_field_names, reason = "a repository around a gix repository")]
pub struct Repo {
    repo: gix::Repository,
    trace: Trace,
    /// Kept while the repository reads through it.
    objects_view: Option<std::rc::Rc<quarantine::ObjectView>>,
    /// The loose tags, listed once, when a command that writes no tags asked for it; shared by
    /// clones.
    loose_tags: std::rc::Rc<std::cell::RefCell<tags::LooseTags>>,
    /// Opened at its exact path: the variables that point git at the repository this process
    /// was started for (a hook's `GIT_DIR`, a push's quarantine) are not this one's.
    isolated: bool,
    /// References are stored where gix cannot read them (reftable): `git` reads them.
    refs_by_git: bool,
    /// The repository whose git settings say how tags written here are signed.
    signing_from: Option<std::rc::Rc<Repo>>,
    /// How tags written here are signed, once asked; shared by clones.
    signing: std::rc::Rc<std::cell::OnceCell<Option<Signing>>>,
    /// The last few files [`Repo::read_top_file`] read, by blob id: the environment branches
    /// of a project mostly hold the same release file, read once per environment otherwise.
    files: std::rc::Rc<std::cell::RefCell<Vec<KeptFile>>>,
}

impl Repo {
    /// Finds the repository containing `dir`, honouring `GIT_DIR` and friends.
    ///
    /// # Errors
    /// When `dir` is not inside a repository.
    pub fn discover(dir: &Path, trace: Trace) -> Result<Repo, GitError> {
        let mut repo = gix::discover_with_environment_overrides(dir)
            .map_err(|source| GitError::NotARepository { path: absolute(dir), source: Box::new(source) })?;
        let objects = repo.common_dir().join("objects");
        let read = |e: std::io::Error| read_error("the objects of a push in quarantine")(e.into());
        let view = quarantine::ObjectView::from_environment(&objects).map_err(read)?;
        if let Some(view) = &view {
            let handle = gix::odb::at(view.path(), repo.object_hash()).map_err(read)?;
            repo.objects = gix::odb::memory::Proxy::from(handle).with_write_passthrough();
        } else {
            repo.object_cache_size_if_unset(OBJECT_CACHE);
        }
        Ok(Repo {
            refs_by_git: refs::read_by_git(&repo),
            repo,
            trace,
            objects_view: view.map(std::rc::Rc::new),
            loose_tags: std::rc::Rc::default(),
            isolated: false,
            signing_from: None,
            signing: std::rc::Rc::default(),
            files: std::rc::Rc::default(),
        })
    }

    /// Opens the repository at exactly `dir` (its work tree or git directory), whatever
    /// `GIT_DIR` and its kin say: for a repository other than the one this process runs for,
    /// such as an application cache read from a release repository's hook.
    ///
    /// # Errors
    /// When `dir` holds no repository.
    pub fn open_at(dir: &Path, trace: Trace) -> Result<Repo, GitError> {
        let mut repo = gix::open_opts(dir, gix::open::Options::isolated())
            .map_err(|source| GitError::NotARepository { path: absolute(dir), source: Box::new(source) })?;
        repo.object_cache_size_if_unset(OBJECT_CACHE);
        Ok(Repo {
            refs_by_git: refs::read_by_git(&repo),
            repo,
            trace,
            objects_view: None,
            loose_tags: std::rc::Rc::default(),
            isolated: true,
            signing_from: None,
            signing: std::rc::Rc::default(),
            files: std::rc::Rc::default(),
        })
    }

    #[must_use]
    pub fn is_bare(&self) -> bool {
        self.repo.is_bare()
    }

    #[must_use]
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The trace this repository reports commands to, for opening another.
    #[must_use]
    pub fn trace(&self) -> Trace {
        self.trace.clone()
    }

    /// The directory git commands run in: the work tree, or the git directory of a bare repository.
    #[must_use]
    pub fn command_dir(&self) -> &Path {
        self.repo.workdir().unwrap_or_else(|| self.repo.git_dir())
    }

    /// The branch HEAD points to, born or not; `None` when detached.
    pub fn head_branch(&self) -> Result<Option<String>, GitError> {
        if self.refs_by_git {
            let name = self.symbolic_by_git("HEAD")?;
            return Ok(name.and_then(|n| n.strip_prefix("refs/heads/").map(str::to_owned)));
        }
        let name = self.repo.head_name().map_err(|e| read_error("HEAD")(e.into()))?;
        Ok(name.and_then(|n| n.as_bstr().to_string().strip_prefix("refs/heads/").map(str::to_owned)))
    }

    /// The commit HEAD points to; `None` in a repository without commits.
    pub fn head_commit(&self) -> Result<Option<ObjectId>, GitError> {
        if self.refs_by_git {
            let Some(id) = self.resolve_by_git("HEAD")? else { return Ok(None) };
            return self.peel_to_commit(id, "HEAD").map(Some);
        }
        let mut head = self.repo.head().map_err(|e| read_error("HEAD")(e.into()))?;
        if head.is_unborn() {
            return Ok(None);
        }
        let commit = head.peel_to_commit().map_err(|e| read_error("HEAD")(e.into()))?;
        Ok(Some(to_id(commit.id)))
    }

    /// The commit a full reference name points to, peeled through tags.
    pub fn reference(&self, name: &str) -> Result<Option<ObjectId>, GitError> {
        if self.refs_by_git {
            let Some(id) = self.resolve_by_git(name)? else { return Ok(None) };
            return self.peel_to_commit(id, name).map(Some);
        }
        let found = self.repo.try_find_reference(name).map_err(|e| read_error(name)(e.into()))?;
        let Some(mut reference) = found else { return Ok(None) };
        let commit = reference.peel_to_commit().map_err(|e| read_error(name)(e.into()))?;
        Ok(Some(to_id(commit.id)))
    }

    /// A branch, locally or else as the remote's tracking branch.
    pub fn branch_tip(&self, branch: &str, remote: &str) -> Result<BranchTip, GitError> {
        if let Some(id) = self.reference(&format!("refs/heads/{branch}"))? {
            return Ok(BranchTip::Local(id));
        }
        match self.reference(&format!("refs/remotes/{remote}/{branch}"))? {
            Some(id) => Ok(BranchTip::Remote { remote: remote.to_owned(), id }),
            None => Ok(BranchTip::Missing),
        }
    }

    /// As [`Repo::branch_tip`], but the remote-tracking branch before the local one.
    pub fn remote_branch_tip(&self, branch: &str, remote: &str) -> Result<BranchTip, GitError> {
        match self.reference(&format!("refs/remotes/{remote}/{branch}"))? {
            Some(id) => Ok(BranchTip::Remote { remote: remote.to_owned(), id }),
            None => self.branch_tip(branch, remote),
        }
    }

    /// The branch `refs/remotes/<remote>/HEAD` names, without the remote prefix.
    pub fn remote_default_branch(&self, remote: &str) -> Result<Option<String>, GitError> {
        let name = format!("refs/remotes/{remote}/HEAD");
        let prefix = format!("refs/remotes/{remote}/");
        if self.refs_by_git {
            let target = self.symbolic_by_git(&name)?;
            return Ok(target.and_then(|t| t.strip_prefix(&prefix).map(str::to_owned)));
        }
        let found = self.repo.try_find_reference(name.as_str()).map_err(|e| read_error(&name)(e.into()))?;
        let target = found.and_then(|r| match r.target() {
            gix::refs::TargetRef::Symbolic(target) => Some(target.as_bstr().to_string()),
            gix::refs::TargetRef::Object(_) => None,
        });
        Ok(target.and_then(|t| t.strip_prefix(&prefix).map(str::to_owned)))
    }

    /// A revision as `git rev-parse` reads it, peeled to a commit.
    pub fn rev_parse_commit(&self, rev: &str) -> Result<ObjectId, GitError> {
        if self.refs_by_git {
            let what = format!("revision `{rev}`");
            let Some(id) = self.resolve_by_git(rev)? else {
                return Err(read_error(what)(format!("git knows no revision `{rev}` here").into()));
            };
            return self.peel_to_commit(id, &what);
        }
        let id = self.repo.rev_parse_single(rev).map_err(|e| read_error(format!("revision `{rev}`"))(e.into()))?;
        let object = id.object().map_err(|e| read_error(format!("revision `{rev}`"))(e.into()))?;
        let commit = object.peel_to_commit().map_err(|e| read_error(format!("revision `{rev}`"))(e.into()))?;
        Ok(to_id(commit.id))
    }

    /// A string from git's configuration.
    #[must_use]
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.repo.config_snapshot().string(key).map(|v| v.to_string())
    }

    /// A file at the top of a commit's tree; `None` when the commit has no such file.
    pub fn read_top_file(&self, commit: &ObjectId, name: &str) -> Result<Option<Content>, GitError> {
        let what = || format!("{name} in commit {}", commit.short());
        let Some(entry) = self.top_entries(commit)?.into_iter().find(|e| e.name == name.as_bytes() && e.is_file())
        else {
            return Ok(None);
        };
        let id = from_id(&entry.id)?;
        if let Some((_, bytes)) = self.files.borrow().iter().find(|(kept, _)| *kept == id) {
            return Ok(Some(Content::Bytes(bytes.clone())));
        }
        let header = self.repo.find_header(id).map_err(|e| read_error(what())(e.into()))?;
        if header.size() > MAX_SIZE {
            return Ok(Some(Content::TooLarge(header.size())));
        }
        let blob = self.repo.find_blob(id).map_err(|e| read_error(what())(e.into()))?;
        let mut files = self.files.borrow_mut();
        if files.len() == 4 {
            files.remove(0);
        }
        files.push((id, blob.data.clone()));
        Ok(Some(Content::Bytes(blob.data.clone())))
    }

    /// A text file anywhere in a commit's tree; `None` when it is not there or not text.
    pub fn read_path(&self, commit: &ObjectId, path: &str) -> Result<Option<String>, GitError> {
        let spec = format!("{commit}:{path}");
        let output = self.output(&GitCommand::new(["cat-file", "-e", &spec]))?;
        if !output.success {
            return Ok(None);
        }
        let text = self.run(&GitCommand::new(["cat-file", "blob", &spec]))?;
        Ok(Some(text.stdout))
    }

    /// The oldest commit in `tip`'s history that adds `path` (a merge never does: it takes the
    /// file from a parent); `None` when none does.
    pub fn first_adding(&self, tip: &ObjectId, path: &str) -> Result<Option<ObjectId>, GitError> {
        let args = ["log", "--format=%H", "--diff-filter=A", "--full-history", "--reverse", tip.as_str(), "--", path];
        let output = self.run(&GitCommand::new(args))?;
        Ok(output.stdout.lines().next().and_then(ObjectId::from_hex))
    }

    /// The tree a commit records.
    pub fn commit_tree(&self, commit: &ObjectId) -> Result<ObjectId, GitError> {
        let what = || format!("commit {}", commit.short());
        let commit = self.repo.find_commit(from_id(commit)?).map_err(|e| read_error(what())(e.into()))?;
        let tree = commit.tree_id().map_err(|e| read_error(what())(e.into()))?;
        Ok(to_id(tree.detach()))
    }

    /// A commit's message, as written (lossily decoded where it is not UTF-8).
    pub fn commit_message(&self, commit: &ObjectId) -> Result<String, GitError> {
        let what = || format!("commit {}", commit.short());
        let commit = self.repo.find_commit(from_id(commit)?).map_err(|e| read_error(what())(e.into()))?;
        let message = commit.message_raw().map_err(|e| read_error(what())(e.into()))?;
        Ok(String::from_utf8_lossy(message).into_owned())
    }

    /// What sort of object an id names; `None` when it is not here.
    pub fn object_kind(&self, id: &ObjectId) -> Result<Option<ObjectKind>, GitError> {
        let what = || format!("object {}", id.short());
        let Some(header) = self.repo.try_find_header(from_id(id)?).map_err(|e| read_error(what())(e.into()))? else {
            return Ok(None);
        };
        Ok(Some(match header.kind() {
            gix::object::Kind::Commit => ObjectKind::Commit,
            gix::object::Kind::Tag => ObjectKind::Tag,
            gix::object::Kind::Tree => ObjectKind::Tree,
            gix::object::Kind::Blob => ObjectKind::Blob,
        }))
    }

    /// Whether the object exists here.
    #[must_use]
    pub fn has_object(&self, id: &ObjectId) -> bool {
        from_id(id).is_ok_and(|id| self.repo.has_object(id))
    }

    /// The entries at the top of a commit's tree, as `git mktree` takes them.
    pub fn top_entries(&self, commit: &ObjectId) -> Result<Vec<TreeEntry>, GitError> {
        let what = || format!("the tree of commit {}", commit.short());
        let commit = self.repo.find_commit(from_id(commit)?).map_err(|e| read_error(what())(e.into()))?;
        let tree = commit.tree().map_err(|e| read_error(what())(e.into()))?;
        let decoded = tree.decode().map_err(|e| read_error(what())(e.into()))?;
        Ok(decoded
            .entries
            .iter()
            .map(|entry| TreeEntry {
                mode: format!("{:o}", entry.mode),
                kind: entry_kind(entry.mode),
                id: to_id(entry.oid.to_owned()),
                name: entry.filename.to_vec(),
            })
            .collect())
    }

    /// The shortest unambiguous abbreviation of an id (at least seven digits).
    #[must_use]
    pub fn short_id(&self, id: &ObjectId) -> String {
        from_id(id).map_or_else(
            |_| id.short().to_owned(),
            |oid| gix::prelude::ObjectIdExt::attach(oid, &self.repo).shorten_or_id().to_string(),
        )
    }

    /// Runs a git command in this repository and fails unless it succeeds.
    pub fn run(&self, command: &GitCommand) -> Result<command::Output, GitError> {
        command.run(self.command_dir(), self.isolated, &*self.trace)
    }

    fn output(&self, command: &GitCommand) -> Result<command::Output, GitError> {
        command.output(self.command_dir(), self.isolated, &*self.trace)
    }
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).map_or_else(|_| dir.to_owned(), |path| path.components().collect())
}

fn entry_kind(mode: gix::objs::tree::EntryMode) -> &'static str {
    if mode.is_tree() {
        "tree"
    } else if mode.is_commit() {
        "commit"
    } else {
        "blob"
    }
}

fn to_id(id: gix::ObjectId) -> ObjectId {
    ObjectId::from_hex(&id.to_string()).expect("gix prints full hex ids")
}

fn from_id(id: &ObjectId) -> Result<gix::ObjectId, GitError> {
    gix::ObjectId::from_hex(id.as_str().as_bytes()).map_err(|_| GitError::NotAnId { output: id.to_string() })
}

impl Repo {
    /// Every reference under a prefix, with the object it names (unpeeled), sorted by name.
    pub fn refs_under(&self, prefix: &str) -> Result<Vec<(String, ObjectId)>, GitError> {
        if self.refs_by_git {
            let listed = self.list_by_git(prefix)?;
            let mut found: Vec<_> = refs::parse(&listed)
                .filter(|r| r.name.starts_with(prefix))
                .filter_map(|r| Some((r.name.to_owned(), ObjectId::from_hex(r.target)?)))
                .collect();
            found.sort();
            return Ok(found);
        }
        let platform = self.repo.references().map_err(|e| read_error(prefix)(e.into()))?;
        let iter = platform.prefixed(prefix).map_err(|e| read_error(prefix)(e.into()))?;
        let mut found = Vec::new();
        for reference in iter {
            let reference = reference.map_err(|e| read_error(prefix)(e.into()))?;
            if let Some(id) = reference.target().try_id() {
                found.push((reference.name().as_bstr().to_string(), to_id(id.to_owned())));
            }
        }
        found.sort();
        Ok(found)
    }

    /// Every reference under a prefix such as `refs/remotes/origin/`, with the commit it names,
    /// sorted by name.
    pub fn commits_under(&self, prefix: &str) -> Result<Vec<(String, ObjectId)>, GitError> {
        if self.refs_by_git {
            let mut found = Vec::new();
            let listing = self.list_by_git(prefix)?;
            for listed in refs::parse(&listing) {
                let Some(id) = ObjectId::from_hex(listed.target) else { continue };
                if listed.name.starts_with(prefix)
                    && let Ok(commit) = self.peel_to_commit(from_id(&id)?, listed.name)
                {
                    found.push((listed.name.to_owned(), commit));
                }
            }
            found.sort();
            return Ok(found);
        }
        let platform = self.repo.references().map_err(|e| read_error(prefix)(e.into()))?;
        let iter = platform.prefixed(prefix).map_err(|e| read_error(prefix)(e.into()))?;
        let mut found = Vec::new();
        for reference in iter {
            let mut reference = reference.map_err(|e| read_error(prefix)(e.into()))?;
            let name = reference.name().as_bstr().to_string();
            if let Ok(commit) = reference.peel_to_commit() {
                found.push((name, to_id(commit.id)));
            }
        }
        found.sort();
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::held_lock;

    #[test]
    fn a_failed_push_or_fetch_names_the_remote_not_its_plumbing() {
        let push = "git push --porcelain --atomic --force-with-lease=refs/heads/qa: -- nope abc:refs/heads/qa";
        assert_eq!(super::what_failed(push), "cannot push to nope");
        assert_eq!(super::what_failed("git fetch --no-tags -- origin refs/tags/*"), "cannot fetch from origin");
        assert_eq!(super::what_failed("git mktag"), "`git mktag` failed");
    }

    #[test]
    fn a_held_lock_is_named() {
        let stderr = "error: cannot lock ref 'refs/remotes/origin/HEAD': Unable to create \
                      '/r/.git/refs/remotes/origin/HEAD.lock': File exists.\n\nAnother git process seems to be running";
        assert_eq!(held_lock(stderr), Some("/r/.git/refs/remotes/origin/HEAD.lock"));
        assert_eq!(held_lock("fatal: Unable to create 'x': Permission denied"), None);
    }
}
