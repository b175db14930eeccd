//! The webhook connector: each attempt's result is POSTed as a JSON object to the
//! `results-url` setting; the screen pop's lookup is a GET of
//! `lookup-url?phone=NUMBER`, whose JSON object becomes the contact (`id`, and every
//! other field a variable); a 404 means no such contact. It pulls no contacts.

use ringhost_sdk::crm::{AttemptRecord, Batch, Connector, Contact, host, http};

struct Webhook;

fn setting(key: &str) -> Result<String, String> {
    host::config(key).ok_or_else(|| format!("the `{key}` setting is missing"))
}

fn send(method: &str, url: String, body: Vec<u8>) -> Result<http::Response, String> {
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    http::send(&http::Request {
        method: method.to_owned(),
        url,
        headers,
        body,
    })
    .map_err(|e| match e {
        http::Error::NotAllowed(host) => format!("{host} is not in the manifest's allowed hosts"),
        http::Error::InvalidUrl(url) => format!("invalid URL: {url}"),
        http::Error::Transport(reason) => format!("HTTP failed: {reason}"),
        http::Error::Timeout => "HTTP timed out".to_owned(),
    })
}

impl Connector for Webhook {
    fn find_contact(phone_number: String) -> Result<Option<Contact>, String> {
        let number: String = phone_number
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        let url = format!(
            "{}?phone={}",
            setting("lookup-url")?,
            number.replace('+', "%2B")
        );
        let response = send("GET", url, Vec::new())?;
        match response.status {
            404 => Ok(None),
            200 => {
                let value: serde_json::Value = serde_json::from_slice(&response.body)
                    .map_err(|e| format!("the CRM's answer is not JSON: {e}"))?;
                let object = value
                    .as_object()
                    .ok_or("the CRM's answer is not a JSON object")?;
                let text =
                    |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                Ok(Some(Contact {
                    id: object.get("id").map(text).unwrap_or_default(),
                    phone_numbers: vec![phone_number],
                    variables: object
                        .iter()
                        .filter(|(k, _)| *k != "id")
                        .map(|(k, v)| (k.clone(), text(v)))
                        .collect(),
                }))
            }
            status => Err(format!("the CRM answered {status}")),
        }
    }

    fn push_result(attempt: AttemptRecord) -> Result<(), String> {
        let body = serde_json::json!({
            "campaign": attempt.campaign,
            "contact_id": attempt.contact_id,
            "phone_number": attempt.phone_number,
            "attempt": attempt.attempt,
            "status": attempt.status,
            "tags": attempt.tags,
            "started_ms": attempt.started_ms,
            "talk_ms": attempt.talk_ms,
            "agent": attempt.agent,
        });
        let response = send(
            "POST",
            setting("results-url")?,
            body.to_string().into_bytes(),
        )?;
        match response.status {
            200..=299 => Ok(()),
            status => Err(format!("the CRM answered {status}")),
        }
    }

    fn pull_contacts(
        _campaign: String,
        _cursor: Option<String>,
        _max: u32,
    ) -> Result<Batch, String> {
        // A webhook is told about results; it has no contacts to hand out.
        Ok(Batch {
            contacts: Vec::new(),
            next_cursor: None,
        })
    }
}

ringhost_sdk::crm::export_connector!(Webhook);
