//! `ringhost plugin`: plugin packages from the command line.

use std::fmt::Write as _;
use std::path::Path;

use ringhost_plugins::crm::ConnectorPlugin;
use ringhost_plugins::disposition::MapperPlugin;
use ringhost_plugins::ivr::IvrPlugin;
use ringhost_plugins::pacer::PacerPlugin;
use ringhost_plugins::{Kind, Limits, Package, PluginEngine};

/// Reads, compiles and instantiates a package as the host would; what it found.
pub(crate) fn check(path: &Path) -> anyhow::Result<String> {
    let package = Package::read(path)?;
    let manifest = &package.manifest;
    let mut report = String::new();
    writeln!(report, "name: {}", manifest.name)?;
    writeln!(report, "version: {}", manifest.version)?;
    writeln!(report, "kind: {}", manifest.kind.world())?;
    writeln!(report, "wit: ringhost:plugin@{}", manifest.wit)?;
    writeln!(
        report,
        "component: {} ({} bytes)",
        manifest.component_file(),
        package.component.len()
    )?;
    if !manifest.capabilities.allowed_hosts.is_empty() {
        writeln!(
            report,
            "allowed hosts: {}",
            manifest.capabilities.allowed_hosts.join(", ")
        )?;
    }
    for (key, value) in &manifest.config {
        writeln!(report, "config: {key} = {value:?}")?;
    }
    let engine = PluginEngine::new(None, Limits::default())?;
    let kv = Default::default();
    match manifest.kind {
        Kind::Pacer => drop(PacerPlugin::load(&engine, &package, kv)?),
        Kind::DispositionMapper => drop(MapperPlugin::load(&engine, &package, kv)?),
        Kind::Ivr => drop(IvrPlugin::load(&engine, &package, kv)?),
        Kind::CrmConnector => drop(ConnectorPlugin::load(&engine, &package, kv)?),
    }
    writeln!(
        report,
        "world {}: ok (compiled, imports satisfied, exports present, started)",
        manifest.kind.world()
    )?;
    Ok(report)
}
