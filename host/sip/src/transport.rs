//! Transport layer (RFC 3261 section 18): UDP datagrams and TCP streams in, parsed
//! messages out; bytes to a [`Peer`] out over the same kinds of socket.
//!
//! Every inbound message is parsed here, once, in the task that read it, so a malformed
//! message costs that task a parse and a log line and never reaches the layers above.
//! A request that cannot be parsed but can still be answered gets a 400.
//!
//! TCP messages are framed by Content-Length (18.3); CRLF keepalives between messages
//! are skipped. Responses to a request go back to the address and
//! connection it came from (the effect of `rport`, RFC 3581), which is what makes SIP
//! work through NAT.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf as _, Bytes, BytesMut};
use rsip::SipMessage;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use crate::message;

/// Largest message accepted on a stream; a peer that sends a longer head or body is
/// cut off rather than allowed to grow our buffer without bound.
const MAX_MESSAGE: usize = 64 * 1024;
/// How many parsed messages may wait for the layers above before new ones are dropped:
/// under overload, shedding load at the edge beats queueing it without bound.
const INBOUND_QUEUE: usize = 8192;
/// Time allowed to open a TCP connection to a peer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A transport protocol Ringhost speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Datagrams; the transaction layer retransmits.
    Udp,
    /// A reliable stream; no retransmission.
    Tcp,
}

impl Protocol {
    /// The name used in Via headers (`SIP/2.0/UDP`).
    pub fn via_name(self) -> &'static str {
        match self {
            Protocol::Udp => "UDP",
            Protocol::Tcp => "TCP",
        }
    }

    /// Whether the transaction layer must retransmit (RFC 3261 17.1.1.2).
    pub fn is_reliable(self) -> bool {
        self == Protocol::Tcp
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
        })
    }
}

/// The other end of a message: an address and the protocol to reach it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// IP address and port.
    pub addr: SocketAddr,
    /// UDP or TCP.
    pub protocol: Protocol,
}

/// A parsed message and where it came from.
#[derive(Debug)]
pub struct Inbound {
    /// The message, already checked by [`message::parse`].
    pub message: SipMessage,
    /// Its source; responses go back here.
    pub peer: Peer,
}

/// The write half of a TCP connection. An async mutex, held only while one message is
/// written, so that `send` returns once the bytes are with the kernel and two messages
/// never interleave.
type TcpWriter = tokio::sync::Mutex<tokio::net::tcp::OwnedWriteHalf>;

/// The bound sockets. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    udp: Option<Arc<UdpSocket>>,
    udp_local: Option<SocketAddr>,
    tcp_local: Option<SocketAddr>,
    connections: Mutex<HashMap<SocketAddr, Arc<TcpWriter>>>,
    inbound: mpsc::Sender<Inbound>,
}

impl Transport {
    /// Binds the UDP and TCP listeners and starts reading. Parsed messages arrive on the
    /// returned receiver. Messages go out from the first UDP socket.
    ///
    /// # Errors
    /// When an address cannot be bound.
    pub async fn bind(
        udp: &[SocketAddr],
        tcp: &[SocketAddr],
    ) -> std::io::Result<(Transport, mpsc::Receiver<Inbound>)> {
        let (inbound, receiver) = mpsc::channel(INBOUND_QUEUE);
        let mut sockets = Vec::new();
        for addr in udp {
            sockets.push(Arc::new(UdpSocket::bind(addr).await?));
        }
        let mut listeners = Vec::new();
        for addr in tcp {
            listeners.push(TcpListener::bind(addr).await?);
        }
        let transport = Transport {
            inner: Arc::new(Inner {
                udp_local: sockets.first().map(|s| s.local_addr()).transpose()?,
                udp: sockets.first().cloned(),
                tcp_local: listeners.first().map(|l| l.local_addr()).transpose()?,
                connections: Mutex::new(HashMap::new()),
                inbound,
            }),
        };
        for socket in sockets {
            tokio::spawn(transport.clone().read_udp(socket));
        }
        for listener in listeners {
            tokio::spawn(transport.clone().accept_tcp(listener));
        }
        Ok((transport, receiver))
    }

    /// The address to put in Via and Contact for `protocol`, if it is bound.
    pub fn local_addr(&self, protocol: Protocol) -> Option<SocketAddr> {
        match protocol {
            Protocol::Udp => self.inner.udp_local,
            Protocol::Tcp => self.inner.tcp_local,
        }
    }

    /// Sends bytes to `peer`, opening a TCP connection if none is open.
    ///
    /// # Errors
    /// When the protocol is not bound or the peer cannot be reached.
    pub async fn send(&self, peer: Peer, bytes: Bytes) -> std::io::Result<()> {
        match peer.protocol {
            Protocol::Udp => {
                let socket = self
                    .inner
                    .udp
                    .as_ref()
                    .ok_or_else(|| std::io::Error::other("no UDP listener is configured"))?;
                socket.send_to(&bytes, peer.addr).await?;
                Ok(())
            }
            Protocol::Tcp => {
                let existing = self.connection(peer.addr);
                let writer = match existing {
                    Some(writer) => writer,
                    None => self.connect(peer.addr).await?,
                };
                writer.lock().await.write_all(&bytes).await
            }
        }
    }

