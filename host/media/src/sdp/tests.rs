//! Offer and answer with the descriptions real peers send.

use super::*;

fn local() -> LocalMedia {
    LocalMedia {
        addr: "127.0.0.1:10000".parse().unwrap(),
        laws: vec![Law::Pcmu, Law::Pcma],
    }
}

#[test]
fn our_offer_reads_back_as_offered() {
    let text = offer(&local(), 42);
    assert!(text.contains("m=audio 10000 RTP/AVP 0 8 101\r\n"), "{text}");
    assert!(
        text.contains("a=rtpmap:101 telephone-event/8000\r\n"),
        "{text}"
    );
    assert!(text.contains("c=IN IP4 127.0.0.1\r\n"), "{text}");
    let negotiated = read_answer(text.as_bytes()).unwrap();
    assert_eq!(negotiated.remote, local().addr);
    assert_eq!(negotiated.law, Law::Pcmu);
    assert_eq!(negotiated.event_payload_type, Some(101));
    assert_eq!(negotiated.ptime_ms, Some(20));
}

/// The answer SIPp's scenarios send: session-level c=, no rtpmap for static types
/// in some, a dynamic event type.
#[test]
fn reads_a_carriers_answer() {
    let answer = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n\
                  m=audio 6000 RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\na=ptime:30\r\n";
    let negotiated = read_answer(answer.as_bytes()).unwrap();
    assert_eq!(negotiated.remote, "127.0.0.2:6000".parse().unwrap());
    assert_eq!((negotiated.law, negotiated.payload_type), (Law::Pcma, 8));
    assert_eq!(negotiated.event_payload_type, Some(96));
    assert_eq!(negotiated.ptime_ms, Some(30));
    assert_eq!(negotiated.direction, Direction::SendRecv);
}

#[test]
fn media_level_address_and_direction_win() {
    let answer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\na=sendrecv\r\n\
                  m=audio 7000 RTP/AVP 0\r\nc=IN IP4 127.0.0.3\r\na=sendonly\r\n";
    let negotiated = read_answer(answer.as_bytes()).unwrap();
    assert_eq!(negotiated.remote, "127.0.0.3:7000".parse().unwrap());
    assert_eq!(negotiated.direction, Direction::SendOnly);
    assert_eq!(negotiated.event_payload_type, None);
}

#[test]
fn refuses_what_cannot_carry_g711() {
    let video_only = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n";
    assert!(matches!(
        read_answer(video_only.as_bytes()),
        Err(SdpError::NoAudio)
    ));
    let rejected = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
    assert!(matches!(
        read_answer(rejected.as_bytes()),
        Err(SdpError::NoAudio)
    ));
    let opus = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";
    assert!(matches!(
        read_answer(opus.as_bytes()),
        Err(SdpError::NoCommonCodec(_))
    ));
    let no_address =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
    assert!(matches!(
        read_answer(no_address.as_bytes()),
        Err(SdpError::NoAddress)
    ));
    assert!(matches!(
        read_answer(b"\x00\xffnot sdp"),
        Err(SdpError::Malformed(_))
    ));
}

#[test]
fn answers_an_offer_with_one_law_and_the_mirrored_direction() {
    let offer_text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                      m=audio 5004 RTP/AVP 18 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
    let (text, negotiated) = answer(&local(), offer_text.as_bytes(), 7).unwrap();
    assert_eq!(
        negotiated.law,
        Law::Pcma,
        "the offerer's preference among ours"
    );
    assert!(text.contains("m=audio 10000 RTP/AVP 8 101\r\n"), "{text}");
    assert!(text.contains("a=recvonly\r\n"), "{text}");
    let pcmu_only = LocalMedia {
        laws: vec![Law::Pcmu],
        ..local()
    };
    let (text, _) = answer(&pcmu_only, offer_text.as_bytes(), 7).unwrap();
    assert!(text.contains("RTP/AVP 0 101\r\n"), "{text}");
}
