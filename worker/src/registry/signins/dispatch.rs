//! The registry's turn for a sign-in command: each command, carried out
//! once.

use super::*;
use crate::authority::ts;
use crate::registry::audit::Entry;
use crate::registry::fault::{Fault, RegResult};
use crate::registry::rows::{i, s, to_json, DeviceRow, PasskeyRow, SessionRow, Typed};
use crate::registry::RegistryObject;
use keyward_domain::api::{
    DeviceApproved, Enrolment, EnrolmentWelcome, Outcome, PasskeyList, SessionList, SignInMethod,
};
use keyward_domain::contract::Endpoint;
use keyward_domain::signin::Lifetimes;
use keyward_domain::{ErrorCode, RegistryError, TokenKind};

impl RegistryObject {
    pub(super) fn lifetimes(&self) -> Lifetimes {
        crate::store::session_lifetimes(&self.env)
    }

    pub(in crate::registry) async fn sign_in(
        &self,
        cmd: SignInCommand,
        now: i64,
    ) -> RegResult<String> {
        use SignInCommand::*;
        match cmd {
            Challenge {
                challenge,
                purpose,
                expires_at,
            } => {
                self.sql()
                    .exec("DELETE FROM challenges WHERE expires_at <= ?", vec![i(now)])?;
                self.sql().exec(
                    "INSERT INTO challenges (challenge, purpose, expires_at) VALUES (?, ?, ?)",
                    vec![s(&challenge), s(purpose.key()), i(expires_at)],
                )?;
                to_json(&serde_json::Value::Null)
            }
            BeginSignIn {
                challenge,
                credential_id,
            } => to_json(&self.begin_sign_in(&challenge, &credential_id, now)?),
            FinishSignIn {
                passkey_id,
                sign_count,
                session,
            } => to_json(&self.finish_sign_in(&passkey_id, sign_count, session, now)?),
            OpenSession { actor, session } => {
                let person = self.person_acting(&actor)?;
                let method = match actor.kind() {
                    TokenKind::Master => SignInMethod::MasterToken,
                    _ => SignInMethod::UserToken,
                };
                let signed = self.open_session(&person, method, None, session, now)?;
                self.audit_person(
                    &actor,
                    &person,
                    Endpoint::OpenSession,
                    &signed.session.id,
                    now,
                )?;
                to_json(&signed)
            }
            Session { hash } => to_json(&self.session_caller(&hash, now)?),
            ListSessions { actor } => {
                let person = self.person_acting(&actor)?;
                let rows = self
                    .sql()
                    .exec(
                        "SELECT * FROM sessions WHERE person = ? ORDER BY created_at DESC, id",
                        vec![s(person.key())],
                    )?
                    .rows::<SessionRow>()?;
                let lifetimes = self.lifetimes();
                let current = actor.session.as_ref().map(|c| c.id.clone());
                let items = rows
                    .iter()
                    .filter(|r| lifetimes.ends(r.created_at, r.last_seen_at).live_at(now))
                    .map(|r| {
                        let mut info = self.session_info(r, lifetimes);
                        info.current = current.as_deref() == Some(r.id.as_str());
                        info
                    })
                    .collect();
                to_json(&SessionList { items })
            }
            EndSessions { actor, id } => {
                let person = self.person_acting(&actor)?;
                match &id {
                    Some(id) => {
                        let gone = self.count(
                            "SELECT COUNT(*) AS n FROM sessions WHERE id = ? AND person = ?",
                            vec![s(id), s(person.key())],
                        )?;
                        if gone == 0 {
                            return Err(Fault::not_found("session"));
                        }
                        self.sql().exec(
                            "DELETE FROM sessions WHERE id = ? AND person = ?",
                            vec![s(id), s(person.key())],
                        )?;
                        self.audit_person(&actor, &person, Endpoint::EndSession, id, now)?;
                    }
                    None => {
                        self.sql().exec(
                            "DELETE FROM sessions WHERE person = ?",
                            vec![s(person.key())],
                        )?;
                        self.audit_person(&actor, &person, Endpoint::EndSessions, "", now)?;
                    }
                }
                to_json(&serde_json::Value::Null)
            }
            ListPasskeys { actor } => {
                let person = self.person_acting(&actor)?;
                let items = self
                    .passkeys_of(&person.key())?
                    .iter()
                    .map(PasskeyRow::view)
                    .collect::<Vec<_>>();
                to_json(&PasskeyList { items })
            }
            Registrant { actor } => {
                let person = self.person_acting(&actor)?;
                to_json(&self.registrant(person)?)
            }
            EnrolmentRegistrant { code_hash } => {
                let (_, person) = self.enrolment(&code_hash, now)?;
                to_json(&self.registrant(person)?)
            }
            AddPasskey {
                actor,
                challenge,
                passkey,
            } => {
                let person = self.person_acting(&actor)?;
                self.take_challenge(
                    &challenge,
                    &Purpose::Add {
                        person: person.key(),
                    },
                    now,
                )?;
                let view = self.insert_passkey(&person, passkey, now)?;
                self.audit_person(&actor, &person, Endpoint::AddPasskey, &view.id, now)?;
                to_json(&view)
            }
            RenamePasskey { actor, id, name } => {
                let person = self.person_acting(&actor)?;
                let row = self.passkey_of(&person.key(), &id)?;
                self.sql().exec(
                    "UPDATE passkeys SET name = ? WHERE id = ?",
                    vec![s(&name), s(&row.id)],
                )?;
                self.audit_person(&actor, &person, Endpoint::RenamePasskey, &id, now)?;
                to_json(&self.passkey_of(&person.key(), &id)?.view())
            }
            RemovePasskey { actor, id } => {
                let person = self.person_acting(&actor)?;
                let row = self.passkey_of(&person.key(), &id)?;
                self.sql()
                    .exec("DELETE FROM passkeys WHERE id = ?", vec![s(&row.id)])?;
                // Sessions opened with it end with it.
                self.sql().exec(
                    "DELETE FROM sessions WHERE passkey_id = ?",
                    vec![s(&row.id)],
                )?;
                self.audit_person(&actor, &person, Endpoint::RemovePasskey, &id, now)?;
                to_json(&serde_json::Value::Null)
            }
            CreateEnrolment {
                actor,
                person,
                id,
                code_hash,
                expires_at,
            } => {
                if let Some(actor) = &actor {
                    keyward_domain::policy::admins_only(
                        &actor.policy(),
                        "sending enrolment links",
                    )?;
                }
                let person = self.person(&person)?.ok_or_else(|| {
                    Fault::Refused(RegistryError::invalid("person", "no such admin or member"))
                })?;
                self.sql().exec(
                    "INSERT INTO enrolments (id, code_hash, person, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                    vec![s(&id), s(&code_hash), s(person.key()), s(&person.email), i(now), i(expires_at)],
                )?;
                if let Some(actor) = &actor {
                    self.audit_as(
                        actor,
                        Entry::new(
                            Endpoint::CreateEnrolment,
                            &person.key(),
                            Outcome::Success,
                            &format!("sent an enrolment link to {}", person.email),
                        ),
                        now,
                    )?;
                }
                to_json(&(
                    Enrolment {
                        id,
                        person: person.key(),
                        email: person.email.clone(),
                        expires_at: ts(expires_at),
                    },
                    person,
                ))
            }
            OpenEnrolment { code_hash } => {
                let (row, person) = self.enrolment(&code_hash, now)?;
                to_json(&EnrolmentWelcome {
                    person,
                    expires_at: ts(row.expires_at),
                })
            }
            Enrol {
                code_hash,
                challenge,
                passkey,
                session,
            } => {
                let (row, person) = self.enrolment(&code_hash, now)?;
                self.take_challenge(
                    &challenge,
                    &Purpose::Enrol {
                        code_hash: code_hash.clone(),
                    },
                    now,
                )?;
                let key = self.insert_passkey(&person, passkey, now)?;
                self.sql().exec(
                    "UPDATE enrolments SET used_at = ? WHERE id = ?",
                    vec![i(now), s(&row.id)],
                )?;
                let signed = self.open_session(
                    &person,
                    SignInMethod::Passkey,
                    Some(key.id.clone()),
                    session,
                    now,
                )?;
                self.audit_system_person(
                    &person,
                    Endpoint::Enrol,
                    &key.id,
                    "registered a passkey with an enrolment link",
                    now,
                )?;
                to_json(&signed)
            }
            StartDevice {
                device_hash,
                user_code,
                client_name,
                expires_at,
            } => {
                self.sql().exec(
                    "DELETE FROM device_codes WHERE expires_at <= ?",
                    vec![i(now)],
                )?;
                let taken = self.count(
                    "SELECT COUNT(*) AS n FROM device_codes WHERE user_code = ?",
                    vec![s(&user_code)],
                )?;
                if taken > 0 {
                    return Err(Fault::conflict("that user code is in use; start again"));
                }
                self.sql().exec(
                    "INSERT INTO device_codes (device_hash, user_code, client_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                    vec![s(&device_hash), s(&user_code), s(&client_name), i(now), i(expires_at)],
                )?;
                to_json(&serde_json::Value::Null)
            }
            ApproveDevice { actor, user_code } => {
                let person = self.person_acting(&actor)?;
                let rows = self
                    .sql()
                    .exec(
                        "SELECT client_name, expires_at, approved_by FROM device_codes WHERE user_code = ?",
                        vec![s(&user_code)],
                    )?
                    .rows::<DeviceRow>()?;
                let Some(row) = rows
                    .into_iter()
                    .find(|r| r.expires_at > now && r.approved_by.is_none())
                else {
                    return Err(Fault::not_found("device authorization"));
                };
                self.sql().exec(
                    "UPDATE device_codes SET approved_by = ?, approved_at = ? WHERE user_code = ?",
                    vec![s(person.key()), i(now), s(&user_code)],
                )?;
                self.audit_person(
                    &actor,
                    &person,
                    Endpoint::ApproveDevice,
                    &row.client_name,
                    now,
                )?;
                to_json(&DeviceApproved {
                    client_name: row.client_name,
                })
            }
            TakeDevice { device_hash } => {
                let row = self
                    .sql()
                    .exec(
                        "SELECT client_name, expires_at, approved_by FROM device_codes WHERE device_hash = ?",
                        vec![s(&device_hash)],
                    )?
                    .rows::<DeviceRow>()?
                    .into_iter()
                    .next();
                let expired = || {
                    refused(
                        ErrorCode::DeviceCodeExpired,
                        "the device code expired, is unknown or was used; run `keyward login` again",
                    )
                };
                let Some(row) = row.filter(|r| r.expires_at > now) else {
                    return Err(expired());
                };
                let Some(approver) = row.approved_by else {
                    return Err(refused(
                        ErrorCode::AuthorizationPending,
                        "not approved yet; poll again after the interval",
                    ));
                };
                self.sql().exec(
                    "DELETE FROM device_codes WHERE device_hash = ?",
                    vec![s(&device_hash)],
                )?;
                let person = self.person(&approver)?.ok_or_else(expired)?;
                let caller = self.credential_of(&person)?;
                to_json(&DeviceGrant {
                    client_name: row.client_name,
                    person,
                    caller,
                })
            }
        }
    }
}
