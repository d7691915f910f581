//! Token secrets: `kw_<kind>_<random base62><base62 CRC32>`.
//!
//! The checksum lets the edge reject typos and garbage without a storage
//! lookup; the hash is the only form in which a secret is ever stored.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

const PREFIX: &str = "kw_";
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 32 base62 characters carry 32 × log2(62) ≈ 190 bits.
pub const RANDOM_LEN: usize = 32;
pub const CHECKSUM_LEN: usize = 6;
/// `kw_` + kind letter + `_` + random + checksum.
pub const SECRET_LEN: usize = PREFIX.len() + 2 + RANDOM_LEN + CHECKSUM_LEN;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Master,
    Scoped,
    Personal,
    /// A member's own credential, handed over by invitation.
    User,
    /// Dataiku's global API key: per-project grants, maybe global admin.
    Global,
}

impl TokenKind {
    pub fn letter(self) -> char {
        match self {
            TokenKind::Master => 'm',
            TokenKind::Scoped => 's',
            TokenKind::Personal => 'p',
            TokenKind::User => 'u',
            TokenKind::Global => 'g',
        }
    }
    pub fn from_letter(c: char) -> Option<Self> {
        match c {
            'm' => Some(TokenKind::Master),
            's' => Some(TokenKind::Scoped),
            'p' => Some(TokenKind::Personal),
            'u' => Some(TokenKind::User),
            'g' => Some(TokenKind::Global),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Master => "master",
            TokenKind::Scoped => "scoped",
            TokenKind::Personal => "personal",
            TokenKind::User => "user",
            TokenKind::Global => "global",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "master" => Some(TokenKind::Master),
            "scoped" => Some(TokenKind::Scoped),
            "personal" => Some(TokenKind::Personal),
            "user" => Some(TokenKind::User),
            "global" => Some(TokenKind::Global),
            _ => None,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretError {
    Length,
    Prefix,
    Kind,
    Alphabet,
    Checksum,
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretError::Length => "the token has the wrong length",
            SecretError::Prefix => "the token does not start with kw_",
            SecretError::Kind => "the token kind letter is not m, s, p, u or g",
            SecretError::Alphabet => "the token contains characters outside base62",
            SecretError::Checksum => "the token checksum does not match",
        })
    }
}

/// A syntactically valid secret. Deliberately not `Display`/`Serialize`: a
/// secret is written out only through [`Secret::expose`], which is easy to
/// grep for.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.hint())
    }
}

/// Lower-case hex SHA-256 of a secret: what storage keys are made of.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretHash(pub String);

impl SecretHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Secret {
    /// Builds a secret from a source of random bytes (the caller's CSPRNG).
    /// Rejection sampling keeps every character uniform over base62.
    pub fn generate(kind: TokenKind, mut fill: impl FnMut(&mut [u8])) -> Secret {
        let mut s = String::with_capacity(SECRET_LEN);
        s.push_str(PREFIX);
        s.push(kind.letter());
        s.push('_');
        let mut produced = 0;
        let mut buf = [0u8; 64];
        while produced < RANDOM_LEN {
            fill(&mut buf);
            for b in buf {
                // 248 = 4 × 62: bytes above it would bias the first characters.
                if b < 248 && produced < RANDOM_LEN {
                    s.push(ALPHABET[(b % 62) as usize] as char);
                    produced += 1;
                }
            }
        }
        let checksum = checksum(&s);
        s.push_str(&checksum);
        Secret(s)
    }

