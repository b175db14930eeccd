//! Ringhost's web panel: people sign in and run the host from pages rendered by the
//! server (askama templates, escaped by default; htmx vendored and embedded; every form
//! works without JavaScript), in Italian and English.
//!
//! - [`password`]: argon2id hashes; [`role`]: what a user is to the panel;
//!   [`language`]: the two languages and every text of the pages.
//! - [`session`]: sessions in the store behind an HttpOnly cookie, anti-forgery
//!   tokens, the signed-in user as an extractor; [`throttle`]: failed sign-ins.
//! - [`pages`]: the pages (sign-in, home, the admin's lists: created, and a list's
//!   counts and CSV import with its refused rows; the users); [`assets`]: the embedded
//!   static files.
//! - [`users`]: users created, their passwords changed, listed, disabled (for the
//!   command line and the pages).
//!
//! It knows the dialer's operations and the store's reads, never SQL.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use ringhost_dialer::scheduler::Dialer;
use ringhost_store::Store;

use crate::pages::{
    agents, campaigns, contacts, desk, keys, lists, missed, plugins, reports, supervisor,
    templates, trunks, wallboard,
};

pub mod assets;
pub mod campaign_form;
pub mod exports;
pub mod feed;
pub mod language;
pub mod pages;
pub mod password;
pub mod session;
pub mod throttle;
pub mod users;

/// The largest CSV the import form takes (a list of a few hundred thousand contacts).
const IMPORT_LIMIT: usize = 64 << 20;

/// The largest plugin package an upload takes (JavaScript components, the largest,
/// are about 12 MB).
const PACKAGE_LIMIT: usize = 64 << 20;

/// How the panel is served.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// Cookies carry `Secure` (the panel is served over TLS, by a proxy in front).
    pub secure_cookies: bool,
    /// The zone the pages show and read dates and times in.
    pub time_zone: chrono_tz::Tz,
    /// The registrar's digest realm: phone accounts made here are hashed for it.
    pub phone_realm: String,
    /// The secret that opens the wallboard; `None`: no wallboard.
    pub wallboard_token: Option<String>,
    /// The reasons an agent picks from to pause at their desk.
    pub pause_reasons: Vec<String>,
    /// When the live pages colour an agent or raise a queue's alarm.
    pub alerts: Alerts,
}

/// How long an agent may stay in a state before the supervisor's board colours their
/// row, and a call may wait in a queue before the wallboard's alarm; seconds, 0 for
/// never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alerts {
    /// Ready, waiting for a call (the dialer may be starved).
    pub ready_s: u32,
    /// On one call.
    pub on_call_s: u32,
    /// In wrap-up.
    pub wrap_up_s: u32,
    /// Paused.
    pub paused_s: u32,
    /// The longest wait of a queue's answered call for an agent.
    pub queue_wait_s: u32,
}

impl Alerts {
    /// Milliseconds an agent may stay in `state` before the alert; 0 for never.
    pub fn after_ms(&self, state: ringhost_dialer::agents::AgentState) -> i64 {
        use ringhost_dialer::agents::AgentState as S;
        let seconds = match state {
            S::Ready => self.ready_s,
            S::OnCall => self.on_call_s,
            S::WrapUp => self.wrap_up_s,
            S::Paused => self.paused_s,
            S::Present | S::LoggedOut => 0,
        };
        i64::from(seconds) * 1000
    }
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            ready_s: 300,
            on_call_s: 900,
            wrap_up_s: 120,
            paused_s: 900,
            queue_wait_s: 30,
        }
    }
}

impl WebSettings {
    /// Reads an IANA time zone name (`Europe/Rome`) for [`WebSettings::time_zone`].
    ///
    /// # Errors
    /// When the name is not a zone of the IANA database.
    pub fn zone(name: &str) -> anyhow::Result<chrono_tz::Tz> {
        name.parse()
            .map_err(|_| anyhow::anyhow!("`{name}` is not an IANA time zone (such as Europe/Rome)"))
    }
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            idle_timeout: Duration::from_secs(30 * 60),
            secure_cookies: false,
            time_zone: chrono_tz::Europe::Rome,
            phone_realm: "ringhost".to_owned(),
            wallboard_token: None,
            pause_reasons: ["break", "lunch", "training", "meeting", "back office"]
                .map(String::from)
                .to_vec(),
            alerts: Alerts::default(),
        }
    }
}

/// What the pages share.
#[derive(Clone)]
pub struct WebState {
    /// The database (users, sessions, and what the pages read).
    pub store: Store,
    /// What the pages' changes go through.
    pub dialer: Dialer,
    /// How the panel is served.
    pub settings: WebSettings,
    /// Failed sign-ins.
    pub throttle: Arc<throttle::Throttle>,
    /// The trunks the host runs with, for the trunks page (`None` where no SIP
    /// endpoint runs).
    pub trunks: Option<TrunkBoard>,
    /// The live boards pages follow.
    pub feeds: Arc<feed::Feeds>,
    /// The report exports running and done.
    pub exports: Arc<exports::Exports>,
}

