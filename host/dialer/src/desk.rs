//! The agent's desk: what an agent's screen shows beyond their state. The call they
//! are on with the contact's data (the screen pop) and a link into the CRM; the call
//! they just finished, for its disposition; their calls and their times of the day.

use std::collections::HashMap;

use ringhost_store::agent::{Closed, StateTime};
use ringhost_store::attempt::AttemptRow;
use serde::Serialize;

use crate::agents::AgentState;
use crate::refusal::{AdminResult, Refused};
use crate::scheduler::Dialer;
use crate::settings::CampaignSettings;

/// The call an agent is on, with the contact's data: what their screen shows (the
/// same as the `call_connected` event, for a desk that was not listening then).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreenPop {
    /// The attempt.
    pub attempt_id: i64,
    /// Which attempt of the contact this is (1 for the first).
    pub attempt: i64,
    /// Its campaign.
    pub campaign: String,
    /// The contact.
    pub contact_id: i64,
    /// The number called.
    pub number: String,
    /// The contact's variables (the list's columns, the exchange table's data).
    pub variables: serde_json::Value,
    /// Since when the agent is on the call (ms since the epoch): the call's timer.
    pub since_ms: i64,
    /// The campaign's CRM page for this contact, when it has one.
    pub crm_url: Option<String>,
}

/// The inbound call an agent is on (a call to one of the host's numbers, no
/// campaign's): who calls, on which line, and whether they are waiting to be called
/// back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboundPop {
    /// The caller's number.
    pub caller: String,
    /// The number they called.
    pub line: String,
    /// The queue that took it.
    pub queue: String,
    /// Since when the agent is on the call.
    pub since_ms: i64,
    /// Their open missed-call request: missed calls counted, and the first one's time.
    /// Closed as served when this call ends.
    pub missed: Option<(i64, i64)>,
    /// The missed calls' CRM page for the caller, when one is configured.
    pub crm_url: Option<String>,
}

/// An agent's call that ended, for its disposition.
#[derive(Debug, Clone, PartialEq)]
pub struct EndedCall {
    /// The attempt as recorded.
    pub attempt: AttemptRow,
    /// Its campaign's name.
    pub campaign: String,
    /// The statuses the agent picks from (the campaign's list).
    pub dispositions: Vec<String>,
}

/// The agent's word on an ended call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disposition {
    /// The status: any text the contact center uses (`SALE`, `CALLBACK`, ...).
    pub status: String,
    /// Tags, replacing the attempt's.
    pub tags: Vec<String>,
    /// The agent's note.
    pub note: Option<String>,
    /// Call the contact again at this time (ms since the epoch).
    pub reschedule_at_ms: Option<i64>,
    /// The extension that call goes to (the agent's own); anyone's when unset.
    pub extension: Option<String>,
}

/// An agent's times within a span (their day so far).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AgentDay {
    /// Calls taken (times put on a call).
    pub calls: i64,
    /// Milliseconds on calls.
    pub talk_ms: i64,
    /// Milliseconds in wrap-up.
    pub wrap_up_ms: i64,
    /// Milliseconds paused, all reasons.
    pub paused_ms: i64,
    /// Milliseconds ready, waiting for a call.
    pub ready_ms: i64,
    /// Milliseconds logged in but not taking calls.
    pub present_ms: i64,
    /// Milliseconds paused, by reason.
    pub pauses: Vec<(String, i64)>,
}

impl AgentDay {
    /// Adds a line of the state log's totals (the agent's own).
    pub fn add(&mut self, line: &StateTime) {
        match AgentState::parse(&line.state) {
            Some(AgentState::OnCall) => {
                self.calls += line.entered;
                self.talk_ms += line.ms;
            }
            Some(AgentState::WrapUp) => self.wrap_up_ms += line.ms,
            Some(AgentState::Ready) => self.ready_ms += line.ms,
            Some(AgentState::Present) => self.present_ms += line.ms,
            Some(AgentState::Paused) => {
                self.paused_ms += line.ms;
                let reason = line.reason.clone().unwrap_or_default();
                match self.pauses.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, ms)) => *ms += line.ms,
                    None => self.pauses.push((reason, line.ms)),
                }
            }
            Some(AgentState::LoggedOut) | None => {}
        }
    }

    /// Milliseconds logged in: every state but logged out.
    pub fn logged_in_ms(&self) -> i64 {
        self.talk_ms + self.wrap_up_ms + self.ready_ms + self.present_ms + self.paused_ms
    }

    /// The average handle time (talk and wrap-up per call), in ms; `None` without a
    /// call.
    pub fn handle_ms(&self) -> Option<i64> {
        (self.calls > 0).then(|| (self.talk_ms + self.wrap_up_ms) / self.calls)
    }

    /// Occupancy: the share of the time logged in and not paused spent on calls and
    /// wrapping them up; `None` without such time.
    pub fn occupancy(&self) -> Option<f64> {
        let working = self.logged_in_ms() - self.paused_ms;
        (working > 0).then(|| (self.talk_ms + self.wrap_up_ms) as f64 / working as f64)
    }
}

