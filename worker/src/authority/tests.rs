//! Fault injection: every storage call of each operation fails in turn,
//! as an error (nothing written) and as a partial write (written, but
//! reported failed — what a timeout can look like).
use super::*;
use crate::http::ApiError;
use futures::executor::block_on;
use keyward_domain::{ErrorCode, TokenKind};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Error,
    Partial,
}

#[derive(Default)]
struct Faults {
    calls: Cell<usize>,
    fail_at: Cell<Option<usize>>,
    mode: Cell<Option<Mode>>,
    fired: Cell<bool>,
}

impl Faults {
    /// `Some(mode)` when this call is the one to fail.
    fn next(&self) -> Option<Mode> {
        let n = self.calls.get();
        self.calls.set(n + 1);
        if self.fail_at.get() == Some(n) {
            self.fired.set(true);
            self.mode.get()
        } else {
            None
        }
    }
    fn disarm(&self) {
        self.fail_at.set(None);
    }
}

fn fail() -> StoreError {
    StoreError("injected failure".into())
}

/// Runs a write unless the fault says otherwise.
fn write<T>(faults: &Faults, apply: impl FnOnce() -> T) -> Result<T, StoreError> {
    match faults.next() {
        None => Ok(apply()),
        Some(Mode::Error) => Err(fail()),
        Some(Mode::Partial) => {
            apply();
            Err(fail())
        }
    }
}

fn read(faults: &Faults) -> Result<(), StoreError> {
    match faults.next() {
        None => Ok(()),
        Some(_) => Err(fail()),
    }
}

struct MemReplica {
    map: RefCell<HashMap<String, AuthRecord>>,
    faults: Rc<Faults>,
}

impl Replica for MemReplica {
    type Record = AuthRecord;
    async fn get(&self, hash: &str) -> Result<Option<AuthRecord>, StoreError> {
        read(&self.faults)?;
        Ok(self.map.borrow().get(hash).cloned())
    }
    async fn put(&self, hash: &str, record: &AuthRecord, _: Option<u64>) -> Result<(), StoreError> {
        write(&self.faults, || {
            self.map
                .borrow_mut()
                .insert(hash.to_string(), record.clone());
        })
    }
    async fn delete(&self, hash: &str) -> Result<(), StoreError> {
        write(&self.faults, || {
            self.map.borrow_mut().remove(hash);
        })
    }
}

#[derive(Default)]
struct MemLedger {
    tokens: RefCell<HashMap<String, TokenRow>>,
    /// (hash, token id, until, hint)
    retired: RefCell<Vec<(String, String, i64, String)>>,
    invitations: RefCell<HashMap<String, &'static str>>,
    /// What each token inherits (a persona's grants, say).
    inherited: RefCell<HashMap<String, Vec<keyward_domain::Grant>>>,
    stale: RefCell<Vec<String>>,
    faults: Rc<Faults>,
}

