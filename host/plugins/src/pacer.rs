//! Pacer plugins, and the built-in progressive pacer that stands in when a campaign
//! has none or its plugin fails.
//!
//! A pacer is called often (whenever a campaign's state changes) and must be cheap:
//! one instance per plugin version is kept and called again and again; it is replaced
//! by a fresh one from the `InstancePre` only after a failure, since a trapped instance
//! cannot be entered again.
//!
//! A pacer built for `ringhost:plugin@0.1.1` may export `look-ahead` beside `pacing`
//! (the `look-ahead-pacer` world): it is then asked with [`Ahead`] whenever the caller
//! has one. One built for 0.1.0 exports `pacing` alone and loads as before: its imports
//! and its export are found by semver-compatible names.
//!
//! `snapshot_file`: a pacer package asked once with a snapshot read from JSON
//! (`ringhost plugin pace`).

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre};

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
        world: "look-ahead-pacer",
        additional_derives: [PartialEq],
    });
}

use bindings::exports::ringhost::plugin::{look_ahead, pacing};
pub use look_ahead::{Floor, Measured, Sample, Window};
pub use pacing::{AgentBasis, Parameters, Snapshot};

/// What a look-ahead pacer is asked with beyond the [`Snapshot`]: the floor call by
/// call, what the host has measured, and the abandon budget's window.
#[derive(Debug, Clone, PartialEq)]
pub struct Ahead {
    /// Each call's and each agent's time.
    pub floor: Floor,
    /// The campaign's measured rates and times.
    pub measured: Measured,
    /// The budget's window and how much of it is spent.
    pub window: Window,
}

impl Sample {
    /// The sample of `count` times summing to `sum`, their squares to `squares` (ms):
    /// the host and the simulator measure this way.
    pub fn of(count: u64, sum: f64, squares: f64) -> Sample {
        if count == 0 {
            return Sample {
                count,
                mean_ms: 0.0,
                cv: 0.0,
            };
        }
        let n = count as f64;
        let mean_ms = sum / n;
        let variance = (squares / n - mean_ms * mean_ms).max(0.0);
        let cv = if count < 2 || mean_ms <= 0.0 {
            0.0
        } else {
            variance.sqrt() / mean_ms
        };
        Sample { count, mean_ms, cv }
    }
}

/// A pacer component ready to instantiate, with where its exports are.
struct PacerPre {
    pre: InstancePre<PluginState>,
    pacing: pacing::GuestIndices,
    /// Absent in a pacer built for 0.1.0.
    look_ahead: Option<look_ahead::GuestIndices>,
}

/// An instance's exports.
struct PacerExports {
    pacing: pacing::Guest,
    look_ahead: Option<look_ahead::Guest>,
}

impl PacerPre {
    fn new(pre: InstancePre<PluginState>) -> wasmtime::Result<PacerPre> {
        Ok(PacerPre {
            pacing: pacing::GuestIndices::new(&pre)?,
            look_ahead: look_ahead::GuestIndices::new(&pre).ok(),
            pre,
        })
    }

    fn instantiate(&self, store: &mut Store<PluginState>) -> wasmtime::Result<PacerExports> {
        let instance = self.pre.instantiate(&mut *store)?;
        Ok(PacerExports {
            pacing: self.pacing.load(&mut *store, &instance)?,
            look_ahead: match &self.look_ahead {
                Some(indices) => Some(indices.load(&mut *store, &instance)?),
                None => None,
            },
        })
    }
}

/// A loaded pacer plugin.
pub struct PacerPlugin {
    loaded: Loaded,
    pre: PacerPre,
    kept: Kept<PacerExports>,
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
            |linker| bindings::LookAheadPacer::add_to_linker::<_, HasSelf<_>>(linker, |s| s),
            PacerPre::new,
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

    /// Whether it exports `look-ahead`: only then is measuring an [`Ahead`] worth it.
    pub fn looks_ahead(&self) -> bool {
        self.pre.look_ahead.is_some()
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

    /// Asks the plugin how many calls to start, through `pacing`.
    ///
    /// # Errors
    /// When the call traps, runs past its deadline or over its memory limit; the
    /// instance is then dropped and the next call gets a fresh one.
    pub fn pace(&self, snapshot: &Snapshot) -> Result<u32, CallError> {
        self.kept.call(
            &self.loaded,
            |store| self.pre.instantiate(store),
            |pacer, store| pacer.pacing.call_pace(store, snapshot),
        )
    }

    /// Asks the plugin how many calls to start, through `look-ahead` when it has it
    /// (else through `pacing`, without `ahead`).
    ///
    /// # Errors
    /// As [`PacerPlugin::pace`].
    pub fn pace_ahead(&self, snapshot: &Snapshot, ahead: &Ahead) -> Result<u32, CallError> {
        self.kept.call(
            &self.loaded,
            |store| self.pre.instantiate(store),
            |pacer, store| match &pacer.look_ahead {
                Some(look_ahead) => look_ahead.call_pace(
                    store,
                    snapshot,
                    &ahead.floor,
                    ahead.measured,
                    ahead.window,
                ),
                None => pacer.pacing.call_pace(store, snapshot),
            },
        )
    }
}

/// How many calls to start: the plugin's answer, or the built-in progressive pacer's
/// when there is no plugin or it failed (the failure is logged and counted).
pub fn pace(plugin: Option<&PacerPlugin>, snapshot: &Snapshot, ahead: Option<&Ahead>) -> u32 {
    if let Some(plugin) = plugin {
        let answer = match ahead {
            Some(ahead) => plugin.pace_ahead(snapshot, ahead),
            None => plugin.pace(snapshot),
        };
        match answer {
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
