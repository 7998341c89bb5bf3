//! The effective retry policy extracted from code.

use std::collections::BTreeMap;
use std::fmt;

use retry_check_diagnostics::Span;

/// A value read from code: given explicitly, the crate's documented default,
/// or something the scanner could not resolve (with the source text). Never
/// guessed.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<T> {
    Known(T),
    Default(T),
    Unknown(String),
}

impl<T> Val<T> {
    /// The same value, transformed, keeping whether it was explicit,
    /// default or unknown.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Val<U> {
        match self {
            Val::Known(v) => Val::Known(f(v)),
            Val::Default(v) => Val::Default(f(v)),
            Val::Unknown(t) => Val::Unknown(t),
        }
    }

    /// The value whether explicit or default; `None` when unknown.
    pub fn value(&self) -> Option<&T> {
        match self {
            Val::Known(v) | Val::Default(v) => Some(v),
            Val::Unknown(_) => None,
        }
    }
}

impl<T: fmt::Display> fmt::Display for Val<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Known(v) => write!(f, "{v}"),
            Val::Default(v) => write!(f, "{v} (default)"),
            Val::Unknown(t) => write!(f, "unknown ({t})"),
        }
    }
}

/// A duration in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub u128);

impl Dur {
    pub const fn ms(ms: u128) -> Dur {
        Dur(ms * 1_000_000)
    }
    pub const fn secs(s: u128) -> Dur {
        Dur(s * 1_000_000_000)
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n == 0 {
            return f.write_str("0s");
        }
        for (unit, name) in [
            (3_600_000_000_000u128, "h"),
            (60_000_000_000, "m"),
            (1_000_000_000, "s"),
            (1_000_000, "ms"),
            (1_000, "us"),
        ] {
            if n != 0 && n.is_multiple_of(unit) {
                return write!(f, "{}{name}", n / unit);
            }
        }
        write!(f, "{n}ns")
    }
}

/// An optional duration: `none` means "no cap" / "no limit".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptDur(pub Option<Dur>);

impl fmt::Display for OptDur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, "{d}"),
            None => f.write_str("none"),
        }
    }
}

