//! `[trust]`: whether signatures on records and version tags count, and whose count for each
//! environment.

use serde_spanned::Spanned;

use super::{Environment, Resolver, raw};

/// `[trust]` as the judging environment's file sets it; off when the file has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    pub mode: TrustMode,
    /// Environment name → the keys whose signatures count for its records and version tags.
    pub signers: Vec<(String, Vec<Signer>)>,
    /// Environment name → the keys whose approvals count for it: each key is one approver.
    pub approvers: Vec<(String, Vec<Signer>)>,
}

/// `mode`: what an unsigned or untrusted record or version tag is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TrustMode {
    /// Signatures are neither checked nor required.
    #[default]
    Off,
    /// Each use of an unsigned or untrusted one is a warning; it still counts.
    Warn,
    /// An unsigned or untrusted one is not one at all.
    Enforce,
}

impl TrustMode {
    /// The name `mode` uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TrustMode::Off => "off",
            TrustMode::Warn => "warn",
            TrustMode::Enforce => "enforce",
        }
    }
}

/// One key whose signatures count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// An ssh public key, `<type> <base64>`, as `gpg.ssh.allowedSignersFile` lists it.
    Ssh(String),
    /// An OpenPGP (or X.509) fingerprint, upper-case hex without spaces.
    Fingerprint(String),
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Ssh(key) => {
                let (kind, body) = key.split_once(' ').unwrap_or((key, ""));
                let tail = body.get(body.len().saturating_sub(8)..).unwrap_or(body);
                write!(f, "{kind} …{tail}")
            }
            Signer::Fingerprint(fingerprint) => f.write_str(fingerprint),
        }
    }
}

/// The ssh key types `ssh-keygen -Y verify` takes.
const SSH_KEY_TYPES: [&str; 7] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

impl Trust {
    /// The keys that count for `environment`'s records and version tags.
    #[must_use]
    pub fn signers_of(&self, environment: &str) -> &[Signer] {
        self.signers.iter().find(|(name, _)| name == environment).map_or(&[], |(_, signers)| signers)
    }

    /// The keys whose approvals count for `environment`.
    #[must_use]
    pub fn approvers_of(&self, environment: &str) -> &[Signer] {
        self.approvers.iter().find(|(name, _)| name == environment).map_or(&[], |(_, approvers)| approvers)
    }

    /// Every ssh key named anywhere, each once, in the order verification numbers them.
    #[must_use]
    pub fn ssh_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for signer in self.signers.iter().flat_map(|(_, signers)| signers) {
            if let Signer::Ssh(key) = signer
                && !keys.contains(key)
            {
                keys.push(key.clone());
            }
        }
        keys
    }
}

/// Reads one signer: an ssh public key as a `.pub` file or an allowed-signers line holds it
/// (a label before the key and a comment after it are dropped), or a hex fingerprint.
///
/// # Errors
/// What the text is not, in words for the release file's problem list.
pub fn read_signer(text: &str) -> Result<Signer, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if let Some(at) = words.iter().position(|w| SSH_KEY_TYPES.contains(w)) {
        if let Some(option) = words[..at].iter().find(|w| w.contains('=')) {
            return Err(format!(
                "`{option}`: allowed-signers options are not read here; give the key alone, as its .pub file holds it"
            ));
        }
        let body = words.get(at + 1).copied().unwrap_or_default();
        let base64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
        if body.len() < 16 || !body.chars().all(base64) {
            return Err(format!("the {} key has no base64 body after its type", words[at]));
        }
        return Ok(Signer::Ssh(format!("{} {body}", words[at])));
    }
    let hex: String = words.concat();
    if matches!(hex.len(), 40 | 64) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(Signer::Fingerprint(hex.to_ascii_uppercase()));
    }
    Err("is neither an ssh public key (such as `ssh-ed25519 AAAAC3Nz… qa-deploy`) nor an OpenPGP fingerprint \
         (40 hex digits, as `gpg --fingerprint` prints it)"
        .into())
}

impl Resolver<'_> {
    pub(super) fn trust(&mut self, raw: raw::Trust, environments: &[Environment]) -> Trust {
        let mode = match raw.mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("off", _)) => TrustMode::Off,
            Some(("warn", _)) => TrustMode::Warn,
            Some(("enforce", _)) => TrustMode::Enforce,
            Some((other, span)) => {
                self.problem(Some(span), format!("[trust] mode `{other}` is unknown; use off, warn or enforce"));
                TrustMode::Off
            }
        };
        let signers = self.keys("signers", raw.signers, environments);
        let approvers = self.keys("approvers", raw.approvers, environments);
        for environment in environments.iter().filter(|e| e.require_approvals > 0) {
            // Each key is one approver: a key listed twice is still one.
            let listed = approvers.iter().find(|(name, _)| *name == environment.name).map_or(0, |(_, keys)| {
                let mut distinct: Vec<&Signer> = Vec::new();
                for key in keys {
                    if !distinct.contains(&key) {
                        distinct.push(key);
                    }
                }
                distinct.len()
            });
            if listed < environment.require_approvals as usize {
                let message = format!(
                    "environment {} has require-approvals = {}, and [trust.approvers] lists {listed} key{} for it; \
                     list a key for each person who may approve (an approval counts only signed by one)",
                    environment.name,
                    environment.require_approvals,
                    if listed == 1 { "" } else { "s" }
                );
                self.problem(None, message);
            }
        }
        Trust { mode, signers, approvers }
    }

    /// `[trust.signers]` or `[trust.approvers]`: environment name → keys.
    fn keys(
        &mut self,
        table: &str,
        raw: std::collections::BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
        environments: &[Environment],
    ) -> Vec<(String, Vec<Signer>)> {
        let mut found = Vec::new();
        for (environment, keys) in raw {
            if !environments.iter().any(|e| &e.name == environment.get_ref()) {
                let known = environments.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ");
                let message =
                    format!("[trust.{table}] names `{}`, which is not an environment ({known})", environment.get_ref());
                self.problem(Some(environment.span()), message);
                continue;
            }
            let read: Vec<Signer> =
                keys.iter().filter_map(|key| self.signer(table, environment.get_ref(), key)).collect();
            found.push((environment.into_inner(), read));
        }
        found
    }

    fn signer(&mut self, table: &str, environment: &str, key: &Spanned<String>) -> Option<Signer> {
        read_signer(key.get_ref())
            .map_err(|why| self.problem(Some(key.span()), format!("[trust.{table}] {environment}: {why}")))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::{Signer, read_signer};

    #[test]
    fn signers_read_as_ssh_keys_or_fingerprints() {
        let key = "AAAAC3NzaC1lZDI1NTE5AAAAIJx1";
        assert_eq!(read_signer(&format!("ssh-ed25519 {key} qa@ci")), Ok(Signer::Ssh(format!("ssh-ed25519 {key}"))));
        assert_eq!(read_signer(&format!("qa ssh-ed25519 {key}")), Ok(Signer::Ssh(format!("ssh-ed25519 {key}"))));
        let fingerprint = "0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567";
        assert_eq!(
            read_signer(fingerprint),
            Ok(Signer::Fingerprint("0123456789ABCDEF0123456789ABCDEF01234567".into()))
        );
        assert!(read_signer(&format!("qa valid-before=\"20270101\" ssh-ed25519 {key}")).is_err());
        assert!(read_signer("ssh-ed25519").is_err());
        assert!(read_signer("ssh-ed25519 AAAA\nmore").is_err());
        assert!(read_signer("0123").is_err());
        assert!(read_signer("").is_err());
    }
}
