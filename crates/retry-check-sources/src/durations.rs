//! The duration spellings of the formats, to the contract's whole
//! milliseconds (a non-zero value below 1 ms rounds up to 1 ms, as Envoy
//! rounds its backoff intervals).
//!
//! - proto3 JSON `Duration` (gRPC service config, Envoy): decimal seconds
//!   with an `s` suffix, up to nine fractional digits: `"0.25s"`, `".1s"`;
//! - Go `time.ParseDuration` (Istio, Linkerd): `"300ms"`, `"1m30s"`, `"1.5s"`;
//! - ISO 8601 (`PT24H`, `P1D`), for OpenAPI extensions.

use retry_check_contract::Duration;

/// Nanoseconds to a contract duration.
fn from_nanos(nanos: u128) -> Result<Duration, String> {
    let ms = nanos.div_ceil(1_000_000);
    u64::try_from(ms)
        .ok()
        .filter(|ms| *ms < u64::MAX / 4)
        .map(Duration)
        .ok_or_else(|| "duration is too large".to_string())
}

/// Digits with an optional fraction (`"1"`, `"1.5"`, `".5"`) to nanoseconds
/// of `unit_nanos` each.
fn decimal(number: &str, unit_nanos: u128) -> Option<u128> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() > 20
    {
        return None;
    }
    let whole: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut total = whole.checked_mul(unit_nanos)?;
    let mut scale = unit_nanos;
    for d in frac.bytes().take(30) {
        scale /= 10;
        total = total.checked_add(u128::from(d - b'0') * scale)?;
    }
    Some(total)
}

/// A proto3 JSON `google.protobuf.Duration`: `"1.5s"`, `"0.025s"`.
pub fn proto(text: &str) -> Result<Duration, String> {
    let help = "a proto3 JSON Duration is seconds with an `s` suffix, like \"0.25s\"";
    let Some(number) = text.strip_suffix('s') else {
        return Err(format!("`{text}` is not a Duration: {help}"));
    };
    if number.starts_with('-') {
        return Err(format!("`{text}` is negative"));
    }
    if number.split_once('.').is_some_and(|(_, f)| f.len() > 9) {
        return Err(format!(
            "`{text}` has more than nine fractional digits: {help}"
        ));
    }
    match decimal(number, 1_000_000_000) {
        Some(n) => from_nanos(n),
        None => Err(format!("`{text}` is not a Duration: {help}")),
    }
}

const GO_UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// A Go duration (`time.ParseDuration`): `"300ms"`, `"1m30s"`, `"0"`.
pub fn go(text: &str) -> Result<Duration, String> {
    let help = "a Go duration like \"300ms\", \"2s\" or \"1m30s\" (units ns, us, ms, s, m, h)";
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.starts_with('-') {
        return Err(format!("`{text}` is negative"));
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return Err(format!("empty duration: {help}"));
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let Some((_, nanos)) = GO_UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(if unit.is_empty() {
                format!("`{text}` has no unit: {help}")
            } else {
                format!("unknown unit `{unit}` in `{text}`: {help}")
            });
        };
        let Some(n) = decimal(number, *nanos) else {
            return Err(format!("`{text}` is not a duration: {help}"));
        };
        total = total
            .checked_add(n)
            .ok_or_else(|| "duration is too large".to_string())?;
        rest = tail;
    }
    from_nanos(total)
}

/// An ISO 8601 duration (`PT24H`, `P7D`, `PT1H30M`).
pub fn iso8601(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not an ISO 8601 duration like \"PT24H\" or \"P7D\"");
    let rest = text.strip_prefix(['P', 'p']).ok_or_else(bad)?;
    if rest.is_empty() {
        return Err(bad());
    }
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) if !t.is_empty() => (d, t),
        Some(_) => return Err(bad()),
        None => (rest, ""),
    };
    let mut total: u128 = 0;
    for (part, units) in [
        (date, &[('W', 604_800u128), ('D', 86_400)][..]),
        (time, &[('H', 3_600), ('M', 60), ('S', 1)][..]),
    ] {
        let mut rest = part;
        while !rest.is_empty() {
            let at = rest
                .find(|c: char| c.is_ascii_alphabetic())
                .ok_or_else(bad)?;
            let (number, tail) = rest.split_at(at);
            let mut chars = tail.chars();
            let unit = chars.next().ok_or_else(bad)?.to_ascii_uppercase();
            let secs = units
                .iter()
                .find(|(u, _)| *u == unit)
                .map(|(_, s)| *s)
                .ok_or_else(bad)?;
            let n = decimal(number, secs * 1_000_000_000).ok_or_else(bad)?;
            total = total.checked_add(n).ok_or_else(bad)?;
            rest = chars.as_str();
        }
    }
    from_nanos(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_durations() {
        assert_eq!(proto("0.25s"), Ok(Duration(250)));
        assert_eq!(proto(".1s"), Ok(Duration(100)));
        assert_eq!(proto("1s"), Ok(Duration(1000)));
        assert_eq!(proto("0.0001s"), Ok(Duration(1)));
        assert_eq!(proto("0s"), Ok(Duration(0)));
        for bad in ["1", "25ms", "s", "-1s", "1.0000000001s", "1.2.3s", "abc"] {
            assert!(proto(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn go_durations() {
        assert_eq!(go("300ms"), Ok(Duration(300)));
        assert_eq!(go("1m30s"), Ok(Duration(90_000)));
        assert_eq!(go("1.5s"), Ok(Duration(1500)));
        assert_eq!(go("0"), Ok(Duration(0)));
        assert_eq!(go("10us"), Ok(Duration(1)));
        for bad in ["", "2", "2 s", "2d", "-1s", "s", "1..2s"] {
            assert!(go(bad).is_err(), "{bad}");
        }
        assert!(go(&"9".repeat(40)).is_err());
    }

    #[test]
    fn iso_durations() {
        assert_eq!(iso8601("PT24H"), Ok(Duration(86_400_000)));
        assert_eq!(iso8601("P7D"), Ok(Duration(7 * 86_400_000)));
        assert_eq!(iso8601("PT1H30M"), Ok(Duration(5_400_000)));
        for bad in ["P", "PT", "24h", "PT5X", "P1H"] {
            assert!(iso8601(bad).is_err(), "{bad}");
        }
    }
}
