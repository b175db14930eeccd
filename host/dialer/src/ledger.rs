//! The channel ledger: the one place that grants a call its channels.
//!
//! Every outbound call holds a [`Permit`] from the moment its attempt is written until
//! it ends; dropping the permit frees its channels, so no path (an error, a panic, a
//! cancelled task) can leak one. The limits, all checked at the instant a call starts:
//! - the dialer's channels (`dialer_channels`), what campaigns share;
//! - Kalliope's concurrent limits: `total`, `internal` and `external` calls (with
//!   10/8/6 there are at most 8 internal, 6 external, 10 together);
//! - per campaign: a cap on simultaneous calls (ADS), and a reservation as a
//!   percentage of the dialer's channels (TVox). A campaign never holds more than its
//!   reservation, and channels reserved by another active campaign and not in use are
//!   not lent out, so a reservation is a guarantee as well as a cap.
//!
//! Per-trunk capacity and calls per second are the trunk's own (`ringhost-sip`'s
//! `TrunkPermit`), taken after this one when the call is placed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ringhost_call::Class;

/// The host-wide limits; 0 means no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Channels the dialer may use in all.
    pub dialer_channels: u32,
    /// Concurrent calls, internal and external together.
    pub total: u32,
    /// Concurrent internal calls.
    pub internal: u32,
    /// Concurrent external calls.
    pub external: u32,
}

/// A campaign's own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CampaignLimits {
    /// Simultaneous calls at most; 0 for no cap.
    pub max_calls: u32,
    /// Percentage of the dialer's channels reserved for (and capping) the campaign;
    /// 0 for none.
    pub reserved_percent: u32,
}

/// Live counts, for `/metrics` and the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Internal calls holding a permit.
    pub internal: u32,
    /// External calls holding a permit.
    pub external: u32,
    /// Calls per campaign id.
    pub campaigns: Vec<(i64, u32)>,
}

/// Why a permit is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// All the dialer's channels are in use or reserved by other campaigns.
    #[error("no free dialer channel")]
    DialerChannels,
    /// The total concurrent-call limit is reached.
    #[error("the total concurrent-call limit is reached")]
    Total,
    /// The internal or external concurrent-call limit is reached.
    #[error("the {0:?} concurrent-call limit is reached")]
    Class(Class),
    /// The campaign's cap or reservation is reached.
    #[error("the campaign's simultaneous-call limit is reached")]
    Campaign,
}

#[derive(Debug, Default)]
struct State {
    internal: u32,
    external: u32,
    campaigns: HashMap<i64, (CampaignLimits, u32)>,
}

/// The ledger, shared by the scheduler and the API; cheap to clone.
#[derive(Debug, Clone)]
pub struct Ledger {
    limits: Limits,
    state: Arc<Mutex<State>>,
}

/// Channels held by one call; freed when dropped.
#[derive(Debug)]
#[must_use = "the channels are freed as soon as the permit is dropped"]
pub struct Permit {
    state: Arc<Mutex<State>>,
    class: Class,
    campaign: Option<i64>,
}

impl Ledger {
    /// A ledger with no call in progress.
    pub fn new(limits: Limits) -> Ledger {
        Ledger {
            limits,
            state: Arc::default(),
        }
    }

    /// The host-wide limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Declares an active campaign and its limits (again when they change); its
    /// reservation counts from now on.
    pub fn open_campaign(&self, id: i64, limits: CampaignLimits) {
        let mut state = self.lock();
        state.campaigns.entry(id).or_insert((limits, 0)).0 = limits;
    }

    /// A campaign is no longer active: its reservation is released. Its calls in
    /// progress keep their permits.
    pub fn close_campaign(&self, id: i64) {
        let mut state = self.lock();
        if let Some((_, 0)) = state.campaigns.get(&id) {
            state.campaigns.remove(&id);
        } else if let Some(entry) = state.campaigns.get_mut(&id) {
            entry.0 = CampaignLimits::default();
        }
    }

