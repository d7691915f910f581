use super::*;
use keyward_domain::{Catalog, Problem};
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);

fn catalog() -> Catalog {
    Catalog::from_json(include_str!("../../../../../worker/catalog.json")).unwrap()
}

fn g(s: &str) -> Grant {
    Grant::parse_compact(s).unwrap()
}

/// A valid new project token: a name, 30 days, one grant.
fn valid() -> FormState {
    FormState {
        editing: false,
        name: "  ci deploy  ".into(),
        description: "for CI".into(),
        rate_limit: String::new(),
        expiry: ExpiryPick::Days(30),
        custom_date: String::new(),
        grid: Grid::from_grants(catalog(), &[g("storage:read@in.c-main")]),
        personas: vec![],
        project: "default".into(),
        global: false,
        global_admin: false,
        granted_projects: vec![],
        project_grids: BTreeMap::new(),
        controls: Controls::default(),
    }
}

fn fields(r: Result<TokenDraft, Vec<FieldError>>) -> Vec<String> {
    r.expect_err("invalid")
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn a_valid_form_gives_the_draft_and_its_create_body() {
    let draft = validate(&valid(), NOW).unwrap();
    assert_eq!(draft.name, "ci deploy");
    assert_eq!(draft.grants, vec![g("storage:read@in.c-main")]);
    assert_eq!(draft.rate_limit, None);
    assert_eq!(draft.project.as_deref(), Some("default"));
    let expected = ExpiryChoice::Days(30).expires_at(NOW).unwrap();
    assert_eq!(draft.expiry, Some(expected));
    let body = draft.create_body();
    assert_eq!(body.name, "ci deploy");
    assert_eq!(body.description.as_deref(), Some("for CI"));
    assert_eq!(body.expires_at, expected);
    assert_eq!(body.grants, Some(vec![g("storage:read@in.c-main")]));
    assert_eq!(
        (body.kind, body.personas, body.project_grants),
        (None, None, None)
    );
    assert_eq!(body.project.as_deref(), Some("default"));
}

#[test]
fn an_edit_keeps_the_expiry_and_sends_every_field() {
    let state = FormState {
        editing: true,
        expiry: ExpiryPick::Keep,
        rate_limit: " 120 ".into(),
        personas: vec!["per_a".into()],
        ..valid()
    };
    let draft = validate(&state, NOW).unwrap();
    assert_eq!(draft.project, None, "a token never changes project");
    let body = draft.update_body();
    assert_eq!(body.expires_at, None);
    assert_eq!(body.rate_limit, Some(Some(120)));
    assert_eq!(body.personas, Some(vec!["per_a".to_string()]));
    assert_eq!(body.description.as_deref(), Some("for CI"));
    assert_eq!((body.project_grants, body.global_admin), (None, None));
}

#[test]
fn never_and_a_custom_date_are_expiries() {
    let never = FormState {
        expiry: ExpiryPick::Never,
        ..valid()
    };
    assert_eq!(validate(&never, NOW).unwrap().expiry, Some(None));
    let custom = FormState {
        expiry: ExpiryPick::Custom,
        custom_date: "2027-01-31".into(),
        ..valid()
    };
    assert_eq!(
        validate(&custom, NOW).unwrap().expiry,
        Some(Some(datetime!(2027-01-31 23:59:59 UTC)))
    );
}

#[test]
fn the_controls_go_into_both_bodies() {
    let state = FormState {
        controls: Controls {
            not_before: "2026-12-01T08:30".into(),
            allowed_ips: " 10.0.0.0/8 \n\n2001:db8::/32\n".into(),
            meta: r#"{"team": "data"}"#.into(),
            uses: "10".into(),
            refill: "daily".into(),
        },
        ..valid()
    };
    let draft = validate(&state, NOW).unwrap();
    assert_eq!(draft.not_before, Some(datetime!(2026-12-01 08:30 UTC)));
    assert_eq!(draft.allowed_ips, ["10.0.0.0/8", "2001:db8::/32"]);
    let limit = Some(UsageLimit {
        uses: 10,
        refill: Some(Refill::Daily),
    });
    assert_eq!(draft.usage_limit, limit);
    let body = draft.clone().create_body();
    assert_eq!(body.allowed_ips.as_ref().map(Vec::len), Some(2));
    assert_eq!(
        body.meta.as_ref().map(|m| m.matches("team", "data")),
        Some(true)
    );
    assert_eq!(body.usage_limit, limit);
    let edit = draft.update_body();
    assert_eq!(edit.not_before, Some(Some(datetime!(2026-12-01 08:30 UTC))));
    assert_eq!(edit.usage_limit, Some(limit));
    // Empty controls: nothing on create, cleared on edit.
    let plain = validate(&valid(), NOW).unwrap();
    let body = plain.clone().create_body();
    assert_eq!(
        (
            body.not_before,
            body.allowed_ips,
            body.meta,
            body.usage_limit
        ),
        (None, None, None, None)
    );
    let edit = plain.update_body();
    assert_eq!(edit.allowed_ips, Some(vec![]));
    assert_eq!(
        (edit.not_before, edit.usage_limit),
        (Some(None), Some(None))
    );
}

#[test]
fn bad_controls_are_refused_by_field() {
    let state = FormState {
        controls: Controls {
            not_before: "tomorrow".into(),
            allowed_ips: "not a network".into(),
            meta: "[1]".into(),
            uses: "0".into(),
            refill: String::new(),
        },
        ..valid()
    };
    // Networks are the API's to check: its errors land on the field.
    assert_eq!(
        fields(validate(&state, NOW)),
        ["not_before", "meta", "usage_limit"]
    );
}

#[test]
fn controls_read_back_from_a_token_round_trip() {
    let limit = Some(UsageLimit {
        uses: 5,
        refill: Some(Refill::Monthly),
    });
    let meta: Meta = serde_json::from_str(r#"{"team":"data"}"#).unwrap();
    let c = Controls::of(
        Some(datetime!(2026-12-01 08:30 UTC)),
        &["10.0.0.0/8".to_string(), "::1/128".to_string()],
        &meta,
        limit,
    );
    assert_eq!(c.not_before, "2026-12-01T08:30");
    let draft = validate(
        &FormState {
            controls: c.clone(),
            ..valid()
        },
        NOW,
    )
    .unwrap();
    assert_eq!(draft.not_before, Some(datetime!(2026-12-01 08:30 UTC)));
    assert_eq!(draft.allowed_ips, ["10.0.0.0/8", "::1/128"]);
    assert_eq!(draft.meta, meta);
    assert_eq!(draft.usage_limit, limit);
    assert!(control_changes(&c, &c).is_empty());
    let changed = Controls {
        allowed_ips: String::new(),
        uses: "6".into(),
        ..c.clone()
    };
    assert_eq!(
        control_changes(&c, &changed),
        ["its allowed networks change", "its usage limit changes"]
    );
}

#[test]
fn expiry_presets_follow_the_projects_policy() {
    let p = presets(&ExpiryPolicy::default());
    assert_eq!(
        (p.days, p.never, p.default, p.note),
        (vec![7, 30, 90], true, ExpiryPick::Days(30), None)
    );
    let capped = presets(&ExpiryPolicy {
        max_lifetime_seconds: Some(60 * 86_400),
        allow_never: false,
    });
    assert_eq!(capped.days, [7, 30, 60]);
    assert!(!capped.never);
    assert_eq!(capped.default, ExpiryPick::Days(60), "the longest allowed");
    assert_eq!(
        capped.note.as_deref(),
        Some("This project requires an expiry at most 60 days away.")
    );
    let short = presets(&ExpiryPolicy {
        max_lifetime_seconds: Some(12 * 3_600),
        allow_never: true,
    });
    assert_eq!(
        (short.days, short.never, short.default),
        (vec![], true, ExpiryPick::Custom)
    );
    let ninety = presets(&ExpiryPolicy {
        max_lifetime_seconds: Some(90 * 86_400),
        allow_never: true,
    });
    assert_eq!(
        (ninety.days, ninety.default),
        (vec![7, 30, 90], ExpiryPick::Days(90))
    );
    let no_never = presets(&ExpiryPolicy {
        max_lifetime_seconds: None,
        allow_never: false,
    });
    assert_eq!((no_never.days.len(), no_never.never), (3, false));
}

#[test]
fn usage_is_said_in_words() {
    let l = |uses, refill| Some(UsageLimit { uses, refill });
    assert_eq!(
        usage_text(l(10, Some(Refill::Daily)), Some(7)),
        "7 of 10 uses left, refilled daily"
    );
    assert_eq!(
        usage_text(l(1, None), Some(0)),
        "0 of 1 use left, never refilled"
    );
    assert_eq!(
        usage_text(l(5, Some(Refill::Monthly)), None),
        "5 uses, refilled monthly"
    );
    assert_eq!(usage_text(None, None), "No limit");
}

#[test]
fn the_apis_network_errors_name_their_line() {
    let api = failure(
        ErrorCode::InvalidRequest,
        "bad",
        &[
            ("allowed_ips[1]", "is not an IP network"),
            ("meta.a b", "bad key"),
        ],
    );
    assert_eq!(
        field_message(&[], Some(&api), "allowed_ips").as_deref(),
        Some("Line 2: is not an IP network")
    );
    assert_eq!(
        field_message(&[], Some(&api), "meta").as_deref(),
        Some("a b: bad key")
    );
    let problems = form_problems(&[], Some(&api));
    assert_eq!(problems[0].anchor, "token-allowed-ips");
}

#[test]
fn a_blank_name_is_refused() {
    let state = FormState {
        name: "   ".into(),
        ..valid()
    };
    assert_eq!(fields(validate(&state, NOW)), ["name"]);
}

#[test]
fn a_rate_limit_must_be_a_whole_number_in_range() {
    for bad in ["0", "-1", "1.5", "lots", &(RATE_LIMIT_MAX + 1).to_string()] {
        let state = FormState {
            rate_limit: bad.into(),
            ..valid()
        };
        assert_eq!(fields(validate(&state, NOW)), ["rate_limit"], "{bad}");
    }
    let max = FormState {
        rate_limit: RATE_LIMIT_MAX.to_string(),
        ..valid()
    };
    assert_eq!(
        validate(&max, NOW).unwrap().rate_limit,
        Some(RATE_LIMIT_MAX)
    );
}

#[test]
fn a_custom_expiry_needs_a_future_date() {
    let missing = FormState {
        expiry: ExpiryPick::Custom,
        custom_date: String::new(),
        ..valid()
    };
    let errors = validate(&missing, NOW).unwrap_err();
    assert_eq!(
        errors,
        vec![FieldError::new("expires_at", "Choose a date.")]
    );
    let past = FormState {
        expiry: ExpiryPick::Custom,
        custom_date: "2020-01-01".into(),
        ..valid()
    };
    assert_eq!(fields(validate(&past, NOW)), ["expires_at"]);
}

#[test]
fn a_permission_without_its_resources_is_refused() {
    let mut state = valid();
    state.grid.set_all("storage", "write", false);
    assert_eq!(fields(validate(&state, NOW)), ["grants"]);
}

#[test]
fn a_global_key_sends_its_grants_per_project_and_no_project() {
    let mut state = FormState {
        global: true,
        granted_projects: vec!["analytics".into(), "sales".into()],
        ..valid()
    };
    state.project_grids.insert(
        "analytics".into(),
        Grid::from_grants(catalog(), &[g("audit:read")]),
    );
    let draft = validate(&state, NOW).unwrap();
    assert_eq!(draft.project, None);
    assert_eq!(draft.project_grants["analytics"], vec![g("audit:read")]);
    assert_eq!(
        draft.project_grants["sales"],
        vec![],
        "chosen, nothing ticked"
    );
    let body = draft.create_body();
    assert_eq!(body.kind, Some(TokenKind::Global));
    assert_eq!(body.global_admin, Some(false));

    state
        .project_grids
        .get_mut("analytics")
        .unwrap()
        .set_all("storage", "read", false);
    assert_eq!(fields(validate(&state, NOW)), ["project_grants"]);
    // Only a global key's projects count.
    state.global = false;
    assert!(validate(&state, NOW).is_ok());
}

#[test]
fn global_admin_holds_only_for_a_global_key() {
    let state = FormState {
        global_admin: true,
        ..valid()
    };
    assert!(!validate(&state, NOW).unwrap().global_admin);
}

#[test]
fn every_invalid_field_is_reported_in_form_order() {
    let mut state = FormState {
        name: String::new(),
        rate_limit: "0".into(),
        expiry: ExpiryPick::Custom,
        ..valid()
    };
    state.grid.set_all("storage", "write", false);
    assert_eq!(
        fields(validate(&state, NOW)),
        ["name", "rate_limit", "expires_at", "grants"]
    );
}

fn failure(code: ErrorCode, detail: &str, errors: &[(&str, &str)]) -> ApiFailure {
    let mut problem = Problem::new(code, detail);
    if !errors.is_empty() {
        problem.errors = Some(
            errors
                .iter()
                .map(|(f, m)| FieldError::new(*f, *m))
                .collect(),
        );
    }
    ApiFailure {
        status: 400,
        message: detail.into(),
        problem: Some(problem),
    }
}

#[test]
fn field_messages_prefer_the_forms_own_then_the_apis() {
    let local = vec![FieldError::new("name", "Give the token a name.")];
    let api = failure(
        ErrorCode::InvalidRequest,
        "bad",
        &[("name", "too long"), ("expires_in", "too far")],
    );
    assert_eq!(
        field_message(&local, Some(&api), "name").as_deref(),
        Some("Give the token a name.")
    );
    assert_eq!(
        field_message(&[], Some(&api), "name").as_deref(),
        Some("too long")
    );
    assert_eq!(
        field_message(&[], Some(&api), "expires_at").as_deref(),
        Some("too far")
    );
    assert_eq!(field_message(&[], Some(&api), "rate_limit"), None);
    assert_eq!(field_message(&[], None, "name"), None);
    let taken = failure(ErrorCode::Conflict, "A token named x exists.", &[]);
    assert_eq!(
        field_message(&[], Some(&taken), "name").as_deref(),
        Some("A token named x exists.")
    );
}

#[test]
fn grant_errors_land_on_the_rows_sent() {
    let sent = vec![g("audit:read"), g("storage:read@in.c-main")];
    let api = failure(
        ErrorCode::InvalidRequest,
        "bad",
        &[
            ("grants[1]", "not held"),
            ("grants[7]", "gone"),
            ("name", "x"),
        ],
    );
    let errors = grant_errors(Some(&api), &sent);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        ("storage", "read")
    );
    assert!(errors[0].2.ends_with(": not held"), "{}", errors[0].2);
    assert!(grant_errors(None, &sent).is_empty());
}

#[test]
fn problems_are_listed_in_the_forms_order_with_where_to_focus() {
    let local = vec![
        FieldError::new("grants", "Some permissions have no resources chosen."),
        FieldError::new("rate_limit", "A whole number."),
        FieldError::new("name", "Give the token a name."),
    ];
    let problems = form_problems(&local, None);
    let order: Vec<_> = problems.iter().map(|p| p.anchor).collect();
    assert_eq!(order, ["token-name", "token-rate-limit", "token-grants"]);
    assert_eq!(problems[0].label, "Name");
    assert_eq!(problems[0].message, "Give the token a name.");
    assert!(form_problems(&[], None).is_empty());
}

#[test]
fn the_apis_field_errors_are_problems_too() {
    let api = failure(
        ErrorCode::InvalidRequest,
        "bad",
        &[
            ("grants[0]", "not held"),
            ("description", "control characters"),
        ],
    );
    let problems = form_problems(&[], Some(&api));
    assert_eq!(
        problems,
        vec![
            FormProblem {
                label: "Description",
                anchor: "token-description",
                message: "control characters".into()
            },
            FormProblem {
                label: "Permissions",
                anchor: "token-grants",
                message: "not held".into()
            },
        ]
    );
    // A failure naming no field (a network error) is not a field's problem.
    assert!(form_problems(&[], Some(&failure(ErrorCode::Unavailable, "down", &[]))).is_empty());
    // Every anchor is distinct.
    let mut anchors: Vec<_> = FIELDS.iter().map(|f| f.2).collect();
    anchors.dedup();
    assert_eq!(anchors.len(), FIELDS.len());
}
