//! Where a store keeps a case's data: [`StorageLocation`], and the
//! harness's case directories, made only when a store asks for one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Where a store keeps its data for one case. The harness creates a fresh
/// location per case (a new directory, a namespace no other case of the run
/// has) and hands the *same* location to every reopen, so a store restart
/// is "drop the store, open it again here".
#[derive(Clone, Debug)]
pub struct StorageLocation {
    dir: Dir,
    namespace: String,
}

#[derive(Clone, Debug)]
enum Dir {
    /// A directory the caller chose.
    Given(PathBuf),
    /// A harness case's directory, made when a store first asks for it
    /// (clones share it).
    OnFirstUse(Arc<LazyDir>),
}

impl StorageLocation {
    /// A location: a directory the store may write files under, and a
    /// namespace unique to the case (a key prefix or schema name for a shared
    /// database server).
    pub fn new(dir: impl Into<PathBuf>, namespace: impl Into<String>) -> Self {
        StorageLocation {
            dir: Dir::Given(dir.into()),
            namespace: namespace.into(),
        }
    }

    pub(crate) fn on_first_use(dir: LazyDir, namespace: impl Into<String>) -> Self {
        StorageLocation {
            dir: Dir::OnFirstUse(Arc::new(dir)),
            namespace: namespace.into(),
        }
    }

    /// A directory private to this case. For a harness case it is created
    /// (empty) the first time a store asks for it, so a store that keeps no
    /// files costs the run no directory.
    pub fn dir(&self) -> &Path {
        match &self.dir {
            Dir::Given(dir) => dir,
            Dir::OnFirstUse(lazy) => lazy.path(),
        }
    }

    /// The harness case's directory, if a store asked for it.
    pub(crate) fn created_dir(&self) -> Option<&Path> {
        match &self.dir {
            Dir::Given(dir) => Some(dir),
            Dir::OnFirstUse(lazy) => lazy.created(),
        }
    }

    /// A name unique to this case, made of `[a-z0-9_]` only, so it is safe
    /// as a SQL identifier or key prefix.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

/// Two locations are equal when they are the same place: the same
/// directory (or the same harness case) and namespace.
impl PartialEq for StorageLocation {
    fn eq(&self, other: &Self) -> bool {
        self.namespace == other.namespace
            && match (&self.dir, &other.dir) {
                (Dir::Given(a), Dir::Given(b)) => a == b,
                (Dir::OnFirstUse(a), Dir::OnFirstUse(b)) => Arc::ptr_eq(a, b) || a.same_place(b),
                _ => false,
            }
    }
}

impl Eq for StorageLocation {}

/// The run's directory, created on first use.
#[derive(Debug)]
pub(crate) struct Root {
    path: OnceLock<Option<PathBuf>>,
}

impl Root {
    pub(crate) fn new() -> Self {
        Root {
            path: OnceLock::new(),
        }
    }

    /// Under `/dev/shm` when it is a writable directory (Linux tmpfs),
    /// else under the system temp directory. A simulated crash drops the
    /// store and reopens it in the same process, so a case's files never
    /// need to survive more than the process: memory-backed storage is
    /// exactly as faithful as a disk and spares every `fsync` a durable
    /// store makes (the reference SQLite store syncs at each commit).
    /// `None` when no temp directory can be made: the store then fails to
    /// open, with the operating system's error.
    fn path(&self) -> Option<&Path> {
        self.path
            .get_or_init(|| {
                let mut builder = tempfile::Builder::new();
                builder.prefix("retry-check-sim-");
                let shm = Path::new("/dev/shm");
                let dir = match shm.is_dir().then(|| builder.tempdir_in(shm)) {
                    Some(Ok(dir)) => Ok(dir),
                    _ => builder.tempdir(),
                };
                dir.ok().map(tempfile::TempDir::keep)
            })
            .as_deref()
    }

    pub(crate) fn created(&self) -> Option<&Path> {
        self.path.get().and_then(|p| p.as_deref())
    }
}

/// One case's directory: `<root>/<name>`, emptied and created the first
/// time any clone of its location asks for it.
#[derive(Debug)]
pub(crate) struct LazyDir {
    root: Arc<Root>,
    name: String,
    path: OnceLock<PathBuf>,
}

impl LazyDir {
    pub(crate) fn new(root: Arc<Root>, name: &str) -> Self {
        LazyDir {
            root,
            name: name.to_string(),
            path: OnceLock::new(),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.path.get_or_init(|| {
            let Some(root) = self.root.path() else {
                return std::env::temp_dir()
                    .join("retry-check-sim-unavailable")
                    .join(&self.name);
            };
            let dir = root.join(&self.name);
            // A name reused in the run (the threaded phase's rounds)
            // starts empty.
            if dir.exists() {
                let _ = std::fs::remove_dir_all(&dir);
            }
            let _ = std::fs::create_dir_all(&dir);
            dir
        })
    }

    /// The directory, if a store asked for it.
    pub(crate) fn created(&self) -> Option<&Path> {
        self.path.get().map(PathBuf::as_path)
    }

    /// The same case directory (one run, one name).
    pub(crate) fn same_place(&self, other: &LazyDir) -> bool {
        Arc::ptr_eq(&self.root, &other.root) && self.name == other.name
    }
}
