//! JWT/OAuth2 bearer tokens at the gateway (issue 6, Dataiku API node as a
//! resource server): RS256 and ES256 verified against a JWKS served by a
//! local stand-in for the identity provider, or given inline; `iss`, `aud`,
//! `exp`, `nbf` checked; scopes mapped to grants.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keyward_tests::upstream::Upstream;
use keyward_tests::{repo_root, spawn_app_with, Answer, TestApp};
use p256::ecdsa::signature::Signer as _;
use reqwest::Method;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::SignatureEncoding;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};

const ISSUER: &str = "https://idp.test";
const PARTNER: &str = "https://partner.test";
const AUDIENCE: &str = "keyward-gateway";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn ec_key() -> p256::ecdsa::SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).unwrap();
        if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes) {
            return k;
        }
    }
}

fn ec_jwk(key: &p256::ecdsa::SigningKey, kid: &str) -> Value {
    let point = key.verifying_key().to_encoded_point(false);
    json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
           "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())})
}

fn rsa_key() -> rsa::RsaPrivateKey {
    let pem = std::fs::read_to_string(repo_root().join("tests/fixtures/jwt-rs256-test-only.pem"))
        .expect("the RSA test fixture");
    rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("a PKCS#8 RSA key")
}

fn rsa_jwk(key: &rsa::RsaPrivateKey, kid: &str) -> Value {
    json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
           "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be())})
}

enum Key<'a> {
    Ec(&'a p256::ecdsa::SigningKey),
    Rsa(&'a rsa::RsaPrivateKey),
}

fn sign(header: Value, claims: Value, key: Key) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = match key {
        Key::Ec(k) => {
            let s: p256::ecdsa::Signature = k.sign(input.as_bytes());
            s.to_bytes().to_vec()
        }
        Key::Rsa(k) => {
            let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.clone());
            rsa::signature::Signer::sign(&signer, input.as_bytes()).to_vec()
        }
    };
    format!("{input}.{}", b64(&sig))
}

fn claims(scope: &str) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "scope": scope,
           "exp": now() + 600, "nbf": now() - 10, "iat": now(), "jti": "jwt-1"})
}

