//! The plugins folder, watched: every package in it loaded at start, reloaded when
//! its files change, refused (with the old version still serving) when the new one is
//! broken.
//!
//! A reload happens on the watcher's thread, off every call path: the new version is
//! read, compiled (or taken from the compile cache), linked against its world and
//! started once before it replaces the old one in a single swap. Whoever holds the
//! old version (a call in progress, a session) keeps it until done; the next lookup
//! gets the new one. Bursts of file events (an editor's save, a copy) are taken
//! together after a short quiet time.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use notify::{RecursiveMode, Watcher};

use crate::PluginEngine;
use crate::crm::ConnectorPlugin;
use crate::disposition::MapperPlugin;
use crate::error::LoadError;
use crate::ivr::IvrPlugin;
use crate::manifest::{Kind, Manifest};
use crate::pacer::PacerPlugin;
use crate::package::Package;
use crate::state::KvStore;

/// Quiet time after a file event before the package is read: long enough to take an
/// editor's burst of events together, short enough that a reload of a cached plugin
/// stays well under 50 ms.
const SETTLE: Duration = Duration::from_millis(20);

/// How many loads, refusals and removals the registry remembers for the pages: enough
/// for a day of an author's saves, bounded so that a package saved in a loop costs no
/// memory.
const HISTORY: usize = 200;

/// What a package held: its manifest as parsed, and its component's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    manifest: String,
    component: [u8; 32],
}

impl Fingerprint {
    fn of(package: &Package) -> Fingerprint {
        use sha2::Digest as _;
        Fingerprint {
            manifest: format!("{:?}", package.manifest),
            component: sha2::Sha256::digest(&package.component).into(),
        }
    }
}

/// A plugin version, of any kind.
#[derive(Clone)]
pub enum Plugin {
    /// A pacer.
    Pacer(Arc<PacerPlugin>),
    /// A disposition mapper.
    Mapper(Arc<MapperPlugin>),
    /// An IVR script.
    Ivr(Arc<IvrPlugin>),
    /// A CRM connector.
    Connector(Arc<ConnectorPlugin>),
}

impl Plugin {
    /// Compiles a package into a plugin of its manifest's kind, linked against its world
    /// and started once: what a load does, and what `ringhost plugin check` and an
    /// upload from the panel check before a package is installed.
    ///
    /// # Errors
    /// When the component does not compile, fit its world or start.
    pub fn load(
        engine: &PluginEngine,
        package: &Package,
        kv: KvStore,
    ) -> Result<Plugin, LoadError> {
        Ok(match package.manifest.kind {
            Kind::Pacer => Plugin::Pacer(Arc::new(PacerPlugin::load(engine, package, kv)?)),
            Kind::DispositionMapper => {
                Plugin::Mapper(Arc::new(MapperPlugin::load(engine, package, kv)?))
            }
            Kind::Ivr => Plugin::Ivr(Arc::new(IvrPlugin::load(engine, package, kv)?)),
            Kind::CrmConnector => {
                Plugin::Connector(Arc::new(ConnectorPlugin::load(engine, package, kv)?))
            }
        })
    }

    fn label(&self) -> &str {
        match self {
            Plugin::Pacer(p) => p.label(),
            Plugin::Mapper(p) => p.label(),
            Plugin::Ivr(p) => p.label(),
            Plugin::Connector(p) => p.label(),
        }
    }
}

/// A plugin serving now, as the panel lists it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What its package's manifest says (name, version, kind, WIT version).
    pub manifest: Manifest,
    /// The package it came from.
    pub package: PathBuf,
    /// When this version was swapped in (milliseconds since the Unix epoch).
    pub at_ms: i64,
}

/// What one load of a package did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// A plugin that was not there is serving.
    Loaded,
    /// A new version replaced the one serving (its `name@version`).
    Replaced(String),
    /// The package was refused, for this reason; the version before, if any, serves.
    Refused(String),
    /// The package is gone; the built-in behaviour serves.
    Removed,
}

/// One entry of the registry's history: loads, reloads, refusals and removals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reload {
    /// When (milliseconds since the Unix epoch).
    pub at_ms: i64,
    /// The package folder or archive.
    pub package: PathBuf,
    /// The plugin's `name@version`, when its manifest could be read.
    pub plugin: Option<String>,
    /// What happened.
    pub outcome: ReloadOutcome,
}

