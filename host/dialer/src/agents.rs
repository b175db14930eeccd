//! Agents and queues: who is there to take answered calls. An agent logs in
//! (present), makes themself ready, pauses with a reason, logs out; the calls move
//! them on a call and into wrap-up, which ends by itself after the agent's wrap-up
//! time. The pacer sees the counts of the campaign's queue.

use ringhost_store::agent::AgentRow;
use serde::{Deserialize, Serialize};

use crate::refusal::{AdminResult, Refused};
use crate::scheduler::Dialer;

/// Where an agent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Not working.
    LoggedOut,
    /// Logged in, not taking calls.
    Present,
    /// Waiting for a call.
    Ready,
    /// On a call.
    OnCall,
    /// After a call, for the agent's wrap-up time.
    WrapUp,
    /// Away, with a reason.
    Paused,
}

impl AgentState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::LoggedOut => "logged_out",
            AgentState::Present => "present",
            AgentState::Ready => "ready",
            AgentState::OnCall => "on_call",
            AgentState::WrapUp => "wrap_up",
            AgentState::Paused => "paused",
        }
    }

    /// The state stored as `name`.
    pub fn parse(name: &str) -> Option<AgentState> {
        [
            AgentState::LoggedOut,
            AgentState::Present,
            AgentState::Ready,
            AgentState::OnCall,
            AgentState::WrapUp,
            AgentState::Paused,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// Whether an agent may ask for `to` from here: the calls, not the agent, move
    /// an agent on a call and into wrap-up, and an agent on a call finishes it first.
    pub fn may_ask(self, to: AgentState) -> bool {
        use AgentState as S;
        match (self, to) {
            (_, S::OnCall | S::WrapUp) | (S::OnCall, _) => false,
            (S::LoggedOut, S::Paused) => false,
            (from, to) => from != to,
        }
    }
}

/// An agent as the API shows them: the state they are in now (a wrap-up past its
/// time is over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agent {
    /// The login.
    pub name: String,
    /// The phone's address of record.
    pub extension: String,
    /// The state now.
    pub state: AgentState,
    /// Why they paused.
    pub reason: Option<String>,
    /// Since when (ms since the epoch).
    pub since_ms: i64,
    /// Seconds of wrap-up after each call.
    pub wrap_up_s: i64,
    /// The attempt whose call they are on.
    pub attempt_id: Option<i64>,
}

impl Agent {
    /// The agent `row` describes, as of `now_ms`.
    pub fn of(row: AgentRow, now_ms: i64) -> Agent {
        let mut state = AgentState::parse(&row.state).unwrap_or(AgentState::LoggedOut);
        let mut since_ms = row.since_ms;
        if state == AgentState::WrapUp && now_ms >= row.since_ms + row.wrap_up_s * 1000 {
            since_ms = row.since_ms + row.wrap_up_s * 1000;
            state = AgentState::Ready;
        }
        Agent {
            name: row.name,
            extension: row.extension,
            state,
            reason: row.reason,
            since_ms,
            wrap_up_s: row.wrap_up_s,
            attempt_id: row.attempt_id,
        }
    }
}

/// A queue's agents and their counts: the pacer's snapshot and `QueueInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueInfo {
    /// The queue.
    pub queue: String,
    /// Its agents, by name.
    pub agents: Vec<Agent>,
    /// Agents waiting for a call.
    pub ready: u32,
    /// Agents logged in (any state but logged out).
    pub present: u32,
    /// Agents on a call or in wrap-up.
    pub busy: u32,
}

impl Dialer {
    /// Adds an agent, logged out.
    ///
    /// # Errors
    /// [`Refused::Conflict`] when the name or extension is taken.
    pub async fn create_agent(
        &self,
        name: &str,
        extension: &str,
        wrap_up_s: u32,
    ) -> AdminResult<Agent> {
        let store = &self.inner.store;
        if name.trim().is_empty() || extension.trim().is_empty() {
            return Err(Refused::Invalid("an agent needs a name and an extension".into()).into());
        }
        if store.agent(name).await?.is_some() {
            return Err(Refused::Conflict(format!("an agent called {name:?} exists")).into());
        }
        let row = AgentRow {
            name: name.to_owned(),
            extension: extension.to_owned(),
            state: AgentState::LoggedOut.as_str().to_owned(),
            reason: None,
            since_ms: self.now_ms(),
            wrap_up_s: i64::from(wrap_up_s),
            attempt_id: None,
        };
        store
            .create_agent(&row)
            .await
            .map_err(|e| Refused::Conflict(format!("{e:#}")))?;
        Ok(Agent::of(row, self.now_ms()))
    }

