//! Ringhost's dialer: the part that decides who is called, when, and on which channel.
//!
//! It knows calls, never SIP messages: a call is placed through the
//! [`ringhost_call::Carrier`] the binary hands it, and comes back as a report.
//!
//! - [`import`] and [`number`]: contact lists in the ADS CSV format, numbers to E.164.
//! - [`settings`]: what lists and campaigns are configured with (JSON in the store).
//! - [`lifecycle`]: a campaign's states and the commands that move it.
//! - [`ledger`]: the one place that grants a call its channels; [`lease`]: a host's
//!   lease among hosts sharing a PostgreSQL database, and the dead hosts taken over.
//! - [`hours`]: calling hours in the contact's zone; [`clock`]: time, injectable.
//! - [`scheduler`]: the passes that pick contacts and place calls, the calls' records,
//!   crash recovery.
//! - [`events`]: what happens, as it happens, for the API's event stream; [`relay`]:
//!   the other hosts' events on this one (hosts sharing a PostgreSQL database).
//! - [`exchange`]: the exchange table an external application writes.
//! - [`agents`]: agents' states and queues, what the pacer counts; [`queue`]: an
//!   answered call's agent taken, skipped, released; [`desk`]: what an agent's
//!   screen shows (the screen pop, the disposition, their day); [`desk_call`]: a
//!   call the agent places from the desk (click-to-call), through a campaign.
//! - [`missed`]: missed calls to call back: the PBX's intake, bookings, callbacks.
//! - [`monitor`]: supervisors listening in on agents' calls ([`MonitorMode`]),
//!   audited.
//! - [`admin`]: what users do (create, import, start, pause, ...) for the API;
//!   [`refusal`]: how they are refused.

pub mod admin;
pub mod agents;
pub mod clock;
pub mod desk;
pub mod desk_call;
pub mod events;
pub mod exchange;
pub mod hours;
pub mod import;
pub mod lease;
pub mod ledger;
pub mod lifecycle;
pub mod missed;
pub mod monitor;
pub mod number;
pub mod queue;
pub mod refusal;
pub mod relay;
pub mod scheduler;
pub mod settings;

pub use monitor::MonitorMode;