fn with(mut base: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

struct Idp {
    app: TestApp,
    upstream: Upstream,
    ec: p256::ecdsa::SigningKey,
    rsa: rsa::RsaPrivateKey,
    partner: p256::ecdsa::SigningKey,
}

async fn idp() -> Idp {
    let upstream = Upstream::start().await;
    let ec = ec_key();
    let rsa = rsa_key();
    let partner = ec_key();
    upstream.set_jwks(json!({"keys": [rsa_jwk(&rsa, "rsa-1"), ec_jwk(&ec, "ec-1")]}));
    let inline = json!({"keys": [ec_jwk(&partner, "partner-1")]}).to_string();
    let jwks_url = upstream.jwks_url();
    let app = spawn_app_with(&[
        ("UPSTREAM_URL", &upstream.url),
        ("GATEWAY_SIGNING_KEY", "k"),
        ("JWT_ISSUER", ISSUER),
        ("JWT_AUDIENCE", AUDIENCE),
        ("JWT_JWKS_URL", &jwks_url),
        ("PARTNER_JWT_ISSUER", PARTNER),
        ("PARTNER_JWKS", &inline),
    ])
    .await;
    Idp {
        app,
        upstream,
        ec,
        rsa,
        partner,
    }
}

async fn run(app: &TestApp, path: &str, jwt: &str) -> Answer {
    app.send(Method::POST, path, Some(jwt), None).await
}

fn assert_401(a: &Answer, code: &str) {
    assert_eq!(a.status, 401, "{}", a.text);
    assert_eq!(a.code(), code, "{}", a.text);
    assert!(a
        .header("www-authenticate")
        .unwrap_or_default()
        .starts_with("Bearer realm=\"keyward\""));
}

#[tokio::test]
async fn valid_rs256_es256_and_inline_tokens_are_allowed_by_their_scopes() {
    let t = idp().await;
    let path = "/gw/components/keboola.ex-db/run";
    let scope = "openid components.run:keboola.ex-db";

    let rs = sign(
        json!({"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}),
        claims(scope),
        Key::Rsa(&t.rsa),
    );
    let a = run(&t.app, path, &rs).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let seen = t.upstream.last().unwrap();
    assert_eq!(seen.header("x-keyward-kind").as_deref(), Some("jwt"));
    assert_eq!(
        seen.header("x-keyward-client-id").as_deref(),
        Some("idp:alice")
    );
    assert_eq!(seen.header("x-keyward-token-id").as_deref(), Some("jwt-1"));
    assert!(seen.header("authorization").is_none());

    let es = sign(
        json!({"alg": "ES256", "kid": "ec-1"}),
        claims(scope),
        Key::Ec(&t.ec),
    );
    assert_eq!(run(&t.app, path, &es).await.status, 200);

    // No kid: the only key of the right type is used.
    let es_nokid = sign(json!({"alg": "ES256"}), claims(scope), Key::Ec(&t.ec));
    assert_eq!(run(&t.app, path, &es_nokid).await.status, 200);

    // The partner's key set is configured inline.
    let partner = sign(
        json!({"alg": "ES256", "kid": "partner-1"}),
        with(claims(scope), json!({"iss": PARTNER, "sub": "bob"})),
        Key::Ec(&t.partner),
    );
    let p = run(&t.app, path, &partner).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(
        t.upstream
            .last()
            .unwrap()
            .header("x-keyward-client-id")
            .as_deref(),
        Some("partner:bob")
    );

    // Dataiku: deploy needs both mapped grants.
    let deploy = "/gw/deployments/churn/prod";
    let one = sign(
        json!({"alg": "ES256", "kid": "ec-1"}),
        claims("deployments.deploy:churn"),
        Key::Ec(&t.ec),
    );
    let a = run(&t.app, deploy, &one).await;
    assert_eq!(a.status, 403, "{}", a.text);
    assert!(a.text.contains("infrastructures:deploy@prod"), "{}", a.text);
    let both = sign(
        json!({"alg": "ES256", "kid": "ec-1"}),
        claims("deployments.deploy:churn infrastructures.deploy:prod"),
        Key::Ec(&t.ec),
    );
    assert_eq!(run(&t.app, deploy, &both).await.status, 200);
    let group = sign(
        json!({"alg": "RS256", "kid": "rsa-1"}),
        with(claims(""), json!({"groups": ["devops"]})),
        Key::Rsa(&t.rsa),
    );
    assert_eq!(run(&t.app, deploy, &group).await.status, 200);

    // Valid, but its scopes do not map to the needed grant.
    let other = run(&t.app, "/gw/components/keboola.wr-db/run", &es).await;
    assert_eq!(other.status, 403, "{}", other.text);
    assert_eq!(other.code(), "insufficient_permission");
    assert!(other.text.contains("components:run@keboola.wr-db"));

    // A route that accepts only Keyward tokens.
    let report = t
        .app
        .send(Method::GET, "/gw/reports/in.c-main/x.csv", Some(&es), None)
        .await;
    assert_401(&report, "invalid_token");
    assert_eq!(t.upstream.calls().len(), 6);
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let t = idp().await;
    let path = "/gw/components/c1/run";
    let good = claims("components.run:c1");
    let es = |h: Value, c: Value| sign(h, c, Key::Ec(&t.ec));
    let h = json!({"alg": "ES256", "kid": "ec-1"});

    // Sanity: the same shape with everything right works.
    assert_eq!(
        run(&t.app, path, &es(h.clone(), good.clone())).await.status,
        200
    );

    // Signed by another key under the right kid.
    let stranger = ec_key();
    let forged = sign(h.clone(), good.clone(), Key::Ec(&stranger));
    assert_401(&run(&t.app, path, &forged).await, "invalid_token");
    // A payload changed after signing.
    let genuine = es(h.clone(), good.clone());
    let mut parts: Vec<String> = genuine.split('.').map(str::to_string).collect();
    parts[1] = b64(
        with(good.clone(), json!({"scope": "components.run:c1 deploy"}))
            .to_string()
            .as_bytes(),
    );
    assert_401(&run(&t.app, path, &parts.join(".")).await, "invalid_token");
    // An RS256 signature checked against an EC key id, and vice versa.
    let confused = sign(
        json!({"alg": "RS256", "kid": "ec-1"}),
        good.clone(),
        Key::Rsa(&t.rsa),
    );
    assert_401(&run(&t.app, path, &confused).await, "invalid_token");

    assert_401(
        &run(
            &t.app,
            path,
            &es(
                h.clone(),
                with(good.clone(), json!({"iss": "https://evil.test"})),
            ),
        )
        .await,
        "invalid_token",
    );
    assert_401(
        &run(
            &t.app,
            path,
            &es(
                h.clone(),
                with(good.clone(), json!({"aud": "someone-else"})),
            ),
        )
        .await,
        "invalid_token",
    );
    assert_401(
        &run(
            &t.app,
            path,
            &es(h.clone(), with(good.clone(), json!({"exp": now() - 3600}))),
        )
        .await,
        "token_expired",
    );
    assert_401(
        &run(
            &t.app,
            path,
            &es(h.clone(), with(good.clone(), json!({"nbf": now() + 3600}))),
        )
        .await,
        "invalid_token",
    );
    assert_401(
        &run(
            &t.app,
            path,
            &es(json!({"alg": "ES256", "kid": "nope"}), good.clone()),
        )
        .await,
        "invalid_token",
    );

    // alg none: an empty signature, and the header's claim must not matter.
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none"}).to_string().as_bytes()),
        b64(good.to_string().as_bytes())
    );
    assert_401(&run(&t.app, path, &none).await, "malformed_token");
    let none_sig = format!("{}{}", none, b64(b"x"));
    assert_401(&run(&t.app, path, &none_sig).await, "invalid_token");
    // HS256 "signed" with the public key as the secret.
    let hs = format!(
        "{}.{}.{}",
        b64(json!({"alg": "HS256", "kid": "ec-1"})
            .to_string()
            .as_bytes()),
        b64(good.to_string().as_bytes()),
        b64(b"whatever")
    );
    assert_401(&run(&t.app, path, &hs).await, "invalid_token");

    // Neither a Keyward secret nor a JWT.
    assert_401(&run(&t.app, path, "hello").await, "malformed_token");
    assert_401(&run(&t.app, path, "a.b").await, "malformed_token");

    assert_eq!(
        t.upstream.calls().len(),
        1,
        "only the sanity call got through"
    );
}

#[tokio::test]
async fn a_typ_that_is_not_an_access_token_is_401_and_jwts_act_in_their_issuers_project() {
    let t = idp().await;
    let path = "/gw/components/c1/run";
    let good = claims("components.run:c1");
    let es = |typ: Option<&str>| {
        let mut h = json!({"alg": "ES256", "kid": "ec-1"});
        if let Some(typ) = typ {
            h["typ"] = json!(typ);
        }
        sign(h, good.clone(), Key::Ec(&t.ec))
    };

    // A correctly signed token of another kind (an ID token, a logout
    // token, a DPoP proof) is not a bearer credential.
    for typ in ["id_token+jwt", "logout+jwt", "dpop+jwt", "JWS"] {
        assert_401(&run(&t.app, path, &es(Some(typ))).await, "invalid_token");
    }
    assert!(t.upstream.calls().is_empty(), "{:#?}", t.upstream.calls());
    // JWT and RFC 9068 access tokens pass, in any case; so does no typ.
    for typ in [
        Some("JWT"),
        Some("jwt"),
        Some("at+jwt"),
        Some("application/at+JWT"),
        None,
    ] {
        let a = run(&t.app, path, &es(typ)).await;
        assert_eq!(a.status, 200, "{typ:?}: {}", a.text);
    }

    // Issuers are not bound to a Keyward project: their tokens act in the
    // projects gateway.json lists for them, `default` unless it says more.
    let seen = t.upstream.last().unwrap();
    assert_eq!(seen.header("x-keyward-project").as_deref(), Some("default"));
    let calls = t.upstream.calls().len();
    let elsewhere = t
        .app
        .client
        .post(t.app.url(path))
        .bearer_auth(es(None))
        .header("x-keyward-project", "beta")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status().as_u16(), 403);
    let text = elsewhere.text().await.unwrap();
    assert!(text.contains("insufficient_permission"), "{text}");
    assert!(
        text.contains("'default'") && text.contains("'beta'"),
        "{text}"
    );
    assert_eq!(t.upstream.calls().len(), calls);
}
