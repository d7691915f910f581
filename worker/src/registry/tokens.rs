//! Tokens: create, update, delete, refresh, list, last use, and the
//! rewrites of tokens whose KV records went stale.

use super::audit::{Changed, Entry};
use super::fault::{Fault, RegResult};
use super::rows::{i, json, oi, s, Typed};
use super::schema::NAME_SCOPE;
use super::{Actor, NewSecret, NewToken, RegistryObject, TokenChanges};
use crate::authority::{self, Ledger, RetiredRow, TokenRow};
use crate::store;
use keyward_domain::api::{Outcome, Page, Token};
use keyward_domain::contract::{Action, Endpoint, Event};
use keyward_domain::policy;
use keyward_domain::query::{TokenQuery, TokenSortKey};
use keyward_domain::{conditions, TokenKind};

impl RegistryObject {
    pub(super) fn token_row(&self, id: &str) -> RegResult<TokenRow> {
        self.ledger()
            .token(id)?
            .ok_or_else(|| Fault::not_found("token"))
    }

    /// Whether `name` is taken in the scope of `project` (`None`: master
    /// tokens and global keys, which share the deployment's scope).
    pub(super) fn name_taken(
        &self,
        name: &str,
        project: Option<&str>,
        except_id: Option<&str>,
    ) -> RegResult<bool> {
        Ok(self.count(
            &format!(
                "SELECT COUNT(*) AS n FROM tokens WHERE {NAME_SCOPE} = ? AND name = ? AND id != ?"
            ),
            vec![
                s(project.unwrap_or("")),
                s(name),
                s(except_id.unwrap_or("")),
            ],
        )? > 0)
    }

    /// Expired tokens leave the registry (KV drops its copies on its own),
    /// which frees their names, and the audit says so (Keboola: "deleted
    /// automatically"). Runs on every token creation and from the Cron
    /// Trigger; answers how many left.
    pub(super) fn purge_expired(&self, now: i64) -> RegResult<usize> {
        let sql = self.sql();
        let expired = sql
            .exec(
                "SELECT * FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ? AND kind NOT IN ('master', 'user')",
                vec![i(now)],
            )?
            .rows::<TokenRow>()?;
        sql.exec(
            "DELETE FROM retired_secrets WHERE token_id IN (SELECT id FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ? AND kind NOT IN ('master', 'user'))",
            vec![i(now)],
        )?;
        sql.exec(
            "DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ? AND kind NOT IN ('master', 'user')",
            vec![i(now)],
        )?;
        for row in &expired {
            let detail = format!("'{}' expired and was deleted; its name is free", row.name);
            self.audit_system(
                row.project().as_deref(),
                Entry::new(Event::TokenExpire, &row.id, Outcome::Success, &detail),
                now,
            )?;
        }
        Ok(expired.len())
    }

    /// The scheduled sweep: expired tokens, then replaced secrets whose
    /// overlap is over.
    pub(super) async fn sweep(&self, now: i64) -> RegResult<usize> {
        let expired = self.purge_expired(now)?;
        self.sweep_retired(now).await?;
        Ok(expired)
    }

    /// Replaced secrets whose time is up are deleted from KV, then
    /// forgotten. Normally a refresh has deleted them already; after a crash
    /// between a refresh's registry step and its KV delete, this is what
    /// stops the old secret.
    pub(super) async fn sweep_retired(&self, now: i64) -> RegResult<()> {
        let due = self
            .sql()
            .exec(
                "SELECT hash, until FROM retired_secrets WHERE until <= ?",
                vec![i(now)],
            )?
            .rows::<RetiredRow>()?;
        let replica = self.replica()?;
        for r in due {
            use authority::Replica;
            replica.delete(&r.hash).await?;
            self.sql().exec(
                "DELETE FROM retired_secrets WHERE hash = ?",
                vec![s(&r.hash)],
            )?;
        }
        Ok(())
    }

    async fn replicate(&self, row: &TokenRow, now: i64) -> RegResult<()> {
        Ok(authority::replicate(&self.ledger(), &self.replica()?, row, now).await?)
    }

