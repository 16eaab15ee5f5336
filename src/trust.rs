//! Whether a record or version tag counts as evidence: the judging environment's `[trust]`, the
//! environments whose signers may vouch for the tag, and what verification found. Pure: the
//! signature itself is checked by `git verify-tag` before this is asked.

use crate::config::{Signer, Trust, TrustMode};

/// What a tag's signature says, as verification found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seal {
    /// The tag carries no signature.
    Unsigned,
    /// A good signature by the ssh key at this index of the keys verification was given.
    SshKey(usize),
    /// A good OpenPGP or X.509 signature: the signing key's fingerprint and its primary key's.
    Fingerprint { key: String, primary: String },
    /// A good signature by a key verification was not given, named for people.
    Unlisted(String),
    /// A signature that does not verify, or by a key verification was not given.
    Bad(String),
}

/// What a tag is worth to a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    /// It counts: trust is off, or a listed key signed it.
    Counts,
    /// It counts, and the use is reported (`warn`).
    Warned(String),
    /// It is not taken as evidence at all (`enforce`).
    Ignored(String),
}

impl Use {
    /// Whether the tag counts at all.
    #[must_use]
    pub fn counts(&self) -> bool {
        !matches!(self, Use::Ignored(_))
    }

    /// What to tell the user about this use, if anything.
    #[must_use]
    pub fn note(&self) -> Option<&str> {
        match self {
            Use::Counts => None,
            Use::Warned(note) | Use::Ignored(note) => Some(note),
        }
    }
}

/// Judges tag `name`, whose signature verification found `seal`, for a decision governed by
/// `trust`: it counts when a key that `[trust.signers]` lists for one of `owners` (the
/// environment of a record; the environments that cut an rc or final tag) signed it.
#[must_use]
pub fn judge(trust: &Trust, name: &str, owners: &[&str], seal: &Seal) -> Use {
    if trust.mode == TrustMode::Off {
        return Use::Counts;
    }
    let Err(why) = vouched(trust, owners, seal) else { return Use::Counts };
    match trust.mode {
        TrustMode::Off => Use::Counts,
        TrustMode::Warn => Use::Warned(format!("{name} counts although {why} ([trust] mode = \"warn\")")),
        TrustMode::Enforce => Use::Ignored(format!("{name} does not count: {why} ([trust] mode = \"enforce\")")),
    }
}

/// Whether an owner's listed key made `seal`, or why not.
fn vouched(trust: &Trust, owners: &[&str], seal: &Seal) -> Result<(), String> {
    let listed =
        |wanted: &dyn Fn(&Signer) -> bool| owners.iter().any(|owner| trust.signers_of(owner).iter().any(wanted));
    let whose = if owners.is_empty() { "no environment".to_owned() } else { owners.join(" or ") };
    match seal {
        Seal::Unsigned => Err("it is not signed".into()),
        Seal::Bad(why) => Err(format!("its signature does not verify ({why})")),
        Seal::SshKey(index) => {
            let keys = trust.ssh_keys();
            let Some(key) = keys.get(*index) else { return Err("it is signed by a key no environment lists".into()) };
            if listed(&|signer| matches!(signer, Signer::Ssh(k) if k == key)) {
                Ok(())
            } else {
                let shown = Signer::Ssh(key.clone());
                Err(format!("it is signed by {shown}, which [trust.signers] lists for other environments, not {whose}"))
            }
        }
        Seal::Unlisted(key) => Err(format!("it is signed by {key}, which [trust.signers] does not list for {whose}")),
        Seal::Fingerprint { key, primary } => {
            if listed(&|signer| matches!(signer, Signer::Fingerprint(f) if f == key || f == primary)) {
                Ok(())
            } else {
                Err(format!("it is signed by {primary}, which [trust.signers] does not list for {whose}"))
            }
        }
    }
}

/// Whose approval a tag signed with `seal` is: the key `[trust.approvers]` lists for
/// `environment` that made it, as people read it, or why it counts for no one. `ssh_keys` are
/// the keys verification was given, [`approver_ssh_keys`] of the same environment. Approvals
/// count only signed, whatever `[trust] mode` says: they are asked for only where a rule needs them.
///
/// # Errors
/// Why the tag counts for no approver.
pub fn approver(trust: &Trust, environment: &str, seal: &Seal) -> Result<String, String> {
    let listed = trust.approvers_of(environment);
    match seal {
        Seal::Unsigned => Err("it is not signed".into()),
        Seal::Bad(why) => Err(format!("its signature does not verify ({why})")),
        Seal::SshKey(index) => approver_ssh_keys(trust, environment)
            .get(*index)
            .map(|key| Signer::Ssh(key.clone()).to_string())
            .ok_or_else(|| format!("it is signed by a key [trust.approvers] does not list for {environment}")),
        Seal::Unlisted(key) => {
            Err(format!("it is signed by {key}, which [trust.approvers] does not list for {environment}"))
        }
        Seal::Fingerprint { key, primary } => listed
            .iter()
            .find(|signer| matches!(signer, Signer::Fingerprint(f) if f == key || f == primary))
            .map(ToString::to_string)
            .ok_or_else(|| {
                format!("it is signed by {primary}, which [trust.approvers] does not list for {environment}")
            }),
    }
}

