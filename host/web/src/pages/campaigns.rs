//! The campaigns: listed; created from a template or from scratch and edited (while
//! the lifecycle allows) through the campaign form; a campaign's status with counters
//! that refresh themselves, its lifecycle's commands, its events, its past runs with
//! their settings, and its attempts a page at a time.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::Tz;
use ringhost_dialer::admin::CampaignStatus;
use ringhost_dialer::lifecycle::{CampaignState, Command};
use ringhost_dialer::refusal::{AdminError, Refused};
use ringhost_store::attempt::AttemptRow;
use ringhost_store::campaign::{CampaignRow, EventRow, RunRow};
use ringhost_store::contact::ListRow;
use serde::Deserialize;

use super::{Frame, error_page, failed, render};
use crate::WebState;
use crate::campaign_form::{self, Extent, FIELDS, Input, Problem, Section, Values};
use crate::language::Language;
use crate::session::Signed;

/// A campaign as the list of campaigns shows it.
struct CampaignLine {
    row: CampaignRow,
    kind: String,
    lists: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    frame: Frame,
    campaigns: Vec<CampaignLine>,
    templates: Vec<String>,
    may_create: bool,
}

/// `GET /admin/campaigns`: every campaign with its state, and where to make one.
pub async fn campaigns(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless_may("listCampaigns") {
        return refused;
    }
    let (rows, lists, templates) = match tokio::try_join!(
        state.store.campaigns(),
        state.store.lists(),
        state.store.templates()
    ) {
        Ok(read) => read,
        Err(error) => return failed(&error, "cannot read the campaigns"),
    };
    let campaigns = rows
        .into_iter()
        .map(|row| CampaignLine {
            kind: serde_json::from_str::<serde_json::Value>(&row.settings)
                .ok()
                .and_then(|s| s.get("kind")?.as_str().map(str::to_owned))
                .unwrap_or_default(),
            lists: list_names(&lists, &row.list_ids).join(", "),
            row,
        })
        .collect();
    render(&CampaignsPage {
        frame: Frame::of(&signed),
        campaigns,
        templates: templates.into_iter().map(|t| t.name).collect(),
        may_create: signed.role.allows("createCampaign"),
    })
}

fn list_names(lists: &[ListRow], ids: &[i64]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            lists
                .iter()
                .find(|l| l.id == *id)
                .map_or_else(|| format!("#{id}"), |l| l.name.clone())
        })
        .collect()
}

/// One field of the campaign form as the page shows it.
pub(super) struct FieldView {
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) help: &'static str,
    /// `text`, `number`, `check`, `choice`, `moment` or `area`.
    pub(super) widget: &'static str,
    pub(super) min: String,
    pub(super) max: String,
    pub(super) step: &'static str,
    pub(super) choices: &'static [&'static str],
    pub(super) value: String,
    pub(super) error: Option<String>,
}

/// A section of the form.
pub(super) struct SectionView {
    pub(super) heading: &'static str,
    pub(super) fields: Vec<FieldView>,
}

/// A list offered to a campaign.
struct ListChoice {
    name: String,
    chosen: bool,
}

/// The form's own fields (not settings): who the campaign is and when it starts.
#[derive(Default)]
struct Head {
    name: String,
    template: String,
    lists: Vec<String>,
    start_at: String,
    zone: String,
}

/// Errors of the form's own fields.
#[derive(Default)]
struct HeadErrors {
    name: Option<String>,
    template: Option<String>,
    lists: Option<String>,
    start_at: Option<String>,
    zone: Option<String>,
}

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct FormPage {
    frame: Frame,
    csrf: String,
    /// The campaign being edited; a new one when `None`.
    editing: Option<CampaignRow>,
    head: Head,
    errors: HeadErrors,
    lists: Vec<ListChoice>,
    sections: Vec<SectionView>,
    problems: usize,
}

