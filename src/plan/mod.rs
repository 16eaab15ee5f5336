//! Programs of git operations, built without side effects and applied by `execute`.
//!
//! `--dry-run` renders the same plan that would otherwise be applied.

use serde::Serialize;

use crate::object_id::ObjectId;

/// One entry of a tree, in the form `git mktree` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub mode: String,
    pub kind: &'static str,
    pub id: ObjectId,
    /// The name as stored: git allows bytes that are not UTF-8.
    pub name: Vec<u8>,
}

impl TreeEntry {
    /// A regular file, executable or not (not a link, folder or submodule).
    #[must_use]
    pub fn is_file(&self) -> bool {
        self.mode.starts_with("100")
    }
}

/// The top-level names whose entries differ between two trees (a whole folder by its tree),
/// `except` one: in `ours` and not the same in `theirs`, then those only `theirs` has.
#[must_use]
pub fn differing_names(ours: &[TreeEntry], theirs: &[TreeEntry], except: &str) -> Vec<String> {
    let kept = |entry: &&TreeEntry| entry.name != except.as_bytes();
    // The second list takes only names the first cannot hold: no name comes twice.
    ours.iter()
        .filter(kept)
        .filter(|entry| !theirs.contains(entry))
        .chain(theirs.iter().filter(kept).filter(|entry| !ours.iter().any(|o| o.name == entry.name)))
        .map(|entry| String::from_utf8_lossy(&entry.name).into_owned())
        .collect()
}

/// What a reference must hold before it is changed: the lease of every update.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "expect", content = "id")]
pub enum Expect {
    Absent,
    At(ObjectId),
}

/// Who git says is acting, and when: `git var GIT_COMMITTER_IDENT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// `Name <email>`.
    pub person: String,
    /// `<seconds> <offset>`, as tag and commit headers hold it.
    pub date: String,
    pub seconds: i64,
}

/// An object that exists already, or one the plan creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectRef {
    Existing(ObjectId),
    /// The commit at this index of [`Plan::commits`].
    Planned(usize),
    /// The tag object at this index of [`Plan::tags`].
    Tag(usize),
}

/// An annotated tag object to create; a [`MoveRef`] names it once its push succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTag {
    pub name: String,
    pub commit: ObjectId,
    pub tagger: Ident,
    pub message: String,
}

/// A commit to create: the top-level tree of `base` with one file replaced or added.
///
/// The message is one or more lines without a trailing newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommit {
    pub parent: Option<ObjectRef>,
    pub base: Option<ObjectId>,
    pub path: String,
    pub content: String,
    /// The file as another commit holds it (its blob and mode), in place of `content`.
    pub copied: Option<TreeEntry>,
    /// A second parent: the commit this one merges into its first.
    pub merged: Option<ObjectRef>,
    pub message: String,
}

/// A local reference to create or move, with the value it must hold before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveRef {
    pub name: String,
    pub to: ObjectRef,
    pub old: Expect,
}

/// A reference to push, with the value the remote must still hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub remote: String,
    pub destination: String,
    pub commit: ObjectRef,
    pub lease: Expect,
}

/// Bring the checked-out work tree and index in line with a planned commit's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncWorktree {
    pub commit: usize,
    /// A file of that name in the work tree is someone's: only the index takes the commit's.
    pub keep_work_tree_file: bool,
}

/// A branch to delete here, or on `remote`, only while it is at `old`. Deleted on the remote,
/// its remote-tracking branch goes too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRef {
    pub remote: Option<String>,
    pub name: String,
    pub old: ObjectId,
}

/// A file to write into the work tree, next to the repository rather than in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFile {
    pub path: std::path::PathBuf,
    pub content: String,
    pub executable: bool,
}

/// Everything one command will do, in the order it is done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub commits: Vec<NewCommit>,
    pub tags: Vec<NewTag>,
    /// Pushed first, atomically: local references move only once the remote took the change.
    pub pushes: Vec<Push>,
    /// Moved in one transaction: all or none.
    pub refs: Vec<MoveRef>,
    pub worktree: Option<SyncWorktree>,
    pub config: Vec<(String, String)>,
    /// After the moves: remote deletions, then local ones.
    pub deletions: Vec<DeleteRef>,
    /// Last, files written into the work tree.
    pub files: Vec<WriteFile>,
    pub reflog: String,
}

/// One step of a plan as `--dry-run` and `--json` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    Commit {
        branches: Vec<String>,
        message: String,
    },
    Tag {
        name: String,
        commit: ObjectId,
    },
    Push {
        remote: String,
        reference: String,
        lease: Expect,
        /// The tag exists here already: the push finds it on the remote, or brings it where an
        /// earlier run could not.
        again: bool,
    },
    UpdateRef {
        reference: String,
        old: Expect,
    },
    SyncWorktree {
        path: String,
        /// The work tree's file, where there is one, is kept.
        #[serde(skip)]
        keep: bool,
    },
    SetConfig {
        key: String,
        value: String,
    },
    WriteFile {
        path: String,
    },
    /// Delete a branch here, or on `remote`, only while it is at `old`.
    DeleteRef {
        remote: Option<String>,
        reference: String,
        old: ObjectId,
    },
}

/// Where a tag made with `--no-push` is also named until a push takes it to the remote.
pub const UNPUSHED: &str = "refs/release/unpushed/";

impl Plan {
    /// A new annotated tag: written, pushed to `remote` (if any) where its name must not exist yet,
    /// and named here only after that.
    pub fn create_tag(&mut self, tag: NewTag, remote: Option<&str>) {
        let reference = format!("refs/tags/{}", tag.name);
        let object = ObjectRef::Tag(self.tags.len());
        self.tags.push(tag);
        if let Some(remote) = remote {
            self.push_tag(remote, &reference, object.clone());
        } else {
            // Kept here only: marked, so that a fetch that drops what the remote lacks keeps it.
            let name = format!("{UNPUSHED}{}", &reference["refs/tags/".len()..]);
            self.refs.push(MoveRef { name, to: object.clone(), old: Expect::Absent });
        }
        self.refs.push(MoveRef { name: reference, to: object, old: Expect::Absent });
    }

