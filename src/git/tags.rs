//! Tags: listed cheaply (packed refs carry their peeled commit), read, and written as objects
//! before any reference names them.

use super::{GitCommand, GitError, Ident, Repo, from_id, read_error, to_id};
use crate::object_id::ObjectId;

/// A tag reference: the object it names and, when git stored it, the commit that object peels to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRef {
    /// The name without `refs/tags/`.
    pub name: String,
    /// The tag object of an annotated tag, or the commit of a lightweight one.
    pub target: ObjectId,
    peeled: Option<ObjectId>,
}

/// An annotated tag object, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagObject {
    /// The tag object itself.
    pub id: ObjectId,
    /// The name its `tag` header gives, which the reference naming it must give too.
    pub name: String,
    /// The commit the tag points to, through any chain of tags.
    pub commit: ObjectId,
    /// The message, without any signature block.
    pub message: String,
    /// Whether a signature block follows the message.
    pub signed: bool,
}

impl TagRef {
    /// A tag not yet named by a reference here (one being pushed): its object only.
    #[must_use]
    pub fn unpeeled(name: &str, target: ObjectId) -> TagRef {
        TagRef { name: name.to_owned(), target, peeled: None }
    }
}

/// One tag as a scan sees it, borrowed from the packed-refs buffer where it lives there.
#[derive(Debug, Clone, Copy)]
pub struct TagLine<'a> {
    /// The name without `refs/tags/`.
    pub name: &'a str,
    /// The object id, in hex.
    pub target: &'a str,
    /// The commit it peels to, in hex, when packed-refs records it.
    pub peeled: Option<&'a str>,
    /// The listing says it names no tag object (packed-refs peels every annotated tag, and so
    /// does git's own listing): a lightweight tag, which can be no record, and whose object
    /// need not be read to know that.
    pub lightweight: bool,
}

impl TagLine<'_> {
    /// The tag as an owned reference, for the few a scan keeps.
    #[must_use]
    pub fn to_ref(&self) -> Option<TagRef> {
        Some(TagRef {
            name: self.name.to_owned(),
            target: ObjectId::from_hex(self.target)?,
            peeled: self.peeled.and_then(ObjectId::from_hex),
        })
    }
}

/// The largest tag object read: records and version tags are a few kilobytes, signed.
pub const MAX_TAG_SIZE: u64 = 1 << 20;

/// Whether the tags not in packed-refs may be listed once and kept, and the listing once made.
#[derive(Debug, Default)]
pub(super) enum LooseTags {
    /// Listed afresh on every scan: tags may be written between scans.
    #[default]
    Fresh,
    /// Listed on the first scan and kept: the command promised to write no tags.
    Kept(Option<Listing>),
}

/// The tags a scan lists before, or instead of, reading packed-refs.
#[derive(Debug, Clone)]
pub(super) enum Listing {
    /// The loose tags, `(name without refs/tags/, target)`.
    Loose(std::rc::Rc<[(String, String)]>),
    /// Every tag, as `git for-each-ref` lists them where gix cannot read references.
    ByGit(std::rc::Rc<str>),
}

impl Repo {
    /// Lists the loose tags only once from now on. For commands that write no tags and fetch
    /// nothing after this call (`status`, `gate`, the hooks): they scan the tags several times,
    /// and listing the tags folder is the costly part of a scan where that folder once held
    /// many tags (git never shrinks a folder).
    pub fn keep_tag_listing(&self) {
        let mut kept = self.loose_tags.borrow_mut();
        if matches!(*kept, LooseTags::Fresh) {
            *kept = LooseTags::Kept(None);
        }
    }

    /// The loose tags, `(name without refs/tags/, target)`.
    pub(super) fn loose_tags(&self) -> Result<std::rc::Rc<[(String, String)]>, GitError> {
        if let LooseTags::Kept(Some(Listing::Loose(listed))) = &*self.loose_tags.borrow() {
            return Ok(listed.clone());
        }
        let tags_dir: &gix::path::RelativePath =
            "refs/tags/".try_into().map_err(|e| read_error("the loose tags")(Box::new(e)))?;
        let mut loose = Vec::new();
        let iter = self.repo.refs.loose_iter_prefixed(tags_dir).map_err(|e| read_error("the loose tags")(e.into()))?;
        for reference in iter {
            let Ok(reference) = reference else { continue };
            let Some(target) = reference.target.try_id() else { continue };
            let name = reference.name.as_bstr().to_string();
            if let Some(name) = name.strip_prefix("refs/tags/") {
                loose.push((name.to_owned(), target.to_string()));
            }
        }
        let listed: std::rc::Rc<[(String, String)]> = loose.into();
        if let LooseTags::Kept(kept) = &mut *self.loose_tags.borrow_mut() {
            *kept = Some(Listing::Loose(listed.clone()));
        }
        Ok(listed)
    }