/// The form's sections with `values`, each field's problem beside it.
pub(super) fn sections(
    values: &Values,
    problems: &[(&'static str, Problem)],
    language: Language,
) -> Vec<SectionView> {
    Section::ALL
        .into_iter()
        .map(|section| SectionView {
            heading: section.heading(language),
            fields: FIELDS
                .iter()
                .filter(|f| f.section == section)
                .map(|field| {
                    let (widget, min, max, step, choices) = match field.input {
                        Input::Whole { min, max, .. } => {
                            ("number", min.to_string(), max.to_string(), "1", &[][..])
                        }
                        Input::Decimal { min, max } => {
                            ("number", min.to_string(), max.to_string(), "any", &[][..])
                        }
                        Input::Share => ("number", "0".into(), "100".into(), "any", &[][..]),
                        Input::Check => ("check", String::new(), String::new(), "", &[][..]),
                        Input::Choice(choices) => {
                            ("choice", String::new(), String::new(), "", choices)
                        }
                        Input::Moment => ("moment", String::new(), String::new(), "", &[][..]),
                        Input::Windows | Input::Pairs | Input::Lines => {
                            ("area", String::new(), String::new(), "", &[][..])
                        }
                        Input::Optional | Input::Plain | Input::Required | Input::Number => {
                            ("text", String::new(), String::new(), "", &[][..])
                        }
                    };
                    FieldView {
                        key: field.key,
                        label: language.pick(field.label),
                        help: language.pick(field.help),
                        widget,
                        min,
                        max,
                        step,
                        choices,
                        value: values.get(field.key).cloned().unwrap_or_default(),
                        error: problems
                            .iter()
                            .find(|(key, _)| *key == field.key)
                            .map(|(_, p)| p.message(language)),
                    }
                })
                .collect(),
        })
        .collect()
}

/// The campaign form's page.
#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &WebState,
    signed: &Signed,
    status: StatusCode,
    editing: Option<CampaignRow>,
    head: Head,
    errors: HeadErrors,
    values: &Values,
    problems: &[(&'static str, Problem)],
) -> Response {
    let lists = match state.store.lists().await {
        Ok(lists) => lists,
        Err(error) => return failed(&error, "cannot read the lists"),
    };
    let lists = lists
        .into_iter()
        .map(|l| ListChoice {
            chosen: head.lists.contains(&l.name),
            name: l.name,
        })
        .collect();
    let count = problems.len()
        + [
            &errors.name,
            &errors.template,
            &errors.lists,
            &errors.start_at,
            &errors.zone,
        ]
        .iter()
        .filter(|e| e.is_some())
        .count();
    let page = FormPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        editing,
        head,
        errors,
        lists,
        sections: sections(values, problems, signed.language),
        problems: count,
    };
    (status, render(&page)).into_response()
}

/// Which template a new campaign starts from.
#[derive(Debug, Deserialize)]
pub struct FromTemplate {
    #[serde(default)]
    template: String,
}

/// `GET /admin/campaigns/new[?template=NAME]`: the form of a new campaign, filled in
/// from the template when one is named.
pub async fn new_campaign(
    State(state): State<WebState>,
    signed: Signed,
    Query(from): Query<FromTemplate>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("createCampaign") {
        return refused;
    }
    let zone = state.settings.time_zone;
    let settings = if from.template.is_empty() {
        serde_json::json!({})
    } else {
        match state.store.template_by_name(&from.template).await {
            Ok(Some(t)) => serde_json::from_str(&t.settings).unwrap_or_default(),
            Ok(None) => {
                return signed.not_found();
            }
            Err(error) => return failed(&error, "cannot read a template"),
        }
    };
    let head = Head {
        template: from.template,
        zone: zone.name().to_owned(),
        ..Head::default()
    };
    let values = campaign_form::values(&settings, zone, signed.language);
    form_page(
        &state,
        &signed,
        StatusCode::OK,
        None,
        head,
        HeadErrors::default(),
        &values,
        &[],
    )
    .await
}

/// What the campaign form sends: its own fields, and the settings by key.
struct Sent {
    csrf: String,
    head: Head,
    values: Values,
}

fn sent(pairs: Vec<(String, String)>) -> Sent {
    let mut sent = Sent {
        csrf: String::new(),
        head: Head::default(),
        values: Values::new(),
    };
    for (key, value) in pairs {
        match key.as_str() {
            "csrf" => sent.csrf = value,
            "name" => sent.head.name = value.trim().to_owned(),
            "template" => sent.head.template = value.trim().to_owned(),
            "lists" => sent.head.lists.push(value),
            "start_at" => sent.head.start_at = value,
            "zone" => sent.head.zone = value.trim().to_owned(),
            _ => {
                sent.values.insert(key, value);
            }
        }
    }
    sent
}

/// Reads the form's zone, start and settings; each problem beside its field.
struct Checked {
    settings: Option<serde_json::Value>,
    start_at_ms: Option<i64>,
    errors: HeadErrors,
    problems: Vec<(&'static str, Problem)>,
}

fn check(sent: &Sent, language: Language) -> Checked {
    let mut errors = HeadErrors::default();
    let zone: Option<Tz> = match campaign_form::zone(&sent.head.zone) {
        Ok(zone) => Some(zone),
        Err(problem) => {
            errors.zone = Some(problem.message(language));
            None
        }
    };
    let zone_or_utc = zone.unwrap_or(chrono_tz::UTC);
    let start_at_ms = if sent.head.start_at.trim().is_empty() {
        None
    } else {
        match campaign_form::read_moment(&sent.head.start_at, zone_or_utc) {
            Ok(at) => Some(at),
            Err(problem) => {
                errors.start_at = Some(problem.message(language));
                None
            }
        }
    };
    if sent.head.lists.is_empty() {
        errors.lists = Some(
            language
                .pick(("Scegli almeno una lista.", "Choose at least one list."))
                .to_owned(),
        );
    }
    let (settings, problems) =
        match campaign_form::settings(&sent.values, zone_or_utc, Extent::Whole) {
            Ok(settings) => (Some(settings), Vec::new()),
            Err(problems) => (None, problems),
        };
    Checked {
        settings,
        start_at_ms,
        errors,
        problems,
    }
}

fn any_error(errors: &HeadErrors) -> bool {
    errors.name.is_some()
        || errors.template.is_some()
        || errors.lists.is_some()
        || errors.start_at.is_some()
        || errors.zone.is_some()
}

/// Puts what the dialer refused beside the field it is about.
fn place_refusal(refused: &Refused, head: &Head, errors: &mut HeadErrors) {
    let message = refused.to_string();
    match refused {
        Refused::Conflict(_) if !head.name.is_empty() && message.contains(&head.name) => {
            errors.name = Some(message)
        }
        Refused::NotFound(what) if what.starts_with("template") => errors.template = Some(message),
        Refused::NotFound(what) if what.starts_with("list") => errors.lists = Some(message),
        _ => errors.name = Some(message),
    }
}

/// `POST /admin/campaigns`: creates a campaign from the form; every wrong field is
/// shown beside itself and nothing is saved until all are right.
pub async fn create_campaign(
    State(state): State<WebState>,
    signed: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let sent = sent(pairs);
    let refused = signed.refuse_unless_may("createCampaign");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&sent.csrf)) {
        return refused;
    }
    let language = signed.language;
    let mut checked = check(&sent, language);
    if sent.head.name.is_empty() {
        checked.errors.name = Some(language.text().required.to_owned());
    }
    let settings = match checked.settings {
        Some(settings) if !any_error(&checked.errors) => settings,
        _ => {
            return form_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                sent.head,
                checked.errors,
                &sent.values,
                &checked.problems,
            )
            .await;
        }
    };
    let template = (!sent.head.template.is_empty()).then_some(sent.head.template.as_str());
    let created = state
        .dialer
        .create_campaign(
            &sent.head.name,
            template,
            &sent.head.lists,
            settings,
            checked.start_at_ms,
        )
        .await;
    match created {
        Ok(id) => {
            tracing::info!(by = %signed.user.name, campaign = %sent.head.name, id, "campaign created from the web panel");
            Redirect::to(&format!("/admin/campaigns/{id}")).into_response()
        }
        Err(AdminError::Refused(refused)) => {
            let mut errors = HeadErrors::default();
            place_refusal(&refused, &sent.head, &mut errors);
            form_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                sent.head,
                errors,
                &sent.values,
                &[],
            )
            .await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot create a campaign"),
    }
}