    /// A permit for one call of `class`, for `campaign` if any (a call an authenticated
    /// user placed has none), or why not.
    ///
    /// # Errors
    /// When a limit is reached.
    pub fn acquire(&self, class: Class, campaign: Option<i64>) -> Result<Permit, Refusal> {
        let mut state = self.lock();
        // Ok means at least one channel: an exhausted limit is its own refusal.
        self.headroom_locked(&state, class, campaign)?;
        match class {
            Class::Internal => state.internal += 1,
            Class::External => state.external += 1,
        }
        if let Some(id) = campaign {
            state.campaigns.entry(id).or_default().1 += 1;
        }
        drop(state);
        self.publish();
        Ok(Permit {
            state: self.state.clone(),
            class,
            campaign,
        })
    }

    /// How many more calls of `class` for `campaign` would be granted now: what the
    /// pacer's answer is clamped to.
    pub fn headroom(&self, class: Class, campaign: Option<i64>) -> u32 {
        let state = self.lock();
        self.headroom_locked(&state, class, campaign).unwrap_or(0)
    }

    /// The live counts.
    pub fn counts(&self) -> Counts {
        let state = self.lock();
        let mut campaigns: Vec<(i64, u32)> = state
            .campaigns
            .iter()
            .map(|(id, (_, calls))| (*id, *calls))
            .collect();
        campaigns.sort_unstable();
        Counts {
            internal: state.internal,
            external: state.external,
            campaigns,
        }
    }

