//! Rollback: an environment set back to what it ran before. `git release rollback` commits the
//! earlier record's version to the environment branch with a `Rollback-To:` trailer naming that
//! record; a deployment of that commit takes the record's own commit and version tag, cuts
//! nothing, and its record says which deployment it undid (`Rollback-Of:`).

use crate::app::AppRepo;
use crate::error::Error;
use crate::object_id::ObjectId;
use crate::record::{self, Record};
use crate::version::Version;
use crate::workspace::Workspace;

/// A rollback an environment branch asks for.
#[derive(Debug, Clone)]
pub struct Rollback {
    /// The earlier record of the environment it goes back to.
    pub to: Record,
    /// The record of the deployment it undoes, as the branch commit names it.
    pub of: Option<String>,
}

/// Why no record can be rolled back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoTarget {
    /// The environment has no record at all.
    NothingDeployed,
    /// Every record is of what runs now.
    NothingBefore { version: String, commit: ObjectId },
    /// `--to` names neither a record of the environment nor a version it ran.
    Unknown { to: String, ran: Vec<String> },
    /// `--to` names what runs now.
    RunsIt { tag: String },
}

/// The record to roll back to and the latest one, from the environment's records, newest
/// first: the record `to` names (a tag, else the newest of that version), or by default the
/// newest whose version or commit differs from the latest's.
///
/// # Errors
/// When there is nothing to go back to, or `to` names nothing the environment ran.
pub fn choose<'a>(records: &'a [Record], to: Option<&str>) -> Result<(&'a Record, &'a Record), NoTarget> {
    let Some(latest) = records.first() else { return Err(NoTarget::NothingDeployed) };
    let runs = |record: &Record| {
        record.deployment.version == latest.deployment.version && record.deployment.commit == latest.deployment.commit
    };
    let Some(to) = to else {
        let earlier = records.iter().find(|record| !runs(record));
        return earlier.map(|record| (record, latest)).ok_or_else(|| NoTarget::NothingBefore {
            version: latest.deployment.version.clone(),
            commit: latest.deployment.commit.clone(),
        });
    };
    let named = records.iter().find(|record| record.tag == to);
    let found = named.or_else(|| records.iter().find(|record| record.deployment.version == to));
    match found {
        Some(record) if runs(record) => Err(NoTarget::RunsIt { tag: record.tag.clone() }),
        Some(record) => Ok((record, latest)),
        None => {
            let mut ran: Vec<String> = Vec::new();
            for record in records {
                if !ran.contains(&record.deployment.version) {
                    ran.push(record.deployment.version.clone());
                }
            }
            Err(NoTarget::Unknown { to: to.to_owned(), ran })
        }
    }
}

/// The environment branch commit's message for a rollback from `latest` to `to`.
#[must_use]
pub fn message(environment: &str, to: &Record, latest: &Record) -> String {
    let version = &to.deployment.version;
    format!(
        "Roll back {environment} to {version}\n\n\
         {environment} ran {version} ({}) as {}; this undoes {}.\n\n\
         {}: {}\nRollback-Of: {}\n",
        to.deployment.commit.short(),
        to.tag,
        latest.tag,
        record::ROLLBACK_TO,
        to.tag,
        latest.tag
    )
}

