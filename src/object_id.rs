//! Object ids as plain data, so that pure modules can name commits without seeing gix.

use std::fmt;

/// A full hexadecimal object id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ObjectId(String);

impl ObjectId {
    /// Accepts the full hex form git prints (40 digits for SHA-1, 64 for SHA-256).
    #[must_use]
    pub fn from_hex(hex: &str) -> Option<ObjectId> {
        let hex = hex.trim();
        let valid =
            matches!(hex.len(), 40 | 64) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| ObjectId(hex.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first seven digits, for messages where uniqueness does not matter.
    #[must_use]
    pub fn short(&self) -> &str {
        &self.0[..7]
    }
}

impl<'de> serde::Deserialize<'de> for ObjectId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ObjectId, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        ObjectId::from_hex(&text).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a full object id")))
    }
}

/// A 64-bit FNV-1a digest: short, stable names derived from text (not a security measure).
#[must_use]
pub fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
