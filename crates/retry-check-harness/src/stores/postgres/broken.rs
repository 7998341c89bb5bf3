//! The broken claims of the zoo's PostgreSQL stores.

use std::time::Duration;

use super::{decide_begin, from_sql, put, record, to_sql, PostgresStore, Variant};
use crate::checkpoint;
use crate::store::{Claim, FencingToken, Fingerprint, StoreError, VirtualTime};
use crate::stores::decide::{Record, Write};

impl PostgresStore {
    /// `SELECT`, then `INSERT` (or, for a row found, the shared decision
    /// logic), each statement on its own, on one connection of the pool.
    pub(super) async fn begin_broken(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let client = self.client().await?;
        checkpoint("SELECT claim");
        let current = match client.query_opt(&self.sql.select, &[&key]).await? {
            Some(row) => Some(record(&row)?),
            None => None,
        };
        let Some(current) = current else {
            // The bug: nothing stops a concurrent caller between this
            // look-up and the insert below.
            let token = from_sql(
                client
                    .query_one(&self.sql.next_token, &[])
                    .await?
                    .try_get(0)?,
            );
            let r = Record {
                fingerprint: fingerprint.0,
                token,
                lease_until: (now + lease).as_millis(),
                outcome: None,
                expires_at: (now + self.key_ttl).as_millis(),
            };
            checkpoint("INSERT claim");
            let inserted = client
                .execute(
                    &self.sql.insert,
                    &[
                        &key,
                        &to_sql(r.fingerprint),
                        &to_sql(r.token),
                        &to_sql(r.lease_until),
                        &r.outcome,
                        &to_sql(r.expires_at),
                    ],
                )
                .await;
            return match inserted {
                Ok(_) => Ok(Claim::Acquired(FencingToken(token))),
                // "Someone inserted the key: it must be ours" (it is not).
                Err(e)
                    if self.variant == Variant::UniqueViolationAsClaim
                        && e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) =>
                {
                    Ok(Claim::Acquired(FencingToken(token)))
                }
                Err(e) => Err(e.into()),
            };
        };
        let (claim, write) = decide_begin(
            &*client,
            &self.sql,
            self.key_ttl,
            &current,
            fingerprint,
            now,
            lease,
        )
        .await?;
        if let Write::Put(r) = write {
            checkpoint("UPDATE claim");
            if self.variant == Variant::NoSelectForUpdate {
                // The bug: the row read without FOR UPDATE is overwritten by
                // key alone, so two takeovers both win.
                client
                    .execute(
                        &self.sql.update_by_key,
                        &[
                            &key,
                            &to_sql(r.fingerprint),
                            &to_sql(r.token),
                            &to_sql(r.lease_until),
                            &r.outcome,
                            &to_sql(r.expires_at),
                        ],
                    )
                    .await?;
            } else {
                put(&*client, &self.sql.update, key, &r, current.token).await?;
            }
        }
        Ok(claim)
    }
}