    /// Visits every tag whose name starts with `prefix`, in no particular order, allocating
    /// nothing for the tags `visit` passes over: packed tags are read straight from gix's shared
    /// packed-refs buffer, one line each; loose tags (few, and hiding packed ones of the same
    /// name) through gix's loose iterator.
    pub fn scan_tags(&self, prefix: &str, visit: &mut dyn FnMut(TagLine<'_>)) -> Result<(), GitError> {
        if self.refs_by_git {
            return self.scan_tags_by_git(prefix, visit);
        }
        let what = || format!("the tags starting with `{prefix}`");
        let listed = self.loose_tags()?;
        let loose: Vec<&(String, String)> = listed.iter().filter(|(name, _)| name.starts_with(prefix)).collect();
        for (name, target) in &loose {
            visit(TagLine { name, target, peeled: None, lightweight: false });
        }
        let full = format!("refs/tags/{prefix}");
        let hides = |name: &str| !loose.is_empty() && loose.iter().any(|(n, _)| n == name);
        if prefix.is_empty() {
            self.scan_packed_file(&full, &hides, &mut |line, _| visit(line))?;
            return Ok(());
        }
        let packed = self.repo.refs.cached_packed_buffer().map_err(|e| read_error(what())(e.into()))?;
        let Some(packed) = packed else { return Ok(()) };
        // A narrow prefix: gix finds its first line by binary search and decodes only those.
        let iter = packed.iter_prefixed(full.clone().into()).map_err(|e| read_error(what())(e.into()))?;
        for reference in iter {
            let reference = reference.map_err(|e| read_error(what())(e.into()))?;
            let (Ok(name), Ok(target)) =
                (std::str::from_utf8(reference.name.as_bstr()), std::str::from_utf8(reference.target))
            else {
                continue;
            };
            let peeled = reference.object.and_then(|o| std::str::from_utf8(o).ok());
            let name = &name["refs/tags/".len()..];
            if !hides(name) {
                visit(TagLine { name, target, peeled, lightweight: false });
            }
        }
        Ok(())
    }

    /// [`Repo::scan_tags`] where `git` lists the tags: once per command that promised to write
    /// none, else on every scan.
    fn scan_tags_by_git(&self, prefix: &str, visit: &mut dyn FnMut(TagLine<'_>)) -> Result<(), GitError> {
        let full = format!("refs/tags/{prefix}");
        let kept = match &*self.loose_tags.borrow() {
            LooseTags::Kept(Some(Listing::ByGit(listed))) => Some(listed.clone()),
            _ => None,
        };
        let listed = if let Some(listed) = kept {
            listed
        } else {
            let listed: std::rc::Rc<str> = self.list_by_git("refs/tags/")?.into();
            if let LooseTags::Kept(kept) = &mut *self.loose_tags.borrow_mut() {
                *kept = Some(Listing::ByGit(listed.clone()));
            }
            listed
        };
        for line in super::refs::parse(&listed) {
            if let Some(name) = line.name.strip_prefix("refs/tags/")
                && line.name.starts_with(&full)
            {
                visit(TagLine { name, target: line.target, peeled: line.peeled, lightweight: line.lightweight });
            }
        }
        Ok(())
    }

    /// Every tag whose name starts with `prefix`, sorted by name.
    pub fn tags(&self, prefix: &str) -> Result<Vec<TagRef>, GitError> {
        let mut found = Vec::new();
        self.scan_tags(prefix, &mut |tag| found.extend(tag.to_ref()))?;
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }

    /// The tag of exactly this name: its loose file, else a binary search of packed-refs; no
    /// listing of the tags folder.
    pub fn tag(&self, name: &str) -> Result<Option<TagRef>, GitError> {
        let full = format!("refs/tags/{name}");
        if self.refs_by_git {
            // Exactly this name, without listing the others; absent is a failure with no output.
            let command = GitCommand::new(["show-ref", "-d", "--verify", "--"]).arg(&full);
            let listed = self.output(&command)?.stdout;
            let found = super::refs::parse(&listed).find(|r| r.name == full);
            return Ok(found.and_then(|r| {
                TagLine { name, target: r.target, peeled: r.peeled, lightweight: r.lightweight }.to_ref()
            }));
        }
        let found = self.repo.refs.try_find(full.as_str()).map_err(|e| read_error(&full)(e.into()))?;
        let Some(reference) = found.filter(|r| r.name.as_bstr() == full.as_str()) else { return Ok(None) };
        let Some(target) = reference.target.try_id() else { return Ok(None) };
        Ok(Some(TagRef {
            name: name.to_owned(),
            target: to_id(target.to_owned()),
            peeled: reference.peeled.map(to_id),
        }))
    }

    /// The commit a tag points to; `None` when it names no commit (a tag of a tree or blob).
    pub fn tag_commit(&self, tag: &TagRef) -> Result<Option<ObjectId>, GitError> {
        if let Some(peeled) = &tag.peeled {
            return Ok(Some(peeled.clone()));
        }
        let what = || format!("tag {}", tag.name);
        let id = from_id(&tag.target)?;
        let header = self.repo.find_header(id).map_err(|e| read_error(what())(e.into()))?;
        if header.kind() == gix::object::Kind::Tag && header.size() > MAX_TAG_SIZE {
            return Ok(None);
        }
        let object = self.repo.find_object(id).map_err(|e| read_error(what())(e.into()))?;
        Ok(object.peel_to_commit().ok().map(|commit| to_id(commit.id)))
    }

    /// The message and commit of an annotated tag; `None` for a lightweight tag, and for a tag
    /// object larger than [`MAX_TAG_SIZE`], which is read no further than its header: no record
    /// or version tag git-release writes comes near it, and a command reading a 200 MiB one
    /// would hold it all in memory.
    pub fn tag_object(&self, tag: &TagRef) -> Result<Option<TagObject>, GitError> {
        let what = || format!("tag {}", tag.name);
        let id = from_id(&tag.target)?;
        let header = self.repo.find_header(id).map_err(|e| read_error(what())(e.into()))?;
        if header.size() > MAX_TAG_SIZE {
            return Ok(None);
        }
        let object = self.repo.find_object(id).map_err(|e| read_error(what())(e.into()))?;
        let Ok(annotated) = object.try_into_tag() else { return Ok(None) };
        let decoded = annotated.decode().map_err(|e| read_error(what())(e.into()))?;
        // gix parts the message from any signature block git appends (OpenPGP, X.509, ssh).
        let signed = decoded.signature.is_some();
        let message = decoded.message.to_string();
        let Some(commit) = self.tag_commit(tag)? else { return Ok(None) };
        let name = decoded.name.to_string();
        Ok(Some(TagObject { id: tag.target.clone(), name, commit, message, signed }))
    }

    /// Stores an annotated tag object for a commit, checked by `git mktag` and signed where git
    /// signs tags; no reference names it yet.
    pub fn write_tag(
        &self,
        commit: &ObjectId,
        name: &str,
        tagger: &Ident,
        message: &str,
    ) -> Result<ObjectId, GitError> {
        let mut object = format!(
            "object {commit}\ntype commit\ntag {name}\ntagger {} {}\n\n{}\n",
            tagger.person,
            tagger.date,
            message.trim_end()
        );
        if let Some(signing) = self.signing()? {
            // As `git tag -s`: the signature covers the object so far and is appended to it.
            let signature = signing.sign(&object, &tagger.person)?;
            object.push_str(&signature);
        }
        let output = self.run(&GitCommand::new(["mktag"]).stdin(object))?;
        ObjectId::from_hex(&output.stdout).ok_or(GitError::NotAnId { output: output.stdout })
    }

    /// Who is acting and when, as git would write it into a tag; `GIT_COMMITTER_DATE` is honoured.
    ///
    /// Where git knows no identity (a fresh CI runner), `fallback` names the person instead.
    pub fn committer_ident(&self, fallback: &str) -> Result<Ident, GitError> {
        let command = GitCommand::new(["var", "GIT_COMMITTER_IDENT"]);
        let output = self.output(&command)?;
        let text = if output.success {
            output.stdout
        } else {
            let command =
                command.env("GIT_COMMITTER_NAME", fallback).env("GIT_COMMITTER_EMAIL", "git-release@localhost");
            self.run(&command)?.stdout
        };
        parse_ident(text.trim()).ok_or(GitError::NotAnIdent { output: text })
    }
}

impl Ident {
    /// The same person at `moment`, in the same offset from UTC.
    #[must_use]
    pub fn at(&self, moment: jiff::Timestamp) -> Ident {
        let date = format!("{} {}", moment.as_second(), self.offset());
        Ident { person: self.person.clone(), date, seconds: moment.as_second() }
    }

    /// The offset from UTC of the date, as git writes it (`+0100`).
    #[must_use]
    pub fn offset(&self) -> &str {
        self.date.split_whitespace().nth(1).unwrap_or_default()
    }
}

/// Whose date git reads: a commit's committer (and a tag's tagger), or a commit's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dated {
    Committer,
    Author,
}

impl Dated {
    /// The variable git takes this date from.
    #[must_use]
    pub fn variable(self) -> &'static str {
        match self {
            Dated::Committer => "GIT_COMMITTER_DATE",
            Dated::Author => "GIT_AUTHOR_DATE",
        }
    }
}

