//! Registration with a carrier (RFC 3261 10.2): REGISTER with digest authentication,
//! refreshed before it lapses (at 80% of the granted time) on the same Call-ID with a
//! rising CSeq; retried every 30 seconds while it fails.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rsip::headers::UntypedHeader as _;
use rsip::{Header, Method};

use super::{Trunk, request_with_auth};
use crate::endpoint::Endpoint;
use crate::ids;
use crate::request::{NewRequest, granted};

const RETRY: Duration = Duration::from_secs(30);

pub(super) async fn run(endpoint: Endpoint, trunk: Arc<Trunk>) {
    let call_id = ids::call_id("ringhost");
    let from_tag = ids::tag();
    let mut seq = 0;
    loop {
        let next = match register(&endpoint, &trunk, &call_id, &from_tag, &mut seq).await {
            Ok(granted) => {
                if !trunk.registered.swap(true, Ordering::AcqRel) {
                    tracing::info!(trunk = %trunk.spec.name, ?granted, "registered with the carrier");
                }
                (granted.mul_f64(0.8)).max(Duration::from_secs(5))
            }
            Err(why) => {
                trunk.registered.store(false, Ordering::Release);
                tracing::warn!(trunk = %trunk.spec.name, "registration failed: {why}");
                RETRY
            }
        };
        tokio::time::sleep(next).await;
    }
}

/// One REGISTER (and its answer to a challenge); the lifetime granted.
async fn register(
    endpoint: &Endpoint,
    trunk: &Trunk,
    call_id: &str,
    from_tag: &str,
    seq: &mut u32,
) -> Result<Duration, String> {
    let login = trunk.spec.login.as_ref().ok_or("no username")?;
    let peer = trunk
        .next_hop()
        .ok_or("the trunk's address does not resolve")?;
    let local = endpoint
        .transport()
        .local_addr(peer.protocol)
        .ok_or("no local listener for the trunk's transport")?;
    let uri = format!("sip:{}", trunk.domain);
    let aor = format!("sip:{}@{}", login.username, trunk.domain);
    let expires = trunk.spec.register_expires.as_secs();
    let route = trunk.route();
    let response = request_with_auth(endpoint, peer, Some(login), |credentials| {
        *seq += 1;
        let mut extra = Vec::new();
        if let Some(route) = &route {
            extra.push(Header::Route(rsip::headers::Route::new(format!(
                "<{route}>"
            ))));
        }
        extra.extend(credentials);
        extra.push(Header::Expires(rsip::headers::Expires::new(
            expires.to_string(),
        )));
        NewRequest {
            method: Method::Register,
            uri: &uri,
            local,
            protocol: peer.protocol,
            from: &aor,
            from_tag,
            to: &aor,
            call_id,
            seq: *seq,
            user_agent: &endpoint.inner.user_agent,
            extra,
            body: Vec::new(),
        }
        .build()
        .ok()
    })
    .await?;
    let code = response.status_code.code();
    if code / 100 != 2 {
        return Err(format!("the carrier answered {code}"));
    }
    Ok(granted(&response, local).unwrap_or(trunk.spec.register_expires))
}
