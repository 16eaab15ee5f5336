//! What git hands a hook: which hook it is, and the references it is about to update, read from
//! the lines on its stdin (or, under the pre-commit framework, from its variables).

use super::Update;
use crate::error::{Error, Kind};
use crate::object_id::ObjectId;

/// The hooks git-release runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HookName {
    /// Client side: stdin lines `<local ref> <local sha> <remote ref> <remote sha>`
    PrePush,
    /// Server side: stdin lines `<old sha> <new sha> <ref>`
    PreReceive,
}

impl HookName {
    pub const ALL: [HookName; 2] = [HookName::PrePush, HookName::PreReceive];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            HookName::PrePush => "pre-push",
            HookName::PreReceive => "pre-receive",
        }
    }

    /// The script `hooks install` writes.
    #[must_use]
    pub fn shim(self) -> &'static str {
        match self {
            HookName::PrePush => include_str!("../../hooks/pre-push"),
            HookName::PreReceive => include_str!("../../hooks/pre-receive"),
        }
    }
}

/// The references a hook is handed on stdin, one per line.
///
/// # Errors
/// A line that is not in the hook's form.
pub fn parse_updates(hook: HookName, input: &str) -> Result<Vec<Update>, Error> {
    let mut updates = Vec::new();
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let update = match (hook, fields.as_slice()) {
            (HookName::PrePush, [_, local, remote_ref, remote]) => {
                Update { reference: (*remote_ref).to_owned(), old: id(remote, line)?, new: id(local, line)? }
            }
            (HookName::PreReceive, [old, new, reference]) => {
                Update { reference: (*reference).to_owned(), old: id(old, line)?, new: id(new, line)? }
            }
            _ => {
                let form = match hook {
                    HookName::PrePush => "<local ref> <local sha> <remote ref> <remote sha>",
                    HookName::PreReceive => "<old sha> <new sha> <ref>",
                };
                return Err(Error::new(Kind::Usage, format!("a {} line must read `{form}`", hook.as_str()))
                    .cause(format!("got `{line}`"))
                    .hint("git runs this command from the hook shims, with the references on stdin"));
            }
        };
        updates.push(update);
    }
    Ok(updates)
}

/// An object id from a hook line; the all-zero id means absent.
fn id(text: &str, line: &str) -> Result<Option<ObjectId>, Error> {
    let id = ObjectId::from_hex(text).ok_or_else(|| {
        Error::new(Kind::Usage, format!("`{text}` is not an object id")).cause(format!("in `{line}`"))
    })?;
    Ok((!text.bytes().all(|b| b == b'0')).then_some(id))
}

/// The pre-commit framework reads stdin itself and passes one pushed reference in variables: the
/// first with commits the remote lacks; deletions, and references whose commits the remote has
/// (a tag on a pushed commit), it does not pass at all. `PRE_COMMIT_FROM_REF` is the remote's
/// old value for a reference the remote has, but for a new one the parent of its first new
/// commit: `was` tells which (whether the reference stood at `from` before the push).
/// # Errors
/// A variable that does not hold an object id, or `was` failing.
pub fn pre_commit_framework(
    var: &dyn Fn(&str) -> Option<String>,
    was: &dyn Fn(&str, &ObjectId) -> Result<bool, Error>,
) -> Result<Option<Update>, Error> {
    let (Some(reference), Some(to)) = (var("PRE_COMMIT_REMOTE_BRANCH"), var("PRE_COMMIT_TO_REF")) else {
        return Ok(None);
    };
    let new = id(&to, "PRE_COMMIT_TO_REF")?;
    let old = match var("PRE_COMMIT_FROM_REF").filter(|from| !from.is_empty()) {
        Some(from) => match id(&from, "PRE_COMMIT_FROM_REF")? {
            Some(from) if was(&reference, &from)? => Some(from),
            _ => None,
        },
        None => None,
    };
    Ok(Some(Update { reference, old, new }))
}
