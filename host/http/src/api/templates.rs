//! Campaign templates: named settings that campaigns start from, so that an operator
//! sets a campaign kind's trunk route, hours and retries once.

use axum::extract::State;
use ringhost_dialer::settings::CampaignSettings;
use ringhost_store::campaign::TemplateRow;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::schemas::CampaignSettingsDoc;
use super::{ApiError, Json, Path};
use crate::AppState;

/// A campaign template.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TemplateView {
    /// Its id.
    id: i64,
    /// Its unique name.
    name: String,
    /// The settings it gives, as stored: only those it names.
    #[schema(value_type = CampaignSettingsDoc)]
    settings: Value,
}

impl TemplateView {
    fn of(row: TemplateRow) -> anyhow::Result<TemplateView> {
        Ok(TemplateView {
            settings: serde_json::from_str(&row.settings)?,
            id: row.id,
            name: row.name,
        })
    }
}

/// Every campaign template, by name.
#[utoipa::path(
    get,
    path = "/api/v1/templates",
    operation_id = "listTemplates",
    tag = "templates",
    responses((status = 200, description = "Every template", body = [TemplateView]))
)]
pub(crate) async fn list_templates(
    State(state): State<AppState>,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    let rows = state.store.templates().await?;
    let views = rows
        .into_iter()
        .map(TemplateView::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(views))
}

/// Creates or replaces a campaign template.
///
/// The body is the settings object. It is kept as given, so a campaign made from the
/// template gets the defaults of the fields it leaves out as they are then; it is
/// checked against the settings' fields and types first, so that a typo is refused now
/// rather than when a campaign is created from it.
#[utoipa::path(
    put,
    path = "/api/v1/templates/{name}",
    operation_id = "putTemplate",
    tag = "templates",
    params(("name" = String, Path, description = "The template's name")),
    request_body = CampaignSettingsDoc,
    responses(
        (status = 200, description = "The template", body = TemplateView),
        (status = 400, description = "Settings that do not parse", body = ErrorBody),
    )
)]
pub(crate) async fn put_template(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(settings): Json<Map<String, Value>>,
) -> Result<Json<TemplateView>, ApiError> {
    let settings = Value::Object(settings);
    serde_json::from_value::<CampaignSettings>(settings.clone())
        .map_err(|e| ApiError::invalid(format!("campaign settings: {e}")))?;
    let id = state
        .store
        .put_template(&name, &settings.to_string(), state.dialer.now_ms())
        .await?;
    Ok(Json(TemplateView { id, name, settings }))
}
