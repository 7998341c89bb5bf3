//! rule: RC101
//! The failure signal is not always an `Err(..)` of the operation's result:
//! a strategy classifies the result (`== Outcome::Transient`,
//! `Some(Kind::Transient)`), the operation returns its own enum with a
//! variant named for retrying (`Attempt::Retry(e)`), or a
//! `ControlFlow::Continue(e)` carrying the failure. Those paths are error
//! paths: a loop that sleeps on them and never gives up is unbounded, one
//! whose policy runs out is bounded. `ControlFlow::Continue(())` carries
//! nothing: a loop sleeping on it waits for a state, it is not a retry.

pub async fn bad_classified_by_strategy(judge: &Judge, svc: &Service) -> Result<Reply, SvcError> {
    loop {
        let outcome = svc.send().await;
        if judge.handle(&outcome) == Some(Kind::Transient) {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        return outcome;
    }
}

pub async fn ok_classified_with_a_counter(judge: &Judge, svc: &Service) -> Result<Reply, SvcError> {
    let mut tries = 0;
    loop {
        let outcome = svc.send().await;
        if let Some(Kind::Transient) = judge.classify(&outcome) {
            if tries < 4 {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
        }
        return outcome;
    }
}

pub fn bad_own_enum_forever(mut job: impl FnMut() -> Attempt<Reply, SvcError>) -> Result<Reply, SvcError> {
    loop {
        match job() {
            Attempt::Done(v) => return Ok(v),
            Attempt::Retry(_cause) => std::thread::sleep(Duration::from_secs(1)),
            Attempt::Fatal(cause) => return Err(cause),
        }
    }
}

pub fn ok_own_enum_until_delays_run_out(
    delays: impl IntoIterator<Item = Duration>,
    mut job: impl FnMut() -> Attempt<Reply, SvcError>,
) -> Result<Reply, SvcError> {
    let mut delays = delays.into_iter();
    loop {
        match job() {
            Attempt::Done(v) => return Ok(v),
            Attempt::Retry(cause) => match delays.next() {
                Some(d) => std::thread::sleep(d),
                None => return Err(cause),
            },
            Attempt::Fatal(cause) => return Err(cause),
        }
    }
}

pub async fn bad_control_flow_forever(svc: &Service) -> Reply {
    loop {
        match svc.step().await {
            ControlFlow::Break(reply) => break reply,
            ControlFlow::Continue(failure) => {
                log_failure(&failure);
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

pub async fn ok_control_flow_with_backoff(backoff: &mut Backoff, svc: &Service) -> Result<Reply, SvcError> {
    loop {
        let failure = match svc.step().await {
            ControlFlow::Break(reply) => break Ok(reply),
            ControlFlow::Continue(failure) => failure,
        };
        match backoff.next() {
            Some(d) => tokio::time::sleep(d).await,
            None => break Err(failure),
        }
    }
}

pub async fn ok_control_flow_polling(svc: &Service) -> Reply {
    loop {
        match svc.ready().await {
            ControlFlow::Break(reply) => break reply,
            ControlFlow::Continue(()) => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
}
