//! Audio against real peers: SIPp carriers that play Debian's G.711 and RFC 4733
//! captures, a SIPp agent phone that echoes what it hears, and a plain UDP socket of the
//! test's own that captures the RTP Ringhost sends, frame by frame.

use std::net::UdpSocket;
use std::path::Path;
use std::time::{Duration, Instant};

use ringhost_media::Law;

use crate::sip::{Sipp, dial, free_media_port};
use crate::support::run;

#[test]
fn dtmf_from_sipp_pcap_is_collected() {
    // SIPp plays 7.1 s of A-law in 30 ms packets, then the digit 1 as RFC 4733 events.
    let line = dial(
        "uas_answer_play_dtmf",
        "udp",
        &[],
        &["--collect-dtmf", "1", "--dtmf-timeout", "20"],
    );
    assert_eq!(line["outcome"], "answered", "{line}");
    assert_eq!(line["dtmf"], "1", "{line}");
    let media = &line["media"];
    assert_eq!(media["law"], "PCMA", "{line}");
    assert_eq!(media["telephone_event"], 101, "{line}");
    let received = media["packets_received"].as_u64().unwrap();
    assert!(
        received >= 236,
        "the pcap's 236 audio packets and the digit's: {line}"
    );
    assert_eq!(media["packets_lost"], 0, "{line}");
    assert_eq!(
        line["hangup_by"], "ringhost",
        "hung up once the digit came: {line}"
    );
}

/// One RTP packet as captured.
pub(crate) struct Captured {
    pub(crate) at: Instant,
    pub(crate) payload_type: u8,
    marker: bool,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    pub(crate) payload: Vec<u8>,
}

pub(crate) fn parse_rtp(bytes: &[u8], at: Instant) -> Captured {
    assert!(
        bytes.len() >= 12 && bytes[0] >> 6 == 2,
        "not RTP v2: {bytes:?}"
    );
    let csrcs = usize::from(bytes[0] & 0x0F);
    Captured {
        at,
        payload_type: bytes[1] & 0x7F,
        marker: bytes[1] & 0x80 != 0,
        seq: u16::from_be_bytes([bytes[2], bytes[3]]),
        timestamp: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        payload: bytes[12 + 4 * csrcs..].to_vec(),
    }
}

pub(crate) fn rms(law: Law, payload: &[u8]) -> f64 {
    let sum: f64 = payload
        .iter()
        .map(|&c| f64::from(law.decode(c)).powi(2))
        .sum();
    (sum / payload.len().max(1) as f64).sqrt()
}

/// Exactly one second of a 1 kHz tone at 16 kHz, stereo: the prompt must be mixed
/// down and resampled to 8000 samples, 50 frames of 20 ms.
pub(crate) fn write_tone(path: &Path) {
    write_tone_at(path, 16_000.0);
}

/// [`write_tone`] at `amplitude` (of 32,767).
pub(crate) fn write_tone_at(path: &Path, amplitude: f64) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..16_000 {
        let v = (amplitude * (2.0 * std::f64::consts::PI * 1000.0 * f64::from(i) / 16_000.0).sin())
            as i16;
        wav.write_sample(v).unwrap();
        wav.write_sample(v).unwrap();
    }
    wav.finalize().unwrap();
}

/// A SIPp carrier (`uas_answer_rtp_to_key`) whose answer points Ringhost's RTP at a
/// socket of the test's own, and the thread that captures what arrives there until
/// 3 s pass without a packet (40 s at most).
pub(crate) fn rtp_carrier() -> (Sipp, std::thread::JoinHandle<Vec<Captured>>) {
    let capture = UdpSocket::bind("127.0.0.1:0").unwrap();
    capture
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let rtp_port = capture.local_addr().unwrap().port().to_string();
    let sipp = Sipp::uas(
        "uas_answer_rtp_to_key",
        "udp",
        &["-key", "rtp_port", &rtp_port],
    );
    let catcher = std::thread::spawn(move || {
        let mut packets = Vec::new();
        let mut buffer = [0u8; 2048];
        let started = Instant::now();
        let mut idle_since = Instant::now();
        while idle_since.elapsed() < Duration::from_secs(3)
            && started.elapsed() < Duration::from_secs(40)
        {
            if let Ok((len, _)) = capture.recv_from(&mut buffer) {
                packets.push(parse_rtp(&buffer[..len], Instant::now()));
                idle_since = Instant::now();
            }
        }
        packets
    });
    (sipp, catcher)
}

