//! Supervisors listening in on agents' calls: a supervisor names the agent and the
//! phone to ring; the dialer finds the call the agent is on and asks the carrier to
//! ring that phone onto it ([`ringhost_call::Carrier::monitor`]), then to change its
//! mode or stop. Every step is kept in the store's audit (`call_monitor`): who
//! listened to whom, when, in which mode.
//!
//! The carrier rings only a phone registered with the host, never a number through
//! a trunk; an extension that is not one is refused here as invalid.

pub use ringhost_call::MonitorMode;
use ringhost_call::MonitorRefusal;
use ringhost_store::monitor::MonitorChange;

use crate::agents::{Agent, AgentState};
use crate::refusal::{AdminError, AdminResult, Refused};
use crate::scheduler::Dialer;

impl Dialer {
    /// Rings the supervisor's phone registered as `extension` onto the call agent
    /// `agent` is on, in `mode`, for the user `by`; returns the call's attempt once
    /// the phone rings. The supervisor is hung up when the call ends.
    ///
    /// # Errors
    /// [`Refused`] for an unknown agent, an agent not talking on a call, an extension
    /// that is not a registered phone, a call monitored already; database errors.
    pub async fn monitor(
        &self,
        by: &str,
        agent: &str,
        extension: &str,
        mode: MonitorMode,
    ) -> AdminResult<i64> {
        let attempt_id = self.call_of(agent).await?;
        self.inner
            .carrier
            .monitor(attempt_id, extension.to_owned(), mode)
            .await
            .map_err(refused)?;
        self.audit(by, agent, attempt_id, Some(extension), Some(mode))
            .await?;
        Ok(attempt_id)
    }

    /// Changes the mode of the monitor on `agent`'s call, for the user `by`.
    ///
    /// # Errors
    /// [`Refused`] when the agent is not on a call or nobody monitors it; database
    /// errors.
    pub async fn set_monitor_mode(
        &self,
        by: &str,
        agent: &str,
        mode: MonitorMode,
    ) -> AdminResult<()> {
        let attempt_id = self.call_of(agent).await?;
        self.inner
            .carrier
            .set_monitor_mode(attempt_id, mode)
            .map_err(refused)?;
        self.audit(by, agent, attempt_id, None, Some(mode)).await
    }

    /// Hangs up the supervisor monitoring `agent`'s call, for the user `by`.
    ///
    /// # Errors
    /// [`Refused`] when the agent is not on a call or nobody monitors it; database
    /// errors.
    pub async fn stop_monitor(&self, by: &str, agent: &str) -> AdminResult<()> {
        let attempt_id = self.call_of(agent).await?;
        self.inner
            .carrier
            .stop_monitor(attempt_id)
            .map_err(refused)?;
        self.audit(by, agent, attempt_id, None, None).await
    }

    /// The attempt of the call `agent` is on.
    async fn call_of(&self, agent: &str) -> AdminResult<i64> {
        let row = self
            .inner
            .store
            .agent(agent)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("agent {agent:?}")))?;
        let agent = Agent::of(row, self.now_ms());
        match (agent.state, agent.attempt_id) {
            (AgentState::OnCall, Some(attempt_id)) => Ok(attempt_id),
            (state, _) => Err(Refused::Conflict(format!(
                "agent {:?} is {}, not on a call",
                agent.name,
                state.as_str()
            ))
            .into()),
        }
    }

    /// Keeps a step of a monitor in the audit (`extension`: the phone rung, at the
    /// start only).
    async fn audit(
        &self,
        by: &str,
        agent: &str,
        attempt_id: i64,
        extension: Option<&str>,
        mode: Option<MonitorMode>,
    ) -> AdminResult<()> {
        let change = MonitorChange {
            attempt_id,
            agent: agent.to_owned(),
            changed_by: by.to_owned(),
            extension: extension.map(str::to_owned),
            mode: mode.map(|m| m.as_str().to_owned()),
            at_ms: self.now_ms(),
        };
        self.inner.store.record_monitor_change(&change).await?;
        Ok(())
    }
}

/// How the carrier's refusal reaches the user: the request's fault (4xx), but for a
/// phone that cannot be rung, which is the host's.
fn refused(refusal: MonitorRefusal) -> AdminError {
    match refusal {
        MonitorRefusal::NotAPhone(_) => Refused::Invalid(refusal.to_string()).into(),
        MonitorRefusal::CannotRing(_) => AdminError::Failed(anyhow::anyhow!(refusal)),
        MonitorRefusal::Unsupported
        | MonitorRefusal::NotBridged(_)
        | MonitorRefusal::AlreadyMonitored(_)
        | MonitorRefusal::NotMonitored(_) => Refused::Conflict(refusal.to_string()).into(),
    }
}
