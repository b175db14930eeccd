//! Agents and queues: the agents with their state and extension, a form to add one,
//! and each queue with its members, counts, and the forms to add and remove members.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_dialer::agents::{Agent, QueueInfo};
use ringhost_dialer::refusal::{AdminError, Refused};
use serde::Deserialize;

use super::campaigns::moment;
use super::{Frame, Plain, failed, render};
use crate::WebState;
use crate::session::Signed;

/// An agent as the table shows it.
struct AgentLine {
    agent: Agent,
    since: String,
    queues: String,
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
    let (agents, queues) = match read {
        Ok(read) => read,
        Err(AdminError::Failed(error)) => return failed(&error, "cannot read the agents"),
        Err(AdminError::Refused(refused)) => {
            return failed(&anyhow::anyhow!("{refused}"), "cannot read the agents");
        }
    };
    let zone = state.settings.time_zone;
    let agents = agents
        .into_iter()
        .map(|agent| AgentLine {
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
    if let Some(wrap_up) = wrap_up {
        let made = state
            .dialer
            .create_agent(form.name.trim(), form.extension.trim(), wrap_up)
            .await;
        match made {
            Ok(agent) => {
                tracing::info!(by = %signed.user.name, agent = %agent.name, "agent added from the web panel");
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
