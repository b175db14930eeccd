//! Who a person (or an API key given a role) is to the host, and what each role may
//! do: a role is a set of the API's operations, named by their `operationId`s, so the
//! web panel's pages and an API key with a role are guarded by one table.
//!
//! An admin runs everything; a supervisor watches every campaign, queue and agent and
//! steers them (pause, resume, agents' states and queues) but changes no setup; an
//! agent takes calls and records their outcome.

/// A role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sets up lists, campaigns, agents, trunks, keys, users and plugins.
    Admin,
    /// Watches and steers campaigns and agents.
    Supervisor,
    /// Takes calls and calls customers back.
    Agent,
}

/// What a supervisor may call: every read, and the steering of running work.
const SUPERVISOR: &[&str] = &[
    "listLists",
    "getList",
    "listContacts",
    "listCampaigns",
    "getCampaign",
    "campaignStatus",
    "listAttempts",
    "campaignEvents",
    "campaignRuns",
    "pauseCampaign",
    "resumeCampaign",
    "setDisposition",
    "listExchangeRows",
    "listTemplates",
    "listAgents",
    "setAgentState",
    "agentCall",
    "agentDial",
    "monitorCall",
    "stopMonitor",
    "addQueueMember",
    "removeQueueMember",
    "queueInfo",
    "channels",
    "getReport",
    "listMissedCalls",
    "getMissedCall",
    "bookMissedCall",
    "unbookMissedCall",
    "callBackMissedCall",
    "assignMissedCall",
    "unassignMissedCall",
    "closeMissedCall",
    "flushMissedCalls",
    "events",
];

/// What an agent may call: their state, their call, a call from their desk, its
/// outcome; missed calls to book and call back.
const AGENT: &[&str] = &[
    "setAgentState",
    "agentCall",
    "agentDial",
    "setDisposition",
    "listMissedCalls",
    "getMissedCall",
    "bookMissedCall",
    "unbookMissedCall",
    "callBackMissedCall",
    "events",
];

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Supervisor, Role::Agent];

    /// The role called `name` (`admin`, `supervisor`, `agent`).
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// Its name, as the store, the command line and an API key's permissions write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }

    /// Whether this role may call the operation `operation_id`.
    pub fn allows(self, operation_id: &str) -> bool {
        debug_assert!(
            crate::api::operation_ids()
                .iter()
                .any(|id| id == operation_id),
            "{operation_id} is not an operation of the API"
        );
        match self {
            Role::Admin => true,
            Role::Supervisor => SUPERVISOR.contains(&operation_id),
            Role::Agent => AGENT.contains(&operation_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_a_role_names_is_one_of_the_api() {
        let known = crate::api::operation_ids();
        for id in SUPERVISOR.iter().chain(AGENT) {
            assert!(
                known.iter().any(|k| k == id),
                "{id} is not an operation of the API"
            );
        }
    }

    #[test]
    fn roles_nest_and_only_admins_change_the_setup() {
        for id in crate::api::operation_ids() {
            assert!(Role::Admin.allows(id));
            if Role::Agent.allows(id) {
                assert!(Role::Supervisor.allows(id), "{id}");
            }
        }
        for setup in ["createCampaign", "createList", "putTemplate", "createAgent"] {
            assert!(!Role::Supervisor.allows(setup), "{setup}");
        }
        assert!(Role::Supervisor.allows("pauseCampaign"));
        assert!(!Role::Agent.allows("pauseCampaign"));
        assert_eq!(Role::parse("supervisor"), Some(Role::Supervisor));
        assert_eq!(Role::parse("root"), None);
    }
}
