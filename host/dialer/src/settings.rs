//! The settings of lists and campaigns, as the API takes them and the store keeps them
//! (JSON). Every field has a default, so a request names only what it changes; unknown
//! fields are refused, so a typo is an error and not a silently ignored setting.

use serde::{Deserialize, Serialize};

/// A contact list's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListSettings {
    /// How often a contact is tried and how long to wait between tries.
    pub retry: RetryPolicy,
    /// ISO 3166 country assumed for numbers written without an international prefix.
    pub default_region: String,
    /// IANA zone for contacts whose zone neither a column nor their number tells.
    pub time_zone: String,
}

impl Default for ListSettings {
    fn default() -> Self {
        ListSettings {
            retry: RetryPolicy::default(),
            default_region: "IT".into(),
            time_zone: "Europe/Rome".into(),
        }
    }
}

impl ListSettings {
    /// A number as a person wrote it, in this list's terms: its E.164 form, and the
    /// zone it is called in (its country's when that has one zone, else the list's).
    ///
    /// # Errors
    /// Why the number cannot be called (or the list's region is unknown).
    pub fn read_number(&self, written: &str) -> Result<(String, String), String> {
        let region = crate::number::Region::parse(&self.default_region).ok_or_else(|| {
            format!(
                "the list's region {:?} is not a country code",
                self.default_region
            )
        })?;
        let normalised = crate::number::normalise(written, region).map_err(|e| e.to_string())?;
        let zone = normalised
            .region()
            .and_then(|r| r.zone())
            .map_or_else(|| self.time_zone.clone(), str::to_owned);
        Ok((normalised.e164, zone))
    }
}

/// TVox's "retries" and "timeout": attempts per contact and the wait after each
/// outcome, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts per contact, the first included.
    pub max_attempts: u32,
    /// After a busy line.
    pub wait_busy_s: u32,
    /// After no answer.
    pub wait_no_answer_s: u32,
    /// After congestion (the network, not the callee).
    pub wait_congestion_s: u32,
    /// After anything else (failures, an interrupted attempt).
    pub wait_other_s: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            wait_busy_s: 600,
            wait_no_answer_s: 3600,
            wait_congestion_s: 300,
            wait_other_s: 900,
        }
    }
}

/// What answered calls of a campaign do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// Power or predictive telemarketing: answered calls go to a queue of agents.
    #[default]
    Agent,
    /// A message, and a confirmation by DTMF.
    Notification,
}

/// A campaign's settings: every field of the product's section 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CampaignSettings {
    /// Agent or notification.
    pub kind: CampaignKind,
    /// The accounting code its calls are billed to.
    pub accountcode: String,
    /// Higher runs first when channels are short.
    pub priority: i64,
    /// No call before (ms since the epoch).
    pub valid_from_ms: Option<i64>,
    /// No call after (ms since the epoch).
    pub valid_until_ms: Option<i64>,
    /// When contacts may be called, in each contact's own time zone.
    pub calling_hours: Vec<CallingWindow>,
    /// The caller ID presented.
    pub caller_id: Option<String>,
    /// The route (permission group) whose trunks carry its calls.
    pub route: Option<String>,
    /// Agent campaigns: the queue answered calls join.
    pub queue: Option<String>,
    /// Notification campaigns: the IVR plugin answered calls run.
    pub ivr: Option<String>,
    /// The prompt (a WAV file) an answered notification call hears, when no IVR
    /// plugin is set.
    pub audio: Option<String>,
    /// Seconds a call may ring before it is given up (no answer).
    pub ring_timeout_s: u32,
    /// Attempts per contact; when unset, the list's retry policy decides.
    pub max_attempts: Option<u32>,
    /// Simultaneous calls at most (ADS); 0 for no cap.
    pub max_calls: u32,
    /// How many calls to start: a pacer plugin's name or a built-in strategy.
    pub pacing: Pacing,
    /// Percentage of the dialer's channels reserved for this campaign (TVox).
    pub reserved_percent: u32,
    /// Notification runs: confirmed contacts needed for the run to be Completed; 0
    /// means every contact.
    pub min_successes: u32,
    /// Notification runs: whether the callee must confirm by DTMF.
    pub confirm: bool,
    /// Notification runs: seconds the callee has to press 1 after the message.
    pub confirm_wait_s: u32,
    /// ADS: the extension an answered callee is sent to.
    pub extension: Option<String>,
    /// The disposition mapper plugin; the built-in ADS mapping when unset.
    pub mapper: Option<String>,
    /// The CRM connector plugin that gets each attempt's result.
    pub connector: Option<String>,
    /// Days a contact whose call was abandoned is not called again.
    pub abandoned_no_call_days: u32,
    /// Agent campaigns: milliseconds an answered call may wait for an agent before it
    /// is abandoned (the Garante's and Ofcom's 2 s).
    pub abandon_after_ms: u32,
    /// Agent campaigns: the longest wait in the queue, in seconds, before the call
    /// ends "closed by the system" (it matters when `abandon_after_ms` is 0); 0 for
    /// no limit.
    pub queue_max_wait_s: u32,
    /// Agent campaigns: seconds an agent's phone rings before the agent is skipped
    /// (paused) and the next one tried.
    pub agent_ring_s: u32,
    /// Agent campaigns: the prompt an abandoned callee hears before the call ends.
    pub abandon_message: Option<String>,
    /// Agent campaigns: music on hold (a WAV file, looped) while a callee waits for an
    /// agent; comfort noise when unset, never silence.
    pub music_on_hold: Option<String>,
    /// The rolling window, in seconds, of the answer and abandon rates the pacer sees.
    pub rate_window_s: u32,
    /// Keep running with no contact left, for campaigns fed as they go (the exchange
    /// table, `DialerNewCall`): the run ends only when cancelled or past its validity.
    pub keep_running: bool,
    /// Agent campaigns: the statuses an agent picks from at the end of a call.
    pub dispositions: Vec<String>,
    /// Agent campaigns: the CRM page the agent's desk links to during a call, with
    /// `{column}` replaced by the contact's variable (URL-encoded).
    pub crm_url: Option<String>,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        CampaignSettings {
            kind: CampaignKind::Agent,
            accountcode: String::new(),
            priority: 0,
            valid_from_ms: None,
            valid_until_ms: None,
            calling_hours: Vec::new(),
            caller_id: None,
            route: None,
            queue: None,
            ivr: None,
            audio: None,
            ring_timeout_s: 30,
            max_attempts: None,
            max_calls: 0,
            pacing: Pacing::default(),
            reserved_percent: 0,
            min_successes: 0,
            confirm: true,
            confirm_wait_s: 8,
            extension: None,
            mapper: None,
            connector: None,
            abandoned_no_call_days: 7,
            abandon_after_ms: 2000,
            queue_max_wait_s: 60,
            agent_ring_s: 15,
            abandon_message: None,
            music_on_hold: None,
            rate_window_s: 900,
            keep_running: false,
            dispositions: [
                "SALE",
                "NOT_INTERESTED",
                "CALLBACK",
                "WRONG_NUMBER",
                "NO_CONTACT",
            ]
            .map(String::from)
            .to_vec(),
            crm_url: None,
        }
    }
}

