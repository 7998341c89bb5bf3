//! The run's temporary directory: one fresh location per case, made only
//! when the store asks for it.

use std::sync::Arc;

use crate::location::{LazyDir, Root, StorageLocation};

/// A harness temp directory holding one sub-directory per case; removed on
/// drop. Nothing is created until a store calls [`StorageLocation::dir`]:
/// an in-process store never does, and contract simulation runs thousands
/// of cases against one (a `mkdir`, a `statx` and a recursive removal per
/// case were a fifth of its time).
pub(crate) struct CaseDir {
    root: Arc<Root>,
}

impl CaseDir {
    pub(crate) fn new() -> Self {
        CaseDir {
            root: Arc::new(Root::new()),
        }
    }

    /// A fresh, empty location for case `n`: `<root>/case_000123`, namespace
    /// `case_000123`.
    pub(crate) fn case_location(&self, n: u64) -> StorageLocation {
        self.named_location(&format!("case_{n:06}"))
    }

    /// A fresh, empty location named `name` (`[a-z0-9_]`): `<root>/<name>`,
    /// namespace `name`.
    pub(crate) fn named_location(&self, name: &str) -> StorageLocation {
        StorageLocation::on_first_use(LazyDir::new(Arc::clone(&self.root), name), name)
    }

    pub(crate) fn remove_case(&self, location: &StorageLocation) {
        if let Some(dir) = location.created_dir() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for CaseDir {
    fn drop(&mut self) {
        if let Some(root) = self.root.created() {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_directories_are_fresh_and_removed() {
        let dir = CaseDir::new();
        let loc = dir.case_location(12);
        assert_eq!(loc.namespace(), "case_000012");
        assert!(loc.dir().is_dir());
        let root = dir
            .root
            .created()
            .expect("made with its case")
            .to_path_buf();
        std::fs::write(loc.dir().join("f"), "x").expect("write");
        let again = dir.case_location(12);
        assert!(
            !again.dir().join("f").exists(),
            "a reused case number starts empty"
        );
        dir.remove_case(&again);
        assert!(!again.dir().exists());
        drop(dir);
        assert!(!root.exists(), "the run's directory is removed");
    }

    #[test]
    fn nothing_is_created_until_a_store_asks() {
        let dir = CaseDir::new();
        let loc = dir.case_location(1);
        let copy = loc.clone();
        assert!(dir.root.created().is_none(), "no run directory yet");
        assert_eq!(loc, copy);
        assert_ne!(loc, dir.case_location(2));
        dir.remove_case(&loc);
        assert!(
            dir.root.created().is_none(),
            "removing an unused case makes nothing"
        );
        // Clones share the directory: one made, both see it.
        let made = copy.dir().to_path_buf();
        assert!(made.is_dir());
        assert_eq!(loc.dir(), made);
        drop(dir);
        assert!(!made.exists());
    }
}
