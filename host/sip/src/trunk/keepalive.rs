//! OPTIONS keepalive (RFC 3261 11): every interval the trunk's next hop is resolved
//! again and sent an OPTIONS. Any final response, even an error, proves the carrier
//! alive and marks the trunk up; no response (timer F) or a transport error marks it
//! down, so routes skip it until it answers again.

use std::sync::Arc;

use rsip::Method;

use super::{Trunk, request_with_auth};
use crate::endpoint::Endpoint;
use crate::ids;
use crate::request::NewRequest;

pub(super) async fn run(endpoint: Endpoint, trunk: Arc<Trunk>) {
    let call_id = ids::call_id("ringhost");
    let mut seq = 0;
    let mut every = tokio::time::interval(trunk.spec.keepalive);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = trunk.resolve(&endpoint).await {
            trunk.set_up(false, &format!("{error:#}"));
            continue;
        }
        let Some(peer) = trunk.next_hop() else {
            continue;
        };
        let Some(local) = endpoint.transport().local_addr(peer.protocol) else {
            trunk.set_up(false, "no local listener for its transport");
            continue;
        };
        let uri = format!("sip:{}", trunk.domain);
        let from = format!("sip:ringhost@{}", trunk.domain);
        let result = request_with_auth(&endpoint, peer, None, |_| {
            seq += 1;
            NewRequest {
                method: Method::Options,
                uri: &uri,
                local,
                protocol: peer.protocol,
                from: &from,
                from_tag: &ids::tag(),
                to: &uri,
                call_id: &call_id,
                seq,
                user_agent: &endpoint.inner.user_agent,
                extra: Vec::new(),
                body: Vec::new(),
            }
            .build()
            .ok()
        })
        .await;
        match result {
            Ok(response) => trunk.set_up(
                true,
                &format!("OPTIONS answered {}", response.status_code.code()),
            ),
            Err(why) => trunk.set_up(false, &format!("OPTIONS: {why}")),
        }
    }
}
