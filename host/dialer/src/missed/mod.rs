//! Missed calls to call back (Kalliope Nexus's Missed Calls): customers whose call was
//! not answered are called back by exactly one operator each.
//!
//! A PBX posts each missed call (`intake`); the store keeps one request per caller
//! number until it is closed. Operators (agents) book a request, which takes it from
//! everyone else, and call it back from their desk; supervisors assign requests to
//! operators, close them by hand, or flush many at once.
//!
//! **A callback is a call from the desk** (`desk_call`) through the campaign the
//! configuration names (`[missed_calls] campaign`): the operator's phone rings, then
//! the customer, with every check of a campaign's call (do-not-call, calling hours, a
//! permit, the attempt written before the call; toll fraud: no other way to a trunk).
//! Before it, the request is taken for the call by a compare-and-set in the store, so
//! two operators can never call the same number; while the call runs the request is
//! hidden from every list. When its attempt has ended, [`Dialer::settle_callbacks`]
//! (each pass of the scheduler) closes it if the customer answered and talked longer
//! than `min_talk`, or gives it back, counted as recalled.
//!
//! Campaigns leave alone a number whose request is booked or being called back
//! (`scheduler::placing`).
//!
//! **The host's own numbers** (`inbound`): a call to one that reaches nobody is a
//! missed call too (source `inbound`), and a caller with an open request who reaches
//! an agent closes it as served inbound.

pub mod inbound;
pub mod intake;

use std::time::Duration;

use chrono::{TimeZone as _, Timelike as _};
use ringhost_store::missed::{
    Intake, MissedEventRow, MissedFilter, MissedOrder, MissedPage, MissedRequestRow,
    SettledCallback,
};

use crate::desk_call::DeskTarget;
use crate::number::Region;
use crate::refusal::{AdminResult, Refused};
use crate::scheduler::Dialer;

pub use intake::{IntakeError, MissedCallForm};

/// A request taken for a callback whose attempt was never written (a crash between
/// the two) is given back after this long.
const STALE_TAKE: Duration = Duration::from_secs(120);

/// How missed calls are handled (`[missed_calls]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedSettings {
    /// The campaign callbacks go through (its caller ID, route, hours; its queue holds
    /// the operators). `None`: callbacks are refused until one is named.
    pub campaign: Option<String>,
    /// The country whose terms read a caller number written without its prefix.
    pub region: Region,
    /// A callback closes its request when the customer talked longer than this.
    pub min_talk: Duration,
    /// "Now is a good time" within this much of the time of day of the last call.
    pub hint: Duration,
    /// The operators a supervisor may assign requests to, by name; empty: every agent
    /// with an extension.
    pub operators: Vec<String>,
    /// A CRM page for a request; `{caller}` becomes the caller's number. Empty: none.
    pub crm_url: String,
}

impl Default for MissedSettings {
    fn default() -> Self {
        MissedSettings {
            campaign: None,
            region: Region::parse("IT").expect("IT is a region"),
            min_talk: Duration::from_secs(5),
            hint: Duration::from_secs(30 * 60),
            operators: Vec::new(),
            crm_url: String::new(),
        }
    }
}

/// A request with its history, as its detail shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedDetail {
    /// The request.
    pub request: MissedRequestRow,
    /// Its calls, callbacks, bookings and closure, oldest first.
    pub history: Vec<MissedEventRow>,
}

impl Dialer {
    /// Counts a missed call a PBX reported.
    ///
    /// # Errors
    /// Refused (nothing stored) without a caller or with one that is no number.
    /// Database errors.
    pub async fn intake_missed_call(&self, form: MissedCallForm) -> AdminResult<Intake> {
        let call = form
            .into_call(self.missed_settings().region, self.now_ms())
            .map_err(|error| Refused::Invalid(error.to_string()))?;
        let intake = self.inner.store.intake_missed_call(&call).await?;
        if let Intake::Counted { request_id, calls } = intake {
            tracing::info!(request = request_id, calls, "missed call counted");
        }
        Ok(intake)
    }

    /// A page of the requests `filter` matches.
    ///
    /// # Errors
    /// Database errors.
    pub async fn missed_calls(
        &self,
        filter: &MissedFilter,
        order: MissedOrder,
        offset: i64,
        limit: i64,
    ) -> AdminResult<MissedPage> {
        Ok(self
            .inner
            .store
            .missed_requests(filter, order, offset, limit.clamp(1, 1000))
            .await?)
    }

