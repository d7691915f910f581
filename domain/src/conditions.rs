//! When, and from where, a token works besides its expiry (the peers'
//! controls: Unkey's `enabled`, Cloudflare's `not_before` and
//! `condition.request_ip`), and the free-form metadata it carries.
//!
//! Everything here is decided from the KV record alone, so the edge checks
//! it on every call without asking anything else: a change reaches the
//! edge with the record's next write.

use crate::problem::FieldError;
use crate::validate::{is_invisible_control, MAX_LIFETIME_SECONDS};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use time::OffsetDateTime;

/// Why a found, unexpired secret is not accepted right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    Disabled,
    NotYetValid,
    /// The caller's address is outside the token's allow-list (or unknown
    /// while the token has one).
    AddressNotAllowed,
}

/// A token's use conditions, as its record carries them.
#[derive(Debug, Clone, Copy)]
pub struct UseConditions<'a> {
    pub enabled: bool,
    pub not_before: Option<OffsetDateTime>,
    pub allowed_ips: &'a [Cidr],
}

impl UseConditions<'_> {
    /// The one rule for these conditions. The order is what a caller may
    /// learn: that the token is off or early (401) before anything about
    /// where it is used from (403).
    pub fn admit(&self, now: OffsetDateTime, from: Option<IpAddr>) -> Result<(), Unusable> {
        if !self.enabled {
            return Err(Unusable::Disabled);
        }
        if self.not_before.is_some_and(|nb| now < nb) {
            return Err(Unusable::NotYetValid);
        }
        if !admits_address(self.allowed_ips, from) {
            return Err(Unusable::AddressNotAllowed);
        }
        Ok(())
    }
}

/// An empty list admits every address; a non-empty one only addresses
/// inside it, and never an unknown address (fail closed).
pub fn admits_address(allowed: &[Cidr], from: Option<IpAddr>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    match from {
        Some(ip) => allowed.iter().any(|c| c.contains(ip)),
        None => false,
    }
}

/// Whether every address `inner` admits, `outer` admits too: a token
/// restricted to some networks may only hand out tokens restricted to
/// (parts of) them.
pub fn within(inner: &[Cidr], outer: &[Cidr]) -> bool {
    if outer.is_empty() {
        return true;
    }
    !inner.is_empty()
        && inner
            .iter()
            .all(|i| outer.iter().any(|o| o.covers_network(i)))
}

/// A not-before instant as a request gives it: whole seconds, no further
/// ahead than the longest lifetime. One in the past is allowed (the token
/// is simply valid already), as in Cloudflare's API.
pub fn not_before(field: &str, at: OffsetDateTime, now: OffsetDateTime) -> Result<i64, FieldError> {
    if at - now > time::Duration::seconds(MAX_LIFETIME_SECONDS as i64) {
        return Err(FieldError::new(field, "must be within ten years"));
    }
    Ok(crate::expiry::truncate(at).unix_timestamp())
}

/// A token's window must be open for some time: it becomes valid before
/// it expires.
pub fn window(not_before: Option<i64>, expires_at: Option<i64>) -> Result<(), FieldError> {
    match (not_before, expires_at) {
        (Some(nb), Some(exp)) if nb >= exp => Err(FieldError::new(
            "not_before",
            "must be before the token's expiry",
        )),
        _ => Ok(()),
    }
}

/// How many networks one token may list.
pub const MAX_ALLOWED_IPS: usize = 64;

/// An IPv4 or IPv6 network, `address/prefix`; a bare address is a single
/// host. Host bits must be zero, so `10.1.2.3/8` is refused instead of
/// silently meaning `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => mask_v4(u32::from(a), self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => mask_v6(u128::from(a), self.prefix) == u128::from(n),
            _ => false,
        }
    }

    fn covers_network(&self, other: &Cidr) -> bool {
        self.prefix <= other.prefix && self.contains(other.network)
    }
}

fn mask_v4(a: u32, prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        a & (u32::MAX << (32 - u32::from(prefix)))
    }
}

