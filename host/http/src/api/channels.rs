//! Channels: the ledger's limits and what is in use now, for an operator to see why
//! campaigns dial slower than asked.

use axum::extract::State;
use ringhost_dialer::ledger::{Counts, Limits};
use serde::Serialize;
use utoipa::ToSchema;

use super::Json;
use crate::AppState;

/// The host's channels: limits and use.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Channels {
    /// The limits, from the configuration.
    limits: ChannelLimits,
    /// Internal calls (to extensions of this host) in progress.
    internal: u32,
    /// External calls (through trunks) in progress.
    external: u32,
    /// Calls in progress per campaign that has any.
    campaigns: Vec<CampaignCalls>,
}

/// The host-wide limits; 0 means no limit of that kind.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChannelLimits {
    /// Channels the dialer may use in all.
    dialer_channels: u32,
    /// Concurrent calls, internal and external together.
    total: u32,
    /// Concurrent internal calls.
    internal: u32,
    /// Concurrent external calls.
    external: u32,
}

/// A campaign's calls in progress.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignCalls {
    /// The campaign's id.
    campaign_id: i64,
    /// Its calls holding channels.
    calls: u32,
}

/// The channel limits and the calls holding channels now.
#[utoipa::path(
    get,
    path = "/api/v1/channels",
    operation_id = "channels",
    tag = "channels",
    responses((status = 200, description = "Limits and use", body = Channels))
)]
pub(crate) async fn channels(State(state): State<AppState>) -> Json<Channels> {
    let ledger = state.dialer.ledger();
    let Limits {
        dialer_channels,
        total,
        internal,
        external,
    } = ledger.limits();
    let Counts {
        internal: internal_calls,
        external: external_calls,
        campaigns,
    } = ledger.counts();
    Json(Channels {
        limits: ChannelLimits {
            dialer_channels,
            total,
            internal,
            external,
        },
        internal: internal_calls,
        external: external_calls,
        campaigns: campaigns
            .into_iter()
            .map(|(campaign_id, calls)| CampaignCalls { campaign_id, calls })
            .collect(),
    })
}
