//! packed-refs, read as git writes it: whole, in pieces of a mebibyte; or only at the lines a
//! caller noted, for as long as the file stays the one it noted them in.

use std::os::unix::fs::{FileExt, MetadataExt};

use super::{GitError, Repo, TagLine, read_error};

/// How much of packed-refs a full scan reads at a time.
const PIECE: usize = 1 << 20;

/// A full scan of packed-refs, one piece at a time.
struct PackedPieces<'a> {
    /// The length of an object id in hex.
    hex: usize,
    /// `refs/tags/<prefix>`.
    full: &'a str,
    /// The header says every annotated tag carries its peeled id (`peeled` or `fully-peeled`,
    /// which every git since 1.7 writes): a tag without one is lightweight.
    peeled_known: bool,
    header_read: bool,
}

impl PackedPieces<'_> {
    /// Where the lines that may be read now end: after the last whole line, but before a last
    /// reference whose peeled line may still be on its way.
    fn complete(buffer: &[u8]) -> usize {
        let Some(last_newline) = buffer.iter().rposition(|b| *b == b'\n') else { return 0 };
        let start = buffer[..last_newline].iter().rposition(|b| *b == b'\n').map_or(0, |n| n + 1);
        if buffer.get(start) == Some(&b'^') { last_newline + 1 } else { start }
    }

    /// Reads whole lines of packed-refs: `<id> <name>`, each maybe followed by `^<peeled id>`.
    /// A line's end is found with one vectorised search; a peeled line, whose length is fixed,
    /// is taken without one.
    /// `base` is where `text` starts in the file; `visit` is given where each line starts.
    fn visit(&mut self, text: &str, base: u64, hides: &dyn Fn(&str) -> bool, visit: &mut dyn FnMut(TagLine<'_>, u64)) {
        if text.is_empty() {
            return;
        }
        let bytes = text.as_bytes();
        let hex = self.hex;
        let mut at = 0;
        if !self.header_read {
            self.header_read = true;
            if text.starts_with("# pack-refs with:") {
                let end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |n| n + 1);
                self.peeled_known = text[..end].split_whitespace().any(|t| t == "peeled" || t == "fully-peeled");
                at = end;
            }
        }
        while at < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n);
            let (start, line) = (at, &text[at..end]);
            at = end + 1;
            // `<id> <name>`: the id has a fixed length, so no search for the space is needed.
            if line.as_bytes().get(hex) != Some(&b' ') || line.starts_with('^') || line.starts_with('#') {
                continue;
            }
            let (target, reference) = (&line[..hex], &line[hex + 1..]);
            let ends_peeled = |after: usize| after == bytes.len() || bytes[after] == b'\n';
            let peeled = if bytes.get(at) == Some(&b'^') && at + 1 + hex <= bytes.len() && ends_peeled(at + 1 + hex) {
                let peeled = &text[at + 1..at + 1 + hex];
                at += hex + 2;
                Some(peeled)
            } else {
                None
            };
            if !reference.starts_with(self.full) {
                continue;
            }
            let name = &reference["refs/tags/".len()..];
            if !hides(name) {
                let line = TagLine { name, target, peeled, lightweight: self.peeled_known && peeled.is_none() };
                visit(line, base + start as u64);
            }
        }
    }
}

/// What tells one packed-refs file from another: git never rewrites it in place but writes a
/// new file and renames it over the old, so its device, inode, length and times name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedStamp([i64; 7]);

impl PackedStamp {
    /// The length of [`PackedStamp::to_bytes`].
    pub const LEN: usize = 56;

    fn of(metadata: &std::fs::Metadata) -> PackedStamp {
        #[expect(clippy::cast_possible_wrap, reason = "only compared for equality")]
        PackedStamp([
            metadata.dev() as i64,
            metadata.ino() as i64,
            metadata.size() as i64,
            metadata.mtime(),
            metadata.mtime_nsec(),
            metadata.ctime(),
            metadata.ctime_nsec(),
        ])
    }

    #[must_use]
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        let mut bytes = [0; Self::LEN];
        for (chunk, value) in bytes.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }

    #[must_use]
    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> PackedStamp {
        let mut values = [0; 7];
        for (value, chunk) in values.iter_mut().zip(bytes.chunks_exact(8)) {
            *value = i64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
        }
        PackedStamp(values)
    }
}

