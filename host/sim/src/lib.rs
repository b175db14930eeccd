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
//! - `record`: what a far end heard from the host ([`Heard`]), recorded for tests that
//!   ask ([`SimCarrier::record_audio`]) through a tap in front of each call's media.
//! - `socket`: a far end's UDP socket, its messages routed by Call-ID to their task.
//! - `retransmit`: RFC 3261's retransmission schedule over UDP.
//!
//! Each far end's calls are tasks on the caller's tokio runtime; dropping a
//! [`SimCarrier`] or [`SimPhone`] stops them all.

mod carrier;
mod phone;
mod record;
mod register;
mod retransmit;
mod socket;
mod uas;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::sync::Mutex;
use std::time::Duration;

use ringhost_media::RtpPorts;

pub use carrier::{CarrierBehaviour, CarrierStats, SimCarrier};
pub use phone::{PhoneBehaviour, PhoneStats, SimPhone};
pub use record::{Heard, HeardPacket};

/// The RTP ports the sim's calls bind, on the far end's own address: above the host's
/// default range (10000-20000), so that a demo's two sides rarely compete for a pair
/// (and a pair in use is skipped anyway).
pub const SIM_RTP_PORTS: RangeInclusive<u16> = 40_000..=49_999;

/// The sim's RTP ports on `ip`: one round-robin for every far end of the process on
/// that address (a carrier and its phones in the demo, many in a test binary), so that
/// a pair one far end has just freed is not bound again at once by another, whose
/// stream would then hear the old call's last packets.
fn rtp_ports(ip: IpAddr) -> RtpPorts {
    static PORTS: Mutex<BTreeMap<IpAddr, RtpPorts>> = Mutex::new(BTreeMap::new());
    let mut ports = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    ports
        .entry(ip)
        .or_insert_with(|| {
            // The range is a constant that holds pairs: `new` cannot refuse it.
            RtpPorts::new(ip, *SIM_RTP_PORTS.start(), *SIM_RTP_PORTS.end())
                .unwrap_or_else(|_| unreachable!("the sim's RTP range holds port pairs"))
        })
        .clone()
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

    /// Two far ends' ranges on one address share their round-robin: a pair freed by
    /// one is not the next the other binds (separate counters would both start at the
    /// range's first pair).
    #[tokio::test]
    async fn far_ends_on_one_address_share_the_round_robin() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let first = rtp_ports(ip).bind().await.unwrap();
        let port = first.rtp.local_addr().unwrap().port();
        drop(first);
        let second = rtp_ports(ip).bind().await.unwrap();
        assert_ne!(second.rtp.local_addr().unwrap().port(), port);
    }
}
