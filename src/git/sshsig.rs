//! ssh signatures (`ssh-keygen -Y sign`'s SSHSIG format) verified in this process, so that a
//! decision that reads a signed record pays microseconds, not two `ssh-keygen` runs. Ed25519
//! keys, ssh-keygen's default, are checked here; any other kind is left to `git verify-tag`.

use base64::Engine as _;

/// What checking an ssh signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The signature is good, by the public key with this wire-format blob.
    Good(Vec<u8>),
    /// The signature is malformed or does not verify.
    Bad(String),
    /// A kind of key this module does not check.
    Unsupported,
}

const ARMOR_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const ARMOR_END: &str = "-----END SSH SIGNATURE-----";

/// Checks `armored`, an SSHSIG block, as a signature of `payload` in `namespace`.
#[must_use]
pub fn verify(payload: &[u8], armored: &str, namespace: &str) -> Checked {
    let Some(body) = armored.trim().strip_prefix(ARMOR_BEGIN).and_then(|rest| rest.trim_end().strip_suffix(ARMOR_END))
    else {
        return Checked::Bad("the signature block is not armored as ssh-keygen armors it".into());
    };
    let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let Ok(blob) = base64::engine::general_purpose::STANDARD.decode(text) else {
        return Checked::Bad("the signature block is not base64".into());
    };
    match parse(&blob) {
        Some(signature) => signature.check(payload, namespace),
        None => Checked::Bad("the signature is not in ssh's SSHSIG format".into()),
    }
}

/// The wire-format blob of a public key written as `<type> <base64>`.
#[must_use]
pub fn key_blob(key: &str) -> Option<Vec<u8>> {
    let body = key.split_whitespace().nth(1)?;
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// A public key's blob as people tell keys apart: its type and the end of its base64.
#[must_use]
pub fn key_shown(blob: &[u8]) -> String {
    let kind = Reader(blob).string().map_or_else(|| "ssh-key".to_owned(), lossy);
    let text = base64::engine::general_purpose::STANDARD.encode(blob);
    format!("{kind} …{}", &text[text.len().saturating_sub(8)..])
}

struct Signature<'a> {
    public_key: &'a [u8],
    namespace: &'a [u8],
    reserved: &'a [u8],
    hash: &'a [u8],
    format: &'a [u8],
    blob: &'a [u8],
}

impl Signature<'_> {
    fn check(&self, payload: &[u8], namespace: &str) -> Checked {
        if self.namespace != namespace.as_bytes() {
            return Checked::Bad(format!(
                "the signature is for namespace `{}`, not `{namespace}`",
                lossy(self.namespace)
            ));
        }
        let mut key = Reader(self.public_key);
        let (Some(kind), Some(point)) = (key.string(), key.string()) else {
            return Checked::Bad("the signature's public key is malformed".into());
        };
        if kind != b"ssh-ed25519" || self.format != b"ssh-ed25519" {
            return Checked::Unsupported;
        }
        let digest = match self.hash {
            b"sha512" => ring::digest::digest(&ring::digest::SHA512, payload),
            b"sha256" => ring::digest::digest(&ring::digest::SHA256, payload),
            other => return Checked::Bad(format!("the signature uses the unknown hash `{}`", lossy(other))),
        };
        let mut signed = b"SSHSIG".to_vec();
        for field in [self.namespace, self.reserved, self.hash, digest.as_ref()] {
            put_string(&mut signed, field);
        }
        let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, point);
        match key.verify(&signed, self.blob) {
            Ok(()) => Checked::Good(self.public_key.to_vec()),
            Err(_) => Checked::Bad("the signature does not match the tag".into()),
        }
    }
}

/// Reads the SSHSIG blob: magic, version 1, then length-prefixed fields.
fn parse(blob: &[u8]) -> Option<Signature<'_>> {
    let rest = blob.strip_prefix(b"SSHSIG")?;
    let mut reader = Reader(rest);
    if reader.u32()? != 1 {
        return None;
    }
    let public_key = reader.string()?;
    let namespace = reader.string()?;
    let reserved = reader.string()?;
    let hash = reader.string()?;
    let mut inner = Reader(reader.string()?);
    let format = inner.string()?;
    let blob = inner.string()?;
    Some(Signature { public_key, namespace, reserved, hash, format, blob })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (field, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(field)
    }
}

fn put_string(out: &mut Vec<u8>, field: &[u8]) {
    let len = u32::try_from(field.len()).expect("fields are far below 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(field);
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{Checked, key_blob, verify};

    // Made once with `ssh-keygen -t ed25519` and `ssh-keygen -Y sign -n git` over PAYLOAD.
    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMpWZp0UKZspwf8YaCxfDlM+DewGAbQsHQbLUutaTxrF";
    const PAYLOAD: &[u8] = b"object 0123\ntype commit\ntag t\ntagger A <a@x> 1 +0000\n\nhello\n";
    const SIGNATURE: &str = "-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgylZmnRQpmynB/xhoLF8OUz4N7A
YBtCwdBstS61pPGsUAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5
AAAAQFz5pYZ+IaqoFpxohTRwHjWYMi9X/qXSDRG5GTufx4FibqULl4xs1usgLLkc1ayRMA
m5Wdc4DKsmVSBWkZr/bQU=
-----END SSH SIGNATURE-----
";

    #[test]
    fn a_signature_ssh_keygen_made_verifies_and_names_its_key() {
        assert_eq!(verify(PAYLOAD, SIGNATURE, "git"), Checked::Good(key_blob(KEY).expect("a key")));
    }

    #[test]
    fn another_payload_namespace_or_a_broken_block_does_not_verify() {
        assert!(matches!(verify(b"object 0123\nchanged\n", SIGNATURE, "git"), Checked::Bad(_)));
        assert!(matches!(verify(PAYLOAD, SIGNATURE, "file"), Checked::Bad(why) if why.contains("namespace")));
        assert!(matches!(verify(PAYLOAD, &SIGNATURE.replace("U1NI", "U1NJ"), "git"), Checked::Bad(_)));
        assert!(matches!(
            verify(PAYLOAD, "-----BEGIN SSH SIGNATURE-----\n!!\n-----END SSH SIGNATURE-----", "git"),
            Checked::Bad(_)
        ));
        assert!(matches!(verify(PAYLOAD, "garbage", "git"), Checked::Bad(_)));
    }
}
