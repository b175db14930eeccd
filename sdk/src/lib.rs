//! Ringhost plugins in Rust.
//!
//! Each module is one world of the `ringhost:plugin` WIT package (`wit/` at the top of
//! the repository): the trait to implement, its types, the host calls a plugin may
//! make, and the macro that exports an implementation. A pacer is a few lines:
//!
//! ```ignore
//! use ringhost_sdk::pacer::{Pacer, Snapshot};
//!
//! struct OnePerAgent;
//!
//! impl Pacer for OnePerAgent {
//!     fn pace(snapshot: Snapshot) -> u32 {
//!         snapshot.agents_ready.saturating_sub(snapshot.calls_dialing + snapshot.calls_ringing)
//!     }
//! }
//!
//! ringhost_sdk::pacer::export_pacer!(OnePerAgent);
//! ```
//!
//! Build it as a `cdylib` for `wasm32-wasip2` (`cargo build --release --target
//! wasm32-wasip2`) and put the `.wasm` beside a `plugin.toml`; `docs/plugins.md` has
//! the whole guide.

/// The `pacer` world: how many calls a campaign starts now.
pub mod pacer {
    #[doc(hidden)]
    pub mod bindings {
        wit_bindgen::generate!({
            path: "../wit",
            world: "pacer",
            pub_export_macro: true,
            export_macro_name: "export_pacer",
            default_bindings_module: "ringhost_sdk::pacer::bindings",
        });
    }

    /// Exports a [`Pacer`] implementation as the component's `pacing` interface.
    pub use bindings::export_pacer;
    pub use bindings::exports::ringhost::plugin::pacing::{
        AgentBasis, Guest as Pacer, Parameters, Snapshot,
    };
    pub use bindings::ringhost::plugin::host::{self, Level};
    pub use bindings::ringhost::plugin::kv;
}

/// The `disposition-mapper` world: what an attempt's result means for the contact.
pub mod disposition {
    #[doc(hidden)]
    pub mod bindings {
        wit_bindgen::generate!({
            path: "../wit",
            world: "disposition-mapper",
            pub_export_macro: true,
            export_macro_name: "export_mapper",
            default_bindings_module: "ringhost_sdk::disposition::bindings",
        });
    }

    /// Exports a [`Mapper`] implementation as the component's `dispositions` interface.
    pub use bindings::export_mapper;
    pub use bindings::exports::ringhost::plugin::dispositions::{
        AttemptResult, Disposition, Guest as Mapper, HangupBy, Outcome, RetryPolicy,
    };
    pub use bindings::ringhost::plugin::host::{self, Level};
    pub use bindings::ringhost::plugin::kv;
}

/// The `ivr` world: one session per answered call, driven by events, answering with
/// actions.
pub mod ivr {
    #[doc(hidden)]
    pub mod bindings {
        wit_bindgen::generate!({
            path: "../wit",
            world: "ivr",
            pub_export_macro: true,
            export_macro_name: "export_ivr",
            default_bindings_module: "ringhost_sdk::ivr::bindings",
        });
    }

    /// Exports an [`Ivr`] implementation (its `Session` type holds one call's state) as
    /// the component's `ivr-session` interface.
    pub use bindings::export_ivr;
    pub use bindings::exports::ringhost::plugin::ivr_session::{
        Action, Collect, Event, Guest as Ivr, GuestSession as Session,
    };
    pub use bindings::ringhost::plugin::host::{self, Level};
    pub use bindings::ringhost::plugin::kv;
}

/// The `crm-connector` world: lookups for the screen pop, results pushed, contacts
/// pulled; HTTP to the hosts the manifest allows.
pub mod crm {
    #[doc(hidden)]
    pub mod bindings {
        wit_bindgen::generate!({
            path: "../wit",
            world: "crm-connector",
            pub_export_macro: true,
            export_macro_name: "export_connector",
            default_bindings_module: "ringhost_sdk::crm::bindings",
        });
    }

    /// Exports a [`Connector`] implementation as the component's `crm` interface.
    pub use bindings::export_connector;
    pub use bindings::exports::ringhost::plugin::crm::{
        AttemptRecord, Batch, Contact, Guest as Connector,
    };
    pub use bindings::ringhost::plugin::host::{self, Level};
    pub use bindings::ringhost::plugin::{http, kv};
}
