//! Passkeys as the relying party checks them (WebAuthn Level 2, §7.1
//! registration and §7.2 authentication): the client data, the
//! authenticator data, the attestation object and the COSE key. Everything
//! but the signature's arithmetic is decided here; the worker verifies the
//! signature over [`SignedAssertion::signed`] with Web Crypto, so no
//! ECDSA or RSA code ships in its wasm.
//!
//! CBOR and COSE are parsed by `ciborium` and `coset` (Google's COSE
//! crate, built on ciborium): an attestation object is untrusted input
//! from any browser, and a hand-written CBOR reader is where such parsers
//! go wrong (lengths, nesting, canonical integers).

use crate::jwt::Jwk;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use coset::cbor::value::Value;
use coset::{iana, AsCborValue, CoseKey, KeyType, Label, RegisteredLabelWithPrivate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// COSE algorithms a passkey may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PasskeyAlgorithm {
    ES256,
    RS256,
}

impl PasskeyAlgorithm {
    pub fn cose(self) -> i64 {
        match self {
            PasskeyAlgorithm::ES256 => -7,
            PasskeyAlgorithm::RS256 => -257,
        }
    }
}

/// What the ceremony must match: the relying party and the origin the
/// request came to, and the challenge the registry handed out.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub rp_id: &'a str,
    pub origin: &'a str,
    pub challenge: &'a str,
}

/// Why a ceremony was refused (401 `passkey_rejected`, this as detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    Encoding(&'static str),
    ClientData(String),
    WrongType { wanted: &'static str },
    WrongChallenge,
    WrongOrigin(String),
    CrossOrigin,
    WrongRelyingParty,
    NoUserPresence,
    NoUserVerification,
    AuthenticatorData(&'static str),
    Attestation(String),
    UnsupportedKey(String),
    CounterWentBack { stored: u32, presented: u32 },
    Signature,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejected::Encoding(field) => write!(f, "{field} is not base64url"),
            Rejected::ClientData(why) => write!(f, "the client data is not valid: {why}"),
            Rejected::WrongType { wanted } => write!(f, "the client data's type is not {wanted}"),
            Rejected::WrongChallenge => {
                f.write_str("the challenge is unknown, expired or already used")
            }
            Rejected::WrongOrigin(o) => write!(f, "the ceremony ran on another origin ({o})"),
            Rejected::CrossOrigin => f.write_str("the ceremony ran in a cross-origin frame"),
            Rejected::WrongRelyingParty => {
                f.write_str("the authenticator signed for another relying party")
            }
            Rejected::NoUserPresence => f.write_str("the authenticator saw no user present"),
            Rejected::NoUserVerification => {
                f.write_str("the authenticator did not verify the user (PIN or biometrics)")
            }
            Rejected::AuthenticatorData(why) => {
                write!(f, "the authenticator data is not valid: {why}")
            }
            Rejected::Attestation(why) => write!(f, "the attestation is not valid: {why}"),
            Rejected::UnsupportedKey(why) => write!(f, "unsupported public key: {why}"),
            Rejected::CounterWentBack { stored, presented } => write!(
                f,
                "the signature counter went back ({presented} after {stored}): the passkey may be cloned"
            ),
            Rejected::Signature => f.write_str("the signature does not verify"),
        }
    }
}

pub fn decode(field: &'static str, b64: &str) -> Result<Vec<u8>, Rejected> {
    URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|_| Rejected::Encoding(field))
}

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `collectedClientData` (§5.8.1), the fields a relying party checks.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientData {
    #[serde(rename = "type")]
    pub type_: String,
    pub challenge: String,
    pub origin: String,
    #[serde(default, rename = "crossOrigin")]
    pub cross_origin: bool,
}

pub fn client_data(json: &[u8]) -> Result<ClientData, Rejected> {
    serde_json::from_slice(json).map_err(|e| Rejected::ClientData(e.to_string()))
}

const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;
const FLAG_AT: u8 = 0x40;
const FLAG_ED: u8 = 0x80;
/// The longest credential id the specification allows.
pub const CREDENTIAL_ID_MAX: usize = 1023;

/// A passkey's public key, as COSE gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Es256 { x: Vec<u8>, y: Vec<u8> },
    Rs256 { n: Vec<u8>, e: Vec<u8> },
}

