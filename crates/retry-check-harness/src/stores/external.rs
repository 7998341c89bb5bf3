//! [`External`]: a store whose data lives outside the server process.

use std::sync::{Arc, Mutex, PoisonError};

use crate::store::{AsyncStoreFactory, StorageLocation, StoreError, StoreFactory};

/// A factory whose stores keep everything across a restart of the store in
/// the case: a reopen gets back the very instance the restart dropped. This
/// is the harness's picture of an external store (a Redis or PostgreSQL
/// server, a managed key-value service) that an in-process implementation
/// or fake stands for: its data outlives whatever the case restarts, so the
/// author writes no registry of instances per location.
///
/// Every case still starts from an empty store: `open` makes a new
/// instance; only `reopen` returns the kept one.
///
/// ```
/// use std::time::Duration;
/// use retry_check_harness::stores::{External, MemoryStore};
/// use retry_check_harness::{Sim, SimConfig};
///
/// // The in-memory store keeps its records across store restarts, as a
/// // server outside the process would: restarts stay on.
/// Sim::new(External::new(MemoryStore::factory(Duration::from_secs(86_400))))
///     .config(SimConfig::default())
///     .cases(32)
///     .threaded_rounds(0)
///     .check();
/// ```
pub struct External<F, S> {
    factory: F,
    name: Option<String>,
    /// The instance of the case running now, and its location.
    current: Mutex<Option<(StorageLocation, Arc<S>)>>,
}

impl<F, S> External<F, S> {
    pub fn new(factory: F) -> Self {
        External {
            factory,
            name: None,
            current: Mutex::new(None),
        }
    }

    /// Report the store under `name` instead of the inner factory's.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    fn keep(&self, location: &StorageLocation, store: S) -> Arc<S> {
        let store = Arc::new(store);
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((location.clone(), Arc::clone(&store)));
        store
    }

    fn kept(&self, location: &StorageLocation) -> Option<Arc<S>> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|(at, _)| at == location)
            .map(|(_, store)| Arc::clone(store))
    }
}

impl<F> StoreFactory for External<F, F::Store>
where
    F: StoreFactory,
{
    type Store = Arc<F::Store>;

    fn open(&self, location: &StorageLocation) -> Result<Self::Store, StoreError> {
        Ok(self.keep(location, self.factory.open(location)?))
    }

    fn reopen(&self, location: &StorageLocation) -> Result<Self::Store, StoreError> {
        match self.kept(location) {
            Some(store) => Ok(store),
            None => self.open(location),
        }
    }

    fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.factory.name())
    }
}

/// The async twin: [`External`] over an [`AsyncStoreFactory`].
pub struct ExternalAsync<F: AsyncStoreFactory>(External<F, F::Store>);

impl<F: AsyncStoreFactory> ExternalAsync<F> {
    pub fn new(factory: F) -> Self {
        ExternalAsync(External::new(factory))
    }

    /// Report the store under `name` instead of the inner factory's.
    pub fn named(self, name: impl Into<String>) -> Self {
        ExternalAsync(self.0.named(name))
    }
}

impl<F> AsyncStoreFactory for ExternalAsync<F>
where
    F: AsyncStoreFactory,
    F::Store: Send + Sync,
{
    type Store = Arc<F::Store>;

    async fn open(&self, location: &StorageLocation) -> Result<Self::Store, StoreError> {
        let store = self.0.factory.open(location).await?;
        Ok(self.0.keep(location, store))
    }

    async fn reopen(&self, location: &StorageLocation) -> Result<Self::Store, StoreError> {
        match self.0.kept(location) {
            Some(store) => Ok(store),
            None => self.open(location).await,
        }
    }

    fn name(&self) -> String {
        self.0.name.clone().unwrap_or_else(|| self.0.factory.name())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stores::MemoryStore;

    #[test]
    fn a_reopen_gets_the_instance_back_and_a_new_case_a_new_one() {
        let factory = External::new(MemoryStore::factory(Duration::from_secs(60)));
        let here = StorageLocation::new("/nonexistent/a", "a");
        let first = factory.open(&here).expect("opens");
        let again = factory.reopen(&here).expect("reopens");
        assert!(Arc::ptr_eq(&first, &again), "a restart keeps the data");
        let next_case = factory.open(&here).expect("opens");
        assert!(!Arc::ptr_eq(&first, &next_case), "a case starts empty");
        let elsewhere = StorageLocation::new("/nonexistent/b", "b");
        let other = factory.reopen(&elsewhere).expect("opens");
        assert!(
            !Arc::ptr_eq(&next_case, &other),
            "another location, another store"
        );
        assert_eq!(
            factory.named("kept").name(),
            "kept",
            "a name of its own for reports"
        );
    }
}