    pub(super) async fn create_token(
        &self,
        actor: &Actor,
        new: NewToken,
        secret: NewSecret,
        now: i64,
    ) -> RegResult<Token> {
        // Every field, so a new one cannot be forgotten here.
        let NewToken {
            name,
            description,
            grants,
            expires_at,
            rate_limit,
            kind,
            personas,
            project,
            project_grants,
            global_admin,
            enabled,
            not_before,
            allowed_ips,
            meta,
            usage_limit,
        } = new;
        self.purge_expired(now)?;
        self.sweep_retired(now).await?;
        // Refused early, before the project checks could tell a non-admin
        // which projects exist.
        if kind == TokenKind::Global {
            policy::may_administer(&actor.policy(), "creating global keys")?;
        } else {
            policy::may_change(&actor.policy())?;
        }
        let project = match kind {
            TokenKind::Global => None,
            _ => Some(project.map_or_else(|| actor.access().home().to_string(), String::from)),
        };
        if let Some(p) = &project {
            self.require_project("project", p)?;
        }
        for p in project_grants.keys() {
            self.require_project(&format!("project_grants.{p}"), p)?;
        }
        let personas: Vec<String> = personas.into_iter().map(String::from).collect();
        self.require_personas(&personas)?;
        if self.name_taken(&name, project.as_deref(), None)? {
            return Err(Fault::conflict(format!(
                "a token named '{name}' already exists"
            )));
        }
        let row = TokenRow {
            id: store::random_id("tok_", 20),
            client_id: store::random_id("cli_", 16),
            name: name.into_string(),
            description: description.into_string(),
            kind,
            grants,
            created_by: actor.client_id(),
            created_at: now,
            updated_at: now,
            expires_at,
            last_used_at: None,
            secret_hash: secret.hash,
            secret_hint: secret.hint,
            admin_id: None,
            rate_limit,
            personas,
            project,
            project_grants,
            global_admin,
            member_id: None,
            enabled,
            not_before,
            allowed_ips,
            meta,
            usage_limit,
            elevations: vec![],
        };
        conditions::window(row.not_before, row.expires_at).map_err(|e| Fault::invalid(vec![e]))?;
        self.check_expiry_policies(&row, now)?;
        self.check_may_issue(actor, None, &row)?;
        authority::create(&self.ledger(), &self.replica()?, &row, now).await?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::CreateToken,
                &row.id,
                Outcome::Success,
                &format!("created '{}' ({})", row.name, row.client_id),
            ),
            now,
        )?;
        Ok(row.view())
    }

    pub(super) async fn update_token(
        &self,
        actor: &Actor,
        id: &str,
        changes: TokenChanges,
        now: i64,
    ) -> RegResult<Token> {
        let mut row = self.token_row(id)?;
        let before = row.clone();
        self.check_sees(actor, &row)?;
        if row.kind == TokenKind::Master {
            return Err(Fault::conflict(
                "master tokens cannot be edited; they go with their admin",
            ));
        }
        if row.kind == TokenKind::User {
            return Err(Fault::conflict(
                "a user token is edited through its member: PATCH /api/v1/members/{id}",
            ));
        }
        self.check_may_manage(actor, &row)?;
        changes.fit(row.kind).map_err(Fault::invalid)?;
        // Every field, so a new one cannot be forgotten here.
        let TokenChanges {
            name,
            description,
            grants,
            expires_at,
            rate_limit,
            personas,
            project_grants,
            global_admin,
            enabled,
            not_before,
            allowed_ips,
            meta,
            usage_limit,
        } = changes;
        let mut changed = Changed::default();
        if let Some(name) = name.map(String::from).filter(|n| *n != row.name) {
            if self.name_taken(&name, row.project().as_deref(), Some(id))? {
                return Err(Fault::conflict(format!(
                    "a token named '{name}' already exists"
                )));
            }
            changed.set("name", &mut row.name, Some(name));
        }
        let description = description.map(String::from);
        changed.set("description", &mut row.description, description);
        changed.set("grants", &mut row.grants, grants);
        let personas: Option<Vec<String>> =
            personas.map(|p| p.into_iter().map(String::from).collect());
        if let Some(p) = &personas {
            self.require_personas(p)?;
        }
        changed.set("personas", &mut row.personas, personas);
        for p in project_grants.iter().flat_map(|pg| pg.keys()) {
            self.require_project(&format!("project_grants.{p}"), p)?;
        }
        changed.set("project_grants", &mut row.project_grants, project_grants);
        changed.set("global_admin", &mut row.global_admin, global_admin);
        let expires_at = expires_at.map(|e| e.at);
        let held_to_policy = expires_at.is_some() || before.project_grants != row.project_grants;
        changed.set("expires_at", &mut row.expires_at, expires_at);
        if held_to_policy {
            // Only a changed expiry (or a key newly holding grants in a
            // project) is held to the policies: tokens from before a
            // stricter policy keep theirs until then.
            self.check_expiry_policies(&row, now)?;
        }
        let rate_limit = rate_limit.map(|r| r.per_minute);
        changed.set("rate_limit", &mut row.rate_limit, rate_limit);
        let was_enabled = row.enabled;
        changed.set("enabled", &mut row.enabled, enabled);
        let not_before = not_before.map(|n| n.at);
        changed.set("not_before", &mut row.not_before, not_before);
        changed.set("allowed_ips", &mut row.allowed_ips, allowed_ips);
        changed.set("meta", &mut row.meta, meta);
        let usage_limit = usage_limit.map(|u| u.limit);
        changed.set("usage_limit", &mut row.usage_limit, usage_limit);
        conditions::window(row.not_before, row.expires_at).map_err(|e| Fault::invalid(vec![e]))?;
        // Ended elevations go with the next write (the edge ignores them).
        row.elevations.retain(|e| e.is_current(now));
        // The token as it will be must be one the actor may issue.
        self.check_may_issue(actor, Some(&before), &row)?;
        row.updated_at = now;
        self.save_token(&row, now).await?;
        // Turning a token off or on is its own entry, so the log answers
        // "who disabled this, and when" without reading details.
        let action = match (was_enabled, row.enabled) {
            (true, false) => Action::Event(Event::TokenDisable),
            (false, true) => Action::Event(Event::TokenEnable),
            _ => Action::Call(Endpoint::UpdateToken),
        };
        self.audit_as(
            actor,
            Entry::new(
                action,
                id,
                Outcome::Success,
                &format!("changed {}", changed.list()),
            ),
            now,
        )?;
        Ok(row.view())
    }

    /// Writes a changed token: its KV records first, so the edge never
    /// holds less than the registry promised, then the registry's row. A
    /// user token's personal keys hold what it holds: they are noted stale
    /// before the change and rewritten after it.
    pub(super) async fn save_token(&self, row: &TokenRow, now: i64) -> RegResult<()> {
        let keys = self.dependents(row)?;
        self.note_stale(&keys)?;
        self.replicate(row, now).await?;
        self.sql().exec(
            "UPDATE tokens SET name = ?, description = ?, grants = ?, expires_at = ?, rate_limit = ?, personas = ?, project_grants = ?, global_admin = ?, enabled = ?, not_before = ?, allowed_ips = ?, meta = ?, usage_limit = ?, elevations = ?, updated_at = ? WHERE id = ?",
            vec![
                s(&row.name), s(&row.description), json(&row.grants)?, oi(row.expires_at), oi(row.rate_limit.map(i64::from)),
                json(&row.personas)?, json(&row.project_grants)?, i(i64::from(row.global_admin)),
                i(i64::from(row.enabled)), oi(row.not_before), json(&row.allowed_ips)?, json(&row.meta)?, json(&row.usage_limit)?,
                json(&row.elevations)?, i(row.updated_at), s(&row.id),
            ],
        )?;
        self.rewrite_stale(&keys, now).await
    }

    /// The personal keys that act as a user token (none for other kinds).
    pub(super) fn dependents(&self, row: &TokenRow) -> RegResult<Vec<TokenRow>> {
        match &row.member_id {
            Some(member) if row.kind == TokenKind::User => self.member_keys(member),
            _ => Ok(vec![]),
        }
    }

    /// Every personal key of a member, expired or not.
    fn member_keys(&self, member: &str) -> RegResult<Vec<TokenRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT * FROM tokens WHERE member_id = ? AND kind = 'personal'",
                vec![s(member)],
            )?
            .rows::<TokenRow>()?)
    }

    /// See [`authority::note_stale`]: called before a change to what these
    /// tokens inherit.
    pub(super) fn note_stale(&self, rows: &[TokenRow]) -> RegResult<()> {
        Ok(authority::note_stale(&self.ledger(), rows)?)
    }

    /// See [`authority::rewrite_stale`]: called after the change.
    pub(super) async fn rewrite_stale(&self, rows: &[TokenRow], now: i64) -> RegResult<()> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        Ok(authority::rewrite_stale(&self.ledger(), &self.replica()?, &ids, now).await?)
    }

    /// `action`: the route that asked, a token's own or a member's key's.
    pub(super) async fn delete_token(
        &self,
        actor: &Actor,
        id: &str,
        action: Endpoint,
        now: i64,
    ) -> RegResult<()> {
        let row = self.token_row(id)?;
        self.check_sees(actor, &row)?;
        if row.kind == TokenKind::Master {
            return Err(Fault::conflict(
                "master tokens cannot be deleted; remove their admin instead",
            ));
        }
        if row.kind == TokenKind::User {
            return Err(Fault::conflict(
                "a user token goes with its member: DELETE /api/v1/members/{id}",
            ));
        }
        self.check_may_manage(actor, &row)?;
        self.remove_token(&row).await?;
        self.audit_in(
            actor,
            row.project().as_deref(),
            Entry::new(
                action,
                id,
                Outcome::Success,
                &format!("deleted '{}' ({})", row.name, row.client_id),
            ),
            now,
        )?;
        Ok(())
    }

    pub(super) async fn remove_token(&self, row: &TokenRow) -> RegResult<()> {
        Ok(authority::delete(&self.ledger(), &self.replica()?, row).await?)
    }

    /// A new secret for the same token; see [`authority::refresh`] for the
    /// write order. Accepting an invitation is a refresh that also uses up
    /// the invitation, in the same ledger step.
    pub(super) async fn refresh_token(
        &self,
        actor: &Actor,
        id: &str,
        overlap_seconds: u64,
        secret: NewSecret,
        invitation: Option<&str>,
        now: i64,
    ) -> RegResult<keyward_domain::api::Token> {
        let row = self.token_row(id)?;
        // Who may refresh is the policy's one rule (may_manage): a token
        // itself, or who manages it; never another admin's master token.
        self.check_may_manage(actor, &row)?;
        let after = authority::refresh(
            &self.ledger(),
            &self.replica()?,
            &row,
            authority::Rotation {
                new_hash: secret.hash,
                new_hint: secret.hint,
                overlap_seconds,
                invitation,
            },
            now,
        )
        .await?;
        self.audit_as(
            actor,
            Entry::new(
                Endpoint::RefreshToken,
                id,
                Outcome::Success,
                &format!(
                    "new secret {}; old secret valid for {overlap_seconds} s more",
                    after.secret_hint
                ),
            ),
            now,
        )?;
        Ok(after.view())
    }

    /// `last_used_at` moves at most once a minute per token (KV allows one
    /// write per second per key, and the list needs no finer grain).
    /// Notes a token's last use, here only: its KV record is not rewritten
    /// (that would cost a KV write per token and minute and change the
    /// record every edge isolate has parsed), so the edge's copy keeps the
    /// value of the token's last change.
    pub(super) fn touch(&self, token_id: &str, at: i64) -> RegResult<()> {
        self.sql().exec(
            "UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
            vec![i(at), s(token_id), i(at)],
        )?;
        Ok(())
    }

    pub(super) fn list_tokens(
        &self,
        actor: Option<&Actor>,
        query: TokenQuery,
        now: i64,
    ) -> RegResult<Page<Token>> {
        let TokenQuery {
            limit,
            offset,
            sort,
            descending,
            name,
            client_id,
            kind,
            q,
            project,
            persona,
            enabled,
            meta,
            unused_for,
        } = query;
        let mut clauses = vec!["(expires_at IS NULL OR expires_at > ?)".to_string()];
        let mut args = vec![i(now)];
        let project_of_row = "(CASE WHEN kind IN ('master', 'global') THEN NULL ELSE COALESCE(project, 'default') END)";
        if let Some(actor) = actor {
            // The policy's own rule (`Visibility::admits`), as SQL.
            let v = policy::visibility(&actor.policy(), &self.catalog);
            if let Some(reach) = v.projects {
                args.push(s(&v.token_id));
                args.push(s(v.member_id.unwrap_or_default()));
                let in_reach = match reach {
                    policy::Reach::Everywhere => "1 = 1".to_string(),
                    policy::Reach::Only(projects) if projects.is_empty() => "1 = 0".to_string(),
                    policy::Reach::Only(projects) => {
                        let marks = vec!["?"; projects.len()].join(", ");
                        args.extend(projects.into_iter().map(s));
                        format!("{project_of_row} IN ({marks})")
                    }
                };
                clauses.push(format!(
                    "(id = ? OR (kind IN ('user', 'personal') AND member_id = ? AND member_id != '') \
                     OR (kind NOT IN ('user', 'personal', 'master', 'global') AND {in_reach}))"
                ));
            }
        }
        if let Some(p) = project {
            clauses.push(format!("{project_of_row} = ?"));
            args.push(s(p));
        }
        if let Some(p) = persona {
            // A plain substring test: the id as a JSON string, with no
            // character of it a wildcard.
            clauses.push("instr(personas, ?) > 0".into());
            args.push(s(format!("\"{p}\"")));
        }
        if let Some(e) = enabled {
            clauses.push("enabled = ?".into());
            args.push(i(i64::from(e)));
        }
        if let Some(span) = unused_for {
            clauses.push("COALESCE(last_used_at, created_at) <= ?".into());
            args.push(i(keyward_domain::query::unused_cutoff(span, now)));
        }
        // Each key was checked to be a plain word, so the JSON path needs
        // no quoting; the value is compared as `Meta::matches` does.
        for (key, value) in meta {
            let path = format!("$.{key}");
            clauses.push(
                "(CASE json_type(meta, ?) WHEN 'text' THEN json_extract(meta, ?) \
                 WHEN 'integer' THEN CAST(json_extract(meta, ?) AS TEXT) \
                 WHEN 'real' THEN CAST(json_extract(meta, ?) AS TEXT) \
                 WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' \
                 ELSE NULL END) = ?"
                    .into(),
            );
            for _ in 0..4 {
                args.push(s(&path));
            }
            args.push(s(value));
        }
        if let Some(n) = name {
            clauses.push("name = ?".into());
            args.push(s(n));
        }
        if let Some(c) = client_id {
            clauses.push("client_id = ?".into());
            args.push(s(c));
        }
        if let Some(k) = kind {
            clauses.push("kind = ?".into());
            args.push(s(k.as_str()));
        }
        if let Some(q) = q {
            // A substring, case-insensitive for ASCII as LIKE was, but
            // with no pattern: SQLite refuses LIKE patterns past 50 bytes
            // (which answered a long `q` with 503), and nothing in `q` is
            // a wildcard.
            clauses.push(
                "(instr(lower(name), lower(?)) > 0 OR instr(lower(description), lower(?)) > 0)"
                    .into(),
            );
            args.push(s(&q));
            args.push(s(&q));
        }
        let filter = clauses.join(" AND ");
        // Never-expiring sorts after every date; never-used before every date.
        let column = match sort {
            TokenSortKey::Name => "name",
            TokenSortKey::CreatedAt => "created_at",
            TokenSortKey::ExpiresAt => "COALESCE(expires_at, 9007199254740991)",
            TokenSortKey::LastUsedAt => "COALESCE(last_used_at, 0)",
        };
        let dir = if descending { "DESC" } else { "ASC" };
        let (total, rows) = self.page_of::<TokenRow>(
            "tokens",
            &filter,
            args,
            &format!("{column} {dir}, id {dir}"),
            limit,
            offset,
        )?;
        Ok(Page {
            items: rows.iter().map(|r| r.view_at(now)).collect(),
            total,
            limit,
            offset,
            next_cursor: None,
        })
    }
}
