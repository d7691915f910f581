//! Pure-code fuzzing of everything that parses untrusted input: secrets,
//! compact grants, catalogs, request bodies and list queries. No input may
//! panic, and everything accepted must round-trip. The number of cases per
//! target comes from `KEYWARD_FUZZ_CASES` (the test command runs a short
//! pass; `scripts/fuzz` runs long ones).

use keyward_domain::api::{
    self, CreateBucket, CreateInvitation, CreateToken, UpdateToken, VerifyRequest,
};
use keyward_domain::query::{AuditQuery, TokenQuery};
use keyward_domain::{Catalog, Grant, Secret, TokenKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn cases() -> u32 {
    std::env::var("KEYWARD_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

fn random_bytes(buf: &mut [u8]) {
    getrandom::getrandom(buf).expect("OS randomness");
}

/// Strings near the secret format: valid secrets with edits, plus noise.
fn secretish() -> impl Strategy<Value = String> {
    let valid = Secret::generate(TokenKind::Scoped, random_bytes)
        .expose()
        .to_string();
    prop_oneof![
        "\\PC{0,60}",
        "kw_[a-z]_[0-9A-Za-z]{30,40}",
        (0usize..valid.len(), any::<char>()).prop_map(move |(i, c)| {
            let mut chars: Vec<char> = valid.chars().collect();
            chars[i] = c;
            chars.into_iter().collect()
        }),
    ]
}

#[test]
fn secret_parser() {
    runner()
        .run(&secretish(), |raw| {
            if let Ok(s) = Secret::parse(&raw) {
                prop_assert_eq!(s.expose(), raw.as_str());
                prop_assert_eq!(Secret::parse(s.expose()).ok(), Some(s.clone()));
                prop_assert!(s.hint().len() < raw.len());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn compact_grants() {
    runner()
        .run(&"[a-z_:@*.\\-0-9]{0,30}|\\PC{0,30}", |raw| {
            if let Some(g) = Grant::parse_compact(&raw) {
                prop_assert_eq!(g.to_string(), raw.clone());
                prop_assert_eq!(Grant::parse_compact(&g.to_string()), Some(g));
            }
            Ok(())
        })
        .unwrap();
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("storage"),
            Just("read"),
            Just("*"),
            Just("bucket"),
            Just("implies")
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("services".to_string()),
                    Just("resource_types".to_string()),
                    Just("id".to_string()),
                    Just("title".to_string()),
                    Just("permissions".to_string()),
                    Just("resource_type".to_string()),
                    Just("implies".to_string()),
                    Just("name".to_string()),
                    Just("grants".to_string()),
                    Just("service".to_string()),
                    Just("permission".to_string()),
                    Just("resource".to_string()),
                    Just("expires_at".to_string()),
                    Just("expires_in".to_string()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn catalogs() {
    runner()
        .run(&json_value(), |v| {
            let text = v.to_string();
            if let Ok(c) = Catalog::from_json(&text) {
                let again = Catalog::from_json(&serde_json::to_string(&c).unwrap()).unwrap();
                prop_assert_eq!(again, c.clone());
                // Every implication of an accepted catalog resolves.
                for s in &c.services {
                    for p in &s.permissions {
                        for i in c.implied_by(&s.id, &p.id) {
                            prop_assert!(c.permission(&s.id, &i).is_some());
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

fn round_trips<T>(body: &[u8]) -> Result<(), TestCaseError>
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    match api::decode::<T>(body) {
        Ok(v) => {
            let again: T = api::decode(serde_json::to_string(&v).unwrap().as_bytes())
                .map_err(|e| TestCaseError::fail(format!("re-encoding failed: {e:?}")))?;
            prop_assert_eq!(again, v);
        }
        Err(errors) => {
            prop_assert!(!errors.is_empty() && errors.iter().all(|e| !e.field.is_empty()))
        }
    }
    Ok(())
}

#[test]
fn request_bodies() {
    let bodies = prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..80),
    ];
    runner()
        .run(&bodies, |body| {
            round_trips::<CreateToken>(&body)?;
            round_trips::<UpdateToken>(&body)?;
            round_trips::<VerifyRequest>(&body)?;
            round_trips::<CreateBucket>(&body)?;
            round_trips::<CreateInvitation>(&body)?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn list_queries() {
    let pair = ("[a-z_]{1,12}", "\\PC{0,12}").prop_map(|(k, v): (String, String)| (k, v));
    runner()
        .run(&prop::collection::vec(pair, 0..6), |pairs| {
            if let Ok(q) = TokenQuery::parse(&pairs) {
                prop_assert!((1..=100).contains(&q.limit));
            }
            if let Ok(q) = AuditQuery::parse(&pairs) {
                prop_assert!((1..=100).contains(&q.limit));
            }
            Ok(())
        })
        .unwrap();
}
