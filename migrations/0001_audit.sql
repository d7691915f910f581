-- Migration number: 0001 	 the audit store (D1 binding AUDIT_DB, database keyward-audit)
--
-- The schema worker/src/audit.rs creates at runtime (`db()`), statement for
-- statement: `wrangler d1 migrations apply keyward-audit --remote --env
-- production -c wrangler.control.toml` makes it before the first call
-- (scripts/deploy, docs/deploy.md). Every statement is IF NOT EXISTS, so a
-- database the worker has already written to takes it unchanged; the
-- worker keeps creating the schema itself (local runs and tests apply no
-- migrations). A later change of that schema is a new file here
-- (0002_….sql) as well as the worker's own statement.

-- One row per audit entry.
CREATE TABLE IF NOT EXISTS audit (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, via TEXT, project TEXT, action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL, person TEXT, request_id TEXT, received_ms INTEGER);
CREATE INDEX IF NOT EXISTS audit_time ON audit (at_ms, id);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor, at_ms);
CREATE INDEX IF NOT EXISTS audit_target ON audit (target, at_ms);
CREATE INDEX IF NOT EXISTS audit_action ON audit (action, at_ms);
CREATE INDEX IF NOT EXISTS audit_project ON audit (project, at_ms);
CREATE INDEX IF NOT EXISTS audit_received ON audit (received_ms, id);

-- Which grants each successful call of a token used, keyed by its audit
-- entry's id (redelivery writes it once).
CREATE TABLE IF NOT EXISTS grant_use (event_id TEXT NOT NULL, n INTEGER NOT NULL, token_id TEXT NOT NULL, at_ms INTEGER NOT NULL, project TEXT, service TEXT NOT NULL, permission TEXT NOT NULL, resource TEXT, PRIMARY KEY (event_id, n));
CREATE INDEX IF NOT EXISTS grant_use_token ON grant_use (token_id, at_ms);