/// Why an uploaded package was not installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The package is refused, exactly as a load would refuse it.
    #[error(transparent)]
    Refused(#[from] LoadError),
    /// A plugin of this name is served from another package, which an upload does not
    /// overwrite: it is replaced where it is, or removed first.
    #[error("plugin `{name}` is served from {}; replace or remove that package instead", .package.display())]
    Elsewhere {
        /// The plugin's name.
        name: String,
        /// The package it is served from.
        package: PathBuf,
    },
    /// The package could not be written into the plugins folder.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The loaded plugins, by name, kept current with the folder.
#[derive(Clone)]
pub struct PluginRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    engine: PluginEngine,
    dir: PathBuf,
    plugins: RwLock<HashMap<String, Plugin>>,
    /// Which plugin each package folder holds, for removals.
    folders: Mutex<HashMap<PathBuf, String>>,
    /// What each package folder held when it was last loaded or refused: a file
    /// event that leaves the package as it was (the host's own reads, a touch, the
    /// same bytes written again) reloads nothing.
    fingerprints: Mutex<HashMap<PathBuf, Fingerprint>>,
    /// Each plugin's key-value store, kept across its versions.
    stores: Mutex<HashMap<String, KvStore>>,
    /// What each serving plugin is, by name.
    loaded: Mutex<HashMap<String, Loaded>>,
    /// The latest loads, refusals and removals, oldest first.
    history: Mutex<VecDeque<Reload>>,
    reloads: AtomicU64,
    refusals: AtomicU64,
}

impl PluginRegistry {
    /// Loads every package in `dir` (refusing broken ones with a log line) and watches
    /// the folder for changes.
    ///
    /// # Errors
    /// When the folder cannot be watched.
    pub fn open(engine: PluginEngine, dir: &Path) -> anyhow::Result<PluginRegistry> {
        std::fs::create_dir_all(dir)?;
        let registry = PluginRegistry {
            inner: Arc::new(Inner {
                engine,
                dir: dir.to_path_buf(),
                plugins: RwLock::default(),
                folders: Mutex::default(),
                fingerprints: Mutex::default(),
                stores: Mutex::default(),
                loaded: Mutex::default(),
                history: Mutex::default(),
                reloads: AtomicU64::new(0),
                refusals: AtomicU64::new(0),
            }),
        };
        for entry in std::fs::read_dir(dir)?.flatten() {
            // A folder without a manifest is not a package (yet): nothing to say.
            if Package::is_package(&entry.path()) {
                let _ = registry.load(&entry.path());
            }
        }
        registry.watch()?;
        Ok(registry)
    }

    /// The current version of the plugin called `name`, if it is of the kind `pick`
    /// picks out.
    fn current<T>(
        &self,
        name: &str,
        pick: impl FnOnce(&Plugin) -> Option<&Arc<T>>,
    ) -> Option<Arc<T>> {
        let plugins = self.inner.plugins.read().unwrap_or_else(|e| e.into_inner());
        plugins.get(name).and_then(pick).cloned()
    }

    /// The current version of a pacer.
    pub fn pacer(&self, name: &str) -> Option<Arc<PacerPlugin>> {
        self.current(name, |p| match p {
            Plugin::Pacer(p) => Some(p),
            _ => None,
        })
    }

    /// The current version of a disposition mapper.
    pub fn mapper(&self, name: &str) -> Option<Arc<MapperPlugin>> {
        self.current(name, |p| match p {
            Plugin::Mapper(p) => Some(p),
            _ => None,
        })
    }

    /// The current version of an IVR script.
    pub fn ivr(&self, name: &str) -> Option<Arc<IvrPlugin>> {
        self.current(name, |p| match p {
            Plugin::Ivr(p) => Some(p),
            _ => None,
        })
    }

    /// The current version of a CRM connector.
    pub fn connector(&self, name: &str) -> Option<Arc<ConnectorPlugin>> {
        self.current(name, |p| match p {
            Plugin::Connector(p) => Some(p),
            _ => None,
        })
    }

