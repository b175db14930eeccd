//! Which campaigns, run and span a report covers: read from a query string (the
//! page's form and the API share it) and resolved to the store's campaigns, those
//! deleted since included (their attempts, and the runs' snapshots, stay).

use std::collections::HashMap;

use ringhost_dialer::settings::CampaignSettings;
use ringhost_store::Store;
use ringhost_store::report::{AttemptFilter, Campaigns};
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

/// A campaign a report covers, as it is now or, deleted, as its last run had it.
#[derive(Debug, Clone)]
pub struct CampaignInfo {
    /// Its name.
    pub name: String,
    /// Its settings.
    pub settings: CampaignSettings,
    /// Its lists (none once deleted).
    pub list_ids: Vec<i64>,
}

/// What a filter covers in the store.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The store's filter of attempts.
    pub attempts: AttemptFilter,
    /// The campaigns covered, by id.
    pub campaigns: HashMap<i64, CampaignInfo>,
    /// Every list's name, by id.
    pub lists: HashMap<i64, String>,
}

impl Scope {
    /// The name of campaign `id`, or its number when the store has none.
    pub fn campaign_name(&self, id: i64) -> String {
        self.campaigns
            .get(&id)
            .map_or_else(|| format!("#{id}"), |c| c.name.clone())
    }

    /// The lists of the covered campaigns, each once, in order.
    pub fn list_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .campaigns
            .values()
            .flat_map(|c| c.list_ids.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

impl Filter {
    /// Whether the filter names campaigns (by name or accountcode), rather than all.
    fn narrows(&self) -> bool {
        !self.campaigns.is_empty() || self.accountcode().is_some()
    }

    fn accountcode(&self) -> Option<&str> {
        self.accountcode.as_deref().filter(|a| !a.is_empty())
    }

    /// What the filter covers: the named campaigns (or all), those of the
    /// accountcode, with deleted campaigns matched by their runs' snapshots.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn resolve(&self, store: &Store) -> anyhow::Result<Scope> {
        let mut found: HashMap<i64, CampaignInfo> = HashMap::new();
        for row in store.campaigns().await? {
            let settings = serde_json::from_str(&row.settings).unwrap_or_default();
            found.insert(
                row.id,
                CampaignInfo {
                    name: row.name,
                    settings,
                    list_ids: row.list_ids,
                },
            );
        }
        // Deleted campaigns, as their last run had them (runs come in order).
        let current: Vec<i64> = found.keys().copied().collect();
        for run in store.all_runs().await? {
            if current.contains(&run.campaign_id) {
                continue;
            }
            let settings = serde_json::from_str(&run.settings).unwrap_or_default();
            found.insert(
                run.campaign_id,
                CampaignInfo {
                    name: run.campaign_name,
                    settings,
                    list_ids: Vec::new(),
                },
            );
        }
        let accountcode = self.accountcode();
        found.retain(|_, c| {
            (self.campaigns.is_empty() || self.campaigns.contains(&c.name))
                && accountcode.is_none_or(|code| c.settings.accountcode == code)
        });
        let campaigns = if self.narrows() {
            let mut ids: Vec<i64> = found.keys().copied().collect();
            ids.sort_unstable();
            Campaigns::These(ids)
        } else {
            Campaigns::All
        };
        let lists = store
            .lists()
            .await?
            .into_iter()
            .map(|l| (l.id, l.name))
            .collect();
        Ok(Scope {
            attempts: AttemptFilter {
                campaigns,
                run: self.run,
                from_ms: self.from_ms,
                until_ms: self.until_ms,
            },
            campaigns: found,
            lists,
        })
    }
}