/// The rollback the environment branch's commit `release_commit` asks for, checked against the
/// records: the record it names must be one of this environment's (as trust judges records) of
/// the version the branch asks for, and in one repository the branch must hold that record's
/// files. `None` when the commit asks for none.
///
/// # Errors
/// When the commit asks for a rollback that the records do not bear out.
pub fn asked(
    workspace: &Workspace,
    app: &AppRepo,
    environment: &str,
    release_commit: &ObjectId,
    version: &Version,
) -> Result<Option<Rollback>, Error> {
    let message = workspace.repo.commit_message(release_commit)?;
    let Some(to) = record::rollback_to(&message) else { return Ok(None) };
    // A commit that rolled another environment back (the one before, whose branch a promotion
    // comes from) is an ordinary change for this one, judged as any other.
    if record::candidate(&to, &workspace.file.tags, None).is_some_and(|named| named.environment != environment) {
        return Ok(None);
    }
    let refused = |why: String| {
        Error::from(super::Refusal::RollbackUnresolvable {
            environment: environment.to_owned(),
            commit: release_commit.short().to_owned(),
            to: to.clone(),
            why,
        })
    };
    let Some(tag) = app.tag(&to)? else { return Err(refused(format!("no tag {to} is here"))) };
    let Some(commit) = app.repo.tag_commit(&tag)? else { return Err(refused(format!("{to} names no commit"))) };
    let records = app.records_on(&workspace.file.tags, environment, &commit)?;
    let Some(record) = records.into_iter().find(|record| record.tag == to) else {
        return Err(refused(format!("{to} is no record of {environment} that counts here")));
    };
    if record.deployment.version != version.to_string() {
        return Err(refused(format!("{to} deployed {}, and the branch asks for {version}", record.deployment.version)));
    }
    if workspace.file.app.is_here() && workspace.repo.commit_tree(release_commit)? != app.repo.commit_tree(&commit)? {
        return Err(refused(format!("the branch's files differ from those {to} deployed")));
    }
    let of = record::trailer(&message, "Rollback-Of");
    Ok(Some(Rollback { to: record, of }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Deployment;

    fn record(tag: &str, version: &str, commit: char, minute: i64) -> Record {
        let deployment = Deployment {
            environment: "prod".into(),
            version: version.into(),
            commit: ObjectId::from_hex(&commit.to_string().repeat(40)).expect("a valid id"),
            release_commit: None,
            pipeline: None,
            deployed_by: None,
            branch: None,
            version_tag: None,
            time: jiff::Timestamp::from_second(1_795_000_000 + minute * 60).expect("a valid moment"),
            rollback_of: None,
            components: std::collections::BTreeMap::new(),
        };
        deployment.into_record(tag.into(), 1)
    }

    fn history() -> Vec<Record> {
        vec![
            record("1.1.0.c.prod", "1.1.0", 'c', 3),
            record("1.1.0.b.prod", "1.1.0", 'c', 2),
            record("1.0.0.a.prod", "1.0.0", 'a', 1),
            record("0.9.0.z.prod", "0.9.0", 'f', 0),
        ]
    }

    #[test]
    fn by_default_it_goes_to_the_newest_deployment_of_something_else() {
        let records = history();
        let (to, latest) = choose(&records, None).expect("a target");
        assert_eq!((to.tag.as_str(), latest.tag.as_str()), ("1.0.0.a.prod", "1.1.0.c.prod"));
    }

    #[test]
    fn a_version_or_a_record_can_be_named() {
        let records = history();
        assert_eq!(choose(&records, Some("0.9.0")).expect("ran").0.tag, "0.9.0.z.prod");
        assert_eq!(choose(&records, Some("1.0.0.a.prod")).expect("a record").0.tag, "1.0.0.a.prod");
    }

    #[test]
    fn what_runs_now_and_what_never_ran_are_refused() {
        let records = history();
        assert_eq!(choose(&records, Some("1.1.0")), Err(NoTarget::RunsIt { tag: "1.1.0.c.prod".into() }));
        let Err(NoTarget::Unknown { ran, .. }) = choose(&records, Some("2.0.0")) else { panic!("never ran") };
        assert_eq!(ran, ["1.1.0", "1.0.0", "0.9.0"]);
    }

    #[test]
    fn nothing_to_go_back_to_is_refused() {
        assert_eq!(choose(&[], None), Err(NoTarget::NothingDeployed));
        let only = vec![record("1.0.0.b.prod", "1.0.0", 'a', 1), record("1.0.0.a.prod", "1.0.0", 'a', 0)];
        assert!(matches!(choose(&only, None), Err(NoTarget::NothingBefore { .. })));
    }

    #[test]
    fn the_message_names_both_records_as_trailers() {
        let records = history();
        let text = message("prod", &records[2], &records[0]);
        assert_eq!(record::rollback_to(&text).as_deref(), Some("1.0.0.a.prod"));
        assert_eq!(record::trailer(&text, "Rollback-Of").as_deref(), Some("1.1.0.c.prod"));
        assert!(text.starts_with("Roll back prod to 1.0.0\n\n"));
    }
}