/// States over for this long are settled: no transaction still writing can end one
/// before then (a state's end is written with the host's time of the change).
pub const SETTLED_AFTER: std::time::Duration = std::time::Duration::from_secs(10);
const SETTLED_AFTER_MS: i64 = SETTLED_AFTER.as_millis() as i64;

/// The agents' times of one day from the states that ended before `until_ms`: what
/// [`Dialer::agents_days`] keeps between reads.
#[derive(Debug, Default)]
pub(crate) struct SettledDay {
    /// The day's start.
    since_ms: i64,
    /// States that ended before this are counted.
    until_ms: i64,
    days: HashMap<String, AgentDay>,
}

/// Adds a line of the log's totals to its agent's day.
fn count(days: &mut HashMap<String, AgentDay>, line: StateTime) {
    days.entry(line.agent.clone()).or_default().add(&line);
}

impl Dialer {
    /// The call agent `name` is on, with the contact's data; `None` between calls.
    ///
    /// # Errors
    /// [`Refused::NotFound`] for an unknown agent; when the database cannot be read.
    pub async fn screen_pop(&self, name: &str) -> AdminResult<Option<ScreenPop>> {
        let store = &self.inner.store;
        let row = store
            .agent(name)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("agent {name:?}")))?;
        let on_call = row.state == AgentState::OnCall.as_str();
        let Some(attempt_id) = row.attempt_id.filter(|_| on_call) else {
            return Ok(None);
        };
        let Some(attempt) = store.attempt(attempt_id).await? else {
            return Ok(None);
        };
        let start = attempt.start;
        let campaign = store.campaign(start.campaign_id).await?;
        let settings: CampaignSettings = campaign
            .as_ref()
            .and_then(|c| serde_json::from_str(&c.settings).ok())
            .unwrap_or_default();
        let variables: serde_json::Value = store
            .contact(start.contact_id)
            .await?
            .and_then(|c| serde_json::from_str(&c.variables).ok())
            .unwrap_or_default();
        let campaign = campaign.map(|c| c.name).unwrap_or_default();
        let crm_url = settings.crm_url.as_deref().and_then(|url| {
            crm_address(
                url,
                &variables,
                &[("number", &start.number), ("campaign", &campaign)],
            )
        });
        Ok(Some(ScreenPop {
            attempt_id,
            attempt: start.attempt,
            campaign,
            contact_id: start.contact_id,
            number: start.number,
            variables,
            since_ms: row.since_ms,
            crm_url,
        }))
    }

    /// The inbound call agent `name` is on, if any.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbound_pop(&self, name: &str) -> AdminResult<Option<InboundPop>> {
        let Some(call) = self.inner.store.inbound_call_of_agent(name).await? else {
            return Ok(None);
        };
        Ok(Some(InboundPop {
            crm_url: self.missed_crm_link(&call.caller),
            caller: call.caller,
            line: call.number,
            queue: call.queue,
            since_ms: call.connected_ms,
            missed: call.missed,
        }))
    }

    /// The last call agent `name` took that ended since `since_ms`: what their
    /// disposition form is about.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn last_call(&self, name: &str, since_ms: i64) -> AdminResult<Option<EndedCall>> {
        let store = &self.inner.store;
        let Some(attempt) = store.attempts_of_agent(name, since_ms, 1).await?.pop() else {
            return Ok(None);
        };
        let campaign = store.campaign(attempt.start.campaign_id).await?;
        let settings: CampaignSettings = campaign
            .as_ref()
            .and_then(|c| serde_json::from_str(&c.settings).ok())
            .unwrap_or_default();
        Ok(Some(EndedCall {
            attempt,
            campaign: campaign.map(|c| c.name).unwrap_or_default(),
            dispositions: settings.dispositions,
        }))
    }

    /// The calls agent `name` took that ended since `since_ms`, newest first, at
    /// most `limit`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn calls_of_agent(
        &self,
        name: &str,
        since_ms: i64,
        limit: i64,
    ) -> AdminResult<Vec<AttemptRow>> {
        Ok(self
            .inner
            .store
            .attempts_of_agent(name, since_ms, limit)
            .await?)
    }

    /// Every agent's times since `since_ms` (the start of their day), by name; agents
    /// with no state in that span are missing.
    ///
    /// The states over more than [`SETTLED_AFTER`] ago are counted once and kept (per
    /// day); each read then counts only the newer ones from the log, so that a live
    /// page's read costs the same at the end of a day as at its start.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn agents_days(&self, since_ms: i64) -> AdminResult<HashMap<String, AgentDay>> {
        let store = &self.inner.store;
        let now = self.now_ms();
        let settled_until = (now - SETTLED_AFTER_MS).max(since_ms);
        let mut settled = self.inner.settled_day.lock().await;
        if settled.since_ms != since_ms || settled.until_ms > settled_until {
            *settled = SettledDay {
                since_ms,
                until_ms: since_ms,
                days: HashMap::new(),
            };
        }
        if settled.until_ms < settled_until {
            let over = Closed::Between(settled.until_ms.max(since_ms + 1), settled_until);
            for line in store.agent_state_times(since_ms, now, over).await? {
                count(&mut settled.days, line);
            }
            settled.until_ms = settled_until;
        }
        let mut days = settled.days.clone();
        drop(settled);
        let recent = Closed::SinceOrOpen(settled_until.max(since_ms + 1));
        for line in store.agent_state_times(since_ms, now, recent).await? {
            count(&mut days, line);
        }
        Ok(days)
    }

    /// The agent's word on an ended call: its status, tags and note, and a call-back
    /// if the contact is to be called again.
    ///
    /// # Errors
    /// [`Refused`] for an unknown or unfinished attempt, an empty status, a
    /// call-back for a contact being dialled.
    pub async fn set_disposition(
        &self,
        attempt_id: i64,
        disposition: &Disposition,
    ) -> AdminResult<()> {
        let store = &self.inner.store;
        let status = disposition.status.trim();
        if status.is_empty() {
            return Err(Refused::Invalid("a disposition needs a status".into()).into());
        }
        let tags = serde_json::to_string(&disposition.tags)?;
        let note = disposition
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let contact = store
            .set_disposition(attempt_id, status, &tags, note)
            .await?
            .ok_or_else(|| {
                Refused::Conflict(format!(
                    "attempt {attempt_id} is not an ended call (unknown, or still in progress)"
                ))
            })?;
        if let Some(at) = disposition.reschedule_at_ms {
            if !store
                .reschedule_contact(contact, at, disposition.extension.as_deref(), self.now_ms())
                .await?
            {
                return Err(Refused::Conflict(format!(
                    "contact {contact} is being dialled: it cannot be rescheduled now"
                ))
                .into());
            }
            self.wake();
        }
        Ok(())
    }

    /// [`Dialer::set_disposition`] from agent `agent`'s desk: only on a call they took,
    /// and only with one of its campaign's dispositions.
    ///
    /// # Errors
    /// [`Refused::NotFound`] for a call that is not theirs; [`Refused::Invalid`] for a
    /// status not in the campaign's list; as [`Dialer::set_disposition`].
    pub async fn set_own_disposition(
        &self,
        agent: &str,
        attempt_id: i64,
        disposition: &Disposition,
    ) -> AdminResult<()> {
        let store = &self.inner.store;
        let Some(attempt) = store
            .attempt(attempt_id)
            .await?
            .filter(|a| a.agent.as_deref() == Some(agent))
        else {
            return Err(Refused::NotFound(format!("{agent:?}'s call {attempt_id}")).into());
        };
        let settings: CampaignSettings = store
            .campaign(attempt.start.campaign_id)
            .await?
            .and_then(|c| serde_json::from_str(&c.settings).ok())
            .unwrap_or_default();
        let status = disposition.status.trim();
        if !settings.dispositions.is_empty() && !settings.dispositions.iter().any(|d| d == status) {
            return Err(Refused::Invalid(format!(
                "{status:?} is not one of the campaign's dispositions ({})",
                settings.dispositions.join(", ")
            ))
            .into());
        }
        self.set_disposition(attempt_id, disposition).await
    }
}

