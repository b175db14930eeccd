//! What users do to lists and campaigns, for the API and the command line: create,
//! import, edit, start, pause, resume, cancel, read the status. Every change is
//! checked against the lifecycle before it is written, and wakes the scheduler.

use anyhow::{Context as _, anyhow};
use ringhost_store::Store;
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::{ContactCounts, ListRow, NewContactRow};
use serde::Serialize;

use crate::import::{self, ImportOptions, Rejected};
use crate::lifecycle::{CampaignState, Command};
use crate::refusal::{AdminResult, Refused};
use crate::scheduler::{CallCounts, Dialer};
use crate::settings::{CampaignSettings, ListSettings};

/// What an import did: the JSON that `ringhost import` prints and the API returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportSummary {
    /// The list imported into.
    pub list: String,
    /// Rows stored.
    pub imported: u64,
    /// Rows refused, each with its line and reason.
    pub rejected: Vec<Rejected>,
}

/// A campaign's status with its counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignStatus {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its lifecycle state.
    pub state: String,
    /// The current (or last) run.
    pub run: i64,
    /// Contacts of its lists: ready, dialing, done.
    pub contacts_ready: i64,
    /// Contacts being dialled.
    pub contacts_dialing: i64,
    /// Contacts finished.
    pub contacts_done: i64,
    /// This run's ended attempts by disposition status.
    pub attempts_by_status: Vec<(String, i64)>,
    /// This run's ended attempts by raw outcome.
    pub attempts_by_outcome: Vec<(String, i64)>,
    /// Confirmed attempts of this run (notification campaigns).
    pub confirmed: i64,
    /// Calls in progress: placed, ringing, answered.
    pub calls_dialing: u32,
    /// Calls ringing.
    pub calls_ringing: u32,
    /// Calls answered and not with an agent: a message, an IVR, or the queue.
    pub calls_answered: u32,
    /// Calls answered and put through to an agent.
    pub calls_talking: u32,
    /// Answered attempts of those ended, over the campaign's rolling window.
    pub answer_rate: f64,
    /// Abandoned calls of those answered, over the same window.
    pub abandon_rate: f64,
}

impl Dialer {
    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Creates a contact list.
    ///
    /// # Errors
    /// As [`create_list`].
    pub async fn create_list(
        &self,
        name: &str,
        accountcode: &str,
        settings: &ListSettings,
    ) -> AdminResult<ListRow> {
        create_list(&self.inner.store, self.now(), name, accountcode, settings).await
    }

    /// Imports an ADS CSV into a list and wakes the scheduler.
    ///
    /// # Errors
    /// As [`import`].
    pub async fn import(&self, list: &str, csv: impl std::io::Read) -> AdminResult<ImportSummary> {
        let summary = import(&self.inner.store, self.now(), list, csv).await?;
        self.wake();
        Ok(summary)
    }

    /// Creates a campaign over `lists` (by name), from `template` (by name) if any,
    /// with `settings` (a JSON object) overriding the template's fields.
    ///
    /// # Errors
    /// [`Refused`] for an unknown list or template, a taken name, settings that do not
    /// parse; database errors.
    pub async fn create_campaign(
        &self,
        name: &str,
        template: Option<&str>,
        lists: &[String],
        settings: serde_json::Value,
        start_at_ms: Option<i64>,
    ) -> AdminResult<i64> {
        let store = &self.inner.store;
        if store.campaign_by_name(name).await?.is_some() {
            return Err(Refused::Conflict(format!("a campaign called {name:?} exists")).into());
        }
        let (template_id, base) = match template {
            Some(t) => {
                let row = store
                    .template_by_name(t)
                    .await?
                    .ok_or_else(|| Refused::NotFound(format!("template {t:?}")))?;
                (Some(row.id), serde_json::from_str(&row.settings)?)
            }
            None => (None, serde_json::json!({})),
        };
        let settings = parse_settings(merge(base, settings))?;
        let list_ids = self.list_ids(lists).await?;
        let row = CampaignRow {
            id: 0,
            name: name.to_owned(),
            template_id,
            state: CampaignState::Created.as_str().to_owned(),
            settings: serde_json::to_string(&settings)?,
            priority: settings.priority,
            run: 0,
            start_at_ms,
            started_at_ms: None,
            list_ids,
        };
        Ok(store.create_campaign(&row, self.now()).await?)
    }

