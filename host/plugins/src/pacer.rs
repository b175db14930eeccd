//! Pacer plugins, and the built-in progressive pacer that stands in when a campaign
//! has none or its plugin fails.
//!
//! A pacer is called often (whenever a campaign's state changes) and must be cheap:
//! one instance per plugin version is kept and called again and again; it is replaced
//! by a fresh one from the `InstancePre` only after a failure, since a trapped instance
//! cannot be entered again.

use std::sync::Mutex;

use wasmtime::Store;

use crate::error::{CallError, LoadError};
use crate::instance::Loaded;
use crate::manifest::Kind;
use crate::package::Package;
use crate::state::PluginState;
use crate::{PluginEngine, state::KvStore};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({ path: "../../wit", world: "pacer" });
}

pub use bindings::exports::ringhost::plugin::pacing::{AgentBasis, Parameters, Snapshot};

/// A loaded pacer plugin.
pub struct PacerPlugin {
    loaded: Loaded,
    pre: bindings::PacerPre<PluginState>,
    instance: Mutex<Option<(Store<PluginState>, bindings::Pacer)>>,
}

impl PacerPlugin {
    /// Compiles a pacer package and checks it against the `pacer` world.
    ///
    /// # Errors
    /// When the package is of another kind, does not compile, or does not fit the world.
    pub fn load(
        engine: &PluginEngine,
        package: &Package,
        kv: KvStore,
    ) -> Result<PacerPlugin, LoadError> {
        let loaded = Loaded::compile(engine, package, Kind::Pacer, kv)?;
        let mut linker = loaded.linker()?;
        bindings::Pacer::add_to_linker::<PluginState, wasmtime::component::HasSelf<PluginState>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| loaded.refuse(e))?;
        let pre = linker
            .instantiate_pre(&loaded.component)
            .and_then(bindings::PacerPre::new)
            .map_err(|e| loaded.refuse(e))?;
        let plugin = PacerPlugin {
            loaded,
            pre,
            instance: Mutex::new(None),
        };
        // Instantiating once proves the exports are there and the start-up runs.
        plugin.instantiate().map_err(|e| plugin.loaded.refuse(e))?;
        Ok(plugin)
    }

    /// `name@version`.
    pub fn label(&self) -> &str {
        &self.loaded.label
    }

    /// Whether the compiled form came from the cache.
    pub fn from_cache(&self) -> bool {
        self.loaded.from_cache
    }

    fn instantiate(&self) -> wasmtime::Result<(Store<PluginState>, bindings::Pacer)> {
        let mut store = self.loaded.store();
        let pacer = self.pre.instantiate(&mut store)?;
        Ok((store, pacer))
    }

    /// Asks the plugin how many calls to start.
    ///
    /// # Errors
    /// When the call traps, runs past its deadline or over its memory limit; the
    /// instance is then dropped and the next call gets a fresh one.
    pub fn pace(&self, snapshot: &Snapshot) -> Result<u32, CallError> {
        let mut slot = self.instance.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(
                self.instantiate()
                    .map_err(|e| CallError::Trap(format!("{e:#}")))?,
            );
        }
        let Some((store, pacer)) = slot.as_mut() else {
            unreachable!("filled above")
        };
        store.set_epoch_deadline(self.loaded.call_ticks);
        match pacer
            .ringhost_plugin_pacing()
            .call_pace(&mut *store, snapshot)
        {
            Ok(calls) => Ok(calls),
            Err(error) => {
                let memory = store.data().limits_hit();
                *slot = None;
                Err(CallError::from_wasmtime(&error, memory))
            }
        }
    }
}

/// How many calls to start: the plugin's answer, or the built-in progressive pacer's
/// when there is no plugin or it failed (the failure is logged and counted).
pub fn pace(plugin: Option<&PacerPlugin>, snapshot: &Snapshot) -> u32 {
    if let Some(plugin) = plugin {
        match plugin.pace(snapshot) {
            Ok(calls) => return calls,
            Err(error) => {
                tracing::warn!(plugin = plugin.label(), %error, "pacer failed; the built-in progressive pacer answers");
                metrics::counter!("ringhost_plugin_failures_total", "plugin" => plugin.label().to_owned(), "reason" => error.label())
                    .increment(1);
            }
        }
    }
    progressive(snapshot)
}

/// The built-in pacer: a call for each ready agent with none on its way.
pub fn progressive(snapshot: &Snapshot) -> u32 {
    let on_their_way = snapshot.calls_dialing + snapshot.calls_ringing + snapshot.calls_queued;
    snapshot.agents_ready.saturating_sub(on_their_way)
}

/// The shared imports, implemented once for every world's bindings.
impl bindings::ringhost::plugin::host::Host for PluginState {
    fn log(&mut self, level: bindings::ringhost::plugin::host::Level, message: String) {
        use bindings::ringhost::plugin::host::Level;
        let level = match level {
            Level::Trace => tracing::Level::TRACE,
            Level::Debug => tracing::Level::DEBUG,
            Level::Info => tracing::Level::INFO,
            Level::Warn => tracing::Level::WARN,
            Level::Error => tracing::Level::ERROR,
        };
        PluginState::log(self, level, &message);
    }

    fn now_ms(&mut self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }
}

impl bindings::ringhost::plugin::kv::Host for PluginState {
    fn get(&mut self, key: String) -> Option<Vec<u8>> {
        self.kv_get(&key)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> bool {
        self.kv_set(key, value)
    }

    fn delete(&mut self, key: String) {
        self.kv_delete(&key);
    }
}