/// The trunks the host runs with, as the trunks page shows them.
#[derive(Clone)]
pub struct TrunkBoard {
    /// The running trunks and routes, with their state.
    pub trunks: Arc<ringhost_sip::Trunks>,
    /// The names of the configuration file's trunks (read-only in the panel; the
    /// others came from the store).
    pub from_file: Vec<String>,
}

/// The panel's routes, to be merged with the API's; unknown paths get the 404 page.
/// The server must provide `ConnectInfo<SocketAddr>` (sign-in logs the address).
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::sign_in_form).post(pages::sign_in))
        .route("/signout", post(pages::sign_out))
        .route("/home", get(pages::home))
        .route("/admin/lists", get(lists::lists).post(lists::create_list))
        .route("/admin/lists/{name}", get(lists::list))
        .route(
            "/admin/users",
            get(pages::users::users_list).post(pages::users::create_user),
        )
        .route(
            "/admin/users/{name}/disable",
            post(pages::users::disable_user),
        )
        .route(
            "/admin/lists/{name}/import",
            post(lists::import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route(
            "/admin/campaigns",
            get(campaigns::campaigns).post(campaigns::create_campaign),
        )
        .route("/admin/campaigns/new", get(campaigns::new_campaign))
        .route("/admin/campaigns/{id}", get(campaigns::campaign))
        .route("/admin/campaigns/{id}/counters", get(campaigns::counters))
        .route("/admin/campaigns/{id}/attempts", get(campaigns::attempts))
        .route(
            "/admin/campaigns/{id}/edit",
            get(campaigns::edit_campaign).post(campaigns::update_campaign),
        )
        .route(
            "/admin/campaigns/{id}/more-attempts",
            post(campaigns::more_attempts),
        )
        .route("/admin/campaigns/{id}/{command}", post(campaigns::command))
        .route("/admin/lists/{name}/contacts", get(contacts::contacts))
        .route(
            "/admin/lists/{name}/do-not-call",
            get(contacts::list_do_not_call).post(contacts::add_list_do_not_call),
        )
        .route(
            "/admin/do-not-call",
            get(contacts::global_do_not_call).post(contacts::add_global_do_not_call),
        )
        .route("/admin/keys", get(keys::keys).post(keys::create_key))
        .route("/admin/keys/{name}/revoke", post(keys::revoke_key))
        .route(
            "/admin/templates",
            get(templates::templates).post(templates::save_template),
        )
        .route("/admin/templates/new", get(templates::new_template))
        .route("/admin/templates/{name}", get(templates::edit_template))
        .route(
            "/admin/agents",
            get(agents::agents).post(agents::create_agent),
        )
        .route("/admin/agents/{name}/phone", post(agents::set_phone))
        .route("/admin/queues", post(agents::add_member))
        .route(
            "/admin/queues/{queue}/{agent}/remove",
            post(agents::remove_member),
        )
        .route(
            "/admin/trunks",
            get(trunks::trunks).post(trunks::save_trunk),
        )
        .route("/admin/trunks/new", get(trunks::new_trunk))
        .route("/admin/trunks/{name}", get(trunks::edit_trunk))
        .route(
            "/admin/plugins",
            get(plugins::plugins)
                .post(plugins::upload_plugin)
                .layer(DefaultBodyLimit::max(PACKAGE_LIMIT)),
        )
        .route("/agent", get(desk::desk))
        .route("/agent/events", get(desk::desk_events))
        .route("/agent/state", post(desk::set_state))
        .route("/agent/disposition", post(desk::set_disposition))
        .route("/agent/call", post(desk::call))
        .route("/missed", get(missed::missed))
        .route("/missed/manage", get(missed::manage))
        .route("/missed/flush", post(missed::flush))
        .route("/missed/{id}", get(missed::detail))
        .route("/missed/{id}/{action}", post(missed::act))
        .route("/reports", get(reports::index))
        .route("/reports/{name}", get(reports::report))
        .route("/reports/{name}/exports", post(reports::start_export))
        .route("/reports/exports/{id}", get(reports::export_page))
        .route("/reports/exports/{id}/status", get(reports::export_status))
        .route("/reports/exports/{id}/file", get(reports::export_file))
        .route("/supervisor", get(supervisor::supervisor))
        .route(
            "/supervisor/agents/{name}/monitor",
            post(supervisor::monitor),
        )
        .route(
            "/supervisor/agents/{name}/monitor/stop",
            post(supervisor::stop_monitor),
        )
        .route("/supervisor/events", get(supervisor::board_events))
        .route(
            "/supervisor/agents/{name}/state",
            post(supervisor::set_agent_state),
        )
        .route("/wallboard", get(wallboard::wallboard))
        .route("/wallboard/events", get(wallboard::wallboard_events))
        .route("/assets/{file}", get(assets::asset))
        .fallback(pages::not_found)
        .with_state(state)
}

/// Wall-clock milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::WebSettings;

    #[test]
    fn a_zone_is_read_by_its_iana_name_and_a_wrong_one_is_named() {
        assert_eq!(
            WebSettings::zone("America/New_York").unwrap(),
            chrono_tz::America::New_York
        );
        let error = WebSettings::zone("Europe/Milano").unwrap_err().to_string();
        assert!(error.contains("Europe/Milano"), "{error}");
    }
}