    /// Changes a campaign that is not dialling: `settings` (a JSON object) overrides
    /// its fields, `lists` replaces its lists when given.
    ///
    /// # Errors
    /// [`Refused::Conflict`] while it runs; as [`Dialer::create_campaign`].
    pub async fn update_campaign(
        &self,
        id: i64,
        lists: Option<&[String]>,
        settings: serde_json::Value,
        start_at_ms: Option<i64>,
    ) -> AdminResult<()> {
        let store = &self.inner.store;
        let mut row = self.campaign_row(id).await?;
        let state = CampaignState::parse(&row.state).unwrap_or(CampaignState::Created);
        if !state.editable() {
            return Err(Refused::Conflict(format!(
                "campaign {:?} is {}: pause is not enough, it can be edited once created, finished or cancelled",
                row.name, row.state
            ))
            .into());
        }
        let current: serde_json::Value = serde_json::from_str(&row.settings)?;
        let parsed = parse_settings(merge(current, settings))?;
        row.priority = parsed.priority;
        row.settings = serde_json::to_string(&parsed)?;
        if let Some(lists) = lists {
            row.list_ids = self.list_ids(lists).await?;
        }
        if start_at_ms.is_some() {
            row.start_at_ms = start_at_ms;
        }
        Ok(store.update_campaign(&row, self.now()).await?)
    }

    /// Applies a user's command; the campaign's new state.
    ///
    /// # Errors
    /// [`Refused::Conflict`] when the command does not apply in the campaign's state.
    pub async fn command(&self, id: i64, command: Command) -> AdminResult<CampaignState> {
        let store = &self.inner.store;
        let row = self.campaign_row(id).await?;
        let now = self.now();
        let state = CampaignState::parse(&row.state).unwrap_or(CampaignState::Created);
        let delayed = row.start_at_ms.is_some_and(|at| at > now);
        let next = state.after(command, delayed).ok_or_else(|| {
            Refused::Conflict(format!(
                "campaign {:?} is {}: it cannot {}",
                row.name,
                row.state,
                serde_json::to_value(command)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ))
        })?;
        match command {
            Command::Start => {
                store.start_run(id, next.as_str(), now).await?;
            }
            Command::Cancel => {
                store.end_run(id, next.as_str(), "cancelled", now).await?;
            }
            Command::Terminate => {
                store.end_run(id, next.as_str(), "terminated", now).await?;
            }
            Command::Pause => {
                store
                    .set_campaign_state(id, next.as_str(), "paused", "", now)
                    .await?;
            }
            Command::Resume => {
                store
                    .set_campaign_state(id, next.as_str(), "resumed", "", now)
                    .await?;
            }
        }
        self.publish(crate::events::DialerEvent::CampaignState {
            campaign: row.name.clone(),
            state: next.as_str().to_owned(),
        });
        self.wake();
        Ok(next)
    }

    /// Gives chosen recipients of an Incomplete notification run more attempts: their
    /// contacts are due again with fresh attempts and the run goes on.
    ///
    /// # Errors
    /// [`Refused::Conflict`] unless the campaign is Incomplete.
    pub async fn more_attempts(&self, id: i64, contact_ids: &[i64]) -> AdminResult<u64> {
        let store = &self.inner.store;
        let row = self.campaign_row(id).await?;
        if CampaignState::parse(&row.state) != Some(CampaignState::Incomplete) {
            return Err(Refused::Conflict(format!(
                "campaign {:?} is {}: only an incomplete run gets more attempts",
                row.name, row.state
            ))
            .into());
        }
        let mut mine = Vec::new();
        for &contact_id in contact_ids {
            match store.contact(contact_id).await? {
                Some(c) if row.list_ids.contains(&c.list_id) => mine.push(contact_id),
                _ => {
                    return Err(Refused::NotFound(format!(
                        "contact {contact_id} in this campaign"
                    ))
                    .into());
                }
            }
        }
        let now = self.now();
        let reopened = store.reopen_contacts(&mine, now).await?;
        store
            .set_campaign_state(
                id,
                CampaignState::Running.as_str(),
                "more_attempts",
                &format!("{reopened} recipients"),
                now,
            )
            .await?;
        self.wake();
        Ok(reopened)
    }

