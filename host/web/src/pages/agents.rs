//! Agents and queues: the agents with their state and extension, a form to add one,
//! and each queue with its members, counts, and the forms to add and remove members.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_dialer::agents::{Agent, QueueInfo};
use ringhost_dialer::refusal::{AdminError, Refused};
use ringhost_sip::PhoneSecret;
use ringhost_store::phone_account::PhoneAccountRow;
use serde::Deserialize;

use super::campaigns::moment;
use super::{Frame, Plain, failed, render};
use crate::WebState;
use crate::language::Language;
use crate::session::Signed;

/// An agent as the table shows it.
struct AgentLine {
    agent: Agent,
    since: String,
    queues: String,
    /// Their extension has a phone account made here (else only the configuration
    /// file's `[[phones]]` can let their phone register).
    has_phone_account: bool,
}

/// The add-an-agent form.
#[derive(Debug, Default, Deserialize)]
pub struct NewAgent {
    #[serde(default)]
    name: String,
    #[serde(default)]
    extension: String,
    #[serde(default)]
    wrap_up_s: String,
    /// When given, the extension's phone account is made with this password.
    #[serde(default)]
    phone_password: String,
    #[serde(default)]
    csrf: String,
}

/// The set-a-phone-password form.
#[derive(Debug, Default, Deserialize)]
pub struct PhonePassword {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// The add-a-member form.
#[derive(Debug, Default, Deserialize)]
pub struct NewMember {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    agent: String,
    #[serde(default)]
    csrf: String,
}

/// The forms' errors.
#[derive(Default)]
struct AgentErrors {
    name: Option<String>,
    wrap_up_s: Option<String>,
    phone_password: Option<&'static str>,
    member: Option<String>,
}

#[derive(Template)]
#[template(path = "agents.html")]
struct AgentsPage {
    frame: Frame,
    csrf: String,
    agents: Vec<AgentLine>,
    queues: Vec<QueueInfo>,
    may_create: bool,
    may_members: bool,
    form: NewAgent,
    errors: AgentErrors,
}

async fn agents_page(
    state: &WebState,
    signed: &Signed,
    status: StatusCode,
    form: NewAgent,
    errors: AgentErrors,
) -> Response {
    let read = tokio::try_join!(state.dialer.agents(), state.dialer.queues());
    let accounts = match state.store.phone_account_names().await {
        Ok(accounts) => accounts,
        Err(error) => return failed(&error, "cannot read the phone accounts"),
    };
    let (agents, queues) = match read {
        Ok(read) => read,
        Err(error) => return failed(&error.into(), "cannot read the agents"),
    };
    let zone = state.settings.time_zone;
    let agents = agents
        .into_iter()
        .map(|agent| AgentLine {
            has_phone_account: accounts.contains(&agent.extension),
            since: moment(agent.since_ms, zone),
            queues: queues
                .iter()
                .filter(|q| q.agents.iter().any(|a| a.name == agent.name))
                .map(|q| q.queue.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            agent,
        })
        .collect();
    let page = AgentsPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        agents,
        queues,
        may_create: signed.role.allows("createAgent"),
        may_members: signed.role.allows("addQueueMember"),
        form,
        errors,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/agents`: the agents and the queues.
pub async fn agents(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless_may("listAgents") {
        return refused;
    }
    let form = NewAgent {
        wrap_up_s: "10".into(),
        ..NewAgent::default()
    };
    agents_page(
        &state,
        &signed,
        StatusCode::OK,
        form,
        AgentErrors::default(),
    )
    .await
}

/// `POST /admin/agents`: adds an agent, logged out.
pub async fn create_agent(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<NewAgent>,
) -> Response {
    let refused = signed.refuse_unless_may("createAgent");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    let mut errors = AgentErrors::default();
    let wrap_up = form
        .wrap_up_s
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|s| *s <= 3600);
    if wrap_up.is_none() {
        errors.wrap_up_s = Some(
            crate::campaign_form::Problem::Whole { min: 0, max: 3600 }.message(signed.language),
        );
    }
    let phone_password = form.phone_password.as_str();
    if !phone_password.is_empty() {
        errors.phone_password = phone_password_problem(phone_password, signed.language);
        if form.extension.trim().is_empty() {
            errors.phone_password = Some(signed.language.pick((
                "Un account per il telefono richiede l'interno.",
                "A phone account needs the extension.",
            )));
        }
    }
    if let (Some(wrap_up), None) = (wrap_up, errors.phone_password) {
        let made = state
            .dialer
            .create_agent(form.name.trim(), form.extension.trim(), wrap_up)
            .await;
        match made {
            Ok(agent) => {
                tracing::info!(by = %signed.user.name, agent = %agent.name, "agent added from the web panel");
                if !phone_password.is_empty()
                    && let Err(error) =
                        set_phone_password(&state, &agent.extension, phone_password).await
                {
                    return failed(&error, "cannot store a phone account");
                }
                return Redirect::to("/admin/agents").into_response();
            }
            Err(AdminError::Refused(refused)) => errors.name = Some(refused.to_string()),
            Err(AdminError::Failed(error)) => return failed(&error, "cannot add an agent"),
        }
    }
    agents_page(
        &state,
        &signed,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        errors,
    )
    .await
}

/// Why a phone password is refused: digest passwords are guessed offline from one
/// captured REGISTER, so a short one is no protection.
fn phone_password_problem(password: &str, language: Language) -> Option<&'static str> {
    (password.chars().count() < 10).then(|| {
        language.pick((
            "Almeno 10 caratteri: una password di digest si indovina da un solo REGISTER intercettato.",
            "At least 10 characters: a digest password is guessed from one captured REGISTER.",
        ))
    })
}

/// Makes or replaces the phone account of `extension` for the registrar's realm; the
/// registrar reads it at the phone's next REGISTER.
async fn set_phone_password(
    state: &WebState,
    extension: &str,
    password: &str,
) -> anyhow::Result<()> {
    let secret = PhoneSecret::new(extension, &state.settings.phone_realm, password);
    let account = PhoneAccountRow {
        username: extension.to_owned(),
        realm: secret.realm,
        ha1_md5: secret.ha1_md5,
        ha1_sha256: secret.ha1_sha256,
    };
    state
        .store
        .put_phone_account(&account, state.dialer.now_ms())
        .await
}

/// `POST /admin/agents/{name}/phone`: sets the password of the agent's phone account
/// (made if it has none).
pub async fn set_phone(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Form(form): Form<PhonePassword>,
) -> Response {
    let refused = signed.refuse_unless_may("createAgent");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    let agents = match state.dialer.agents().await {
        Ok(agents) => agents,
        Err(error) => return failed(&error.into(), "cannot read the agents"),
    };
    let Some(agent) = agents.into_iter().find(|a| a.name == name) else {
        return signed.not_found();
    };
    let problem = if agent.extension.is_empty() {
        Some(signed.language.pick((
            "Questo operatore non ha un interno.",
            "This agent has no extension.",
        )))
    } else {
        phone_password_problem(&form.password, signed.language)
    };
    if let Some(problem) = problem {
        let errors = AgentErrors {
            phone_password: Some(problem),
            ..AgentErrors::default()
        };
        return agents_page(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            NewAgent::default(),
            errors,
        )
        .await;
    }
    if let Err(error) = set_phone_password(&state, &agent.extension, &form.password).await {
        return failed(&error, "cannot store a phone account");
    }
    tracing::info!(by = %signed.user.name, agent = %agent.name, extension = %agent.extension, "phone password set from the web panel");
    Redirect::to("/admin/agents").into_response()
}

/// `POST /admin/queues`: puts an agent in a queue (a new queue is made by its first
/// member).
pub async fn add_member(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<NewMember>,
) -> Response {
    let refused = signed.refuse_unless_may("addQueueMember");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    let queue = form.queue.trim();
    let added = if queue.is_empty() {
        Err(AdminError::Refused(Refused::Invalid(
            signed.language.text().required.to_owned(),
        )))
    } else {
        state
            .dialer
            .add_queue_member(queue, form.agent.trim())
            .await
    };
    match added {
        Ok(()) => Redirect::to("/admin/agents").into_response(),
        Err(AdminError::Refused(refused)) => {
            let errors = AgentErrors {
                member: Some(refused.to_string()),
                ..AgentErrors::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            agents_page(&state, &signed, status, NewAgent::default(), errors).await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot add a queue member"),
    }
}

/// `POST /admin/queues/{queue}/{agent}/remove`: takes an agent out of a queue.
pub async fn remove_member(
    State(state): State<WebState>,
    signed: Signed,
    Path((queue, agent)): Path<(String, String)>,
    Form(form): Form<Plain>,
) -> Response {
    let refused = signed.refuse_unless_may("removeQueueMember");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    match state.dialer.remove_queue_member(&queue, &agent).await {
        Ok(()) => Redirect::to("/admin/agents").into_response(),
        Err(AdminError::Refused(_)) => signed.not_found(),
        Err(AdminError::Failed(error)) => failed(&error, "cannot remove a queue member"),
    }
}
