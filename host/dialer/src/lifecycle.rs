//! A campaign's lifecycle: Created -> Running <-> Paused -> Finished; Cancelled (it can
//! be started again); a start delayed to a date (Scheduled). Notification runs end
//! Completed (the confirmations required are in) or Incomplete; an Incomplete run gets
//! more attempts for chosen recipients (Running again) or is marked Terminated.

use serde::{Deserialize, Serialize};

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Never started.
    Created,
    /// Started, waiting for its delayed start.
    Scheduled,
    /// Dialling.
    Running,
    /// Stopped by a user; calls in progress finish.
    Paused,
    /// Every contact done (agent campaigns).
    Finished,
    /// Stopped for good by a user; may be started again.
    Cancelled,
    /// A notification run whose confirmations are in.
    Completed,
    /// A notification run that ended short of its confirmations.
    Incomplete,
    /// An Incomplete run closed by a user.
    Terminated,
}

/// A user's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Start a new run (now, or at the campaign's delayed start).
    Start,
    /// Stop starting calls.
    Pause,
    /// Start calls again.
    Resume,
    /// Stop the run.
    Cancel,
    /// Close an Incomplete run.
    Terminate,
}

impl CampaignState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Created => "created",
            CampaignState::Scheduled => "scheduled",
            CampaignState::Running => "running",
            CampaignState::Paused => "paused",
            CampaignState::Finished => "finished",
            CampaignState::Cancelled => "cancelled",
            CampaignState::Completed => "completed",
            CampaignState::Incomplete => "incomplete",
            CampaignState::Terminated => "terminated",
        }
    }

    /// The state stored as `name`.
    pub fn parse(name: &str) -> Option<CampaignState> {
        [
            CampaignState::Created,
            CampaignState::Scheduled,
            CampaignState::Running,
            CampaignState::Paused,
            CampaignState::Finished,
            CampaignState::Cancelled,
            CampaignState::Completed,
            CampaignState::Incomplete,
            CampaignState::Terminated,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// Whether no run is in progress, so its settings may change (ADS edits only a
    /// campaign that is not dialling).
    pub fn editable(self) -> bool {
        !matches!(
            self,
            CampaignState::Scheduled | CampaignState::Running | CampaignState::Paused
        )
    }

    /// The state `command` leads to from here, with `delayed` telling a start whose
    /// date is still ahead; `None` when the command does not apply.
    pub fn after(self, command: Command, delayed: bool) -> Option<CampaignState> {
        use CampaignState as S;
        match (command, self) {
            (Command::Start, S::Created | S::Finished | S::Cancelled | S::Completed)
            | (Command::Start, S::Terminated) => {
                Some(if delayed { S::Scheduled } else { S::Running })
            }
            (Command::Pause, S::Running) => Some(S::Paused),
            (Command::Resume, S::Paused) => Some(S::Running),
            (Command::Cancel, S::Scheduled | S::Running | S::Paused | S::Incomplete) => {
                Some(S::Cancelled)
            }
            (Command::Terminate, S::Incomplete) => Some(S::Terminated),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CampaignState as S;
    use super::*;

    #[test]
    fn the_lifecycle_allows_what_the_products_allow() {
        assert_eq!(S::Created.after(Command::Start, false), Some(S::Running));
        assert_eq!(S::Created.after(Command::Start, true), Some(S::Scheduled));
        assert_eq!(S::Running.after(Command::Pause, false), Some(S::Paused));
        assert_eq!(S::Paused.after(Command::Resume, false), Some(S::Running));
        assert_eq!(S::Paused.after(Command::Cancel, false), Some(S::Cancelled));
        assert_eq!(S::Cancelled.after(Command::Start, false), Some(S::Running));
        assert_eq!(
            S::Incomplete.after(Command::Terminate, false),
            Some(S::Terminated)
        );
        assert_eq!(S::Running.after(Command::Start, false), None);
        assert_eq!(S::Finished.after(Command::Pause, false), None);
        assert_eq!(S::Created.after(Command::Terminate, false), None);
        assert!(S::Created.editable() && S::Finished.editable());
        assert!(!S::Running.editable() && !S::Paused.editable());
        for s in [S::Created, S::Running, S::Incomplete, S::Terminated] {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
    }
}
