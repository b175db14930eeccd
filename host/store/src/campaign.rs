//! Campaigns, their templates, runs and events. Settings are JSON that the dialer
//! reads with its own schema; the store keeps the columns the scheduler orders by.
//! A state change and the event that records it are written in one transaction.

use anyhow::Context as _;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row as _};

use crate::Store;

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRow {
    /// Its id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The template it was started from.
    pub template_id: Option<i64>,
    /// Lifecycle state, as the dialer names it.
    pub state: String,
    /// JSON of its settings.
    pub settings: String,
    /// Higher first.
    pub priority: i64,
    /// The current (or last) run's number, 0 before the first.
    pub run: i64,
    /// A delayed start.
    pub start_at_ms: Option<i64>,
    /// When the current run started.
    pub started_at_ms: Option<i64>,
    /// The lists it dials.
    pub list_ids: Vec<i64>,
}

/// A template as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    /// Its id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// JSON of the settings campaigns start from.
    pub settings: String,
}

/// One event of a campaign's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The run it belongs to.
    pub run: i64,
    /// When.
    pub at_ms: i64,
    /// What (`started`, `paused`, `finished`, ...).
    pub event: String,
    /// Free text.
    pub detail: String,
}

/// One run of a campaign, with the settings it ran with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// The campaign's id (kept after the campaign is deleted).
    pub campaign_id: i64,
    /// The campaign's name at the time.
    pub campaign_name: String,
    /// Its number within the campaign.
    pub run: i64,
    /// JSON snapshot of the settings.
    pub settings: String,
    /// When it started.
    pub started_at_ms: i64,
    /// When it ended.
    pub ended_at_ms: Option<i64>,
    /// How it ended (`finished`, `completed`, `incomplete`, `cancelled`, ...).
    pub result: Option<String>,
}

/// A run from `campaign_id, campaign_name, run, settings, started_at_ms, ended_at_ms,
/// result`.
pub(crate) fn run(r: &AnyRow) -> RunRow {
    RunRow {
        campaign_id: r.get(0),
        campaign_name: r.get(1),
        run: r.get(2),
        settings: r.get(3),
        started_at_ms: r.get(4),
        ended_at_ms: r.get(5),
        result: r.get(6),
    }
}

const CAMPAIGN_COLUMNS: &str =
    "id, name, template_id, state, settings, priority, run, start_at_ms, started_at_ms";

fn campaign(row: &AnyRow) -> CampaignRow {
    CampaignRow {
        id: row.get(0),
        name: row.get(1),
        template_id: row.get(2),
        state: row.get(3),
        settings: row.get(4),
        priority: row.get(5),
        run: row.get(6),
        start_at_ms: row.get(7),
        started_at_ms: row.get(8),
        list_ids: Vec::new(),
    }
}