impl PublicKey {
    pub fn algorithm(&self) -> PasskeyAlgorithm {
        match self {
            PublicKey::Es256 { .. } => PasskeyAlgorithm::ES256,
            PublicKey::Rs256 { .. } => PasskeyAlgorithm::RS256,
        }
    }

    /// The key as a JWK, how it is stored and how Web Crypto imports it.
    pub fn jwk(&self) -> Jwk {
        let mut jwk = Jwk {
            kty: String::new(),
            kid: None,
            alg: None,
            use_: None,
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        match self {
            PublicKey::Es256 { x, y } => {
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = Some(encode(x));
                jwk.y = Some(encode(y));
            }
            PublicKey::Rs256 { n, e } => {
                jwk.kty = "RSA".into();
                jwk.n = Some(encode(n));
                jwk.e = Some(encode(e));
            }
        }
        jwk
    }

    fn from_cose(key: CoseKey) -> Result<PublicKey, Rejected> {
        let param = |label: i64| {
            key.params
                .iter()
                .find(|(l, _)| *l == Label::Int(label))
                .map(|(_, v)| v)
        };
        let bytes = |label: i64, what: &str| match param(label) {
            Some(Value::Bytes(b)) => Ok(b.clone()),
            _ => Err(Rejected::UnsupportedKey(format!("{what} is missing"))),
        };
        let alg = match &key.alg {
            Some(RegisteredLabelWithPrivate::Assigned(a)) => *a,
            _ => return Err(Rejected::UnsupportedKey("no algorithm".into())),
        };
        match (&key.kty, alg) {
            (KeyType::Assigned(iana::KeyType::EC2), iana::Algorithm::ES256) => {
                let p256 = iana::EllipticCurve::P_256 as i64;
                if !matches!(param(-1), Some(Value::Integer(c)) if i128::from(*c) == i128::from(p256))
                {
                    return Err(Rejected::UnsupportedKey("ES256 needs curve P-256".into()));
                }
                let (x, y) = (bytes(-2, "x")?, bytes(-3, "y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(Rejected::UnsupportedKey(
                        "a P-256 coordinate is not 32 bytes".into(),
                    ));
                }
                Ok(PublicKey::Es256 { x, y })
            }
            (KeyType::Assigned(iana::KeyType::RSA), iana::Algorithm::RS256) => {
                let (n, e) = (bytes(-1, "n")?, bytes(-2, "e")?);
                let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
                if bits < 2048 {
                    return Err(Rejected::UnsupportedKey(
                        "an RSA key needs at least 2048 bits".into(),
                    ));
                }
                Ok(PublicKey::Rs256 { n, e })
            }
            (kty, alg) => Err(Rejected::UnsupportedKey(format!(
                "{kty:?} with {alg:?}; ES256 and RS256 are supported"
            ))),
        }
    }
}

/// Authenticator data (§6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    /// Registration only: the new credential.
    pub attested: Option<(Vec<u8>, PublicKey)>,
}

pub fn authenticator_data(bytes: &[u8]) -> Result<AuthenticatorData, Rejected> {
    let bad = Rejected::AuthenticatorData;
    if bytes.len() < 37 {
        return Err(bad("shorter than 37 bytes"));
    }
    let mut rp_id_hash = [0u8; 32];
    rp_id_hash.copy_from_slice(&bytes[..32]);
    let flags = bytes[32];
    let sign_count = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
    let mut rest = &bytes[37..];
    let attested = if flags & FLAG_AT != 0 {
        if rest.len() < 18 {
            return Err(bad("the attested credential data is cut short"));
        }
        let id_len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        rest = &rest[18..];
        if id_len == 0 || id_len > CREDENTIAL_ID_MAX || rest.len() < id_len {
            return Err(bad("the credential id's length is not valid"));
        }
        let id = rest[..id_len].to_vec();
        rest = &rest[id_len..];
        // One CBOR item, the COSE key; the slice reader advances past it.
        let value: Value = coset::cbor::de::from_reader(&mut rest)
            .map_err(|_| bad("the credential public key is not CBOR"))?;
        let key = CoseKey::from_cbor_value(value)
            .map_err(|e| Rejected::UnsupportedKey(format!("not a COSE key: {e}")))?;
        Some((id, PublicKey::from_cose(key)?))
    } else {
        None
    };
    if flags & FLAG_ED != 0 {
        let _: Value = coset::cbor::de::from_reader(&mut rest)
            .map_err(|_| bad("the extensions are not CBOR"))?;
    }
    if !rest.is_empty() {
        return Err(bad("trailing bytes"));
    }
    Ok(AuthenticatorData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
    })
}

