//! Legs on loopback, with a plain UDP socket as the far end capturing what leaves.

use std::time::{Duration, Instant};

use rtp_rs::RtpReader;
use tokio::net::UdpSocket;

use super::*;
use crate::dtmf::{EventReceiver, TelephoneEvent, digit_tone};
use crate::sdp::Direction;

/// A captured RTP packet.
#[derive(Debug, Clone)]
struct Captured {
    payload_type: u8,
    marker: bool,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    payload: Vec<u8>,
    at: Instant,
}

/// A far end: a socket, and the stream negotiated with it.
async fn far_end(law: Law, events: Option<u8>) -> (UdpSocket, Negotiated) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let negotiated = Negotiated {
        remote: socket.local_addr().unwrap(),
        law,
        payload_type: law.payload_type(),
        event_payload_type: events,
        ptime_ms: Some(20),
        direction: Direction::SendRecv,
    };
    (socket, negotiated)
}

async fn open() -> PendingSession {
    let ports = RtpPorts::new("127.0.0.1".parse().unwrap(), 20_000, 60_000).unwrap();
    PendingSession::open(&ports).await.unwrap()
}

/// Reads packets until `until` says stop or nothing comes for a second.
async fn capture(socket: &UdpSocket, mut until: impl FnMut(&[Captured]) -> bool) -> Vec<Captured> {
    let mut packets = Vec::new();
    let mut buffer = [0u8; 2048];
    while !until(&packets) {
        let Ok(Ok((len, _))) =
            tokio::time::timeout(Duration::from_secs(1), socket.recv_from(&mut buffer)).await
        else {
            break;
        };
        let packet =
            RtpReader::new(&buffer[..len]).expect("Ringhost sent a packet that is not RTP");
        packets.push(Captured {
            payload_type: packet.payload_type(),
            marker: packet.mark(),
            seq: packet.sequence_number().into(),
            timestamp: packet.timestamp(),
            ssrc: packet.ssrc(),
            payload: packet.payload().to_vec(),
            at: Instant::now(),
        });
    }
    packets
}

fn rms(law: Law, payload: &[u8]) -> f32 {
    (payload
        .iter()
        .map(|&c| f32::from(law.decode(c)).powi(2))
        .sum::<f32>()
        / payload.len() as f32)
        .sqrt()
}

#[tokio::test]
async fn a_prompt_leaves_as_paced_continuous_frames_then_comfort_noise() {
    let (socket, negotiated) = far_end(Law::Pcma, Some(101)).await;
    let mut session = open().await.start(negotiated).unwrap();
    // One second of a loud 1 kHz tone, in the other law: converted on the way out.
    let tone: Vec<i16> = (0..8000)
        .map(|i| (12000.0 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 8000.0).sin()) as i16)
        .collect();
    let prompt = Arc::new(Prompt::from_samples("tone", Law::Pcmu, &tone));
    // Drain the comfort noise sent since the start, then play.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let id = session.play(vec![prompt.clone(), prompt]);
    let packets = capture(&socket, |p| p.len() >= 160).await;
    assert!(
        matches!(session.next_event().await, Some(MediaEvent::PlaybackDone(done)) if done == id)
    );

    let ssrc = packets[0].ssrc;
    for pair in packets.windows(2) {
        assert_eq!(
            pair[1].seq,
            pair[0].seq.wrapping_add(1),
            "sequence numbers are consecutive"
        );
        assert_eq!(
            pair[1].timestamp,
            pair[0].timestamp.wrapping_add(160),
            "timestamps advance a frame"
        );
        assert_eq!(pair[1].ssrc, ssrc);
        assert!(!pair[1].marker, "only the first packet is marked");
    }
    assert!(packets[0].marker);
    assert!(
        packets
            .iter()
            .all(|p| p.payload_type == 8 && p.payload.len() == 160)
    );
    let loud: Vec<_> = packets
        .iter()
        .filter(|p| rms(Law::Pcma, &p.payload) > 3000.0)
        .collect();
    assert_eq!(loud.len(), 100, "two seconds of tone are 100 frames");
    let span = loud[99].at - loud[0].at;
    assert!(
        (Duration::from_millis(1900)..Duration::from_millis(2150)).contains(&span),
        "100 frames took {span:?}, not 2 s"
    );
    let after = packets
        .iter()
        .skip_while(|p| rms(Law::Pcma, &p.payload) < 3000.0)
        .skip(100);
    for packet in after {
        assert!(
            packet.payload.iter().any(|&c| c != 0xD5),
            "comfort noise, not digital silence"
        );
        assert!(rms(Law::Pcma, &packet.payload) < 100.0);
    }
    let stats = session.stats();
    assert!(stats.packets_sent >= 100);
    assert!(stats.frames_late < stats.packets_sent / 10, "{stats:?}");
}

