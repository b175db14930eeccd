//! The plugins (admins only): the packages serving with their version, kind and WIT
//! version, the history of loads, reloads, refusals and removals, and the upload of a
//! `.tar.gz` package, checked exactly as a load checks it before it is installed.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ringhost_http::role::Role;
use ringhost_plugins::{InstallError, ReloadOutcome};

use super::campaigns::moment;
use super::{Frame, read_upload, render};
use crate::WebState;
use crate::session::Signed;

/// A serving plugin as the table shows it.
struct PluginLine {
    name: String,
    version: String,
    kind: &'static str,
    wit: String,
    package: String,
    since: String,
}

/// A history entry as the table shows it.
struct ReloadLine {
    at: String,
    package: String,
    plugin: String,
    outcome: ReloadOutcome,
}

impl ReloadLine {
    /// The row's class, for its colour.
    fn class(&self) -> &'static str {
        match self.outcome {
            ReloadOutcome::Loaded => "loaded",
            ReloadOutcome::Replaced(_) => "replaced",
            ReloadOutcome::Refused(_) => "refused",
            ReloadOutcome::Removed => "removed",
        }
    }
}

/// What an upload did.
enum Upload {
    Installed(String),
    Refused(String),
}

#[derive(Template)]
#[template(path = "plugins.html")]
struct PluginsPage {
    frame: Frame,
    csrf: String,
    /// The plugins folder, or `None` when the host runs without one.
    folder: Option<String>,
    plugins: Vec<PluginLine>,
    history: Vec<ReloadLine>,
    upload: Option<Upload>,
}

/// The last part of a package's path: the folder or archive name in the plugins folder.
fn package_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn plugins_page(
    state: &WebState,
    signed: &Signed,
    status: StatusCode,
    upload: Option<Upload>,
) -> Response {
    let zone = state.settings.time_zone;
    let registry = state.dialer.plugins();
    let plugins = registry
        .map(|r| r.loaded())
        .unwrap_or_default()
        .into_iter()
        .map(|loaded| PluginLine {
            kind: loaded.manifest.kind.world(),
            package: package_name(&loaded.package),
            since: moment(loaded.at_ms, zone),
            name: loaded.manifest.name,
            version: loaded.manifest.version,
            wit: loaded.manifest.wit,
        })
        .collect();
    let history = registry
        .map(|r| r.history())
        .unwrap_or_default()
        .into_iter()
        .map(|reload| ReloadLine {
            at: moment(reload.at_ms, zone),
            package: package_name(&reload.package),
            plugin: reload.plugin.unwrap_or_default(),
            outcome: reload.outcome,
        })
        .collect();
    let page = PluginsPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        folder: registry.map(|r| r.folder().display().to_string()),
        plugins,
        history,
        upload,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/plugins`: what serves, what happened, and the upload form.
pub async fn plugins(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
        return refused;
    }
    plugins_page(&state, &signed, StatusCode::OK, None)
}

/// `POST /admin/plugins`: installs an uploaded package (a multipart form: `csrf`, then
/// the file `package`) after checking it as a load would; a refused package is shown
/// with its reason and nothing is written.
pub async fn upload_plugin(
    State(state): State<WebState>,
    signed: Signed,
    form: Multipart,
) -> Response {
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
        return refused;
    }
    let (csrf, package) = match read_upload(form, "package", &signed).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    if let Some(refused) = signed.refuse_forged(&csrf) {
        return refused;
    }
    let language = signed.language;
    let Some(registry) = state.dialer.plugins().cloned() else {
        let why = language.pick((
            "Questo host non ha una cartella dei plugin.",
            "This host has no plugins folder.",
        ));
        return plugins_page(
            &state,
            &signed,
            StatusCode::CONFLICT,
            Some(Upload::Refused(why.into())),
        );
    };
    let Some(package) = package.filter(|p| !p.is_empty()) else {
        let why = language.text().no_file;
        return plugins_page(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Upload::Refused(why.into())),
        );
    };
    // Compiling a component takes a core for up to seconds: off the async workers.
    let installed = tokio::task::spawn_blocking(move || registry.install(&package)).await;
    match installed {
        Ok(Ok(loaded)) => {
            let label = format!("{}@{}", loaded.manifest.name, loaded.manifest.version);
            tracing::info!(by = %signed.user.name, plugin = %label, "plugin package installed from the web panel");
            plugins_page(
                &state,
                &signed,
                StatusCode::OK,
                Some(Upload::Installed(label)),
            )
        }
        Ok(Err(error)) => {
            tracing::warn!(by = %signed.user.name, %error, "plugin upload refused");
            let status = match error {
                InstallError::Write { .. } => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            plugins_page(
                &state,
                &signed,
                status,
                Some(Upload::Refused(error.to_string())),
            )
        }
        Err(error) => {
            tracing::error!(%error, "a plugin upload's check failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