    /// Every agent as of now.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn agents(&self) -> AdminResult<Vec<Agent>> {
        let now = self.now_ms();
        let rows = self.inner.store.agents().await?;
        Ok(rows.into_iter().map(|r| Agent::of(r, now)).collect())
    }

    /// [`Dialer::set_agent_state`] asked by the user `by` (a supervisor, an admin, the
    /// agent at their desk), recorded with the state before and after in the audit.
    ///
    /// # Errors
    /// As [`Dialer::set_agent_state`]; database errors.
    pub async fn set_agent_state_by(
        &self,
        by: &str,
        name: &str,
        to: AgentState,
        reason: Option<&str>,
    ) -> AdminResult<Agent> {
        let (from, agent) = self.change_agent_state(name, to, reason).await?;
        let change = ringhost_store::agent::AgentChange {
            agent: agent.name.clone(),
            changed_by: by.to_owned(),
            from_state: from.as_str().to_owned(),
            to_state: agent.state.as_str().to_owned(),
            reason: agent.reason.clone(),
            at_ms: self.now_ms(),
        };
        self.inner.store.record_agent_change(&change).await?;
        Ok(agent)
    }

    /// An agent's request to change state (a pause needs a reason); wakes the
    /// scheduler, since a ready agent is a call to start.
    ///
    /// # Errors
    /// [`Refused`] for an unknown agent, a state an agent cannot ask for, a pause
    /// without a reason.
    pub async fn set_agent_state(
        &self,
        name: &str,
        to: AgentState,
        reason: Option<&str>,
    ) -> AdminResult<Agent> {
        let (_, agent) = self.change_agent_state(name, to, reason).await?;
        Ok(agent)
    }

    /// [`Dialer::set_agent_state`], and the state the agent was moved from (the one
    /// the compare-and-set checked).
    async fn change_agent_state(
        &self,
        name: &str,
        to: AgentState,
        reason: Option<&str>,
    ) -> AdminResult<(AgentState, Agent)> {
        let store = &self.inner.store;
        let now = self.now_ms();
        let row = store
            .agent(name)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("agent {name:?}")))?;
        let row_state = row.state.clone();
        let agent = Agent::of(row, now);
        if !agent.state.may_ask(to) {
            return Err(Refused::Conflict(format!(
                "agent {name:?} is {}: cannot become {}",
                agent.state.as_str(),
                to.as_str()
            ))
            .into());
        }
        let reason = match (to, reason.map(str::trim)) {
            (AgentState::Paused, Some(reason)) if !reason.is_empty() => Some(reason),
            (AgentState::Paused, _) => {
                return Err(Refused::Invalid("a pause needs a reason".into()).into());
            }
            _ => None,
        };
        // Only from the state read above: a call may have taken the agent meanwhile.
        if !store
            .move_agent(name, &row_state, to.as_str(), reason, now)
            .await?
        {
            return Err(Refused::Conflict(format!(
                "agent {name:?} changed state meanwhile; ask again"
            ))
            .into());
        }
        self.publish(crate::events::DialerEvent::AgentState {
            agent: name.to_owned(),
            state: to.as_str().to_owned(),
            reason: reason.map(str::to_owned),
        });
        self.wake();
        let from = agent.state;
        Ok((
            from,
            Agent {
                state: to,
                reason: reason.map(str::to_owned),
                since_ms: now,
                ..agent
            },
        ))
    }

    /// Makes an agent a member of a queue.
    ///
    /// # Errors
    /// [`Refused::NotFound`] for an unknown agent.
    pub async fn add_queue_member(&self, queue: &str, agent: &str) -> AdminResult<()> {
        let store = &self.inner.store;
        if store.agent(agent).await?.is_none() {
            return Err(Refused::NotFound(format!("agent {agent:?}")).into());
        }
        store.add_queue_member(queue, agent).await?;
        self.wake();
        Ok(())
    }

    /// Takes an agent out of a queue.
    ///
    /// # Errors
    /// [`Refused::NotFound`] when the agent was not in it.
    pub async fn remove_queue_member(&self, queue: &str, agent: &str) -> AdminResult<()> {
        if !self.inner.store.remove_queue_member(queue, agent).await? {
            return Err(Refused::NotFound(format!("agent {agent:?} in queue {queue:?}")).into());
        }
        Ok(())
    }

    /// Every queue with its agents and counts, as of now.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn queues(&self) -> AdminResult<Vec<QueueInfo>> {
        let mut queues = Vec::new();
        for name in self.inner.store.queues().await? {
            queues.push(self.queue_info(&name).await?);
        }
        Ok(queues)
    }

    /// A queue's agents and their counts, as of now.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn queue_info(&self, queue: &str) -> AdminResult<QueueInfo> {
        let now = self.now_ms();
        let agents: Vec<Agent> = self
            .inner
            .store
            .queue_members(queue)
            .await?
            .into_iter()
            .map(|r| Agent::of(r, now))
            .collect();
        let count =
            |f: &dyn Fn(AgentState) -> bool| agents.iter().filter(|a| f(a.state)).count() as u32;
        Ok(QueueInfo {
            queue: queue.to_owned(),
            ready: count(&|s| s == AgentState::Ready),
            present: count(&|s| s != AgentState::LoggedOut),
            busy: count(&|s| matches!(s, AgentState::OnCall | AgentState::WrapUp)),
            agents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::AgentState as S;
    use super::*;

    #[test]
    fn agents_ask_for_their_own_states_and_calls_move_the_rest() {
        assert!(S::LoggedOut.may_ask(S::Present));
        assert!(S::Present.may_ask(S::Ready));
        assert!(S::Ready.may_ask(S::Paused));
        assert!(S::WrapUp.may_ask(S::Ready));
        assert!(S::Paused.may_ask(S::LoggedOut));
        assert!(!S::LoggedOut.may_ask(S::Paused));
        assert!(!S::Ready.may_ask(S::OnCall));
        assert!(!S::OnCall.may_ask(S::LoggedOut));
        assert!(!S::Ready.may_ask(S::Ready));
    }

    #[test]
    fn a_wrap_up_ends_by_itself() {
        let row = AgentRow {
            name: "anna".into(),
            extension: "201".into(),
            state: "wrap_up".into(),
            reason: None,
            since_ms: 1_000,
            wrap_up_s: 10,
            attempt_id: None,
        };
        assert_eq!(Agent::of(row.clone(), 10_999).state, S::WrapUp);
        let after = Agent::of(row, 11_000);
        assert_eq!((after.state, after.since_ms), (S::Ready, 11_000));
    }
}
