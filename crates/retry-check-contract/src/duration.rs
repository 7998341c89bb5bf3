//! Durations written with units: `"250ms"`, `"3s"`, `"1m"`, `"24h"`, `"7d"`,
//! fractions as Go and humantime read them (`"1.5s"`, `"0.5h"`), and sums of
//! them (`"1h30m"`). Stored as whole milliseconds; every
//! arithmetic step is checked, so `"99999999999999999999d"` is an error, not
//! a wrap-around.

use std::fmt;

/// A non-negative span of time in whole milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub fn from_millis(ms: u64) -> Self {
        Duration(ms)
    }
    pub fn from_secs(s: u64) -> Self {
        Duration(s.saturating_mul(1000))
    }
    pub fn as_millis(self) -> u64 {
        self.0
    }
    pub fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }
    pub fn saturating_mul(self, n: u64) -> Duration {
        Duration(self.0.saturating_mul(n))
    }
}

const UNITS: &[(&str, u64)] = &[
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// Spellings people reach for, mapped to the unit we accept.
const UNIT_ALIASES: &[(&str, &str)] = &[
    ("msec", "ms"),
    ("millis", "ms"),
    ("millisecond", "ms"),
    ("milliseconds", "ms"),
    ("sec", "s"),
    ("secs", "s"),
    ("second", "s"),
    ("seconds", "s"),
    ("min", "m"),
    ("mins", "m"),
    ("minute", "m"),
    ("minutes", "m"),
    ("hr", "h"),
    ("hrs", "h"),
    ("hour", "h"),
    ("hours", "h"),
    ("day", "d"),
    ("days", "d"),
];

/// Why a duration string was rejected; the message is user-facing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    pub message: String,
    pub help: Option<String>,
}

fn suggest_unit(unit: &str) -> Option<&'static str> {
    let lower = unit.to_ascii_lowercase();
    if let Some((_, u)) = UNIT_ALIASES.iter().find(|(a, _)| *a == lower) {
        return Some(u);
    }
    if let Some((u, _)) = UNITS.iter().find(|(u, _)| *u == lower) {
        return Some(u);
    }
    // "hourz", "secnds": nearest alias by edit distance.
    UNIT_ALIASES
        .iter()
        .map(|(a, u)| (strsim::levenshtein(a, &lower), *u))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, u)| u)
}

impl std::str::FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |message: String, help: Option<String>| DurationError { message, help };
        let s = text.trim();
        if s.is_empty() {
            return Err(err(
                "empty duration".into(),
                Some("write a number and a unit, like \"30s\"".into()),
            ));
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut total: u64 = 0;
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let whole_end = i;
            // A fraction, as Go's and humantime's parsers read it: "1.5s", ".5h".
            if i < bytes.len() && bytes[i] == b'.' {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let fraction = s[whole_end..i].trim_start_matches('.');
            if start == whole_end && fraction.is_empty() {
                return Err(err(
                    format!(
                        "invalid duration `{s}`: expected a number at `{}`",
                        &s[start..]
                    ),
                    Some("durations look like \"250ms\", \"1.5s\", \"1m\", \"24h\", \"7d\"".into()),
                ));
            }
            let number_text = &s[start..i];
            let whole: u64 = if start == whole_end {
                0
            } else {
                s[start..whole_end]
                    .parse()
                    .map_err(|_| err(format!("duration `{s}` is too large"), None))?
            };
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            let unit_start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit = &s[unit_start..i];
            if unit.is_empty() {
                return Err(err(
                    format!("duration `{s}` has no unit"),
                    Some(format!(
                        "add a unit: \"{number_text}s\", \"{number_text}ms\", ..."
                    )),
                ));
            }
            let Some((_, factor)) = UNITS.iter().find(|(u, _)| *u == unit) else {
                let help = match suggest_unit(unit) {
                    Some(u) => format!("did you mean `{u}`? (\"{number_text}{u}\")"),
                    None => "units are ms, s, m, h, d".to_string(),
                };
                return Err(err(
                    format!("unknown duration unit `{unit}` in `{s}`"),
                    Some(help),
                ));
            };
            let part = millis(whole, fraction, *factor).map_err(|why| {
                let message = match why {
                    Inexact => format!(
                        "duration `{number_text}{unit}` is not a whole number of milliseconds"
                    ),
                    TooLarge => format!("duration `{s}` is too large"),
                };
                err(message, None)
            })?;
            total = total
                .checked_add(part)
                .ok_or_else(|| err(format!("duration `{s}` is too large"), None))?;
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
        }
        Ok(Duration(total))
    }
}

/// Why a number and a unit do not make whole milliseconds.
enum NotMillis {
    Inexact,
    TooLarge,
}
use NotMillis::{Inexact, TooLarge};

