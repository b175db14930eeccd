//! `plugin.toml`: what a package says about itself. Strict like the host's own
//! configuration: an unknown key is an error, not a silent default.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The WIT package version this host implements; a plugin built for an older
/// compatible version is accepted (see `wit_compatible`).
pub const WIT_VERSION: (u64, u64, u64) = (0, 1, 1);

/// The worlds of `ringhost:plugin`, one per kind of plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Paces a campaign.
    Pacer,
    /// Maps an attempt's result to a disposition.
    DispositionMapper,
    /// Runs an IVR script on an answered call.
    Ivr,
    /// Talks to a CRM.
    CrmConnector,
}

impl Kind {
    /// The world's name in the WIT package.
    pub fn world(self) -> &'static str {
        match self {
            Kind::Pacer => "pacer",
            Kind::DispositionMapper => "disposition-mapper",
            Kind::Ivr => "ivr",
            Kind::CrmConnector => "crm-connector",
        }
    }
}

/// A package's manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    /// The plugin's name: campaigns refer to it by this.
    pub name: String,
    /// Its own version, shown in logs and metrics.
    pub version: String,
    /// Which world it implements.
    pub kind: Kind,
    /// The `ringhost:plugin` version it was built against.
    pub wit: String,
    /// The component's file in the package; `<name>.wasm` when absent.
    #[serde(default)]
    pub component: Option<String>,
    /// What the sandbox lets it do.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Its settings' defaults, which the operator may override.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

/// What a plugin may reach beyond its sandbox. Nothing by default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Capabilities {
    /// Hosts a connector's HTTP requests may go to (`crm.example.com`,
    /// `127.0.0.1:8080`).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

/// Why a manifest is refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not valid TOML, a missing or unknown field.
    #[error("plugin.toml: {0}")]
    Invalid(String),
    /// Built for a WIT version this host does not speak.
    #[error("plugin.toml: built for ringhost:plugin {found}, this host speaks {}.{}.{}", WIT_VERSION.0, WIT_VERSION.1, WIT_VERSION.2)]
    WitVersion {
        /// The manifest's `wit`.
        found: String,
    },
    /// A name that cannot be a file or metric label.
    #[error("plugin.toml: the name {0:?} must be 1 to 64 letters, digits, '-' or '_'")]
    Name(String),
}

impl Manifest {
    /// Parses and checks a manifest.
    ///
    /// # Errors
    /// When it is not valid, names an unusable WIT version, or has a bad name.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| ManifestError::Invalid(e.message().to_owned()))?;
        let valid_name = !manifest.name.is_empty()
            && manifest.name.len() <= 64
            && manifest
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            return Err(ManifestError::Name(manifest.name));
        }
        if !wit_compatible(&manifest.wit) {
            return Err(ManifestError::WitVersion {
                found: manifest.wit,
            });
        }
        Ok(manifest)
    }

    /// The component's file name in the package.
    pub fn component_file(&self) -> String {
        self.component
            .clone()
            .unwrap_or_else(|| format!("{}.wasm", self.name))
    }
}

/// Semver, as the component model links: the same major version; for 0.x, where the
/// minor is the breaking number and the patch the additive one, the same minor and
/// this patch or an older one (0.1.0's pacers load on a 0.1.1 host, a 0.1.2 plugin may
/// call what this host lacks); from 1.x, this minor or an older one.
fn wit_compatible(version: &str) -> bool {
    let parts: Vec<u64> = version.split('.').filter_map(|p| p.parse().ok()).collect();
    let [major, minor, patch] = parts[..] else {
        return false;
    };
    let (our_major, our_minor, our_patch) = WIT_VERSION;
    if major != our_major {
        return false;
    }
    if major == 0 {
        minor == our_minor && patch <= our_patch
    } else {
        minor <= our_minor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_manifest_reads() {
        let manifest = Manifest::parse(
            "name = \"webhook\"\nversion = \"1.2.0\"\nkind = \"crm-connector\"\nwit = \"0.1.0\"\n\
             [capabilities]\nallowed-hosts = [\"crm.example.com\"]\n[config]\nurl = \"https://crm.example.com/hook\"\n",
        )
        .unwrap();
        assert_eq!(manifest.kind, Kind::CrmConnector);
        assert_eq!(manifest.kind.world(), "crm-connector");
        assert_eq!(manifest.component_file(), "webhook.wasm");
        assert_eq!(manifest.capabilities.allowed_hosts, ["crm.example.com"]);
        assert_eq!(manifest.config["url"], "https://crm.example.com/hook");
    }

    #[test]
    fn bad_manifests_are_refused_with_a_reason() {
        let base = "version = \"1\"\nkind = \"pacer\"\nwit = \"0.1.0\"\n";
        for (text, says) in [
            (format!("name = \"x\"\n{base}colour = 1\n"), "unknown field"),
            (
                "name = \"x\"\nversion = \"1\"\nkind = \"dialer\"\nwit = \"0.1.0\"\n".to_owned(),
                "unknown variant",
            ),
            (format!("name = \"../etc\"\n{base}"), "must be 1 to 64"),
            (
                "name = \"x\"\nversion = \"1\"\nkind = \"pacer\"\nwit = \"0.2.0\"\n".to_owned(),
                "this host speaks 0.1.1",
            ),
            (
                "name = \"x\"\nversion = \"1\"\nkind = \"pacer\"\nwit = \"1.0.0\"\n".to_owned(),
                "0.1.1",
            ),
            (
                "name = \"x\"\nversion = \"1\"\nkind = \"pacer\"\nwit = \"0.1.2\"\n".to_owned(),
                "built for ringhost:plugin 0.1.2",
            ),
            (
                "name = \"x\"\nkind = \"pacer\"\nwit = \"0.1.0\"\n".to_owned(),
                "missing field",
            ),
        ] {
            let error = Manifest::parse(&text).unwrap_err().to_string();
            assert!(error.contains(says), "{text}: {error}");
        }
        for built_for in ["0.1.0", "0.1.1"] {
            let text =
                format!("name = \"x\"\nversion = \"1\"\nkind = \"pacer\"\nwit = \"{built_for}\"\n");
            assert!(Manifest::parse(&text).is_ok(), "{built_for}");
        }
    }
}
