//! A pacer asked once, outside the host, with a snapshot written by hand
//! (`ringhost plugin pace`): to see what a pacer does with agents and calls that no
//! phone has to produce.
//!
//! The file is JSON with the WIT names of the pacer world's `snapshot` record and its
//! `parameters` (`agents-ready`, `parameters.ratio-percent`, ...). A field left out
//! takes the value a default campaign would send, and a field the record does not have
//! is refused: a misspelt name must not silently read as zero agents.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{AgentBasis, PacerPlugin, Parameters, Snapshot};
use crate::{Limits, Package, PluginEngine};

/// The pacer world's `snapshot` record as JSON.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
struct SnapshotFile {
    campaign: String,
    agents_ready: u32,
    agents_present: u32,
    agents_busy: u32,
    calls_dialing: u32,
    calls_ringing: u32,
    calls_queued: u32,
    answer_rate: f64,
    abandon_rate: f64,
    mean_handle_ms: u64,
    channel_headroom: u32,
    parameters: ParametersFile,
}

impl Default for SnapshotFile {
    fn default() -> Self {
        SnapshotFile {
            campaign: "campaign".to_owned(),
            agents_ready: 0,
            agents_present: 0,
            agents_busy: 0,
            calls_dialing: 0,
            calls_ringing: 0,
            calls_queued: 0,
            answer_rate: 0.0,
            abandon_rate: 0.0,
            mean_handle_ms: 0,
            // What the ledger gives a campaign when no channel limit is set.
            channel_headroom: u32::MAX,
            parameters: ParametersFile::default(),
        }
    }
}

/// The pacer world's `parameters` record as JSON; `extra` is an object of strings.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
struct ParametersFile {
    ratio_percent: u32,
    ratio_on: RatioOn,
    multiplier: f64,
    only_when_agents_free: bool,
    target_abandon_rate: f64,
    max_calls: u32,
    extra: BTreeMap<String, String>,
}

/// The defaults of a campaign's `pacing` settings (`ringhost_dialer::settings::Pacing`).
impl Default for ParametersFile {
    fn default() -> Self {
        ParametersFile {
            ratio_percent: 0,
            ratio_on: RatioOn::Ready,
            multiplier: 1.0,
            only_when_agents_free: false,
            target_abandon_rate: 0.03,
            max_calls: 0,
            extra: BTreeMap::new(),
        }
    }
}

/// `agent-basis`, as the WIT writes its cases.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RatioOn {
    Ready,
    Present,
}

impl From<SnapshotFile> for Snapshot {
    fn from(file: SnapshotFile) -> Snapshot {
        let p = file.parameters;
        Snapshot {
            campaign: file.campaign,
            agents_ready: file.agents_ready,
            agents_present: file.agents_present,
            agents_busy: file.agents_busy,
            calls_dialing: file.calls_dialing,
            calls_ringing: file.calls_ringing,
            calls_queued: file.calls_queued,
            answer_rate: file.answer_rate,
            abandon_rate: file.abandon_rate,
            mean_handle_ms: file.mean_handle_ms,
            channel_headroom: file.channel_headroom,
            parameters: Parameters {
                ratio_percent: p.ratio_percent,
                ratio_on: match p.ratio_on {
                    RatioOn::Ready => AgentBasis::Ready,
                    RatioOn::Present => AgentBasis::Present,
                },
                multiplier: p.multiplier,
                only_when_agents_free: p.only_when_agents_free,
                target_abandon_rate: p.target_abandon_rate,
                max_calls: p.max_calls,
                extra: p.extra.into_iter().collect(),
            },
        }
    }
}

/// Reads a snapshot written as JSON.
///
/// # Errors
/// When the text is not JSON of the snapshot's shape: an unknown field (named, with
/// its path and the fields there are), a value of the wrong type, a bad `ratio-on`.
pub fn read_snapshot(json: &str) -> anyhow::Result<Snapshot> {
    let mut reader = serde_json::Deserializer::from_str(json);
    let file: SnapshotFile = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        // The path is `.` at the top: the inner error already says where.
        match e.path().to_string().as_str() {
            "." => anyhow::anyhow!("{}", e.inner()),
            path => anyhow::anyhow!("{path}: {}", e.inner()),
        }
    })?;
    // Nothing but white space may follow the object.
    reader.end()?;
    Ok(file.into())
}

/// What a pacer package answered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    /// The plugin's `name@version`.
    pub plugin: String,
    /// The calls it asks for, before the host clamps them to `channel-headroom`.
    pub calls: u32,
}

/// Loads the pacer package at `path` as the host does (manifest, settings, compiled,
/// linked, started once under the default limits, an empty key-value store) and asks
/// it once. Unlike the host, a failing call is the answer's error, not the built-in
/// pacer's number: the point is to see what the plugin does.
///
/// # Errors
/// When the package cannot be loaded as a pacer, or the call traps, runs past its
/// deadline or over its memory limit.
pub fn ask(path: &Path, snapshot: &Snapshot) -> anyhow::Result<Answer> {
    let package = Package::read(path)?;
    let engine = PluginEngine::new(None, Limits::default())?;
    let plugin = PacerPlugin::load(&engine, &package, Default::default())?;
    let calls = plugin
        .pace(snapshot)
        .map_err(|e| anyhow::anyhow!("{}: pace {e}", plugin.label()))?;
    Ok(Answer {
        plugin: plugin.label().to_owned(),
        calls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_fields_take_a_default_campaign_s_values() {
        let snapshot =
            read_snapshot(r#"{"agents-ready": 4, "parameters": {"ratio-percent": 50}}"#).unwrap();
        assert_eq!(snapshot.agents_ready, 4);
        assert_eq!(snapshot.calls_ringing, 0);
        assert_eq!(snapshot.channel_headroom, u32::MAX);
        assert_eq!(snapshot.parameters.ratio_percent, 50);
        assert_eq!(snapshot.parameters.multiplier, 1.0);
        assert_eq!(snapshot.parameters.ratio_on, AgentBasis::Ready);
        assert_eq!(snapshot.parameters.target_abandon_rate, 0.03);
    }

    #[test]
    fn extra_settings_are_an_object_of_strings() {
        let snapshot =
            read_snapshot(r#"{"parameters": {"ratio-on": "present", "extra": {"gain": "30"}}}"#)
                .unwrap();
        assert_eq!(snapshot.parameters.ratio_on, AgentBasis::Present);
        assert_eq!(
            snapshot.parameters.extra,
            vec![("gain".to_owned(), "30".to_owned())]
        );
    }

    #[test]
    fn an_unknown_field_is_refused_by_its_path() {
        let error = read_snapshot(r#"{"agents-ready": 4, "agent-ready": 5}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("unknown field `agent-ready`") && error.contains("agents-ready"),
            "{error}"
        );
        let error = read_snapshot(r#"{"parameters": {"ratio_percent": 50}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("parameters") && error.contains("unknown field `ratio_percent`"),
            "{error}"
        );
        let error = read_snapshot(r#"{"parameters": {"ratio-on": "everyone"}}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown variant `everyone`"), "{error}");
    }
}
