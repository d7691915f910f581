//! Where each grant a token holds comes from (issue 18: explain, usage).
//! The KV record carries the inherited grants as one flat list; only the
//! registry knows which persona or member each came from.

use super::audit::Entry;
use super::fault::{Fault, RegResult};
use super::rows::{s, select, PersonaRow};
use super::{Actor, RegistryObject, TokenChanges};
use crate::authority::Ledger;
use keyward_domain::api::{Outcome, Token};
use keyward_domain::contract::Endpoint;
use keyward_domain::explain::{Held, Holdings, RetiredSecret, Source};
use keyward_domain::{Grant, TokenKind};

impl RegistryObject {
    /// A token's grants with their sources, for an actor who may see it
    /// (hidden and unknown tokens are both "not found").
    pub(super) fn holdings(&self, actor: &Actor, id: &str) -> RegResult<Holdings> {
        let row = self.token_row(id)?;
        self.check_sees(actor, &row)?;
        let ledger = self.ledger();
        let own = |source: &Source| {
            let source = source.clone();
            move |g: &keyward_domain::Grant| Held {
                grant: g.clone(),
                source: source.clone(),
            }
        };
        let mut grants: Vec<Held> = row.grants.iter().map(own(&Source::Own)).collect();
        let mut project = row.project();
        // The same walk as the ledger's `context`, in the same order.
        if row.kind != TokenKind::Personal {
            grants.extend(self.persona_holdings(&row.personas, None)?);
        } else if let Some(member) = &row.member_id {
            if let Some(user) = ledger.user_token(member)? {
                let source = Source::Member { id: member.clone() };
                grants.extend(user.grants.iter().map(own(&source)));
                grants.extend(self.persona_holdings(&user.personas, Some(member))?);
                project = user.project();
            }
        }
        // What the edge decides with is the KV record: should the two walks
        // ever disagree, explaining would mislead, so it fails closed.
        let inherited: Vec<_> = grants[row.grants.len()..]
            .iter()
            .map(|h| h.grant.clone())
            .collect();
        if inherited != ledger.context(&row)?.inherited {
            return Err(Fault::Storage(format!(
                "the provenance of {id}'s grants is out of step with its record"
            )));
        }
        let now = self.now();
        for e in row.elevations.iter().filter(|e| e.is_live(now)) {
            let source = Source::Elevation {
                id: e.id.clone(),
                until: e.until.unix_timestamp(),
                reason: e.reason.clone(),
            };
            grants.extend(e.grants.iter().map(own(&source)));
        }
        Ok(Holdings {
            token_id: row.id.clone(),
            kind: row.kind,
            project,
            member_id: row.member_id.clone(),
            grants,
            project_grants: row.project_grants.clone(),
            global_admin: row.global_admin,
            expires_at: row.expires_at,
            rate_limit: row.rate_limit,
            enabled: row.enabled,
            not_before: row.not_before,
            allowed_ips: row.allowed_ips.clone(),
            usage_limit: row.usage_limit,
            secret_hint: row.secret_hint.clone(),
            retired: ledger
                .retired(&row.id, now)?
                .into_iter()
                .map(|r| RetiredSecret {
                    hint: r.hint,
                    until: r.until,
                })
                .collect(),
        })
    }

    /// These personas' grants, each named with its persona; personas
    /// deleted meanwhile give nothing (as in the ledger).
    fn persona_holdings(&self, ids: &[String], member: Option<&String>) -> RegResult<Vec<Held>> {
        let mut out = vec![];
        for id in ids {
            for p in select::<PersonaRow>(
                &self.sql(),
                "SELECT * FROM personas WHERE id = ?",
                vec![s(id)],
            )? {
                let source = match member {
                    Some(m) => Source::MemberPersona {
                        member: m.clone(),
                        id: p.id.clone(),
                        name: p.name.clone(),
                    },
                    None => Source::Persona {
                        id: p.id.clone(),
                        name: p.name.clone(),
                    },
                };
                out.extend(p.grants.iter().map(|g| Held {
                    grant: g.clone(),
                    source: source.clone(),
                }));
            }
        }
        Ok(out)
    }

    /// Applies a usage summary's proposal: an ordinary edit of the
    /// token's grants (with every check and its `token.update` entry),
    /// then an entry saying why.
    pub(super) async fn narrow_token(
        &self,
        actor: &Actor,
        id: &str,
        grants: Vec<Grant>,
        detail: &str,
        now: i64,
    ) -> RegResult<Token> {
        let changes = TokenChanges {
            grants: Some(grants),
            ..Default::default()
        };
        let token = self.update_token(actor, id, changes, now).await?;
        // The change is made and recorded: a failure to add the reason is
        // logged, not turned into an error for a change that happened.
        if let Err(e) = self.audit_as(
            actor,
            Entry::new(Endpoint::NarrowToken, id, Outcome::Success, detail),
            now,
        ) {
            worker::console_error!("token.narrow entry not written: {e:?}");
        }
        Ok(token)
    }
}
