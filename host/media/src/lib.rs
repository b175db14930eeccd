//! Ringhost's media plane: everything that happens to audio once a call is answered.
//!
//! A call leg's media is a [`MediaSession`]: bound from the configured port range
//! ([`RtpPorts`]) before the INVITE so that the SDP offer ([`sdp`]) can name its port,
//! started on what the far end answered, then told what to send (prompts, music on hold,
//! comfort noise, DTMF digits, or the other leg of a [`Bridge`]) while it reports the
//! digits it hears. The SIP crate carries SDP as bytes and knows nothing of this one;
//! the call layer (`ringhost-call`) holds both and joins them.
//!
//! Layout, one concept per module:
//! - [`g711`]: the two laws, as lookup tables, and conversion between them.
//! - [`sdp`]: offer and answer for one G.711 stream with telephone events.
//! - [`rtp`]: the sending side of a stream (SSRC, sequence, timestamps, marker).
//! - [`jitter`]: the receiving side (reordering, loss, jitter).
//! - [`rtcp`]: sender and receiver reports.
//! - [`dtmf`]: RFC 4733 events both ways, in-band detection and tones.
//! - [`prompt`]: WAV files to G.711, cached; comfort noise.
//! - [`ports`]: the RTP port range.
//! - [`session`]: a leg: its player, its receiving task, bridging, and a supervisor's
//!   monitor of a bridge.
//! - `mix`: the voices of a monitored bridge and their saturated sum.
//! - `clock`: the threads that send every leg's frames on time.

mod clock;
pub mod dtmf;
pub mod g711;
pub mod jitter;
mod mix;
pub mod ports;
pub mod prompt;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod session;

pub use clock::set_clock_threads;
pub use dtmf::Digit;
pub use g711::Law;
pub use ports::RtpPorts;
pub use prompt::{Prompt, PromptCache, PromptError};
pub use sdp::{Negotiated, SdpError};
pub use session::{
    Bridge, BridgeHandle, MediaEvent, MediaSession, MediaStats, Monitor, MonitorError, MonitorMode,
    PendingSession,
};