fn check_client_data(
    expected: &Expected<'_>,
    client_data_json: &[u8],
    wanted: &'static str,
) -> Result<(), Rejected> {
    let data = client_data(client_data_json)?;
    if data.type_ != wanted {
        return Err(Rejected::WrongType { wanted });
    }
    if data.challenge.trim_end_matches('=') != expected.challenge {
        return Err(Rejected::WrongChallenge);
    }
    if data.origin != expected.origin {
        return Err(Rejected::WrongOrigin(data.origin));
    }
    if data.cross_origin {
        return Err(Rejected::CrossOrigin);
    }
    Ok(())
}

fn check_authenticator(expected: &Expected<'_>, data: &AuthenticatorData) -> Result<(), Rejected> {
    let rp_hash: [u8; 32] = Sha256::digest(expected.rp_id.as_bytes()).into();
    if data.rp_id_hash != rp_hash {
        return Err(Rejected::WrongRelyingParty);
    }
    if data.flags & FLAG_UP == 0 {
        return Err(Rejected::NoUserPresence);
    }
    if data.flags & FLAG_UV == 0 {
        return Err(Rejected::NoUserVerification);
    }
    Ok(())
}

/// A registered credential, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    pub id: Vec<u8>,
    pub key: PublicKey,
    pub sign_count: u32,
}

/// Registration (§7.1). Attestation is `none`: the statement of any other
/// format is not verified, since trust rests on the ceremony (a signed-in
/// person or a single-use enrolment link), not on the device's model.
pub fn check_registration(
    expected: &Expected<'_>,
    credential_id: &[u8],
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<NewCredential, Rejected> {
    check_client_data(expected, client_data_json, "webauthn.create")?;
    let mut reader = attestation_object;
    let value: Value = coset::cbor::de::from_reader(&mut reader)
        .map_err(|_| Rejected::Attestation("not CBOR".into()))?;
    let Value::Map(entries) = value else {
        return Err(Rejected::Attestation("not a map".into()));
    };
    let field = |name: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, Value::Text(t) if t == name))
            .map(|(_, v)| v)
    };
    let Some(Value::Text(_fmt)) = field("fmt") else {
        return Err(Rejected::Attestation("no fmt".into()));
    };
    let Some(Value::Bytes(auth_data)) = field("authData") else {
        return Err(Rejected::Attestation("no authData".into()));
    };
    let data = authenticator_data(auth_data)?;
    check_authenticator(expected, &data)?;
    let Some((id, key)) = data.attested else {
        return Err(Rejected::AuthenticatorData("no attested credential"));
    };
    if id != credential_id {
        return Err(Rejected::AuthenticatorData(
            "the credential id differs from the one attested",
        ));
    }
    Ok(NewCredential {
        id,
        key,
        sign_count: data.sign_count,
    })
}

/// Whether a presented signature counter may follow the stored one: it
/// must grow, unless the authenticator keeps none (both zero, as synced
/// passkeys do).
pub fn counter_follows(stored: u32, presented: u32) -> bool {
    presented > stored || (stored == 0 && presented == 0)
}

/// An assertion that passed every check but the signature's arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAssertion {
    /// `authenticatorData || SHA-256(clientDataJSON)`.
    pub signed: Vec<u8>,
    /// As Web Crypto verifies it: ES256 as raw `r || s`.
    pub signature: Vec<u8>,
    pub sign_count: u32,
}

/// Authentication (§7.2), against the stored credential's algorithm and
/// counter.
pub fn check_assertion(
    expected: &Expected<'_>,
    client_data_json: &[u8],
    authenticator_data_bytes: &[u8],
    signature: &[u8],
    algorithm: PasskeyAlgorithm,
    stored_count: u32,
) -> Result<SignedAssertion, Rejected> {
    check_client_data(expected, client_data_json, "webauthn.get")?;
    let data = authenticator_data(authenticator_data_bytes)?;
    check_authenticator(expected, &data)?;
    if !counter_follows(stored_count, data.sign_count) {
        return Err(Rejected::CounterWentBack {
            stored: stored_count,
            presented: data.sign_count,
        });
    }
    let signature = match algorithm {
        PasskeyAlgorithm::ES256 => der_to_raw(signature).ok_or(Rejected::Signature)?.to_vec(),
        PasskeyAlgorithm::RS256 => signature.to_vec(),
    };
    let mut signed = authenticator_data_bytes.to_vec();
    signed.extend_from_slice(&Sha256::digest(client_data_json));
    Ok(SignedAssertion {
        signed,
        signature,
        sign_count: data.sign_count,
    })
}