/// A pacing strategy and its parameters (the pacer world's `parameters`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pacing {
    /// A built-in strategy or a pacer plugin.
    pub strategy: Strategy,
    /// TVox's ratio: 0 means one call per agent, 100 two.
    pub ratio_percent: u32,
    /// Whether the ratio counts ready agents or present (logged-in) ones.
    pub ratio_on_present: bool,
    /// ADS's multiplier on free agents.
    pub multiplier: f64,
    /// Dial only when queue members are free.
    pub only_when_agents_free: bool,
    /// The abandon rate a predictive pacer steers to.
    pub target_abandon_rate: f64,
    /// Strategy-specific parameters.
    pub extra: Vec<(String, String)>,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            strategy: Strategy::Progressive,
            ratio_percent: 0,
            ratio_on_present: false,
            multiplier: 1.0,
            only_when_agents_free: false,
            target_abandon_rate: 0.03,
            extra: Vec::new(),
        }
    }
}

/// How a campaign decides how many calls to start; written in the settings as one
/// name: `fixed`, `progressive`, or a pacer plugin's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Strategy {
    /// Keep `max_calls` calls going (ADS's simultaneous calls).
    Fixed,
    /// One call per ready agent (the built-in pacer).
    Progressive,
    /// The pacer plugin of this name; the built-in progressive pacer answers while it
    /// is not loaded.
    Plugin(String),
}

impl From<String> for Strategy {
    fn from(name: String) -> Strategy {
        match name.as_str() {
            "fixed" => Strategy::Fixed,
            "progressive" => Strategy::Progressive,
            _ => Strategy::Plugin(name),
        }
    }
}

impl From<Strategy> for String {
    fn from(strategy: Strategy) -> String {
        match strategy {
            Strategy::Fixed => "fixed".to_owned(),
            Strategy::Progressive => "progressive".to_owned(),
            Strategy::Plugin(name) => name,
        }
    }
}

/// One window of calling hours: on these days (0 = Monday ... 6 = Sunday), from
/// `from` to `to` (`HH:MM`, local time, `to` excluded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallingWindow {
    /// Days of the week, 0 = Monday.
    pub days: Vec<u8>,
    /// Opening time, `HH:MM`.
    pub from: String,
    /// Closing time, `HH:MM`.
    pub to: String,
}

impl CampaignSettings {
    /// The attempts a contact of a list with `policy` gets in this campaign.
    pub fn max_attempts(&self, policy: &RetryPolicy) -> u32 {
        self.max_attempts.unwrap_or(policy.max_attempts)
    }
}