impl Ledger for MemLedger {
    fn token(&self, id: &str) -> Result<Option<TokenRow>, StoreError> {
        read(&self.faults)?;
        Ok(self.tokens.borrow().get(id).cloned())
    }
    fn retired(&self, token_id: &str, now: i64) -> Result<Vec<RetiredRow>, StoreError> {
        read(&self.faults)?;
        Ok(self
            .retired
            .borrow()
            .iter()
            .filter(|(_, t, until, _)| t == token_id && *until > now)
            .map(|(hash, _, until, hint)| RetiredRow {
                hash: hash.clone(),
                until: *until,
                hint: Some(hint.clone()),
            })
            .collect())
    }
    fn insert_token(&self, row: &TokenRow) -> Result<(), StoreError> {
        write(&self.faults, || {
            self.tokens.borrow_mut().insert(row.id.clone(), row.clone());
        })
    }
    fn commit_refresh(&self, switch: &Switch<'_>) -> Result<(), StoreError> {
        let row = switch.row;
        write(&self.faults, || {
            self.tokens.borrow_mut().insert(row.id.clone(), row.clone());
            self.retired.borrow_mut().push((
                switch.old_hash.to_string(),
                row.id.clone(),
                switch.until,
                switch.old_hint.to_string(),
            ));
            if let Some(i) = switch.invitation {
                self.invitations
                    .borrow_mut()
                    .insert(i.to_string(), "accepted");
            }
        })
    }
    fn revert_refresh(
        &self,
        before: &TokenRow,
        invitation: Option<&str>,
    ) -> Result<(), StoreError> {
        write(&self.faults, || {
            self.tokens
                .borrow_mut()
                .insert(before.id.clone(), before.clone());
            self.retired
                .borrow_mut()
                .retain(|(h, _, _, _)| *h != before.secret_hash);
            if let Some(i) = invitation {
                self.invitations
                    .borrow_mut()
                    .insert(i.to_string(), "pending");
            }
        })
    }
    fn delete_token(&self, id: &str) -> Result<(), StoreError> {
        write(&self.faults, || {
            self.tokens.borrow_mut().remove(id);
            self.retired.borrow_mut().retain(|(_, t, _, _)| t != id);
        })
    }
    fn context(&self, row: &TokenRow) -> Result<RecordContext, StoreError> {
        read(&self.faults)?;
        Ok(RecordContext {
            inherited: self
                .inherited
                .borrow()
                .get(&row.id)
                .cloned()
                .unwrap_or_default(),
            ..Default::default()
        })
    }
    fn mark_stale(&self, ids: &[String]) -> Result<(), StoreError> {
        write(&self.faults, || {
            let mut stale = self.stale.borrow_mut();
            for id in ids {
                if !stale.contains(id) {
                    stale.push(id.clone());
                }
            }
        })
    }
    fn clear_stale(&self, id: &str) -> Result<(), StoreError> {
        write(&self.faults, || self.stale.borrow_mut().retain(|s| s != id))
    }
    fn stale(&self) -> Result<Vec<String>, StoreError> {
        read(&self.faults)?;
        Ok(self.stale.borrow().clone())
    }
}

const NOW: i64 = 1_800_000_000;

fn random(buf: &mut [u8]) {
    getrandom::getrandom(buf).expect("OS randomness");
}

fn row(name: &str, secret: &Secret) -> TokenRow {
    TokenRow {
        id: format!("tok_{name}"),
        client_id: format!("cli_{name}"),
        name: name.into(),
        description: String::new(),
        kind: TokenKind::Scoped,
        grants: vec![],
        created_by: "test".into(),
        created_at: NOW,
        updated_at: NOW,
        expires_at: None,
        last_used_at: None,
        secret_hash: secret.hash().0,
        secret_hint: secret.hint(),
        admin_id: None,
        rate_limit: None,
        ..Default::default()
    }
}

struct World {
    ledger: MemLedger,
    replica: MemReplica,
    faults: Rc<Faults>,
}

impl World {
    fn new() -> World {
        let faults = Rc::new(Faults::default());
        World {
            ledger: MemLedger {
                faults: faults.clone(),
                ..Default::default()
            },
            replica: MemReplica {
                map: RefCell::default(),
                faults: faults.clone(),
            },
            faults,
        }
    }

    fn works(&self, secret: &Secret) -> bool {
        let armed = self.faults.fail_at.get();
        self.faults.disarm();
        let ok = matches!(
            block_on(authenticate(&self.replica, secret.expose(), ts(NOW), None)),
            Ok(Ok(_))
        );
        self.faults.fail_at.set(armed);
        ok
    }

    fn listed(&self, id: &str) -> bool {
        self.ledger.tokens.borrow().contains_key(id)
    }

    /// A working token, created with no fault armed.
    fn token(&self, name: &str) -> (TokenRow, Secret) {
        let secret = Secret::generate(TokenKind::Scoped, random);
        let row = row(name, &secret);
        block_on(create(&self.ledger, &self.replica, &row, NOW)).expect("setup");
        (row, secret)
    }

    fn arm(&self, at: usize, mode: Mode) {
        self.faults.calls.set(0);
        self.faults.fired.set(false);
        self.faults.fail_at.set(Some(at));
        self.faults.mode.set(Some(mode));
    }