    /// ADS's `DialerNewCall`: one call to `number` placed through the campaign's
    /// machinery (its channels, calling hours, do-not-call lists, retries and
    /// records), as a new contact of its first list, due now; the contact's id.
    ///
    /// # Errors
    /// [`Refused`] for an unknown campaign, one that is not running or has no list, a
    /// number that is not one.
    pub async fn new_call(
        &self,
        id: i64,
        number: &str,
        variables: &[(String, String)],
    ) -> AdminResult<i64> {
        let store = &self.inner.store;
        let row = self.campaign_row(id).await?;
        if !matches!(
            CampaignState::parse(&row.state),
            Some(CampaignState::Running | CampaignState::Paused)
        ) {
            return Err(Refused::Conflict(format!(
                "campaign {:?} is {}: its calls start only while it runs",
                row.name, row.state
            ))
            .into());
        }
        let now = self.now();
        let (list_id, contact) = self
            .new_contact(&row, number, variables_json(variables), now)
            .await?;
        let contact_id = store.insert_contact(list_id, &contact, now).await?;
        self.wake();
        Ok(contact_id)
    }

    /// A number as a user wrote it, as a new contact of campaign `row`'s first list
    /// (read in that list's region) due at `now`, with `variables` (a JSON object):
    /// the list's id and the contact, not written yet.
    ///
    /// # Errors
    /// [`Refused`] for a campaign without a list, a number that cannot be read;
    /// database errors.
    pub(crate) async fn new_contact(
        &self,
        row: &CampaignRow,
        number: &str,
        variables: String,
        now: i64,
    ) -> AdminResult<(i64, NewContactRow)> {
        let Some(&list_id) = row.list_ids.first() else {
            return Err(Refused::Conflict(format!("campaign {:?} has no list", row.name)).into());
        };
        let list = self
            .inner
            .store
            .list(list_id)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("list {list_id}")))?;
        let settings: ListSettings = serde_json::from_str(&list.settings)?;
        let (e164, zone) = settings.read_number(number).map_err(Refused::Invalid)?;
        let contact = NewContactRow {
            line: 0,
            numbers: vec![e164],
            variables,
            time_zone: zone,
            next_at_ms: now,
            schedule_extension: None,
            external_id: None,
        };
        Ok((list_id, contact))
    }

    /// Every answered call in progress (waiting for an agent, hearing a message,
    /// talking), oldest answer first: what the live pages show of calls.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn answered_calls(
        &self,
    ) -> AdminResult<Vec<ringhost_store::attempt::AnsweredAttempt>> {
        Ok(self.inner.store.answered_attempts().await?)
    }

    /// A campaign's status and counters.
    ///
    /// # Errors
    /// [`Refused::NotFound`]; database errors.
    pub async fn status(&self, id: i64) -> AdminResult<CampaignStatus> {
        let store = &self.inner.store;
        let row = self.campaign_row(id).await?;
        let ContactCounts {
            ready,
            dialing,
            done,
        } = store.contact_counts(&row.list_ids).await?;
        let attempts = store.attempt_counts(id, row.run).await?;
        let settings: CampaignSettings = serde_json::from_str(&row.settings)?;
        let rates = self.rates(id, &settings).await?;
        let CallCounts {
            dialing: calls_dialing,
            ringing,
            answered,
            talking,
        } = self.calls(id);
        Ok(CampaignStatus {
            id,
            name: row.name,
            state: row.state,
            run: row.run,
            contacts_ready: ready,
            contacts_dialing: dialing,
            contacts_done: done,
            attempts_by_status: attempts.by_status,
            attempts_by_outcome: attempts.by_outcome,
            confirmed: attempts.confirmed,
            calls_dialing,
            calls_ringing: ringing,
            calls_answered: answered,
            calls_talking: talking,
            answer_rate: rates.answer_rate,
            abandon_rate: rates.abandon_rate,
        })
    }

    /// Adds a number to the do-not-call list of `list` (by name), or to the global one.
    ///
    /// # Errors
    /// [`Refused`] for an unknown list or a number that is not one.
    pub async fn add_do_not_call(
        &self,
        number: &str,
        list: Option<&str>,
        until_ms: Option<i64>,
        reason: &str,
    ) -> AdminResult<String> {
        let store = &self.inner.store;
        let (list_id, settings) = match list {
            Some(name) => {
                let row = store
                    .list_by_name(name)
                    .await?
                    .ok_or_else(|| Refused::NotFound(format!("list {name:?}")))?;
                (row.id, serde_json::from_str(&row.settings)?)
            }
            None => (0, ListSettings::default()),
        };
        let (e164, _) = settings.read_number(number).map_err(Refused::Invalid)?;
        store
            .add_do_not_call(&e164, list_id, until_ms, reason, self.now())
            .await?;
        Ok(e164)
    }

    pub(crate) async fn campaign_row(&self, id: i64) -> AdminResult<CampaignRow> {
        self.inner
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("campaign {id}")).into())
    }

    async fn list_ids(&self, lists: &[String]) -> AdminResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(lists.len());
        for name in lists {
            let row = self
                .inner
                .store
                .list_by_name(name)
                .await?
                .ok_or_else(|| Refused::NotFound(format!("list {name:?}")))?;
            ids.push(row.id);
        }
        Ok(ids)
    }

    /// Now on the dialer's clock: what the API stamps its own writes with (an API
    /// key's last use, a template), so that they agree with the dialer's under a
    /// test's manual clock.
    pub fn now_ms(&self) -> i64 {
        self.now()
    }
}

