//! End-to-end tests: the `ringhost` binary as an operator runs it, against real peers
//! (SQLite and PostgreSQL, SIPp carriers and phones, plugins built from source). Every
//! peer listens on loopback only.
//!
//! One test binary made of modules, so that it links once.

mod agents;
mod campaign;
mod config;
#[path = "../support/crm.rs"]
mod crm;
mod demo;
#[path = "../support/guests.rs"]
mod guests;
mod media;
mod missed;
mod plugin;
mod registrar;
mod scaffold;
mod serve;
mod sip;
mod support;
mod trunk;
mod web;