    /// After any failure, a clean delete of the token must leave none of
    /// its secrets working: no orphaned record survives.
    fn delete_leaves_nothing(&self, id: &str, secrets: &[&Secret]) {
        self.faults.disarm();
        if let Some(row) = self.ledger.token(id).expect("read") {
            block_on(delete(&self.ledger, &self.replica, &row)).expect("clean delete");
        }
        for s in secrets {
            assert!(!self.works(s), "a secret of a deleted token still works");
        }
    }
}

/// Runs `op` with a fault at every call index in turn, in both modes,
/// until an index is past the operation's last call.
fn each_fault(mut op: impl FnMut(Mode, usize) -> bool) -> usize {
    let mut cases = 0;
    for mode in [Mode::Error, Mode::Partial] {
        for at in 0.. {
            cases += 1;
            if !op(mode, at) {
                break;
            }
            assert!(at < 50, "runaway");
        }
    }
    cases
}

#[test]
fn authentication_fails_closed() {
    let cases = each_fault(|mode, at| {
        let w = World::new();
        let (_, secret) = w.token("a");
        w.arm(at, mode);
        let r = block_on(authenticate(&w.replica, secret.expose(), ts(NOW), None));
        if !w.faults.fired.get() {
            assert!(matches!(r, Ok(Ok(_))));
            return false;
        }
        let err = r.err().expect("a storage failure is never access");
        assert_eq!(ApiError::from(err).code(), ErrorCode::Unavailable);
        true
    });
    assert!(cases >= 4);
}

#[test]
fn create_fails_closed() {
    each_fault(|mode, at| {
        let w = World::new();
        let (_, other) = w.token("other");
        let secret = Secret::generate(TokenKind::Scoped, random);
        let row = row("new", &secret);
        w.arm(at, mode);
        let r = block_on(create(&w.ledger, &w.replica, &row, NOW));
        let fired = w.faults.fired.get();
        w.faults.disarm();
        assert!(w.works(&other), "an unrelated secret stopped working");
        if !fired {
            assert!(r.is_ok() && w.works(&secret) && w.listed("tok_new"));
            return false;
        }
        assert_eq!(
            r.err().map(|e| ApiError::from(e).code()),
            Some(ErrorCode::Unavailable)
        );
        assert!(
            !w.works(&secret),
            "a failed create left a working secret ({mode:?} at {at})"
        );
        w.delete_leaves_nothing("tok_new", &[&secret]);
        true
    });
}

fn refresh_case(overlap: u64, invitation: bool) {
    each_fault(|mode, at| {
        let w = World::new();
        let (row, old) = w.token("t");
        let (_, other) = w.token("other");
        if invitation {
            w.ledger
                .invitations
                .borrow_mut()
                .insert("inv".into(), "pending");
        }
        let new = Secret::generate(TokenKind::Scoped, random);
        w.arm(at, mode);
        let r = block_on(refresh(
            &w.ledger,
            &w.replica,
            &row,
            Rotation {
                new_hash: new.hash().0,
                new_hint: new.hint(),
                overlap_seconds: overlap,
                invitation: invitation.then_some("inv"),
            },
            NOW,
        ));
        let fired = w.faults.fired.get();
        w.faults.disarm();
        assert!(w.works(&other), "an unrelated secret stopped working");
        if !fired {
            assert!(r.is_ok() && w.works(&new));
            assert_eq!(w.works(&old), overlap > 0);
            return false;
        }
        assert_eq!(
            r.err().map(|e| ApiError::from(e).code()),
            Some(ErrorCode::Unavailable)
        );
        assert!(
            w.works(&old),
            "the old secret must still work after a failed refresh ({mode:?} at {at})"
        );
        assert!(
            !w.works(&new),
            "a failed refresh left the new secret working ({mode:?} at {at})"
        );
        assert_eq!(
            w.ledger.token("tok_t").unwrap().unwrap().secret_hash,
            row.secret_hash,
            "the registry still holds the old secret"
        );
        if invitation {
            assert_eq!(
                w.ledger.invitations.borrow()["inv"],
                "pending",
                "the invitation can be accepted again"
            );
        }
        w.delete_leaves_nothing("tok_t", &[&old, &new]);
        true
    });
}

