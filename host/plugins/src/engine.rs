//! The one wasmtime [`Engine`] of the process, its epoch ticker, its limits, and the
//! compilation cache.
//!
//! One engine for every plugin: engines are expensive (an engine per module has been
//! seen to cost gigabytes) and every compiled component must come from the engine
//! that runs it. Epoch interruption bounds every call in time: a thread outside the
//! async runtime ticks the epoch every millisecond, so a guest spinning in a loop is
//! stopped at its deadline even when every runtime worker is busy.
//!
//! Compiling a component takes 40 ms (Rust) to 4 s (Python, JavaScript). Compiled
//! artifacts are kept on disk under the data directory, named by the SHA-256 of the
//! component and the engine's compatibility hash, so that a restart or the reload of
//! an unchanged plugin only maps the file.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// The epoch ticks this often; deadlines are counted in ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Limits every plugin instance runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest one call into a pacer or a mapper may run.
    pub call_deadline: Duration,
    /// The longest one IVR event may run.
    pub session_deadline: Duration,
    /// The longest one connector call may run, its HTTP exchanges included.
    pub connector_deadline: Duration,
    /// The most linear memory one instance may grow to.
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            call_deadline: Duration::from_millis(20),
            session_deadline: Duration::from_millis(500),
            connector_deadline: Duration::from_secs(10),
            memory_bytes: 64 << 20,
        }
    }
}

/// The engine, shared by every plugin.
#[derive(Clone)]
pub struct PluginEngine {
    engine: Engine,
    cache: Option<PathBuf>,
    limits: Limits,
    _ticker: Arc<Ticker>,
}

/// Stops the epoch thread when the last engine handle goes.
struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl PluginEngine {
    /// An engine with epoch interruption; compiled components are cached in `cache`
    /// when given.
    ///
    /// # Errors
    /// When wasmtime cannot be configured for this machine.
    pub fn new(cache: Option<PathBuf>, limits: Limits) -> anyhow::Result<PluginEngine> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        let engine = Engine::new(&config)?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticking = engine.weak();
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("ringhost-plugin-epoch".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match ticking.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        if let Some(dir) = &cache {
            std::fs::create_dir_all(dir)?;
        }
        Ok(PluginEngine {
            engine,
            cache,
            limits,
            _ticker: Arc::new(Ticker { stop }),
        })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits instances run under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Epoch ticks for a deadline, at least one.
    pub fn ticks(&self, deadline: Duration) -> u64 {
        (deadline.as_micros() / EPOCH_TICK.as_micros()).max(1) as u64
    }

    /// Compiles a component, or loads its compiled form from the cache; says which.
    ///
    /// # Errors
    /// When the bytes are not a valid component.
    pub fn compile(&self, bytes: &[u8]) -> anyhow::Result<(Component, bool)> {
        let Some(path) = self.cached_path(bytes) else {
            return Ok((Component::new(&self.engine, bytes)?, false));
        };
        if path.exists() {
            #[allow(unsafe_code)]
            // SAFETY: the file was written by `precompile_component` of an engine with
            // the same compatibility hash (it is in the name), into the host's own data
            // directory, and renamed into place whole; the content hash in the name
            // ties it to these bytes.
            match unsafe { Component::deserialize_file(&self.engine, &path) } {
                Ok(component) => return Ok((component, true)),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "unusable cached plugin artifact, compiling again")
                }
            }
        }
        let compiled = self.engine.precompile_component(bytes)?;
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, &compiled)?;
        std::fs::rename(&temporary, &path)?;
        #[allow(unsafe_code)]
        // SAFETY: just produced by this engine's `precompile_component`.
        let component = unsafe { Component::deserialize(&self.engine, &compiled)? };
        Ok((component, false))
    }

    fn cached_path(&self, bytes: &[u8]) -> Option<PathBuf> {
        let dir = self.cache.as_deref()?;
        let mut engine_hash = DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let content = Sha256::digest(bytes);
        let name = format!("{:x}-{:016x}.cwasm", content, engine_hash.finish());
        Some(Path::new(dir).join(name))
    }
}