/// Creates a contact list.
///
/// # Errors
/// [`Refused::Conflict`] when the name is taken; database errors.
pub async fn create_list(
    store: &Store,
    now_ms: i64,
    name: &str,
    accountcode: &str,
    settings: &ListSettings,
) -> AdminResult<ListRow> {
    if name.trim().is_empty() {
        return Err(Refused::Invalid("a list needs a name".into()).into());
    }
    if store.list_by_name(name).await?.is_some() {
        return Err(Refused::Conflict(format!("a list called {name:?} exists")).into());
    }
    let json = serde_json::to_string(settings)?;
    let id = store.create_list(name, accountcode, &json, now_ms).await?;
    Ok(store
        .list(id)
        .await?
        .ok_or_else(|| anyhow!("the list vanished"))?)
}

/// Imports an ADS CSV into the list `list` (created with default settings when
/// missing): good rows are stored, bad ones reported with their line. Used by the API
/// and by `ringhost import`, which needs no running host.
///
/// # Errors
/// A file that cannot be read as CSV at all (no header, duplicate columns);
/// database errors, in which case nothing is stored.
pub async fn import(
    store: &Store,
    now_ms: i64,
    list: &str,
    csv: impl std::io::Read,
) -> AdminResult<ImportSummary> {
    let row = match store.list_by_name(list).await? {
        Some(row) => row,
        None => create_list(store, now_ms, list, "", &ListSettings::default()).await?,
    };
    let settings: ListSettings =
        serde_json::from_str(&row.settings).context("the list's settings are unreadable")?;
    let options = ImportOptions {
        default_region: settings.default_region.clone(),
        default_zone: settings.time_zone.clone(),
    };
    let mut text = Vec::new();
    let mut csv = csv;
    csv.read_to_end(&mut text)
        .map_err(|e| Refused::Invalid(format!("cannot read the file: {e}")))?;
    // Parsing (on a thread of its own) and storing (in the database's) overlap: the
    // file goes in chunks of lines, each parsed under a copy of the header while the
    // previous one is stored, all in one transaction.
    let (chunks, parsed) = tokio::sync::mpsc::channel(2);
    let parser =
        tokio::task::spawn_blocking(move || parse_in_chunks(&text, &options, now_ms, &chunks));
    let imported = store.import_contacts(row.id, now_ms, parsed).await;
    let rejected = parser
        .await
        .context("the CSV parser panicked")?
        .map_err(|e| Refused::Invalid(e.to_string()))?;
    Ok(ImportSummary {
        list: row.name,
        imported: imported?,
        rejected,
    })
}

