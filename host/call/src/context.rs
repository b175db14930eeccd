//! Everything a call needs from the host, as one value: the trunks it leaves by, the
//! endpoint and registrar through which agents' phones are rung, the media settings,
//! the prompts, the plugins, the calls bridged to a person (where a supervisor finds
//! them), and the token that hangs every call up at the end of a drain. The binary
//! builds it once; every call borrows it.

use std::sync::Arc;

use ringhost_media::{Law, RtpPorts};
use ringhost_plugins::PluginRegistry;
use ringhost_sip::{Dial, Endpoint, IncomingCall, Registered, Registrar, Trunks};
use tokio_util::sync::CancellationToken;

use crate::leg::Leg;
use crate::monitor::BridgedCalls;
use crate::prompts::Prompts;

/// What every call of the host shares.
pub struct CallContext {
    /// The trunks and routes calls leave by.
    pub trunks: Arc<Trunks>,
    /// Agents' phones are rung through it.
    pub endpoint: Endpoint,
    /// Where agents' phones are found.
    pub registrar: Arc<Registrar>,
    /// The RTP ports and the laws offered.
    pub media: MediaSettings,
    /// Messages, music on hold and IVR prompts.
    pub prompts: Prompts,
    /// The route of campaigns that name none.
    pub default_route: String,
    /// Where campaigns' IVR scripts come from.
    pub plugins: Option<PluginRegistry>,
    /// Cancelled at the end of the drain: every leg hangs up.
    pub stop: CancellationToken,
    /// The calls bridged to a person now, by attempt: what a supervisor can monitor.
    pub bridged: BridgedCalls,
}

/// How a leg's audio is set up.
#[derive(Clone)]
pub struct MediaSettings {
    /// Where each leg's RTP port pair comes from.
    pub ports: RtpPorts,
    /// The G.711 laws offered, in order of preference.
    pub laws: Vec<Law>,
}

impl CallContext {
    /// Places `dial` through `route` with media; the leg hangs up when the host stops.
    ///
    /// # Errors
    /// When no RTP port is free or no trunk of the route can take the call.
    pub async fn place(&self, route: &str, dial: Dial) -> anyhow::Result<Leg> {
        let media = &self.media;
        let leg = Leg::place(&self.trunks, route, dial, &media.ports, &media.laws).await?;
        Ok(leg.until(self.stop.clone()))
    }

    /// Rings the registered `phone` with media; the leg hangs up when the host stops.
    ///
    /// # Errors
    /// When no RTP port is free.
    pub async fn ring_phone(&self, phone: &Registered, dial: Dial) -> anyhow::Result<Leg> {
        let media = &self.media;
        let leg = Leg::ring_phone(&self.endpoint, phone, dial, &media.ports, &media.laws).await?;
        Ok(leg.until(self.stop.clone()))
    }

    /// Answers an inbound call with media; the leg hangs up when the host stops.
    ///
    /// # Errors
    /// When no RTP port is free or the caller's offer cannot be used: the call is then
    /// refused.
    pub async fn answer(&self, incoming: IncomingCall) -> anyhow::Result<Leg> {
        let media = &self.media;
        let leg = Leg::answer(incoming, &media.ports, &media.laws).await?;
        Ok(leg.until(self.stop.clone()))
    }

    /// The phone registered as `extension`, if any.
    pub fn phone_of(&self, extension: &str) -> Option<Registered> {
        self.registrar.contacts(extension).into_iter().next()
    }
}
