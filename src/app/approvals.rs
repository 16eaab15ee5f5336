//! Approvals in the application repository, where the deployment records are: found by the
//! approval pattern's names, read from their tag objects, each signature checked against the
//! approvers the judging settings list.

use super::AppRepo;
use crate::approval::{Approval, Judged};
use crate::config::{Tags, Trust};
use crate::error::Error;
use crate::object_id::ObjectId;
use crate::version::Known;

impl AppRepo {
    /// Every approval and revocation of `environment` on `commit`, each judged by `trust`'s
    /// `[trust.approvers]`; or of every commit, with `commit` `None`. Oldest first.
    ///
    /// # Errors
    /// When the tags cannot be read, or a signature cannot be checked.
    pub fn approvals(
        &self,
        tags: &Tags,
        trust: &Trust,
        environment: &str,
        commit: Option<&ObjectId>,
    ) -> Result<Vec<Judged>, Error> {
        let prefix = tags.approval.prefix(Known { version: None, env: Some(environment) });
        let mut lines = Vec::new();
        self.repo.scan_tags(&prefix, &mut |line| {
            // A peeled line on another commit is passed over unread.
            let elsewhere = commit.is_some_and(|commit| line.peeled.is_some_and(|peeled| peeled != commit.as_str()));
            if !line.lightweight && !elsewhere {
                lines.extend(line.to_ref());
            }
        })?;
        let keys = crate::trust::approver_ssh_keys(trust, environment);
        let mut found = Vec::new();
        for tag in lines {
            let Some(object) = self.repo.tag_object(&tag)? else { continue };
            // An approval is made under its own name: another pushed again under this one is none.
            if object.name != tag.name || commit.is_some_and(|commit| &object.commit != commit) {
                continue;
            }
            let Some(approval) = Approval::read(&tag.name, object.commit.clone(), &object.message, tags) else {
                continue;
            };
            if approval.environment != environment {
                continue;
            }
            // One made with --no-push is this repository's alone: nobody else's gate can count it.
            let counts_for = if self.repo.reference(&format!("{}{}", crate::plan::UNPUSHED, tag.name))?.is_some() {
                Err("it was made with --no-push and is kept here only; approve again without --no-push".to_owned())
            } else {
                let seal = self.repo.verify_tag(&object, &keys)?;
                crate::trust::approver(trust, environment, &seal)
            };
            found.push(Judged { approval, counts_for });
        }
        found.sort_by(|a, b| (a.approval.at, &a.approval.tag).cmp(&(b.approval.at, &b.approval.tag)));
        Ok(found)
    }
}