#[test]
fn played_prompt_leaves_as_paced_frames() {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    write_tone(&tone);
    let (sipp, catcher) = rtp_carrier();
    let trunk = format!("sip:127.0.0.1:{}", sipp.port);
    let tone_arg = tone.to_str().unwrap();
    let (code, stdout, stderr) = run(
        dir.path(),
        &[
            "dial", "5551234", "--trunk", &trunk, "--play", tone_arg, "--hold", "0.5",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let (sipp_code, errors) = sipp.finish();
    assert_eq!(sipp_code, 0, "{errors}");
    let packets = catcher.join().unwrap();

    let law = match line["media"]["law"].as_str() {
        Some("PCMU") => Law::Pcmu,
        Some("PCMA") => Law::Pcma,
        other => panic!("no law in {line}: {other:?}"),
    };
    assert!(
        !packets.is_empty(),
        "nothing reached the capture socket: {line}"
    );
    assert!(packets[0].marker, "the first packet is marked");
    for pair in packets.windows(2) {
        assert_eq!(pair[1].ssrc, pair[0].ssrc, "one stream");
        assert_eq!(
            pair[1].seq,
            pair[0].seq.wrapping_add(1),
            "consecutive sequence numbers"
        );
        assert_eq!(
            pair[1].timestamp,
            pair[0].timestamp.wrapping_add(160),
            "20 ms a frame"
        );
        assert!(!pair[1].marker, "only the first packet is marked");
    }
    assert!(packets.iter().all(|p| p.payload_type == law.payload_type()));
    let tone: Vec<&Captured> = packets
        .iter()
        .filter(|p| rms(law, &p.payload) > 3000.0)
        .collect();
    assert_eq!(tone.len(), 50, "one second of tone is 50 frames of 20 ms");
    let span = tone[49].at - tone[0].at;
    assert!(
        (Duration::from_millis(900)..Duration::from_millis(1200)).contains(&span),
        "the 50 frames were sent over {span:?}, not about 0.98 s"
    );
    // After the prompt: comfort noise, never digital silence.
    let silence = law.encode(0);
    let after = packets
        .iter()
        .skip_while(|p| rms(law, &p.payload) < 3000.0)
        .skip(50);
    let mut noise_frames = 0;
    for packet in after {
        noise_frames += 1;
        assert!(
            packet.payload.iter().any(|&c| c != silence),
            "a frame of digital silence"
        );
        assert!(rms(law, &packet.payload) < 200.0, "comfort noise is quiet");
    }
    assert!(
        noise_frames >= 15,
        "0.5 s of hold after the prompt: {noise_frames} frames"
    );
}

#[test]
fn bridge_relays_both_ways_and_transcodes() {
    // The agent's phone echoes every RTP packet it gets on its media port.
    let echo_port = free_media_port().to_string();
    let agent = Sipp::uas(
        "uas_agent_phone_pcmu",
        "udp",
        &["-rtp_echo", "-mp", &echo_port],
    );
    let line = dial(
        "uas_answer_play_audio",
        "udp",
        &[],
        &[
            "--bridge",
            &format!("sip:127.0.0.1:{}", agent.port),
            "--hold",
            "3",
        ],
    );
    let (agent_code, errors) = agent.finish();
    assert_eq!(agent_code, 0, "{errors}");
    assert_eq!(line["outcome"], "answered", "{line}");
    let bridge = &line["bridge"];
    assert_eq!(bridge["outcome"], "answered", "{line}");
    assert_eq!(line["media"]["law"], "PCMA", "{line}");
    assert_eq!(bridge["media"]["law"], "PCMU", "{line}");
    // 3 s of 30 ms packets from the carrier reached the phone, and its echo came back
    // through Ringhost to the carrier.
    let to_phone = bridge["relayed_to_bridge"].as_u64().unwrap();
    let from_phone = bridge["relayed_from_bridge"].as_u64().unwrap();
    assert!(to_phone >= 80, "carrier to phone: {line}");
    assert!(from_phone >= 80, "phone to carrier: {line}");
    assert!(from_phone <= to_phone + 5, "the phone only echoes: {line}");
    assert!(bridge["media"]["packets_received"].as_u64().unwrap() >= from_phone);
    assert!(line["media"]["packets_sent"].as_u64().unwrap() >= from_phone);
}
