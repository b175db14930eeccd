//! The simulated far ends against the host's own SIP stack, on loopback: calls placed
//! with `ringhost_sip::Endpoint` (as the dialer's legs place them, with an SDP offer
//! and a media session started from the answer) to a `SimCarrier`, and to a `SimPhone`
//! registered with a real `Registrar` (its bindings in memory).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ringhost_media::{Law, MediaEvent, MediaSession, PendingSession, RtpPorts, sdp};
use ringhost_sim::{
    CarrierBehaviour, CarrierStats, PhoneBehaviour, PhoneStats, SimCarrier, SimPhone,
};
use ringhost_sip::digest::Algorithm;
use ringhost_sip::{
    CallEvent, CallOutcome, CallSetup, Endpoint, EndpointConfig, HangupBy, Outcome, Peer, Protocol,
    Registrar, RegistrarSettings,
};
use tokio::net::UdpSocket;

const MS: Duration = Duration::from_millis(1);

fn carrier_behaviour(answer_rate: f64, busy_rate: f64) -> CarrierBehaviour {
    CarrierBehaviour {
        answer_rate,
        busy_rate,
        ring: (100 * MS, 150 * MS),
        talk: (1000 * MS, 1000 * MS),
        confirm_rate: 1.0,
        confirm_after: 300 * MS,
        voice_hz: None,
    }
}

async fn endpoint(registrar: Option<Arc<Registrar>>) -> Endpoint {
    Endpoint::bind(EndpointConfig {
        udp: vec!["127.0.0.1:0".parse().unwrap()],
        tcp: Vec::new(),
        timers: Default::default(),
        user_agent: "ringhost-test".into(),
        trusted: Vec::new(),
        registrar,
    })
    .await
    .unwrap()
}

/// What the host's side of one call saw.
#[derive(Debug, Default)]
struct Seen {
    ringing: bool,
    answered: bool,
    digits: String,
    packets_received: u64,
    outcome: Option<CallOutcome>,
}

/// Places a call with an SDP offer, starts the media from the answer, hangs up
/// `hang_up_after` the answer when set, and collects what happens until the end.
async fn call(
    endpoint: &Endpoint,
    to: SocketAddr,
    number: &str,
    target: Option<&str>,
    ring_timeout: Duration,
    hang_up_after: Option<Duration>,
) -> Seen {
    let ports = RtpPorts::new("127.0.0.1".parse().unwrap(), 20_000, 39_999).unwrap();
    let pending = PendingSession::open(&ports).await.unwrap();
    let mut call = endpoint.place_call(CallSetup {
        number: number.into(),
        trunk: Peer {
            addr: to,
            protocol: Protocol::Udp,
        },
        domain: String::new(),
        caller_id: "ringhost".into(),
        asserted_identity: None,
        ring_timeout,
        offer: Some(pending.offer(&[Law::Pcmu, Law::Pcma])),
        follow_redirect: false,
        login: None,
        route: None,
        target: target.map(str::to_owned),
    });
    let mut pending = Some(pending);
    let mut media: Option<MediaSession> = None;
    let mut hang_up_at: Option<tokio::time::Instant> = None;
    let mut seen = Seen::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let media_event = async {
            match media.as_mut() {
                Some(media) => media.next_event().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = call.next_event() => match event.expect("the call ended without an outcome") {
                CallEvent::Ringing => seen.ringing = true,
                CallEvent::Answered { answer } => {
                    seen.answered = true;
                    let negotiated = sdp::read_answer(&answer.expect("a 200 without SDP")).unwrap();
                    media = Some(pending.take().unwrap().start(negotiated).unwrap());
                    hang_up_at = hang_up_after.map(|after| tokio::time::Instant::now() + after);
                }
                CallEvent::Ended(outcome) => {
                    seen.packets_received = media.as_ref().map_or(0, |m| m.stats().packets_received);
                    seen.outcome = Some(outcome);
                    return seen;
                }
            },
            Some(MediaEvent::Digit(digit)) = media_event => seen.digits.push(digit.digit),
            () = async { tokio::time::sleep_until(hang_up_at.unwrap()).await }, if hang_up_at.is_some() => {
                hang_up_at = None;
                call.hangup();
            }
            () = tokio::time::sleep_until(deadline) => panic!("the call is still going: {seen:?}"),
        }
    }
}

