//! A file the server re-reads when it changes, without a restart (key sets, revocation
//! lists). The modification time is looked at no more than once a second.

use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
    time::{Duration, Instant, SystemTime},
};

const CHECK_EVERY: Duration = Duration::from_secs(1);

struct Snapshot<T> {
    modified: Option<SystemTime>,
    checked: Instant,
    value: Arc<T>,
}

/// The parsed content of a file, kept current.
pub struct WatchedFile<T> {
    path: PathBuf,
    parse: fn(&str) -> Result<T, String>,
    snapshot: RwLock<Snapshot<T>>,
}

impl<T> WatchedFile<T> {
    /// Reads and parses the file now; a file that cannot be read or parsed stops the start.
    pub fn open(path: PathBuf, parse: fn(&str) -> Result<T, String>) -> Result<Self, String> {
        let (value, modified) = read(&path, parse)?;
        Ok(Self {
            path,
            parse,
            snapshot: RwLock::new(Snapshot {
                modified,
                checked: Instant::now(),
                value: Arc::new(value),
            }),
        })
    }

    /// The current content. A changed file that no longer parses keeps the last good
    /// content (and says so in the log), so a bad edit cannot lock everyone out.
    pub fn current(&self) -> Arc<T> {
        let stale = self
            .snapshot
            .read()
            .map(|s| s.checked.elapsed() >= CHECK_EVERY)
            .unwrap_or(false);
        if stale {
            self.refresh();
        }
        match self.snapshot.read() {
            Ok(snapshot) => Arc::clone(&snapshot.value),
            Err(poisoned) => Arc::clone(&poisoned.into_inner().value),
        }
    }

    fn refresh(&self) {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let Ok(mut snapshot) = self.snapshot.write() else {
            return;
        };
        snapshot.checked = Instant::now();
        if modified == snapshot.modified {
            return;
        }
        match read(&self.path, self.parse) {
            Ok((value, modified)) => {
                tracing::info!(path = %self.path.display(), "reloaded");
                snapshot.value = Arc::new(value);
                snapshot.modified = modified;
            }
            Err(err) => {
                tracing::error!(path = %self.path.display(), error = %err, "kept the previous content")
            }
        }
    }
}

fn read<T>(
    path: &PathBuf,
    parse: fn(&str) -> Result<T, String>,
) -> Result<(T, Option<SystemTime>), String> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((value, modified))
}
