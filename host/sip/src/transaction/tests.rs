//! Transaction timers on tokio's paused clock, against a real UDP socket that plays a
//! silent or a late peer.

use std::time::Duration;

use super::*;
use crate::transport::Protocol;

async fn layer_and_peer() -> (Arc<TransactionLayer>, tokio::net::UdpSocket, Peer) {
    let local: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let (transport, _inbound) = Transport::bind(&[local], &[]).await.unwrap();
    let peer_socket = tokio::net::UdpSocket::bind(local).await.unwrap();
    let peer = Peer {
        addr: peer_socket.local_addr().unwrap(),
        protocol: Protocol::Udp,
    };
    (
        TransactionLayer::new(transport, Timers::default()),
        peer_socket,
        peer,
    )
}

fn request(method: &str) -> Request {
    let text = format!(
        "{method} sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch={}\r\n\
         From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:1@127.0.0.1>\r\nCall-ID: t@x\r\n\
         CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n",
        crate::ids::branch()
    );
    match crate::message::parse(text.as_bytes()).unwrap() {
        rsip::SipMessage::Request(request) => request,
        rsip::SipMessage::Response(_) => unreachable!(),
    }
}

/// Counts the datagrams that reached the peer so far.
fn drain(socket: &tokio::net::UdpSocket) -> usize {
    let mut buffer = [0u8; 2048];
    let mut count = 0;
    while socket.try_recv_from(&mut buffer).is_ok() {
        count += 1;
    }
    count
}

/// Waits for the transaction's first event, counting what the peer received meanwhile.
async fn until_event(
    mut transaction: ClientTransaction,
    peer_socket: &tokio::net::UdpSocket,
) -> (Option<ClientEvent>, usize) {
    let mut sent = 0;
    let event = loop {
        tokio::select! {
            event = transaction.events.recv() => break event,
            () = tokio::time::sleep(Duration::from_millis(100)) => sent += drain(peer_socket),
        }
    };
    (event, sent + drain(peer_socket))
}

/// Timer A doubles from T1 (0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s) until timer B ends
/// the transaction at 64*T1 = 32 s.
#[tokio::test(start_paused = true)]
async fn invite_to_a_silent_peer_is_retransmitted_then_times_out() {
    let (layer, peer_socket, peer) = layer_and_peer().await;
    let start = tokio::time::Instant::now();
    let transaction = layer.send_request(request("INVITE"), peer);
    let (event, sent) = until_event(transaction, &peer_socket).await;
    assert!(matches!(event, Some(ClientEvent::Timeout)), "{event:?}");
    assert_eq!(start.elapsed().as_secs(), 32);
    assert_eq!(sent, 7, "1 INVITE and 6 retransmissions");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(layer.live(), (0, 0), "the transaction is gone");
}

/// Timer E doubles from T1 up to T2 (0, 0.5, 1.5, 3.5, 7.5, 11.5, ... 31.5 s) until
/// timer F ends the transaction at 32 s.
#[tokio::test(start_paused = true)]
async fn non_invite_retransmissions_are_capped_at_t2() {
    let (layer, peer_socket, peer) = layer_and_peer().await;
    let transaction = layer.send_request(request("OPTIONS"), peer);
    let (event, sent) = until_event(transaction, &peer_socket).await;
    assert!(matches!(event, Some(ClientEvent::Timeout)), "{event:?}");
    // 0, .5, 1.5, 3.5, 7.5, then every 4 s: 11.5 ... 31.5 (6 more).
    assert_eq!(sent, 11);
}