/// Polls until the far end's counters settle: it notes a call's end when the host has
/// answered its BYE, which may be just after the host reported the end.
async fn settled<T: PartialEq + std::fmt::Debug>(expected: T, mut read: impl FnMut() -> T) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let now = read();
        if now == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {expected:?}, still {now:?}"
        );
        tokio::time::sleep(20 * MS).await;
    }
}

#[tokio::test]
async fn an_answered_callee_confirms_with_1_and_hangs_up_after_the_talk_time() {
    let carrier = SimCarrier::bind("127.0.0.1:0".parse().unwrap(), carrier_behaviour(1.0, 0.0))
        .await
        .unwrap();
    let endpoint = endpoint(None).await;
    endpoint.trust(carrier.ip());
    let seen = call(
        &endpoint,
        carrier.local_addr(),
        "33123456789",
        None,
        Duration::from_secs(5),
        None,
    )
    .await;
    let outcome = seen.outcome.clone().unwrap();
    assert!(seen.ringing && seen.answered, "{seen:?}");
    assert_eq!(outcome.outcome, Outcome::Answered, "{seen:?}");
    assert_eq!(outcome.sip_code, Some(200));
    assert_eq!(outcome.hangup_by, Some(HangupBy::Callee), "{seen:?}");
    assert_eq!(outcome.q850_cause, Some(16), "the BYE's Reason: {seen:?}");
    assert!(
        (900..=1_400).contains(&outcome.talk_ms),
        "talked {} ms for 1000: {seen:?}",
        outcome.talk_ms
    );
    assert!(
        (100..=600).contains(&outcome.ring_ms),
        "rang {} ms: {seen:?}",
        outcome.ring_ms
    );
    // Real RTP: comfort noise at 50 packets a second, and the digit as RFC 4733 events.
    assert_eq!(seen.digits, "1", "{seen:?}");
    assert!(seen.packets_received > 25, "{seen:?}");
    settled(
        CarrierStats {
            invites: 1,
            answered: 1,
            confirmed: 1,
            hung_up_by_sim: 1,
            ..CarrierStats::default()
        },
        || carrier.stats(),
    )
    .await;
}

/// A recording carrier hears every packet the host sends, in order and on time, from
/// the answer to the hang-up; the tap in front of its media passes both ways, so the
/// host still hears the callee's audio and the digit it presses.
#[tokio::test]
async fn a_recording_carrier_hears_each_packet_the_host_sends() {
    let carrier = SimCarrier::bind("127.0.0.1:0".parse().unwrap(), carrier_behaviour(1.0, 0.0))
        .await
        .unwrap();
    carrier.record_audio();
    let endpoint = endpoint(None).await;
    let seen = call(
        &endpoint,
        carrier.local_addr(),
        "33123456789",
        None,
        Duration::from_secs(5),
        None,
    )
    .await;
    // Through the tap: the callee's noise and its digit reached the host.
    assert_eq!(seen.digits, "1", "{seen:?}");
    assert!(seen.packets_received > 25, "{seen:?}");
    settled(1, || carrier.stats().hung_up_by_sim).await;

    let heard = carrier.heard();
    assert_eq!(heard.len(), 1, "{heard:?}");
    let heard = &heard[0];
    assert_eq!(heard.number, "33123456789");
    let ended = heard.ended_at.expect("the call is over");
    let talked = ended - heard.answered_at;
    assert!((900 * MS..1_400 * MS).contains(&talked), "{talked:?}");
    let packets = &heard.packets;
    assert!(
        packets.len() >= 40,
        "{} packets in {talked:?}",
        packets.len()
    );
    // What the host's leg sends until told otherwise: its comfort noise, from the
    // start, one 20 ms frame after the other.
    let law = Law::from_payload_type(packets[0].payload_type).expect("G.711");
    let noise = &ringhost_media::prompt::comfort_noise(law).codes;
    for (n, packet) in packets.iter().enumerate() {
        assert_eq!(packet.payload, noise[n * 160..(n + 1) * 160], "frame {n}");
        assert_eq!(
            packet.seq,
            packets[0].seq.wrapping_add(n as u16),
            "frame {n}"
        );
        let step = packet.timestamp.wrapping_sub(packets[0].timestamp);
        assert_eq!(step, 160 * n as u32, "frame {n}");
    }
    let first = packets[0].at - heard.answered_at;
    assert!(
        first < 100 * MS,
        "the first frame came {first:?} after the answer"
    );
    for pair in packets.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap < 100 * MS, "a {gap:?} gap");
    }
    assert!(packets.iter().all(|p| p.at <= ended), "heard after the end");
}