/// Rows per chunk of a pipelined import.
const CHUNK_LINES: usize = 5_000;

/// Parses `text` in chunks of lines, sending each chunk's contacts on `chunks`; the
/// rejected rows, with their lines in the whole file. A file with quotes is parsed in
/// one piece (a quoted field may hold a line break, so its lines are not its rows).
fn parse_in_chunks(
    text: &[u8],
    options: &ImportOptions,
    now_ms: i64,
    chunks: &tokio::sync::mpsc::Sender<Vec<NewContactRow>>,
) -> Result<Vec<Rejected>, import::ImportError> {
    let rows = |parsed: import::Parsed, offset: u64| -> Vec<NewContactRow> {
        parsed
            .contacts
            .into_iter()
            .map(|c| NewContactRow {
                line: (c.line + offset) as i64,
                numbers: c.numbers,
                variables: variables_json(&c.variables),
                time_zone: c.time_zone,
                next_at_ms: c.schedule.as_ref().map_or(now_ms, |s| s.at_ms),
                schedule_extension: c.schedule.map(|s| s.extension),
                external_id: None,
            })
            .collect()
    };
    let header_end = text.iter().position(|&b| b == b'\n');
    let (Some(header_end), false) = (header_end, text.contains(&b'"')) else {
        let mut parsed = import::parse(text, options)?;
        let rejected = std::mem::take(&mut parsed.rejected);
        let _ = chunks.blocking_send(rows(parsed, 0));
        return Ok(rejected);
    };
    let header = &text[..=header_end];
    let mut rejected = Vec::new();
    // The line in the whole file of the chunk's first line, less 2 (the line a first
    // row has within its chunk).
    let mut offset = 0u64;
    let mut body = &text[header_end + 1..];
    loop {
        let mut end = 0;
        let mut lines = 0;
        while end < body.len() && lines < CHUNK_LINES {
            end = body[end..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(body.len(), |p| end + p + 1);
            lines += 1;
        }
        let mut chunk = Vec::with_capacity(header.len() + end);
        chunk.extend_from_slice(header);
        chunk.extend_from_slice(&body[..end]);
        let mut parsed = import::parse(&chunk[..], options)?;
        rejected.extend(parsed.rejected.drain(..).map(|r| Rejected {
            line: r.line + offset,
            reason: r.reason,
        }));
        if chunks.blocking_send(rows(parsed, offset)).is_err() {
            // The store gave up; its error is the one reported.
            break;
        }
        offset += lines as u64;
        body = &body[end..];
        if body.is_empty() {
            break;
        }
    }
    Ok(rejected)
}

/// A contact's variables as a JSON object, in their columns' order.
pub fn variables_json(variables: &[(String, String)]) -> String {
    struct Ordered<'a>(&'a [(String, String)]);
    impl Serialize for Ordered<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
        }
    }
    serde_json::to_string(&Ordered(variables)).unwrap_or_else(|_| "{}".to_owned())
}

/// A contact's variables (a JSON object) as name and text: strings as they are,
/// anything else as its JSON.
pub fn variable_pairs(variables: &serde_json::Value) -> Vec<(String, String)> {
    variables
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect()
}

/// `overrides`' fields over `base`'s (a shallow merge: a field given replaces the
/// template's whole value).
fn merge(mut base: serde_json::Value, overrides: serde_json::Value) -> serde_json::Value {
    if let (Some(base), serde_json::Value::Object(overrides)) = (base.as_object_mut(), overrides) {
        base.extend(overrides);
    }
    base
}

fn parse_settings(value: serde_json::Value) -> AdminResult<CampaignSettings> {
    let settings: CampaignSettings = serde_json::from_value(value)
        .map_err(|e| Refused::Invalid(format!("campaign settings: {e}")))?;
    crate::hours::CallingHours::new(&settings.calling_hours)
        .map_err(|e| Refused::Invalid(format!("calling_hours: {e}")))?;
    Ok(settings)
}
