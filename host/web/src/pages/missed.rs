//! Missed calls to call back, in the panel (Kalliope's Missed Calls).
//!
//! `/missed` is the operators' tab of the agent bar: "numbers to call back" (open,
//! booked by nobody), filtered and sorted, each with a hint when now is near the time
//! of day the customer last called; and "my bookings", each called with one click
//! (the operator's phone rings, then the customer). `/missed/manage` is the
//! supervisors': every pending request, assigned to an operator or taken back, closed
//! by hand, or flushed, those ticked or all the filter matches.
//!
//! Every action is a form posted with the page's filter in `back`, so the page comes
//! back as it was; a refusal (someone else booked it first) is shown on the page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_dialer::refusal::{AdminError, Refused};
use ringhost_store::missed::{
    Closure, MissedColumn, MissedFilter, MissedOrder, MissedRequestRow, MissedState, MissedView,
    Source, Span,
};
use serde::Deserialize;

use super::campaigns::moment;
use super::reports::locale_of;
use super::{Frame, failed, render};
use crate::WebState;
use crate::session::Signed;
use ringhost_reports::Locale;

/// Requests a page shows at a time.
const PAGE: i64 = 50;

/// The filter and order as the page's form writes them (dates in the panel's zone).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct MissedForm {
    kind: String,
    name: String,
    source: String,
    caller: String,
    accountcode: String,
    first_from: String,
    first_until: String,
    last_from: String,
    last_until: String,
    recalled_from: String,
    recalled_until: String,
    recalled: String,
    sort: String,
    order: String,
    offset: String,
}

/// The sorts a page offers: the form's value, the column, the label.
const SORTS: [(&str, MissedColumn, (&str, &str)); 7] = [
    (
        "last_call",
        MissedColumn::LastCall,
        ("Ultima chiamata", "Last call"),
    ),
    (
        "first_call",
        MissedColumn::FirstCall,
        ("Prima chiamata", "First call"),
    ),
    ("calls", MissedColumn::Calls, ("Chiamate", "Calls")),
    (
        "recalled",
        MissedColumn::Recalled,
        ("Richiamato", "Recalled"),
    ),
    (
        "last_recalled",
        MissedColumn::LastRecalled,
        ("Ultima richiamata", "Last recalled"),
    ),
    ("caller", MissedColumn::Caller, ("Numero", "Number")),
    ("queue", MissedColumn::Name, ("Coda", "Queue")),
];

