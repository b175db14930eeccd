//! Dialogs (RFC 3261 section 12): the state two user agents share after a 2xx to an
//! INVITE, and the in-dialog requests built from it.
//!
//! A dialog is named by its [`DialogId`] (Call-ID, local tag, remote tag, 12.1.2 as
//! seen from our side). Ringhost is the UAC of every call it places, so dialogs are
//! made from our INVITE and the 2xx that answered it.

use rsip::headers::UntypedHeader as _;
use rsip::prelude::*;
use rsip::{Header, Method, Request, Response};

use crate::ids;
use crate::transport::Peer;

/// Call-ID plus local and remote tag: what routes an in-dialog request to its call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// The Call-ID header.
    pub call_id: String,
    /// Our tag (From on our requests).
    pub local_tag: String,
    /// The peer's tag (To on our requests).
    pub remote_tag: String,
}

impl DialogId {
    /// The dialog an incoming in-dialog request belongs to: its To tag is ours.
    pub fn of_incoming(request: &Request) -> Option<DialogId> {
        Some(DialogId {
            call_id: request.call_id_header().ok()?.value().to_owned(),
            local_tag: request.to_header().ok()?.tag().ok()??.to_string(),
            remote_tag: request.from_header().ok()?.tag().ok()??.to_string(),
        })
    }

    /// The dialog a response to one of our requests belongs to.
    pub fn of_response(response: &Response) -> Option<DialogId> {
        Some(DialogId {
            call_id: response.call_id_header().ok()?.value().to_owned(),
            local_tag: response.from_header().ok()?.tag().ok()??.to_string(),
            remote_tag: response.to_header().ok()?.tag().ok()??.to_string(),
        })
    }
}

/// A confirmed dialog, from our side: the UAC's of a call we placed, the UAS's of an
/// inbound call.
#[derive(Debug, Clone)]
pub struct Dialog {
    /// Its identity.
    pub id: DialogId,
    /// Our From header value, tag included.
    local: String,
    /// The peer's To header value, tag included.
    remote: String,
    /// Request-URI of in-dialog requests: the peer's Contact (12.1.2).
    remote_target: rsip::Uri,
    /// Record-Route of the 2xx, reversed (12.1.2).
    route_set: Vec<String>,
    /// CSeq of our last request.
    local_seq: u32,
    /// Where in-dialog requests are sent: the trunk the call went out on.
    pub peer: Peer,
    /// Our sent-by for Via.
    via_host: String,
    /// Our Contact header value.
    contact: String,
}

impl Dialog {
    /// The dialog a 2xx to our INVITE creates.
    pub fn from_2xx(invite: &Request, response: &Response, peer: Peer) -> Option<Dialog> {
        let id = DialogId::of_response(response)?;
        let remote_target = response
            .contact_header()
            .ok()
            .and_then(|c| c.typed().ok())
            .map(|c| c.uri)
            .unwrap_or_else(|| invite.uri.clone());
        let mut route_set = record_routes(&response.headers);
        route_set.reverse();
        let via = invite.via_header().ok()?.typed().ok()?;
        Some(Dialog {
            id,
            local: invite.from_header().ok()?.value().to_owned(),
            remote: response.to_header().ok()?.value().to_owned(),
            remote_target,
            route_set,
            local_seq: invite.cseq_header().ok()?.seq().ok()?,
            peer,
            via_host: via.uri.host_with_port.to_string(),
            contact: invite.contact_header().ok()?.value().to_owned(),
        })
    }

    /// The dialog our 2xx with tag `to_tag` creates for the caller's INVITE (12.1.1):
    /// their From is the remote party, their Contact the remote target, the
    /// Record-Route in its order the route set; requests go back to `peer`, the
    /// address the INVITE came from, with `contact` as ours and `local` in the Via.
    pub fn from_invite(
        invite: &Request,
        to_tag: &str,
        contact: &str,
        local: std::net::SocketAddr,
        peer: Peer,
    ) -> Option<Dialog> {
        let from = invite.from_header().ok()?;
        let id = DialogId {
            call_id: invite.call_id_header().ok()?.value().to_owned(),
            local_tag: to_tag.to_owned(),
            remote_tag: from.tag().ok()??.to_string(),
        };
        let remote_target = invite
            .contact_header()
            .ok()
            .and_then(|c| c.typed().ok())
            .map(|c| c.uri)?;
        let route_set = record_routes(&invite.headers);
        Some(Dialog {
            id,
            local: format!("{};tag={to_tag}", invite.to_header().ok()?.value()),
            remote: from.value().to_owned(),
            remote_target,
            route_set,
            local_seq: 0,
            peer,
            via_host: local.to_string(),
            contact: contact.to_owned(),
        })
    }

    /// The ACK for the 2xx (13.2.2.4): a new transaction of its own, CSeq number of the
    /// INVITE, sent straight through the transport.
    pub fn ack(&self, invite_seq: u32) -> Request {
        self.build(Method::Ack, invite_seq, Vec::new())
    }

    /// A new in-dialog request (12.2.1.1), with the next CSeq.
    pub fn request(&mut self, method: Method, extra: Vec<Header>) -> Request {
        self.local_seq += 1;
        self.build(method, self.local_seq, extra)
    }

    fn build(&self, method: Method, seq: u32, extra: Vec<Header>) -> Request {
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(rsip::headers::Via::new(format!(
            "SIP/2.0/{} {};branch={};rport",
            self.peer.protocol.via_name(),
            self.via_host,
            ids::branch()
        ))));
        headers.push(Header::MaxForwards(rsip::headers::MaxForwards::default()));
        headers.push(Header::From(rsip::headers::From::new(self.local.clone())));
        headers.push(Header::To(rsip::headers::To::new(self.remote.clone())));
        headers.push(Header::CallId(rsip::headers::CallId::new(
            self.id.call_id.clone(),
        )));
        headers.push(rsip::typed::CSeq { seq, method }.into());
        for route in &self.route_set {
            headers.push(Header::Route(rsip::headers::Route::new(route.clone())));
        }
        headers.push(Header::Contact(rsip::headers::Contact::new(
            self.contact.clone(),
        )));
        for header in extra {
            headers.push(header);
        }
        headers.push(Header::ContentLength(
            rsip::headers::ContentLength::default(),
        ));
        Request {
            method,
            uri: self.remote_target.clone(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        }
    }
}

/// The Record-Route values of a message, in their order, one route each.
fn record_routes(headers: &rsip::Headers) -> Vec<String> {
    headers
        .iter()
        .filter_map(|h| match h {
            Header::RecordRoute(rr) => Some(rr.value().to_owned()),
            _ => None,
        })
        .flat_map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}
