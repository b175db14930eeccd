//! Ringhost's reports. Each report is one [`Table`] read once from the store, and
//! every way of showing it is written from that table: the page's rows, the API's
//! JSON, the CSV and the spreadsheet ([`export`]), so that screen and file always
//! agree.
//!
//! - [`table`]: columns with their kinds, rows of typed cells.
//! - [`filter`]: which campaigns, run and span a report covers, read from a query
//!   string and resolved to the store's campaigns.
//! - [`campaign_stats`]: ADS's statistics by campaign.
//! - [`export`]: JSON, CSV and XLSX.

pub mod campaign_stats;
pub mod export;
pub mod filter;
pub mod table;

pub use filter::Filter;
pub use table::{Cell, Column, Kind, Table};

/// A report, by the name its page and API operation use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Records by final status, by number of attempts and by tag.
    CampaignStats,
}

impl Report {
    /// Every report.
    pub const ALL: [Report; 1] = [Report::CampaignStats];

    /// The name in addresses (`campaign-stats`).
    pub fn as_str(self) -> &'static str {
        match self {
            Report::CampaignStats => "campaign-stats",
        }
    }

    /// The report called `name`.
    pub fn parse(name: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Reads the report from the store.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn read(
        self,
        store: &ringhost_store::Store,
        filter: &Filter,
    ) -> anyhow::Result<Table> {
        match self {
            Report::CampaignStats => campaign_stats::read(store, filter).await,
        }
    }
}
