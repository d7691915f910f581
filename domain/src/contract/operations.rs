//! Every operation of the HTTP API, as the document states it: the path
//! template (shared with the route table), what it takes, what it answers.
//! The schemas come from the API types themselves.

use super::{
    any_json, bytes, delete, empty, get, json, patch, post, problem, put, query, schema, Operation,
    Response, LIMIT, OFFSET, RETRY_AFTER,
};
use crate::api::*;
use crate::catalog::Catalog;
use crate::paths as P;

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
pub static OPERATIONS: &[Operation] = &[
    get(P::HEALTH, "Service health; really writes and reads KV")
        .public()
        .responses(&[json(200, "OK", schema::<Health>), json(503, "KV failed", schema::<Health>)]),
    get(P::OPENAPI, "This document")
        .public()
        .responses(&[any_json(200, "OK")]),
    get(P::CATALOG, "The permission catalog")
        .responses(&[json(200, "OK", schema::<Catalog>), E401, E403, E429, E503]),
    get(P::WHOAMI, "The calling token and its effective permissions per service")
        .responses(&[json(200, "OK", schema::<WhoAmI>), E401, E403, E429, E503]),
    post(P::VERIFY, "Check a key and optional required grants (needs tokens:verify)")
        .json_body(schema::<VerifyRequest>)
        .responses(&[json(200, "OK", schema::<VerifyResponse>), E400, E401, E403, E413, E429, E503]),
    get(P::AUDIT, "The audit log, newest first (needs audit:read)")
        .query(&[LIMIT, OFFSET, query("actor", r#"{"type": "string"}"#, "client_id of the acting token"), query("target", r#"{"type": "string"}"#, ""), query("action", r#"{"type": "string"}"#, "")])
        .responses(&[json(200, "OK", schema::<Page<AuditEntry>>), E400, E401, E403, E429, E503]),
    get(P::TOKENS, "List tokens (needs tokens:read); expired tokens are left out")
        .query(&[LIMIT, OFFSET, query("sort", r#"{"type": "string", "enum": ["name", "-name", "created_at", "-created_at", "expires_at", "-expires_at", "last_used_at", "-last_used_at"]}"#, ""), query("name", r#"{"type": "string"}"#, ""), query("client_id", r#"{"type": "string"}"#, ""), query("kind", r#"{"type": "string", "enum": ["master", "scoped", "personal", "user", "global"]}"#, ""), query("q", r#"{"type": "string"}"#, "substring of name or description"), query("project", r#"{"type": "string"}"#, "tokens of one project"), query("persona", r#"{"type": "string"}"#, "tokens linking one persona")])
        .responses(&[json(200, "OK", schema::<Page<Token>>), E400, E401, E403, E429, E503]),
    post(P::TOKENS, "Create a scoped token (needs tokens:manage) or, for admins, a global key (kind: global); it starts with exactly the grants (and personas) given")
        .json_body(schema::<CreateToken>)
        .responses(&[json(201, "Created; the secret is shown this once", schema::<IssuedToken>), E400, E401, E403, E409, E413, E429, E503]),
    get(P::TOKEN, "One token (needs tokens:read)")
        .responses(&[json(200, "OK", schema::<Token>), E401, E403, E404, E429, E503]),
    patch(P::TOKEN, "Edit a token (needs tokens:manage); grants are a complete set")
        .json_body(schema::<UpdateToken>)
        .responses(&[json(200, "OK", schema::<Token>), E400, E401, E403, E404, E409, E413, E429, E503]),
    delete(P::TOKEN, "Delete a token for good (needs tokens:manage)")
        .responses(&[empty(204, "Done"), E401, E403, E404, E409, E429, E503]),
    post(P::TOKEN_REFRESH, "New secret for the same token; the old one stops now or after the overlap. Any token may refresh itself.")
        .optional_json_body(schema::<RefreshToken>)
        .responses(&[json(200, "OK", schema::<IssuedToken>), E400, E401, E403, E404, E409, E413, E429, E503]),
    get(P::ADMINS, "List admins (needs a master token)")
        .responses(&[json(200, "OK", schema::<AdminList>), E401, E403, E429, E503]),
    post(P::ADMINS, "Add an admin with a master token (needs a master token)")
        .json_body(schema::<CreateAdmin>)
        .responses(&[json(201, "OK", schema::<AdminCreated>), E400, E401, E403, E409, E413, E429, E503]),
    delete(P::ADMIN, "Remove an admin and their master and personal tokens; never the last admin")
        .responses(&[empty(204, "Done"), E401, E403, E404, E409, E429, E503]),
    get(P::BUCKETS, "Buckets the token can read (others are invisible)")
        .in_projects()
        .responses(&[json(200, "OK", schema::<BucketList>), E401, E403, E429, E503]),
    post(P::BUCKETS, "Create a bucket (needs storage:create_bucket)")
        .in_projects()
        .json_body(schema::<CreateBucket>)
        .responses(&[json(201, "OK", schema::<Bucket>), E400, E401, E403, E409, E413, E429, E503]),
    get(P::OBJECTS, "Objects of a bucket (needs storage:read@bucket)")
        .in_projects()
        .responses(&[json(200, "OK", schema::<ObjectList>), E400, E401, E403, E404, E429, E503]),
    get(P::OBJECT, "An object's bytes with its content type (needs storage:read@bucket)")
        .in_projects()
        .query(&[query("inline", r#"{"type": "boolean"}"#, "`true` serves the object with `Content-Disposition: inline`, only for text/plain, text/csv, application/json, image/png, image/jpeg, image/gif and image/webp (any other type: 400 `invalid_request`, field `inline`); by default objects are downloads")])
        .responses(&[bytes(200, "The object; a download (`Content-Disposition: attachment`) unless `inline=true`, always with `X-Content-Type-Options: nosniff` and a sandboxing `Content-Security-Policy`").headers(&[("Content-Disposition", "`attachment; filename=\"<last segment of the key>\"`, or `inline` when asked for and the type is safe"), ("Content-Security-Policy", "`default-src 'none'; sandbox; frame-ancestors 'none'`"), ("X-Content-Type-Options", "`nosniff`")]), E400, E401, E403, E404, E429, E503]),
    put(P::OBJECT, "Store an object of at most 1 MiB; the content type is kept (needs storage:write@bucket)")
        .in_projects()
        .bytes_body()
        .responses(&[json(200, "OK", schema::<ObjectInfo>), E400, E401, E403, E404, E413, E429, E503]),
    delete(P::OBJECT, "Delete an object (needs storage:write@bucket)")
        .in_projects()
        .responses(&[empty(204, "Done"), E400, E401, E403, E404, E429, E503]),
    post(P::TOKEN_INVITATIONS, "Send the token by email (needs tokens:manage); the email links to /invite/<code>, never a secret")
        .json_body(schema::<CreateInvitation>)
        .responses(&[json(201, "OK", schema::<InvitationCreated>), problem(400, "`invalid_request`"), E401, E403, E404, E409, E413, E429, problem(502, "`email_failed`: the provider refused or timed out; the invitation is marked failed"), problem(503, "`unavailable`; or `email_not_configured`: neither an email provider (`EMAIL_API_URL`) nor the dev outbox (`DEV_OUTBOX`) is configured, and nothing was created")]),
    get(P::INVITATIONS, "Invitations: sending, pending, accepted, expired, revoked, failed (needs tokens:read)")
        .query(&[query("token_id", r#"{"type": "string"}"#, "")])
        .responses(&[json(200, "OK", schema::<InvitationList>), problem(400, "`invalid_request`"), E401, E403, E429, E503]),
    delete(P::INVITATION, "Revoke a pending or failed invitation (needs tokens:manage)")
        .responses(&[empty(204, "Revoked"), E401, E403, E404, E409, E429, E503]),
    post(P::INVITATION_RESEND, "Send again with a new code; the old link stops working (needs tokens:manage)")
        .responses(&[json(200, "OK", schema::<InvitationCreated>), E401, E403, E404, E409, E429, problem(502, "`email_failed`: the provider refused or timed out; the invitation is marked failed"), problem(503, "`unavailable`; or `email_not_configured`: neither an email provider (`EMAIL_API_URL`) nor the dev outbox (`DEV_OUTBOX`) is configured, and nothing was created")]),
    get(P::INVITATION_OPEN, "Public: what the invitation offers (inviter, message, token name, grants, expiry)")
        .public()
        .responses(&[json(200, "OK", schema::<InvitationWelcome>), problem(404, "`not_found`; codes without the shape and checksum of an issued code never reach storage"), problem(410, "`invitation_used` or `invitation_expired`"), problem(429, "`rate_limited`: this client address made too many failed attempts (bad or unknown secrets, unknown invitation codes); `Retry-After` says when to retry").headers(RETRY_AFTER), E503]),
    post(P::INVITATION_ACCEPT, "Public: accept once; issues the token's secret (a refresh: any earlier secret stops working)")
        .public()
        .responses(&[json(200, "OK", schema::<IssuedToken>), problem(404, "`not_found`; codes without the shape and checksum of an issued code never reach storage"), problem(410, "`invitation_used` or `invitation_expired`"), problem(429, "`rate_limited`: this client address made too many failed attempts (bad or unknown secrets, unknown invitation codes); `Retry-After` says when to retry").headers(RETRY_AFTER), E503]),
    get(P::OUTBOX, "The dev outbox, when no email provider is configured (needs a master token)")
        .responses(&[json(200, "OK", schema::<OutboxList>), E401, E403, E429, E503]),
    get(P::PERSONAS, "Personas: all of them with tokens:read; otherwise those the token holds through (its own, or its user's for a personal key)")
        .responses(&[json(200, "OK", schema::<PersonaList>), E401, E403, E429, E503]),
    post(P::PERSONAS, "Create a persona (admins)")
        .json_body(schema::<CreatePersona>)
        .responses(&[json(201, "Created", schema::<Persona>), E400, E401, E403, E409, E413, E429, E503]),
    get(P::PERSONA, "One persona (needs tokens:read)")
        .responses(&[json(200, "OK", schema::<Persona>), E401, E403, E404, E429, E503]),
    patch(P::PERSONA, "Edit a persona (admins); every linked token changes at once")
        .json_body(schema::<UpdatePersona>)
        .responses(&[json(200, "OK", schema::<Persona>), E400, E401, E403, E404, E409, E413, E429, E503]),
    delete(P::PERSONA, "Delete a persona (admins); if tokens link it, only with unlink=true, which unlinks it from them")
        .query(&[query("unlink", r#"{"type": "boolean", "default": false}"#, "confirm deleting a persona that tokens link")])
        .responses(&[empty(204, "Done"), E400, E401, E403, E404, problem(409, "`persona_in_use`: tokens link the persona; repeat with unlink=true"), E429, E503]),
    get(P::MEMBERS, "Members (admins)")
        .responses(&[json(200, "OK", schema::<MemberList>), E401, E403, E429, E503]),
    post(P::MEMBERS, "Invite a member (admins): creates their user token and emails a single-use invitation")
        .json_body(schema::<CreateMember>)
        .responses(&[json(201, "Created; the invitation was sent", schema::<MemberCreated>), E400, E401, E403, E409, E413, E429, problem(502, "`email_failed`: the invitation email could not be sent; the invitation is marked failed and can be re-sent"), problem(503, "`unavailable`: storage failed and the request was denied; or `email_not_configured`: neither an email provider (`EMAIL_API_URL`) nor the dev outbox (`DEV_OUTBOX`) is configured, and nothing was created")]),
    get(P::MEMBER, "One member (admins, or the member themself)")
        .responses(&[json(200, "OK", schema::<Member>), E401, E403, E404, E429, E503]),
    patch(P::MEMBER, "Edit a member's name, grants or personas (admins); their personal keys follow at once")
        .json_body(schema::<UpdateMember>)
        .responses(&[json(200, "OK", schema::<Member>), E400, E401, E403, E404, E409, E413, E429, E503]),
    delete(P::MEMBER, "Remove a member (admins), with their user token and personal keys")
        .responses(&[empty(204, "Done"), E401, E403, E404, E429, E503]),
    get(P::MEMBER_KEYS, "A member's personal keys (admins, or the member)")
        .responses(&[json(200, "OK", schema::<TokenList>), E401, E403, E404, E429, E503]),
    post(P::MEMBER_KEYS, "Create a personal key (only the member, with their user token); it acts as the member")
        .json_body(schema::<CreatePersonalKey>)
        .responses(&[json(201, "Created; the secret is shown this once", schema::<IssuedToken>), E400, E401, E403, E404, E409, E413, E429, E503]),
    delete(P::MEMBER_KEY, "Delete a personal key (admins, or the member)")
        .responses(&[empty(204, "Done"), E401, E403, E404, E429, E503]),
    get(P::PROJECTS, "The projects this token can reach")
        .responses(&[json(200, "OK", schema::<ProjectList>), E401, E403, E429, E503]),
    post(P::PROJECTS, "Create a project (admins)")
        .json_body(schema::<CreateProject>)
        .responses(&[json(201, "Created", schema::<Project>), E400, E401, E403, E409, E413, E429, E503]),
];