    fn connection(&self, addr: SocketAddr) -> Option<Arc<TcpWriter>> {
        self.inner.connections.lock().unwrap().get(&addr).cloned()
    }

    async fn connect(&self, addr: SocketAddr) -> std::io::Result<Arc<TcpWriter>> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "TCP connect timed out")
            })??;
        Ok(self.adopt(stream, addr))
    }

    /// Registers a TCP connection and starts its reader and writer tasks.
    fn adopt(&self, stream: TcpStream, remote: SocketAddr) -> Arc<TcpWriter> {
        let _ = stream.set_nodelay(true);
        let (mut read, write) = stream.into_split();
        let writer = Arc::new(tokio::sync::Mutex::new(write));
        self.inner
            .connections
            .lock()
            .unwrap()
            .insert(remote, writer.clone());
        let transport = self.clone();
        tokio::spawn(async move {
            let peer = Peer {
                addr: remote,
                protocol: Protocol::Tcp,
            };
            let mut buffer = BytesMut::with_capacity(4096);
            loop {
                if let Err(error) = transport.frame_tcp(&mut buffer, peer).await {
                    tracing::debug!(%remote, %error, "TCP connection closed");
                    break;
                }
                if buffer.len() > MAX_MESSAGE {
                    tracing::warn!(%remote, "TCP message over {MAX_MESSAGE} bytes: closing");
                    break;
                }
                match read.read_buf(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            transport.inner.connections.lock().unwrap().remove(&remote);
        });
        writer
    }

    /// Takes every complete message out of `buffer` and delivers it.
    async fn frame_tcp(&self, buffer: &mut BytesMut, peer: Peer) -> std::io::Result<()> {
        loop {
            // CRLF keepalives (RFC 5626 section 3.5.1) between messages.
            while buffer.first().is_some_and(|b| *b == b'\r' || *b == b'\n') {
                buffer.advance(1);
            }
            let Some(head) = message::head_length(buffer) else {
                return Ok(());
            };
            let body = match message::declared_content_length(&buffer[..head]) {
                Ok(length) => length.unwrap_or(0),
                Err(error) => {
                    // Without a length the stream cannot be re-synchronised.
                    tracing::warn!(remote = %peer.addr, %error, "unframeable TCP message: closing");
                    return Err(std::io::Error::other(error.to_string()));
                }
            };
            if head + body > MAX_MESSAGE {
                return Err(std::io::Error::other("message too large"));
            }
            if buffer.len() < head + body {
                return Ok(());
            }
            let raw = buffer.split_to(head + body).freeze();
            self.deliver(&raw, peer).await;
        }
    }

    async fn read_udp(self, socket: Arc<UdpSocket>) {
        let mut buffer = vec![0u8; 65_535];
        loop {
            let (len, from) = match socket.recv_from(&mut buffer).await {
                Ok(received) => received,
                Err(error) => {
                    // ICMP errors surface here on some systems; they concern one peer.
                    tracing::debug!(%error, "UDP receive error");
                    continue;
                }
            };
            let datagram = &buffer[..len];
            if datagram.iter().all(|b| matches!(b, b'\r' | b'\n' | 0)) {
                continue;
            }
            let peer = Peer {
                addr: from,
                protocol: Protocol::Udp,
            };
            self.deliver(datagram, peer).await;
        }
    }

    async fn accept_tcp(self, listener: TcpListener) {
        loop {
            match listener.accept().await {
                Ok((stream, remote)) => {
                    self.adopt(stream, remote);
                }
                Err(error) => {
                    tracing::warn!(%error, "TCP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// Parses one message and hands it up; answers or drops what does not parse.
    async fn deliver(&self, raw: &[u8], peer: Peer) {
        match message::parse(raw) {
            Ok(message) => {
                if let Err(mpsc::error::TrySendError::Full(_)) =
                    self.inner.inbound.try_send(Inbound { message, peer })
                {
                    tracing::warn!(remote = %peer.addr, "inbound queue full: message dropped");
                }
            }
            Err(error) => match message::bad_request(raw, &error.to_string()) {
                Some(response) => {
                    tracing::warn!(remote = %peer.addr, transport = %peer.protocol, %error, "malformed request: answered 400");
                    if let Err(send_error) = self.send(peer, Bytes::from(response)).await {
                        tracing::debug!(%send_error, "could not send the 400");
                    }
                }
                None => {
                    tracing::warn!(remote = %peer.addr, transport = %peer.protocol, %error, "malformed message dropped");
                }
            },
        }
    }
}
