//! IVR scripts: one session per answered call, each in an instance of its own (a
//! script's state is per call, and one call's trap must not end another's), driven by
//! events and answering with actions. A session holds the plugin version it started
//! on: a reload changes what the next call gets, never a call in progress.
//!
//! Each event runs under the session deadline. A session whose script traps or runs
//! out of time is over: [`IvrSession::on_event`] returns the error and the call ends
//! with the `IVR_FAILED` disposition, never a stuck channel.

use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use wasmtime::component::HasSelf;

use crate::PluginEngine;
use crate::error::{CallError, LoadError};
use crate::instance::Loaded;
use crate::manifest::Kind;
use crate::package::Package;
use crate::state::{KvStore, PluginState};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "ivr",
        additional_derives: [PartialEq],
        with: {
            "ringhost:plugin/host": crate::pacer::bindings::ringhost::plugin::host,
            "ringhost:plugin/kv": crate::pacer::bindings::ringhost::plugin::kv,
        },
    });
}

pub use bindings::exports::ringhost::plugin::ivr_session::{Action, Collect, Event};

/// The disposition status of a call whose script failed.
pub const IVR_FAILED: &str = "IVR_FAILED";

/// A loaded IVR script.
pub struct IvrPlugin {
    loaded: Loaded,
    pre: bindings::IvrPre<PluginState>,
}

impl IvrPlugin {
    /// Compiles an IVR package and checks it against the `ivr` world.
    ///
    /// # Errors
    /// When the package is of another kind, does not compile, or does not fit the world.
    pub fn load(
        engine: &PluginEngine,
        package: &Package,
        kv: KvStore,
    ) -> Result<IvrPlugin, LoadError> {
        let (loaded, pre) = Loaded::bind(
            engine,
            package,
            Kind::Ivr,
            kv,
            |linker| bindings::Ivr::add_to_linker::<_, HasSelf<_>>(linker, |s| s),
            bindings::IvrPre::new,
        )?;
        let plugin = IvrPlugin { loaded, pre };
        // A first instance proves the exports are there and the start-up runs.
        let mut store = plugin.loaded.store();
        plugin
            .pre
            .instantiate(&mut store)
            .map_err(|e| plugin.loaded.refuse(e))?;
        Ok(plugin)
    }

    /// `name@version`.
    pub fn label(&self) -> &str {
        &self.loaded.label
    }

    /// Starts a session for a call to the contact whose columns are `variables`.
    ///
    /// # Errors
    /// When the script traps or runs out of time in its constructor.
    pub fn start(
        self: &Arc<Self>,
        variables: &[(String, String)],
    ) -> Result<IvrSession, CallError> {
        let mut store = self.loaded.store();
        let failed = |store: &Store<PluginState>, e: wasmtime::Error| {
            CallError::from_wasmtime(&e, store.data().limits_hit())
        };
        let ivr = match self.pre.instantiate(&mut store) {
            Ok(ivr) => ivr,
            Err(e) => return Err(failed(&store, e)),
        };
        store.set_epoch_deadline(self.loaded.call_ticks);
        let session = match ivr
            .ringhost_plugin_ivr_session()
            .session()
            .call_constructor(&mut store, variables)
        {
            Ok(session) => session,
            Err(e) => return Err(failed(&store, e)),
        };
        Ok(IvrSession {
            plugin: self.clone(),
            store,
            ivr,
            session,
        })
    }
}

/// One call's script in progress.
pub struct IvrSession {
    plugin: Arc<IvrPlugin>,
    store: Store<PluginState>,
    ivr: bindings::Ivr,
    session: ResourceAny,
}

impl IvrSession {
    /// The version this session runs.
    pub fn label(&self) -> &str {
        self.plugin.label()
    }

    /// What to do after `event`.
    ///
    /// # Errors
    /// When the script traps or runs out of time: the session is over and the call
    /// ends with [`IVR_FAILED`].
    pub fn on_event(&mut self, event: &Event) -> Result<Vec<Action>, CallError> {
        self.store.set_epoch_deadline(self.plugin.loaded.call_ticks);
        self.ivr
            .ringhost_plugin_ivr_session()
            .session()
            .call_on_event(&mut self.store, self.session, event)
            .map_err(|e| {
                let error = CallError::from_wasmtime(&e, self.store.data().limits_hit());
                tracing::warn!(plugin = self.plugin.label(), %error, "IVR script failed; the call ends with {IVR_FAILED}");
                error.count(self.plugin.label());
                error
            })
    }
}
