//! Sessions and the people behind them: who is acting, a session opened,
//! a session's caller, the audit entries naming a person, and forgetting
//! a person's sign-ins.

use super::*;
use crate::authority::{ts, TokenRow};
use crate::registry::audit::Entry;
use crate::registry::fault::{Fault, RegResult};
use crate::registry::rows::{i, method_name, os, s, AdminRow, MemberRow, SessionRow, Typed};
use crate::registry::{Actor, RegistryObject};
use keyward_domain::api::{Outcome, Person, PersonKind, SessionInfo, SignInMethod, SignedIn};
use keyward_domain::caller::Caller;
use keyward_domain::contract::Endpoint;
use keyward_domain::signin::{self, Lifetimes};
use keyward_domain::{policy, ErrorCode};

impl RegistryObject {
    /// The person behind an actor: a session's, or an admin's master
    /// token's, or a member's user token's. Any other credential has none.
    pub(super) fn person_acting(&self, actor: &Actor) -> RegResult<Person> {
        policy::may_hold_sign_ins(actor.kind(), actor.session.is_some())?;
        let key = match &actor.session {
            Some(session) => session.person.clone(),
            None => self.person_of(&actor.client_id())?,
        };
        self.person(&key)?.ok_or_else(|| Fault::not_found("person"))
    }

    /// `admin:<id>` or `member:<id>`, if they exist.
    pub(in crate::registry) fn person(&self, key: &str) -> RegResult<Option<Person>> {
        let Some((kind, id)) = signin::parse_person(key) else {
            return Ok(None);
        };
        Ok(match kind {
            PersonKind::Admin => self
                .sql()
                .exec("SELECT * FROM admins WHERE id = ?", vec![s(id)])?
                .rows::<AdminRow>()?
                .into_iter()
                .next()
                .map(|a| Person {
                    kind,
                    id: a.id,
                    name: a.name,
                    email: a.email,
                }),
            PersonKind::Member => self
                .sql()
                .exec("SELECT * FROM members WHERE id = ?", vec![s(id)])?
                .rows::<MemberRow>()?
                .into_iter()
                .next()
                .map(|m| Person {
                    kind,
                    id: m.id,
                    name: m.name,
                    email: m.email,
                }),
        })
    }

    /// The credential a person acts through: an admin's master token, a
    /// member's user token, as KV holds it.
    pub(super) fn credential_of(&self, person: &Person) -> RegResult<Caller> {
        let row: TokenRow = match person.kind {
            PersonKind::Admin => {
                let admin = self
                    .sql()
                    .exec("SELECT * FROM admins WHERE id = ?", vec![s(&person.id)])?
                    .rows::<AdminRow>()?
                    .into_iter()
                    .next()
                    .ok_or_else(|| Fault::not_found("admin"))?;
                self.token_row(&admin.master_token_id)?
            }
            PersonKind::Member => self.user_token_of(&person.id)?,
        };
        let context = crate::authority::Ledger::context(&self.ledger(), &row)?;
        Ok(row.record(&context, None))
    }

    pub(super) fn session_info(&self, row: &SessionRow, lifetimes: Lifetimes) -> SessionInfo {
        let ends = lifetimes.ends(row.created_at, row.last_seen_at);
        SessionInfo {
            id: row.id.clone(),
            person: row.person.clone(),
            method: row.method,
            passkey_id: row.passkey_id.clone(),
            user_agent: row.user_agent.clone(),
            created_at: ts(row.created_at),
            last_seen_at: ts(row.last_seen_at),
            expires_at: ts(ends.absolute),
            idle_expires_at: ts(ends.idle),
            current: false,
        }
    }

    pub(super) fn open_session(
        &self,
        person: &Person,
        method: SignInMethod,
        passkey_id: Option<String>,
        session: NewSession,
        now: i64,
    ) -> RegResult<SignedIn> {
        self.sql().exec(
            "INSERT INTO sessions (id, hash, person, method, passkey_id, user_agent, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![s(&session.id), s(&session.hash), s(person.key()), s(method_name(method)), os(passkey_id.as_deref()), s(&session.user_agent), i(now), i(now)],
        )?;
        let row = SessionRow {
            id: session.id,
            person: person.key(),
            method,
            passkey_id,
            user_agent: session.user_agent,
            created_at: now,
            last_seen_at: now,
        };
        let mut info = self.session_info(&row, self.lifetimes());
        info.current = true;
        Ok(SignedIn {
            person: person.clone(),
            session: info,
        })
    }

    pub(super) fn session_caller(&self, hash: &str, now: i64) -> RegResult<SessionCaller> {
        let ended = || {
            refused(
                ErrorCode::SessionExpired,
                "the session has ended; sign in again",
            )
        };
        let row = self
            .sql()
            .exec("SELECT * FROM sessions WHERE hash = ?", vec![s(hash)])?
            .rows::<SessionRow>()?
            .into_iter()
            .next()
            .ok_or_else(ended)?;
        let lifetimes = self.lifetimes();
        if !lifetimes
            .ends(row.created_at, row.last_seen_at)
            .live_at(now)
        {
            self.sql()
                .exec("DELETE FROM sessions WHERE id = ?", vec![s(&row.id)])?;
            return Err(ended());
        }
        let Some(person) = self.person(&row.person)? else {
            self.sql()
                .exec("DELETE FROM sessions WHERE id = ?", vec![s(&row.id)])?;
            return Err(ended());
        };
        self.sql().exec(
            "UPDATE sessions SET last_seen_at = ? WHERE id = ?",
            vec![i(now), s(&row.id)],
        )?;
        let touched = SessionRow {
            last_seen_at: now,
            ..row
        };
        let mut session = self.session_info(&touched, lifetimes);
        session.current = true;
        Ok(SessionCaller {
            caller: self.credential_of(&person)?,
            person,
            session,
        })
    }

    pub(super) fn audit_person(
        &self,
        actor: &Actor,
        person: &Person,
        action: Endpoint,
        target: &str,
        now: i64,
    ) -> RegResult<()> {
        let mut actor = actor.clone();
        actor.person = Some(person.key());
        self.audit_as(
            &actor,
            Entry::new(action, target, Outcome::Success, ""),
            now,
        )
    }

    /// A sign-in has no credential acting yet: the entry names the person.
    pub(super) fn audit_system_person(
        &self,
        person: &Person,
        action: Endpoint,
        target: &str,
        detail: &str,
        now: i64,
    ) -> RegResult<()> {
        let who = person.key();
        self.write_entry(
            (&who, Some("passkey"), Some(&who), None),
            None,
            Entry::new(action, target, Outcome::Success, detail),
            now,
        )
    }

    /// Forgets a person's sign-ins (the admin or member is removed).
    pub(in crate::registry) fn forget_sign_ins(&self, person: &str) -> RegResult<()> {
        for table in ["sessions", "passkeys", "enrolments"] {
            self.sql().exec(
                &format!("DELETE FROM {table} WHERE person = ?"),
                vec![s(person)],
            )?;
        }
        Ok(())
    }
}