/// The ssh keys whose approvals count for `environment`, in the order verification numbers them.
#[must_use]
pub fn approver_ssh_keys(trust: &Trust, environment: &str) -> Vec<String> {
    trust
        .approvers_of(environment)
        .iter()
        .filter_map(|signer| match signer {
            Signer::Ssh(key) => Some(key.clone()),
            Signer::Fingerprint(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Seal;
    use super::{Use, judge};
    use crate::config::{Signer, Trust, TrustMode};

    const QA_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIqa";
    const PROD_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIprod";
    const FINGERPRINT: &str = "0123456789ABCDEF0123456789ABCDEF01234567";

    fn trust(mode: TrustMode) -> Trust {
        Trust {
            mode,
            signers: vec![
                ("qa".into(), vec![Signer::Ssh(QA_KEY.into()), Signer::Fingerprint(FINGERPRINT.into())]),
                ("prod".into(), vec![Signer::Ssh(PROD_KEY.into())]),
            ],
            approvers: Vec::new(),
        }
    }

    #[test]
    fn a_listed_key_of_the_owner_makes_it_count() {
        let trust = trust(TrustMode::Enforce);
        assert_eq!(trust.ssh_keys(), [QA_KEY, PROD_KEY]);
        assert_eq!(judge(&trust, "r.qa", &["qa"], &Seal::SshKey(0)), Use::Counts);
        assert_eq!(judge(&trust, "r.prod", &["prod"], &Seal::SshKey(1)), Use::Counts);
        let gpg = Seal::Fingerprint { key: "FFFF".into(), primary: FINGERPRINT.into() };
        assert_eq!(judge(&trust, "r.qa", &["qa"], &gpg), Use::Counts, "a subkey of a listed primary key");
        assert_eq!(judge(&trust, "v1-rc.1", &["dev", "qa"], &Seal::SshKey(0)), Use::Counts, "any owner's key");
    }

    #[test]
    fn another_environments_key_does_not_vouch() {
        let trust = trust(TrustMode::Enforce);
        let judged = judge(&trust, "r.qa", &["qa"], &Seal::SshKey(1));
        assert!(!judged.counts());
        assert!(judged.note().is_some_and(|n| n.contains("not qa")), "{judged:?}");
        assert!(!judge(&trust, "r.dev", &["dev"], &Seal::SshKey(0)).counts(), "dev lists no key");
        assert!(!judge(&trust, "r.qa", &["qa"], &Seal::SshKey(7)).counts(), "a number verification never gave");
        let other = Seal::Fingerprint { key: "AAAA".into(), primary: "BBBB".into() };
        assert!(!judge(&trust, "r.qa", &["qa"], &other).counts());
        assert!(!judge(&trust, "v1", &[], &Seal::SshKey(0)).counts(), "a tag no environment owns");
        let stranger = judge(&trust, "r.qa", &["qa"], &Seal::Unlisted("ssh-ed25519 …AAAAIzzz".into()));
        assert_eq!(
            stranger.note(),
            Some(
                "r.qa does not count: it is signed by ssh-ed25519 …AAAAIzzz, which [trust.signers] does not list for qa ([trust] mode = \"enforce\")"
            )
        );
    }

    #[test]
    fn unsigned_or_bad_counts_only_below_enforce() {
        for seal in [Seal::Unsigned, Seal::Bad("BAD signature".into())] {
            assert_eq!(judge(&trust(TrustMode::Off), "r.qa", &["qa"], &seal), Use::Counts);
            let warned = judge(&trust(TrustMode::Warn), "r.qa", &["qa"], &seal);
            assert!(warned.counts() && warned.note().is_some(), "{warned:?}");
            let ignored = judge(&trust(TrustMode::Enforce), "r.qa", &["qa"], &seal);
            assert!(!ignored.counts(), "{ignored:?}");
        }
        let note = judge(&trust(TrustMode::Enforce), "r.qa", &["qa"], &Seal::Unsigned);
        assert_eq!(note.note(), Some("r.qa does not count: it is not signed ([trust] mode = \"enforce\")"));
    }
}