impl MissedForm {
    /// The store's filter for `view` and the order, or the field that cannot be read.
    fn read(
        &self,
        view: MissedView,
        locale: &Locale,
    ) -> Result<(MissedFilter, MissedOrder), &'static str> {
        let text = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        let day =
            |value: &str, field: &'static str, next: bool| -> Result<Option<i64>, &'static str> {
                let value = value.trim();
                if value.is_empty() {
                    return Ok(None);
                }
                let day =
                    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| field)?;
                let day = if next {
                    day.succ_opt().ok_or(field)?
                } else {
                    day
                };
                Ok(Some(locale.start_of(day)))
            };
        let span = |from: &str, until: &str, field: &'static str| -> Result<Span, &'static str> {
            Ok(Span {
                from_ms: day(from, field, false)?,
                until_ms: day(until, field, true)?,
            })
        };
        let source = match self.source.trim() {
            "" => None,
            text => Some(Source::parse(text).ok_or("source")?),
        };
        let recalled = match self.recalled.trim() {
            "" => None,
            text => Some(
                text.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or("recalled")?,
            ),
        };
        let column = match self.sort.trim() {
            "" => MissedColumn::LastCall,
            sort => SORTS
                .iter()
                .find(|(name, ..)| *name == sort)
                .map(|(_, column, _)| *column)
                .ok_or("sort")?,
        };
        let filter = MissedFilter {
            view,
            kind: text(&self.kind),
            name: text(&self.name),
            source,
            caller: text(&self.caller),
            accountcode: text(&self.accountcode),
            first_call: span(&self.first_from, &self.first_until, "first_call")?,
            last_call: span(&self.last_from, &self.last_until, "last_call")?,
            last_recalled: span(&self.recalled_from, &self.recalled_until, "last_recalled")?,
            recalled,
        };
        let order = MissedOrder {
            column,
            descending: self.order.trim() != "asc",
        };
        Ok((filter, order))
    }

    fn offset(&self) -> i64 {
        self.offset.trim().parse::<i64>().unwrap_or(0).max(0)
    }

    /// The form as a query string of its filled fields, at `offset` (the page's
    /// links and `back`).
    fn query(&self, offset: i64) -> String {
        let offset = offset.to_string();
        let fields = [
            ("kind", &self.kind),
            ("name", &self.name),
            ("source", &self.source),
            ("caller", &self.caller),
            ("accountcode", &self.accountcode),
            ("first_from", &self.first_from),
            ("first_until", &self.first_until),
            ("last_from", &self.last_from),
            ("last_until", &self.last_until),
            ("recalled_from", &self.recalled_from),
            ("recalled_until", &self.recalled_until),
            ("recalled", &self.recalled),
            ("sort", &self.sort),
            ("order", &self.order),
            ("offset", &offset),
        ];
        let filled: Vec<(&str, &str)> = fields
            .iter()
            .map(|(name, value)| (*name, value.trim()))
            .filter(|(name, value)| !(value.is_empty() || (*name == "offset" && *value == "0")))
            .collect();
        serde_urlencoded::to_string(filled).unwrap_or_default()
    }
}

/// A request as a row shows it.
struct Line {
    id: i64,
    caller: String,
    calls: i64,
    first_call: String,
    last_call: String,
    recalled: i64,
    last_recalled: String,
    queue: String,
    kind: String,
    source: &'static str,
    accountcode: String,
    booked_by: String,
    assigned: bool,
    calling: bool,
    /// Now is near the time of day the customer last called.
    good_time: bool,
    /// The configured CRM page for the number.
    crm: Option<String>,
}

impl Line {
    fn of(state: &WebState, r: MissedRequestRow) -> Line {
        let zone = state.settings.time_zone;
        Line {
            id: r.id,
            good_time: state.dialer.good_time(r.last_call_ms),
            crm: state.dialer.missed_crm_link(&r.caller),
            first_call: moment(r.first_call_ms, zone),
            last_call: moment(r.last_call_ms, zone),
            last_recalled: r
                .last_recalled_ms
                .map(|at| moment(at, zone))
                .unwrap_or_default(),
            caller: r.caller,
            calls: r.calls,
            recalled: r.recalled,
            queue: r.name,
            kind: r.kind,
            source: r.source.as_str(),
            accountcode: r.accountcode,
            assigned: r.assigned_by.is_some(),
            calling: r.state == MissedState::Calling,
            booked_by: r.booked_by.unwrap_or_default(),
        }
    }
}

/// A table of requests with its paging.
struct Listing {
    lines: Vec<Line>,
    total: i64,
    /// The query strings of the previous and next pages.
    previous: Option<String>,
    next: Option<String>,
    first: i64,
    last: i64,
}

#[derive(Template)]
#[template(path = "missed.html")]
struct MissedPage {
    frame: Frame,
    csrf: String,
    /// The supervisors' page rather than the operators'.
    manage: bool,
    /// The user may see the operators' tab, the supervisors' one.
    operator_tab: bool,
    manager_tab: bool,
    form: MissedForm,
    /// The form as a query string, posted back with every action.
    back: String,
    sorts: Vec<(&'static str, &'static str)>,
    /// Open and booked by nobody (operators), or pending (supervisors).
    listing: Listing,
    /// The operator's own bookings.
    mine: Vec<Line>,
    /// Whom requests may be assigned to.
    operators: Vec<String>,
    error: Option<String>,
}

