//! Objects a push has brought but not yet accepted. Git hands a pre-receive hook the new objects
//! in a quarantine directory (`GIT_OBJECT_DIRECTORY`), with the repository's own objects as
//! alternates (`GIT_ALTERNATE_OBJECT_DIRECTORIES`). gix reads neither variable, so a private
//! objects directory whose alternates name all of them stands in for the repository's.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A throwaway objects directory that only names others; removed when dropped.
#[derive(Debug)]
pub struct ObjectView {
    dir: PathBuf,
}

impl ObjectView {
    /// The view git's variables ask for, when they ask for one.
    pub fn from_environment(own_objects: &Path) -> std::io::Result<Option<ObjectView>> {
        let Some(primary) = std::env::var_os("GIT_OBJECT_DIRECTORY") else { return Ok(None) };
        let mut dirs = vec![PathBuf::from(primary)];
        if let Some(alternates) = std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
            dirs.extend(std::env::split_paths(&alternates));
        }
        dirs.push(own_objects.to_owned());
        let current = std::env::current_dir()?;
        let view = ObjectView { dir: new_dir()? };
        std::fs::create_dir(view.dir.join("info"))?;
        std::fs::create_dir(view.dir.join("pack"))?;
        let mut lines = String::new();
        for dir in &dirs {
            lines.push_str(&format!("{}\n", current.join(dir).display()));
        }
        std::fs::write(view.dir.join("info").join("alternates"), lines)?;
        Ok(Some(view))
    }

    /// An empty objects directory that reads `own` through its alternates: for a git command
    /// whose objects are thrown away (a merge only tried), so that it writes nothing into `own`.
    pub fn scratch(own: &Path) -> std::io::Result<ObjectView> {
        let view = ObjectView { dir: new_dir()? };
        std::fs::create_dir(view.dir.join("info"))?;
        std::fs::create_dir(view.dir.join("pack"))?;
        std::fs::write(view.dir.join("info").join("alternates"), format!("{}\n", own.display()))?;
        Ok(view)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

/// A directory of its own under the temp dir: named by the process and a count, and created
/// here, never one that was there before (a name taken is passed over).
fn new_dir() -> std::io::Result<PathBuf> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("git-release-objects-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && n < u32::MAX => {}
            done => return done.map(|()| dir),
        }
    }
}

impl Drop for ObjectView {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