/// `whole.fraction` times `factor` milliseconds, exactly.
fn millis(whole: u64, fraction: &str, factor: u64) -> Result<u64, NotMillis> {
    let whole = whole.checked_mul(factor).ok_or(TooLarge)?;
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        return Ok(whole);
    }
    // A fraction finer than 1/10^19 of a day is finer than a millisecond.
    if fraction.len() > 19 {
        return Err(Inexact);
    }
    let digits: u128 = fraction.parse().map_err(|_| Inexact)?;
    let scale = 10u128.pow(fraction.len() as u32);
    let scaled = digits * u128::from(factor);
    if !scaled.is_multiple_of(scale) {
        return Err(Inexact);
    }
    let part = u64::try_from(scaled / scale).map_err(|_| TooLarge)?;
    whole.checked_add(part).ok_or(TooLarge)
}

impl fmt::Display for Duration {
    /// Exact and compact: `250ms`, `3s`, `1h30m`, `72h`, `2s500ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        // Written into a buffer and out once: findings print durations in
        // most messages, and the formatting machinery per number was a
        // twentieth of `lint`.
        let mut text = [0u8; 48];
        let mut len = 0;
        let mut rest = self.0;
        for (unit, factor) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
            let n = rest / factor;
            if n > 0 {
                let mut digits = [0u8; 20];
                let mut d = digits.len();
                let mut v = n;
                while v > 0 {
                    d -= 1;
                    digits[d] = b'0' + (v % 10) as u8;
                    v /= 10;
                }
                for b in digits[d..].iter().chain(unit.as_bytes()) {
                    text[len] = *b;
                    len += 1;
                }
                rest -= n * factor;
            }
        }
        // ASCII digits and unit letters only.
        f.write_str(std::str::from_utf8(&text[..len]).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Result<Duration, DurationError> {
        s.parse()
    }

    #[test]
    fn units() {
        assert_eq!(p("250ms").unwrap(), Duration(250));
        assert_eq!(p("3s").unwrap(), Duration(3_000));
        assert_eq!(p("1m").unwrap(), Duration(60_000));
        assert_eq!(p("24h").unwrap(), Duration(86_400_000));
        assert_eq!(p("7d").unwrap(), Duration(7 * 86_400_000));
        assert_eq!(p("1h30m").unwrap(), Duration(5_400_000));
        assert_eq!(p("24 h").unwrap(), Duration(86_400_000));
    }

    #[test]
    fn fractions_as_go_and_humantime_read_them() {
        assert_eq!(p("1.5s").unwrap(), Duration(1_500));
        assert_eq!(p("0.5h").unwrap(), Duration(1_800_000));
        assert_eq!(p(".25m").unwrap(), Duration(15_000));
        assert_eq!(p("2.s").unwrap(), Duration(2_000));
        assert_eq!(p("1.5h30m").unwrap(), Duration(7_200_000));
        assert_eq!(p("2.000ms").unwrap(), Duration(2));
        assert!(p("2.500ms").is_err(), "2.5ms is not whole milliseconds");
        assert_eq!(p("0.001s").unwrap(), Duration(1));
        let e = p("1.5ms").unwrap_err();
        assert_eq!(
            e.message,
            "duration `1.5ms` is not a whole number of milliseconds"
        );
        assert!(p("0.0001s").is_err());
        assert!(p(".s").unwrap_err().message.contains("expected a number"));
        assert!(p("1..5s").is_err());
        assert_eq!(
            p("1.5").unwrap_err().help.as_deref(),
            Some("add a unit: \"1.5s\", \"1.5ms\", ...")
        );
    }

    #[test]
    fn errors_help() {
        let e = p("24 hourz").unwrap_err();
        assert_eq!(e.message, "unknown duration unit `hourz` in `24 hourz`");
        assert_eq!(e.help.as_deref(), Some("did you mean `h`? (\"24h\")"));
        assert!(p("30").unwrap_err().message.contains("no unit"));
        assert!(p("").is_err());
        assert!(p("s").is_err());
        assert!(p("-3s").is_err());
        assert!(p("99999999999999999999d")
            .unwrap_err()
            .message
            .contains("too large"));
        assert!(p("999999999999999d")
            .unwrap_err()
            .message
            .contains("too large"));
    }

    #[test]
    fn display() {
        assert_eq!(Duration(250).to_string(), "250ms");
        assert_eq!(Duration(2_500).to_string(), "2s500ms");
        assert_eq!(Duration(5_400_000).to_string(), "1h30m");
        assert_eq!(Duration(0).to_string(), "0s");
    }

    proptest! {
        #[test]
        fn display_round_trips(ms in 0u64..(u64::MAX / 2)) {
            let d = Duration(ms);
            prop_assert_eq!(d.to_string().parse::<Duration>().unwrap(), d);
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = s.parse::<Duration>();
        }
    }
}