/// The campaign `id`, or the page to answer with.
async fn campaign_row(state: &WebState, signed: &Signed, id: i64) -> Result<CampaignRow, Response> {
    match state.store.campaign(id).await {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(signed.not_found()),
        Err(error) => Err(failed(&error, "cannot read a campaign")),
    }
}

fn not_editable(signed: &Signed, row: &CampaignRow) -> Option<Response> {
    let state = CampaignState::parse(&row.state).unwrap_or(CampaignState::Created);
    (!state.editable()).then(|| {
        let message = signed.language.pick((
            "Una campagna in corso, pianificata o in pausa non si modifica: annullala o attendi che finisca.",
            "A campaign that is running, scheduled or paused cannot be edited: cancel it or wait for it to end.",
        ));
        error_page(StatusCode::CONFLICT, signed.language, message)
    })
}

/// `GET /admin/campaigns/{id}/edit`: the form of a campaign that is not dialling.
pub async fn edit_campaign(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("updateCampaign") {
        return refused;
    }
    let row = match campaign_row(&state, &signed, id).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    if let Some(refused) = not_editable(&signed, &row) {
        return refused;
    }
    let lists = match state.store.lists().await {
        Ok(lists) => lists,
        Err(error) => return failed(&error, "cannot read the lists"),
    };
    let zone = state.settings.time_zone;
    let settings = serde_json::from_str(&row.settings).unwrap_or_default();
    let head = Head {
        name: row.name.clone(),
        lists: list_names(&lists, &row.list_ids),
        start_at: row
            .start_at_ms
            .map(|at| campaign_form::write_moment(at, zone))
            .unwrap_or_default(),
        zone: zone.name().to_owned(),
        ..Head::default()
    };
    let values = campaign_form::values(&settings, zone, signed.language);
    form_page(
        &state,
        &signed,
        StatusCode::OK,
        Some(row),
        head,
        HeadErrors::default(),
        &values,
        &[],
    )
    .await
}