    /// The smallest headroom over every limit that applies, or the limit that is
    /// exhausted.
    fn headroom_locked(
        &self,
        state: &State,
        class: Class,
        campaign: Option<i64>,
    ) -> Result<u32, Refusal> {
        let limit = |max: u32, used: u32, refusal: Refusal| {
            if max == 0 {
                Ok(u32::MAX)
            } else if used >= max {
                Err(refusal)
            } else {
                Ok(max - used)
            }
        };
        let l = self.limits;
        let in_use = state.internal + state.external;
        let mut room = limit(l.total, in_use, Refusal::Total)?;
        let (class_max, class_used) = match class {
            Class::Internal => (l.internal, state.internal),
            Class::External => (l.external, state.external),
        };
        room = room.min(limit(class_max, class_used, Refusal::Class(class))?);
        if l.dialer_channels > 0 {
            // Channels other campaigns reserve and do not use are not lent out.
            let held_back: u32 = state
                .campaigns
                .iter()
                .filter(|(id, _)| Some(**id) != campaign)
                .map(|(_, (limits, calls))| reserved(l, *limits).saturating_sub(*calls))
                .sum();
            room = room.min(limit(
                l.dialer_channels,
                in_use + held_back,
                Refusal::DialerChannels,
            )?);
        }
        if let Some(id) = campaign {
            let (limits, calls) = state.campaigns.get(&id).copied().unwrap_or_default();
            room = room.min(limit(limits.max_calls, calls, Refusal::Campaign)?);
            if limits.reserved_percent > 0 {
                room = room.min(limit(reserved(l, limits), calls, Refusal::Campaign)?);
            }
        }
        Ok(room)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live counts as gauges.
    fn publish(&self) {
        publish(&self.lock());
    }
}

fn publish(state: &State) {
    metrics::gauge!("ringhost_channels_in_use", "class" => "internal").set(state.internal);
    metrics::gauge!("ringhost_channels_in_use", "class" => "external").set(state.external);
}

/// The channels a campaign's percentage reserves (rounded down, as TVox does).
fn reserved(limits: Limits, campaign: CampaignLimits) -> u32 {
    (u64::from(limits.dialer_channels) * u64::from(campaign.reserved_percent) / 100) as u32
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match self.class {
            Class::Internal => state.internal -= 1,
            Class::External => state.external -= 1,
        }
        if let Some(id) = self.campaign
            && let Some(entry) = state.campaigns.get_mut(&id)
        {
            entry.1 -= 1;
        }
        publish(&state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kalliope_limits_10_8_6() {
        let ledger = Ledger::new(Limits {
            dialer_channels: 0,
            total: 10,
            internal: 8,
            external: 6,
        });
        let external: Vec<Permit> = (0..6)
            .map(|_| ledger.acquire(Class::External, None).unwrap())
            .collect();
        assert_eq!(
            ledger.acquire(Class::External, None).unwrap_err(),
            Refusal::Class(Class::External)
        );
        // 6 external leave room for 4 internal, not 8.
        assert_eq!(ledger.headroom(Class::Internal, None), 4);
        let internal: Vec<Permit> = (0..4)
            .map(|_| ledger.acquire(Class::Internal, None).unwrap())
            .collect();
        assert_eq!(
            ledger.acquire(Class::Internal, None).unwrap_err(),
            Refusal::Total
        );
        drop(external);
        // With no external call, internal calls stop at 8.
        let more: Vec<Permit> = (0..4)
            .map(|_| ledger.acquire(Class::Internal, None).unwrap())
            .collect();
        assert_eq!(
            ledger.acquire(Class::Internal, None).unwrap_err(),
            Refusal::Class(Class::Internal)
        );
        assert_eq!(ledger.counts().internal, 8);
        drop((internal, more));
        assert_eq!(ledger.counts(), Counts::default());
    }

    #[test]
    fn a_reservation_caps_its_campaign_and_is_not_lent_out() {
        let ledger = Ledger::new(Limits {
            dialer_channels: 50,
            ..Limits::default()
        });
        ledger.open_campaign(
            1,
            CampaignLimits {
                max_calls: 0,
                reserved_percent: 20,
            },
        );
        ledger.open_campaign(2, CampaignLimits::default());
        assert_eq!(ledger.headroom(Class::External, Some(1)), 10);
        let first: Vec<Permit> = (0..10)
            .map(|_| ledger.acquire(Class::External, Some(1)).unwrap())
            .collect();
        assert_eq!(
            ledger.acquire(Class::External, Some(1)).unwrap_err(),
            Refusal::Campaign
        );
        drop(first);
        // Campaign 2 gets the 40 channels campaign 1 does not reserve, even while
        // campaign 1 is idle.
        let second: Vec<Permit> = (0..40)
            .map(|_| ledger.acquire(Class::External, Some(2)).unwrap())
            .collect();
        assert_eq!(
            ledger.acquire(Class::External, Some(2)).unwrap_err(),
            Refusal::DialerChannels
        );
        // ...and campaign 1 still finds its 10.
        assert_eq!(ledger.headroom(Class::External, Some(1)), 10);
        ledger.close_campaign(1);
        assert_eq!(ledger.headroom(Class::External, Some(2)), 10);
        drop(second);
    }

    #[test]
    fn a_campaign_cap_counts_only_its_own_calls() {
        let ledger = Ledger::new(Limits::default());
        ledger.open_campaign(
            7,
            CampaignLimits {
                max_calls: 2,
                reserved_percent: 0,
            },
        );
        let a = ledger.acquire(Class::External, Some(7)).unwrap();
        let _b = ledger.acquire(Class::External, Some(7)).unwrap();
        assert_eq!(
            ledger.acquire(Class::External, Some(7)).unwrap_err(),
            Refusal::Campaign
        );
        assert!(ledger.acquire(Class::External, Some(8)).is_ok());
        drop(a);
        assert_eq!(ledger.headroom(Class::External, Some(7)), 1);
    }

    #[test]
    fn permits_dropped_on_other_threads_free_their_channels() {
        let ledger = Ledger::new(Limits {
            total: 4,
            ..Limits::default()
        });
        let permits: Vec<Permit> = (0..4)
            .map(|_| ledger.acquire(Class::External, None).unwrap())
            .collect();
        std::thread::scope(|s| {
            for permit in permits {
                s.spawn(move || drop(permit));
            }
        });
        assert_eq!(ledger.headroom(Class::External, None), 4);
    }
}
