//! Trunks and routes (admins only): every trunk the host runs with, from the
//! configuration file (shown read-only) or from the store, with its state (up or down,
//! registered, channels in use against its channels); the routes over them; and the
//! form that creates and edits the store's trunks.
//!
//! A trunk of the store is kept as the JSON of a `[[trunks]]` section, which the binary
//! reads with the file's own schema; the host builds its trunks when it starts, so a
//! change made here is used from the next start, and the page says so.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_http::role::Role;
use ringhost_store::trunk::StoredTrunk;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Frame, error_page, failed, render};
use crate::WebState;
use crate::language::Language;
use crate::session::Signed;

/// Where a trunk is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The configuration file: read-only here.
    File,
    /// The store: edited here.
    Store,
}

/// A trunk as the table shows it.
struct TrunkLine {
    name: String,
    source: Source,
    address: String,
    transport: String,
    /// Its state, when the host runs it (a trunk saved since the start has none).
    running: Option<Running>,
    channels: u32,
    cps: f64,
}

/// The state of a trunk the host runs.
struct Running {
    up: bool,
    registered: bool,
    in_use: u32,
}

#[derive(Template)]
#[template(path = "trunks.html")]
struct TrunksPage {
    frame: Frame,
    trunks: Vec<TrunkLine>,
    routes: Vec<(String, Vec<String>)>,
}

/// The store's trunks, read as the form shows them.
async fn stored(state: &WebState) -> anyhow::Result<Vec<(StoredTrunk, Map<String, Value>)>> {
    Ok(state
        .store
        .trunks()
        .await?
        .into_iter()
        .map(|trunk| {
            let settings = serde_json::from_str(&trunk.settings).unwrap_or_default();
            (trunk, settings)
        })
        .collect())
}

fn text(settings: &Map<String, Value>, key: &str) -> String {
    match settings.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// `GET /admin/trunks`: every trunk with its state, and the routes.
pub async fn trunks(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
        return refused;
    }
    let stored = match stored(&state).await {
        Ok(stored) => stored,
        Err(error) => return failed(&error, "cannot read the trunks"),
    };
    let board = state.trunks.as_ref();
    let running = board.map(|b| b.trunks.status()).unwrap_or_default();
    let from_file = |name: &str| board.is_some_and(|b| b.from_file.iter().any(|f| f == name));
    let mut trunks: Vec<TrunkLine> = running
        .into_iter()
        .map(|status| TrunkLine {
            // The file wins a name clash (the binary logs the stored trunk it shadows).
            source: if from_file(&status.name) {
                Source::File
            } else {
                Source::Store
            },
            running: Some(Running {
                up: status.up,
                registered: status.registered,
                in_use: status.in_use,
            }),
            address: status.address,
            transport: status.protocol.to_string(),
            channels: status.channels,
            cps: status.cps,
            name: status.name,
        })
        .collect();
    for (trunk, settings) in &stored {
        if trunks.iter().all(|t| t.name != trunk.name) {
            trunks.push(TrunkLine {
                name: trunk.name.clone(),
                source: Source::Store,
                address: text(settings, "address"),
                transport: match text(settings, "transport").as_str() {
                    "" => "udp".to_owned(),
                    other => other.to_owned(),
                },
                running: None,
                channels: settings
                    .get("channels")
                    .and_then(Value::as_u64)
                    .map_or(0, |c| c as u32),
                cps: settings.get("cps").and_then(Value::as_f64).unwrap_or(0.0),
            });
        }
    }
    let routes = board.map(|b| b.trunks.routes()).unwrap_or_default();
    render(&TrunksPage {
        frame: Frame::of(&signed),
        trunks,
        routes,
    })
}

/// The trunk form as posted (and as shown again with its errors).
#[derive(Debug, Default, Deserialize)]
pub struct TrunkFields {
    #[serde(default)]
    csrf: String,
    /// `1` when an existing trunk is edited (its name is then fixed).
    #[serde(default)]
    editing: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    transport: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    username: String,
    /// Left empty on an edit, the stored password stays.
    #[serde(default)]
    password: String,
    #[serde(default)]
    register: Option<String>,
    #[serde(default)]
    caller_id: String,
    #[serde(default)]
    channels: String,
    #[serde(default)]
    cps: String,
}

/// The form's errors, by field.
#[derive(Debug, Default)]
struct TrunkErrors {
    name: Option<&'static str>,
    address: Option<&'static str>,
    transport: Option<&'static str>,
    username: Option<&'static str>,
    channels: Option<&'static str>,
    cps: Option<&'static str>,
}

impl TrunkErrors {
    fn any(&self) -> bool {
        [
            self.name,
            self.address,
            self.transport,
            self.username,
            self.channels,
            self.cps,
        ]
        .iter()
        .any(Option::is_some)
    }
}

