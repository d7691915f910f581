//! `keyward tokens …` against the real worker.

use crate::common::{create_token, grant_strings, spawn_app, Kw};

#[tokio::test]
async fn create_quiet_prints_exactly_a_working_secret() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let out = kw
        .run(&[
            "tokens",
            "create",
            "ci-deploy",
            "--grant",
            "storage:read@in.c-main",
            "-g",
            "tokens:read",
            "--description",
            "the deploy job",
            "--expires-in",
            "30d",
            "--quiet",
        ])
        .await
        .ok();
    let secret = out.secret();
    assert_eq!(out.stdout, format!("{secret}\n"), "only the secret: {out}");
    assert!(secret.starts_with("kw_s_"), "{out}");
    assert!(out.stderr.is_empty(), "{out}");

    let me = kw
        .as_token(&secret)
        .run(&["whoami", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(me["token"]["name"], "ci-deploy");
    assert_eq!(me["token"]["description"], "the deploy job");
    assert_eq!(me["token"]["kind"], "scoped");
    let grants = grant_strings(&me["token"]["grants"]);
    assert!(
        grants.contains(&"storage:read@in.c-main".to_string()),
        "{grants:?}"
    );
    assert!(grants.contains(&"tokens:read".to_string()), "{grants:?}");
    // 30 days from now, give or take the test's own runtime.
    let expires = time::OffsetDateTime::parse(
        me["token"]["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::days(29) && left <= time::Duration::days(30),
        "{left}"
    );

    // An explicit instant, on create and on update.
    let at = kw
        .run(&[
            "tokens",
            "create",
            "until-2030",
            "--expires-at",
            "2030-01-01T00:00:00Z",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(at["token"]["expires_at"], "2030-01-01T00:00:00Z");
    let id = at["token"]["id"].as_str().unwrap();
    let moved = kw
        .run(&[
            "tokens",
            "update",
            id,
            "--expires-at",
            "2031-06-01T12:00:00+02:00",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(moved["expires_at"], "2031-06-01T10:00:00Z");

    // Human output shows the details and the secret once, with a warning.
    let human = kw
        .run(&["tokens", "create", "human", "-g", "storage:read@*"])
        .await
        .ok();
    assert!(human.stdout.contains("name:"), "{human}");
    assert!(human.stdout.contains("storage:read@*"), "{human}");
    assert!(human.stdout.contains("secret: kw_s_"), "{human}");
    assert!(human.stdout.contains("shown once"), "{human}");
}

#[tokio::test]
async fn list_get_update_refresh_delete() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);
    let (alpha, _) = create_token(&kw, "alpha", &["storage:read@a"]).await;
    let (beta, beta_secret) = create_token(&kw, "beta-deploy", &[]).await;
    create_token(&kw, "gamma-deploy", &["tokens:read"]).await;

    // list: JSON parses into the shared Page<Token>; filters, sort, paging.
    let all: keyward_domain::api::Page<keyward_domain::api::Token> =
        serde_json::from_str(&kw.run(&["tokens", "list", "--json"]).await.ok().stdout)
            .expect("Page<Token>");
    assert_eq!(all.total, 4, "three scoped plus the admin's master token");
    let names = |out: &crate::common::Out| -> Vec<String> {
        out.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    let scoped = kw
        .run(&[
            "tokens", "list", "--kind", "scoped", "--sort", "-name", "--json",
        ])
        .await
        .ok();
    assert_eq!(names(&scoped), ["gamma-deploy", "beta-deploy", "alpha"]);
    let search = kw
        .run(&[
            "tokens",
            "list",
            "--search",
            "deploy",
            "--sort=name",
            "--json",
        ])
        .await
        .ok();
    assert_eq!(names(&search), ["beta-deploy", "gamma-deploy"]);
    let by_name = kw
        .run(&["tokens", "list", "--name", "alpha", "--json"])
        .await
        .ok();
    assert_eq!(names(&by_name), ["alpha"]);
    let page = kw
        .run(&[
            "tokens", "list", "--kind", "scoped", "--sort", "name", "--limit", "1", "--offset",
            "1", "--json",
        ])
        .await
        .ok();
    assert_eq!(names(&page), ["beta-deploy"]);
    assert_eq!(page.json()["total"], 3);
    let client_id = by_name.json()["items"][0]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let by_client = kw
        .run(&["tokens", "list", "--client-id", &client_id, "--json"])
        .await
        .ok();
    assert_eq!(names(&by_client), ["alpha"]);

    // The human table has a header and a row per token; the paging note
    // goes to stderr.
    let table = kw
        .run(&["tokens", "list", "--kind", "scoped", "--limit", "2"])
        .await
        .ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("GRANTS"),
        "{table}"
    );
    assert!(table.stderr.contains("2 of 3 tokens"), "{table}");
    assert!(table.stderr.contains("--offset 2"), "{table}");
    // --quiet: ids only.
    let ids = kw
        .run(&["tokens", "list", "--name", "alpha", "-q"])
        .await
        .ok();
    assert_eq!(ids.stdout, format!("{alpha}\n"));

    // get
    let got = kw
        .run(&["tokens", "get", &alpha, "--json"])
        .await
        .ok()
        .json();
    assert_eq!(got["name"], "alpha");
    let human = kw.run(&["tokens", "get", &alpha]).await.ok();
    assert!(human.stdout.contains("storage:read@a"), "{human}");
    assert!(human.stdout.contains("expires at:"), "{human}");

    // update: complete set, relative changes, name, expiry and back to never.
    let up = kw
        .run(&[
            "tokens",
            "update",
            &alpha,
            "--name",
            "alpha-2",
            "--grant",
            "storage:read@b",
            "--grant",
            "storage:write@c",
            "--expires-in",
            "2h",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(up["name"], "alpha-2");
    assert_eq!(up["grants"].as_array().unwrap().len(), 2, "{up}");
    assert!(up["expires_at"].is_string(), "{up}");
    let up = kw
        .run(&[
            "tokens",
            "update",
            &alpha,
            "--add-grant",
            "tokens:read",
            "--remove-grant",
            "storage:write@c",
            "--never-expires",
            "--json",
        ])
        .await
        .ok()
        .json();
    let grants = grant_strings(&up["grants"]);
    assert_eq!(grants, ["storage:read@b", "tokens:read"]);
    assert!(up["expires_at"].is_null(), "{up}");
    let up = kw
        .run(&["tokens", "update", &alpha, "--clear-grants", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(up["grants"], serde_json::json!([]));
    kw.run(&["tokens", "update", &alpha])
        .await
        .fails(2, "nothing to update");

    // refresh: the new secret works, the old one stops; with --overlap the
    // old one keeps working for now.
    let refreshed = kw.run(&["tokens", "refresh", &beta, "--quiet"]).await.ok();
    let fresh = refreshed.secret();
    assert_eq!(refreshed.stdout, format!("{fresh}\n"), "{refreshed}");
    // A refreshed scoped token keeps its kind letter, whoever refreshes it.
    assert!(
        fresh.starts_with("kw_s_") && fresh != beta_secret,
        "{refreshed}"
    );
    kw.as_token(&fresh).run(&["whoami"]).await.ok();
    kw.as_token(&beta_secret)
        .run(&["whoami"])
        .await
        .fails(1, "invalid_token");
    let overlapped = kw
        .run(&["tokens", "refresh", &beta, "--overlap", "1h", "--json"])
        .await
        .ok()
        .json();
    let newest = overlapped["secret"].as_str().unwrap();
    assert_eq!(overlapped["token"]["id"], beta.as_str());
    kw.as_token(&fresh).run(&["whoami"]).await.ok();
    kw.as_token(newest).run(&["whoami"]).await.ok();

    // delete: needs --yes without a terminal; then the token is gone.
    kw.run(&["tokens", "delete", &beta]).await.fails(2, "--yes");
    kw.as_token(newest).run(&["whoami"]).await.ok();
    let del = kw.run(&["tokens", "delete", &beta, "--yes"]).await.ok();
    assert!(del.stdout.contains("Deleted"), "{del}");
    kw.as_token(newest)
        .run(&["whoami"])
        .await
        .fails(1, "invalid_token");
    kw.run(&["tokens", "get", &beta])
        .await
        .fails(1, "not_found");
    let again = kw
        .run(&["tokens", "delete", &beta, "--yes", "--json"])
        .await;
    again.fails(1, "not_found");
}

#[tokio::test]
async fn refused_and_malformed_requests() {
    let app = spawn_app().await;
    let kw = Kw::admin(&app);

    // Malformed arguments are usage errors, before any request.
    for bad in ["storage", "storage:", ":read", "storage:read@"] {
        let out = kw.run(&["tokens", "create", "x", "--grant", bad]).await;
        out.fails(2, "is not a grant");
    }
    for bad in ["30", "30x", "0d", "-1d", "1h30m", "soon"] {
        let out = kw
            .run(&["tokens", "create", "x", "--expires-in", bad])
            .await;
        assert_eq!(out.code, 2, "--expires-in {bad}: {out}");
    }
    kw.run(&[
        "tokens",
        "create",
        "x",
        "--expires-in",
        "1d",
        "--never-expires",
    ])
    .await
    .fails(2, "cannot be used with");
    kw.run(&["tokens", "list", "--sort", "size"])
        .await
        .fails(2, "not a sort key");
    kw.run(&["tokens", "list", "--limit", "101"])
        .await
        .fails(2, "not a limit");
    kw.run(&["tokens", "list", "--kind", "root"])
        .await
        .fails(2, "invalid value");
    kw.run(&["tokens", "get", ".."]).await.fails(2, "not an id");
    kw.run(&["tokens", "frobnicate"])
        .await
        .fails(2, "unrecognized subcommand");
    kw.run(&["tokens", "list", "--json", "--quiet"])
        .await
        .fails(2, "cannot be used with");

    // The API refuses: unknown ids, catalog misses, bad and weak tokens.
    kw.run(&["tokens", "get", "tok_doesnotexist"])
        .await
        .fails(1, "not_found");
    kw.run(&["tokens", "update", "tok_doesnotexist", "--name", "n"])
        .await
        .fails(1, "not_found");
    kw.run(&["tokens", "refresh", "tok_doesnotexist"])
        .await
        .fails(1, "not_found");
    kw.run(&["tokens", "create", "x", "--grant", "nosuch:thing"])
        .await
        .fails(1, "unknown_permission");
    kw.as_token("kw_s_definitelynotatoken")
        .run(&["tokens", "list"])
        .await
        .fails(1, "malformed_token");
    let (_, reader) = create_token(&kw, "reader", &["tokens:read"]).await;
    let weak = kw.as_token(&reader);
    weak.run(&["tokens", "list"]).await.ok();
    let refused = weak
        .run(&["tokens", "create", "sneaky", "--quiet"])
        .await
        .fails(1, "insufficient_permission");
    assert!(refused.stderr.contains("tokens:manage"), "{refused}");
    assert!(refused.stdout.is_empty(), "{refused}");
    // A master token cannot be deleted through /tokens.
    let master = kw
        .run(&["tokens", "list", "--kind", "master", "-q"])
        .await
        .ok()
        .secret();
    kw.run(&["tokens", "delete", &master, "--yes"])
        .await
        .fails(1, "conflict");
    // Granting more than one holds is an escalation.
    let (_, manager) = create_token(&kw, "manager", &["tokens:manage"]).await;
    kw.as_token(&manager)
        .run(&["tokens", "create", "wider", "-g", "storage:write@*"])
        .await
        .fails(1, "privilege_escalation");
    // A taken name.
    kw.run(&["tokens", "create", "reader"])
        .await
        .fails(1, "conflict");
}