/// `GET /missed`: the operator's numbers to call back and bookings.
pub async fn missed(
    State(state): State<WebState>,
    signed: Signed,
    Query(form): Query<MissedForm>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("bookMissedCall") {
        return refused;
    }
    page(&state, &signed, false, form, StatusCode::OK, None).await
}

/// `GET /missed/manage`: the supervisor's pending requests.
pub async fn manage(
    State(state): State<WebState>,
    signed: Signed,
    Query(form): Query<MissedForm>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("assignMissedCall") {
        return refused;
    }
    page(&state, &signed, true, form, StatusCode::OK, None).await
}

async fn page(
    state: &WebState,
    signed: &Signed,
    manage: bool,
    form: MissedForm,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let language = signed.language;
    let operator = signed.user.agent.clone().unwrap_or_default();
    let view = if manage {
        MissedView::Pending
    } else {
        MissedView::ToCall
    };
    let locale = locale_of(state, language);
    let (filter, order, error, status) = match form.read(view.clone(), &locale) {
        Ok((filter, order)) => (filter, order, error, status),
        Err(field) => {
            let (filter, order) = MissedForm::default()
                .read(view, &locale)
                .unwrap_or_default();
            let message = format!(
                "{} {field}",
                language.pick(("Filtro non valido:", "This filter cannot be read:"))
            );
            (
                filter,
                order,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let offset = form.offset();
    let listed = match state
        .dialer
        .missed_calls(&filter, order, offset, PAGE)
        .await
    {
        Ok(listed) => listed,
        Err(AdminError::Failed(error)) => return failed(&error, "cannot read the missed calls"),
        Err(AdminError::Refused(refused)) => {
            return super::error_page(StatusCode::BAD_REQUEST, language, &refused.to_string());
        }
    };
    let mine = if manage || operator.is_empty() {
        Vec::new()
    } else {
        let mine = MissedFilter {
            view: MissedView::BookedBy(operator),
            ..MissedFilter::default()
        };
        match state.dialer.missed_calls(&mine, order, 0, 200).await {
            Ok(page) => page.requests,
            Err(AdminError::Failed(error)) => {
                return failed(&error, "cannot read the operator's bookings");
            }
            Err(AdminError::Refused(_)) => Vec::new(),
        }
    };
    let operators = if manage {
        match state.dialer.missed_operators().await {
            Ok(operators) => operators,
            Err(error) => return failed(&error, "cannot read the operators"),
        }
    } else {
        Vec::new()
    };
    let count = listed.requests.len() as i64;
    let listing = Listing {
        total: listed.total,
        previous: (offset > 0).then(|| form.query((offset - PAGE).max(0))),
        next: (offset + count < listed.total).then(|| form.query(offset + PAGE)),
        first: if count > 0 { offset + 1 } else { 0 },
        last: offset + count,
        lines: listed
            .requests
            .into_iter()
            .map(|r| Line::of(state, r))
            .collect(),
    };
    let page = MissedPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        manage,
        operator_tab: signed.user.agent.is_some() && signed.role.allows("bookMissedCall"),
        manager_tab: signed.role.allows("assignMissedCall"),
        back: form.query(offset),
        sorts: SORTS
            .iter()
            .map(|(name, _, label)| (*name, language.pick(*label)))
            .collect(),
        form,
        listing,
        mine: mine.into_iter().map(|r| Line::of(state, r)).collect(),
        operators,
        error,
    };
    (status, render(&page)).into_response()
}

/// A line of a request's history as the detail shows it.
struct HistoryLine {
    at: String,
    kind: String,
    what: &'static str,
    actor: String,
    outcome: String,
    talk_s: String,
}

#[derive(Template)]
#[template(path = "missed_detail.html")]
struct DetailPage {
    frame: Frame,
    /// The list the user came from.
    back: &'static str,
    caller: String,
    state: &'static str,
    calls: i64,
    first_call: String,
    last_call: String,
    recalled: i64,
    last_recalled: String,
    queue: String,
    kind: String,
    booked_by: String,
    history: Vec<HistoryLine>,
}

/// `GET /missed/{id}`: a request and the history of its calls, callbacks, bookings
/// and closure.
pub async fn detail(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("getMissedCall") {
        return refused;
    }
    let detail = match state.dialer.missed_call(id).await {
        Ok(detail) => detail,
        Err(AdminError::Refused(_)) => return signed.not_found(),
        Err(AdminError::Failed(error)) => return failed(&error, "cannot read a missed call"),
    };
    let language = signed.language;
    let zone = state.settings.time_zone;
    let r = detail.request;
    let history = detail
        .history
        .into_iter()
        .map(|e| HistoryLine {
            at: moment(e.at_ms, zone),
            what: language.pick(match e.kind.as_str() {
                "call" => ("Chiamata persa", "Missed call"),
                "callback" => ("Richiamata", "Callback"),
                "booked" => ("Prenotata", "Booked"),
                "unbooked" => ("Prenotazione annullata", "Given back"),
                "assigned" => ("Assegnata", "Assigned"),
                "unassigned" => ("Assegnazione tolta", "Unassigned"),
                "closed" => ("Chiusa d'autorità", "Closed by force"),
                "flushed" => ("Svuotata", "Flushed"),
                _ => ("Altro", "Other"),
            }),
            kind: e.kind,
            actor: e.actor.unwrap_or_default(),
            outcome: e.outcome.unwrap_or_default(),
            talk_s: e
                .talk_ms
                .map(|ms| (ms / 1000).to_string())
                .unwrap_or_default(),
        })
        .collect();
    let page = DetailPage {
        frame: Frame::of(&signed),
        back: if signed.role.allows("assignMissedCall") {
            "/missed/manage"
        } else {
            "/missed"
        },
        state: language.pick(match (r.state, r.closure) {
            (MissedState::Open, _) => ("Da richiamare", "To call back"),
            (MissedState::Calling, _) => ("In chiamata", "Being called back"),
            (MissedState::Closed, Some(Closure::Callback)) => {
                ("Gestita con richiamata", "Handled by callback")
            }
            (MissedState::Closed, Some(Closure::Inbound)) => {
                ("Servita in ingresso", "Served inbound")
            }
            (MissedState::Closed, _) => ("Chiusa d'autorità", "Closed by force"),
        }),
        caller: r.caller,
        calls: r.calls,
        first_call: moment(r.first_call_ms, zone),
        last_call: moment(r.last_call_ms, zone),
        recalled: r.recalled,
        last_recalled: r
            .last_recalled_ms
            .map(|at| moment(at, zone))
            .unwrap_or_default(),
        queue: r.name,
        kind: r.kind,
        booked_by: r.booked_by.unwrap_or_default(),
        history,
    };
    render(&page).into_response()
}

/// What every action's form posts.
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    /// The page's filter, as a query string.
    #[serde(default)]
    back: String,
    /// With `assign`: to whom.
    #[serde(default)]
    operator: String,
}

/// An action on one request, by its path's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Book,
    Unbook,
    Call,
    Assign,
    Unassign,
    Close,
}