    pub fn parse(raw: &str) -> Result<Secret, SecretError> {
        if raw.len() != SECRET_LEN || !raw.is_ascii() {
            return Err(SecretError::Length);
        }
        if !raw.starts_with(PREFIX) || raw.as_bytes()[PREFIX.len() + 1] != b'_' {
            return Err(SecretError::Prefix);
        }
        if TokenKind::from_letter(raw.as_bytes()[PREFIX.len()] as char).is_none() {
            return Err(SecretError::Kind);
        }
        let body = &raw[PREFIX.len() + 2..];
        if !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SecretError::Alphabet);
        }
        let (payload, sum) = raw.split_at(SECRET_LEN - CHECKSUM_LEN);
        if checksum(payload) != sum {
            return Err(SecretError::Checksum);
        }
        Ok(Secret(raw.to_string()))
    }

    pub fn kind(&self) -> TokenKind {
        TokenKind::from_letter(self.0.as_bytes()[PREFIX.len()] as char)
            .expect("kind letter checked at construction")
    }

    pub fn hash(&self) -> SecretHash {
        hash_str(&self.0)
    }

    /// The prefix and the last four characters: enough to recognise a
    /// secret, far too little to guess it.
    pub fn hint(&self) -> String {
        hint_of(&self.0[..PREFIX.len() + 2], &self.0[SECRET_LEN - 4..])
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The one way a hint is written: `kw_<kind>_…<last four>`.
fn hint_of(prefix: &str, last4: &str) -> String {
    format!("{prefix}…{last4}")
}

/// A hint as a person gives it back (`kw_s_…Ab3x`, as the API shows it;
/// `...` is taken for `…`), in the form [`Secret::hint`] writes, or `None`
/// for anything that no secret's hint could be.
pub fn parse_hint(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (prefix, last4) = raw.split_once('…').or_else(|| raw.split_once("..."))?;
    let kind = prefix
        .strip_prefix(PREFIX)?
        .strip_suffix('_')
        .filter(|k| k.len() == 1)?;
    TokenKind::from_letter(kind.chars().next()?)?;
    if last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(hint_of(prefix, last4))
}

pub fn hash_str(s: &str) -> SecretHash {
    let digest = Sha256::digest(s.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    SecretHash(out)
}

pub(crate) fn checksum(payload: &str) -> String {
    let mut n = crc32fast::hash(payload.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("ascii")
}

/// Random base62 identifiers for ids and client ids (not secrets).
pub fn random_id(len: usize, mut fill: impl FnMut(&mut [u8])) -> String {
    let mut s = String::with_capacity(len);
    let mut buf = [0u8; 32];
    while s.len() < len {
        fill(&mut buf);
        for b in buf {
            if b < 248 && s.len() < len {
                s.push(ALPHABET[(b % 62) as usize] as char);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn os_random(buf: &mut [u8]) {
        getrandom::getrandom(buf).expect("os randomness");
    }

    #[test]
    fn generated_secrets_parse_and_keep_their_kind() {
        for kind in [TokenKind::Master, TokenKind::Scoped, TokenKind::Personal] {
            let s = Secret::generate(kind, os_random);
            assert_eq!(s.expose().len(), SECRET_LEN);
            assert!(s.expose().starts_with(&format!("kw_{}_", kind.letter())));
            let parsed = Secret::parse(s.expose()).expect("round trip");
            assert_eq!(parsed.kind(), kind);
            assert_eq!(parsed.hash(), s.hash());
        }
    }

    #[test]
    fn two_secrets_differ() {
        let a = Secret::generate(TokenKind::Scoped, os_random);
        let b = Secret::generate(TokenKind::Scoped, os_random);
        assert_ne!(a, b);
    }

    #[test]
    fn rejects_each_kind_of_damage() {
        let s = Secret::generate(TokenKind::Scoped, os_random);
        let raw = s.expose().to_string();
        assert_eq!(Secret::parse(&raw[1..]), Err(SecretError::Length));
        assert_eq!(
            Secret::parse(&raw.replacen("kw_", "kx_", 1)),
            Err(SecretError::Prefix)
        );
        assert_eq!(
            Secret::parse(&raw.replacen("kw_s", "kw_x", 1)),
            Err(SecretError::Kind)
        );
        let mut bad = raw.clone().into_bytes();
        bad[10] = b'-';
        assert_eq!(
            Secret::parse(std::str::from_utf8(&bad).unwrap()),
            Err(SecretError::Alphabet)
        );
        // A changed kind letter must also break the checksum.
        assert_eq!(
            Secret::parse(&raw.replacen("kw_s", "kw_m", 1)),
            Err(SecretError::Checksum)
        );
    }

    #[test]
    fn hint_shows_prefix_and_last_four_only() {
        let s = Secret::generate(TokenKind::Master, os_random);
        let hint = s.hint();
        assert!(hint.starts_with("kw_m_…"));
        assert!(hint.ends_with(&s.expose()[SECRET_LEN - 4..]));
        assert_eq!(hint.chars().count(), 5 + 1 + 4);
    }

    #[test]
    fn hints_are_read_back_as_written() {
        assert_eq!(parse_hint("kw_s_...Ab3x").as_deref(), Some("kw_s_…Ab3x"));
        assert_eq!(parse_hint(" kw_g_…0000 ").as_deref(), Some("kw_g_…0000"));
        for bad in [
            "",
            "Ab3x",
            "kw_s_Ab3x",
            "kw_x_…Ab3x",
            "kw_s_…Ab3",
            "kw_s_…Ab3x!",
            "kw_ss_…Ab3x",
            "kw_s_…Ab-x",
            "xx_s_…Ab3x",
            "kw_s_….Ab3",
        ] {
            assert_eq!(parse_hint(bad), None, "{bad}");
        }
    }

    #[test]
    fn hash_is_hex_sha256() {
        assert_eq!(
            hash_str("abc").0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn any_single_character_change_is_rejected(pos in 5usize..SECRET_LEN, c in proptest::char::range('0', 'z')) {
            let s = Secret::generate(TokenKind::Scoped, os_random);
            let mut bytes = s.expose().as_bytes().to_vec();
            prop_assume!(c.is_ascii_alphanumeric() && bytes[pos] != c as u8);
            bytes[pos] = c as u8;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Secret::parse(&changed).is_err());
        }

        #[test]
        fn parse_never_panics_and_accepted_strings_round_trip(raw in "\\PC{0,60}") {
            if let Ok(s) = Secret::parse(&raw) {
                prop_assert_eq!(s.expose(), raw.as_str());
            }
        }

        #[test]
        fn secrets_from_any_bytes_parse(seed in proptest::collection::vec(any::<u8>(), 64..512)) {
            let mut offset = 0;
            let s = Secret::generate(TokenKind::Personal, |buf: &mut [u8]| {
                for b in buf.iter_mut() {
                    *b = seed[offset % seed.len()].wrapping_add((offset / seed.len()) as u8);
                    offset += 1;
                }
            });
            prop_assert!(Secret::parse(s.expose()).is_ok());
            // Its hint is read back as exactly the hint the API shows.
            prop_assert_eq!(parse_hint(&s.hint()), Some(s.hint()));
            prop_assert_eq!(parse_hint(&s.hint().replace('…', "...")), Some(s.hint()));
        }
    }
}
