//! The exchange table (TVox's `ast_pd_interface`): an external application writes
//! rows (its id, a number, a campaign and a list by name, data for the screen pop)
//! and the scheduler turns them into contacts at each pass. A row that cannot be
//! called (a bad number, an unknown campaign) is marked with the reason instead.

use ringhost_store::contact::NewContactRow;
use ringhost_store::exchange::ExchangeRow;

use crate::scheduler::Dialer;
use crate::settings::ListSettings;

/// Rows picked up per pass, so that a huge batch does not hold up the dialling.
const PER_PASS: i64 = 1000;

impl Dialer {
    /// Turns the exchange table's new rows into contacts; how many became contacts.
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub async fn pick_up_exchange(&self, now: i64) -> anyhow::Result<u64> {
        let store = &self.inner.store;
        let mut added = 0;
        for row in store.pending_exchange_rows(PER_PASS).await? {
            match self.contact_of(&row, now).await? {
                Ok((list_id, contact)) => {
                    let id = store.insert_contact(list_id, &contact, now).await?;
                    store
                        .mark_exchange_row(&row.id, Some(id), None, now)
                        .await?;
                    added += 1;
                }
                Err(reason) => {
                    tracing::warn!(row = %row.id, %reason, "exchange table row not taken");
                    store
                        .mark_exchange_row(&row.id, None, Some(&reason), now)
                        .await?;
                }
            }
        }
        if added > 0 {
            tracing::info!(added, "contacts picked up from the exchange table");
        }
        Ok(added)
    }

    /// "Reset statistics": the contacts made from the table are removed and every row
    /// is read again at the next pass. How many rows.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn reset_exchange(&self) -> anyhow::Result<u64> {
        let reset = self.inner.store.reset_exchange().await?;
        self.wake();
        Ok(reset)
    }

    /// The contact a row becomes, in which list, or why it cannot.
    async fn contact_of(
        &self,
        row: &ExchangeRow,
        now: i64,
    ) -> anyhow::Result<Result<(i64, NewContactRow), String>> {
        let store = &self.inner.store;
        let Some(campaign) = store.campaign_by_name(&row.campaign).await? else {
            return Ok(Err(format!("no campaign called {:?}", row.campaign)));
        };
        let list = match store.list_by_name(&row.list).await? {
            Some(list) => list,
            None => {
                crate::admin::create_list(store, now, &row.list, "", &ListSettings::default())
                    .await?
            }
        };
        store.attach_list(campaign.id, list.id).await?;
        let settings: ListSettings = serde_json::from_str(&list.settings).unwrap_or_default();
        let (e164, zone) = match settings.read_number(&row.phone_number) {
            Ok(read) => read,
            Err(reason) => return Ok(Err(reason)),
        };
        // The screen pop's data: its fields when it is a JSON object, else as `data`.
        let variables = match serde_json::from_str::<serde_json::Value>(&row.data) {
            Ok(object @ serde_json::Value::Object(_)) => object,
            _ => serde_json::json!({ "data": row.data }),
        };
        Ok(Ok((
            list.id,
            NewContactRow {
                line: 0,
                numbers: vec![e164],
                variables: variables.to_string(),
                time_zone: zone,
                next_at_ms: now,
                schedule_extension: None,
                external_id: Some(row.id.clone()),
            },
        )))
    }
}
