//! The route table: every operation of the HTTP API — method, path
//! template, handler, audit name and target, flags — and what the document
//! says it takes and answers. The worker resolves and dispatches requests
//! from it; the OpenAPI document is generated from it.

use super::{
    any_json, bytes, deep_object_query, delete, empty, get, json, patch, post, problem, put, query,
    schema, Operation, Response, Target, LIMIT, OFFSET, RETRY_AFTER,
};
use crate::api::*;
use crate::blast::{BlastRadius, OrPreview};
use crate::catalog::Catalog;
use crate::elevation::{ElevateRequest, Elevation};
use crate::explain::{ExplainRequest, Explanation, RoutesReport};
use crate::paths as P;
use crate::usage::{NarrowRequest, Usage};
use Target::{Object, Param};

/// Declares every endpoint once: each row `Name = method(path, summary)`,
/// then its builder calls, becomes a variant of [`Endpoint`] and an entry
/// of [`OPERATIONS`] at the variant's own index, so the two cannot drift
/// and a handler without a row (or a row without a handler: `dispatch`
/// matches exhaustively) does not compile.
macro_rules! operations {
    ($($name:ident = $method:ident($path:expr, $summary:expr $(,)?) $(.$call:ident($($arg:expr),* $(,)?))*;)*) => {
        /// The handler a route runs: one per row of [`OPERATIONS`]; the
        /// worker's `dispatch` has one arm per name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Endpoint {
            $($name,)*
        }

        /// Every route of the API, in [`Endpoint`]'s order.
        pub static OPERATIONS: &[Operation] = &[
            $($method($path, Endpoint::$name, $summary)$(.$call($($arg),*))*,)*
        ];

        impl Endpoint {
            /// Every endpoint, in the table's order.
            pub const ALL: &'static [Endpoint] = &[$(Endpoint::$name,)*];
        }
    };
}

impl Endpoint {
    /// Its row of the route table.
    pub fn operation(self) -> &'static Operation {
        &OPERATIONS[self as usize]
    }

    /// The audit log's name for a call of it.
    pub fn action(self) -> &'static str {
        self.operation().action
    }
}