/// `POST /admin/campaigns/{id}/edit`: saves the form over a campaign that is not
/// dialling.
pub async fn update_campaign(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut sent = sent(pairs);
    let refused = signed.refuse_unless_may("updateCampaign");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&sent.csrf)) {
        return refused;
    }
    let row = match campaign_row(&state, &signed, id).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    sent.head.name = row.name.clone();
    let checked = check(&sent, signed.language);
    let settings = match checked.settings {
        Some(settings) if !any_error(&checked.errors) => settings,
        _ => {
            return form_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(row),
                sent.head,
                checked.errors,
                &sent.values,
                &checked.problems,
            )
            .await;
        }
    };
    let updated = state
        .dialer
        .update_campaign(id, Some(&sent.head.lists), settings, checked.start_at_ms)
        .await;
    match updated {
        Ok(()) => {
            tracing::info!(by = %signed.user.name, campaign = %row.name, "campaign edited from the web panel");
            Redirect::to(&format!("/admin/campaigns/{id}")).into_response()
        }
        Err(AdminError::Refused(refused)) => {
            let mut errors = HeadErrors::default();
            place_refusal(&refused, &sent.head, &mut errors);
            form_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(row),
                sent.head,
                errors,
                &sent.values,
                &[],
            )
            .await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot edit a campaign"),
    }
}

/// A lifecycle command as the page offers it.
struct Action {
    /// Its path segment and `Command`'s name.
    name: &'static str,
    label: &'static str,
}

/// The commands, their API operations and their buttons.
const COMMANDS: [(Command, &str, &str, (&str, &str)); 5] = [
    (Command::Start, "start", "startCampaign", ("Avvia", "Start")),
    (
        Command::Pause,
        "pause",
        "pauseCampaign",
        ("Metti in pausa", "Pause"),
    ),
    (
        Command::Resume,
        "resume",
        "resumeCampaign",
        ("Riprendi", "Resume"),
    ),
    (
        Command::Cancel,
        "cancel",
        "cancelCampaign",
        ("Annulla", "Cancel"),
    ),
    (
        Command::Terminate,
        "terminate",
        "terminateCampaign",
        ("Chiudi come terminata", "Mark terminated"),
    ),
];

