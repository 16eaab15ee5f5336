//! Where the records are in packed-refs: `.git/release/records-index`, kept beside it.
//!
//! A scan of every tag costs as much as packed-refs is long; most of it is spent learning, for
//! each tag, whether its name is a record's, of which environment and second. The index keeps
//! those answers for one packed-refs file (named by its [`PackedStamp`]) and one set of tag
//! patterns: each environment's record lines newest first, and every record line by the commit
//! it peels to. A command then reads only the lines it asks for, and judges them as a scan
//! would. The index chooses lines, never verdicts: every line is read again from packed-refs,
//! and every record from its signed object.
//!
//! It is a cache. Another packed-refs, other patterns or an unreadable index mean a full scan,
//! which writes a new one; failing to write it changes nothing else.

use std::collections::HashMap;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;

use crate::config::Tags;
use crate::git::{PackedStamp, Repo, TagLine};
use crate::object_id::ObjectId;
use crate::record;

const MAGIC: &[u8] = b"git-release records index 1\n";
/// A second, as `YYYYMMDDTHHMMSSZ`: its 16 bytes compare as the seconds do.
type Second = [u8; 16];
/// A row of the environments' section: its second and its line's offset.
const BY_ENVIRONMENT: usize = 16 + 8;

fn path(repo: &Repo) -> PathBuf {
    repo.common_dir().join("release").join("records-index")
}

/// What the index depends on besides packed-refs: the patterns that say what a record's name is.
fn key(tags: &Tags) -> String {
    format!("{}\n{}", tags.deploy.as_str(), tags.deploy_wip.as_str())
}

/// The record lines of one full scan, as it finds them.
#[derive(Debug, Default)]
pub struct Builder {
    environments: HashMap<String, u32>,
    /// `(environment, second, offset)`.
    rows: Vec<(u32, Second, u64)>,
    /// Each row's peeled id, in hex, one after another.
    peeled: Vec<u8>,
}

impl Builder {
    /// Notes a packed tag line that starts at `offset`, when its name is a record's.
    pub fn note(&mut self, line: TagLine<'_>, offset: u64, tags: &Tags) {
        let Some(peeled) = line.peeled.filter(|_| !line.lightweight) else { return };
        let Some((environment, timestamp)) = record::candidate_in(line.name, tags, None) else { return };
        let Ok(second) = Second::try_from(timestamp.as_bytes()) else { return };
        if !record::possible_second(timestamp) {
            return;
        }
        let next = u32::try_from(self.environments.len()).unwrap_or(u32::MAX);
        let environment = *self.environments.entry(environment.to_owned()).or_insert(next);
        self.rows.push((environment, second, offset));
        self.peeled.extend_from_slice(peeled.as_bytes());
    }

    /// Writes the index of the packed-refs `stamp` names, replacing any other at once; a
    /// failure leaves the next command to scan again.
    pub fn write(self, repo: &Repo, tags: &Tags, stamp: PackedStamp) {
        let hex = repo.object_hash_hex_len();
        let target = path(repo);
        let Some(dir) = target.parent() else { return };
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            let temporary = dir.join(format!("records-index.{}.tmp", std::process::id()));
            // A new file, never one that stands there already: a link planted under this name
            // would otherwise have its target overwritten.
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temporary)?;
            let done = std::io::Write::write_all(&mut file, &self.encode(tags, stamp, hex))
                .and_then(|()| std::fs::rename(&temporary, &target));
            if done.is_err() {
                let _ = std::fs::remove_file(&temporary);
            }
            done
        });
        // A repository this user may read but not write scans every time, as before.
        drop(written);
    }

    fn encode(self, tags: &Tags, stamp: PackedStamp, hex: usize) -> Vec<u8> {
        let Builder { environments, mut rows, peeled } = self;
        let peeled_of = |row: usize| &peeled[row * hex..(row + 1) * hex];
        let mut by_commit: Vec<usize> = (0..rows.len()).collect();
        by_commit.sort_unstable_by(|a, b| peeled_of(*a).cmp(peeled_of(*b)));
        let commits: Vec<(&[u8], u64)> = by_commit.iter().map(|&row| (peeled_of(row), rows[row].2)).collect();
        rows.sort_unstable_by(|a, b| (a.0, b.1).cmp(&(b.0, a.1)));
        let mut names: Vec<(&String, u32)> = environments.iter().map(|(name, index)| (name, *index)).collect();
        names.sort_unstable_by_key(|(_, index)| *index);
        let mut header = Vec::new();
        header.extend_from_slice(&stamp.to_bytes());
        push_u32(&mut header, hex);
        let key = key(tags);
        push_u32(&mut header, key.len());
        header.extend_from_slice(key.as_bytes());
        push_u32(&mut header, names.len());
        let mut first = 0;
        for (name, index) in names {
            let count = rows[first..].iter().take_while(|row| row.0 == index).count();
            push_u32(&mut header, name.len());
            header.extend_from_slice(name.as_bytes());
            push_u32(&mut header, first);
            push_u32(&mut header, count);
            first += count;
        }
        push_u32(&mut header, rows.len());
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + rows.len() * (BY_ENVIRONMENT + hex + 8));
        out.extend_from_slice(MAGIC);
        push_u32(&mut out, MAGIC.len() + 4 + header.len());
        out.extend_from_slice(&header);
        for (_, second, offset) in &rows {
            out.extend_from_slice(second);
            out.extend_from_slice(&offset.to_le_bytes());
        }
        for (commit, offset) in commits {
            out.extend_from_slice(commit);
            out.extend_from_slice(&offset.to_le_bytes());
        }
        out
    }
}