#[tokio::test]
async fn a_busy_callee_gives_486() {
    let carrier = SimCarrier::bind("127.0.0.1:0".parse().unwrap(), carrier_behaviour(0.0, 1.0))
        .await
        .unwrap();
    let endpoint = endpoint(None).await;
    let seen = call(
        &endpoint,
        carrier.local_addr(),
        "1",
        None,
        Duration::from_secs(5),
        None,
    )
    .await;
    let outcome = seen.outcome.clone().unwrap();
    assert!(seen.ringing && !seen.answered, "{seen:?}");
    assert_eq!(outcome.outcome, Outcome::Busy, "{seen:?}");
    assert_eq!(outcome.sip_code, Some(486));
    settled(
        CarrierStats {
            invites: 1,
            busy: 1,
            ..CarrierStats::default()
        },
        || carrier.stats(),
    )
    .await;
}

#[tokio::test]
async fn a_callee_who_never_answers_rings_until_cancelled() {
    let carrier = SimCarrier::bind("127.0.0.1:0".parse().unwrap(), carrier_behaviour(0.0, 0.0))
        .await
        .unwrap();
    let endpoint = endpoint(None).await;
    let seen = call(&endpoint, carrier.local_addr(), "1", None, 400 * MS, None).await;
    let outcome = seen.outcome.clone().unwrap();
    assert_eq!(outcome.outcome, Outcome::NoAnswer, "{seen:?}");
    assert_eq!(outcome.sip_code, Some(487), "the INVITE ends 487: {seen:?}");
    settled(
        CarrierStats {
            invites: 1,
            no_answer: 1,
            ..CarrierStats::default()
        },
        || carrier.stats(),
    )
    .await;
}

#[tokio::test]
async fn the_host_hanging_up_first_gets_its_bye_answered() {
    let mut behaviour = carrier_behaviour(1.0, 0.0);
    behaviour.talk = (Duration::from_secs(30), Duration::from_secs(30));
    behaviour.confirm_rate = 0.0;
    let carrier = SimCarrier::bind("127.0.0.1:0".parse().unwrap(), behaviour)
        .await
        .unwrap();
    let endpoint = endpoint(None).await;
    let seen = call(
        &endpoint,
        carrier.local_addr(),
        "1",
        None,
        Duration::from_secs(5),
        Some(300 * MS),
    )
    .await;
    let outcome = seen.outcome.clone().unwrap();
    assert_eq!(outcome.outcome, Outcome::Answered, "{seen:?}");
    assert_eq!(outcome.hangup_by, Some(HangupBy::Ringhost), "{seen:?}");
    assert!(seen.digits.is_empty(), "confirm_rate 0: {seen:?}");
    settled(
        CarrierStats {
            invites: 1,
            answered: 1,
            hung_up_by_host: 1,
            ..CarrierStats::default()
        },
        || carrier.stats(),
    )
    .await;
}

