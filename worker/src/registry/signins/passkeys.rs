//! Passkeys: ceremony challenges taken once, sign-ins begun and finished,
//! a person's passkeys, registering one, and enrolment links.

use super::*;
use crate::authority::ts;
use crate::registry::fault::{Fault, RegResult};
use crate::registry::rows::{
    algorithm_name, i, oi, s, to_json, ChallengeRow, EnrolmentRow, PasskeyRow, Typed,
};
use crate::registry::RegistryObject;
use keyward_domain::api::{Passkey, Person, SignInMethod, SignedIn};
use keyward_domain::contract::Endpoint;
use keyward_domain::ErrorCode;

impl RegistryObject {
    pub(super) fn take_challenge(
        &self,
        challenge: &str,
        purpose: &Purpose,
        now: i64,
    ) -> RegResult<()> {
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

    pub(super) fn begin_sign_in(
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

    pub(super) fn finish_sign_in(
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

    pub(super) fn passkeys_of(&self, person: &str) -> RegResult<Vec<PasskeyRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT * FROM passkeys WHERE person = ? ORDER BY created_at, id",
                vec![s(person)],
            )?
            .rows::<PasskeyRow>()?)
    }

    pub(super) fn passkey_of(&self, person: &str, id: &str) -> RegResult<PasskeyRow> {
        self.passkeys_of(person)?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Fault::not_found("passkey"))
    }

    pub(super) fn registrant(&self, person: Person) -> RegResult<Registrant> {
        let existing = self
            .passkeys_of(&person.key())?
            .into_iter()
            .map(|p| p.credential_id)
            .collect();
        Ok(Registrant { person, existing })
    }

    pub(super) fn insert_passkey(
        &self,
        person: &Person,
        passkey: NewPasskey,
        now: i64,
    ) -> RegResult<Passkey> {
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

    pub(super) fn enrolment(&self, code_hash: &str, now: i64) -> RegResult<(EnrolmentRow, Person)> {
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
}