/// What git reads from `date` as the value of `dated`'s variable, in any of the forms it takes
/// there: seconds since the epoch and the offset from UTC.
///
/// # Errors
/// When git cannot be run, or does not read `date` as a date.
pub fn read_date(dated: Dated, date: &std::ffi::OsStr) -> Result<(i64, String), GitError> {
    let person = match dated {
        Dated::Committer => "COMMITTER",
        Dated::Author => "AUTHOR",
    };
    let command = GitCommand::new(["var", &format!("GIT_{person}_IDENT")])
        .env(dated.variable(), date)
        .env(format!("GIT_{person}_NAME"), "clock")
        .env(format!("GIT_{person}_EMAIL"), "clock@localhost");
    let dir = std::env::current_dir().unwrap_or_else(|_| std::env::temp_dir());
    let output = command.run(&dir, true, &|_| {})?;
    let ident = parse_ident(output.stdout.trim()).ok_or(GitError::NotAnIdent { output: output.stdout.clone() })?;
    Ok((ident.seconds, ident.offset().to_owned()))
}

/// `Name <email> 1763720100 +0000`.
fn parse_ident(text: &str) -> Option<Ident> {
    let close = text.rfind('>')?;
    let (person, date) = (text[..=close].trim(), text[close + 1..].trim());
    let seconds = date.split_whitespace().next()?.parse().ok()?;
    Some(Ident { person: person.to_owned(), date: date.to_owned(), seconds })
}