/// The host's keepalives are answered, and garbage on the socket costs nothing.
#[tokio::test]
async fn options_are_answered_and_garbage_is_dropped() {
    let carrier = SimCarrier::bind("127.0.0.1:0".parse().unwrap(), carrier_behaviour(1.0, 0.0))
        .await
        .unwrap();
    assert!(
        SimCarrier::bind("0.0.0.0:0".parse().unwrap(), CarrierBehaviour::default())
            .await
            .is_err(),
        "the sim binds loopback only"
    );
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = socket.local_addr().unwrap();
    let to = carrier.local_addr();
    for garbage in [
        &b"\x00\xffnot sip at all"[..],
        b"INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n",
        b"SIP/2.0 200 OK\r\nContent-Length: 99\r\n\r\nshort",
    ] {
        socket.send_to(garbage, to).await.unwrap();
    }
    let options = format!(
        "OPTIONS sip:{to} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bKkeepalive\r\n\
         From: <sip:ringhost@{local}>;tag=k\r\n\
         To: <sip:{to}>\r\n\
         Call-ID: keepalive-1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    socket.send_to(options.as_bytes(), to).await.unwrap();
    let mut buf = vec![0; 65_536];
    let len = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf))
        .await
        .expect("no answer to OPTIONS")
        .unwrap();
    let response = String::from_utf8_lossy(&buf[..len]);
    assert!(response.starts_with("SIP/2.0 200 "), "{response}");
    assert!(response.contains("Call-ID: keepalive-1"), "{response}");
    assert_eq!(carrier.stats(), CarrierStats::default());
}

/// A registrar behind an endpoint, granting at most `max_expires`.
async fn registrar(max_expires: Duration) -> (Endpoint, Arc<Registrar>, SocketAddr) {
    let store = Arc::new(ringhost_sip::MemoryBindings::default());
    let registrar = Registrar::new(
        RegistrarSettings {
            realm: "ringhost".into(),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            min_expires: Duration::from_secs(1),
            max_expires,
            max_failures: 10,
            failure_window: Duration::from_secs(60),
            block_for: Duration::from_secs(60),
            phones: HashMap::from([
                ("agent1".to_owned(), "pw-one".to_owned()),
                ("agent2".to_owned(), "pw-two".to_owned()),
            ]),
            accounts: None,
        },
        store,
    )
    .await
    .unwrap();
    let endpoint = endpoint(Some(registrar.clone())).await;
    let addr = endpoint.transport().local_addr(Protocol::Udp).unwrap();
    (endpoint, registrar, addr)
}

#[tokio::test]
async fn a_phone_registers_answers_one_call_and_refuses_a_second_as_busy() {
    let (endpoint, registrar, addr) = registrar(Duration::from_secs(3600)).await;
    let phone = SimPhone::start(
        addr,
        "agent1",
        "pw-one",
        PhoneBehaviour {
            answer_after: 200 * MS,
            talk: (Duration::from_secs(1), Duration::from_secs(1)),
            answer: true,
            voice_hz: None,
        },
    )
    .await
    .unwrap();
    phone.record_audio();
    assert!(phone.registered());
    let contacts = registrar.contacts("agent1");
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0].peer.addr, phone.local_addr());
    assert_eq!(
        contacts[0].contact,
        format!("sip:agent1@{}", phone.local_addr())
    );
    assert!(registrar.contacts("agent2").is_empty());

    let (to, contact) = (contacts[0].peer.addr, contacts[0].contact.as_str());
    let first = call(
        &endpoint,
        to,
        "agent1",
        Some(contact),
        Duration::from_secs(5),
        None,
    );
    let second = async {
        // While the first call rings.
        tokio::time::sleep(100 * MS).await;
        call(
            &endpoint,
            to,
            "agent1",
            Some(contact),
            Duration::from_secs(5),
            None,
        )
        .await
    };
    let (first, second) = tokio::join!(first, second);
    let outcome = first.outcome.clone().unwrap();
    assert_eq!(outcome.outcome, Outcome::Answered, "{first:?}");
    assert_eq!(outcome.hangup_by, Some(HangupBy::Callee), "{first:?}");
    assert!(
        (900..=1_400).contains(&outcome.talk_ms),
        "talked {} ms for 1000: {first:?}",
        outcome.talk_ms
    );
    assert!(first.packets_received > 25, "{first:?}");
    let busy = second.outcome.clone().unwrap();
    assert_eq!(busy.outcome, Outcome::Busy, "{second:?}");
    assert!(!second.ringing, "a busy phone does not ring: {second:?}");
    settled(
        PhoneStats {
            calls_answered: 1,
            busy_refusals: 1,
            max_concurrent_calls: 2,
            calls_in_progress: 0,
        },
        || phone.stats(),
    )
    .await;
    // The answered call was recorded, the refused one was not.
    let heard = phone.heard();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].number, "agent1");
    assert!(heard[0].packets.len() > 25, "{heard:?}");
    assert!(heard[0].ended_at.is_some(), "{heard:?}");
}

