//! Calls to the phones registered with the host (agents' desks): the INVITE goes to
//! the address the phone registered from, so that it crosses the phone's NAT the way
//! its REGISTER came (RFC 5626's flow, without the outbound extension), with its
//! Contact as the Request-URI (RFC 3261 16.5). A phone is called only when the dialer
//! asks, for a call a campaign placed; nothing from the network leads here.

use crate::call::{Call, CallSetup};
use crate::endpoint::Endpoint;
use crate::registrar::Registered;
use crate::trunk::Dial;

impl Endpoint {
    /// Rings the phone registered as `phone` with `dial`'s offer and caller ID (the
    /// callee's number, so the agent sees who is on the line).
    pub fn call_phone(&self, phone: &Registered, dial: Dial) -> Call {
        self.place_call(CallSetup {
            number: dial.number,
            trunk: phone.peer,
            domain: String::new(),
            caller_id: dial.caller_id.unwrap_or_else(|| "ringhost".to_owned()),
            asserted_identity: None,
            ring_timeout: dial.ring_timeout,
            offer: dial.offer,
            follow_redirect: false,
            login: None,
            route: None,
            target: Some(phone.contact.clone()),
        })
    }
}
