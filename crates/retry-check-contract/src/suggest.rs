//! "Did you mean" suggestions for misspelled keys and values.

/// The known word closest to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (strsim::levenshtein(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, k)| (*d, *k))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_only() {
        let known = ["max_attempts", "deadline", "backoff"];
        assert_eq!(did_you_mean("max_attempt", &known), Some("max_attempts"));
        assert_eq!(did_you_mean("backof", &known), Some("backoff"));
        assert_eq!(did_you_mean("colour", &known), None);
    }
}
