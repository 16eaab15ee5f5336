//! The guarantees the README lists, each measured by a test. CI runs every one at a small scale;
//! `./guarantees.sh` runs them at the scale the README quotes (`GIT_RELEASE_SCALE=full`) and
//! prints the figure lines this module's `figure` writes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::harness::World;

mod corpora;
mod crashes;
mod faults;
mod promotions;
mod races;
mod refnames;
mod secrets;

/// `ci` in an ordinary test run, `full` when the guarantees are measured.
pub fn scale(ci: usize, full: usize) -> usize {
    if std::env::var("GIT_RELEASE_SCALE").as_deref() == Ok("full") { full } else { ci }
}

/// Prints one figure of a guarantee, in the form `./guarantees.sh` collects.
pub fn figure(guarantee: &str, started: Instant, text: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("figure: {guarantee}: {text} in {:.1} s", started.elapsed().as_secs_f64());
    }
}

/// A tag as a repository holds it: the object its name points at, and the commit beneath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub object: String,
    pub commit: String,
}

/// Every tag of a repository, by name, in one `for-each-ref`.
pub fn tags(world: &World, repo: &Path) -> BTreeMap<String, Tag> {
    let format = "--format=%(refname:short) %(objectname) %(*objectname)%(if:equals=commit)%(objecttype)%(then)%(objectname)%(end)";
    world
        .git(repo, &["for-each-ref", "refs/tags", format])
        .lines()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            let name = parts.next()?.to_owned();
            Some((name, Tag { object: parts.next()?.to_owned(), commit: parts.next()?.to_owned() }))
        })
        .collect()
}

/// A small deterministic generator (splitmix64), so a failing case can be replayed from its seed.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % bound as u64).expect("below a usize bound")
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
