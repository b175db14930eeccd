//! Which campaigns, run and span a report covers: read from a query string (the
//! page's form and the API share it) and resolved to the store's campaigns.

use ringhost_store::Store;
use ringhost_store::report::AttemptFilter;
use serde::Deserialize;

/// A report's filter as written: campaigns by name (all when none), an accountcode,
/// a run, a span of start times (ms since the epoch, the page converts its dates).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Filter {
    /// The campaigns' names; every campaign when empty.
    #[serde(default)]
    pub campaigns: Vec<String>,
    /// Only the campaigns billed to this accountcode.
    pub accountcode: Option<String>,
    /// One run (with a single campaign).
    pub run: Option<i64>,
    /// Attempts started at or after.
    pub from_ms: Option<i64>,
    /// Attempts started before.
    pub until_ms: Option<i64>,
}

impl Filter {
    /// The store's filter: the named campaigns (or all), those of the accountcode.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn resolve(&self, store: &Store) -> anyhow::Result<AttemptFilter> {
        let accountcode = self.accountcode.as_deref().filter(|a| !a.is_empty());
        let campaign_ids = store
            .campaigns()
            .await?
            .into_iter()
            .filter(|c| self.campaigns.is_empty() || self.campaigns.contains(&c.name))
            .filter(|c| {
                accountcode.is_none_or(|code| {
                    serde_json::from_str::<serde_json::Value>(&c.settings)
                        .ok()
                        .and_then(|s| s.get("accountcode")?.as_str().map(|a| a == code))
                        .unwrap_or(false)
                })
            })
            .map(|c| c.id)
            .collect();
        Ok(AttemptFilter {
            campaign_ids,
            run: self.run,
            from_ms: self.from_ms,
            until_ms: self.until_ms,
        })
    }
}