    /// Request `id` and its history.
    ///
    /// # Errors
    /// Refused when there is no such request. Database errors.
    pub async fn missed_call(&self, id: i64) -> AdminResult<MissedDetail> {
        let store = &self.inner.store;
        let request = store
            .missed_request(id)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("missed call {id}")))?;
        let history = store.missed_history(id).await?;
        Ok(MissedDetail { request, history })
    }

    /// Operator `operator` books request `id`: from now on only they call it.
    ///
    /// # Errors
    /// Refused when `operator` is no agent, or the request is booked already, being
    /// called or closed. Database errors.
    pub async fn book_missed(&self, operator: &str, id: i64) -> AdminResult<()> {
        // A name that is no agent's (an API client's typo) would hide the request
        // from every operator until a supervisor took it back.
        if self.inner.store.agent(operator).await?.is_none() {
            return Err(Refused::NotFound(format!("agent {operator:?}")).into());
        }
        let booked = self
            .inner
            .store
            .book_missed(id, operator, None, self.now_ms())
            .await?;
        if !booked {
            return Err(self.not_open(id, "booked by someone else").await);
        }
        Ok(())
    }

    /// Operator `operator` gives back request `id`, which they had booked.
    ///
    /// # Errors
    /// Refused when it is not theirs. Database errors.
    pub async fn unbook_missed(&self, operator: &str, id: i64) -> AdminResult<()> {
        let store = &self.inner.store;
        if !store
            .unbook_missed(id, Some(operator), operator, self.now_ms())
            .await?
        {
            return Err(self.not_open(id, "not booked by you").await);
        }
        Ok(())
    }

    /// Supervisor `supervisor` assigns request `id` to `operator` (taking it from
    /// whoever had booked it).
    ///
    /// # Errors
    /// Refused when `operator` may not be assigned requests, or the request is not
    /// open. Database errors.
    pub async fn assign_missed(
        &self,
        supervisor: &str,
        id: i64,
        operator: &str,
    ) -> AdminResult<()> {
        if !self.missed_operators().await?.iter().any(|o| o == operator) {
            return Err(Refused::Invalid(format!(
                "{operator:?} cannot be assigned missed calls: an agent with an extension{} is needed",
                if self.missed_settings().operators.is_empty() {
                    ""
                } else {
                    ", among the configured operators,"
                }
            ))
            .into());
        }
        let store = &self.inner.store;
        if !store
            .book_missed(id, operator, Some(supervisor), self.now_ms())
            .await?
        {
            return Err(self.not_open(id, "not open").await);
        }
        Ok(())
    }

    /// Supervisor `supervisor` takes request `id` from whoever booked it.
    ///
    /// # Errors
    /// Refused when nobody booked it. Database errors.
    pub async fn unassign_missed(&self, supervisor: &str, id: i64) -> AdminResult<()> {
        let store = &self.inner.store;
        if !store
            .unbook_missed(id, None, supervisor, self.now_ms())
            .await?
        {
            return Err(self.not_open(id, "booked by nobody").await);
        }
        Ok(())
    }

    /// Supervisor `supervisor` closes request `id`.
    ///
    /// # Errors
    /// Refused when it is not open (closed, or its callback runs). Database errors.
    pub async fn close_missed(&self, supervisor: &str, id: i64) -> AdminResult<()> {
        if !self
            .inner
            .store
            .close_missed(id, supervisor, self.now_ms())
            .await?
        {
            return Err(self.not_open(id, "not open").await);
        }
        Ok(())
    }

    /// Supervisor `supervisor` closes every open request `filter` matches, or only
    /// those of `ids` among them. How many were closed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn flush_missed(
        &self,
        supervisor: &str,
        filter: &MissedFilter,
        ids: Option<&[i64]>,
    ) -> AdminResult<u64> {
        let flushed = self
            .inner
            .store
            .flush_missed(filter, ids, supervisor, self.now_ms())
            .await?;
        tracing::info!(supervisor, flushed, "missed calls flushed");
        Ok(flushed)
    }

    /// Operator `operator` calls request `id` back: their phone rings, then the
    /// customer's, through the callback campaign. The attempt's id.
    ///
    /// # Errors
    /// Refused when no callback campaign is configured, the request is booked by
    /// someone else, being called or closed, and for every refusal of a call from the
    /// desk (the operator's state, the campaign's checks). Database errors.
    pub async fn call_back(&self, operator: &str, id: i64) -> AdminResult<i64> {
        let settings = self.missed_settings();
        let Some(name) = &settings.campaign else {
            return Err(Refused::Conflict(
                "no campaign is configured for callbacks ([missed_calls] campaign)".into(),
            )
            .into());
        };
        let store = &self.inner.store;
        let campaign = store
            .campaign_by_name(name)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("the callback campaign {name:?}")))?;
        let request = store
            .missed_request(id)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("missed call {id}")))?;
        if !store
            .take_missed_for_call(id, operator, self.now_ms())
            .await?
        {
            return Err(self.not_open(id, "booked by someone else").await);
        }
        let placed = self
            .call_from_desk(operator, campaign.id, DeskTarget::Number(request.caller))
            .await;
        match placed {
            Ok(attempt) => {
                store.note_missed_attempt(id, attempt).await?;
                tracing::info!(operator, request = id, attempt, "callback placed");
                // A call that failed at once may have ended already.
                self.settle_callbacks().await?;
                Ok(attempt)
            }
            Err(error) => {
                store.release_missed(id).await?;
                Err(error)
            }
        }
    }

    /// Closes or gives back each request whose callback is over (see the module).
    ///
    /// # Errors
    /// Database errors.
    pub async fn settle_callbacks(&self) -> anyhow::Result<Vec<SettledCallback>> {
        let settings = self.missed_settings();
        let settled = self
            .inner
            .store
            .settle_callbacks(
                duration_ms(settings.min_talk),
                duration_ms(STALE_TAKE),
                self.now_ms(),
            )
            .await?;
        for callback in &settled {
            tracing::info!(request = callback.request_id, operator = %callback.operator, done = callback.done, "callback settled");
        }
        Ok(settled)
    }

    /// The operators requests may be assigned to: agents with an extension, among the
    /// configured ones when some are, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn missed_operators(&self) -> anyhow::Result<Vec<String>> {
        let only = &self.missed_settings().operators;
        let mut names: Vec<String> = self
            .inner
            .store
            .agents()
            .await?
            .into_iter()
            .filter(|a| !a.extension.trim().is_empty())
            .filter(|a| only.is_empty() || only.contains(&a.name))
            .map(|a| a.name)
            .collect();
        names.sort();
        Ok(names)
    }

    /// Whether now is a good time to call back a customer whose last call was at
    /// `last_call_ms`: within `hint` of that time of day, in the region's zone.
    pub fn good_time(&self, last_call_ms: i64) -> bool {
        let settings = self.missed_settings();
        let zone: chrono_tz::Tz = settings
            .region
            .zone()
            .and_then(|z| z.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        within_time_of_day(zone, last_call_ms, self.now_ms(), settings.hint)
    }

    /// The configured CRM page for `caller`'s request, the number filled in (encoded
    /// for a URL); `None` when none is configured.
    pub fn missed_crm_link(&self, caller: &str) -> Option<String> {
        let url = &self.missed_settings().crm_url;
        (!url.is_empty()).then(|| {
            let number =
                percent_encoding::utf8_percent_encode(caller, percent_encoding::NON_ALPHANUMERIC);
            url.replace("{caller}", &number.to_string())
        })
    }

    /// The missed-calls settings.
    pub fn missed_settings(&self) -> &MissedSettings {
        &self.inner.config.missed
    }

    /// The refusal of an operation on request `id` that found it not as it needed:
    /// says where it stands.
    async fn not_open(&self, id: i64, otherwise: &str) -> crate::refusal::AdminError {
        match self.inner.store.missed_request(id).await {
            Ok(None) => Refused::NotFound(format!("missed call {id}")).into(),
            Ok(Some(request)) => Refused::Conflict(format!(
                "missed call {id} is {}",
                match request.state {
                    ringhost_store::missed::MissedState::Open => otherwise,
                    ringhost_store::missed::MissedState::Calling => "being called back",
                    ringhost_store::missed::MissedState::Closed => "closed",
                }
            ))
            .into(),
            Err(error) => error.into(),
        }
    }
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Whether the times of day of `then_ms` and `now_ms` in `zone` are within `window`
/// of each other (across midnight too).
fn within_time_of_day(zone: chrono_tz::Tz, then_ms: i64, now_ms: i64, window: Duration) -> bool {
    let second_of_day = |ms: i64| -> i64 {
        zone.timestamp_millis_opt(ms)
            .single()
            .map_or(0, |t| i64::from(t.num_seconds_from_midnight()))
    };
    let apart = (second_of_day(then_ms) - second_of_day(now_ms)).abs();
    let apart = apart.min(86_400 - apart);
    apart <= i64::try_from(window.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_time_is_near_the_last_calls_time_of_day() {
        let rome: chrono_tz::Tz = "Europe/Rome".parse().unwrap();
        let at = |d: u32, h: u32, m: u32| {
            rome.with_ymd_and_hms(2026, 12, d, h, m, 0)
                .unwrap()
                .timestamp_millis()
        };
        let window = Duration::from_secs(30 * 60);
        assert!(within_time_of_day(
            rome,
            at(1, 10, 0),
            at(3, 10, 25),
            window
        ));
        assert!(!within_time_of_day(
            rome,
            at(1, 10, 0),
            at(3, 10, 31),
            window
        ));
        assert!(within_time_of_day(
            rome,
            at(1, 23, 50),
            at(3, 0, 10),
            window
        ));
        assert!(!within_time_of_day(rome, at(1, 12, 0), at(1, 0, 0), window));
        // Across a change of the clocks, by the clock on the wall.
        let summer = rome
            .with_ymd_and_hms(2026, 7, 1, 10, 0, 0)
            .unwrap()
            .timestamp_millis();
        assert!(within_time_of_day(rome, summer, at(3, 10, 5), window));
    }
}
