//! rule: RC102
//! Only a retry loop is a retry loop: a sleep on a failure path, the call
//! repeated, success leaving the loop. Polling for a state, heartbeats,
//! token refreshes and reconnect-forever watchers sleep on a fixed
//! schedule by design and are not reported as retries.

use std::time::Duration;

pub async fn bad_fixed_retry(jobs: &Jobs, id: JobId) -> Result<Job, JobError> {
    for _ in 0..3 {
        match jobs.get(id).await {
            Ok(job) => return Ok(job),
            Err(_) => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
    jobs.get(id).await
}

pub async fn ok_poll_until_done(jobs: &Jobs, id: JobId) -> Result<Job, JobError> {
    loop {
        let job = jobs.get(id).await?;
        if job.finished() {
            return Ok(job);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

pub async fn ok_poll_tolerating_errors(jobs: &Jobs, id: JobId) -> Result<Job, JobError> {
    loop {
        match jobs.status(id).await {
            Ok(Some(job)) => return Ok(job),
            Ok(None) => {}
            Err(e) => tracing::debug!(%e, "status check failed"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

pub async fn ok_heartbeat(lease: Lease, client: Client) -> Result<(), LeaseError> {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if lease.released() {
            break;
        }
        client.keep_alive(&lease).await?;
    }
    Ok(())
}

pub async fn ok_token_refresh(auth: Auth, slot: TokenSlot) {
    loop {
        match auth.refresh().await {
            Ok(token) => {
                let ttl = token.ttl();
                slot.store(token);
                tokio::time::sleep(ttl / 2).await;
            }
            Err(e) => {
                tracing::warn!(%e, "token refresh failed");
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        }
    }
}

pub async fn ok_reconnect_forever(events: EventSource, sink: Sink) {
    loop {
        match events.subscribe().await {
            Ok(mut stream) => {
                while let Some(ev) = stream.next().await {
                    sink.push(ev);
                }
            }
            Err(e) => {
                tracing::warn!(%e, "subscription lost");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
