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

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::PluginEngine;
use crate::crm::ConnectorPlugin;
use crate::disposition::MapperPlugin;
use crate::error::LoadError;
use crate::ivr::IvrPlugin;
use crate::manifest::Kind;
use crate::pacer::PacerPlugin;
use crate::package::Package;
use crate::state::KvStore;

/// Quiet time after a file event before the package is read: long enough to take an
/// editor's burst of events together, short enough that a reload of a cached plugin
/// stays well under 50 ms.
const SETTLE: Duration = Duration::from_millis(20);

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
    fn label(&self) -> &str {
        match self {
            Plugin::Pacer(p) => p.label(),
            Plugin::Mapper(p) => p.label(),
            Plugin::Ivr(p) => p.label(),
            Plugin::Connector(p) => p.label(),
        }
    }
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
        let result = package
            .map_err(LoadError::from)
            .and_then(|p| self.compile(&p));
        match result {
            Ok(plugin) => {
                let label = plugin.label().to_owned();
                let name = label.split('@').next().unwrap_or_default().to_owned();
                self.inner
                    .folders
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(folder.to_path_buf(), name.clone());
                let old = self
                    .inner
                    .plugins
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(name, plugin);
                self.inner.reloads.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("ringhost_plugin_reloads_total", "result" => "loaded")
                    .increment(1);
                let took_ms = started.elapsed().as_secs_f64() * 1e3;
                match old {
                    Some(old) => {
                        tracing::info!(plugin = %label, replaces = old.label(), took_ms, "plugin reloaded")
                    }
                    None => tracing::info!(plugin = %label, took_ms, "plugin loaded"),
                }
                Ok(())
            }
            Err(error) => {
                self.inner.refusals.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("ringhost_plugin_reloads_total", "result" => "refused")
                    .increment(1);
                tracing::warn!(package = %folder.display(), %error, "plugin package refused; the version loaded before, if any, keeps serving");
                Err(error)
            }
        }
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
        let engine = &self.inner.engine;
        match package.manifest.kind {
            Kind::Pacer => Ok(Plugin::Pacer(Arc::new(PacerPlugin::load(
                engine, package, kv,
            )?))),
            Kind::DispositionMapper => Ok(Plugin::Mapper(Arc::new(MapperPlugin::load(
                engine, package, kv,
            )?))),
            Kind::Ivr => Ok(Plugin::Ivr(Arc::new(IvrPlugin::load(engine, package, kv)?))),
            Kind::CrmConnector => Ok(Plugin::Connector(Arc::new(ConnectorPlugin::load(
                engine, package, kv,
            )?))),
        }
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
        if let Some(name) = name
            && self
                .inner
                .plugins
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&name)
                .is_some()
        {
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
