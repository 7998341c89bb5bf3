//! rule: RC104
//! Match guards, specific `Err(Variant)` arms that leave, and `?` on a
//! classified error are error classification: RC104 fires only when every
//! error path can reach the sleep.

use std::time::Duration;

pub async fn bad_every_error(queue: &Queue, msg: &Msg) -> Result<(), QueueError> {
    for _ in 0..5 {
        match queue.publish(msg).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                tracing::debug!(%e, "publish failed");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    queue.publish(msg).await
}

pub async fn bad_every_error_after_the_match(queue: &Queue, msg: &Msg) -> Result<(), QueueError> {
    let mut last = None;
    for _ in 0..5 {
        match queue.publish(msg).await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.unwrap_or(QueueError::Closed))
}

pub async fn ok_match_guard(queue: &Queue, msg: &Msg) -> Result<(), QueueError> {
    for _ in 0..5 {
        match queue.publish(msg).await {
            Ok(()) => return Ok(()),
            Err(e) if e.code() == 503 => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(e) => return Err(e),
        }
    }
    queue.publish(msg).await
}

pub async fn ok_specific_arm_returns(queue: &Queue, msg: &Msg) -> Result<(), QueueError> {
    for _ in 0..5 {
        match queue.publish(msg).await {
            Ok(()) => return Ok(()),
            Err(QueueError::Unauthorized) => return Err(QueueError::Unauthorized),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    queue.publish(msg).await
}

pub async fn ok_specific_arm_retries(queue: &Queue, msg: &Msg) -> Result<(), QueueError> {
    for _ in 0..5 {
        match queue.publish(msg).await {
            Ok(()) => return Ok(()),
            Err(QueueError::Busy { .. }) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(other) => return Err(other),
        }
    }
    queue.publish(msg).await
}

pub async fn ok_kind_match(queue: &Queue, msg: &Msg) -> Result<(), QueueError> {
    for _ in 0..5 {
        match queue.publish(msg).await {
            Ok(()) => return Ok(()),
            Err(err) => match err.kind() {
                Kind::Denied | Kind::Invalid => return Err(err),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            },
        }
    }
    queue.publish(msg).await
}

pub async fn ok_question_mark_on_classified(queue: &Queue, msg: &Msg) -> Result<(), QueueError> {
    for _ in 0..5 {
        match queue.publish(msg).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                // Errors that cannot be retried leave through `?`.
                only_transient(e)?;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    queue.publish(msg).await
}
