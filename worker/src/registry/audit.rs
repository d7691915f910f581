//! The registry's own audit entries: written with each change, then
//! handed to the audit store (an outbox).

use super::fault::RegResult;
use super::rows::{i, os, s, AuditRow, Typed};
use super::{Actor, RegistryObject, NO_ARGS};
use keyward_domain::api::Outcome;
use keyward_domain::contract::Action;

/// The fields a change sets, named for its audit entry.
#[derive(Default)]
pub(super) struct Changed(Vec<&'static str>);

impl Changed {
    /// Sets `slot` to `value`, if there is one, and notes `field`.
    pub(super) fn set<T>(&mut self, field: &'static str, slot: &mut T, value: Option<T>) {
        if let Some(v) = value {
            *slot = v;
            self.0.push(field);
        }
    }

    /// "name, grants": what changed, in the order it was set.
    pub(super) fn list(&self) -> String {
        self.0.join(", ")
    }
}

/// What an audit entry says happened: the action, its target, how it
/// went, and the details.
pub(super) struct Entry<'a> {
    action: Action,
    target: &'a str,
    outcome: Outcome,
    detail: &'a str,
}

impl<'a> Entry<'a> {
    pub(super) fn new(
        action: impl Into<Action>,
        target: &'a str,
        outcome: Outcome,
        detail: &'a str,
    ) -> Self {
        Entry {
            action: action.into(),
            target,
            outcome,
            detail,
        }
    }
}

impl RegistryObject {
    /// The one writer of the registry's entries.
    pub(super) fn write_entry(
        &self,
        (actor, via, person, request_id): (&str, Option<&str>, Option<&str>, Option<&str>),
        project: Option<&str>,
        e: Entry<'_>,
        now: i64,
    ) -> RegResult<()> {
        self.sql().exec(
            "INSERT INTO audit (at, at_ms, actor, action, target, outcome, detail, via, project, person, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![i(now), i(worker::Date::now().as_millis() as i64), s(actor), s(e.action.as_str()), s(e.target), s(e.outcome.as_str()), s(e.detail), os(via), os(project), os(person), os(request_id)],
        )?;
        Ok(())
    }

    /// Hands the entries written by changes to the audit store, oldest
    /// first, and marks them as handed over. Runs after each command has
    /// been written to disk; an entry the store refuses stays here and goes
    /// with the next command's (so none is lost, and the store ignores
    /// one it already has).
    pub(super) async fn forward_audit(&self) {
        let pending = match self.sql().exec(
            "SELECT * FROM audit WHERE forwarded = 0 ORDER BY seq LIMIT 500",
            NO_ARGS,
        ) {
            Ok(cursor) => match cursor.rows::<AuditRow>() {
                Ok(rows) => rows,
                Err(e) => {
                    worker::console_error!("audit outbox unreadable: {}", e.0);
                    return;
                }
            },
            Err(e) => {
                worker::console_error!("audit outbox unreadable: {e}");
                return;
            }
        };
        let Some(last) = pending.last().map(|r| r.seq) else {
            return;
        };
        let events: Vec<crate::audit::AuditEvent> = pending
            .into_iter()
            .map(|r| crate::audit::AuditEvent {
                id: format!("reg_{:012}", r.seq),
                at_ms: r.at_ms.unwrap_or(r.at * 1000),
                actor: r.actor,
                via: r.via,
                project: r.project,
                action: r.action,
                target: r.target,
                outcome: r.outcome,
                detail: r.detail,
                person: r.person,
                request_id: r.request_id,
                token_id: None,
                logged: true,
                used: vec![],
            })
            .collect();
        match crate::audit::store(&self.env, &events).await {
            Ok(()) => {
                if let Err(e) = self.sql().exec(
                    "UPDATE audit SET forwarded = 1 WHERE forwarded = 0 AND seq <= ?",
                    vec![i(last)],
                ) {
                    worker::console_error!("audit outbox not marked: {e}");
                }
            }
            Err(e) => worker::console_error!(
                "audit store unavailable, {} entries kept for the next command: {}",
                events.len(),
                e.problem.detail
            ),
        }
    }

    /// An entry of no project, by someone other than a token's holder
    /// (the system, the bootstrap, an invitation's recipient).
    pub(super) fn audit(&self, actor: &str, e: Entry<'_>, now: i64) -> RegResult<()> {
        self.write_entry((actor, None, None, None), None, e, now)
    }

    /// An entry of a project by the system (the scheduled sweep).
    pub(super) fn audit_system(
        &self,
        project: Option<&str>,
        e: Entry<'_>,
        now: i64,
    ) -> RegResult<()> {
        self.write_entry(("system", None, None, None), project, e, now)
    }

    /// A change made by `actor`; a personal key's changes are its user's.
    /// The entry belongs to the project of the token or invitation it is
    /// about; changes to the deployment (admins, personas, members,
    /// projects, global keys) belong to none, and only admins read those.
    pub(super) fn audit_as(&self, actor: &Actor, e: Entry<'_>, now: i64) -> RegResult<()> {
        let project = self.project_of_target(e.action, e.target);
        self.audit_in(actor, project.as_deref(), e, now)
    }

    pub(super) fn audit_in(
        &self,
        actor: &Actor,
        project: Option<&str>,
        e: Entry<'_>,
        now: i64,
    ) -> RegResult<()> {
        // The person behind the credential, so the log answers "who" even
        // when one person changed things through several keys.
        let person = match &actor.person {
            Some(p) => p.clone(),
            None => self.person_of(&actor.client_id())?,
        };
        self.write_entry(
            (
                &actor.client_id(),
                actor.via().as_deref(),
                Some(&person),
                actor.request_id.as_deref(),
            ),
            project,
            e,
            now,
        )
    }

    /// Unknown targets belong to no project: hidden from non-admins rather
    /// than shown to the wrong ones.
    fn project_of_target(&self, action: Action, target: &str) -> Option<String> {
        let action = action.as_str();
        let token_id = if action.starts_with("invitation.") {
            self.invitation_by("id", target).ok()?.token_id
        } else if action.starts_with("token.") || action.starts_with("personal_key.") {
            target.to_string()
        } else {
            return None;
        };
        self.token_row(&token_id).ok()?.project()
    }
}