#[tokio::test]
async fn an_agent_who_does_not_answer_rings_out_and_a_wrong_password_is_refused() {
    let (endpoint, registrar, addr) = registrar(Duration::from_secs(3600)).await;
    let refused = SimPhone::start(addr, "agent2", "wrong", PhoneBehaviour::default()).await;
    let error = refused.expect_err("a wrong password registers").to_string();
    assert!(error.contains("403"), "{error}");

    let phone = SimPhone::start(
        addr,
        "agent2",
        "pw-two",
        PhoneBehaviour {
            answer: false,
            ..PhoneBehaviour::default()
        },
    )
    .await
    .unwrap();
    let registered = registrar.contacts("agent2").remove(0);
    let (to, contact) = (registered.peer.addr, Some(registered.contact.as_str()));
    let seen = call(&endpoint, to, "agent2", contact, 400 * MS, None).await;
    let outcome = seen.outcome.clone().unwrap();
    assert!(seen.ringing, "{seen:?}");
    assert_eq!(outcome.outcome, Outcome::NoAnswer, "{seen:?}");
    assert_eq!(phone.stats().calls_answered, 0);
    // The phone is free again once the cancelled call is over.
    settled(0, || phone.stats().calls_in_progress).await;
    let again = call(&endpoint, to, "agent2", contact, 300 * MS, None).await;
    assert_eq!(again.outcome.unwrap().outcome, Outcome::NoAnswer);
    assert_eq!(phone.stats().busy_refusals, 0);
}

/// A far end played from a raw socket, for what the host's stack never does: leave a
/// 200 unacknowledged, retransmit an INVITE, send requests outside any dialog.
struct Raw {
    socket: UdpSocket,
    to: SocketAddr,
}

impl Raw {
    async fn send(&self, message: &str) {
        self.socket
            .send_to(message.as_bytes(), self.to)
            .await
            .unwrap();
    }

    async fn recv(&self, within: Duration) -> Option<String> {
        let mut buf = vec![0; 65_536];
        let len = tokio::time::timeout(within, self.socket.recv(&mut buf))
            .await
            .ok()?
            .unwrap();
        Some(String::from_utf8_lossy(&buf[..len]).into_owned())
    }

