//! A pacer package run as the host runs it: compiled by the plugin engine, asked with
//! the scheduler's snapshot (and the floor and measurements, when it looks ahead), its
//! failures answered by the built-in progressive pacer.
//! Its `now-ms` reads the simulation's clock (as milliseconds since a fixed start),
//! and each shift starts it afresh: a new instance and an empty key-value store.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ringhost_plugins::pacer::{PacerPlugin, pace};
use ringhost_plugins::{KvStore, Limits, PluginClock, PluginEngine};

use crate::engine::{SHIFT_START_MS, View};

use super::Pacer;

/// A pacer package in simulated time.
pub struct PluginPacer {
    plugin: PacerPlugin,
    kv: KvStore,
    now: Arc<AtomicU64>,
    extra: Vec<(String, String)>,
    // Kept alive while the plugin runs: its epoch thread times each call.
    _engine: PluginEngine,
}

impl PluginPacer {
    /// Loads the package at `path` (a folder or `.tar.gz`), to be run with `extra` as
    /// the campaign's pacing parameters.
    ///
    /// # Errors
    /// When it cannot be read, is no pacer, or does not compile.
    pub fn load(path: &Path, extra: Vec<(String, String)>) -> anyhow::Result<PluginPacer> {
        let package = ringhost_plugins::Package::read(path)?;
        let engine = PluginEngine::new(None, Limits::default())?;
        let kv = KvStore::default();
        let now = Arc::new(AtomicU64::new(SHIFT_START_MS));
        let plugin = PacerPlugin::load_on(
            &engine,
            &package,
            kv.clone(),
            PluginClock::Manual(now.clone()),
        )?;
        Ok(PluginPacer {
            plugin,
            kv,
            now,
            extra,
            _engine: engine,
        })
    }
}

impl Pacer for PluginPacer {
    fn name(&self) -> String {
        self.plugin.label().to_owned()
    }

    fn extra(&self) -> Vec<(String, String)> {
        self.extra.clone()
    }

    fn looks_ahead(&self) -> bool {
        self.plugin.looks_ahead()
    }

    fn reset(&mut self) -> anyhow::Result<()> {
        self.kv
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.now.store(SHIFT_START_MS, Ordering::Relaxed);
        self.plugin.renew();
        Ok(())
    }

    fn pace(&mut self, view: &View<'_>) -> u32 {
        self.now
            .store(SHIFT_START_MS + view.now_ms, Ordering::Relaxed);
        pace(Some(&self.plugin), view.snapshot, view.ahead)
    }
}
