//! Pacer plugins, and the built-in progressive pacer that stands in when a campaign
//! has none or its plugin fails.
//!
//! A pacer is called often (whenever a campaign's state changes) and must be cheap:
//! one instance per plugin version is kept and called again and again; it is replaced
//! by a fresh one from the `InstancePre` only after a failure, since a trapped instance
//! cannot be entered again.
//!
//! `snapshot_file`: a pacer package asked once with a snapshot read from JSON
//! (`ringhost plugin pace`).

use wasmtime::component::HasSelf;

use crate::PluginEngine;
use crate::error::{CallError, LoadError};
use crate::instance::{Kept, Loaded};
use crate::manifest::Kind;
use crate::package::Package;
use crate::state::{KvStore, PluginClock, PluginState};

mod snapshot_file;

pub use snapshot_file::{Answer, ask, read_snapshot};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "pacer",
        additional_derives: [PartialEq],
    });
}

pub use bindings::exports::ringhost::plugin::pacing::{AgentBasis, Parameters, Snapshot};

/// A loaded pacer plugin.
pub struct PacerPlugin {
    loaded: Loaded,
    pre: bindings::PacerPre<PluginState>,
    kept: Kept<bindings::Pacer>,
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
        PacerPlugin::load_on(engine, package, kv, PluginClock::System)
    }

    /// [`PacerPlugin::load`] with the plugin's `now-ms` reading `clock`: a simulation
    /// runs a pacer package exactly as the host does, in its own time.
    ///
    /// # Errors
    /// As [`PacerPlugin::load`].
    pub fn load_on(
        engine: &PluginEngine,
        package: &Package,
        kv: KvStore,
        clock: PluginClock,
    ) -> Result<PacerPlugin, LoadError> {
        let (mut loaded, pre) = Loaded::bind(
            engine,
            package,
            Kind::Pacer,
            kv,
            |linker| bindings::Pacer::add_to_linker::<_, HasSelf<_>>(linker, |s| s),
            bindings::PacerPre::new,
        )?;
        loaded.clock = clock;
        let plugin = PacerPlugin {
            loaded,
            pre,
            kept: Kept::default(),
        };
        // Instantiating once proves the exports are there and the start-up runs.
        plugin
            .kept
            .warm(&plugin.loaded, |store| plugin.pre.instantiate(store))
            .map_err(|e| plugin.loaded.refuse(e))?;
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

    /// Starts the next call from a fresh instance, as after a load: what the guest
    /// kept in its memory is gone (its key-value store is the caller's to clear). A
    /// simulation does this between shifts.
    pub fn renew(&self) {
        self.kept.forget();
    }

    /// Asks the plugin how many calls to start.
    ///
    /// # Errors
    /// When the call traps, runs past its deadline or over its memory limit; the
    /// instance is then dropped and the next call gets a fresh one.
    pub fn pace(&self, snapshot: &Snapshot) -> Result<u32, CallError> {
        self.kept.call(
            &self.loaded,
            |store| self.pre.instantiate(store),
            |pacer, store| pacer.ringhost_plugin_pacing().call_pace(store, snapshot),
        )
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
                error.count(plugin.label());
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
