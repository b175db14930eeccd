//! Ringhost's plugin runtime: WebAssembly components loaded through the worlds of the
//! `ringhost:plugin` WIT package (`wit/`), run in a sandbox with a time and a memory
//! limit, and replaced by built-in behaviour when they fail.
//!
//! - [`PluginEngine`] (`engine`): the one wasmtime engine, its epoch ticker, the
//!   limits, and the compiled-artifact cache keyed by content hash.
//! - [`Package`] (`package`) and [`Manifest`] (`manifest`): a folder with
//!   `plugin.toml` and the component.
//! - `instance`, `state`: what every plugin instance shares: an empty WASI context,
//!   the memory limit, the host imports (log, clock, config, key-value).
//! - [`pacer`]: pacer plugins and the built-in progressive pacer; a package asked
//!   once with a snapshot from a JSON file ([`pacer::ask`]).
//! - [`disposition`]: disposition mappers and the built-in ADS mapping.
//! - [`ivr`]: IVR scripts, a session (an instance) per answered call.
//! - [`crm`]: CRM connectors, and the `http` import limited to the manifest's hosts.
//! - [`PluginRegistry`] (`registry`): the plugins folder, loaded and watched; hot
//!   reload with the old version serving until the new one is proven; what serves,
//!   the history of loads and refusals, and uploads installed after the same checks.
//! - `imports`: the `host` and `kv` imports, implemented once for every world.
//!
//! **Invariant:** a plugin reaches nothing outside its sandbox but through the WIT
//! imports; a failing plugin costs a log line, a counter and the built-in answer,
//! never a call.

pub mod crm;
pub mod disposition;
mod engine;
mod error;
mod imports;
mod instance;
pub mod ivr;
mod manifest;
pub mod pacer;
mod package;
mod registry;
mod state;

pub use engine::{EPOCH_TICK, Limits, PluginEngine};
pub use error::{CallError, LoadError};
pub use manifest::{Capabilities, Kind, Manifest, ManifestError, WIT_VERSION};
pub use package::{Package, PackageError};
pub use registry::{InstallError, Loaded, Plugin, PluginRegistry, Reload, ReloadOutcome};
pub use state::{KvStore, PluginClock};