/// `template` (an `http` or `https` address) with each `{name}` replaced by the
/// contact's variable or one of `extra`, URL-encoded (unknown names become empty);
/// `None` for any other scheme, so that no `javascript:` link reaches a desk.
pub fn crm_address(
    template: &str,
    variables: &serde_json::Value,
    extra: &[(&str, &str)],
) -> Option<String> {
    let lower = template.trim_start().to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let value = |name: &str| -> String {
        let found = variables
            .get(name)
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .or_else(|| {
                extra
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            })
            .unwrap_or_default();
        percent_encoding::utf8_percent_encode(&found, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template.trim();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        match rest[open..].find('}') {
            Some(close) => {
                out.push_str(&value(&rest[open + 1..open + close]));
                rest = &rest[open + close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crm_address_is_filled_and_encoded() {
        let variables = serde_json::json!({"code": "A&B 7", "age": 42});
        assert_eq!(
            crm_address(
                "https://crm.example/c?id={code}&age={age}&tel={number}&x={missing}",
                &variables,
                &[("number", "+393471234567")],
            )
            .as_deref(),
            Some("https://crm.example/c?id=A%26B%207&age=42&tel=%2B393471234567&x=")
        );
        assert_eq!(
            crm_address("https://crm.example/{open", &variables, &[]).as_deref(),
            Some("https://crm.example/{open")
        );
    }

    #[test]
    fn only_web_addresses_become_links() {
        let none = serde_json::Value::Null;
        assert_eq!(crm_address("javascript:alert(1)", &none, &[]), None);
        assert_eq!(crm_address(" JavaScript:alert(1)", &none, &[]), None);
        assert_eq!(crm_address("data:text/html,x", &none, &[]), None);
        assert!(crm_address("HTTP://crm/", &none, &[]).is_some());
    }
}