/// `PlaybackDone` comes once the prompt's last frame has been sent: a call hung up
/// on the event (an abandon message, a notification) does not cut that frame off.
/// Each round reads only what is already in the far end's socket when the event
/// comes (on loopback, a datagram sent is there at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playback_done_comes_once_the_last_frame_has_left() {
    let (socket, negotiated) = far_end(Law::Pcmu, Some(101)).await;
    let mut session = open().await.start(negotiated).unwrap();
    // Two frames of a rising ramp: no frame of it looks like another, or like noise.
    let ramp: Vec<i16> = (0..320).map(|i| i * 50).collect();
    let prompt = Arc::new(Prompt::from_samples("ramp", Law::Pcmu, &ramp));
    let last_frame = &prompt.codes[160..];
    let mut buffer = [0u8; 2048];
    for round in 0..25 {
        let id = session.play(vec![prompt.clone()]);
        let done = tokio::time::timeout(Duration::from_secs(1), session.next_event()).await;
        assert_eq!(done.unwrap(), Some(MediaEvent::PlaybackDone(id)));
        let mut sent = Vec::new();
        while let Ok((len, _)) = socket.try_recv_from(&mut buffer) {
            let packet = RtpReader::new(&buffer[..len]).unwrap();
            sent.push(packet.payload().to_vec());
        }
        assert!(
            sent.iter().any(|payload| payload == last_frame),
            "round {round}: the event came before the last frame ({} frames there)",
            sent.len()
        );
    }
}

#[tokio::test]
async fn digits_go_out_as_rfc_4733_events_or_as_tones() {
    let (socket, negotiated) = far_end(Law::Pcmu, Some(96)).await;
    let session = open().await.start(negotiated).unwrap();
    session.send_digits("1#x9");
    let packets = capture(&socket, |p| {
        p.iter().filter(|p| p.payload_type == 96).count() >= 24
    })
    .await;
    let mut receiver = EventReceiver::default();
    let mut digits = String::new();
    let mut ends = 0;
    for packet in packets.iter().filter(|p| p.payload_type == 96) {
        let event = TelephoneEvent::parse(&packet.payload).unwrap();
        ends += usize::from(event.end);
        receiver.on_packet(packet.timestamp, event, |d| digits.push(d.digit));
    }
    assert_eq!(
        digits, "1#9",
        "one event per digit, the unknown `x` skipped"
    );
    assert_eq!(ends, 9, "each end packet three times");
    // Audio after the events continues the clock past them.
    let last_event = packets.iter().rposition(|p| p.payload_type == 96).unwrap();
    let event_start = packets[last_event].timestamp;
    if let Some(audio) = packets[last_event..].iter().find(|p| p.payload_type == 0) {
        assert!(audio.timestamp.wrapping_sub(event_start) >= 800);
    }

    // Without telephone-event the far end hears tones, which a detector reads back.
    let (socket, negotiated) = far_end(Law::Pcma, None).await;
    let session = open().await.start(negotiated).unwrap();
    session.send_digits("47");
    let packets = capture(&socket, |p| p.len() >= 30).await;
    let mut detector = InbandDetector::default();
    let mut heard = String::new();
    let mut samples = Vec::new();
    for packet in &packets {
        Law::Pcma.decode_into(&packet.payload, &mut samples);
        detector.feed(&samples, |d| heard.push(d.digit));
    }
    assert_eq!(heard, "47");
}

/// Sends RTP to a leg as a far end would.
struct Sender {
    socket: UdpSocket,
    to: SocketAddr,
    out: OutgoingStream,
}

impl Sender {
    async fn audio(&mut self, pt: u8, payload: &[u8]) {
        let packet = self.out.audio(pt, payload).to_vec();
        self.socket.send_to(&packet, self.to).await.unwrap();
    }

    async fn event(&mut self, pt: u8, event: TelephoneEvent, start: u32, first: bool) {
        let packet = self.out.event(pt, &event.to_bytes(), start, first).to_vec();
        self.socket.send_to(&packet, self.to).await.unwrap();
    }
}

