//! The harness's names for a store's tokens. A store's token is any
//! `Clone + Eq` value (a counter, a lease struct, bytes); the oracle and the
//! timelines work on [`FencingToken`] numbers instead: the Nth distinct
//! token a store issued in a case is `token#N`. Equal tokens get the same
//! number, so a store that hands one token to two owners is still seen
//! doing so.

use crate::store::FencingToken;

/// The tokens seen so far, in the order first seen.
#[derive(Debug)]
pub(crate) struct TokenTable<T> {
    seen: Vec<T>,
}

impl<T> Default for TokenTable<T> {
    fn default() -> Self {
        TokenTable { seen: Vec::new() }
    }
}

impl<T: Eq> TokenTable<T> {
    /// Forget every token (a new case).
    pub(crate) fn clear(&mut self) {
        self.seen.clear();
    }

    /// The number of `token`, given it now if it is new. A linear search:
    /// a case sees a handful of tokens, and `Eq` is all a token promises.
    pub(crate) fn number(&mut self, token: T) -> FencingToken {
        let index = match self.seen.iter().position(|t| *t == token) {
            Some(i) => i,
            None => {
                self.seen.push(token);
                self.seen.len() - 1
            }
        };
        FencingToken(index as u64 + 1)
    }

    /// The store's token numbered `id`.
    pub(crate) fn token(&self, id: FencingToken) -> Option<&T> {
        let index = usize::try_from(id.0).ok()?.checked_sub(1)?;
        self.seen.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_tokens_share_a_number_and_numbers_lead_back_to_tokens() {
        let mut table = TokenTable::default();
        assert_eq!(table.number("run-a/1"), FencingToken(1));
        assert_eq!(table.number("run-b/7"), FencingToken(2));
        assert_eq!(table.number("run-a/1"), FencingToken(1));
        assert_eq!(table.token(FencingToken(2)), Some(&"run-b/7"));
        assert_eq!(table.token(FencingToken(0)), None);
        assert_eq!(table.token(FencingToken(3)), None);
        table.clear();
        assert_eq!(table.number("run-b/7"), FencingToken(1));
    }
}