fn push_u32(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&u32::try_from(value).unwrap_or(u32::MAX).to_le_bytes());
}

/// An index that holds for packed-refs as it is now.
#[derive(Debug)]
pub struct Index {
    file: std::fs::File,
    pub stamp: PackedStamp,
    hex: usize,
    /// Each environment's rows in the environments' section: `(first, count)`.
    environments: HashMap<String, (u64, u64)>,
    rows: u64,
    /// Where the environments' section starts.
    start: u64,
}

impl Index {
    /// The index of packed-refs as it is now, for these patterns; `None` when there is none,
    /// or it was made for another file or other patterns.
    pub fn open(repo: &Repo, tags: &Tags) -> Option<Index> {
        let stamp = repo.packed_stamp()?;
        // Only a plain file, opened without waiting: a pipe or a device there would never end.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path(repo))
            .ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        Index::read(file, stamp, repo.object_hash_hex_len(), tags)
    }

    fn read(file: std::fs::File, stamp: PackedStamp, hex_here: usize, tags: &Tags) -> Option<Index> {
        let mut head = vec![0; 4096];
        let read = read_at(&file, &mut head, 0).ok()?;
        head.truncate(read);
        let length = head.get(MAGIC.len()..MAGIC.len() + 4).filter(|_| head.starts_with(MAGIC))?;
        let length = u32::from_le_bytes(length.try_into().ok()?) as usize;
        if length > head.len() {
            head.resize(length, 0);
            if read_at(&file, &mut head, 0).ok()? < length {
                return None;
            }
        }
        let mut reader = Reader { bytes: head.get(MAGIC.len() + 4..length)? };
        let written = PackedStamp::from_bytes(reader.take(PackedStamp::LEN)?.try_into().ok()?);
        let hex = reader.u32()? as usize;
        let key_length = reader.u32()? as usize;
        if written != stamp || hex != hex_here || reader.take(key_length)? != key(tags).as_bytes() {
            return None;
        }
        let mut environments = HashMap::new();
        for _ in 0..reader.u32()? {
            let name_length = reader.u32()? as usize;
            let name = std::str::from_utf8(reader.take(name_length)?).ok()?.to_owned();
            environments.insert(name, (u64::from(reader.u32()?), u64::from(reader.u32()?)));
        }
        let rows = u64::from(reader.u32()?);
        Some(Index { file, stamp, hex, environments, rows, start: length as u64 })
    }

    /// The lines a scan for `environments` and `commits` would keep: each environment's lines
    /// of its newest second not after `horizon`, and every line that peels to one of `commits`.
    /// Sorted, each once.
    ///
    /// # Errors
    /// When the index cannot be read.
    pub fn offsets(&self, environments: &[&str], commits: &[&ObjectId], horizon: &str) -> std::io::Result<Vec<u64>> {
        let mut offsets = Vec::new();
        for environment in environments {
            if let Some(&(first, count)) = self.environments.get(*environment) {
                self.newest(first, count, horizon.as_bytes(), &mut offsets)?;
            }
        }
        for commit in commits {
            self.on_commit(commit.as_str().as_bytes(), &mut offsets)?;
        }
        offsets.sort_unstable();
        offsets.dedup();
        Ok(offsets)
    }

    /// The rows of one environment's newest second not after `horizon`.
    fn newest(&self, first: u64, count: u64, horizon: &[u8], offsets: &mut Vec<u64>) -> std::io::Result<()> {
        let mut kept: Option<Second> = None;
        let mut row = [0; BY_ENVIRONMENT];
        for n in first..first + count {
            self.row(self.start + n * BY_ENVIRONMENT as u64, &mut row)?;
            let (second, offset) = row.split_at(16);
            match kept {
                None if second > horizon => {}
                None => kept = second.try_into().ok(),
                Some(kept) if kept != second => break,
                Some(_) => {}
            }
            if kept.is_some() {
                offsets.push(u64::from_le_bytes(offset.try_into().expect("eight bytes")));
            }
        }
        Ok(())
    }

    /// Every row whose line peels to `commit`: a binary search of the commits' section.
    fn on_commit(&self, commit: &[u8], offsets: &mut Vec<u64>) -> std::io::Result<()> {
        let width = self.hex + 8;
        let section = self.start + self.rows * BY_ENVIRONMENT as u64;
        let mut row = vec![0; width];
        let (mut low, mut high) = (0, self.rows);
        while low < high {
            let middle = low + (high - low) / 2;
            self.row(section + middle * width as u64, &mut row)?;
            if &row[..self.hex] < commit { low = middle + 1 } else { high = middle }
        }
        for n in low..self.rows {
            self.row(section + n * width as u64, &mut row)?;
            if &row[..self.hex] != commit {
                break;
            }
            offsets.push(u64::from_le_bytes(row[self.hex..].try_into().expect("eight bytes")));
        }
        Ok(())
    }

