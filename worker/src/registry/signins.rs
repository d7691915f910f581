//! People signing in: passkeys, sessions, enrolment links, ceremony
//! challenges and the CLI's device codes. Everything that must happen once
//! (a challenge answered, an enrolment link used, a device code redeemed,
//! a counter moved on) happens here, in the registry's one-at-a-time turn;
//! only hashes of session secrets, enrolment codes and device codes are
//! kept.

use super::audit::Entry;
use super::fault::{Fault, RegResult};
use super::rows::{
    algorithm_name, i, method_name, oi, os, s, to_json, AdminRow, ChallengeRow, DeviceRow,
    EnrolmentRow, MemberRow, PasskeyRow, SessionRow, Typed,
};
use super::{Actor, RegistryObject};
use crate::authority::{ts, TokenRow};
use keyward_domain::api::{
    DeviceApproved, Enrolment, EnrolmentWelcome, Outcome, Passkey, PasskeyAlgorithm, PasskeyList,
    Person, PersonKind, SessionInfo, SessionList, SignInMethod, SignedIn,
};
use keyward_domain::caller::Caller;
use keyward_domain::contract::Endpoint;
use keyward_domain::jwt::Jwk;
use keyward_domain::signin::{self, Lifetimes};
use keyward_domain::{policy, ErrorCode, RegistryError, TokenKind};
use serde::{Deserialize, Serialize};

/// What a ceremony's challenge was handed out for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Purpose {
    SignIn,
    /// Registering with an enrolment link (by its code's hash).
    Enrol {
        code_hash: String,
    },
    /// A signed-in person adding a passkey.
    Add {
        person: String,
    },
}

impl Purpose {
    fn key(&self) -> String {
        match self {
            Purpose::SignIn => "sign_in".into(),
            Purpose::Enrol { code_hash } => format!("enrol:{code_hash}"),
            Purpose::Add { person } => format!("add:{person}"),
        }
    }
}

/// A passkey to store, as the front checked it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewPasskey {
    pub id: String,
    pub credential_id: String,
    pub name: String,
    pub algorithm: PasskeyAlgorithm,
    pub public_key: Jwk,
    pub sign_count: u32,
}

/// A session to open: its id, the hash of its secret, the browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewSession {
    pub id: String,
    pub hash: String,
    pub user_agent: String,
}

/// A stored passkey, for checking an assertion.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPasskey {
    pub id: String,
    pub person: String,
    pub algorithm: PasskeyAlgorithm,
    pub public_key: Jwk,
    pub sign_count: u32,
}

/// Who a ceremony registers for, and their passkeys already there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registrant {
    pub person: Person,
    pub existing: Vec<String>,
}

/// A session's person, acting through their own credential.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionCaller {
    pub caller: Caller,
    pub person: Person,
    pub session: SessionInfo,
}

/// A redeemed device code: whose token the CLI gets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceGrant {
    pub client_name: String,
    pub person: Person,
    pub caller: Caller,
}

// Built once and serialized straight away: the size of its largest
// variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "sign_in_op", rename_all = "snake_case")]
pub enum SignInCommand {
    Challenge {
        challenge: String,
        purpose: Purpose,
        expires_at: i64,
    },
    /// Takes a sign-in challenge (used up whatever follows) and finds the
    /// passkey.
    BeginSignIn {
        challenge: String,
        credential_id: String,
    },
    FinishSignIn {
        passkey_id: String,
        sign_count: u32,
        session: NewSession,
    },
    OpenSession {
        actor: Actor,
        session: NewSession,
    },
    /// The session a cookie names, touched; refused once ended.
    Session {
        hash: String,
    },
    ListSessions {
        actor: Actor,
    },
    /// `id: None` ends every session of the person.
    EndSessions {
        actor: Actor,
        id: Option<String>,
    },
    ListPasskeys {
        actor: Actor,
    },
    Registrant {
        actor: Actor,
    },
    EnrolmentRegistrant {
        code_hash: String,
    },
    AddPasskey {
        actor: Actor,
        challenge: String,
        passkey: NewPasskey,
    },
    RenamePasskey {
        actor: Actor,
        id: String,
        name: String,
    },
    RemovePasskey {
        actor: Actor,
        id: String,
    },
    CreateEnrolment {
        actor: Option<Actor>,
        person: String,
        id: String,
        code_hash: String,
        expires_at: i64,
    },
    OpenEnrolment {
        code_hash: String,
    },
    Enrol {
        code_hash: String,
        challenge: String,
        passkey: NewPasskey,
        session: NewSession,
    },
    StartDevice {
        device_hash: String,
        user_code: String,
        client_name: String,
        expires_at: i64,
    },
    ApproveDevice {
        actor: Actor,
        user_code: String,
    },
    TakeDevice {
        device_hash: String,
    },
}