fn mask_v6(a: u128, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        a & (u128::MAX << (128 - u32::from(prefix)))
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(raw: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{raw}' is not an IPv4 or IPv6 address or network"))?;
        // An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is the IPv4
        // address: one spelling per network.
        let ip = ip.to_canonical();
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && !p.starts_with('+') && (p == "0" || !p.starts_with('0')) => n,
                _ => return Err(format!("'{raw}': the prefix must be 0 to {max}")),
            },
        };
        let network = match ip {
            IpAddr::V4(a) => IpAddr::V4(mask_v4(u32::from(a), prefix).into()),
            IpAddr::V6(a) => IpAddr::V6(mask_v6(u128::from(a), prefix).into()),
        };
        if network != ip {
            return Err(format!(
                "'{raw}' has host bits set: the network is {network}/{prefix}"
            ));
        }
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cidr, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Cidr {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cidr".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "An IPv4 or IPv6 network (`192.0.2.0/24`, `2001:db8::/32`) or a single address.",
            "examples": ["192.0.2.0/24", "2001:db8::/32", "203.0.113.7"],
            "maxLength": 49
        })
    }
}

/// An allow-list as an API request gives it: each entry parsed, each error
/// named by its place (`allowed_ips[2]`); duplicates are folded.
pub fn allowed_ips(field: &str, raw: &[String]) -> Result<Vec<Cidr>, Vec<FieldError>> {
    let mut errors = vec![];
    if raw.len() > MAX_ALLOWED_IPS {
        errors.push(FieldError::new(
            field,
            format!("at most {MAX_ALLOWED_IPS} networks"),
        ));
    }
    let mut out: Vec<Cidr> = vec![];
    for (n, entry) in raw.iter().enumerate() {
        match entry.trim().parse::<Cidr>() {
            Ok(c) if !out.contains(&c) => out.push(c),
            Ok(_) => {}
            Err(e) => errors.push(FieldError::new(format!("{field}[{n}]"), e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The most a token's metadata may weigh, as compact JSON.
pub const MAX_META_BYTES: usize = 1024;
/// How deep objects and arrays may nest in metadata, the object itself
/// counting as one: every reader of a token (the registry, its list, the
/// edge) parses it again, and deep nesting only serves to exhaust them.
pub const MAX_META_DEPTH: usize = 8;
/// Keys are what the token list searches by: plain words.
pub const MAX_META_KEY: usize = 64;

/// A small JSON object an admin attaches to a token (Unkey's `meta`): who
/// it is for, a cost centre, a ticket. Returned by verify and whoami so a
/// backend can use it without its own lookup. The worker checks it once,
/// when it is set ([`Meta::parse`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Meta(Object);

impl JsonSchema for Meta {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Meta".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "A JSON object of at most 1024 bytes; keys are 1–64 letters, digits, '_' or '-'."
        })
    }
}

type Object = serde_json::Map<String, serde_json::Value>;

impl Meta {
    /// An object as it is (the CLI's `--meta k=v`).
    pub fn from_object(object: Object) -> Meta {
        Meta(object)
    }

    /// Metadata as a request gives it: an object, with plain keys, small.
    pub fn parse(field: &str, raw: Meta) -> Result<Meta, FieldError> {
        if let Some(bad) = raw.0.keys().find(|k| !is_meta_key(k)) {
            return Err(FieldError::new(
                format!("{field}.{}", printable(bad)),
                format!("keys are 1 to {MAX_META_KEY} letters, digits, '_' or '-'"),
            ));
        }
        let depth = raw.0.values().map(depth_of).max().unwrap_or(0) + 1;
        if depth > MAX_META_DEPTH {
            return Err(FieldError::new(
                field,
                format!("nests {depth} levels deep; at most {MAX_META_DEPTH}"),
            ));
        }
        let size = raw.as_json().len();
        if size > MAX_META_BYTES {
            return Err(FieldError::new(
                field,
                format!("is {size} bytes as JSON; at most {MAX_META_BYTES}"),
            ));
        }
        Ok(raw)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The JSON text, compact.
    pub fn as_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    /// A value as the list's `meta.<key>=<value>` filter compares it:
    /// strings as they are, other scalars as JSON text.
    pub fn matches(&self, key: &str, wanted: &str) -> bool {
        self.0.get(key).is_some_and(|v| match v {
            serde_json::Value::String(s) => s == wanted,
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => false,
            other => *other.to_string() == *wanted,
        })
    }
}

/// Levels of objects and arrays in `v` (a scalar is 0).
fn depth_of(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(o) => 1 + o.values().map(depth_of).max().unwrap_or(0),
        serde_json::Value::Array(a) => 1 + a.iter().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

pub fn is_meta_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= MAX_META_KEY
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn printable(k: &str) -> String {
    k.chars()
        .filter(|c| !is_invisible_control(*c))
        .take(MAX_META_KEY)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_strictly() {
        assert_eq!(c("10.0.0.0/8").to_string(), "10.0.0.0/8");
        assert_eq!(c("203.0.113.7").to_string(), "203.0.113.7/32");
        assert_eq!(c("2001:db8::/32").to_string(), "2001:db8::/32");
        assert_eq!(c("::ffff:192.0.2.0/24").to_string(), "192.0.2.0/24");
        assert_eq!(c("0.0.0.0/0").to_string(), "0.0.0.0/0");
        for bad in [
            "10.1.2.3/8",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "10.0.0",
            "example.com",
            "",
            "2001:db8::1/32",
            "::/129",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad} parsed");
        }
        let e = "10.1.2.3/8".parse::<Cidr>().unwrap_err();
        assert!(e.contains("10.0.0.0/8"), "{e}");
    }

    #[test]
    fn addresses_inside_and_outside() {
        let list = [c("10.0.0.0/8"), c("2001:db8::/32")];
        assert!(admits_address(&list, Some(ip("10.200.3.4"))));
        assert!(admits_address(&list, Some(ip("::ffff:10.0.0.1"))));
        assert!(admits_address(&list, Some(ip("2001:db8:1::5"))));
        assert!(!admits_address(&list, Some(ip("11.0.0.1"))));
        assert!(!admits_address(&list, Some(ip("2001:db9::1"))));
        assert!(
            !admits_address(&list, None),
            "an unknown address is refused"
        );
        assert!(admits_address(&[], None), "no list admits everyone");
    }

    #[test]
    fn the_conditions_in_their_order() {
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        let list = [c("10.0.0.0/8")];
        let mut cond = UseConditions {
            enabled: false,
            not_before: Some(now + time::Duration::seconds(10)),
            allowed_ips: &list,
        };
        assert_eq!(cond.admit(now, None), Err(Unusable::Disabled));
        cond.enabled = true;
        assert_eq!(cond.admit(now, None), Err(Unusable::NotYetValid));
        assert_eq!(
            cond.admit(now + time::Duration::seconds(10), None),
            Err(Unusable::AddressNotAllowed)
        );
        assert_eq!(
            cond.admit(now + time::Duration::seconds(10), Some(ip("10.1.1.1"))),
            Ok(())
        );
    }

    #[test]
    fn lists_are_checked_entry_by_entry() {
        let raw: Vec<String> = ["10.0.0.0/8", "nope", "10.0.0.0/8", "1.2.3.4/40"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let e = allowed_ips("allowed_ips", &raw).unwrap_err();
        let fields: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["allowed_ips[1]", "allowed_ips[3]"]);
        let ok = allowed_ips("allowed_ips", &raw[..1]).unwrap();
        assert_eq!(ok, [c("10.0.0.0/8")]);
        let many: Vec<String> = (0..65).map(|n| format!("10.0.{n}.0/24")).collect();
        assert!(allowed_ips("allowed_ips", &many).is_err());
    }

    #[test]
    fn metadata_is_small_and_keyed_plainly() {
        let obj = |v: serde_json::Value| serde_json::from_value::<Meta>(v).unwrap();
        let m = Meta::parse(
            "meta",
            obj(serde_json::json!({"team": "payments", "tier": 2})),
        )
        .unwrap();
        assert_eq!(m.as_json(), r#"{"team":"payments","tier":2}"#);
        assert!(m.matches("team", "payments"));
        assert!(m.matches("tier", "2"));
        assert!(!m.matches("team", "Payments"));
        assert!(!m.matches("owner", "payments"));
        let e = Meta::parse("meta", obj(serde_json::json!({"a b": 1}))).unwrap_err();
        let mut deep = serde_json::json!(1);
        for _ in 0..=MAX_META_DEPTH {
            deep = serde_json::json!({ "k": deep });
        }
        let e2 = Meta::parse("meta", obj(deep.clone())).unwrap_err();
        assert_eq!(e2.field, "meta");
        assert!(e2.message.contains("at most 8"), "{}", e2.message);
        let serde_json::Value::Object(inner) = deep["k"].clone() else {
            unreachable!()
        };
        assert!(Meta::parse("meta", Meta::from_object(inner)).is_ok());
        assert_eq!(e.field, "meta.a b");
        let big = "x".repeat(MAX_META_BYTES);
        let e = Meta::parse("meta", obj(serde_json::json!({ "k": big }))).unwrap_err();
        assert_eq!(e.field, "meta");
        assert!(
            serde_json::from_str::<Meta>("[1]").is_err(),
            "only an object"
        );
        assert!(Meta::default().is_empty());
    }

    #[test]
    fn a_window_opens_before_it_closes() {
        assert!(window(Some(10), Some(11)).is_ok());
        assert!(window(Some(11), Some(11)).is_err());
        assert!(window(Some(10), None).is_ok());
        assert!(window(None, Some(1)).is_ok());
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        assert!(not_before("nb", now - time::Duration::days(1), now).is_ok());
        assert!(not_before("nb", now + time::Duration::days(3660), now).is_ok());
        assert!(not_before("nb", now + time::Duration::days(3700), now).is_err());
    }

    #[test]
    fn containment_of_lists() {
        let office = [c("10.0.0.0/8")];
        assert!(within(&[c("10.1.0.0/16")], &office));
        assert!(within(&[c("10.1.2.3")], &office));
        assert!(!within(&[c("11.0.0.0/8")], &office));
        assert!(!within(&[], &office), "no list is everywhere: wider");
        assert!(within(&[], &[]));
        assert!(within(&[c("11.0.0.0/8")], &[]));
        assert!(!within(&[c("0.0.0.0/0")], &office));
    }

    fn arb_v4() -> impl Strategy<Value = Cidr> {
        (any::<u32>(), 0u8..=32).prop_map(|(a, p)| Cidr {
            network: IpAddr::V4(Ipv4Addr::from(mask_v4(a, p))),
            prefix: p,
        })
    }

    fn arb_v6() -> impl Strategy<Value = Cidr> {
        (any::<u128>(), 0u8..=128).prop_map(|(a, p)| Cidr {
            network: IpAddr::V6(Ipv6Addr::from(mask_v6(a, p))),
            prefix: p,
        })
    }

    fn arb_cidr() -> impl Strategy<Value = Cidr> {
        prop_oneof![arb_v4(), arb_v6()]
    }

    fn arb_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        ]
    }

    proptest! {
        #[test]
        fn a_network_reads_back_as_itself(n in arb_cidr()) {
            // Skip IPv6 spellings of IPv4 networks: they read back as IPv4.
            prop_assume!(!matches!(n.network, IpAddr::V6(a) if a.to_ipv4_mapped().is_some()));
            prop_assert_eq!(n.to_string().parse::<Cidr>(), Ok(n));
        }

        #[test]
        fn delegated_lists_admit_no_address_the_parent_refuses(
            parent in prop::collection::vec(arb_cidr(), 0..4),
            child in prop::collection::vec(arb_cidr(), 0..4),
            from in arb_ip(),
        ) {
            if within(&child, &parent) && admits_address(&child, Some(from)) {
                prop_assert!(admits_address(&parent, Some(from)));
            }
        }

        #[test]
        fn a_network_holds_its_own_address(n in arb_cidr()) {
            prop_assert!(n.contains(n.network));
        }
    }
}
