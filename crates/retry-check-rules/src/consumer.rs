//! Words the consumer rules share in their messages.

use retry_check_contract::Consumer;

/// `` `kafka:payments.events` ``, or "its source" when none parsed.
pub fn source_text(c: &Consumer) -> String {
    c.source
        .as_ref()
        .map_or_else(|| "its source".to_string(), |s| format!("`{}`", s.value))
}

/// `` `money` side effects ``, or the unknown case.
pub fn effect_text(c: &Consumer) -> String {
    match &c.side_effects {
        Some(s) => format!("`{}` side effects", s.value),
        None => "side effects it does not declare".to_string(),
    }
}
