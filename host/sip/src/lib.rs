//! Ringhost's SIP stack, in the layers of RFC 3261, on the `rsip` crate for messages.
//!
//! - [`message`]: bytes to messages and back (compact forms, framing, 400s).
//! - [`transport`]: UDP and TCP sockets (section 18).
//! - [`transaction`]: the four transaction state machines (section 17).
//! - [`dialog`]: dialog state and in-dialog requests (section 12).
//! - [`call`]: outbound calls as the dialer sees them: a [`CallSetup`] in,
//!   [`CallEvent`]s and a [`CallOutcome`] out.
//! - [`endpoint`]: binds it all and answers what arrives outside a call.
//! - [`incoming`]: inbound calls to the host's own numbers, the UAS side: an
//!   [`IncomingCall`] answered becomes a [`Call`].
//! - [`phone`]: calls to phones registered with the [`registrar`], whose bindings
//!   are kept by a [`binding::BindingStore`].
//!
//! **Architecture invariant:** this is the only crate of the host that depends on
//! rsip (the demo's simulated far ends, `ringhost-sim`, build their messages with it
//! too); nothing above [`call`] sees a SIP message.

pub mod account;
pub mod binding;
pub mod call;
pub mod dialog;
pub mod digest;
pub mod endpoint;
pub mod ids;
pub mod incoming;
pub mod message;
pub mod outcome;
pub mod phone;
pub mod registrar;
pub mod request;
pub mod transaction;
pub mod transport;
pub mod trunk;

pub use account::{PhoneAccounts, PhoneSecret};
pub use binding::{Binding, BindingStore, MemoryBindings};
pub use call::{Call, CallEvent, CallSetup};
pub use endpoint::{Endpoint, EndpointConfig};
pub use incoming::IncomingCall;
pub use outcome::{CallOutcome, HangupBy, Outcome};
pub use registrar::{Registered, Registrar, RegistrarSettings};
pub use request::DigestLogin;
pub use transport::{Peer, Protocol};
pub use trunk::{Dial, TrunkSpec, TrunkStatus, Trunks};
