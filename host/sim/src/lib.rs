//! Simulated far ends for `ringhost demo`: a carrier whose callees answer, are busy or
//! ring out ([`SimCarrier`]), and agents' desk phones that register and take calls
//! ([`SimPhone`]). They speak real SIP over UDP and real RTP on loopback, so a demo runs
//! the host's production paths end to end (trunk keepalives, INVITE transactions,
//! CANCEL, the registrar's digest, the media clock, RFC 4733 digits) with no carrier
//! account and no phone on a desk.
//!
//! **Architecture invariants:** this crate and `ringhost-sip` are the only ones that
//! read SIP messages (parsed by `ringhost_sip::message`, built on rsip here). The sim
//! is for the demo and tests only: `ringhost serve` never uses it, and it binds
//! loopback addresses only.
//!
//! ```no_run
//! use std::time::Duration;
//! use ringhost_sim::{CarrierBehaviour, PhoneBehaviour, SimCarrier, SimPhone};
//!
//! # async fn demo(registrar: std::net::SocketAddr) -> anyhow::Result<()> {
//! // A trunk for the host to call through: every callee answers and talks 5 s.
//! let carrier = SimCarrier::bind(
//!     "127.0.0.1:0".parse()?,
//!     CarrierBehaviour {
//!         answer_rate: 1.0,
//!         talk: (Duration::from_secs(5), Duration::from_secs(5)),
//!         ..CarrierBehaviour::default()
//!     },
//! )
//! .await?;
//! // An agent's phone, registered with the host's registrar.
//! let phone = SimPhone::start(registrar, "agent1", "secret", PhoneBehaviour::default()).await?;
//! assert!(phone.registered());
//! // ... point a trunk at carrier.local_addr(), run a campaign, then:
//! println!("{:?} {:?}", carrier.stats(), phone.stats());
//! # Ok(())
//! # }
//! ```
//!
//! Layout, one concept per module:
//! - `carrier`: [`SimCarrier`], its callees' [`CarrierBehaviour`] and [`CarrierStats`].
//! - `phone`: [`SimPhone`], its agent's [`PhoneBehaviour`] and [`PhoneStats`].
//! - `register`: the phone's REGISTER, digest answer and refreshes.
//! - `uas`: what both share: one call as its UAS sees it, from the INVITE to the BYE,
//!   with its media.
//! - `socket`: a far end's UDP socket, its messages routed by Call-ID to their task.
//! - `retransmit`: RFC 3261's retransmission schedule over UDP.
//!
//! Each far end's calls are tasks on the caller's tokio runtime; dropping a
//! [`SimCarrier`] or [`SimPhone`] stops them all.

mod carrier;
mod phone;
mod register;
mod retransmit;
mod socket;
mod uas;

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use ringhost_media::RtpPorts;

pub use carrier::{CarrierBehaviour, CarrierStats, SimCarrier};
pub use phone::{PhoneBehaviour, PhoneStats, SimPhone};

/// The RTP ports the sim's calls bind, on the far end's own address: above the host's
/// default range (10000-20000), so that a demo's two sides rarely compete for a pair
/// (and a pair in use is skipped anyway).
pub const SIM_RTP_PORTS: RangeInclusive<u16> = 40_000..=49_999;

fn rtp_ports(ip: IpAddr) -> RtpPorts {
    // The range is a constant that holds pairs: `new` cannot refuse it.
    RtpPorts::new(ip, *SIM_RTP_PORTS.start(), *SIM_RTP_PORTS.end())
        .unwrap_or_else(|_| unreachable!("the sim's RTP range holds port pairs"))
}

/// A duration drawn uniformly from a range given either way round; the range's one
/// value when both ends are equal.
fn pick((a, b): (Duration, Duration)) -> Duration {
    let (low, high) = (a.min(b), a.max(b));
    rand::random_range(low..=high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_within_the_range_either_way_round() {
        let (low, high) = (Duration::from_millis(100), Duration::from_millis(200));
        for _ in 0..1000 {
            assert!((low..=high).contains(&pick((low, high))));
            assert!((low..=high).contains(&pick((high, low))));
        }
        assert_eq!(pick((low, low)), low);
    }
}