    /// A tag that exists here, pushed again where its name must not exist yet: the remote takes it
    /// as up to date when it has it, and gets it when an earlier run could not push it.
    pub fn push_existing_tag(&mut self, remote: &str, name: &str, target: ObjectId) {
        self.push_tag(remote, &format!("refs/tags/{name}"), ObjectRef::Existing(target));
    }

    fn push_tag(&mut self, remote: &str, reference: &str, object: ObjectRef) {
        let destination = reference.to_owned();
        self.pushes.push(Push { remote: remote.to_owned(), destination, commit: object, lease: Expect::Absent });
    }

    /// The steps in the order they run, each in words a person can check.
    #[must_use]
    pub fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        for (index, commit) in self.commits.iter().enumerate() {
            let branches =
                self.refs.iter().filter(|r| r.to == ObjectRef::Planned(index)).map(|r| short_ref(&r.name)).collect();
            let subject = commit.message.lines().next().unwrap_or_default().to_owned();
            steps.push(Step::Commit { branches, message: subject });
        }
        for tag in &self.tags {
            steps.push(Step::Tag { name: tag.name.clone(), commit: tag.commit.clone() });
        }
        for push in &self.pushes {
            steps.push(Step::Push {
                remote: push.remote.clone(),
                reference: push.destination.clone(),
                lease: push.lease.clone(),
                again: matches!(push.commit, ObjectRef::Existing(_)),
            });
        }
        for update in &self.refs {
            steps.push(Step::UpdateRef { reference: update.name.clone(), old: update.old.clone() });
        }
        if let Some(sync) = &self.worktree {
            let path = self.commits[sync.commit].path.clone();
            steps.push(Step::SyncWorktree { path, keep: sync.keep_work_tree_file });
        }
        for (key, value) in &self.config {
            steps.push(Step::SetConfig { key: key.clone(), value: value.clone() });
        }
        for file in &self.files {
            steps.push(Step::WriteFile { path: file.path.display().to_string() });
        }
        for deletion in &self.deletions {
            steps.push(Step::DeleteRef {
                remote: deletion.remote.clone(),
                reference: deletion.name.clone(),
                old: deletion.old.clone(),
            });
        }
        steps
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Commit { branches, message } if branches.is_empty() => write!(f, "commit \"{message}\""),
            Step::Commit { branches, message } => write!(f, "commit \"{message}\" for {}", branches.join(", ")),
            Step::Tag { name, commit } => write!(f, "tag {} as {name}", commit.short()),
            Step::Push { remote, reference, again: true, .. } => {
                write!(f, "reuse {reference}: push it to {remote} only where an earlier run could not")
            }
            Step::Push { remote, reference, lease, again: false } => {
                write!(f, "push {reference} to {remote}, {}", lease_words(lease))
            }
            Step::UpdateRef { reference, old: Expect::Absent } => write!(f, "create {reference}"),
            Step::UpdateRef { reference, old: Expect::At(old) } => write!(f, "move {reference} from {}", old.short()),
            Step::SyncWorktree { path, keep: false } => write!(f, "update {path} in the index and work tree"),
            Step::SyncWorktree { path, keep: true } => {
                write!(f, "put {path} in the index, and in the work tree unless it is there")
            }
            Step::SetConfig { key, value } => write!(f, "set git config {key} = {value}"),
            Step::WriteFile { path } => write!(f, "write {path}"),
            Step::DeleteRef { remote: Some(remote), reference, old } => {
                write!(f, "delete {reference} on {remote}, where it must still be {}", old.short())
            }
            Step::DeleteRef { remote: None, reference, old } => write!(f, "delete {reference} (at {})", old.short()),
        }
    }
}

fn lease_words(lease: &Expect) -> String {
    match lease {
        Expect::Absent => "where it must not exist yet".to_owned(),
        Expect::At(id) => format!("where it must still be {}", id.short()),
    }
}

fn short_ref(name: &str) -> String {
    name.strip_prefix("refs/heads/").unwrap_or(name).to_owned()
}

/// A unified diff of one file, as `git diff` prints it.
#[must_use]
pub fn unified_diff(path: &str, before: Option<&str>, after: &str) -> String {
    let old_header = if before.is_some() { format!("a/{path}") } else { "/dev/null".to_owned() };
    similar::TextDiff::from_lines(before.unwrap_or(""), after)
        .unified_diff()
        .context_radius(3)
        .header(&old_header, &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{TreeEntry, differing_names};
    use crate::object_id::ObjectId;

    fn entry(name: &str, id: char) -> TreeEntry {
        let id = ObjectId::from_hex(&id.to_string().repeat(40)).expect("an id");
        TreeEntry { mode: "100644".into(), kind: "blob", id, name: name.as_bytes().to_vec() }
    }

    #[test]
    fn differing_names_are_the_changed_the_added_and_the_removed_each_once() {
        let ours = [entry("release.toml", 'a'), entry("main.tf", 'b'), entry("same.tf", 'c'), entry("new.tf", 'd')];
        let theirs = [entry("release.toml", 'e'), entry("main.tf", 'f'), entry("same.tf", 'c'), entry("gone.tf", 'a')];
        assert_eq!(differing_names(&ours, &theirs, "release.toml"), ["main.tf", "new.tf", "gone.tf"]);
        assert!(differing_names(&ours, &ours, "release.toml").is_empty());
    }
}