impl Action {
    fn parse(name: &str) -> Option<Action> {
        Some(match name {
            "book" => Action::Book,
            "unbook" => Action::Unbook,
            "call" => Action::Call,
            "assign" => Action::Assign,
            "unassign" => Action::Unassign,
            "close" => Action::Close,
            _ => return None,
        })
    }

    /// The API operation whose permission it needs.
    fn operation(self) -> &'static str {
        match self {
            Action::Book => "bookMissedCall",
            Action::Unbook => "unbookMissedCall",
            Action::Call => "callBackMissedCall",
            Action::Assign => "assignMissedCall",
            Action::Unassign => "unassignMissedCall",
            Action::Close => "closeMissedCall",
        }
    }

    /// Whether it is a supervisor's (its page is `/missed/manage`).
    fn manages(self) -> bool {
        matches!(self, Action::Assign | Action::Unassign | Action::Close)
    }
}

/// The filter posted back, read again (so the redirect holds only what a form can).
fn back_form(back: &str) -> MissedForm {
    serde_urlencoded::from_str(back).unwrap_or_default()
}

/// `POST /missed/{id}/{action}`: book, unbook, call back (operators); assign,
/// unassign, close (supervisors). Back to the page, or the page with the refusal.
pub async fn act(
    State(state): State<WebState>,
    signed: Signed,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let Some(action) = Action::parse(&action) else {
        return signed.not_found();
    };
    if let Some(refused) = signed
        .refuse_unless_may(action.operation())
        .or_else(|| signed.refuse_forged(&form.csrf))
    {
        return refused;
    }
    let back = back_form(&form.back);
    let dialer = &state.dialer;
    let me = signed.user.name.as_str();
    let operator = signed.user.agent.clone();
    let done = match (action, operator.as_deref()) {
        (Action::Book, Some(agent)) => dialer.book_missed(agent, id).await,
        (Action::Unbook, Some(agent)) => dialer.unbook_missed(agent, id).await,
        (Action::Call, Some(agent)) => dialer.call_back(agent, id).await.map(|_| ()),
        (Action::Assign, _) => dialer.assign_missed(me, id, form.operator.trim()).await,
        (Action::Unassign, _) => dialer.unassign_missed(me, id).await,
        (Action::Close, _) => dialer.close_missed(me, id).await,
        (Action::Book | Action::Unbook | Action::Call, None) => Err(Refused::Conflict(
            signed
                .language
                .pick((
                    "Solo un operatore con una postazione richiama i clienti.",
                    "Only an agent with a desk calls customers back.",
                ))
                .into(),
        )
        .into()),
    };
    let manage = action.manages();
    match done {
        Ok(()) => {
            let path = if manage { "/missed/manage" } else { "/missed" };
            Redirect::to(&format!("{path}?{}", back.query(back.offset()))).into_response()
        }
        Err(AdminError::Refused(refused)) => {
            let status = match refused {
                Refused::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Refused::NotFound(_) | Refused::Conflict(_) => StatusCode::CONFLICT,
            };
            page(
                &state,
                &signed,
                manage,
                back,
                status,
                Some(refused.to_string()),
            )
            .await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot change a missed call"),
    }
}

/// `POST /missed/flush`: closes the ticked requests (`scope=ticked`, `id` repeated) or
/// all the filter matches (`scope=all`), as flushed.
pub async fn flush(
    State(state): State<WebState>,
    signed: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    if let Some(refused) = signed
        .refuse_unless_may("flushMissedCalls")
        .or_else(|| signed.refuse_forged(value("csrf")))
    {
        return refused;
    }
    let back = back_form(value("back"));
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let refuse = |message: String| {
        page(
            &state,
            &signed,
            true,
            back.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
        )
    };
    let (filter, _) = match back.read(MissedView::Pending, &locale_of(&state, signed.language)) {
        Ok(read) => read,
        Err(field) => return refuse(field.to_string()).await,
    };
    let only = match value("scope") {
        "all" => None,
        _ if ids.is_empty() => {
            return refuse(
                signed
                    .language
                    .pick(("Nessuna richiesta selezionata.", "No request is ticked."))
                    .into(),
            )
            .await;
        }
        _ => Some(ids.as_slice()),
    };
    match state
        .dialer
        .flush_missed(&signed.user.name, &filter, only)
        .await
    {
        Ok(flushed) => {
            tracing::info!(user = %signed.user.name, flushed, "missed calls flushed from the panel");
            Redirect::to(&format!("/missed/manage?{}", back.query(0))).into_response()
        }
        Err(AdminError::Refused(refused)) => refuse(refused.to_string()).await,
        Err(AdminError::Failed(error)) => failed(&error, "cannot flush missed calls"),
    }
}
