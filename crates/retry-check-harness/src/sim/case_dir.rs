//! The run's temporary directory: one fresh location per case.

use std::path::{Path, PathBuf};

use crate::store::{StorageLocation, StoreError};

/// A harness temp directory holding one sub-directory per case; removed on
/// drop.
pub(crate) struct CaseDir {
    root: PathBuf,
}

impl CaseDir {
    /// Under `/dev/shm` when it is a writable directory (Linux tmpfs),
    /// else under the system temp directory. A simulated crash drops the
    /// store and reopens it in the same process, so a case's files never
    /// need to survive more than the process: memory-backed storage is
    /// exactly as faithful as a disk and spares every `fsync` a durable
    /// store makes (the reference SQLite store syncs at each commit).
    pub(crate) fn new() -> Result<Self, StoreError> {
        let builder = {
            let mut b = tempfile::Builder::new();
            b.prefix("retry-check-sim-");
            b
        };
        let shm = Path::new("/dev/shm");
        let root = match shm.is_dir().then(|| builder.tempdir_in(shm)) {
            Some(Ok(dir)) => dir,
            _ => builder.tempdir()?,
        }
        .keep();
        Ok(CaseDir { root })
    }

    /// A fresh, empty location for case `n`: `<root>/case_000123`, namespace
    /// `case_000123`.
    pub(crate) fn case_location(&self, n: u64) -> Result<StorageLocation, StoreError> {
        self.named_location(&format!("case_{n:06}"))
    }

    /// A fresh, empty location named `name` (`[a-z0-9_]`): `<root>/<name>`,
    /// namespace `name`.
    pub(crate) fn named_location(&self, name: &str) -> Result<StorageLocation, StoreError> {
        let dir = self.root.join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(StorageLocation::new(dir, name))
    }

    pub(crate) fn remove_case(&self, location: &StorageLocation) {
        let _ = std::fs::remove_dir_all(location.dir());
    }
}

impl Drop for CaseDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_directories_are_fresh_and_removed() {
        let dir = CaseDir::new().expect("temp dir");
        let root = dir.root.clone();
        let loc = dir.case_location(12).expect("case dir");
        assert_eq!(loc.namespace(), "case_000012");
        assert!(loc.dir().is_dir());
        std::fs::write(loc.dir().join("f"), "x").expect("write");
        let again = dir.case_location(12).expect("case dir");
        assert!(
            !again.dir().join("f").exists(),
            "a reused case number starts empty"
        );
        dir.remove_case(&again);
        assert!(!again.dir().exists());
        drop(dir);
        assert!(!root.exists(), "the run's directory is removed");
    }
}