/// Attempts in total (first call included), per retry-semantics 12.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempts {
    Finite(u64),
    Unbounded,
}

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attempts::Finite(n) => write!(f, "{n}"),
            Attempts::Unbounded => f.write_str("unbounded"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Jitter {
    None,
    /// backon: `[d, 2d)`.
    Additive,
    /// `[0, d]` (tokio-retry `jitter`, retry-policies `Full`).
    Full,
    /// retry-policies `Bounded`.
    Bounded,
    /// backoff `randomization_factor`: `[d(1-r), d(1+r)]`.
    Proportional(f64),
    /// A hand-written loop uses randomness somewhere.
    Present,
}

impl fmt::Display for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Jitter::None => f.write_str("none"),
            Jitter::Additive => f.write_str("additive [d, 2d)"),
            Jitter::Full => f.write_str("full [0, d]"),
            Jitter::Bounded => f.write_str("bounded"),
            Jitter::Proportional(r) => write!(f, "proportional ±{r}"),
            Jitter::Present => f.write_str("present (randomness in the loop)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    /// Every error is retried.
    EveryError,
    /// The code classifies errors (`.when`, `RetryIf`, `Error::permanent`, ...).
    Custom,
    /// The crate's own classification (reqwest-retry `DefaultRetryableStrategy`).
    CrateDefault(&'static str),
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predicate::EveryError => f.write_str("none (every error is retried)"),
            Predicate::Custom => f.write_str("custom"),
            Predicate::CrateDefault(s) => write!(f, "crate default ({s})"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RetryCrate {
    Backon,
    Backoff,
    TokioRetry,
    RetryPolicies,
    /// `impl tower::retry::Policy for T`.
    Tower,
    /// reqwest's own `reqwest::retry` (0.12.23+).
    Reqwest,
    /// `tryhard::retry_fn(..)` / `RetryFutureConfig`.
    Tryhard,
    HandWritten,
}

impl RetryCrate {
    pub fn as_str(self) -> &'static str {
        match self {
            RetryCrate::Backon => "backon",
            RetryCrate::Backoff => "backoff",
            RetryCrate::TokioRetry => "tokio-retry",
            RetryCrate::RetryPolicies => "retry-policies",
            RetryCrate::Tower => "tower",
            RetryCrate::Reqwest => "reqwest",
            RetryCrate::Tryhard => "tryhard",
            RetryCrate::HandWritten => "hand-written loop",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    Exponential,
    Fibonacci,
    Constant,
    /// `delay * attempt` (tryhard `linear_backoff`).
    Linear,
    /// A loop whose delay changes in a way the scanner does not model.
    Other,
}

impl Schedule {
    pub fn grows(self) -> bool {
        matches!(
            self,
            Schedule::Exponential | Schedule::Fibonacci | Schedule::Linear
        )
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Schedule::Exponential => "exponential",
            Schedule::Fibonacci => "fibonacci",
            Schedule::Constant => "constant",
            Schedule::Linear => "linear",
            Schedule::Other => "other",
        }
    }
}

/// One retry policy found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub krate: RetryCrate,
    pub schedule: Schedule,
    /// Where the policy is built (the constructor, or the loop keyword).
    pub span: Span,
    pub max_attempts: Val<Attempts>,
    pub initial_delay: Val<Dur>,
    pub max_delay: Val<OptDur>,
    pub multiplier: Val<f64>,
    pub jitter: Val<Jitter>,
    /// Total sleep / elapsed-time limit.
    pub max_elapsed: Val<OptDur>,
    pub predicate: Val<Predicate>,
    /// Where each field was set, for pointing findings at it.
    pub field_spans: BTreeMap<&'static str, Span>,
    /// Inside an `async fn` or `async` block.
    pub in_async: bool,
    /// A retry budget limits the extra load (reqwest's default, a tower
    /// budget in the file).
    pub has_budget: bool,
}

impl Policy {
    /// The span where `field` was set, or the policy span.
    pub fn span_of(&self, field: &str) -> Span {
        self.field_spans
            .get(field)
            .cloned()
            .unwrap_or_else(|| self.span.clone())
    }

    /// Whether the policy is handed to a retry call (or driven by a loop)
    /// in the file, rather than built for code elsewhere to drive.
    pub fn is_attached(&self) -> bool {
        self.field_spans.contains_key("predicate") || !matches!(self.predicate, Val::Unknown(_))
    }

    /// Every field that differs from `before` becomes unknown (`why`).
    pub(crate) fn unknown_where_changed(&mut self, before: &Policy, why: &str) {
        fn mark<T: PartialEq>(now: &mut Val<T>, was: &Val<T>, why: &str) {
            if now != was {
                *now = Val::Unknown(why.to_string());
            }
        }
        mark(&mut self.max_attempts, &before.max_attempts, why);
        mark(&mut self.initial_delay, &before.initial_delay, why);
        mark(&mut self.max_delay, &before.max_delay, why);
        mark(&mut self.multiplier, &before.multiplier, why);
        mark(&mut self.jitter, &before.jitter, why);
        mark(&mut self.max_elapsed, &before.max_elapsed, why);
    }

    /// `true` unless the policy is known to make at most one retry.
    pub fn retries_more_than_once(&self) -> bool {
        !matches!(self.max_attempts.value(), Some(Attempts::Finite(n)) if *n <= 2)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} {} policy",
            self.krate.as_str(),
            self.schedule.as_str()
        )?;
        writeln!(f, "  max_attempts:  {}", self.max_attempts)?;
        writeln!(f, "  initial_delay: {}", self.initial_delay)?;
        writeln!(f, "  max_delay:     {}", self.max_delay)?;
        writeln!(f, "  multiplier:    {}", self.multiplier)?;
        writeln!(f, "  jitter:        {}", self.jitter)?;
        writeln!(f, "  max_elapsed:   {}", self.max_elapsed)?;
        writeln!(f, "  predicate:     {}", self.predicate)?;
        write!(f, "  async:         {}", self.in_async)
    }
}
