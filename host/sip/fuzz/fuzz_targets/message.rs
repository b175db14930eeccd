//! Fuzzes what the transport does with every datagram and TCP frame: parse it, or
//! build the 400 for it. Run: `cd host/sip/fuzz && cargo +nightly fuzz run message`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringhost_sip::message;

fuzz_target!(|data: &[u8]| {
    if let Err(error) = message::parse(data) {
        let _ = message::bad_request(data, &error.to_string());
    }
    let _ = message::declared_content_length(data);
});
