//! What a plugin instance's store holds: its sandbox (a WASI context with nothing in
//! it: no files, no sockets, no environment, no inherited stdio), its memory limit,
//! and the host imports of `ringhost:plugin/host` and `kv`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use wasmtime::ResourceLimiter;
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};

/// The largest value the key-value store takes.
pub const KV_VALUE_LIMIT: usize = 64 << 10;
/// The most keys one plugin may keep.
pub const KV_KEY_LIMIT: usize = 10_000;

/// A plugin's key-value store, shared by its instances and kept across reloads.
pub type KvStore = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// What `host.now-ms` answers a plugin: the wall clock, or a simulation's, which its
/// driver moves (the pacing simulator runs pacers in simulated time).
#[derive(Debug, Clone, Default)]
pub enum PluginClock {
    /// Milliseconds since the epoch, now.
    #[default]
    System,
    /// Whatever the driver last stored.
    Manual(Arc<AtomicU64>),
}

impl PluginClock {
    /// The time a plugin is told, in milliseconds since the epoch.
    pub fn now_ms(&self) -> u64 {
        match self {
            PluginClock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            PluginClock::Manual(now) => now.load(Ordering::Relaxed),
        }
    }
}

/// One instance's host-side state.
pub struct PluginState {
    /// `name@version`, for logs.
    pub(crate) label: String,
    pub(crate) config: Arc<BTreeMap<String, String>>,
    pub(crate) kv: KvStore,
    pub(crate) clock: PluginClock,
    /// Hosts the `http` import may reach (connectors only; empty for the others).
    pub(crate) allowed_hosts: Arc<Vec<String>>,
    pub(crate) limits: MemoryLimit,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl PluginState {
    pub(crate) fn new(
        label: String,
        config: Arc<BTreeMap<String, String>>,
        kv: KvStore,
        clock: PluginClock,
        allowed_hosts: Arc<Vec<String>>,
        memory_bytes: usize,
    ) -> PluginState {
        PluginState {
            label,
            config,
            kv,
            clock,
            allowed_hosts,
            limits: MemoryLimit {
                max: memory_bytes,
                hit: false,
            },
            // Nothing is granted: no preopened directories, no sockets, no environment.
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        }
    }

    /// Whether the instance tried to grow past its memory limit (its call then trapped).
    pub(crate) fn limits_hit(&self) -> bool {
        self.limits.hit
    }

    pub(crate) fn log(&self, level: tracing::Level, message: &str) {
        let plugin = self.label.as_str();
        match level {
            tracing::Level::ERROR => tracing::error!(plugin, "{message}"),
            tracing::Level::WARN => tracing::warn!(plugin, "{message}"),
            tracing::Level::INFO => tracing::info!(plugin, "{message}"),
            tracing::Level::DEBUG => tracing::debug!(plugin, "{message}"),
            tracing::Level::TRACE => tracing::trace!(plugin, "{message}"),
        }
    }

    pub(crate) fn kv_get(&self, key: &str) -> Option<Vec<u8>> {
        self.kv
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    pub(crate) fn kv_set(&self, key: String, value: Vec<u8>) -> bool {
        let mut kv = self.kv.lock().unwrap_or_else(|e| e.into_inner());
        if value.len() > KV_VALUE_LIMIT || (kv.len() >= KV_KEY_LIMIT && !kv.contains_key(&key)) {
            return false;
        }
        kv.insert(key, value);
        true
    }

    pub(crate) fn kv_delete(&self, key: &str) {
        self.kv
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The memory limit of one instance: growing past it traps the call (rather than
/// failing the allocation, which most guests' allocators turn into a trap anyway),
/// and remembers it so that the failure is reported as a memory failure.
pub(crate) struct MemoryLimit {
    max: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryLimit {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            wasmtime::bail!(
                "memory limit of {} bytes reached (wanted {desired})",
                self.max
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
