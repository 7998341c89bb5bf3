//! Partitions of a run's cases (`--partition k/n`): n CI jobs that together
//! run exactly the cases one job would.
//!
//! The cases of a run are one fixed sequence: proptest derives case `i`'s
//! RNG seed from the run's seed and the cases before it, and generating a
//! case never depends on how earlier cases *ran*. A partitioned run
//! therefore generates every case of the sequence (cheap: no store is
//! touched) and executes only its own, case `i` (0-based) belonging to
//! partition `i % n + 1`. Case `i` is the same scenario in every partition
//! and in the unpartitioned run, so the partitions' cases are disjoint and
//! their union is the unpartitioned run, and existing seeds and replay files
//! keep their meaning. (Deriving each case's seed from `(seed, i)` alone
//! would give the same partition property but change every existing seed's
//! cases.) Shrinking a failure is not partitioned: it runs in the partition
//! that found the failure.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Partition `index` of `count` (1-based: `1/3`, `2/3`, `3/3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Partition {
    /// Which partition, `1..=count`.
    pub index: u32,
    /// How many partitions, at least 1.
    pub count: u32,
}

impl Partition {
    /// The whole run: `1/1`.
    pub const ALL: Partition = Partition { index: 1, count: 1 };

    /// Partition `index` of `count`; `None` unless `1 <= index <= count`.
    pub fn new(index: u32, count: u32) -> Option<Partition> {
        (count >= 1 && (1..=count).contains(&index)).then_some(Partition { index, count })
    }

    /// Does case `case` (0-based position in the run's sequence) belong here?
    pub fn contains(self, case: u64) -> bool {
        self.count <= 1 || case % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// How many of the first `cases` cases belong here.
    pub fn cases_of(self, cases: u32) -> u32 {
        (0..u64::from(cases)).filter(|&i| self.contains(i)).count() as u32
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Partition {
    type Err = String;

    /// `k/n` with `1 <= k <= n`.
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "expected `k/n` with 1 <= k <= n, e.g. `2/3` (the second of three partitions)";
        let Some((k, n)) = s.trim().split_once('/') else {
            return Err(format!("invalid partition `{s}`: {usage}"));
        };
        let (Ok(k), Ok(n)) = (k.trim().parse::<u32>(), n.trim().parse::<u32>()) else {
            return Err(format!("invalid partition `{s}`: {usage}"));
        };
        if n == 0 {
            return Err(format!(
                "invalid partition `{s}`: the number of partitions must be at least 1"
            ));
        }
        if k == 0 {
            return Err(format!(
                "invalid partition `{s}`: partitions are numbered from 1 (1/{n} to {n}/{n})"
            ));
        }
        if k > n {
            return Err(format!(
                "invalid partition `{s}`: there is no partition {k} of {n} (1/{n} to {n}/{n})"
            ));
        }
        Ok(Partition { index: k, count: n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            "2/3".parse::<Partition>(),
            Ok(Partition { index: 2, count: 3 })
        );
        assert_eq!(" 1/1 ".parse::<Partition>(), Ok(Partition::ALL));
        for bad in ["0/3", "3/2", "x", "1/0", "1/", "/2", "-1/2", "1/2/3", ""] {
            let e = bad.parse::<Partition>().expect_err(bad);
            assert!(e.contains("invalid partition"), "{bad}: {e}");
        }
        assert!("0/3"
            .parse::<Partition>()
            .unwrap_err()
            .contains("numbered from 1"));
        assert!("3/2"
            .parse::<Partition>()
            .unwrap_err()
            .contains("no partition 3 of 2"));
    }

    #[test]
    fn partitions_split_the_cases_exactly() {
        for n in 1..=5u32 {
            for i in 0..50u64 {
                let owners = (1..=n)
                    .filter(|&k| Partition::new(k, n).is_some_and(|p| p.contains(i)))
                    .count();
                assert_eq!(owners, 1, "case {i} of {n} partitions");
            }
            let total: u32 = (1..=n)
                .filter_map(|k| Partition::new(k, n))
                .map(|p| p.cases_of(17))
                .sum();
            assert_eq!(total, 17);
        }
    }
}