impl Repo {
    /// How many hex digits an object id has here.
    #[must_use]
    pub fn object_hash_hex_len(&self) -> usize {
        self.repo.object_hash().len_in_hex()
    }

    /// The stamp of packed-refs as it is now; `None` where there is none, or where references
    /// are not files.
    #[must_use]
    pub fn packed_stamp(&self) -> Option<PackedStamp> {
        if self.refs_by_git {
            return None;
        }
        let metadata = std::fs::metadata(self.repo.common_dir().join("packed-refs")).ok()?;
        Some(PackedStamp::of(&metadata))
    }

    /// Every tag, as [`Repo::scan_tags`] visits them; and every packed tag, hidden by a loose
    /// one of the same name or not, to `note` with where its line starts in packed-refs.
    /// Returns the stamp of the packed-refs read, when there is one that peels every annotated
    /// tag (the only kind whose lines are worth noting).
    ///
    /// # Errors
    /// When the tags cannot be read.
    pub fn scan_tags_noting(
        &self,
        note: &mut dyn FnMut(TagLine<'_>, u64),
        visit: &mut dyn FnMut(TagLine<'_>),
    ) -> Result<Option<PackedStamp>, GitError> {
        if self.refs_by_git {
            self.scan_tags("", visit)?;
            return Ok(None);
        }
        let loose = self.loose_tags()?;
        for (name, target) in loose.iter() {
            visit(TagLine { name, target, peeled: None, lightweight: false });
        }
        let hides = |name: &str| !loose.is_empty() && loose.iter().any(|(n, _)| n == name);
        self.scan_packed_file("refs/tags/", &|_| false, &mut |line, offset| {
            note(line, offset);
            if !hides(line.name) {
                visit(line);
            }
        })
    }

    /// Visits every loose tag, and the packed tags whose lines start at `offsets` in the
    /// packed-refs `stamp` names, as [`Repo::scan_tags`] would have. Returns false, having
    /// visited nothing, when packed-refs is no longer that file.
    ///
    /// # Errors
    /// When the tags cannot be read.
    pub fn scan_tags_at(
        &self,
        stamp: PackedStamp,
        offsets: &[u64],
        visit: &mut dyn FnMut(TagLine<'_>),
    ) -> Result<bool, GitError> {
        if self.refs_by_git {
            return Ok(false);
        }
        let unreadable = |e: std::io::Error| read_error("packed-refs")(Box::new(e));
        let Ok(file) = std::fs::File::open(self.repo.common_dir().join("packed-refs")) else { return Ok(false) };
        if PackedStamp::of(&file.metadata().map_err(unreadable)?) != stamp {
            return Ok(false);
        }
        let loose = self.loose_tags()?;
        for (name, target) in loose.iter() {
            visit(TagLine { name, target, peeled: None, lightweight: false });
        }
        let hides = |name: &str| !loose.is_empty() && loose.iter().any(|(n, _)| n == name);
        let hex = self.object_hash_hex_len();
        let mut buffer = Vec::new();
        for &offset in offsets {
            let read = lines_at(&file, offset, hex, &mut buffer).map_err(unreadable)?;
            let text = std::str::from_utf8(&buffer[..read]).map_err(|e| read_error("packed-refs")(Box::new(e)))?;
            let mut pieces = PackedPieces { hex, full: "refs/tags/", peeled_known: true, header_read: true };
            pieces.visit(text, offset, &hides, &mut |line, _| visit(line));
        }
        Ok(true)
    }

    /// Every packed tag under `full`, read from packed-refs in pieces of a mebibyte, so that a
    /// scan of a million tags holds one piece at a time, not the whole file in memory.
    ///
    /// Returns the stamp of the file read when it peels every annotated tag, so that where its
    /// tags are may be kept for as long as it stays that file.
    pub(super) fn scan_packed_file(
        &self,
        full: &str,
        hides: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(TagLine<'_>, u64),
    ) -> Result<Option<PackedStamp>, GitError> {
        use std::io::Read;
        let path = self.repo.common_dir().join("packed-refs");
        let unreadable = |e: std::io::Error| read_error("packed-refs")(Box::new(e));
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(e)),
        };
        let hex = self.object_hash_hex_len();
        let mut pieces = PackedPieces { hex, full, peeled_known: false, header_read: false };
        let stamp = file.metadata().map(|m| PackedStamp::of(&m)).map_err(unreadable)?;
        let mut buffer: Vec<u8> = Vec::with_capacity(PIECE);
        let mut base = 0;
        loop {
            let kept = buffer.len();
            buffer.resize(kept.max(PIECE / 2) + PIECE / 2, 0);
            let read = loop {
                match file.read(&mut buffer[kept..]) {
                    Ok(read) => break read,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(unreadable(e)),
                }
            };
            buffer.truncate(kept + read);
            let end = if read == 0 { buffer.len() } else { PackedPieces::complete(&buffer) };
            let text = std::str::from_utf8(&buffer[..end]).map_err(|e| read_error("packed-refs")(Box::new(e)))?;
            pieces.visit(text, base, hides, visit);
            if read == 0 {
                return Ok(pieces.peeled_known.then_some(stamp));
            }
            buffer.drain(..end);
            base += end as u64;
        }
    }
}

/// Reads the line starting at `offset` and the peeled line after it into `buffer`: how many of
/// its bytes hold them (fewer at the end of the file).
fn lines_at(file: &std::fs::File, offset: u64, hex: usize, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut want = 512;
    loop {
        buffer.resize(want, 0);
        let mut read = 0;
        while read < want {
            match file.read_at(&mut buffer[read..], offset + read as u64) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // The name line, then `^<peeled id>\n` of a fixed length, when whole.
        if let Some(end) = memchr::memchr(b'\n', &buffer[..read]) {
            let peeled_end = end + 1 + 1 + hex + 1;
            if read < want || peeled_end <= read {
                return Ok(read.min(peeled_end));
            }
        } else if read < want {
            return Ok(read);
        }
        want *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::PackedPieces;

    /// packed-refs as git writes it: `lightweight` tags, then every tenth one annotated.
    fn packed_refs(header: &str, count: usize) -> String {
        let mut text = header.to_owned();
        for n in 0..count {
            text.push_str(&format!("{:040x} refs/tags/t{n:06}\n", n + 1));
            if n % 10 == 0 {
                text.push_str(&format!("^{:040x}\n", n + 7));
            }
        }
        text
    }

    fn scan(text: &str, piece: usize) -> Vec<(String, String, Option<String>, bool)> {
        let mut pieces = PackedPieces { hex: 40, full: "refs/tags/", peeled_known: false, header_read: false };
        let mut seen = Vec::new();
        let bytes = text.as_bytes();
        let (mut buffer, mut offset) = (Vec::new(), 0);
        loop {
            let read = piece.min(bytes.len() - offset);
            buffer.extend_from_slice(&bytes[offset..offset + read]);
            offset += read;
            let end = if read == 0 { buffer.len() } else { PackedPieces::complete(&buffer) };
            let text = std::str::from_utf8(&buffer[..end]).expect("UTF-8");
            pieces.visit(text, 0, &|_| false, &mut |l, _| {
                seen.push((l.name.to_owned(), l.target.to_owned(), l.peeled.map(str::to_owned), l.lightweight));
            });
            if read == 0 {
                return seen;
            }
            buffer.drain(..end);
        }
    }

    #[test]
    fn packed_refs_read_in_pieces_of_any_size_keeps_every_tag_and_its_peeled_id() {
        let text = packed_refs("# pack-refs with: peeled fully-peeled sorted \n", 2_000);
        let whole = scan(&text, text.len() + 1);
        assert_eq!(whole.len(), 2_000);
        assert_eq!(whole[10], ("t000010".to_owned(), format!("{:040x}", 11), Some(format!("{:040x}", 17)), false));
        assert_eq!(whole[11], ("t000011".to_owned(), format!("{:040x}", 12), None, true));
        // Pieces that end inside an id, between a tag and its peeled line, or inside the header.
        for piece in [7, 41, 58, 59, 100, 1_000, 4_096] {
            let pieced = scan(&text, piece);
            let differs = pieced.iter().zip(&whole).position(|(a, b)| a != b);
            assert_eq!((pieced.len(), differs), (whole.len(), None), "pieces of {piece} bytes");
        }
    }

    #[test]
    fn without_the_peeled_trait_no_tag_is_taken_for_lightweight() {
        let text = packed_refs("# pack-refs with: sorted \n", 30);
        assert!(scan(&text, 64).iter().all(|(_, _, _, lightweight)| !lightweight));
        let headless = packed_refs("", 30);
        assert!(scan(&headless, 64).iter().all(|(_, _, _, lightweight)| !lightweight));
    }
}