    fn row(&self, at: u64, row: &mut [u8]) -> std::io::Result<()> {
        self.file.read_exact_at(row, at)
    }
}

fn read_at(file: &std::fs::File, buffer: &mut [u8], at: u64) -> std::io::Result<usize> {
    let mut read = 0;
    while read < buffer.len() {
        match file.read_at(&mut buffer[read..], at + read as u64) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(read)
}

/// Reads the header's fields in order.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.bytes.split_at_checked(n)?;
        self.bytes = rest;
        Some(taken)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::{Builder, Index};
    use crate::config::Tags;
    use crate::git::{PackedStamp, TagLine};
    use crate::object_id::ObjectId;

    fn id(n: u8) -> String {
        format!("{n:040x}")
    }

    /// An index of these `(name, peeled commit, offset)` lines, read back.
    fn index(lines: &[(&str, u8, u64)], stamp: PackedStamp) -> Index {
        let tags = Tags::defaults();
        let mut builder = Builder::default();
        for (name, commit, offset) in lines {
            let (target, peeled) = (id(200), id(*commit));
            let line = TagLine { name, target: &target, peeled: Some(&peeled), lightweight: false };
            builder.note(line, *offset, &tags);
        }
        let file = tempfile::tempfile().expect("a temporary file");
        std::os::unix::fs::FileExt::write_all_at(&file, &builder.encode(&tags, stamp, 40), 0).expect("written");
        Index::read(file, stamp, 40, &tags).expect("the index reads back")
    }

    #[test]
    fn the_index_names_each_environments_newest_second_and_the_lines_on_a_commit() {
        let stamp = PackedStamp::from_bytes(&[7; PackedStamp::LEN]);
        let index = index(
            &[
                ("1.0.0.20261121T090000Z.qa", 1, 100),
                ("1.0.0.20261121T100000Z.qa", 2, 200),
                ("1.0.0.20261121T100000Z.qa+2", 3, 300),
                ("1.0.0.20261121T120000Z.qa", 4, 400),
                ("2.0.0.20261121T080000Z.prod", 1, 500),
                ("20261121T070000Z_dev_feature", 1, 600),
                // Passed over by name: a second that never was, and no record at all.
                ("1.0.0.20261131T100000Z.qa", 9, 700),
                ("v1.0.0", 1, 800),
            ],
            stamp,
        );
        let offsets = |environments: &[&str], commits: &[u8], horizon: &str| {
            let commits: Vec<ObjectId> = commits.iter().map(|n| ObjectId::from_hex(&id(*n)).expect("an id")).collect();
            let commits: Vec<&ObjectId> = commits.iter().collect();
            index.offsets(environments, &commits, horizon).expect("the index is readable")
        };
        assert_eq!(offsets(&["qa", "prod"], &[], "20261121T110000Z"), [200, 300, 500], "12:00 is after the horizon");
        assert_eq!(offsets(&["qa"], &[], "20261121T130000Z"), [400]);
        assert_eq!(offsets(&["qa"], &[], "20261121T083000Z"), Vec::<u64>::new(), "nothing before the horizon");
        assert_eq!(offsets(&["stage"], &[1], "20261121T130000Z"), [100, 500, 600], "every line on the commit");
        assert_eq!(offsets(&["dev"], &[9], "20261121T130000Z"), [600]);
        // Another packed-refs, other patterns or ids, or no index at all: it is not believed.
        let written = |stamp: PackedStamp| {
            let mut builder = Builder::default();
            let (target, peeled) = (id(200), id(1));
            let line = TagLine {
                name: "1.0.0.20261121T090000Z.qa",
                target: &target,
                peeled: Some(&peeled),
                lightweight: false,
            };
            builder.note(line, 100, &Tags::defaults());
            let file = tempfile::tempfile().expect("a temporary file");
            std::os::unix::fs::FileExt::write_all_at(&file, &builder.encode(&Tags::defaults(), stamp, 40), 0)
                .expect("written");
            file
        };
        assert!(Index::read(written(stamp), stamp, 40, &Tags::defaults()).is_some());
        let other = PackedStamp::from_bytes(&[8; PackedStamp::LEN]);
        assert!(Index::read(written(stamp), other, 40, &Tags::defaults()).is_none(), "another packed-refs");
        assert!(Index::read(written(stamp), stamp, 64, &Tags::defaults()).is_none(), "SHA-256 ids");
        let mut renamed = Tags::defaults();
        renamed.deploy =
            crate::version::TagPattern::parse(crate::version::PatternKind::Deploy, "{env}/{version}/{timestamp}")
                .expect("a valid pattern");
        assert!(Index::read(written(stamp), stamp, 40, &renamed).is_none(), "other patterns");
        let empty = tempfile::tempfile().expect("a temporary file");
        assert!(Index::read(empty, stamp, 40, &Tags::defaults()).is_none(), "an empty file");
    }
}