fn refused(code: ErrorCode, detail: impl Into<String>) -> Fault {
    RegistryError::SignIn {
        code,
        detail: detail.into(),
    }
    .into()
}

fn rejected(detail: impl Into<String>) -> Fault {
    refused(ErrorCode::PasskeyRejected, detail)
}

impl RegistryObject {
    fn lifetimes(&self) -> Lifetimes {
        crate::store::session_lifetimes(&self.env)
    }

    pub(super) async fn sign_in(&self, cmd: SignInCommand, now: i64) -> RegResult<String> {
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

    /// The person behind an actor: a session's, or an admin's master
    /// token's, or a member's user token's. Any other credential has none.
    fn person_acting(&self, actor: &Actor) -> RegResult<Person> {
        policy::may_hold_sign_ins(actor.kind(), actor.session.is_some())?;
        let key = match &actor.session {
            Some(session) => session.person.clone(),
            None => self.person_of(&actor.client_id())?,
        };
        self.person(&key)?.ok_or_else(|| Fault::not_found("person"))
    }

    /// `admin:<id>` or `member:<id>`, if they exist.
    pub(super) fn person(&self, key: &str) -> RegResult<Option<Person>> {
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
    fn credential_of(&self, person: &Person) -> RegResult<Caller> {
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

    fn session_info(&self, row: &SessionRow, lifetimes: Lifetimes) -> SessionInfo {
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

    fn open_session(
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

    fn session_caller(&self, hash: &str, now: i64) -> RegResult<SessionCaller> {
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

    fn take_challenge(&self, challenge: &str, purpose: &Purpose, now: i64) -> RegResult<()> {
        let rows = self
            .sql()
            .exec(
                "SELECT purpose, expires_at FROM challenges WHERE challenge = ?",
                vec![s(challenge)],
            )?
            .rows::<ChallengeRow>()?;
        // Used up whatever the outcome: a challenge is answered once.
        self.sql().exec(
            "DELETE FROM challenges WHERE challenge = ?",
            vec![s(challenge)],
        )?;
        match rows.first() {
            Some(row) if row.purpose == purpose.key() && row.expires_at > now => Ok(()),
            _ => Err(rejected(
                "the challenge is unknown, expired or already used; start again",
            )),
        }
    }

    fn begin_sign_in(
        &self,
        challenge: &str,
        credential_id: &str,
        now: i64,
    ) -> RegResult<StoredPasskey> {
        self.take_challenge(challenge, &Purpose::SignIn, now)?;
        let row = self
            .sql()
            .exec(
                "SELECT * FROM passkeys WHERE credential_id = ?",
                vec![s(credential_id)],
            )?
            .rows::<PasskeyRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| {
                rejected("this passkey is not registered here (it may have been removed)")
            })?;
        Ok(StoredPasskey {
            id: row.id.clone(),
            person: row.person.clone(),
            algorithm: row.algorithm,
            public_key: row.public_key.clone(),
            sign_count: row.sign_count,
        })
    }

    fn finish_sign_in(
        &self,
        passkey_id: &str,
        sign_count: u32,
        session: NewSession,
        now: i64,
    ) -> RegResult<SignedIn> {
        let row = self
            .sql()
            .exec("SELECT * FROM passkeys WHERE id = ?", vec![s(passkey_id)])?
            .rows::<PasskeyRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| rejected("this passkey was removed"))?;
        let stored = row.sign_count;
        // Checked again here, in the registry's turn: two sign-ins racing
        // with one counter value cannot both pass.
        if !keyward_domain::webauthn::counter_follows(stored, sign_count) {
            return Err(rejected(
                keyward_domain::webauthn::Rejected::CounterWentBack {
                    stored,
                    presented: sign_count,
                }
                .to_string(),
            ));
        }
        let person = self
            .person(&row.person)?
            .ok_or_else(|| rejected("this passkey's person was removed"))?;
        self.sql().exec(
            "UPDATE passkeys SET sign_count = ?, last_used_at = ? WHERE id = ?",
            vec![i(i64::from(sign_count)), i(now), s(&row.id)],
        )?;
        let signed = self.open_session(
            &person,
            SignInMethod::Passkey,
            Some(row.id.clone()),
            session,
            now,
        )?;
        self.audit_system_person(
            &person,
            Endpoint::PasskeySignIn,
            &row.id,
            &format!("signed in with the passkey '{}'", row.name),
            now,
        )?;
        Ok(signed)
    }

    fn passkeys_of(&self, person: &str) -> RegResult<Vec<PasskeyRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT * FROM passkeys WHERE person = ? ORDER BY created_at, id",
                vec![s(person)],
            )?
            .rows::<PasskeyRow>()?)
    }

    fn passkey_of(&self, person: &str, id: &str) -> RegResult<PasskeyRow> {
        self.passkeys_of(person)?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Fault::not_found("passkey"))
    }

