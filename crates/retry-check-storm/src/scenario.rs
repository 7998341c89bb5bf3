//! The storm scenario: how long, which incident, when, and the seed.

use retry_check_contract::Duration;

/// What goes wrong with the dependency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Incident {
    /// Every attempt is refused.
    Outage,
    /// This share of attempts fails.
    Brownout(f64),
    /// Capacity times this factor (0, 1]; latency divided by it.
    Slowdown(f64),
}

/// The scenario: how long, what incident, when, and the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub duration_ms: u64,
    pub incident: Incident,
    pub incident_start_ms: u64,
    pub incident_len_ms: u64,
    pub seed: u64,
    /// The server the incident hits; default: every dependency.
    pub target: Option<String>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            duration_ms: 120_000,
            incident: Incident::Outage,
            incident_start_ms: 30_000,
            incident_len_ms: 30_000,
            seed: 1,
            target: None,
        }
    }
}

impl Scenario {
    pub fn incident_end_ms(&self) -> u64 {
        self.incident_start_ms + self.incident_len_ms
    }

    pub fn describe(&self) -> String {
        let what = match self.incident {
            Incident::Outage => "outage".to_string(),
            Incident::Brownout(p) => format!("brownout ({:.0}% of attempts fail)", p * 100.0),
            Incident::Slowdown(f) => format!("slowdown (capacity x{f})"),
        };
        format!(
            "{} of {} at {}, {} simulated, seed {}",
            what,
            secs(self.incident_len_ms),
            secs(self.incident_start_ms),
            secs(self.duration_ms),
            self.seed
        )
    }
}

fn secs(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

/// A scenario as the command line writes it: durations as text
/// (`"30s"`), the incident's kind as optional ratios.
#[derive(Debug, Clone)]
pub struct ScenarioSpec<'a> {
    /// `--duration`: simulated time in all.
    pub duration: &'a str,
    /// `--at`: when the incident starts.
    pub at: &'a str,
    /// `--outage`: how long the incident lasts.
    pub outage: &'a str,
    /// `--brownout`: fail this share of attempts instead of all.
    pub brownout: Option<f64>,
    /// `--slowdown`: capacity times this factor instead of an outage.
    pub slowdown: Option<f64>,
    pub seed: u64,
    /// `--server`: the server the incident hits.
    pub target: Option<String>,
}

fn duration(flag: &str, s: &str) -> Result<u64, String> {
    s.parse::<Duration>()
        .map(|d| d.as_millis())
        .map_err(|e| format!("invalid `{flag} {s}`: {}", e.message))
}

impl ScenarioSpec<'_> {
    /// The scenario, or what is wrong with the flags.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let duration_ms = duration("--duration", self.duration)?;
        let start = duration("--at", self.at)?;
        let len = duration("--outage", self.outage)?;
        if duration_ms == 0 || duration_ms > 24 * 3_600_000 {
            return Err(format!(
                "`--duration {}` must be above zero and at most 24h",
                self.duration
            ));
        }
        if len == 0 {
            return Err(format!(
                "`--outage {}` must be longer than zero: an incident that lasts no time shows nothing",
                self.outage
            ));
        }
        if start.saturating_add(len) > duration_ms {
            return Err(format!(
                "the incident (`--at {}` + `--outage {}`) must end within `--duration {}`",
                self.at, self.outage, self.duration
            ));
        }
        let incident = match (self.brownout, self.slowdown) {
            (Some(p), _) if !(p > 0.0 && p <= 1.0) => {
                return Err(format!(
                    "`--brownout {p}` must be a failure ratio above 0 and at most 1"
                ))
            }
            (Some(p), _) => Incident::Brownout(p),
            (None, Some(f)) if !(f > 0.0 && f < 1.0) => {
                return Err(format!(
                    "`--slowdown {f}` must be a capacity factor above 0 and below 1"
                ))
            }
            (None, Some(f)) => Incident::Slowdown(f),
            (None, None) => Incident::Outage,
        };
        Ok(Scenario {
            duration_ms,
            incident,
            incident_start_ms: start,
            incident_len_ms: len,
            seed: self.seed,
            target: self.target.clone(),
        })
    }
}