#[derive(Template)]
#[template(path = "campaign_counters.html")]
struct CountersFragment {
    frame: Frame,
    status: CampaignStatus,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    frame: Frame,
    csrf: String,
    row: CampaignRow,
    status: CampaignStatus,
    lists: String,
    actions: Vec<Action>,
    editable: bool,
    incomplete: bool,
    events: Vec<(String, EventRow)>,
    runs: Vec<(String, String, RunRow)>,
}

async fn status(state: &WebState, signed: &Signed, id: i64) -> Result<CampaignStatus, Response> {
    match state.dialer.status(id).await {
        Ok(status) => Ok(status),
        Err(AdminError::Refused(_)) => Err(signed.not_found()),
        Err(AdminError::Failed(error)) => Err(failed(&error, "cannot read a campaign's status")),
    }
}

/// `GET /admin/campaigns/{id}`: the campaign's status, its commands, events and runs.
pub async fn campaign(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("campaignStatus") {
        return refused;
    }
    let row = match campaign_row(&state, &signed, id).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let status = match status(&state, &signed, id).await {
        Ok(status) => status,
        Err(page) => return page,
    };
    let (lists, events, runs) = match tokio::try_join!(
        state.store.lists(),
        state.store.campaign_events(id),
        state.store.campaign_runs(id)
    ) {
        Ok(read) => read,
        Err(error) => return failed(&error, "cannot read a campaign"),
    };
    let zone = state.settings.time_zone;
    let current = CampaignState::parse(&row.state).unwrap_or(CampaignState::Created);
    let now = state.dialer.now_ms();
    let delayed = row.start_at_ms.is_some_and(|at| at > now);
    let actions = COMMANDS
        .iter()
        .filter(|(command, _, operation, _)| {
            current.after(*command, delayed).is_some() && signed.role.allows(operation)
        })
        .map(|(_, name, _, label)| Action {
            name,
            label: signed.language.pick(*label),
        })
        .collect();
    let page = CampaignPage {
        frame: Frame::of(&signed),
        csrf: signed.csrf.clone(),
        lists: list_names(&lists, &row.list_ids).join(", "),
        status,
        actions,
        editable: current.editable() && signed.role.allows("updateCampaign"),
        incomplete: current == CampaignState::Incomplete && signed.role.allows("moreAttempts"),
        events: events
            .into_iter()
            .rev()
            .map(|e| (moment(e.at_ms, zone), e))
            .collect(),
        runs: runs
            .into_iter()
            .rev()
            .map(|r| {
                (
                    moment(r.started_at_ms, zone),
                    r.ended_at_ms.map(|at| moment(at, zone)).unwrap_or_default(),
                    r,
                )
            })
            .collect(),
        row,
    };
    render(&page)
}

/// `at_ms` as the pages show a moment, in `zone`.
pub(crate) fn moment(at_ms: i64, zone: Tz) -> String {
    campaign_form::write_moment(at_ms, zone).replace('T', " ")
}

/// `GET /admin/campaigns/{id}/counters`: the status's counters alone, which the
/// status page fetches again every two seconds (htmx).
pub async fn counters(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("campaignStatus") {
        return refused;
    }
    match status(&state, &signed, id).await {
        Ok(status) => render(&CountersFragment {
            frame: Frame::of(&signed),
            status,
        }),
        Err(page) => page,
    }
}

/// A campaign's command, from its page or from the supervisor's board.
#[derive(Debug, Deserialize)]
pub struct CommandForm {
    #[serde(default)]
    csrf: String,
    /// `supervisor` to go back to the supervisor's board; the campaign's page
    /// otherwise (never an address from the form).
    #[serde(default)]
    back: String,
}

