//! tower::retry: a `Policy` impl with an attempt counter, one that sleeps a
//! backoff, and a retry budget (0.5 `TpsBudget`, 0.4 `Budget`).

use std::future;
use std::time::Duration;

use tower::retry::budget::{TpsBudget, Budget};
use tower::retry::Policy;

#[derive(Clone)]
struct Attempts(usize);

impl<E> Policy<Request, Response, E> for Attempts {
    type Future = future::Ready<()>;

    fn retry(&mut self, _req: &mut Request, result: &mut Result<Response, E>) -> Option<Self::Future> {
        match result {
            Ok(_) => None,
            Err(_) if self.0 > 0 => {
                self.0 -= 1;
                Some(future::ready(()))
            }
            Err(_) => None,
        }
    }

    fn clone_request(&mut self, req: &Request) -> Option<Request> {
        Some(req.clone())
    }
}

#[derive(Clone)]
struct Backoff {
    budget: std::sync::Arc<TpsBudget>,
}

impl tower::retry::Policy<Request, Response, Error> for Backoff {
    type Future = tokio::time::Sleep;

    fn retry(&mut self, _req: &mut Request, result: &mut Result<Response, Error>) -> Option<Self::Future> {
        match result {
            Err(e) if e.is_transient() && self.budget.withdraw() => {
                Some(tokio::time::sleep(Duration::from_millis(100)))
            }
            _ => {
                self.budget.deposit();
                None
            }
        }
    }

    fn clone_request(&mut self, req: &Request) -> Option<Request> {
        Some(req.clone())
    }
}

fn budgets() -> (TpsBudget, Budget) {
    (
        TpsBudget::new(Duration::from_secs(10), 10, 0.2),
        Budget::new(Duration::from_secs(1), 5, 2.5),
    )
}

/// Not tower's: a `Policy` trait of another crate with no `retry` method.
impl crate::auth::Policy for Backoff {
    fn allows(&self) -> bool {
        true
    }
}
