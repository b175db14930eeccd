//! Who a user is to the panel: an admin runs everything, a supervisor watches and
//! steers, an agent takes calls. Each page says which roles may see it.

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sets up lists, campaigns, agents, trunks, keys, users and plugins.
    Admin,
    /// Watches and steers campaigns and agents.
    Supervisor,
    /// Takes calls and calls customers back.
    Agent,
}

impl Role {
    /// The role called `name` (`admin`, `supervisor`, `agent`).
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }

    /// Its name, as the store and the command line write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }
}