/// The answers most operations share.
const E403: Response = problem(
    403,
    "`insufficient_permission`, `privilege_escalation` or `retired_secret`",
);
const E429: Response = problem(429, "`rate_limited`: the token used up its requests per minute, or this client address made too many failed attempts (bad or unknown secrets, unknown invitation codes); `Retry-After` says when to retry").headers(RETRY_AFTER);
const E401: Response = problem(401, "`missing_token`, `malformed_token`, `invalid_token` or `token_expired`; carries `WWW-Authenticate`");
const E503: Response = problem(
    503,
    "`unavailable`: storage failed and the request was denied",
);
const E404: Response = problem(404, "`not_found`");
const E400: Response = problem(
    400,
    "Invalid request (`invalid_request`) or a grant outside the catalog (`unknown_permission`)",
);
const E409: Response = problem(409, "`conflict`");
const E413: Response = problem(413, "`payload_too_large`");
/// Requests that carry or open a session must be the app's own.
const SAME_ORIGIN: Response = problem(403, "`cross_site_request`: a browser request from another origin, or without the app's `X-Keyward-App` header");
const ENROLMENT_GONE: Response = problem(410, "`enrolment_used` or `enrolment_expired`");
const SET_COOKIE: &[(&str, &str)] = &[("Set-Cookie", "The session cookie: `__Host-kw_session` over HTTPS (`kw_session` over plain-HTTP local development), `HttpOnly; SameSite=Strict; Path=/` and `Secure` over HTTPS")];
/// `?dry_run=true` on a change that touches several tokens.
const DRY_RUN: super::Query = query("dry_run", r#"{"type": "boolean", "default": false}"#, "`true`: change nothing and answer 200 with the blast radius (which tokens gain or lose which effective permissions, which gateway routes start or stop being callable; for an expiry policy, which tokens keep an expiry it would not admit). Any other query parameter is 400 `invalid_request`");
// Every route of the API, one row each: `Name = method(path, summary)`
// and what it is besides. For one path, the order of its rows is the
// order of the methods in a 405's `Allow`.
operations! {
    Health = get(P::HEALTH, "Service health; really writes and reads KV")
        .audit("health", Target::None)
        .public()
        .responses(&[json(200, "OK", schema::<Health>), json(503, "KV failed", schema::<Health>)]);
    OpenApi = get(P::OPENAPI, "This document")
        .audit("openapi", Target::None)
        .public()
        .responses(&[any_json(200, "OK")]);
    Catalog = get(P::CATALOG, "The permission catalog")
        .audit("catalog.read", Target::None)
        .responses(&[json(200, "OK", schema::<Catalog>), E401, E403, E429, E503]);
    WhoAmI = get(P::WHOAMI, "The calling token and its effective permissions per service")
        .audit("whoami", Target::None)
        .responses(&[json(200, "OK", schema::<WhoAmI>), E401, E403, E429, E503]);
    Verify = post(P::VERIFY, "Check a key and optional required grants (needs tokens:verify)")
        .audit("token.verify", Target::None)
        .json_body(schema::<VerifyRequest>)
        .responses(&[json(200, "OK", schema::<VerifyResponse>), E400, E401, E403, E413, E429, E503]);
    Audit = get(P::AUDIT, "The audit log, newest first (needs audit:read)")
        .audit("audit.read", Target::None)
        .query(&[LIMIT, OFFSET, query("actor", r#"{"type": "string"}"#, "client_id of the acting token"), query("target", r#"{"type": "string"}"#, ""), query("action", r#"{"type": "string"}"#, "")])
        .responses(&[json(200, "OK", schema::<Page<AuditEntry>>), E400, E401, E403, E429, E503]);
    ListTokens = get(P::TOKENS, "List tokens (needs tokens:read); expired tokens are left out")
        .audit("token.list", Target::None)
        .query(&[LIMIT, OFFSET, query("sort", r#"{"type": "string", "enum": ["name", "-name", "created_at", "-created_at", "expires_at", "-expires_at", "last_used_at", "-last_used_at"]}"#, ""), query("name", r#"{"type": "string"}"#, ""), query("client_id", r#"{"type": "string"}"#, ""), query("kind", r#"{"type": "string", "enum": ["master", "scoped", "personal", "user", "global"]}"#, ""), query("q", r#"{"type": "string"}"#, "substring of name or description"), query("project", r#"{"type": "string"}"#, "tokens of one project"), query("persona", r#"{"type": "string"}"#, "tokens linking one persona"), query("enabled", r#"{"type": "string", "enum": ["true", "false"]}"#, "only enabled (true) or disabled (false) tokens"), deep_object_query("meta", r#"{"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 8}"#, "tokens whose metadata holds each value at its key: `meta[team]=data` (also spelled `meta.team=data`); at most 8 keys, each 1-64 letters, digits, '_' or '-'"), query("unused_for", r#"{"type": "string"}"#, "only tokens unused for that long: a number and one unit s, m, h or d (`30d`); a token never used counts from its creation")])
        .responses(&[json(200, "OK", schema::<Page<Token>>), E400, E401, E403, E429, E503]);
    CreateToken = post(P::TOKENS, "Create a scoped token (needs tokens:manage) or, for admins, a global key (kind: global); it starts with exactly the grants (and personas) given")
        .idempotent()
        .audit("token.create", Target::None)
        .control()
        .json_body(schema::<CreateToken>)
        .responses(&[json(201, "Created; the secret is shown this once", schema::<IssuedToken>), E400, E401, E403, E409, E413, E429, E503]);
    GetToken = get(P::TOKEN, "One token (needs tokens:read)")
        .audit("token.read", Param("id"))
        .responses(&[json(200, "OK", schema::<Token>), E401, E403, E404, E429, E503]);
    UpdateToken = patch(P::TOKEN, "Edit a token (needs tokens:manage); grants are a complete set")
        .if_match()
        .audit("token.update", Param("id"))
        .control()
        .json_body(schema::<UpdateToken>)
        .responses(&[json(200, "OK", schema::<Token>), E400, E401, E403, E404, E409, E413, E429, E503]);
    DeleteToken = delete(P::TOKEN, "Delete a token for good (needs tokens:manage)")
        .if_match()
        .audit("token.delete", Param("id"))
        .control()
        .responses(&[empty(204, "Done"), E401, E403, E404, E409, E429, E503]);
    RefreshToken = post(P::TOKEN_REFRESH, "New secret for the same token; the old one stops now or after the overlap. Any token may refresh itself.")
        .audit("token.refresh", Param("id"))
        .control()
        .optional_json_body(schema::<RefreshToken>)
        .responses(&[json(200, "OK", schema::<IssuedToken>), E400, E401, E403, E404, E409, E413, E429, E503]);
    RecoverToken = post(P::TOKEN_RECOVER, "Another admin recovers a master token (one a leak report disabled, or whose admin lost it): a new secret at once (the old one stops, no overlap), the token enabled, and the secret sent to its admin only, by the email provider or the dev outbox; the answer names where it went and carries no secret (admins only)")
        .audit("token.recover", Param("id"))
        .control()
        .responses(&[json(200, "Recovered; the new secret was sent to its admin", schema::<RecoveredMaster>), E401, E403, E404, E409, E429, problem(502, "`email_failed`: the new secret could not be sent; the old one no longer works: recover again"), problem(503, "`unavailable`; or `email_not_configured`, and nothing was changed")]);
    ExplainToken = post(P::TOKEN_EXPLAIN, "Explain the edge's decision for this token and one grant: which held grant admits it and where that grant comes from (own, a persona, a member's, `*`, implied by a stronger permission), or why not (`no_grant` naming the missing grant, `out_of_reach`, `token_expired`, `token_disabled`, `token_not_yet_valid`; `rate_limited` or `usage_exhausted` with `retry_after` when the token's limiter, asked without taking a slot, would refuse a call now; with `secret_hint`: `retired_secret` for a control-plane permission asked with a secret a refresh replaced, `secret_until` when that secret stops, `secret_unknown` when no working secret has that hint). Asking never counts against the token's limit. Anyone who may see the token may ask; unknown or hidden tokens are 404; 503 `unavailable` when the limiter cannot be asked")
        .audit("token.explain", Param("id"))
        .json_body(schema::<ExplainRequest>)
        .responses(&[json(200, "The decision and its derivation", schema::<Explanation>), E400, E401, E404, E413, E429, E503]);
    TokenRoutes = get(P::TOKEN_ROUTES, "Which of the shipped gateway routes this token can call, requirement by requirement, and the grant missing for the others (anyone who may see the token)")
        .audit("token.routes", Param("id"))
        .query(&[query("project", r#"{"type": "string"}"#, "the project the calls would act in (`X-Keyward-Project`); default the token's own")])
        .responses(&[json(200, "OK", schema::<RoutesReport>), E400, E401, E404, E429, E503]);
    TokenUsage = get(P::TOKEN_USAGE, "What the token's successful calls used in the last `days` days (from the audit store), which grants it never used, and a narrowed complete grant set for `PATCH /tokens/{id}` (needs to see the token and audit:read in its project)")
        .audit("token.usage", Param("id"))
        .query(&[query("days", r#"{"type": "integer", "minimum": 1, "maximum": 365, "default": 30}"#, "the window, in days (1 to 365; anything else is 400 `invalid_request` naming `days`)")])
        .responses(&[json(200, "OK", schema::<Usage>), E400, E401, E403, E404, E429, E503]);
    NarrowToken = post(P::TOKEN_NARROW, "Narrow the token's own grants to the usage summary's proposal, as reviewed (`grants`); audited as `token.narrow` beside the `token.update` of the change. 409 `conflict` when the proposal is no longer what the audit log gives (needs tokens:manage, and audit:read in the token's project)")
        .audit("token.narrow", Param("id"))
        .control()
        .json_body(schema::<NarrowRequest>)
        .responses(&[json(200, "The token with its narrowed grants", schema::<Token>), E400, E401, E403, E404, E409, E413, E429, E503]);
    ElevateToken = post(P::TOKEN_ELEVATIONS, "Raise a project token's grants until an instant, for a stated reason: `grants`, or a `persona` whose grants are copied now; `until` at most 30 days ahead and not after the token's expiry. The edge stops counting it at `until` by itself. Active at once, or `pending` until a second admin approves when the project sets `elevation_approval` (needs tokens:manage, and to be able to grant what it adds; audited as `token.elevate` with who, why and until when)")
        .audit("token.elevate", Param("id"))
        .control()
        .json_body(schema::<ElevateRequest>)
        .responses(&[json(201, "The elevation, `active` or `pending`", schema::<Elevation>), E400, E401, E403, E404, E409, E413, E429, E503]);
    ApproveElevation = post(P::TOKEN_ELEVATION_APPROVE, "Approve a pending elevation: an admin other than its requester (403 `self_approval`), who could have made it; it then runs until its `until`")
        .audit("token.elevation.approve", Param("id"))
        .control()
        .responses(&[json(200, "The elevation, now `active`", schema::<Elevation>), E401, E403, E404, E409, E429, E503]);
    EndElevation = delete(P::TOKEN_ELEVATION, "End an elevation now (or withdraw a pending one); the token's record is rewritten at once (needs tokens:manage)")
        .audit("token.elevation.end", Param("id"))
        .control()
        .responses(&[empty(204, "Ended"), E401, E403, E404, E409, E429, E503]);
    ListAdmins = get(P::ADMINS, "List admins (needs a master token)")
        .audit("admin.list", Target::None)
        .responses(&[json(200, "OK", schema::<AdminList>), E401, E403, E429, E503]);
    CreateAdmin = post(P::ADMINS, "Add an admin with a master token (needs a master token)")
        .audit("admin.create", Target::None)
        .control()
        .json_body(schema::<CreateAdmin>)
        .responses(&[json(201, "OK", schema::<AdminCreated>), E400, E401, E403, E409, E413, E429, E503]);
    DeleteAdmin = delete(P::ADMIN, "Remove an admin and their master and personal tokens; never the last admin")
        .audit("admin.delete", Param("id"))
        .control()
        .responses(&[empty(204, "Done"), E401, E403, E404, E409, E429, E503]);
    ListBuckets = get(P::BUCKETS, "Buckets the token can read (others are invisible)")
        .audit("bucket.list", Target::None)
        .in_projects()
        .query(&[query("q", r#"{"type": "string"}"#, "only bucket ids containing this text (case-insensitive)"), query("limit", r#"{"type": "integer", "minimum": 1, "maximum": 1000}"#, "at most this many buckets, first by id (default: all)")])
        .responses(&[json(200, "OK", schema::<BucketList>), E400, E401, E403, E429, E503]);
    CreateBucket = post(P::BUCKETS, "Create a bucket (needs storage:create_bucket)")
        .idempotent()
        .audit("bucket.create", Target::None)
        .audited_by_registry()
        .in_projects()
        .json_body(schema::<CreateBucket>)
        .responses(&[json(201, "OK", schema::<Bucket>), E400, E401, E403, E409, E413, E429, E503]);
    ListObjects = get(P::OBJECTS, "Objects of a bucket (needs storage:read@bucket)")
        .audit("object.list", Param("bucket"))
        .in_projects()
        .responses(&[json(200, "OK", schema::<ObjectList>), E400, E401, E403, E404, E429, E503]);
    GetObject = get(P::OBJECT, "An object's bytes with its content type (needs storage:read@bucket)")
        .audit("object.read", Object)
        .in_projects()
        .query(&[query("inline", r#"{"type": "boolean"}"#, "`true` serves the object with `Content-Disposition: inline`, only for text/plain, text/csv, application/json, image/png, image/jpeg, image/gif and image/webp (any other type: 400 `invalid_request`, field `inline`); by default objects are downloads")])
        .responses(&[bytes(200, "The object; a download (`Content-Disposition: attachment`) unless `inline=true`, always with `X-Content-Type-Options: nosniff` and a sandboxing `Content-Security-Policy`").headers(&[("Content-Disposition", "`attachment; filename=\"<last segment of the key>\"`, or `inline` when asked for and the type is safe"), ("Content-Security-Policy", "`default-src 'none'; sandbox; frame-ancestors 'none'`"), ("X-Content-Type-Options", "`nosniff`")]), E400, E401, E403, E404, E429, E503]);
    PutObject = put(P::OBJECT, "Store an object of at most 1 MiB; the content type is kept (needs storage:write@bucket)")
        .audit("object.put", Object)
        .in_projects()
        .bytes_body()
        .responses(&[json(200, "OK", schema::<ObjectInfo>), E400, E401, E403, E404, E413, E429, E503]);
    DeleteObject = delete(P::OBJECT, "Delete an object (needs storage:write@bucket)")
        .audit("object.delete", Object)
        .in_projects()
        .responses(&[empty(204, "Done"), E400, E401, E403, E404, E429, E503]);
    CreateInvitation = post(P::TOKEN_INVITATIONS, "Send the token by email (needs tokens:manage); the email links to /invite/<code>, never a secret")
        .audit("invitation.create", Param("id"))
        .control()
        .json_body(schema::<CreateInvitation>)
        .responses(&[json(201, "OK", schema::<InvitationCreated>), problem(400, "`invalid_request`"), E401, E403, E404, E409, E413, E429, problem(502, "`email_failed`: the provider refused or timed out; the invitation is marked failed"), problem(503, "`unavailable`; or `email_not_configured`: neither an email provider (`EMAIL_API_URL`) nor the dev outbox (`DEV_OUTBOX`) is configured, and nothing was created")]);
    ListInvitations = get(P::INVITATIONS, "Invitations: sending, pending, accepted, expired, revoked, failed (needs tokens:read)")
        .short("List invitations")
        .audit("invitation.list", Target::None)
        .query(&[query("token_id", r#"{"type": "string"}"#, "")])
        .responses(&[json(200, "OK", schema::<InvitationList>), problem(400, "`invalid_request`"), E401, E403, E429, E503]);
    OpenInvitation = get(P::INVITATION_OPEN, "Public: what the invitation offers (inviter, message, token name, grants, expiry)")
        .short("Open an invitation")
        .audit("invitation.open", Target::None)
        .public()
        .responses(&[json(200, "OK", schema::<InvitationWelcome>), problem(404, "`not_found`; codes without the shape and checksum of an issued code never reach storage"), problem(410, "`invitation_used` or `invitation_expired`"), problem(429, "`rate_limited`: this client address made too many failed attempts (bad or unknown secrets, unknown invitation codes); `Retry-After` says when to retry").headers(RETRY_AFTER), E503]);
    AcceptInvitation = post(P::INVITATION_ACCEPT, "Public: accept once; issues the token's secret (a refresh: any earlier secret stops working)")
        .short("Accept an invitation")
        .audit("invitation.accept", Target::None)
        .public()
        .responses(&[json(200, "OK", schema::<IssuedToken>), problem(404, "`not_found`; codes without the shape and checksum of an issued code never reach storage"), problem(410, "`invitation_used` or `invitation_expired`"), problem(429, "`rate_limited`: this client address made too many failed attempts (bad or unknown secrets, unknown invitation codes); `Retry-After` says when to retry").headers(RETRY_AFTER), E503]);
    RevokeInvitation = delete(P::INVITATION, "Revoke a pending or failed invitation (needs tokens:manage)")
        .audit("invitation.revoke", Param("id"))
        .control()
        .responses(&[empty(204, "Revoked"), E401, E403, E404, E409, E429, E503]);
    ResendInvitation = post(P::INVITATION_RESEND, "Send again with a new code; the old link stops working (needs tokens:manage)")
        .audit("invitation.resend", Param("id"))
        .control()
        .responses(&[json(200, "OK", schema::<InvitationCreated>), E401, E403, E404, E409, E429, problem(502, "`email_failed`: the provider refused or timed out; the invitation is marked failed"), problem(503, "`unavailable`; or `email_not_configured`: neither an email provider (`EMAIL_API_URL`) nor the dev outbox (`DEV_OUTBOX`) is configured, and nothing was created")]);
    ReportLeaks = post(P::LEAKS, "Secret scanning partners: report Keyward secrets found in public; each live one is disabled or revoked per its project's `leak_response`, audited as `token.leak`, and the admins are emailed after the answer. GitHub's partner program signs the raw body with ECDSA P-256/SHA-256 (`Github-Public-Key-Identifier`, `Github-Public-Key-Signature`), verified with the keys published at `SECRET_SCANNING_KEYS_URL` (GitHub's by default), and is answered in GitHub's format (`token_raw`, `token_type`, `label`). Other scanners send the shared partner key in `X-Keyward-Partner-Key` (its SHA-256 is `LEAK_PARTNER_KEY_HASH`) and also get each secret's `action`")
        .short("Report leaked secrets")
        .audit("leak.report", Target::None)
        .public()
        .json_body(schema::<Vec<crate::leak::Sighting>>)
        .responses(&[json(200, "A verdict per reported secret, in order (`GithubVerdict` for a signed report)", schema::<Vec<crate::leak::Verdict>>), problem(400, "`invalid_request`: not a list of sightings, or more than 1000"), problem(401, "`missing_token` or `invalid_token`: no or a wrong partner key; `invalid_signature`: a signed report whose key is not published or whose signature does not verify"), problem(413, "`payload_too_large`: over 1 MiB"), problem(404, "`not_found`: this kind of report is not enabled on this deployment (`LEAK_PARTNER_KEY_HASH` is not set, or `SECRET_SCANNING_KEYS_URL` is empty)"), problem(429, "`rate_limited`: too many failed attempts from this address"), problem(503, "`unavailable`: storage, or the published keys could not be fetched")]);
    Outbox = get(P::OUTBOX, "The dev outbox, when no email provider is configured (needs a master token)")
        .audit("outbox.read", Target::None)
        .responses(&[json(200, "OK", schema::<OutboxList>), E401, E403, E429, E503]);
    ListPersonas = get(P::PERSONAS, "Personas: all of them with tokens:read; otherwise those the token holds through (its own, or its user's for a personal key)")
        .short("List personas")
        .audit("persona.list", Target::None)
        .responses(&[json(200, "OK", schema::<PersonaList>), E401, E403, E429, E503]);
    CreatePersona = post(P::PERSONAS, "Create a persona (admins)")
        .idempotent()
        .audit("persona.create", Target::None)
        .control()
        .json_body(schema::<CreatePersona>)
        .responses(&[json(201, "Created", schema::<Persona>), E400, E401, E403, E409, E413, E429, E503]);
    GetPersona = get(P::PERSONA, "One persona (needs tokens:read)")
        .audit("persona.read", Param("id"))
        .responses(&[json(200, "OK", schema::<Persona>), E401, E403, E404, E429, E503]);
    UpdatePersona = patch(P::PERSONA, "Edit a persona (admins); every linked token changes at once. `dry_run=true` previews the change instead")
        .if_match()
        .audit("persona.update", Param("id"))
        .control()
        .query(&[DRY_RUN])
        .json_body(schema::<UpdatePersona>)
        .responses(&[json(200, "The persona as changed; with `dry_run=true`, the preview and nothing changed", schema::<OrPreview<Persona>>), E400, E401, E403, E404, E409, E413, E429, E503]);
    DeletePersona = delete(P::PERSONA, "Delete a persona (admins); if tokens link it, only with unlink=true, which unlinks it from them")
        .if_match()
        .audit("persona.delete", Param("id"))
        .control()
        .query(&[query("unlink", r#"{"type": "boolean", "default": false}"#, "confirm deleting a persona that tokens link"), DRY_RUN])
        .responses(&[json(200, "`dry_run=true`: the preview; nothing was deleted", schema::<BlastRadius>), empty(204, "Done"), E400, E401, E403, E404, problem(409, "`persona_in_use`: tokens link the persona; repeat with unlink=true"), E429, E503]);
    ListMembers = get(P::MEMBERS, "Members (admins)")
        .short("List members")
        .audit("member.list", Target::None)
        .responses(&[json(200, "OK", schema::<MemberList>), E401, E403, E429, E503]);
    CreateMember = post(P::MEMBERS, "Invite a member (admins): creates their user token and emails a single-use invitation")
        .audit("member.create", Target::None)
        .control()
        .json_body(schema::<CreateMember>)
        .responses(&[json(201, "Created; the invitation was sent", schema::<MemberCreated>), E400, E401, E403, E409, E413, E429, problem(502, "`email_failed`: the invitation email could not be sent; the invitation is marked failed and can be re-sent"), problem(503, "`unavailable`: storage failed and the request was denied; or `email_not_configured`: neither an email provider (`EMAIL_API_URL`) nor the dev outbox (`DEV_OUTBOX`) is configured, and nothing was created")]);
    GetMember = get(P::MEMBER, "One member (admins, or the member themself)")
        .audit("member.read", Param("id"))
        .responses(&[json(200, "OK", schema::<Member>), E401, E403, E404, E429, E503]);
    UpdateMember = patch(P::MEMBER, "Edit a member's name, grants or personas (admins); their personal keys follow at once")
        .if_match()
        .short("Edit a member")
        .audit("member.update", Param("id"))
        .control()
        .query(&[DRY_RUN])
        .json_body(schema::<UpdateMember>)
        .responses(&[json(200, "The member as changed; with `dry_run=true`, the preview and nothing changed", schema::<OrPreview<Member>>), E400, E401, E403, E404, E409, E413, E429, E503]);
    DeleteMember = delete(P::MEMBER, "Remove a member (admins), with their user token and personal keys")
        .if_match()
        .audit("member.delete", Param("id"))
        .control()
        .query(&[DRY_RUN])
        .responses(&[json(200, "`dry_run=true`: the preview; nothing was removed", schema::<BlastRadius>), empty(204, "Done"), E400, E401, E403, E404, E429, E503]);
    ListPersonalKeys = get(P::MEMBER_KEYS, "A member's personal keys (admins, or the member)")
        .audit("personal_key.list", Param("id"))
        .responses(&[json(200, "OK", schema::<TokenList>), E401, E403, E404, E429, E503]);
    CreatePersonalKey = post(P::MEMBER_KEYS, "Create a personal key (only the member, with their user token); it acts as the member")
        .idempotent()
        .audit("personal_key.create", Param("id"))
        .control()
        .json_body(schema::<CreatePersonalKey>)
        .responses(&[json(201, "Created; the secret is shown this once", schema::<IssuedToken>), E400, E401, E403, E404, E409, E413, E429, E503]);
    DeletePersonalKey = delete(P::MEMBER_KEY, "Delete a personal key (admins, or the member)")
        .audit("personal_key.delete", Param("key"))
        .control()
        .responses(&[empty(204, "Done"), E401, E403, E404, E429, E503]);
    ListProjects = get(P::PROJECTS, "The projects this token can reach")
        .audit("project.list", Target::None)
        .responses(&[json(200, "OK", schema::<ProjectList>), E401, E403, E429, E503]);
    CreateProject = post(P::PROJECTS, "Create a project (admins)")
        .idempotent()
        .audit("project.create", Target::None)
        .control()
        .json_body(schema::<CreateProject>)
        .responses(&[json(201, "Created", schema::<Project>), E400, E401, E403, E409, E413, E429, E503]);
    GetProject = get(P::PROJECT, "One project this token can reach, with its version (`ETag`) for an `If-Match` on its edit; a project out of reach is 404")
        .audit("project.read", Param("project"))
        .responses(&[json(200, "OK", schema::<Project>), E401, E403, E404, E429, E503]);
    UpdateProject = patch(P::PROJECT, "Edit a project: its name, description and expiry policy (admins)")
        .if_match()
        .audit("project.update", Param("project"))
        .control()
        .audited_by_registry()
        .query(&[DRY_RUN])
        .json_body(schema::<UpdateProject>)
        .responses(&[json(200, "The project as changed; with `dry_run=true`, the preview (`expiry`: tokens keeping an expiry the new policy would not admit) and nothing changed", schema::<OrPreview<Project>>), E400, E401, E403, E404, E413, E429, E503]);
    PasskeyOptions = post(P::PASSKEY_OPTIONS, "Start a passkey sign-in: a single-use challenge (five minutes) for `navigator.credentials.get`, any discoverable passkey of this relying party")
        .audit("signin.options", Target::None)
        .public()
        .responses(&[json(200, "OK", schema::<PasskeyRequestOptions>), SAME_ORIGIN, E429, E503]);
    PasskeySignIn = post(P::PASSKEY_SIGN_IN, "Finish a passkey sign-in: the assertion is checked (challenge, origin, relying party, user verification, signature, counter) and a session opens; its secret is only in the HttpOnly `Set-Cookie`")
        .audit("signin.passkey", Target::None)
        .public()
        .json_body(schema::<PasskeyAssertion>)
        .responses(&[json(200, "Signed in; `Set-Cookie` carries the session", schema::<SignedIn>).headers(SET_COOKIE), E400, problem(401, "`passkey_rejected`, naming the check that failed"), SAME_ORIGIN, E413, E429, E503]);
    OpenSession = post(P::SESSIONS, "Exchange the presented master token (an admin) or user token (a member) for a session of its person, so the browser keeps no secret (recovery, and the first admin before a passkey exists)")
        .short("Open a session with a master or user token")
        .audit("signin.token", Target::None)
        .control()
        .responses(&[json(201, "Signed in; `Set-Cookie` carries the session", schema::<SignedIn>).headers(SET_COOKIE), E401, problem(403, "`insufficient_permission`: only a master or user token belongs to a person; `cross_site_request`"), E429, E503]);
    SignOut = post(P::SIGN_OUT, "End the session this request came with and clear its cookie")
        .audit("signin.end", Target::None)
        .control()
        .responses(&[empty(204, "Signed out; `Set-Cookie` clears the cookie").headers(SET_COOKIE), problem(400, "`invalid_request`: the request came with a bearer token, not a session"), E401, E403, E429, E503]);
    StartDevice = post(P::DEVICE, "The CLI starts a device authorization (RFC 8628): a device code to poll with, and a user code the person approves in the app")
        .audit("device.start", Target::None)
        .public()
        .optional_json_body(schema::<StartDeviceAuthorization>)
        .responses(&[json(200, "OK", schema::<DeviceAuthorization>), E400, E413, E429, E503]);
    DeviceToken = post(P::DEVICE_TOKEN, "The CLI polls with its device code: once the person approved it, a token of that person (an admin's global admin key, a member's personal key) that expires in 30 days, its secret shown this once")
        .audit("device.token", Target::None)
        .public()
        .json_body(schema::<DeviceTokenRequest>)
        .responses(&[json(200, "Approved; the secret is shown this once", schema::<IssuedToken>), problem(400, "`authorization_pending` (poll again after `interval`), `device_code_expired` (expired, unknown or used: start again), `invalid_request`"), E403, E413, E429, E503]);
    ApproveDevice = post(P::DEVICE_APPROVE, "A signed-in person approves a CLI's user code; the CLI's next poll receives a token of that person")
        .audit("device.approve", Target::None)
        .control()
        .json_body(schema::<DeviceApproval>)
        .responses(&[json(200, "Approved", schema::<DeviceApproved>), E400, E401, E403, problem(404, "`not_found`: no pending device authorization has that code"), E413, E429, E503]);
    CreateEnrolment = post(P::ENROLMENTS, "Email a person (an admin or a member) a single-use link to register a passkey with (admins)")
        .short("Email a passkey enrolment link")
        .audit("enrolment.create", Target::None)
        .control()
        .json_body(schema::<CreateEnrolment>)
        .responses(&[json(201, "Created; the link was sent", schema::<Enrolment>), E400, E401, E403, E404, E413, E429, problem(502, "`email_failed`"), problem(503, "`unavailable` or `email_not_configured`")]);
    OpenEnrolment = get(P::ENROLMENT, "An enrolment link's welcome: whose it is and until when")
        .audit("enrolment.open", Target::None)
        .public()
        .responses(&[json(200, "OK", schema::<EnrolmentWelcome>), E404, ENROLMENT_GONE, E429, E503]);
    EnrolmentOptions = post(P::ENROLMENT_OPTIONS, "Start registering a passkey with an enrolment link: a challenge for `navigator.credentials.create`")
        .audit("enrolment.options", Target::None)
        .public()
        .responses(&[json(200, "OK", schema::<PasskeyCreationOptions>), E404, ENROLMENT_GONE, SAME_ORIGIN, E429, E503]);
    Enrol = post(P::ENROLMENT_PASSKEYS, "Register the passkey and use up the link; a session of the person opens")
        .audit("enrolment.passkey", Target::None)
        .public()
        .json_body(schema::<PasskeyRegistration>)
        .responses(&[json(201, "Registered and signed in; `Set-Cookie` carries the session", schema::<SignedIn>).headers(SET_COOKIE), E400, problem(401, "`passkey_rejected`"), E404, problem(409, "`conflict`: the credential is registered already"), ENROLMENT_GONE, SAME_ORIGIN, E413, E429, E503]);
    ListSessions = get(P::MY_SESSIONS, "Your open sessions (a person: a session, a master token or a user token)")
        .audit("session.list", Target::None)
        .responses(&[json(200, "OK", schema::<SessionList>), E401, E403, E429, E503]);
    EndSessions = delete(P::MY_SESSIONS, "Sign out everywhere: every session of yours ends, this one included")
        .audit("session.end_all", Target::None)
        .control()
        .responses(&[empty(204, "Done").headers(SET_COOKIE), E401, E403, E429, E503]);
    EndSession = delete(P::MY_SESSION, "End one of your sessions")
        .audit("session.end", Param("id"))
        .control()
        .responses(&[empty(204, "Done"), E401, E403, E404, E429, E503]);
    ListPasskeys = get(P::MY_PASSKEYS, "Your passkeys")
        .audit("passkey.list", Target::None)
        .responses(&[json(200, "OK", schema::<PasskeyList>), E401, E403, E429, E503]);
    NewPasskeyOptions = post(P::MY_PASSKEY_OPTIONS, "Start registering another passkey of yours")
        .audit("passkey.options", Target::None)
        .responses(&[json(200, "OK", schema::<PasskeyCreationOptions>), E401, E403, E429, E503]);
    AddPasskey = post(P::MY_PASSKEYS, "Register another passkey of yours")
        .audit("passkey.create", Target::None)
        .control()
        .json_body(schema::<PasskeyRegistration>)
        .responses(&[json(201, "Registered", schema::<Passkey>), E400, problem(401, "`passkey_rejected` or a credential problem"), E403, problem(409, "`conflict`: the credential is registered already"), E413, E429, E503]);
    RenamePasskey = patch(P::MY_PASSKEY, "Rename one of your passkeys")
        .audit("passkey.rename", Param("id"))
        .control()
        .json_body(schema::<RenamePasskey>)
        .responses(&[json(200, "OK", schema::<Passkey>), E400, E401, E403, E404, E413, E429, E503]);
    RemovePasskey = delete(P::MY_PASSKEY, "Remove one of your passkeys; it signs in no more")
        .audit("passkey.delete", Param("id"))
        .control()
        .responses(&[empty(204, "Done"), E401, E403, E404, E429, E503]);
}