impl Store {
    /// Creates a campaign in `state`; its id.
    ///
    /// # Errors
    /// When a campaign of that name exists, or the database cannot be written.
    pub async fn create_campaign(&self, c: &CampaignRow, now_ms: i64) -> anyhow::Result<i64> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot create the campaign")?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaign (name, template_id, state, settings, priority, run, \
             start_at_ms, created_at_ms, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7) RETURNING id",
        )
        .bind(&c.name)
        .bind(c.template_id)
        .bind(&c.state)
        .bind(&c.settings)
        .bind(c.priority)
        .bind(c.start_at_ms)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await
        .with_context(|| format!("cannot create the campaign {:?}", c.name))?;
        for &list_id in &c.list_ids {
            sqlx::query("INSERT INTO campaign_list (campaign_id, list_id) VALUES ($1, $2)")
                .bind(id)
                .bind(list_id)
                .execute(&mut *tx)
                .await
                .context("cannot attach a list to the campaign")?;
        }
        sqlx::query(
            "INSERT INTO campaign_event (campaign_id, run, at_ms, event, detail) \
             VALUES ($1, 0, $2, 'created', '')",
        )
        .bind(id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .context("cannot record the campaign's creation")?;
        tx.commit().await.context("cannot create the campaign")?;
        Ok(id)
    }

    /// Replaces a campaign's name, settings, priority, delayed start and lists.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn update_campaign(&self, c: &CampaignRow, now_ms: i64) -> anyhow::Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot update the campaign")?;
        sqlx::query(
            "UPDATE campaign SET name = $2, settings = $3, priority = $4, start_at_ms = $5, \
             updated_at_ms = $6 WHERE id = $1",
        )
        .bind(c.id)
        .bind(&c.name)
        .bind(&c.settings)
        .bind(c.priority)
        .bind(c.start_at_ms)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .context("cannot update the campaign")?;
        sqlx::query("DELETE FROM campaign_list WHERE campaign_id = $1")
            .bind(c.id)
            .execute(&mut *tx)
            .await
            .context("cannot update the campaign's lists")?;
        for &list_id in &c.list_ids {
            sqlx::query("INSERT INTO campaign_list (campaign_id, list_id) VALUES ($1, $2)")
                .bind(c.id)
                .bind(list_id)
                .execute(&mut *tx)
                .await
                .context("cannot attach a list to the campaign")?;
        }
        record(&mut tx, c.id, c.run, now_ms, "edited", "").await?;
        tx.commit().await.context("cannot update the campaign")?;
        Ok(())
    }

    /// Deletes a campaign; its runs and events stay readable.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn delete_campaign(&self, id: i64) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM campaign WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .context("cannot delete the campaign")?;
        Ok(())
    }

    /// A campaign by id, with its lists.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn campaign(&self, id: i64) -> anyhow::Result<Option<CampaignRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the campaign")?;
        match row {
            Some(row) => Ok(Some(self.with_lists(campaign(&row)).await?)),
            None => Ok(None),
        }
    }

    /// A campaign by name, with its lists.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn campaign_by_name(&self, name: &str) -> anyhow::Result<Option<CampaignRow>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM campaign WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .context("cannot read the campaign")?;
        match id {
            Some(id) => self.campaign(id).await,
            None => Ok(None),
        }
    }

    /// Every campaign, with its lists, in the scheduler's order: priority (higher
    /// first), then start time, then id.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn campaigns(&self) -> anyhow::Result<Vec<CampaignRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaign \
             ORDER BY priority DESC, COALESCE(started_at_ms, start_at_ms, 0), id"
        )))
        .fetch_all(&self.pool)
        .await
        .context("cannot read the campaigns")?;
        let mut campaigns = Vec::with_capacity(rows.len());
        for row in &rows {
            campaigns.push(self.with_lists(campaign(row)).await?);
        }
        Ok(campaigns)
    }

    async fn with_lists(&self, mut c: CampaignRow) -> anyhow::Result<CampaignRow> {
        c.list_ids = sqlx::query_scalar(
            "SELECT list_id FROM campaign_list WHERE campaign_id = $1 ORDER BY list_id",
        )
        .bind(c.id)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the campaign's lists")?;
        Ok(c)
    }

    /// Moves a campaign to `state` and records `event` with `detail`, in one
    /// transaction.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn set_campaign_state(
        &self,
        id: i64,
        state: &str,
        event: &str,
        detail: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot change the campaign")?;
        let run: i64 = sqlx::query_scalar(
            "UPDATE campaign SET state = $2, updated_at_ms = $3 WHERE id = $1 RETURNING run",
        )
        .bind(id)
        .bind(state)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await
        .context("cannot change the campaign's state")?;
        record(&mut tx, id, run, now_ms, event, detail).await?;
        tx.commit().await.context("cannot change the campaign")?;
        Ok(())
    }

    /// Starts a new run of a campaign in `state`, with a snapshot of its settings;
    /// the run's number.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn start_run(&self, id: i64, state: &str, now_ms: i64) -> anyhow::Result<i64> {
        let mut tx = self.pool.begin().await.context("cannot start the run")?;
        let row = sqlx::query(
            "UPDATE campaign SET state = $2, run = run + 1, started_at_ms = $3, \
             updated_at_ms = $3 WHERE id = $1 RETURNING run, name, settings",
        )
        .bind(id)
        .bind(state)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await
        .context("cannot start the run")?;
        let run: i64 = row.get(0);
        sqlx::query(
            "INSERT INTO campaign_run (campaign_id, campaign_name, run, settings, \
             started_at_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(row.get::<String, _>(1))
        .bind(run)
        .bind(row.get::<String, _>(2))
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .context("cannot record the run")?;
        record(&mut tx, id, run, now_ms, "started", "").await?;
        tx.commit().await.context("cannot start the run")?;
        Ok(run)
    }

    /// Ends a campaign's current run with `result`, moving it to `state`.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn end_run(
        &self,
        id: i64,
        state: &str,
        result: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await.context("cannot end the run")?;
        let run: i64 = sqlx::query_scalar(
            "UPDATE campaign SET state = $2, updated_at_ms = $3 WHERE id = $1 RETURNING run",
        )
        .bind(id)
        .bind(state)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await
        .context("cannot end the run")?;
        sqlx::query(
            "UPDATE campaign_run SET ended_at_ms = $3, result = $4 \
             WHERE campaign_id = $1 AND run = $2",
        )
        .bind(id)
        .bind(run)
        .bind(now_ms)
        .bind(result)
        .execute(&mut *tx)
        .await
        .context("cannot end the run")?;
        record(&mut tx, id, run, now_ms, result, "").await?;
        tx.commit().await.context("cannot end the run")?;
        Ok(())
    }

    /// A campaign's history, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn campaign_events(&self, id: i64) -> anyhow::Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT run, at_ms, event, detail FROM campaign_event WHERE campaign_id = $1 \
             ORDER BY at_ms, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the campaign's events")?;
        Ok(rows
            .iter()
            .map(|r| EventRow {
                run: r.get(0),
                at_ms: r.get(1),
                event: r.get(2),
                detail: r.get(3),
            })
            .collect())
    }

    /// A campaign's runs, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn campaign_runs(&self, id: i64) -> anyhow::Result<Vec<RunRow>> {
        let rows = sqlx::query(
            "SELECT campaign_id, campaign_name, run, settings, started_at_ms, ended_at_ms, \
             result FROM campaign_run WHERE campaign_id = $1 ORDER BY run",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the campaign's runs")?;
        Ok(rows.iter().map(run).collect())
    }

    /// Creates or replaces a template; its id.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn put_template(
        &self,
        name: &str,
        settings: &str,
        now_ms: i64,
    ) -> anyhow::Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaign_template (name, settings, created_at_ms, updated_at_ms) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO UPDATE SET settings = $2, \
             updated_at_ms = $3 RETURNING id",
        )
        .bind(name)
        .bind(settings)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await
        .context("cannot store the template")?;
        Ok(id)
    }

    /// A template by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn template_by_name(&self, name: &str) -> anyhow::Result<Option<TemplateRow>> {
        let row = sqlx::query("SELECT id, name, settings FROM campaign_template WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .context("cannot read the template")?;
        Ok(row.map(|r| TemplateRow {
            id: r.get(0),
            name: r.get(1),
            settings: r.get(2),
        }))
    }

    /// Every template, by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn templates(&self) -> anyhow::Result<Vec<TemplateRow>> {
        let rows = sqlx::query("SELECT id, name, settings FROM campaign_template ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .context("cannot read the templates")?;
        Ok(rows
            .iter()
            .map(|r| TemplateRow {
                id: r.get(0),
                name: r.get(1),
                settings: r.get(2),
            })
            .collect())
    }
}

/// Appends an event to a campaign's history inside `tx`.
async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    run: i64,
    now_ms: i64,
    event: &str,
    detail: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO campaign_event (campaign_id, run, at_ms, event, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(run)
    .bind(now_ms)
    .bind(event)
    .bind(detail)
    .execute(&mut **tx)
    .await
    .context("cannot record the campaign event")?;
    Ok(())
}