    /// Versions loaded or reloaded so far, and packages refused.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.inner.reloads.load(Ordering::Relaxed),
            self.inner.refusals.load(Ordering::Relaxed),
        )
    }

    /// The folder the packages are in.
    pub fn folder(&self) -> &Path {
        &self.inner.dir
    }

    /// The plugins serving now, by name.
    pub fn loaded(&self) -> Vec<Loaded> {
        let loaded = self.inner.loaded.lock().unwrap_or_else(|e| e.into_inner());
        let mut loaded: Vec<Loaded> = loaded.values().cloned().collect();
        loaded.sort_by(|a, b| a.manifest.name.cmp(&b.manifest.name));
        loaded
    }

    /// The latest loads, reloads, refusals and removals, newest first.
    pub fn history(&self) -> Vec<Reload> {
        let history = self.inner.history.lock().unwrap_or_else(|e| e.into_inner());
        history.iter().rev().cloned().collect()
    }

    /// Loads (or reloads) the package in `folder` and swaps it in; a refused package
    /// leaves the version that was serving in place.
    ///
    /// # Errors
    /// When the package is refused.
    pub fn load(&self, folder: &Path) -> Result<(), LoadError> {
        let started = Instant::now();
        let package = Package::read(folder);
        if let Ok(package) = &package {
            self.inner
                .fingerprints
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(folder.to_path_buf(), Fingerprint::of(package));
        }
        let package = package.map_err(|error| self.refused(folder, None, error.into()))?;
        let plugin = self.compile(&package).map_err(|error| {
            let label = format!("{}@{}", package.manifest.name, package.manifest.version);
            self.refused(folder, Some(label), error)
        })?;
        self.swap_in(package, plugin);
        let took_ms = started.elapsed().as_secs_f64() * 1e3;
        tracing::debug!(package = %folder.display(), took_ms, "plugin package read, compiled and started");
        Ok(())
    }

    /// Puts `plugin`, compiled from `package`, in place of the version serving, if any.
    fn swap_in(&self, package: Package, plugin: Plugin) {
        let label = plugin.label().to_owned();
        let name = package.manifest.name.clone();
        self.inner
            .folders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(package.path.clone(), name.clone());
        let old = self
            .inner
            .plugins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.clone(), plugin);
        let loaded = Loaded {
            manifest: package.manifest,
            package: package.path,
            at_ms: now_ms(),
        };
        let outcome = match &old {
            Some(old) => ReloadOutcome::Replaced(old.label().to_owned()),
            None => ReloadOutcome::Loaded,
        };
        self.remember(&loaded.package, Some(label.clone()), outcome);
        self.inner
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, loaded);
        self.inner.reloads.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("ringhost_plugin_reloads_total", "result" => "loaded").increment(1);
        match old {
            Some(old) => tracing::info!(plugin = %label, replaces = old.label(), "plugin reloaded"),
            None => tracing::info!(plugin = %label, "plugin loaded"),
        }
    }

    /// Counts, logs and remembers a refused package; gives the error back.
    fn refused(&self, package: &Path, plugin: Option<String>, error: LoadError) -> LoadError {
        self.inner.refusals.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("ringhost_plugin_reloads_total", "result" => "refused").increment(1);
        tracing::warn!(package = %package.display(), %error, "plugin package refused; the version loaded before, if any, keeps serving");
        self.remember(package, plugin, ReloadOutcome::Refused(error.to_string()));
        error
    }

    fn remember(&self, package: &Path, plugin: Option<String>, outcome: ReloadOutcome) {
        let mut history = self.inner.history.lock().unwrap_or_else(|e| e.into_inner());
        if history.len() == HISTORY {
            history.pop_front();
        }
        history.push_back(Reload {
            at_ms: now_ms(),
            package: package.to_path_buf(),
            plugin,
            outcome,
        });
    }

    /// Installs an uploaded package archive (`.tar.gz` bytes) as `NAME.tar.gz` in the
    /// plugins folder, after checking it exactly as a load does: a refused package is
    /// not written, and the version serving stays. Returns the plugin now serving.
    ///
    /// # Errors
    /// A refused package, a plugin of the same name served from another package, or a
    /// folder that cannot be written.
    pub fn install(&self, archive: &[u8]) -> Result<Loaded, InstallError> {
        let dir = &self.inner.dir;
        // Named in errors as the upload; its path becomes the file it is installed as.
        let named =
            Package::from_archive(archive, Path::new("upload.tar.gz")).map_err(LoadError::from)?;
        let name = named.manifest.name.clone();
        let target = dir.join(format!("{name}.tar.gz"));
        let upload = Package {
            path: target.clone(),
            ..named
        };
        let served_from = self
            .inner
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&name)
            .map(|loaded| loaded.package.clone());
        if let Some(package) = served_from.filter(|package| *package != target) {
            return Err(InstallError::Elsewhere { name, package });
        }
        // Checked before anything is written: the same compile, link and start as a load.
        let plugin = self.compile(&upload).map_err(|error| {
            let label = format!("{name}@{}", upload.manifest.version);
            self.refused(&target, Some(label), error)
        })?;
        // What the watcher will see is already known, so it does not load it again.
        self.inner
            .fingerprints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(target.clone(), Fingerprint::of(&upload));
        // Written beside the target under a name that is not a package, then renamed
        // over it whole, so the watcher never reads half a file.
        let partial = dir.join(format!(".{name}.tar.gz.part"));
        let write = |path: &Path, result: std::io::Result<()>| {
            result.map_err(|source| InstallError::Write {
                path: path.to_path_buf(),
                source,
            })
        };
        write(&partial, std::fs::write(&partial, archive))?;
        write(&target, std::fs::rename(&partial, &target))?;
        self.swap_in(upload, plugin);
        let loaded = self.inner.loaded.lock().unwrap_or_else(|e| e.into_inner());
        Ok(loaded
            .get(&name)
            .cloned()
            .expect("the package just swapped in is serving"))
    }

    /// Whether the package in `folder` differs from what was last loaded or refused
    /// from it (or cannot be read, which the load will report).
    fn changed(&self, folder: &Path) -> bool {
        let Ok(package) = Package::read(folder) else {
            return true;
        };
        let fingerprints = self
            .inner
            .fingerprints
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        fingerprints.get(folder) != Some(&Fingerprint::of(&package))
    }

    fn compile(&self, package: &Package) -> Result<Plugin, LoadError> {
        let kv = self
            .inner
            .stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(package.manifest.name.clone())
            .or_default()
            .clone();
        Plugin::load(&self.inner.engine, package, kv)
    }

    /// A folder that is gone: its plugin is unloaded (callers fall back to the
    /// built-in behaviour).
    fn remove(&self, folder: &Path) {
        let name = self
            .inner
            .folders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(folder);
        self.inner
            .fingerprints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(folder);
        let Some(name) = name else {
            return;
        };
        let removed = self
            .inner
            .plugins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&name);
        if let Some(removed) = removed {
            self.inner
                .loaded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&name);
            self.remember(
                folder,
                Some(removed.label().to_owned()),
                ReloadOutcome::Removed,
            );
            tracing::info!(plugin = %name, "plugin package removed; its built-in fallback serves");
        }
    }

    fn watch(&self) -> anyhow::Result<()> {
        let (events, changes) = std::sync::mpsc::channel();
        let mut watcher = notify::recommended_watcher(events)?;
        watcher.watch(&self.inner.dir, RecursiveMode::Recursive)?;
        let registry = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name("ringhost-plugin-watch".into())
            .spawn(move || {
                // The watcher lives as long as this thread.
                let _watcher = watcher;
                while let Ok(first) = changes.recv() {
                    let mut paths = BTreeSet::new();
                    let mut take = |event: notify::Result<notify::Event>| {
                        // Reads (the host's own among them) change nothing.
                        match event {
                            Ok(event) if !event.kind.is_access() => paths.extend(event.paths),
                            _ => {}
                        }
                    };
                    take(first);
                    while let Ok(more) = changes.recv_timeout(SETTLE) {
                        take(more);
                    }
                    let Some(inner) = registry.upgrade() else {
                        break;
                    };
                    let registry = PluginRegistry { inner };
                    for folder in registry.package_folders(&paths) {
                        if Package::is_package(&folder) {
                            if registry.changed(&folder) {
                                let _ = registry.load(&folder);
                            }
                        } else if !folder.exists() {
                            registry.remove(&folder);
                        }
                    }
                }
            })?;
        Ok(())
    }

    /// The package folders (direct children of the plugins folder) that `paths` touch.
    fn package_folders(&self, paths: &BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
        let dir = &self.inner.dir;
        paths
            .iter()
            .filter_map(|path| {
                let relative = path.strip_prefix(dir).ok()?;
                let first = relative.components().next()?;
                Some(dir.join(first))
            })
            .collect()
    }
}

/// Wall-clock milliseconds since the Unix epoch, for the history the pages show.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