/// `POST /admin/campaigns/{id}/{command}`: start, pause, resume, cancel or terminate.
pub async fn command(
    State(state): State<WebState>,
    signed: Signed,
    Path((id, name)): Path<(i64, String)>,
    Form(form): Form<CommandForm>,
) -> Response {
    let Some((command, _, operation, _)) = COMMANDS.iter().find(|(_, n, _, _)| *n == name) else {
        return signed.not_found();
    };
    let refused = signed.refuse_unless_may(operation);
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    match state.dialer.command(id, *command).await {
        Ok(next) => {
            tracing::info!(by = %signed.user.name, campaign = id, command = name, state = next.as_str(), "campaign command from the web panel");
            if form.back == "supervisor" {
                Redirect::to("/supervisor").into_response()
            } else {
                Redirect::to(&format!("/admin/campaigns/{id}")).into_response()
            }
        }
        Err(AdminError::Refused(Refused::NotFound(_))) => signed.not_found(),
        Err(AdminError::Refused(refused)) => {
            error_page(StatusCode::CONFLICT, signed.language, &refused.to_string())
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot command a campaign"),
    }
}

/// The recipients an Incomplete run gives more attempts to.
#[derive(Debug, Deserialize)]
pub struct MoreAttempts {
    #[serde(default)]
    contacts: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/campaigns/{id}/more-attempts`: more attempts for chosen recipients
/// (contact ids, separated by commas or spaces) of an Incomplete run.
pub async fn more_attempts(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<MoreAttempts>,
) -> Response {
    let refused = signed.refuse_unless_may("moreAttempts");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    let ids: Result<Vec<i64>, _> = form
        .contacts
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    let ids = match ids {
        Ok(ids) if !ids.is_empty() => ids,
        _ => {
            let message = signed.language.pick((
                "Indica i contatti con i loro numeri identificativi, separati da virgole.",
                "Give the contacts by their ids, separated by commas.",
            ));
            return error_page(StatusCode::UNPROCESSABLE_ENTITY, signed.language, message);
        }
    };
    match state.dialer.more_attempts(id, &ids).await {
        Ok(_) => Redirect::to(&format!("/admin/campaigns/{id}")).into_response(),
        Err(AdminError::Refused(refused)) => error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            signed.language,
            &refused.to_string(),
        ),
        Err(AdminError::Failed(error)) => failed(&error, "cannot give more attempts"),
    }
}

/// Where a page of attempts starts.
#[derive(Debug, Deserialize)]
pub struct Before {
    before: Option<i64>,
}

/// How many attempts a page shows.
const ATTEMPTS_PAGE: i64 = 50;

/// An attempt as its table shows it.
struct AttemptLine {
    row: AttemptRow,
    started: String,
}

#[derive(Template)]
#[template(path = "attempts.html")]
struct AttemptsPage {
    frame: Frame,
    row: CampaignRow,
    attempts: Vec<AttemptLine>,
    older: Option<i64>,
}

/// `GET /admin/campaigns/{id}/attempts[?before=ID]`: the campaign's attempts, newest
/// first, a page at a time (by id, so a page costs the same at any depth).
pub async fn attempts(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(before): Query<Before>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("listAttempts") {
        return refused;
    }
    let row = match campaign_row(&state, &signed, id).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let rows = match state
        .store
        .attempts_of_campaign(id, before.before.unwrap_or(i64::MAX), ATTEMPTS_PAGE + 1)
        .await
    {
        Ok(rows) => rows,
        Err(error) => return failed(&error, "cannot read attempts"),
    };
    let zone = state.settings.time_zone;
    let older = (rows.len() as i64 > ATTEMPTS_PAGE)
        .then(|| rows.get(ATTEMPTS_PAGE as usize - 1).map(|a| a.id))
        .flatten();
    let attempts = rows
        .into_iter()
        .take(ATTEMPTS_PAGE as usize)
        .map(|row| AttemptLine {
            started: moment(row.start.started_at_ms, zone),
            row,
        })
        .collect();
    render(&AttemptsPage {
        frame: Frame::of(&signed),
        row,
        attempts,
        older,
    })
}
