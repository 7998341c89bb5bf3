//! [`DurableState`]: durable state in the case's location, for an
//! in-process store under test that models its own persistence.
//!
//! What survives a restart is exactly what a store made durable in its
//! [`StorageLocation`]: the harness drops the store instance and opens a new
//! one over the same location, and nothing else carries over (the harness
//! never reuses a location for another case). A store backed by a database
//! keeps its rows there; an in-process store can keep a value here:
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::Mutex;
//! use retry_check_harness::{DurableState, StorageLocation, StoreError};
//!
//! struct Records {
//!     durable: DurableState<BTreeMap<String, String>>,
//!     records: Mutex<BTreeMap<String, String>>,
//! }
//!
//! impl Records {
//!     fn open(location: &StorageLocation) -> Result<Records, StoreError> {
//!         // The last committed map, or an empty one in a fresh location.
//!         let (durable, records) = DurableState::open(location, "records")?;
//!         Ok(Records { durable, records: Mutex::new(records) })
//!     }
//!
//!     fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
//!         let mut records = self.records.lock().map_err(|_| StoreError::new("poisoned"))?;
//!         records.insert(key.to_string(), value.to_string());
//!         // Durable before the call returns: a restart keeps it.
//!         self.durable.commit(&records)
//!     }
//! }
//! # let dir = tempfile::tempdir()?;
//! # let location = StorageLocation::new(dir.path(), "doc");
//! # Records::open(&location)?.put("k", "v")?;
//! # assert_eq!(Records::open(&location)?.records.lock().unwrap().get("k").map(String::as_str), Some("v"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A write the store acknowledged but did not commit is lost on the next
//! restart, as it would be on a real one.

use std::marker::PhantomData;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::store::{StorageLocation, StoreError};

/// A value an in-process store keeps durable in its case's location; see
/// the [module docs](self).
#[derive(Debug)]
pub struct DurableState<T> {
    file: PathBuf,
    _value: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned + Default> DurableState<T> {
    /// Open the state called `name` (`[a-z0-9_-]`) in `location` (the file
    /// `<dir>/<namespace>-<name>.json`): returns the handle and the value
    /// last committed there, or `T::default()` in a fresh location.
    pub fn open(location: &StorageLocation, name: &str) -> Result<(Self, T), StoreError> {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid {
            return Err(StoreError::new(format!(
                "durable state: name {name:?} must be made of [a-z0-9_-]"
            )));
        }
        // The namespace too: locations may share a directory.
        let file = location
            .dir()
            .join(format!("{}-{name}.json", location.namespace()));
        let value = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::new(format!("durable state {}: {e}", file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => T::default(),
            Err(e) => return Err(e.into()),
        };
        Ok((
            DurableState {
                file,
                _value: PhantomData,
            },
            value,
        ))
    }

    /// Make `value` the durable state: written to a temporary file, then
    /// renamed over the previous one, so a restart sees either the old or
    /// the new value, never half of one.
    pub fn commit(&self, value: &T) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| StoreError::new(format!("durable state: {e}")))?;
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &self.file)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_survives_a_reopen_and_an_uncommitted_change_does_not() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let location = StorageLocation::new(dir.path(), "t");
        let (state, mut v): (DurableState<Vec<u32>>, Vec<u32>) =
            DurableState::open(&location, "nums").expect("open");
        assert!(v.is_empty());
        v.push(1);
        state.commit(&v).expect("commit");
        v.push(2);
        let (_, again) = DurableState::<Vec<u32>>::open(&location, "nums").expect("reopen");
        assert_eq!(again, vec![1]);
        assert!(DurableState::<Vec<u32>>::open(&location, "Bad Name").is_err());
        let other = StorageLocation::new(dir.path(), "u");
        let (_, fresh) = DurableState::<Vec<u32>>::open(&other, "nums").expect("open");
        assert!(fresh.is_empty(), "another namespace starts empty");
    }
}
