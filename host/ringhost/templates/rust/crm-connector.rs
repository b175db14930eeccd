//! {{name}}: a CRM connector. It may only reach the hosts listed under
//! `[capabilities] allowed-hosts` in plugin.toml.

use ringhost_sdk::crm::{AttemptRecord, Batch, Connector, Contact, Level, host};

struct Plugin;

impl Connector for Plugin {
    fn find_contact(phone_number: String) -> Result<Option<Contact>, String> {
        host::log(Level::Debug, &format!("lookup {phone_number}"));
        Ok(None)
    }

    fn push_result(attempt: AttemptRecord) -> Result<(), String> {
        host::log(
            Level::Info,
            &format!("{} attempt {}: {}", attempt.contact_id, attempt.attempt, attempt.status),
        );
        Ok(())
    }

    fn pull_contacts(_campaign: String, _cursor: Option<String>, _max: u32) -> Result<Batch, String> {
        Ok(Batch {
            contacts: Vec::new(),
            next_cursor: None,
        })
    }
}

ringhost_sdk::crm::export_connector!(Plugin);
