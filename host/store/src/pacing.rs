//! What a look-ahead pacer is told of a campaign's calls: sums over its attempts of a
//! window, from which the dialer makes the measured rates and times. One query per
//! question, on the `(campaign_id, started_at_ms)` index, so the cost is the window's
//! attempts and not the campaign's.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;

/// A count, a sum and a sum of squares of times, in milliseconds.
pub type Moments = (i64, f64, f64);

/// A campaign's calls of a window, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallMoments {
    /// Dials placed early enough to have resolved (before `dialled_before_ms`).
    pub dials: i64,
    /// Of those dials, the times from the dial to the answer of those answered.
    pub answers: Moments,
    /// Talks with an agent ended, of calls answered before `answered_before_ms`.
    pub talks: Moments,
    /// Every talk with an agent ended: how many, and their total.
    pub talks_ended: (i64, f64),
    /// Calls answered in the window (those abandoned included).
    pub answered: i64,
    /// Of them, abandoned (tagged `abandoned`).
    pub abandoned: i64,
}

/// A time's count, sum and sum of squares where `when` holds, as SQL.
fn moments(when: &str, time: &str) -> String {
    let time = format!("CAST({time} AS DOUBLE PRECISION)");
    format!(
        "COALESCE(SUM(CASE WHEN {when} THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN {when} THEN {time} ELSE 0.0 END), 0.0), \
         COALESCE(SUM(CASE WHEN {when} THEN {time} * {time} ELSE 0.0 END), 0.0)"
    )
}

impl Store {
    /// The campaign's attempts placed since `since_ms`, summed: the dials placed
    /// before `dialled_before_ms` and their answers, the talks of calls answered before
    /// `answered_before_ms`, every talk ended, and the answered and abandoned calls.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn call_moments(
        &self,
        campaign_id: i64,
        since_ms: i64,
        dialled_before_ms: i64,
        answered_before_ms: i64,
    ) -> anyhow::Result<CallMoments> {
        let talked = "agent IS NOT NULL AND state = 'ended' AND talk_ms IS NOT NULL";
        let sql = format!(
            "SELECT COALESCE(SUM(CASE WHEN started_at_ms < $3 THEN 1 ELSE 0 END), 0), {}, {}, {}, \
             COALESCE(SUM(CASE WHEN answer_at_ms IS NOT NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN tags LIKE '%\"abandoned\"%' THEN 1 ELSE 0 END), 0) \
             FROM attempt WHERE campaign_id = $1 AND started_at_ms >= $2",
            moments(
                "started_at_ms < $3 AND answer_at_ms IS NOT NULL",
                "answer_at_ms - started_at_ms"
            ),
            moments(&format!("{talked} AND answer_at_ms < $4"), "talk_ms"),
            moments(talked, "talk_ms"),
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(campaign_id)
            .bind(since_ms)
            .bind(dialled_before_ms)
            .bind(answered_before_ms)
            .fetch_one(&self.pool)
            .await
            .context("cannot read the campaign's call times")?;
        let at = |i: usize| -> anyhow::Result<Moments> {
            Ok((row.try_get(i)?, row.try_get(i + 1)?, row.try_get(i + 2)?))
        };
        let ended = at(7)?;
        Ok(CallMoments {
            dials: row.try_get(0)?,
            answers: at(1)?,
            talks: at(4)?,
            talks_ended: (ended.0, ended.1),
            answered: row.try_get(10)?,
            abandoned: row.try_get(11)?,
        })
    }
}
