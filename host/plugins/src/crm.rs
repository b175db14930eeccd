//! CRM connectors: the screen pop's lookup, results pushed, contacts pulled. The only
//! kind with network access, and only to the hosts its manifest lists: the `http`
//! import refuses any other before a byte leaves, and follows no redirects (a
//! redirect could lead anywhere).

use std::time::Duration;

use wasmtime::component::HasSelf;

use crate::PluginEngine;
use crate::error::{CallError, LoadError};
use crate::instance::{Kept, Loaded};
use crate::manifest::Kind;
use crate::package::Package;
use crate::state::{KvStore, PluginState};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "crm-connector",
        additional_derives: [PartialEq],
        with: {
            "ringhost:plugin/host": crate::pacer::bindings::ringhost::plugin::host,
            "ringhost:plugin/kv": crate::pacer::bindings::ringhost::plugin::kv,
        },
    });
}

pub use bindings::exports::ringhost::plugin::crm::{AttemptRecord, Batch, Contact};
use bindings::ringhost::plugin::http;

/// How long one HTTP exchange may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest response body a connector gets.
const BODY_LIMIT: u64 = 4 << 20;

/// A loaded CRM connector.
pub struct ConnectorPlugin {
    loaded: Loaded,
    pre: bindings::CrmConnectorPre<PluginState>,
    kept: Kept<bindings::CrmConnector>,
}

impl ConnectorPlugin {
    /// Compiles a connector package and checks it against the `crm-connector` world.
    ///
    /// # Errors
    /// When the package is of another kind, does not compile, or does not fit the world.
    pub fn load(
        engine: &PluginEngine,
        package: &Package,
        kv: KvStore,
    ) -> Result<ConnectorPlugin, LoadError> {
        let (loaded, pre) = Loaded::bind(
            engine,
            package,
            Kind::CrmConnector,
            kv,
            |linker| bindings::CrmConnector::add_to_linker::<_, HasSelf<_>>(linker, |s| s),
            bindings::CrmConnectorPre::new,
        )?;
        let plugin = ConnectorPlugin {
            loaded,
            pre,
            kept: Kept::default(),
        };
        plugin
            .kept
            .warm(&plugin.loaded, |store| plugin.pre.instantiate(store))
            .map_err(|e| plugin.loaded.refuse(e))?;
        Ok(plugin)
    }

    /// `name@version`.
    pub fn label(&self) -> &str {
        &self.loaded.label
    }

    /// The contact with this number, for the agent's screen.
    ///
    /// # Errors
    /// When the connector traps or runs out of time; the CRM's own errors are the
    /// inner `Err`.
    pub fn find_contact(
        &self,
        phone_number: &str,
    ) -> Result<Result<Option<Contact>, String>, CallError> {
        self.kept.call(
            &self.loaded,
            |store| self.pre.instantiate(store),
            |crm, store| {
                crm.ringhost_plugin_crm()
                    .call_find_contact(store, phone_number)
            },
        )
    }

    /// Records an attempt's result in the CRM.
    ///
    /// # Errors
    /// As [`ConnectorPlugin::find_contact`].
    pub fn push_result(&self, attempt: &AttemptRecord) -> Result<Result<(), String>, CallError> {
        self.kept.call(
            &self.loaded,
            |store| self.pre.instantiate(store),
            |crm, store| crm.ringhost_plugin_crm().call_push_result(store, attempt),
        )
    }
}

/// Whether `url`'s host (and port) is in `allowed`: an entry `host` allows that host
/// on any port, `host:port` that port only.
fn allowed(url: &ureq::http::Uri, allowed: &[String]) -> bool {
    let Some(host) = url.host() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_u16();
    allowed.iter().any(|entry| match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => {
            h.trim_start_matches('[')
                .trim_end_matches(']')
                .eq_ignore_ascii_case(host)
                && p.parse::<u16>().ok()
                    == Some(port.unwrap_or(if url.scheme_str() == Some("https") {
                        443
                    } else {
                        80
                    }))
        }
        _ => entry
            .trim_start_matches('[')
            .trim_end_matches(']')
            .eq_ignore_ascii_case(host),
    })
}

impl http::Host for PluginState {
    fn send(&mut self, request: http::Request) -> Result<http::Response, http::Error> {
        let uri: ureq::http::Uri = request
            .url
            .parse()
            .map_err(|e| http::Error::InvalidUrl(format!("{e}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(http::Error::InvalidUrl(format!(
                "{}: only http and https",
                request.url
            )));
        }
        if !allowed(&uri, &self.allowed_hosts) {
            let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
            self.log(
                tracing::Level::WARN,
                &format!("HTTP to {host} refused: not in the manifest's allowed hosts"),
            );
            return Err(http::Error::NotAllowed(host));
        }
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(uri);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let built = builder
            .body(request.body)
            .map_err(|e| http::Error::InvalidUrl(format!("{e}")))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(HTTP_TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut response = agent.run(built).map_err(|e| match e {
            ureq::Error::Timeout(_) => http::Error::Timeout,
            other => http::Error::Transport(other.to_string()),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
            .map_err(|e| http::Error::Transport(e.to_string()))?;
        Ok(http::Response {
            status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_hosts_and_ports_are_allowed() {
        let list = [
            "crm.example.com".to_owned(),
            "127.0.0.1:8080".to_owned(),
            "[::1]:9000".to_owned(),
        ];
        let ok = |url: &str| allowed(&url.parse().unwrap(), &list);
        assert!(ok("https://crm.example.com/api"));
        assert!(
            ok("http://CRM.example.com:8443/api"),
            "a host without a port allows any port"
        );
        assert!(ok("http://127.0.0.1:8080/hook"));
        assert!(!ok("http://127.0.0.1:8081/hook"), "another port");
        assert!(!ok("http://127.0.0.1/hook"), "port 80 is not 8080");
        assert!(ok("http://[::1]:9000/"));
        assert!(!ok("https://evil.example.com/"));
        assert!(!ok("https://crm.example.com.evil.example/"));
    }
}