#[test]
fn refresh_fails_closed() {
    refresh_case(0, false);
}

#[test]
fn refresh_with_overlap_fails_closed() {
    refresh_case(60, false);
}

#[test]
fn accept_invitation_fails_closed() {
    refresh_case(0, true);
}

/// A change to what tokens inherit (a persona loses a grant) with a
/// failure at every storage call: the tokens' records either hold the
/// new grants or are still noted stale, no secret stops working, and
/// finishing the noted rewrites afterwards converges.
#[test]
fn inherited_grant_changes_converge() {
    let read_all = vec![keyward_domain::Grant::parse_compact("storage:read@*").unwrap()];
    each_fault(|mode, at| {
        let w = World::new();
        let (a, sa) = w.token("a");
        let (b, sb) = w.token("b");
        for t in [&a, &b] {
            w.ledger
                .inherited
                .borrow_mut()
                .insert(t.id.clone(), read_all.clone());
            block_on(replicate(&w.ledger, &w.replica, t, NOW)).expect("setup");
        }
        let rows = [a.clone(), b.clone()];
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        w.arm(at, mode);
        let r = note_stale(&w.ledger, &rows).and_then(|()| {
            // The change itself: the persona no longer grants anything.
            w.ledger.inherited.borrow_mut().clear();
            block_on(rewrite_stale(&w.ledger, &w.replica, &ids, NOW))
        });
        let fired = w.faults.fired.get();
        w.faults.disarm();
        for s in [&sa, &sb] {
            assert!(
                w.works(s),
                "a rewrite must never stop a secret ({mode:?} at {at})"
            );
        }
        let holds_old = |t: &TokenRow| !w.replica.map.borrow()[&t.secret_hash].inherited.is_empty();
        let changed = w.ledger.inherited.borrow().is_empty();
        if !fired {
            assert!(r.is_ok());
            assert!(!holds_old(&a) && !holds_old(&b));
            assert!(w.ledger.stale.borrow().is_empty());
            return false;
        }
        assert_eq!(
            r.err().map(|e| ApiError::from(e).code()),
            Some(ErrorCode::Unavailable)
        );
        if changed {
            for t in [&a, &b] {
                assert!(
                    !holds_old(t) || w.ledger.stale.borrow().contains(&t.id),
                    "{} holds a removed grant without being noted stale ({mode:?} at {at})",
                    t.id
                );
            }
        }
        block_on(finish_stale(&w.ledger, &w.replica, NOW)).expect("finishing converges");
        assert!(w.ledger.stale.borrow().is_empty());
        if changed {
            assert!(!holds_old(&a) && !holds_old(&b), "({mode:?} at {at})");
        }
        true
    });
}

#[test]
fn delete_fails_closed() {
    each_fault(|mode, at| {
        let w = World::new();
        let (row, secret) = w.token("doomed");
        // A retired secret within its overlap too.
        let next = Secret::generate(TokenKind::Scoped, random);
        let row = block_on(refresh(
            &w.ledger,
            &w.replica,
            &row,
            Rotation {
                new_hash: next.hash().0,
                new_hint: next.hint(),
                overlap_seconds: 60,
                invitation: None,
            },
            NOW,
        ))
        .unwrap();
        let (_, other) = w.token("other");
        w.arm(at, mode);
        let r = block_on(delete(&w.ledger, &w.replica, &row));
        let fired = w.faults.fired.get();
        w.faults.disarm();
        assert!(w.works(&other), "an unrelated secret stopped working");
        if !fired {
            assert!(r.is_ok() && !w.works(&secret) && !w.works(&next) && !w.listed("tok_doomed"));
            return false;
        }
        assert_eq!(
            r.err().map(|e| ApiError::from(e).code()),
            Some(ErrorCode::Unavailable)
        );
        for s in [&secret, &next] {
            assert!(
                !w.works(s) || w.listed("tok_doomed"),
                "a secret works but its token is gone ({mode:?} at {at})"
            );
        }
        w.delete_leaves_nothing("tok_doomed", &[&secret, &next]);
        true
    });
}