#[tokio::test]
async fn digits_are_heard_from_events_and_in_band() {
    let (socket, negotiated) = far_end(Law::Pcmu, Some(101)).await;
    let mut session = open().await.start(negotiated).unwrap();
    let mut far = Sender {
        socket,
        to: session.local_addr(),
        out: OutgoingStream::new(),
    };
    for duration in [160u16, 320, 480] {
        far.event(
            101,
            TelephoneEvent {
                event: 5,
                end: false,
                volume: 10,
                duration,
            },
            1000,
            duration == 160,
        )
        .await;
    }
    for _ in 0..3 {
        far.event(
            101,
            TelephoneEvent {
                event: 5,
                end: true,
                volume: 10,
                duration: 640,
            },
            1000,
            false,
        )
        .await;
    }
    let event = tokio::time::timeout(Duration::from_secs(2), session.next_event())
        .await
        .unwrap();
    assert_eq!(
        event,
        Some(MediaEvent::Digit(Digit {
            digit: '5',
            duration_ms: 80,
            volume: Some(10)
        }))
    );

    let (socket, negotiated) = far_end(Law::Pcma, None).await;
    let mut session = open().await.start(negotiated).unwrap();
    let mut far = Sender {
        socket,
        to: session.local_addr(),
        out: OutgoingStream::new(),
    };
    let mut samples = digit_tone('8', 5000.0, 120).unwrap();
    samples.resize(samples.len() + 800, 0);
    for frame in samples.chunks(160) {
        far.audio(8, &Law::Pcma.encode_all(frame)).await;
    }
    let event = tokio::time::timeout(Duration::from_secs(2), session.next_event())
        .await
        .unwrap();
    assert!(
        matches!(
            event,
            Some(MediaEvent::Digit(Digit {
                digit: '8',
                volume: None,
                ..
            }))
        ),
        "{event:?}"
    );
    assert_eq!(session.stats().packets_received, 11);
}

#[tokio::test]
async fn a_bridge_relays_both_ways_converting_the_law() {
    let (customer, customer_stream) = far_end(Law::Pcma, Some(101)).await;
    let (agent, agent_stream) = far_end(Law::Pcmu, Some(96)).await;
    let a = open().await.start(customer_stream).unwrap();
    let b = open().await.start(agent_stream).unwrap();
    let bridge = a.bridge(&b);
    tokio::time::sleep(Duration::from_millis(60)).await;
    let mut from_customer = Sender {
        socket: customer,
        to: a.local_addr(),
        out: OutgoingStream::new(),
    };
    let mut from_agent = Sender {
        socket: agent,
        to: b.local_addr(),
        out: OutgoingStream::new(),
    };
    let loud_a = Law::Pcma.encode_all(&[9000; 160]);
    let loud_u = Law::Pcmu.encode_all(&[-9000; 160]);
    for _ in 0..10 {
        from_customer.audio(8, &loud_a).await;
        from_agent.audio(0, &loud_u).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    from_customer
        .event(
            101,
            TelephoneEvent {
                event: 3,
                end: true,
                volume: 10,
                duration: 800,
            },
            5,
            true,
        )
        .await;

    // What the agent's phone got: the customer's audio in μ-law, and the digit on its
    // own event payload type.
    let at_agent = capture(&from_agent.socket, |p| {
        p.iter().filter(|p| p.payload_type == 96).count() >= 1
    })
    .await;
    let relayed: Vec<_> = at_agent
        .iter()
        .filter(|p| p.payload_type == 0 && rms(Law::Pcmu, &p.payload) > 5000.0)
        .collect();
    assert_eq!(relayed.len(), 10);
    assert!(
        relayed
            .iter()
            .all(|p| (Law::Pcmu.decode(p.payload[0]) - 9000).abs() < 400)
    );
    let at_customer = capture(&from_customer.socket, |p| {
        p.iter()
            .filter(|p| p.payload_type == 8 && rms(Law::Pcma, &p.payload) > 5000.0)
            .count()
            >= 10
    })
    .await;
    let relayed: Vec<_> = at_customer
        .iter()
        .filter(|p| rms(Law::Pcma, &p.payload) > 5000.0)
        .collect();
    assert_eq!(relayed.len(), 10);
    assert!(
        relayed
            .iter()
            .all(|p| p.payload_type == 8 && (Law::Pcma.decode(p.payload[0]) + 9000).abs() < 400)
    );
    // One stream per leg, continuous across the switch from noise to the bridge.
    for pair in at_customer.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq.wrapping_add(1));
        assert_eq!(pair[1].ssrc, pair[0].ssrc);
    }
    assert_eq!(a.stats().relayed_out, 11);
    assert_eq!(b.stats().relayed_out, 10);

    // Unbridged, each leg hears comfort noise again.
    drop(bridge);
    let after = capture(&from_customer.socket, |p| p.len() >= 5).await;
    assert!(after.iter().all(|p| rms(Law::Pcma, &p.payload) < 100.0));
}

#[tokio::test]
async fn packets_from_strangers_are_dropped() {
    let (socket, negotiated) = far_end(Law::Pcmu, None).await;
    let session = open().await.start(negotiated).unwrap();
    let stranger = UdpSocket::bind("127.0.0.2:0").await.unwrap();
    let mut out = OutgoingStream::new();
    stranger
        .send_to(out.audio(0, &[0xFF; 160]), session.local_addr())
        .await
        .unwrap();
    // The real far end, from its own port: accepted.
    socket
        .send_to(out.audio(0, &[0xFF; 160]), session.local_addr())
        .await
        .unwrap();
    // Not RTP at all: ignored without harm.
    socket
        .send_to(b"hello", session.local_addr())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(session.stats().packets_received, 1);
}

mod monitor;
