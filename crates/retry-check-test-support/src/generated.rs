//! Files the repository commits but the code generates (the rule
//! reference, ...): a test compares the file with what the code makes now
//! and, outside CI, rewrites it and fails once, so the new file is
//! reviewed and committed.

use std::path::Path;

/// Check that `path` holds `wanted`; `how` says how to regenerate it by
/// hand (shown in CI, where the file is never written).
pub fn check_file(path: &Path, wanted: &str, how: &str) {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current == wanted {
        return;
    }
    if crate::in_ci() {
        panic!("{} is stale; {how}", path.display());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(path, wanted).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    panic!(
        "{} was stale and has been regenerated; review it and test again",
        path.display()
    );
}
