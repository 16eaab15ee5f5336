//! What `[trust]` makes of the tags read from an application repository: verified only when a
//! decision reads them, each note kept once for the command to print.

use super::AppRepo;
use crate::config::{Trust, TrustMode};
use crate::error::Error;
use crate::git::{TagObject, TagRef};

impl AppRepo {
    /// Judges the tags read from now on by `trust` rather than by the settings that opened the
    /// repository.
    #[must_use]
    pub fn judged_by(mut self, trust: Trust) -> AppRepo {
        self.trust = std::rc::Rc::new(trust);
        self
    }

    /// Whether tag `name` counts as evidence for a decision, its signature verified only when
    /// `[trust]` asks: signed by a key listed for one of `owners`. Each note is kept once.
    ///
    /// # Errors
    /// When `git verify-tag` cannot be run.
    pub fn vouched(&self, name: &str, object: &TagObject, owners: &[&str]) -> Result<bool, Error> {
        if self.trust.mode == TrustMode::Off {
            return Ok(true);
        }
        let seal = self.repo.verify_tag(object, &self.trust.ssh_keys())?;
        Ok(self.noted(&crate::trust::judge(&self.trust, name, owners, &seal)))
    }

    /// Keeps what a judgement had to say, once, and tells whether the tag counts.
    fn noted(&self, judged: &crate::trust::Use) -> bool {
        if let Some(note) = judged.note() {
            let mut notes = self.notes.borrow_mut();
            if !notes.iter().any(|n| n == note) {
                notes.push(note.to_owned());
            }
        }
        judged.counts()
    }

    /// Whether an rc tag counts: always without `[trust]`; else when a key listed for an
    /// environment that cuts rc tags signed it (under `warn`, with a note when none did).
    pub(super) fn rc_counts(&self, tag: &TagRef) -> Result<bool, Error> {
        let object = self.repo.tag_object(tag)?;
        // Whatever the mode, an rc is made under its own name: another pushed again under this
        // one (a signed rc.1 as rc.5) is none.
        if object.as_ref().is_some_and(|o| o.name != tag.name) {
            return Ok(false);
        }
        if self.trust.mode == TrustMode::Off {
            return Ok(true);
        }
        let owners: Vec<&str> = self.rc_owners.iter().map(String::as_str).collect();
        match object {
            Some(object) => self.vouched(&tag.name, &object, &owners),
            // A lightweight tag carries no signature: unsigned.
            None => Ok(self.noted(&crate::trust::judge(&self.trust, &tag.name, &owners, &crate::git::Seal::Unsigned))),
        }
    }

    /// What trust said about the tags read since the last call.
    #[must_use]
    pub fn take_trust_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }
}