#[derive(Template)]
#[template(path = "trunk_form.html")]
struct TrunkForm {
    frame: Frame,
    csrf: String,
    fields: TrunkFields,
    editing: bool,
    /// The stored trunk has a password (kept when the field is left empty).
    has_password: bool,
    errors: TrunkErrors,
}

fn trunk_form(
    signed: &Signed,
    status: StatusCode,
    fields: TrunkFields,
    has_password: bool,
    errors: TrunkErrors,
) -> Response {
    let page = TrunkForm {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        editing: fields.editing == "1",
        fields,
        has_password,
        errors,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/trunks/new`: the form for a new trunk, with the file's defaults.
pub async fn new_trunk(signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
        return refused;
    }
    let fields = TrunkFields {
        transport: "udp".into(),
        caller_id: "ringhost".into(),
        channels: "30".into(),
        cps: "10".into(),
        ..TrunkFields::default()
    };
    trunk_form(
        &signed,
        StatusCode::OK,
        fields,
        false,
        TrunkErrors::default(),
    )
}

/// Why a trunk of the configuration file cannot be edited here.
fn file_trunk(language: Language) -> &'static str {
    language.pick((
        "Questo trunk è definito nel file di configurazione: si modifica lì.",
        "This trunk is defined in the configuration file: change it there.",
    ))
}

/// `GET /admin/trunks/{name}`: the form for a trunk of the store.
pub async fn edit_trunk(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
) -> Response {
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
        return refused;
    }
    if is_from_file(&state, &name) {
        return error_page(
            StatusCode::CONFLICT,
            signed.language,
            file_trunk(signed.language),
        );
    }
    let stored = match stored(&state).await {
        Ok(stored) => stored,
        Err(error) => return failed(&error, "cannot read the trunks"),
    };
    let Some((trunk, settings)) = stored.into_iter().find(|(t, _)| t.name == name) else {
        return signed.not_found();
    };
    let fields = TrunkFields {
        editing: "1".into(),
        name: trunk.name,
        address: text(&settings, "address"),
        transport: match text(&settings, "transport").as_str() {
            "" => "udp".into(),
            other => other.into(),
        },
        domain: text(&settings, "domain"),
        username: text(&settings, "username"),
        register: settings
            .get("register")
            .and_then(Value::as_bool)
            .filter(|r| *r)
            .map(|_| "on".into()),
        caller_id: text(&settings, "caller_id"),
        channels: text(&settings, "channels"),
        cps: text(&settings, "cps"),
        ..TrunkFields::default()
    };
    let has_password = !text(&settings, "password").is_empty();
    trunk_form(
        &signed,
        StatusCode::OK,
        fields,
        has_password,
        TrunkErrors::default(),
    )
}

fn is_from_file(state: &WebState, name: &str) -> bool {
    state
        .trunks
        .as_ref()
        .is_some_and(|b| b.from_file.iter().any(|f| f == name))
}

/// Checks the form and writes the settings over `settings` (a stored trunk's, whose
/// other keys are kept); every error by its field.
fn settings(
    fields: &TrunkFields,
    mut settings: Map<String, Value>,
    language: Language,
) -> Result<Map<String, Value>, TrunkErrors> {
    let mut errors = TrunkErrors::default();
    let name_ok = !fields.name.is_empty()
        && fields.name.len() <= 64
        && fields
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        errors.name = Some(language.pick((
            "Da 1 a 64 lettere, cifre, '-', '_' o '.'.",
            "1 to 64 letters, digits, '-', '_' or '.'.",
        )));
    }
    let address = fields.address.trim();
    let port_ok = match address.rsplit_once(':') {
        // An IPv6 address without a port has colons too: only `[v6]:port` or
        // `host:port` carry one.
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => {
            port.parse::<u16>().is_ok_and(|p| p > 0)
        }
        _ => true,
    };
    if address.is_empty() || address.contains(char::is_whitespace) || !port_ok {
        errors.address = Some(language.pick((
            "Un host o un indirizzo IP, con :porta se non è 5060.",
            "A host name or IP address, with :port when it is not 5060.",
        )));
    }
    if !matches!(fields.transport.as_str(), "udp" | "tcp") {
        errors.transport = Some(language.pick(("UDP o TCP.", "UDP or TCP.")));
    }
    let register = fields.register.is_some();
    if register && fields.username.trim().is_empty() {
        errors.username = Some(language.pick((
            "Per registrarsi servono utente e password.",
            "Registering needs a username and a password.",
        )));
    }
    let channels = fields
        .channels
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|c| (1..=100_000).contains(c));
    if channels.is_none() {
        errors.channels = Some(language.pick((
            "Un numero intero da 1 a 100000.",
            "A whole number from 1 to 100000.",
        )));
    }
    let cps = fields
        .cps
        .trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|c| c.is_finite() && *c > 0.0 && *c <= 10_000.0);
    if cps.is_none() {
        errors.cps = Some(language.pick((
            "Chiamate al secondo: un numero sopra 0 (fino a 10000).",
            "Calls per second: a number above 0 (up to 10000).",
        )));
    }
    let (Some(channels), Some(cps), false) = (channels, cps, errors.any()) else {
        return Err(errors);
    };
    let mut put = |key: &str, value: Value| {
        settings.insert(key.to_owned(), value);
    };
    put("address", address.into());
    put("transport", fields.transport.clone().into());
    put("domain", fields.domain.trim().into());
    put("username", fields.username.trim().into());
    if !fields.password.is_empty() {
        put("password", fields.password.clone().into());
    }
    put("register", register.into());
    let caller_id = match fields.caller_id.trim() {
        "" => "ringhost",
        caller_id => caller_id,
    };
    put("caller_id", caller_id.into());
    put("channels", channels.into());
    put("cps", cps.into());
    Ok(settings)
}

/// `POST /admin/trunks`: creates a trunk of the store, or edits one (`editing=1`);
/// the form comes back with its errors by field and nothing is saved half-way.
pub async fn save_trunk(
    State(state): State<WebState>,
    signed: Signed,
    Form(fields): Form<TrunkFields>,
) -> Response {
    let refused = signed.refuse_unless(&[Role::Admin]);
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&fields.csrf)) {
        return refused;
    }
    let language = signed.language;
    let stored = match stored(&state).await {
        Ok(stored) => stored,
        Err(error) => return failed(&error, "cannot read the trunks"),
    };
    let editing = fields.editing == "1";
    let existing = stored.into_iter().find(|(t, _)| t.name == fields.name);
    if editing && existing.is_none() {
        return signed.not_found();
    }
    let has_password = existing
        .as_ref()
        .is_some_and(|(_, s)| !text(s, "password").is_empty());
    let mut taken = None;
    if is_from_file(&state, &fields.name) {
        taken = Some(file_trunk(language));
    } else if !editing && existing.is_some() {
        taken = Some(language.text().taken);
    }
    let base = existing.map(|(_, settings)| settings).unwrap_or_default();
    let result = settings(&fields, base, language);
    let settings = match (result, taken) {
        (Ok(settings), None) => settings,
        (result, taken) => {
            let mut errors = result.err().unwrap_or_default();
            errors.name = errors.name.or(taken);
            let fields = TrunkFields {
                password: String::new(),
                ..fields
            };
            return trunk_form(
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                fields,
                has_password,
                errors,
            );
        }
    };
    let trunk = StoredTrunk {
        name: fields.name.clone(),
        settings: Value::Object(settings).to_string(),
    };
    if let Err(error) = state.store.put_trunk(&trunk, state.dialer.now_ms()).await {
        return failed(&error, "cannot store a trunk");
    }
    tracing::info!(by = %signed.user.name, trunk = %trunk.name, "trunk saved from the web panel; used from the next start");
    Redirect::to("/admin/trunks").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(address: &str, channels: &str, cps: &str) -> TrunkFields {
        TrunkFields {
            name: "carrier-b".into(),
            address: address.into(),
            transport: "udp".into(),
            channels: channels.into(),
            cps: cps.into(),
            ..TrunkFields::default()
        }
    }

    #[test]
    fn good_fields_become_the_file_schema_keeping_other_keys() {
        let mut base = Map::new();
        base.insert("keepalive".into(), "10s".into());
        base.insert("password".into(), "old".into());
        let settings =
            settings(&fields("127.0.0.1:5070", "12", "2,5"), base, Language::En).unwrap();
        assert_eq!(settings["address"], "127.0.0.1:5070");
        assert_eq!(settings["channels"], 12);
        assert_eq!(settings["cps"], 2.5);
        assert_eq!(settings["keepalive"], "10s");
        // An empty password field keeps the stored one.
        assert_eq!(settings["password"], "old");
    }

    #[test]
    fn each_bad_field_has_its_error() {
        let errors =
            settings(&fields("host:99999", "0", "-1"), Map::new(), Language::En).unwrap_err();
        assert!(errors.address.is_some());
        assert!(errors.channels.is_some());
        assert!(errors.cps.is_some());
        assert!(errors.name.is_none());
        let ok = settings(&fields("[::1]:5060", "1", "1"), Map::new(), Language::En);
        assert!(ok.is_ok());
        let registering = TrunkFields {
            register: Some("on".into()),
            ..fields("sip.example.net", "1", "1")
        };
        let errors = settings(&registering, Map::new(), Language::En).unwrap_err();
        assert!(errors.username.is_some());
    }
}
