//! Trunk state against a carrier played from a raw UDP socket: OPTIONS keepalives
//! mark the trunk up and down, a down trunk gets no INVITE, and a trunk's channel
//! capacity refuses the call past it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use ringhost_sip::transaction::Timers;
use ringhost_sip::{
    CallEvent, Dial, Endpoint, EndpointConfig, Outcome, Protocol, TrunkSpec, Trunks,
};
use tokio::net::UdpSocket;

/// Answers OPTIONS 200 while `answering`, INVITEs 180 (and counts them).
async fn carrier(socket: UdpSocket, answering: Arc<AtomicBool>, invites: Arc<AtomicUsize>) {
    let mut buf = vec![0; 65536];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let code = if text.starts_with("OPTIONS ") {
            if !answering.load(Ordering::SeqCst) {
                continue;
            }
            "200 OK"
        } else if text.starts_with("INVITE ") {
            invites.fetch_add(1, Ordering::SeqCst);
            "180 Ringing"
        } else {
            continue;
        };
        let mut response = format!("SIP/2.0 {code}\r\n");
        for line in text.lines() {
            let name = line.split(':').next().unwrap_or("");
            match name {
                "Via" | "From" | "Call-ID" | "CSeq" => response.push_str(&format!("{line}\r\n")),
                "To" => response.push_str(&format!("{line};tag=carrier\r\n")),
                _ => {}
            }
        }
        response.push_str("Content-Length: 0\r\n\r\n");
        let _ = socket.send_to(response.as_bytes(), from).await;
    }
}

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn keepalive_marks_up_and_down_and_capacity_is_enforced() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = socket.local_addr().unwrap().to_string();
    let answering = Arc::new(AtomicBool::new(true));
    let invites = Arc::new(AtomicUsize::new(0));
    tokio::spawn(carrier(socket, answering.clone(), invites.clone()));

    // T1 = 10 ms: an unanswered OPTIONS times out after 64*T1 = 640 ms.
    let endpoint = Endpoint::bind(EndpointConfig {
        udp: vec!["127.0.0.1:0".parse().unwrap()],
        tcp: Vec::new(),
        timers: Timers {
            t1: Duration::from_millis(10),
            t2: Duration::from_millis(40),
            t4: Duration::from_millis(50),
        },
        user_agent: "test".into(),
        trusted: Vec::new(),
        registrar: None,
    })
    .await
    .unwrap();
    let spec = TrunkSpec {
        name: "carrier".into(),
        address,
        protocol: Protocol::Udp,
        domain: String::new(),
        outbound_proxy: None,
        login: None,
        register: false,
        register_expires: Duration::from_secs(600),
        caller_id: "ringhost".into(),
        asserted_identity: None,
        channels: 1,
        cps: 100.0,
        keepalive: Duration::from_millis(100),
        follow_redirect: false,
    };
    let trunks = Trunks::start(&endpoint, vec![spec], Vec::new())
        .await
        .unwrap();
    let dial = Dial {
        number: "5551234".into(),
        caller_id: None,
        ring_timeout: Duration::from_secs(30),
        offer: None,
    };

    // One channel: the first call rings and holds it, the second is refused at once
    // without an INVITE.
    let mut first = trunks.place_call("carrier", dial.clone()).unwrap();
    assert_eq!(first.next_event().await, Some(CallEvent::Ringing));
    assert_eq!(trunks.status()[0].in_use, 1);
    let mut second = trunks.place_call("carrier", dial.clone()).unwrap();
    let Some(CallEvent::Ended(outcome)) = second.next_event().await else {
        panic!("the second call was not refused");
    };
    assert_eq!(outcome.outcome, Outcome::ChannelUnavailable);
    assert_eq!(invites.load(Ordering::SeqCst), 1);
    drop(first);

    // The carrier stops answering OPTIONS: the trunk goes down and gets no INVITE.
    answering.store(false, Ordering::SeqCst);
    wait_for("the trunk to go down", || !trunks.status()[0].up).await;
    wait_for("the channel to be freed", || trunks.status()[0].in_use == 0).await;
    let invites_before = invites.load(Ordering::SeqCst);
    let mut refused = trunks.place_call("carrier", dial.clone()).unwrap();
    let Some(CallEvent::Ended(outcome)) = refused.next_event().await else {
        panic!("a call through a down trunk was not refused");
    };
    assert_eq!(outcome.outcome, Outcome::ChannelUnavailable);
    assert_eq!(invites.load(Ordering::SeqCst), invites_before);

    // It answers again: up again.
    answering.store(true, Ordering::SeqCst);
    wait_for("the trunk to come back up", || trunks.status()[0].up).await;
}