#[cfg(test)]
mod tests {
    use super::{Dated, parse_ident, read_date};
    use crate::error::Diagnostic;

    #[test]
    fn an_identity_moves_to_another_moment_in_its_own_offset() {
        let ident = parse_ident("Rel Easer <rel@example.com> 1763720100 +0100").expect("an identity");
        let moved = ident.at(jiff::Timestamp::from_second(1_795_256_100).expect("in range"));
        assert_eq!((moved.date.as_str(), moved.seconds), ("1795256100 +0100", 1_795_256_100));
        assert_eq!(moved.person, ident.person);
    }

    #[test]
    fn git_reads_the_dates_it_takes_for_the_committer() {
        let read = |date: &str| read_date(Dated::Committer, std::ffi::OsStr::new(date)).expect("a date");
        assert_eq!(read("2026-11-21T10:15:00Z"), (1_795_256_100, "+0000".to_owned()));
        assert_eq!(read("@1795256100 +0100"), (1_795_256_100, "+0100".to_owned()));
        assert_eq!(read("Sat, 21 Nov 2026 11:15:00 +0100"), (1_795_256_100, "+0100".to_owned()));
        let refused =
            read_date(Dated::Author, std::ffi::OsStr::new("next tuesday")).expect_err("git reads no such date");
        assert!(refused.causes().iter().any(|c| c.contains("invalid date format")), "{:?}", refused.causes());
    }

    #[test]
    fn reads_git_identities() {
        let ident = parse_ident("Rel Easer <rel@example.com> 1763720100 +0100").expect("an identity");
        assert_eq!(ident.person, "Rel Easer <rel@example.com>");
        assert_eq!((ident.date.as_str(), ident.seconds), ("1763720100 +0100", 1_763_720_100));
    }
}
