//! Ringhost's reports. Each report is read once from the store into an [`Output`]
//! (its tables and daily charts), and every way of showing it is written from that:
//! the page's rows, the API's JSON, the CSV and the spreadsheet ([`export`]), so that
//! screen and file always agree. Reports of a line per contact or per attempt arrive
//! in batches from a reader task and are written as they arrive, in constant memory.
//!
//! - [`table`]: columns with their kinds, rows of typed cells, ready or arriving.
//! - [`locale`]: the reader's zone and language, which days and times are shown in.
//! - [`filter`]: which campaigns, run and span a report covers, read from a query
//!   string and resolved to the store's campaigns (deleted ones too).
//! - [`campaign_stats`], [`detailed`], [`attempts`], [`agents`], [`compliance`],
//!   [`missed_calls`]: the reports.
//! - [`export`]: JSON, CSV and XLSX.

pub mod agents;
pub mod attempts;
pub mod campaign_stats;
pub mod compliance;
pub mod detailed;
pub mod export;
pub mod filter;
pub mod locale;
pub mod missed_calls;
mod reader;
pub mod table;

pub use filter::Filter;
pub use locale::Locale;
pub use table::{Cell, Column, DailyBars, Kind, Label, Output, Rows, Table};

/// A report, by the name its page and API operation use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Records by final status, by number of attempts and by tag.
    CampaignStats,
    /// A line per contact: its record as imported and its last attempt.
    Detailed,
    /// A line per attempt, every field; a month of them is the monthly history.
    Attempts,
    /// Per agent per day: time in each state, calls, handle time, occupancy.
    Agents,
    /// Abandoned and silent calls per campaign per day and over the regulators'
    /// windows, and the numbers held back.
    Compliance,
    /// Missed calls and how they were handled: the dashboard, per day, the backlog,
    /// per queue.
    MissedCalls,
}

/// What a report is read for: a page draws its charts and shows its first lines; a
/// file has every line and no chart to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// A page.
    Page,
    /// A download or the API.
    File,
}

impl Report {
    /// Every report.
    pub const ALL: [Report; 6] = [
        Report::CampaignStats,
        Report::Detailed,
        Report::Attempts,
        Report::Agents,
        Report::Compliance,
        Report::MissedCalls,
    ];

    /// The name in addresses (`campaign-stats`).
    pub fn as_str(self) -> &'static str {
        match self {
            Report::CampaignStats => "campaign-stats",
            Report::Detailed => "detailed",
            Report::Attempts => "attempts",
            Report::Agents => "agents",
            Report::Compliance => "compliance",
            Report::MissedCalls => "missed-calls",
        }
    }

    /// Its title, Italian and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            Report::CampaignStats => ("Statistiche per campagna", "Statistics by campaign"),
            Report::Detailed => ("Report dettagliato", "Detailed report"),
            Report::Attempts => (
                "Tentativi e storico mensile",
                "Attempts and monthly history",
            ),
            Report::Agents => ("Operatori", "Agents"),
            Report::Compliance => ("Conformità", "Compliance"),
            Report::MissedCalls => ("Chiamate perse", "Missed calls"),
        }
    }

    /// The report called `name`.
    pub fn parse(name: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether its lines are many (a line per contact or per attempt): its file is
    /// written as the lines arrive, and its page shows the first of them.
    pub fn is_long(self) -> bool {
        matches!(self, Report::Detailed | Report::Attempts)
    }

    /// Reads the report from the store, days and times as `locale` sees them, at
    /// `now_ms` (the windows that end now).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn read(
        self,
        store: &ringhost_store::Store,
        filter: &Filter,
        locale: &Locale,
        now_ms: i64,
        usage: Use,
    ) -> anyhow::Result<Output> {
        match self {
            Report::CampaignStats => campaign_stats::read(store, filter).await,
            Report::Detailed => detailed::read(store, filter).await,
            Report::Attempts => attempts::read(store, filter, locale, usage).await,
            Report::Agents => agents::read(store, filter, locale, now_ms).await,
            Report::Compliance => compliance::read(store, filter, locale, now_ms).await,
            Report::MissedCalls => missed_calls::read(store, filter, locale, now_ms).await,
        }
    }
}
