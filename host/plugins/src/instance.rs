//! What every kind of plugin shares once compiled: its label, component, settings,
//! key-value store and limits, and how a store and a linker are made for it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use wasmtime::Store;
use wasmtime::component::{Component, InstancePre, Linker};

use crate::PluginEngine;
use crate::error::{CallError, LoadError};
use crate::manifest::Kind;
use crate::package::Package;
use crate::state::{KvStore, PluginClock, PluginState};

/// How long an instance's start-up may run (a Python interpreter's takes half a
/// millisecond on a quiet machine, far more on a busy one).
const STARTUP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The first eight bytes of a core WebAssembly module (magic, version 1); a
/// component's layer and version differ.
const CORE_MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// How long one call into a plugin of `kind` may run: a pacer's or a mapper's is on
/// the dialer's pass, an IVR's on a call's event, a connector's waits on the network.
fn call_deadline(kind: Kind, limits: crate::Limits) -> std::time::Duration {
    match kind {
        Kind::Pacer | Kind::DispositionMapper => limits.call_deadline,
        Kind::Ivr => limits.session_deadline,
        Kind::CrmConnector => limits.connector_deadline,
    }
}

/// A compiled plugin version, before it is bound to its world.
pub(crate) struct Loaded {
    pub(crate) label: String,
    pub(crate) component: Component,
    pub(crate) from_cache: bool,
    pub(crate) call_ticks: u64,
    startup_ticks: u64,
    engine: PluginEngine,
    config: Arc<BTreeMap<String, String>>,
    kv: KvStore,
    /// What the plugin's `now-ms` reads: the wall clock unless a simulation sets one.
    pub(crate) clock: PluginClock,
    allowed_hosts: Arc<Vec<String>>,
}

impl Loaded {
    /// The one loader of the four worlds: compiles (or loads from the cache) a package
    /// of `kind`, links WASI (nothing granted) and the world's imports
    /// (`add_imports`, the world's bindings), and makes its typed pre-instance (`pre`).
    /// Proving the exports by a first instance is the world's own step.
    pub(crate) fn bind<Pre>(
        engine: &PluginEngine,
        package: &Package,
        kind: Kind,
        kv: KvStore,
        add_imports: fn(&mut Linker<PluginState>) -> wasmtime::Result<()>,
        pre: fn(InstancePre<PluginState>) -> wasmtime::Result<Pre>,
    ) -> Result<(Loaded, Pre), LoadError> {
        let loaded = Loaded::compile(engine, package, kind, kv)?;
        let mut linker = loaded.linker()?;
        add_imports(&mut linker).map_err(|e| loaded.refuse(e))?;
        let pre = linker
            .instantiate_pre(&loaded.component)
            .and_then(pre)
            .map_err(|e| loaded.refuse(e))?;
        Ok((loaded, pre))
    }

    /// Compiles (or loads from the cache) a package of the expected kind.
    fn compile(
        engine: &PluginEngine,
        package: &Package,
        kind: Kind,
        kv: KvStore,
    ) -> Result<Loaded, LoadError> {
        let manifest = &package.manifest;
        if manifest.kind != kind {
            return Err(LoadError::WrongKind {
                name: manifest.name.clone(),
                found: manifest.kind.world(),
                wanted: kind.world(),
            });
        }
        let label = format!("{}@{}", manifest.name, manifest.version);
        if package.component.starts_with(CORE_MODULE) {
            return Err(LoadError::Component {
                name: label,
                reason: "this is a core WebAssembly module, not a component: wrap it with \
                         `wasm-tools component new MODULE.wasm -o COMPONENT.wasm` (with \
                         `--adapt` and the WASI preview-1 adapter when the module imports \
                         wasi_snapshot_preview1)"
                    .to_owned(),
            });
        }
        let (component, from_cache) =
            engine
                .compile(&package.component)
                .map_err(|e| LoadError::Component {
                    name: label.clone(),
                    reason: format!("{e:#}"),
                })?;
        Ok(Loaded {
            call_ticks: engine.ticks(call_deadline(kind, engine.limits())),
            startup_ticks: engine.ticks(STARTUP_DEADLINE),
            label,
            component,
            from_cache,
            engine: engine.clone(),
            config: Arc::new(manifest.config.clone()),
            kv,
            clock: PluginClock::System,
            allowed_hosts: Arc::new(manifest.capabilities.allowed_hosts.clone()),
        })
    }

    /// A linker with WASI (an empty context: nothing granted) for the world's own
    /// imports to be added to.
    pub(crate) fn linker(&self) -> Result<Linker<PluginState>, LoadError> {
        let mut linker = Linker::new(self.engine.engine());
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| self.refuse(e))?;
        Ok(linker)
    }

    /// A fresh store with the memory limit; its epoch deadline is set per call.
    pub(crate) fn store(&self) -> Store<PluginState> {
        let state = PluginState::new(
            self.label.clone(),
            self.config.clone(),
            self.kv.clone(),
            self.clock.clone(),
            self.allowed_hosts.clone(),
            self.engine.limits().memory_bytes,
        );
        let mut store = Store::new(self.engine.engine(), state);
        store.limiter(|state| &mut state.limits);
        // Start-up code (the guest's initialisers: an interpreter's, for Python and
        // JavaScript) gets a start-up deadline; each call sets its own.
        store.set_epoch_deadline(self.startup_ticks);
        store
    }

    /// A load error for this plugin.
    pub(crate) fn refuse(&self, error: impl std::fmt::Display) -> LoadError {
        LoadError::Component {
            name: self.label.clone(),
            reason: format!("{error:#}"),
        }
    }
}

/// One instance of a plugin version kept between calls (instantiating costs far more
/// than a call), replaced by a fresh one after a failure: a trapped instance cannot be
/// entered again.
pub(crate) struct Kept<W> {
    slot: Mutex<Option<(Store<PluginState>, W)>>,
}

impl<W> Default for Kept<W> {
    fn default() -> Self {
        Kept {
            slot: Mutex::new(None),
        }
    }
}

impl<W> Kept<W> {
    /// Makes the instance now (at load, to prove it starts).
    /// Drops the kept instance: the next call starts from a fresh one.
    pub(crate) fn forget(&self) {
        *self
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    pub(crate) fn warm(
        &self,
        loaded: &Loaded,
        instantiate: impl FnOnce(&mut Store<PluginState>) -> wasmtime::Result<W>,
    ) -> wasmtime::Result<()> {
        let mut store = loaded.store();
        let world = instantiate(&mut store)?;
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some((store, world));
        Ok(())
    }

    /// Calls into the kept instance (making one if there is none) under the call
    /// deadline.
    pub(crate) fn call<R>(
        &self,
        loaded: &Loaded,
        instantiate: impl FnOnce(&mut Store<PluginState>) -> wasmtime::Result<W>,
        call: impl FnOnce(&W, &mut Store<PluginState>) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        let (store, world) = match slot.take() {
            Some(kept) => kept,
            None => {
                let mut store = loaded.store();
                let world =
                    instantiate(&mut store).map_err(|e| CallError::Trap(format!("{e:#}")))?;
                (store, world)
            }
        };
        let (mut store, world) = (store, world);
        store.set_epoch_deadline(loaded.call_ticks);
        match call(&world, &mut store) {
            Ok(answer) => {
                *slot = Some((store, world));
                Ok(answer)
            }
            Err(error) => Err(CallError::from_wasmtime(&error, store.data().limits_hit())),
        }
    }
}