    fn registrant(&self, person: Person) -> RegResult<Registrant> {
        let existing = self
            .passkeys_of(&person.key())?
            .into_iter()
            .map(|p| p.credential_id)
            .collect();
        Ok(Registrant { person, existing })
    }

    fn insert_passkey(&self, person: &Person, passkey: NewPasskey, now: i64) -> RegResult<Passkey> {
        let taken = self.count(
            "SELECT COUNT(*) AS n FROM passkeys WHERE credential_id = ?",
            vec![s(&passkey.credential_id)],
        )?;
        if taken > 0 {
            return Err(Fault::conflict("this passkey is registered already"));
        }
        self.sql().exec(
            "INSERT INTO passkeys (id, credential_id, person, name, algorithm, public_key, sign_count, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                s(&passkey.id),
                s(&passkey.credential_id),
                s(person.key()),
                s(&passkey.name),
                s(algorithm_name(passkey.algorithm)),
                s(to_json(&passkey.public_key)?),
                i(i64::from(passkey.sign_count)),
                i(now),
                oi(None),
            ],
        )?;
        Ok(Passkey {
            id: passkey.id,
            name: passkey.name,
            algorithm: passkey.algorithm,
            created_at: ts(now),
            last_used_at: None,
        })
    }

    fn enrolment(&self, code_hash: &str, now: i64) -> RegResult<(EnrolmentRow, Person)> {
        let row = self
            .sql()
            .exec(
                "SELECT id, person, expires_at, used_at FROM enrolments WHERE code_hash = ?",
                vec![s(code_hash)],
            )?
            .rows::<EnrolmentRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| Fault::not_found("enrolment"))?;
        if row.used_at.is_some() {
            return Err(refused(
                ErrorCode::EnrolmentUsed,
                "this enrolment link was already used; sign in with your passkey, or ask an admin for a new link",
            ));
        }
        if row.expires_at <= now {
            return Err(refused(
                ErrorCode::EnrolmentExpired,
                "this enrolment link has expired; ask an admin for a new one",
            ));
        }
        let person = self
            .person(&row.person)?
            .ok_or_else(|| Fault::not_found("enrolment"))?;
        Ok((row, person))
    }

    fn audit_person(
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
    fn audit_system_person(
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
    pub(super) fn forget_sign_ins(&self, person: &str) -> RegResult<()> {
        for table in ["sessions", "passkeys", "enrolments"] {
            self.sql().exec(
                &format!("DELETE FROM {table} WHERE person = ?"),
                vec![s(person)],
            )?;
        }
        Ok(())
    }
}