/// An ECDSA signature from its ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }`
/// (what authenticators send) to the fixed 64 bytes `r || s` (what Web
/// Crypto verifies). Anything but exactly that structure is refused.
pub fn der_to_raw(der: &[u8]) -> Option<[u8; 64]> {
    fn integer(input: &[u8]) -> Option<(&[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let len = usize::from(len);
        if tag != 0x02 || len == 0 || len > 33 || rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        // Positive, minimally encoded: a leading zero only before a high bit.
        if value[0] & 0x80 != 0 || (value.len() > 1 && value[0] == 0 && value[1] & 0x80 == 0) {
            return None;
        }
        let value = if value.len() == 33 {
            &value[1..]
        } else {
            value
        };
        Some((value, rest))
    }
    let (&tag, rest) = der.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if tag != 0x30 || usize::from(len) != rest.len() {
        return None;
    }
    let (r, rest) = integer(rest)?;
    let (s, rest) = integer(rest)?;
    if !rest.is_empty() || r.len() > 32 || s.len() > 32 {
        return None;
    }
    let mut raw = [0u8; 64];
    raw[32 - r.len()..32].copy_from_slice(r);
    raw[64 - s.len()..].copy_from_slice(s);
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::cbor::value::Value;

    const RP: &str = "keyward.example";
    const ORIGIN: &str = "https://keyward.example";

    fn expected(challenge: &str) -> Expected<'_> {
        Expected {
            rp_id: RP,
            origin: ORIGIN,
            challenge,
        }
    }

    fn client(type_: &str, challenge: &str, origin: &str) -> Vec<u8> {
        serde_json::json!({"type": type_, "challenge": challenge, "origin": origin})
            .to_string()
            .into_bytes()
    }

    fn cose_es256() -> Value {
        Value::Map(vec![
            (Value::Integer(1.into()), Value::Integer(2.into())),
            (Value::Integer(3.into()), Value::Integer((-7).into())),
            (Value::Integer((-1).into()), Value::Integer(1.into())),
            (Value::Integer((-2).into()), Value::Bytes(vec![1; 32])),
            (Value::Integer((-3).into()), Value::Bytes(vec![2; 32])),
        ])
    }

    fn auth_data(rp: &str, flags: u8, count: u32, attested: Option<(&[u8], Value)>) -> Vec<u8> {
        let mut out = Sha256::digest(rp.as_bytes()).to_vec();
        out.push(flags | if attested.is_some() { FLAG_AT } else { 0 });
        out.extend_from_slice(&count.to_be_bytes());
        if let Some((id, key)) = attested {
            out.extend_from_slice(&[0; 16]);
            out.extend_from_slice(&(id.len() as u16).to_be_bytes());
            out.extend_from_slice(id);
            coset::cbor::ser::into_writer(&key, &mut out).unwrap();
        }
        out
    }

    fn attestation(auth: Vec<u8>) -> Vec<u8> {
        let obj = Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (Value::Text("attStmt".into()), Value::Map(vec![])),
            (Value::Text("authData".into()), Value::Bytes(auth)),
        ]);
        let mut out = vec![];
        coset::cbor::ser::into_writer(&obj, &mut out).unwrap();
        out
    }

    #[test]
    fn a_registration_gives_the_credential_and_its_key() {
        let auth = auth_data(RP, FLAG_UP | FLAG_UV, 0, Some((b"cred-1", cose_es256())));
        let got = check_registration(
            &expected("ch"),
            b"cred-1",
            &client("webauthn.create", "ch", ORIGIN),
            &attestation(auth),
        )
        .unwrap();
        assert_eq!(got.id, b"cred-1");
        assert_eq!(got.key.algorithm(), PasskeyAlgorithm::ES256);
        let jwk = got.key.jwk();
        assert_eq!(
            (jwk.kty.as_str(), jwk.crv.as_deref()),
            ("EC", Some("P-256"))
        );
        assert_eq!(jwk.x.as_deref(), Some(encode(&[1; 32]).as_str()));
    }

    #[test]
    fn each_registration_check_refuses() {
        let good = || auth_data(RP, FLAG_UP | FLAG_UV, 0, Some((b"c", cose_es256())));
        let run = |cd: Vec<u8>, auth: Vec<u8>, id: &[u8]| {
            check_registration(&expected("ch"), id, &cd, &attestation(auth)).unwrap_err()
        };
        let ok_cd = || client("webauthn.create", "ch", ORIGIN);
        assert_eq!(
            run(client("webauthn.get", "ch", ORIGIN), good(), b"c"),
            Rejected::WrongType {
                wanted: "webauthn.create"
            }
        );
        assert_eq!(
            run(client("webauthn.create", "other", ORIGIN), good(), b"c"),
            Rejected::WrongChallenge
        );
        assert!(matches!(
            run(
                client("webauthn.create", "ch", "https://evil.example"),
                good(),
                b"c"
            ),
            Rejected::WrongOrigin(_)
        ));
        let other_rp = auth_data(
            "evil.example",
            FLAG_UP | FLAG_UV,
            0,
            Some((b"c", cose_es256())),
        );
        assert_eq!(run(ok_cd(), other_rp, b"c"), Rejected::WrongRelyingParty);
        let no_uv = auth_data(RP, FLAG_UP, 0, Some((b"c", cose_es256())));
        assert_eq!(run(ok_cd(), no_uv, b"c"), Rejected::NoUserVerification);
        let no_up = auth_data(RP, FLAG_UV, 0, Some((b"c", cose_es256())));
        assert_eq!(run(ok_cd(), no_up, b"c"), Rejected::NoUserPresence);
        assert!(matches!(
            run(ok_cd(), good(), b"another id"),
            Rejected::AuthenticatorData(_)
        ));
        let mut wrong_curve = cose_es256();
        if let Value::Map(m) = &mut wrong_curve {
            m[2].1 = Value::Integer(2.into());
        }
        let auth = auth_data(RP, FLAG_UP | FLAG_UV, 0, Some((b"c", wrong_curve)));
        assert!(matches!(
            run(ok_cd(), auth, b"c"),
            Rejected::UnsupportedKey(_)
        ));
        let mut trailing = good();
        trailing.push(0);
        assert!(matches!(
            run(ok_cd(), trailing, b"c"),
            Rejected::AuthenticatorData("trailing bytes")
        ));
    }

    #[test]
    fn an_assertion_signs_the_data_and_the_client_datas_hash() {
        let auth = auth_data(RP, FLAG_UP | FLAG_UV, 5, None);
        let cd = client("webauthn.get", "ch", ORIGIN);
        let der = [0x30, 0x08, 0x02, 0x02, 0x00, 0x80, 0x02, 0x02, 0x01, 0x02];
        let got = check_assertion(
            &expected("ch"),
            &cd,
            &auth,
            &der,
            PasskeyAlgorithm::ES256,
            4,
        )
        .unwrap();
        assert_eq!(got.sign_count, 5);
        assert_eq!(&got.signed[..auth.len()], auth.as_slice());
        assert_eq!(&got.signed[auth.len()..], Sha256::digest(&cd).as_slice());
        assert_eq!(got.signature[31], 0x80);
        assert_eq!(&got.signature[62..], &[1, 2]);
    }

    #[test]
    fn a_counter_that_does_not_grow_is_refused() {
        let cd = client("webauthn.get", "ch", ORIGIN);
        for (stored, presented, ok) in [
            (0, 0, true),
            (4, 5, true),
            (5, 5, false),
            (5, 4, false),
            (3, 0, false),
        ] {
            let auth = auth_data(RP, FLAG_UP | FLAG_UV, presented, None);
            let got = check_assertion(
                &expected("ch"),
                &cd,
                &auth,
                &[],
                PasskeyAlgorithm::RS256,
                stored,
            );
            assert_eq!(got.is_ok(), ok, "{stored} then {presented}");
        }
    }

    #[test]
    fn der_signatures_are_read_strictly() {
        assert!(der_to_raw(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]).is_some());
        // A negative integer, a non-minimal one, trailing bytes, a wrong length.
        assert!(der_to_raw(&[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x02]).is_none());
        assert!(der_to_raw(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x02]).is_none());
        assert!(der_to_raw(&[0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00]).is_none());
        assert!(der_to_raw(&[0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]).is_none());
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..80 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let _ = authenticator_data(&bytes);
            let _ = der_to_raw(&bytes);
            let _ = check_registration(&expected("ch"), b"c", b"{}", &bytes);
        }
    }
}
