//! The token lifecycle against storage: authenticate, create, refresh,
//! delete (and accept-invitation, which is a refresh). It runs against two
//! traits — the [`Ledger`] (the registry's own records, SQLite in the
//! Durable Object) and the [`Replica`] (the KV records that the edge reads)
//! — so native tests can inject a failure at every storage call and check
//! that each request fails closed: denied or 503, with no secret working
//! afterwards that should not, and every secret that should still working.

use keyward_domain::{expiry, Secret};
use std::net::IpAddr;
use time::OffsetDateTime;

mod ports;
#[cfg(test)]
mod tests;

pub use ports::*;

/// Format and checksum first (no storage touched), then one replica read,
/// then the record's own checks ([`verdict`]). `from` is the address the
/// secret was presented from, as the platform reports it.
pub async fn authenticate<R: Replica>(
    replica: &R,
    raw: &str,
    now: OffsetDateTime,
    from: Option<IpAddr>,
) -> Result<Result<R::Record, Rejection>, StoreError> {
    let secret = match Secret::parse(raw) {
        Ok(s) => s,
        Err(e) => return Ok(Err(Rejection::Malformed(e))),
    };
    let Some(record) = replica.get(secret.hash().as_str()).await? else {
        return Ok(Err(Rejection::NotFound));
    };
    Ok(verdict(record.record(), now, from).map(|()| record))
}

/// The checks on a found record, shared with the bootstrap path: the
/// overlap deadline, the expiry, then the token's conditions (enabled, not
/// before, allowed networks), all decided by the domain.
pub fn verdict(
    record: &AuthRecord,
    now: OffsetDateTime,
    from: Option<IpAddr>,
) -> Result<(), Rejection> {
    if let Some(until) = record.retired_until {
        if now.unix_timestamp() >= until {
            return Err(Rejection::NotFound);
        }
    }
    if expiry::is_expired(record.token.expires_at, now) {
        return Err(Rejection::Expired);
    }
    record
        .conditions()
        .admit(now, from)
        .map_err(Rejection::Unusable)
}

/// Writes every KV record of a token: its current secret and any secret
/// still inside its overlap.
pub async fn replicate<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    row: &TokenRow,
    now: i64,
) -> Result<(), StoreError> {
    let context = ledger.context(row)?;
    replica
        .put(
            &row.secret_hash,
            &row.record(&context, None),
            row.expiration(now),
        )
        .await?;
    for retired in ledger.retired(&row.id, now)? {
        replica
            .put(
                &retired.hash,
                &row.record(&context, Some(retired.until)),
                Some(kv_expiration(retired.until, now)),
            )
            .await?;
    }
    Ok(())
}

/// Before a change to what tokens inherit (a persona's grants, a member's):
/// the tokens are noted as stale, so that whatever happens after, the
/// ledger knows which records may still hold the old grants. Noting first
/// means a failure here changes nothing at all.
pub fn note_stale<L: Ledger>(ledger: &L, rows: &[TokenRow]) -> Result<(), StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    ledger.mark_stale(&ids)
}

/// After the change: each noted token's records are rewritten, then it is
/// crossed off. A failure leaves the rest noted for [`finish_stale`].
pub async fn rewrite_stale<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    ids: &[String],
    now: i64,
) -> Result<(), StoreError> {
    for id in ids {
        // Re-read: the row is as the change left it (or gone).
        if let Some(row) = ledger.token(id)? {
            replicate(ledger, replica, &row, now).await?;
        }
        ledger.clear_stale(id)?;
    }
    Ok(())
}

/// Finishes what an earlier, failed rewrite left noted.
pub async fn finish_stale<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    now: i64,
) -> Result<(), StoreError> {
    let ids = ledger.stale()?;
    rewrite_stale(ledger, replica, &ids, now).await
}

/// The replica first, then the ledger: a failure at either leaves no
/// working secret (the replica write is undone).
pub async fn create<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    row: &TokenRow,
    now: i64,
) -> Result<(), StoreError> {
    let record = row.record(&ledger.context(row)?, None);
    let written = replica
        .put(&row.secret_hash, &record, row.expiration(now))
        .await;
    let stored = written.and_then(|_| ledger.insert_token(row));
    if let Err(e) = stored {
        let _ = replica.delete(&row.secret_hash).await;
        return Err(e);
    }
    Ok(())
}

/// A refresh: the new secret (hash and hint), how long the old one keeps
/// working, and the invitation it accepts, if any.
pub struct Rotation<'a> {
    pub new_hash: String,
    pub new_hint: String,
    pub overlap_seconds: u64,
    pub invitation: Option<&'a str>,
}

/// Write order: (1) the new secret's record, so there is never a moment
/// with neither secret working; (2) the ledger switches, atomically with
/// accepting the invitation; (3) the old secret's record is deleted, or
/// marked with its overlap deadline, which authentication enforces itself.
/// A failure at any step puts back what was there before.
pub async fn refresh<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    before: &TokenRow,
    rotation: Rotation<'_>,
    now: i64,
) -> Result<TokenRow, StoreError> {
    let Rotation {
        new_hash,
        new_hint,
        overlap_seconds,
        invitation,
    } = rotation;
    let mut after = before.clone();
    after.secret_hash = new_hash;
    after.secret_hint = new_hint;
    after.updated_at = now;
    let until = now + overlap_seconds as i64;
    // Every record this refresh may write, before anything is written: a
    // failed read later could otherwise cut the undo short.
    let context = ledger.context(before)?;
    let new_record = after.record(&context, None);
    let retired_record = after.record(&context, Some(until));
    let before_record = before.record(&context, None);

    if let Err(e) = replica
        .put(&after.secret_hash, &new_record, after.expiration(now))
        .await
    {
        let _ = replica.delete(&after.secret_hash).await;
        return Err(e);
    }
    let switch = Switch {
        row: &after,
        old_hash: &before.secret_hash,
        old_hint: &before.secret_hint,
        until,
        invitation,
        now,
    };
    if let Err(e) = ledger.commit_refresh(&switch) {
        let _ = ledger.revert_refresh(before, invitation);
        let _ = replica.delete(&after.secret_hash).await;
        return Err(e);
    }
    let old_done = if overlap_seconds == 0 {
        replica.delete(&before.secret_hash).await
    } else {
        replica
            .put(
                &before.secret_hash,
                &retired_record,
                Some(kv_expiration(until, now)),
            )
            .await
    };
    if let Err(e) = old_done {
        let _ = ledger.revert_refresh(before, invitation);
        let _ = replica
            .put(&before.secret_hash, &before_record, before.expiration(now))
            .await;
        let _ = replica.delete(&after.secret_hash).await;
        return Err(e);
    }
    Ok(after)
}

/// Secrets die first, the ledger entry last: a failure midway leaves the
/// token listed (so the delete can be retried), never a working secret of
/// a token the registry no longer knows.
pub async fn delete<L: Ledger, R: Replica>(
    ledger: &L,
    replica: &R,
    row: &TokenRow,
) -> Result<(), StoreError> {
    for retired in ledger.retired(&row.id, i64::MIN)? {
        replica.delete(&retired.hash).await?;
    }
    replica.delete(&row.secret_hash).await?;
    ledger.delete_token(&row.id)?;
    Ok(())
}
