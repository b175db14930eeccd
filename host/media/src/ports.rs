//! The RTP port range: each media stream binds an even port for RTP and the odd port
//! above it for RTCP (RFC 3550 section 11), from the range the operator opened in the
//! firewall. A [`PortPair`] holds its two sockets; dropping it frees both ports.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use tokio::net::UdpSocket;

/// Hands out port pairs from a range, round-robin so that a port just freed is not
/// reused at once (late packets of the old call would land in the new one).
#[derive(Debug, Clone)]
pub struct RtpPorts {
    ip: IpAddr,
    first: u16,
    pairs: u16,
    next: Arc<AtomicU16>,
}

/// An RTP socket and its RTCP socket.
#[derive(Debug)]
pub struct PortPair {
    /// Even port: RTP.
    pub rtp: UdpSocket,
    /// The next port: RTCP.
    pub rtcp: UdpSocket,
}

impl RtpPorts {
    /// Ports `min..=max` on `ip` (rounded inwards to whole even/odd pairs).
    ///
    /// # Errors
    /// When the range holds no pair.
    pub fn new(ip: IpAddr, min: u16, max: u16) -> Result<RtpPorts, String> {
        let first = min.saturating_add(min % 2).max(2);
        let pairs = max.saturating_sub(first).saturating_add(1) / 2;
        if pairs == 0 {
            return Err(format!(
                "the RTP port range {min}-{max} holds no even/odd pair"
            ));
        }
        Ok(RtpPorts {
            ip,
            first,
            pairs,
            next: Arc::new(AtomicU16::new(0)),
        })
    }

    /// The address streams listen on.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// Binds the next free pair.
    ///
    /// # Errors
    /// When every pair of the range is taken.
    pub async fn bind(&self) -> std::io::Result<PortPair> {
        for _ in 0..self.pairs {
            let index = self.next.fetch_add(1, Ordering::Relaxed) % self.pairs;
            let port = self.first + 2 * index;
            let Ok(rtp) = UdpSocket::bind(SocketAddr::new(self.ip, port)).await else {
                continue;
            };
            if let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(self.ip, port + 1)).await {
                return Ok(PortPair { rtp, rtcp });
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!(
                "every RTP port pair from {} is in use ({} pairs)",
                self.first, self.pairs
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pairs_are_even_and_odd_and_freed_on_drop() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        // Find a free stretch of four ports in the high range.
        let base = 40_000 + (std::process::id() % 10_000) as u16 * 2;
        let ports = RtpPorts::new(ip, base, base + 3).unwrap();
        let a = ports.bind().await.unwrap();
        let b = ports.bind().await.unwrap();
        for pair in [&a, &b] {
            let rtp = pair.rtp.local_addr().unwrap().port();
            assert_eq!(rtp % 2, 0);
            assert_eq!(pair.rtcp.local_addr().unwrap().port(), rtp + 1);
        }
        assert!(
            ports.bind().await.is_err(),
            "two pairs in the range, both taken"
        );
        drop(a);
        assert!(ports.bind().await.is_ok(), "a dropped pair is free again");
        assert!(RtpPorts::new(ip, 10_001, 10_001).is_err());
    }
}
