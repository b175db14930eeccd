//! Disposition mappers, and the built-in ADS mapping (`ringhost-ads`, the same table
//! the `default` mapper plugin uses) that answers when a campaign has no mapper or its
//! mapper fails.

use wasmtime::component::HasSelf;

use crate::PluginEngine;
use crate::error::{CallError, LoadError};
use crate::instance::{Kept, Loaded};
use crate::manifest::Kind;
use crate::package::Package;
use crate::state::{KvStore, PluginState};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "disposition-mapper",
        additional_derives: [PartialEq],
        with: {
            "ringhost:plugin/host": crate::pacer::bindings::ringhost::plugin::host,
            "ringhost:plugin/kv": crate::pacer::bindings::ringhost::plugin::kv,
        },
    });
}

pub use bindings::exports::ringhost::plugin::dispositions::{
    AttemptResult, Disposition, RetryPolicy,
};

/// The WIT's own copies of the result vocabulary, as the mapper world's bindings
/// generate them. The host speaks [`ringhost_ads::Outcome`] and
/// [`ringhost_ads::HangupBy`]; this is the one seam where they are converted (`into`).
pub mod wit {
    pub use super::bindings::exports::ringhost::plugin::dispositions::{HangupBy, Outcome};
}

impl From<ringhost_ads::Outcome> for wit::Outcome {
    fn from(outcome: ringhost_ads::Outcome) -> wit::Outcome {
        use ringhost_ads::Outcome as O;
        match outcome {
            O::Answered => wit::Outcome::Answered,
            O::Busy => wit::Outcome::Busy,
            O::NoAnswer => wit::Outcome::NoAnswer,
            O::Congestion => wit::Outcome::Congestion,
            O::NoRoute => wit::Outcome::NoRoute,
            O::ChannelUnavailable => wit::Outcome::ChannelUnavailable,
            O::Cancelled => wit::Outcome::Cancelled,
            O::Failed => wit::Outcome::Failed,
            O::AnsweringMachine => wit::Outcome::AnsweringMachine,
            O::Fax => wit::Outcome::Fax,
        }
    }
}

impl From<ringhost_ads::HangupBy> for wit::HangupBy {
    fn from(by: ringhost_ads::HangupBy) -> wit::HangupBy {
        match by {
            ringhost_ads::HangupBy::Ringhost => wit::HangupBy::Ringhost,
            ringhost_ads::HangupBy::Callee => wit::HangupBy::Callee,
        }
    }
}

/// A loaded disposition mapper.
pub struct MapperPlugin {
    loaded: Loaded,
    pre: bindings::DispositionMapperPre<PluginState>,
    kept: Kept<bindings::DispositionMapper>,
}

impl MapperPlugin {
    /// Compiles a mapper package and checks it against the `disposition-mapper` world.
    ///
    /// # Errors
    /// When the package is of another kind, does not compile, or does not fit the world.
    pub fn load(
        engine: &PluginEngine,
        package: &Package,
        kv: KvStore,
    ) -> Result<MapperPlugin, LoadError> {
        let (loaded, pre) = Loaded::bind(
            engine,
            package,
            Kind::DispositionMapper,
            kv,
            |linker| bindings::DispositionMapper::add_to_linker::<_, HasSelf<_>>(linker, |s| s),
            bindings::DispositionMapperPre::new,
        )?;
        let plugin = MapperPlugin {
            loaded,
            pre,
            kept: Kept::default(),
        };
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

    /// Asks the plugin what the attempt means.
    ///
    /// # Errors
    /// As [`crate::pacer::PacerPlugin::pace`].
    pub fn dispose(&self, attempt: &AttemptResult) -> Result<Disposition, CallError> {
        self.kept.call(
            &self.loaded,
            |store| self.pre.instantiate(store),
            |mapper, store| {
                mapper
                    .ringhost_plugin_dispositions()
                    .call_dispose(store, attempt)
            },
        )
    }
}

/// The disposition: the plugin's, or the built-in ADS mapping's when there is no
/// plugin or it failed (the failure is logged and counted).
pub fn dispose(plugin: Option<&MapperPlugin>, attempt: &AttemptResult) -> Disposition {
    if let Some(plugin) = plugin {
        match plugin.dispose(attempt) {
            Ok(disposition) => return disposition,
            Err(error) => {
                tracing::warn!(plugin = plugin.label(), %error, "disposition mapper failed; the built-in ADS mapping answers");
                error.count(plugin.label());
            }
        }
    }
    ads(attempt)
}

/// The built-in mapping: ADS statuses, retries by the list's policy.
pub fn ads(attempt: &AttemptResult) -> Disposition {
    use wit::Outcome;
    let decision = ringhost_ads::decide_attempt!(attempt, Outcome);
    Disposition {
        status: decision.status.to_owned(),
        retry: decision.retry,
        retry_after_s: decision.retry_after_s,
        tags: attempt.tags.clone(),
        do_not_call_until_ms: None,
    }
}