    fn request(&self, method: &str, call_id: &str, seq: u32, to_tag: &str, body: &str) -> String {
        let local = self.socket.local_addr().unwrap();
        let to = self.to;
        let content_type = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "{method} sip:callee@{to} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK{call_id}{seq}{method}\r\n\
             From: <sip:ringhost@{local}>;tag=raw\r\n\
             To: <sip:callee@{to}>{to_tag}\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {seq} {method}\r\n\
             Contact: <sip:ringhost@{local}>\r\n\
             Max-Forwards: 70\r\n\
             {content_type}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }
}

#[tokio::test]
async fn the_200_is_sent_again_until_the_ack_and_strangers_get_481() {
    let mut behaviour = carrier_behaviour(1.0, 0.0);
    behaviour.ring = (Duration::ZERO, Duration::ZERO);
    behaviour.talk = (Duration::from_millis(2000), Duration::from_millis(2000));
    behaviour.confirm_rate = 0.0;
    let carrier = SimCarrier::bind("127.0.0.1:0".parse().unwrap(), behaviour)
        .await
        .unwrap();
    let raw = Raw {
        socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        to: carrier.local_addr(),
    };
    let ports = RtpPorts::new("127.0.0.1".parse().unwrap(), 20_000, 39_999).unwrap();
    let pending = PendingSession::open(&ports).await.unwrap();
    let offer = String::from_utf8(pending.offer(&[Law::Pcma])).unwrap();
    let invite = raw.request("INVITE", "raw-1", 1, "", &offer);

    raw.send(&invite).await;
    let mut codes = Vec::new();
    let ok = loop {
        let response = raw.recv(Duration::from_secs(2)).await.expect("no 200");
        codes.push(response[8..11].to_owned());
        if response.starts_with("SIP/2.0 200 ") {
            break response;
        }
    };
    assert_eq!(codes, ["100", "180", "200"]);
    assert!(ok.contains("m=audio "), "{ok}");
    assert!(ok.contains("PCMA/8000"), "the offered law: {ok}");
    let answered = tokio::time::Instant::now();
    let to_tag = ok
        .lines()
        .find_map(|l| l.strip_prefix("To: "))
        .and_then(|to| to.split_once(";tag="))
        .map(|(_, tag)| format!(";tag={tag}"))
        .expect("a To tag");

    // A retransmitted INVITE gets the last response again.
    raw.send(&invite).await;
    assert_eq!(
        raw.recv(Duration::from_millis(300)).await.as_deref(),
        Some(ok.as_str())
    );
    // Unacknowledged, the 200 comes again after T1, then 2*T1 later (timer G).
    let again = raw
        .recv(Duration::from_secs(1))
        .await
        .expect("no retransmission");
    assert_eq!(again, ok);
    let at = answered.elapsed();
    assert!((400 * MS..=700 * MS).contains(&at), "after {at:?}");
    let again = raw
        .recv(Duration::from_millis(1500))
        .await
        .expect("no second retransmission");
    assert_eq!(again, ok);
    let at = answered.elapsed();
    assert!((1300 * MS..=1800 * MS).contains(&at), "after {at:?}");

    // Acknowledged, the next thing to come is the callee's BYE at the end of the talk.
    raw.send(&raw.request("ACK", "raw-1", 1, &to_tag, "")).await;
    let bye = raw.recv(Duration::from_secs(2)).await.expect("no BYE");
    assert!(bye.starts_with("BYE sip:ringhost@"), "{bye}");
    assert!(bye.contains("Call-ID: raw-1"), "{bye}");
    assert!(
        bye.contains("To: <sip:ringhost@"),
        "From and To swapped: {bye}"
    );
    let at = answered.elapsed();
    assert!((1900 * MS..=2300 * MS).contains(&at), "after {at:?}");
    raw.send(&ok_to(&bye)).await;

    // Requests for dialogs the carrier does not have.
    for method in ["BYE", "CANCEL"] {
        raw.send(&raw.request(method, "unknown", 1, ";tag=x", ""))
            .await;
        let response = raw.recv(Duration::from_secs(1)).await.expect("no answer");
        assert!(response.starts_with("SIP/2.0 481 "), "{method}: {response}");
    }
    settled(
        CarrierStats {
            invites: 1,
            answered: 1,
            hung_up_by_sim: 1,
            ..CarrierStats::default()
        },
        || carrier.stats(),
    )
    .await;
}

/// A 200 to a request, its headers echoed.
fn ok_to(request: &str) -> String {
    let mut response = "SIP/2.0 200 OK\r\n".to_owned();
    for line in request.lines() {
        if ["Via:", "From:", "To:", "Call-ID:", "CSeq:"]
            .iter()
            .any(|name| line.starts_with(name))
        {
            response.push_str(line);
            response.push_str("\r\n");
        }
    }
    response.push_str("Content-Length: 0\r\n\r\n");
    response
}

/// Granted 2 s instead of the 300 asked, the phone refreshes halfway and stays
/// registered past the first grant.
#[tokio::test]
async fn a_short_grant_is_refreshed_before_it_lapses() {
    let (_endpoint, registrar, addr) = registrar(Duration::from_secs(2)).await;
    let phone = SimPhone::start(addr, "agent1", "pw-one", PhoneBehaviour::default())
        .await
        .unwrap();
    let first = registrar.contacts("agent1");
    assert_eq!(first.len(), 1, "{first:?}");
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert!(phone.registered());
    let now = registrar.contacts("agent1");
    assert_eq!(now.len(), 1, "lapsed: {now:?}");
    assert!(
        now[0].expires_at_ms > first[0].expires_at_ms,
        "{first:?} {now:?}"
    );
}
