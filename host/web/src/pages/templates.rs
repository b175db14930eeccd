//! Campaign templates (Kalliope's "modelli"): listed, made and edited with the same
//! fields as a campaign; a campaign is then made from one and overrides what it must.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_store::campaign::TemplateRow;

use super::campaigns::{SectionView, sections};
use super::{Frame, failed, path_segment, render};
use crate::WebState;
use crate::campaign_form::{self, Extent, Problem, Values};
use crate::session::Signed;

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage {
    frame: Frame,
    templates: Vec<TemplateRow>,
    may_change: bool,
}

/// `GET /admin/templates`: the templates.
pub async fn templates(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless_may("listTemplates") {
        return refused;
    }
    match state.store.templates().await {
        Ok(templates) => render(&TemplatesPage {
            frame: Frame::of(&signed),
            templates,
            may_change: signed.role.allows("putTemplate"),
        }),
        Err(error) => failed(&error, "cannot read the templates"),
    }
}

#[derive(Template)]
#[template(path = "template_form.html")]
struct TemplateForm {
    frame: Frame,
    csrf: String,
    /// The template's name; a new one when empty.
    name: String,
    editing: bool,
    name_error: Option<String>,
    sections: Vec<SectionView>,
    problems: usize,
}

#[allow(clippy::too_many_arguments)]
fn template_form(
    signed: &Signed,
    status: StatusCode,
    name: String,
    editing: bool,
    name_error: Option<String>,
    values: &Values,
    problems: &[(&'static str, Problem)],
) -> Response {
    let page = TemplateForm {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        problems: problems.len() + usize::from(name_error.is_some()),
        name,
        editing,
        name_error,
        sections: sections(values, problems, signed.language),
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/templates/new`: the form of a new template, with the defaults.
pub async fn new_template(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless_may("putTemplate") {
        return refused;
    }
    let values = campaign_form::values(
        &serde_json::json!({}),
        state.settings.time_zone,
        signed.language,
    );
    template_form(
        &signed,
        StatusCode::OK,
        String::new(),
        false,
        None,
        &values,
        &[],
    )
}

/// `GET /admin/templates/{name}`: a template's form.
pub async fn edit_template(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("putTemplate") {
        return refused;
    }
    let row = match state.store.template_by_name(&name).await {
        Ok(Some(row)) => row,
        Ok(None) => return signed.not_found(),
        Err(error) => return failed(&error, "cannot read a template"),
    };
    let settings = serde_json::from_str(&row.settings).unwrap_or_default();
    let values = campaign_form::values(&settings, state.settings.time_zone, signed.language);
    template_form(&signed, StatusCode::OK, name, true, None, &values, &[])
}

/// `POST /admin/templates`: saves a template (made, or replaced when its name
/// exists), each wrong field beside itself.
pub async fn save_template(
    State(state): State<WebState>,
    signed: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut values = Values::new();
    let (mut csrf, mut name, mut editing) = (String::new(), String::new(), false);
    for (key, value) in pairs {
        match key.as_str() {
            "csrf" => csrf = value,
            "name" => name = value.trim().to_owned(),
            "editing" => editing = true,
            _ => {
                values.insert(key, value);
            }
        }
    }
    let refused = signed.refuse_unless_may("putTemplate");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&csrf)) {
        return refused;
    }
    let language = signed.language;
    let name_error = if name.is_empty() {
        Some(language.text().required.to_owned())
    } else if !editing && matches!(state.store.template_by_name(&name).await, Ok(Some(_))) {
        Some(language.text().taken.to_owned())
    } else {
        None
    };
    let settings = campaign_form::settings(&values, state.settings.time_zone, Extent::Part);
    let settings = match (settings, name_error) {
        (Ok(settings), None) => settings,
        (settings, name_error) => {
            let problems = settings.err().unwrap_or_default();
            return template_form(
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                name,
                editing,
                name_error,
                &values,
                &problems,
            );
        }
    };
    let saved = state
        .store
        .put_template(&name, &settings.to_string(), state.dialer.now_ms())
        .await;
    match saved {
        Ok(_) => {
            tracing::info!(by = %signed.user.name, template = %name, "template saved from the web panel");
            Redirect::to(&format!("/admin/templates/{}", path_segment(&name))).into_response()
        }
        Err(error) => failed(&error, "cannot save a template"),
    }
}
