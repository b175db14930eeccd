//! The plugin runtime against real components, built from source for wasm32-wasip2 by
//! the test itself: the first-party `progressive` pacer (plugins/) and a guest that
//! misbehaves on request (tests/plugins/misbehave).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringhost_plugins::crm::{AttemptRecord, ConnectorPlugin};
use ringhost_plugins::disposition::wit::Outcome;
use ringhost_plugins::disposition::{self, AttemptResult, MapperPlugin, RetryPolicy};
use ringhost_plugins::ivr::{Action, Collect, Event, IvrPlugin};
use ringhost_plugins::pacer::{
    self, AgentBasis, Ahead, Floor, Measured, PacerPlugin, Parameters, Sample, Snapshot, Window,
};
use ringhost_plugins::{
    CallError, InstallError, KvStore, Limits, LoadError, Package, PluginEngine, PluginRegistry,
    ReloadOutcome,
};

#[path = "../../../tests/support/crm.rs"]
mod crm;
#[path = "../../../tests/support/guests.rs"]
mod guests;

use guests::{build, package};

fn kv() -> KvStore {
    Arc::default()
}

fn snapshot(ready: u32, dialing: u32, ringing: u32, queued: u32) -> Snapshot {
    Snapshot {
        campaign: "spring-sale".into(),
        agents_ready: ready,
        agents_present: ready + 2,
        agents_busy: 2,
        calls_dialing: dialing,
        calls_ringing: ringing,
        calls_queued: queued,
        answer_rate: 0.4,
        abandon_rate: 0.01,
        mean_handle_ms: 180_000,
        channel_headroom: 30,
        parameters: Parameters {
            ratio_percent: 0,
            ratio_on: AgentBasis::Ready,
            multiplier: 1.0,
            only_when_agents_free: true,
            target_abandon_rate: 0.03,
            max_calls: 0,
            extra: Vec::new(),
        },
    }
}

fn engine(limits: Limits) -> PluginEngine {
    PluginEngine::new(None, limits).unwrap()
}

fn misbehaving(dir: &Path, name: &str, config: &[(&str, &str)]) -> Package {
    let wasm = build("tests/plugins").join("misbehave.wasm");
    Package::read(&package(dir, name, "pacer", &wasm, config)).unwrap()
}

#[test]
fn the_progressive_plugin_answers_like_the_built_in_pacer() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = build("plugins").join("progressive.wasm");
    let package = Package::read(&package(dir.path(), "progressive", "pacer", &wasm, &[])).unwrap();
    let plugin = PacerPlugin::load(&engine(Limits::default()), &package, kv()).unwrap();
    assert_eq!(plugin.label(), "progressive@1.0.0");
    for (ready, dialing, ringing, queued) in [
        (5, 0, 0, 0),
        (5, 1, 2, 0),
        (3, 2, 2, 1),
        (0, 0, 0, 0),
        (10, 0, 3, 0),
    ] {
        let s = snapshot(ready, dialing, ringing, queued);
        assert_eq!(
            plugin.pace(&s).unwrap(),
            pacer::progressive(&s),
            "{ready} ready, {dialing}+{ringing}+{queued} on their way"
        );
    }
    assert_eq!(plugin.pace(&snapshot(5, 1, 2, 0)).unwrap(), 2);
}

/// What a look-ahead pacer is asked with: `talking` agents five seconds into their
/// calls, nothing ringing, `dials` counted of which 30% a person answered.
fn ahead(talking: usize, dials: u64) -> Ahead {
    let none = Sample {
        count: 0,
        mean_ms: 0.0,
        cv: 0.0,
    };
    Ahead {
        floor: Floor {
            ringing_ms: Vec::new(),
            talking_ms: vec![5_000; talking],
            wrap_left_ms: Vec::new(),
        },
        measured: Measured {
            dials,
            person_rate: 0.3,
            answer: none,
            talk: none,
            talks_ended: 0,
            talks_ended_ms: 0,
            wrap_ms: 10_000,
            grace_ms: 2_000,
            ring_timeout_ms: 25_000,
        },
        window: Window {
            since_ms: 0,
            answered: 0,
            abandoned: 0,
        },
    }
}

/// A pacer built for ringhost:plugin 0.1.0 (its imports and export named @0.1.0, from
/// the frozen WIT in tests/plugins/pacer-0-1-0) loads on this 0.1.1 host, reaches its
/// settings and key-value store, and is asked through `pacing` even where the host
/// has a floor to give.
#[test]
fn a_pacer_built_for_0_1_0_loads_and_paces() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = build("tests/plugins").join("pacer_0_1_0.wasm");
    let folder = package(dir.path(), "old", "pacer", &wasm, &[("factor", "3")]);
    let manifest = std::fs::read_to_string(folder.join("plugin.toml")).unwrap();
    std::fs::write(
        folder.join("plugin.toml"),
        manifest.replace("wit = \"0.1.1\"", "wit = \"0.1.0\""),
    )
    .unwrap();
    let store = kv();
    let plugin = PacerPlugin::load(
        &engine(Limits::default()),
        &Package::read(&folder).unwrap(),
        store.clone(),
    )
    .unwrap();
    assert!(!plugin.looks_ahead());
    let s = snapshot(5, 1, 2, 0);
    assert_eq!(plugin.pace(&s).unwrap(), 2 * 5 * 3 - 3);
    assert_eq!(plugin.pace_ahead(&s, &ahead(0, 0)).unwrap(), 27);
    assert_eq!(pacer::pace(Some(&plugin), &s, Some(&ahead(0, 0))), 27);
    let asked = store.lock().unwrap().get("asked").cloned().unwrap();
    assert_eq!(asked, 3u64.to_le_bytes());
}

/// The first-party predictive pacer exports `look-ahead` and answers from the floor:
/// ten agents free and nothing ringing bring a call each until the answer rate is
/// measured, then about three each at 30%; every agent five seconds into a call with
/// people waiting brings none. Asked through `pacing`, it dials for the ready agents.
#[test]
fn the_predictive_pacer_looks_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = build("plugins").join("predictive.wasm");
    let folder = package(dir.path(), "predictive", "pacer", &wasm, &[]);
    let plugin = PacerPlugin::load(
        &engine(Limits::default()),
        &Package::read(&folder).unwrap(),
        kv(),
    )
    .unwrap();
    assert!(plugin.looks_ahead());
    let idle = snapshot(10, 0, 0, 0);
    let calls = plugin.pace_ahead(&idle, &ahead(0, 0)).unwrap();
    assert!((8..=12).contains(&calls), "{calls}");
    let calls = plugin.pace_ahead(&idle, &ahead(0, 100)).unwrap();
    assert!((20..=45).contains(&calls), "{calls}");
    let busy = Snapshot {
        agents_busy: 10,
        ..snapshot(0, 0, 0, 2)
    };
    assert_eq!(plugin.pace_ahead(&busy, &ahead(10, 100)).unwrap(), 0);
    assert!(plugin.pace(&idle).unwrap() >= 10);
}

#[test]
fn settings_key_value_store_and_log_reach_the_guest() {
    let dir = tempfile::tempdir().unwrap();
    let store = kv();
    let plugin = PacerPlugin::load(
        &engine(Limits::default()),
        &misbehaving(dir.path(), "answers", &[("answer", "7")]),
        store.clone(),
    )
    .unwrap();
    for _ in 0..3 {
        assert_eq!(plugin.pace(&snapshot(1, 0, 0, 0)).unwrap(), 7);
    }
    let calls = store.lock().unwrap().get("calls").cloned().unwrap();
    assert_eq!(
        calls,
        3u32.to_le_bytes(),
        "the guest counted its calls in its store"
    );
}

#[test]
fn a_spinning_guest_is_stopped_at_its_deadline_and_the_built_in_answers() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        call_deadline: Duration::from_millis(30),
        ..Limits::default()
    };
    let plugin = PacerPlugin::load(
        &engine(limits),
        &misbehaving(dir.path(), "spin", &[("mode", "spin")]),
        kv(),
    )
    .unwrap();
    let s = snapshot(4, 1, 0, 0);
    for _ in 0..2 {
        let started = Instant::now();
        let error = plugin.pace(&s).unwrap_err();
        let took = started.elapsed();
        assert!(matches!(error, CallError::Deadline), "{error}");
        assert!(took >= Duration::from_millis(29), "stopped early: {took:?}");
        assert!(took < Duration::from_millis(300), "stopped late: {took:?}");
    }
    assert_eq!(
        pacer::pace(Some(&plugin), &s, None),
        3,
        "the built-in progressive pacer's answer"
    );
}

#[test]
fn a_guest_allocating_past_its_limit_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    // The memory limit must be what stops it: a deadline long enough that a machine
    // busy compiling other guests cannot make the clock win the race.
    let limits = Limits {
        memory_bytes: 16 << 20,
        call_deadline: Duration::from_secs(5),
        ..Limits::default()
    };
    let plugin = PacerPlugin::load(
        &engine(limits),
        &misbehaving(dir.path(), "hog", &[("mode", "hog")]),
        kv(),
    )
    .unwrap();
    let error = plugin.pace(&snapshot(1, 0, 0, 0)).unwrap_err();
    assert!(matches!(error, CallError::Memory), "{error}");
    let panics = PacerPlugin::load(
        &engine(Limits::default()),
        &misbehaving(dir.path(), "panics", &[("mode", "panic")]),
        kv(),
    )
    .unwrap();
    assert!(matches!(
        panics.pace(&snapshot(1, 0, 0, 0)),
        Err(CallError::Trap(_))
    ));
    assert_eq!(pacer::pace(Some(&panics), &snapshot(2, 0, 0, 0), None), 2);
}

#[test]
fn bad_packages_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(Limits::default());
    let wasm = build("plugins").join("progressive.wasm");
    // A pacer's component under a mapper's manifest.
    let wrong = Package::read(&package(
        dir.path(),
        "wrong",
        "disposition-mapper",
        &wasm,
        &[],
    ))
    .unwrap();
    assert!(matches!(
        PacerPlugin::load(&engine, &wrong, kv()),
        Err(LoadError::WrongKind { .. })
    ));
    // A truncated component.
    let folder = package(dir.path(), "truncated", "pacer", &wasm, &[]);
    let bytes = std::fs::read(&wasm).unwrap();
    std::fs::write(folder.join("truncated.wasm"), &bytes[..bytes.len() / 2]).unwrap();
    let error = PacerPlugin::load(&engine, &Package::read(&folder).unwrap(), kv())
        .err()
        .unwrap();
    assert!(matches!(error, LoadError::Component { .. }), "{error}");
    // A core module (what a C toolchain writes before `component new`): told what to run.
    let folder = package(dir.path(), "core", "pacer", &wasm, &[]);
    std::fs::write(folder.join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let error = PacerPlugin::load(&engine, &Package::read(&folder).unwrap(), kv())
        .err()
        .unwrap();
    assert!(
        matches!(error, LoadError::Component { .. }) && error.to_string().contains("component new"),
        "{error}"
    );
    // A component that escapes its folder.
    let escaping = dir.path().join("escaping");
    std::fs::create_dir_all(&escaping).unwrap();
    std::fs::write(
        escaping.join("plugin.toml"),
        "name = \"escaping\"\nversion = \"1\"\nkind = \"pacer\"\nwit = \"0.1.0\"\ncomponent = \"../progressive/progressive.wasm\"\n",
    )
    .unwrap();
    assert!(Package::read(&escaping).is_err());
}

#[test]
fn a_cached_component_loads_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let wasm = build("plugins").join("progressive.wasm");
    let package = Package::read(&package(dir.path(), "progressive", "pacer", &wasm, &[])).unwrap();
    let engine = PluginEngine::new(Some(cache.clone()), Limits::default()).unwrap();
    let cold = Instant::now();
    let first = PacerPlugin::load(&engine, &package, kv()).unwrap();
    let cold = cold.elapsed();
    assert!(!first.from_cache());
    let warm = Instant::now();
    let second = PacerPlugin::load(&engine, &package, kv()).unwrap();
    let warm = warm.elapsed();
    assert!(
        second.from_cache(),
        "the second load maps the cached artifact"
    );
    assert!(warm < cold, "cached {warm:?} vs compiled {cold:?}");
    assert_eq!(second.pace(&snapshot(3, 0, 1, 0)).unwrap(), 2);
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
}

fn attempt(outcome: Outcome, attempt: u32, ivr: bool, confirmed: bool) -> AttemptResult {
    AttemptResult {
        outcome,
        sip_code: Some(486),
        q850_cause: Some(17),
        ring_ms: 4000,
        talk_ms: 0,
        hangup_by: None,
        ivr_result: ivr.then(|| "IVR_FINISHED".to_owned()),
        queue_result: None,
        confirmed,
        tags: vec!["spring".into()],
        attempt,
        policy: RetryPolicy {
            max_attempts: 3,
            wait_busy_s: 300,
            wait_no_answer_s: 1800,
            wait_congestion_s: 60,
            wait_other_s: 600,
        },
    }
}

#[test]
fn the_default_mapper_plugin_answers_like_the_built_in_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = build("plugins").join("default_mapper.wasm");
    let folder = package(dir.path(), "default", "disposition-mapper", &wasm, &[]);
    let plugin = MapperPlugin::load(
        &engine(Limits::default()),
        &Package::read(&folder).unwrap(),
        kv(),
    )
    .unwrap();
    let outcomes = [
        Outcome::Answered,
        Outcome::Busy,
        Outcome::NoAnswer,
        Outcome::Congestion,
        Outcome::NoRoute,
        Outcome::ChannelUnavailable,
        Outcome::Cancelled,
        Outcome::Failed,
        Outcome::AnsweringMachine,
        Outcome::Fax,
    ];
    for outcome in outcomes {
        for (number, ivr, confirmed) in [
            (1, false, false),
            (3, false, false),
            (1, true, false),
            (2, true, true),
        ] {
            let result = attempt(outcome, number, ivr, confirmed);
            assert_eq!(
                plugin.dispose(&result).unwrap(),
                disposition::ads(&result),
                "{outcome:?} attempt {number}"
            );
        }
    }
    let busy = plugin
        .dispose(&attempt(Outcome::Busy, 1, false, false))
        .unwrap();
    assert_eq!(
        (busy.status.as_str(), busy.retry, busy.retry_after_s),
        ("BUSY", true, 300)
    );
    assert_eq!(busy.tags, ["spring"]);
}

#[test]
fn a_package_for_the_wrong_world_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(Limits::default());
    // A pacer's component whose manifest claims to be a mapper: it lacks the export.
    let pacer_wasm = build("plugins").join("progressive.wasm");
    let folder = package(dir.path(), "liar", "disposition-mapper", &pacer_wasm, &[]);
    let error = MapperPlugin::load(&engine, &Package::read(&folder).unwrap(), kv())
        .err()
        .unwrap();
    assert!(matches!(error, LoadError::Component { .. }), "{error}");
    assert!(
        error.to_string().contains("dispositions"),
        "names the missing interface: {error}"
    );
    // A mapper's package offered as a pacer.
    let mapper_wasm = build("plugins").join("default_mapper.wasm");
    let folder = package(
        dir.path(),
        "default",
        "disposition-mapper",
        &mapper_wasm,
        &[],
    );
    let error = PacerPlugin::load(&engine, &Package::read(&folder).unwrap(), kv())
        .err()
        .unwrap();
    assert!(matches!(error, LoadError::WrongKind { .. }), "{error}");
}

/// Writes a package's manifest whole (a temporary file renamed into place), as an
/// admin's deployment should.
fn write_manifest(folder: &Path, name: &str, answer: &str) {
    let text = format!(
        "name = \"{name}\"\nversion = \"{answer}.0.0\"\nkind = \"pacer\"\nwit = \"0.1.0\"\ncomponent = \"misbehave.wasm\"\n[config]\nanswer = \"{answer}\"\n"
    );
    let temporary = folder.join("plugin.toml.tmp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, folder.join("plugin.toml")).unwrap();
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    started.elapsed()
}

#[test]
fn a_changed_package_is_reloaded_and_a_broken_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let folder = plugins.join("answers");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        build("tests/plugins").join("misbehave.wasm"),
        folder.join("misbehave.wasm"),
    )
    .unwrap();
    write_manifest(&folder, "answers", "1");
    let engine = PluginEngine::new(Some(dir.path().join("cache")), Limits::default()).unwrap();
    let registry = PluginRegistry::open(engine, &plugins).unwrap();
    let s = snapshot(9, 0, 0, 0);
    let first = registry.pacer("answers").expect("loaded at start");
    assert_eq!(first.pace(&s).unwrap(), 1);

    // A new version: the next lookup gets it; whoever holds the old one keeps it.
    write_manifest(&folder, "answers", "2");
    let took = wait_for("version 2", || {
        registry
            .pacer("answers")
            .is_some_and(|p| p.pace(&s).ok() == Some(2))
    });
    assert!(took < Duration::from_secs(2), "reload took {took:?}");
    assert_eq!(
        first.pace(&s).unwrap(),
        1,
        "the old version finishes what it started"
    );
    assert_eq!(registry.pacer("answers").unwrap().label(), "answers@2.0.0");

    // A corrupt component: refused, version 2 keeps serving.
    let (_, refused) = registry.counts();
    let bytes = std::fs::read(folder.join("misbehave.wasm")).unwrap();
    std::fs::write(folder.join("misbehave.wasm"), &bytes[..bytes.len() / 2]).unwrap();
    wait_for("the refusal", || registry.counts().1 > refused);
    assert_eq!(registry.pacer("answers").unwrap().pace(&s).unwrap(), 2);

    // A package for the wrong world: refused too.
    let (_, refused) = registry.counts();
    std::fs::copy(
        build("plugins").join("default_mapper.wasm"),
        folder.join("misbehave.wasm"),
    )
    .unwrap();
    wait_for("the second refusal", || registry.counts().1 > refused);
    assert_eq!(registry.pacer("answers").unwrap().label(), "answers@2.0.0");

    // What serves, and what happened, newest first, as the panel shows them.
    let loaded = registry.loaded();
    assert_eq!(loaded.len(), 1);
    assert_eq!(
        (
            loaded[0].manifest.name.as_str(),
            loaded[0].manifest.version.as_str()
        ),
        ("answers", "2.0.0")
    );
    let history = registry.history();
    assert!(
        matches!(history[0].outcome, ReloadOutcome::Refused(ref why) if why.contains("answers"))
    );
    assert!(matches!(history[1].outcome, ReloadOutcome::Refused(_)));
    assert_eq!(
        history[2].outcome,
        ReloadOutcome::Replaced("answers@1.0.0".into())
    );
    assert_eq!(history.last().unwrap().outcome, ReloadOutcome::Loaded);

    // The folder removed: the plugin is gone and the built-in pacer answers.
    std::fs::remove_dir_all(&folder).unwrap();
    wait_for("the removal", || registry.pacer("answers").is_none());
    assert_eq!(
        pacer::pace(registry.pacer("answers").as_deref(), &s, None),
        9
    );
    assert!(registry.loaded().is_empty());
    assert_eq!(registry.history()[0].outcome, ReloadOutcome::Removed);
}

/// A `.tar.gz` holding `files` in one top folder, as `tar czf` makes it.
fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    {
        let mut tar = tar::Builder::new(&mut gz);
        for (name, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, format!("pkg/{name}"), *bytes)
                .unwrap();
        }
        tar.finish().unwrap();
    }
    gz.finish().unwrap()
}

#[test]
fn an_uploaded_package_is_checked_before_it_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let engine = PluginEngine::new(Some(dir.path().join("cache")), Limits::default()).unwrap();
    let registry = PluginRegistry::open(engine, &plugins).unwrap();
    let wasm = std::fs::read(build("tests/plugins").join("misbehave.wasm")).unwrap();
    let manifest = |answer: &str| {
        format!(
            "name = \"answers\"\nversion = \"{answer}.0.0\"\nkind = \"pacer\"\nwit = \"0.1.0\"\ncomponent = \"misbehave.wasm\"\n[config]\nanswer = \"{answer}\"\n"
        )
    };
    let s = snapshot(9, 0, 0, 0);

    let installed = registry
        .install(&archive(&[
            ("plugin.toml", manifest("3").as_bytes()),
            ("misbehave.wasm", &wasm),
        ]))
        .unwrap();
    assert_eq!(installed.manifest.version, "3.0.0");
    assert_eq!(installed.package, plugins.join("answers.tar.gz"));
    assert!(plugins.join("answers.tar.gz").is_file());
    assert_eq!(registry.pacer("answers").unwrap().pace(&s).unwrap(), 3);

    // A broken component: refused, nothing written, version 3 serving.
    let before = std::fs::read(plugins.join("answers.tar.gz")).unwrap();
    let refused = registry.install(&archive(&[
        ("plugin.toml", manifest("4").as_bytes()),
        ("misbehave.wasm", &wasm[..wasm.len() / 2]),
    ]));
    assert!(matches!(
        refused,
        Err(InstallError::Refused(LoadError::Component { .. }))
    ));
    assert_eq!(
        std::fs::read(plugins.join("answers.tar.gz")).unwrap(),
        before
    );
    assert_eq!(registry.pacer("answers").unwrap().pace(&s).unwrap(), 3);
    // Not an archive, or one without a manifest: refused with the reason.
    let refused = registry.install(b"not a tar.gz").unwrap_err();
    assert!(refused.to_string().contains("upload.tar.gz"), "{refused}");
    let refused = registry
        .install(&archive(&[("misbehave.wasm", &wasm)]))
        .unwrap_err();
    assert!(refused.to_string().contains("plugin.toml"), "{refused}");

    // A good new version replaces the installed one where it is.
    registry
        .install(&archive(&[
            ("plugin.toml", manifest("5").as_bytes()),
            ("misbehave.wasm", &wasm),
        ]))
        .unwrap();
    assert_eq!(registry.pacer("answers").unwrap().pace(&s).unwrap(), 5);
    assert_eq!(
        registry.history()[0].outcome,
        ReloadOutcome::Replaced("answers@3.0.0".into())
    );
    // The watcher saw the files and loaded nothing twice.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(registry.counts(), (2, 1));

    // A plugin of the same name served from a folder is not overwritten.
    let folder = plugins.join("mine");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("misbehave.wasm"), &wasm).unwrap();
    write_manifest(&folder, "folded", "6");
    wait_for("the folder's plugin", || registry.pacer("folded").is_some());
    let refused = registry.install(&archive(&[
        (
            "plugin.toml",
            manifest("7").replace("answers", "folded").as_bytes(),
        ),
        ("misbehave.wasm", &wasm),
    ]));
    assert!(
        matches!(refused, Err(InstallError::Elsewhere { ref package, .. }) if *package == folder)
    );
    assert!(!plugins.join("folded.tar.gz").exists());
}

#[test]
fn an_untouched_package_is_loaded_once() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let folder = plugins.join("answers");
    std::fs::create_dir_all(&folder).unwrap();
    let wasm = folder.join("misbehave.wasm");
    std::fs::copy(build("tests/plugins").join("misbehave.wasm"), &wasm).unwrap();
    write_manifest(&folder, "answers", "1");
    let engine = PluginEngine::new(Some(dir.path().join("cache")), Limits::default()).unwrap();
    let registry = PluginRegistry::open(engine, &plugins).unwrap();
    assert_eq!(registry.counts(), (1, 0));
    // Reads, a touch and the same bytes written again: events, and no change.
    for _ in 0..3 {
        std::fs::read(&wasm).unwrap();
        let bytes = std::fs::read(&wasm).unwrap();
        std::fs::write(&wasm, &bytes).unwrap();
        std::fs::write(
            folder.join("plugin.toml"),
            std::fs::read(folder.join("plugin.toml")).unwrap(),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        registry.counts(),
        (1, 0),
        "an unchanged package was reloaded"
    );
    // A real change is still taken.
    write_manifest(&folder, "answers", "2");
    wait_for("version 2", || registry.counts().0 == 2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(registry.counts(), (2, 0));
}

fn with_parameters(
    mut s: Snapshot,
    ratio_percent: u32,
    ratio_on: AgentBasis,
    multiplier: f64,
) -> Snapshot {
    s.parameters.ratio_percent = ratio_percent;
    s.parameters.ratio_on = ratio_on;
    s.parameters.multiplier = multiplier;
    s
}

#[test]
fn a_python_pacer_built_from_source_paces_by_ratio() {
    let Some(wasm) = guests::build_python("python-pacer", "pacer") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let folder = package(
        dir.path(),
        "ratio-py",
        "pacer",
        &wasm,
        &[("verbose", "yes")],
    );
    let plugin = PacerPlugin::load(
        &engine(Limits::default()),
        &Package::read(&folder).unwrap(),
        kv(),
    )
    .unwrap();
    // 4 ready agents, one call ringing.
    let s = snapshot(4, 0, 1, 0);
    assert_eq!(
        plugin
            .pace(&with_parameters(s.clone(), 0, AgentBasis::Ready, 1.0))
            .unwrap(),
        3
    );
    assert_eq!(
        plugin
            .pace(&with_parameters(s.clone(), 100, AgentBasis::Ready, 1.0))
            .unwrap(),
        7
    );
    assert_eq!(
        plugin
            .pace(&with_parameters(s.clone(), 50, AgentBasis::Ready, 1.0))
            .unwrap(),
        5
    );
    // Present agents: 6 logged in, 2 busy, so 4 free; the same answer.
    assert_eq!(
        plugin
            .pace(&with_parameters(s, 0, AgentBasis::Present, 1.0))
            .unwrap(),
        3
    );
    assert_eq!(
        plugin.pace(&snapshot(1, 2, 2, 0)).unwrap(),
        0,
        "never below zero"
    );
}

#[test]
fn a_javascript_pacer_built_from_source_paces_by_multiplier() {
    let Some(wasm) = guests::build_js("js-pacer", "pacer") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let folder = package(
        dir.path(),
        "multiplier-js",
        "pacer",
        &wasm,
        &[("verbose", "yes")],
    );
    let plugin = PacerPlugin::load(
        &engine(Limits::default()),
        &Package::read(&folder).unwrap(),
        kv(),
    )
    .unwrap();
    // ADS: 2 free agents x 3 = 6 calls, less the one already dialing.
    let s = with_parameters(snapshot(2, 1, 0, 0), 0, AgentBasis::Ready, 3.0);
    assert_eq!(plugin.pace(&s).unwrap(), 5);
    let s = with_parameters(snapshot(5, 0, 0, 0), 0, AgentBasis::Ready, 1.5);
    assert_eq!(plugin.pace(&s).unwrap(), 7);
    assert_eq!(
        plugin
            .pace(&with_parameters(
                snapshot(0, 3, 0, 0),
                0,
                AgentBasis::Ready,
                2.0
            ))
            .unwrap(),
        0
    );
}

fn first_party(
    name: &str,
    wasm: &str,
    config: &[(&str, &str)],
) -> (tempfile::TempDir, PacerPlugin) {
    let dir = tempfile::tempdir().unwrap();
    let folder = package(
        dir.path(),
        name,
        "pacer",
        &build("plugins").join(wasm),
        config,
    );
    let plugin = PacerPlugin::load(
        &engine(Limits::default()),
        &Package::read(&folder).unwrap(),
        kv(),
    )
    .unwrap();
    (dir, plugin)
}

#[test]
fn the_power_pacer_follows_tvox_ratios_and_the_ads_multiplier() {
    let (_dir, power) = first_party("power", "power.wasm", &[]);
    // 4 ready, 6 present, one call ringing.
    let s = snapshot(4, 0, 1, 0);
    let pace = |ratio, on, multiplier| {
        power
            .pace(&with_parameters(s.clone(), ratio, on, multiplier))
            .unwrap()
    };
    assert_eq!(
        pace(0, AgentBasis::Ready, 1.0),
        3,
        "0%: one call per ready agent"
    );
    assert_eq!(
        pace(100, AgentBasis::Ready, 1.0),
        7,
        "100%: two per ready agent"
    );
    assert_eq!(pace(0, AgentBasis::Present, 1.0), 5, "on present agents");
    assert_eq!(pace(50, AgentBasis::Present, 1.0), 8);
    let ads = with_parameters(snapshot(2, 0, 0, 0), 0, AgentBasis::Ready, 3.0);
    assert_eq!(
        power.pace(&ads).unwrap(),
        6,
        "ADS: 2 free agents x 3 = 6 calls"
    );
    let mut capped = with_parameters(s.clone(), 100, AgentBasis::Ready, 1.0);
    capped.parameters.max_calls = 5;
    assert_eq!(
        power.pace(&capped).unwrap(),
        4,
        "the campaign's cap counts calls on their way"
    );
    let mut nobody = with_parameters(snapshot(0, 0, 0, 0), 100, AgentBasis::Present, 1.0);
    assert_eq!(power.pace(&nobody).unwrap(), 0, "only when agents are free");
    nobody.parameters.only_when_agents_free = false;
    assert_eq!(
        power.pace(&nobody).unwrap(),
        4,
        "present agents count when allowed"
    );
}

/// `ringhost plugin pace`'s library half: the power pacer asked with the example
/// snapshot file, then with the same file edited.
#[test]
fn a_pacer_package_is_asked_with_a_snapshot_read_from_json() {
    let dir = tempfile::tempdir().unwrap();
    let folder = package(
        dir.path(),
        "power",
        "pacer",
        &build("plugins").join("power.wasm"),
        &[],
    );
    let example =
        std::fs::read_to_string(guests::repository().join("examples/pacer-snapshot.json")).unwrap();
    let ask = |json: &str| pacer::ask(&folder, &pacer::read_snapshot(json).unwrap()).unwrap();
    assert_eq!(
        ask(&example),
        pacer::Answer {
            plugin: "power@1.0.0".into(),
            calls: 8
        },
        "4 ready x 150% x 1.5 = 9, less the call ringing"
    );
    let fewer = example.replace("\"agents-ready\": 4", "\"agents-ready\": 2");
    assert_eq!(
        ask(&fewer).calls,
        3,
        "2 x 150% x 1.5 = 4.5, rounded down, less 1"
    );
    assert_eq!(
        ask(r#"{"agents-ready": 2, "parameters": {"multiplier": 3.0}}"#).calls,
        6,
        "left out: no ratio, nothing on its way"
    );
    // A package of another kind is refused as the host refuses it.
    let mapper = package(
        dir.path(),
        "mapper",
        "disposition-mapper",
        &build("plugins").join("default_mapper.wasm"),
        &[],
    );
    let error = pacer::ask(&mapper, &pacer::read_snapshot("{}").unwrap()).unwrap_err();
    assert!(error.to_string().contains("not a pacer"), "{error}");
}

fn play_and_collect(prompts: &[&str]) -> Vec<Action> {
    vec![
        Action::Play(prompts.iter().map(|p| (*p).to_owned()).collect()),
        Action::Collect(Collect {
            max_digits: 1,
            terminator: None,
            timeout_ms: 5000,
        }),
    ]
}

#[test]
fn the_notify_confirm_ivr_confirms_on_1_and_gives_up_after_its_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = build("plugins").join("notify_confirm.wasm");
    let folder = package(
        dir.path(),
        "notify-confirm",
        "ivr",
        &wasm,
        &[("repeats", "2")],
    );
    let plugin = Arc::new(
        IvrPlugin::load(
            &engine(Limits::default()),
            &Package::read(&folder).unwrap(),
            kv(),
        )
        .unwrap(),
    );

    // The contact's `message` column picks the prompt.
    let variables = vec![
        ("message".to_owned(), "recall-notice".to_owned()),
        ("name".to_owned(), "Ada".to_owned()),
    ];
    let mut call = plugin.start(&variables).unwrap();
    assert_eq!(
        call.on_event(&Event::Answered).unwrap(),
        play_and_collect(&["recall-notice", "press-1-to-confirm"])
    );
    assert_eq!(call.on_event(&Event::PlaybackDone).unwrap(), []);
    assert_eq!(
        call.on_event(&Event::Collected("1".into())).unwrap(),
        [
            Action::Confirm,
            Action::Tag("confirmed".into()),
            Action::Play(vec!["thank-you".into()]),
            Action::Hangup("CONFIRMED".into()),
        ]
    );

    // Without the column, the setting's prompt; two tries, then NOT_CONFIRMED.
    let mut call = plugin.start(&[]).unwrap();
    assert_eq!(
        call.on_event(&Event::Answered).unwrap(),
        play_and_collect(&["message", "press-1-to-confirm"])
    );
    assert_eq!(
        call.on_event(&Event::Collected("7".into())).unwrap(),
        play_and_collect(&["message", "press-1-to-confirm"])
    );
    assert_eq!(
        call.on_event(&Event::Timeout).unwrap(),
        [Action::Hangup("NOT_CONFIRMED".into())]
    );
    assert_eq!(call.on_event(&Event::Hangup).unwrap(), []);
}

#[test]
fn a_session_in_progress_finishes_on_the_version_it_started_with() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let wasm = build("plugins").join("notify_confirm.wasm");
    let folder = package(
        &plugins,
        "notify-confirm",
        "ivr",
        &wasm,
        &[("repeats", "3")],
    );
    let registry = PluginRegistry::open(engine(Limits::default()), &plugins).unwrap();
    let mut running = registry.ivr("notify-confirm").unwrap().start(&[]).unwrap();
    running.on_event(&Event::Answered).unwrap();

    // Version 2 gives up after one try.
    let manifest = "name = \"notify-confirm\"\nversion = \"2.0.0\"\nkind = \"ivr\"\nwit = \"0.1.0\"\n[config]\nrepeats = \"1\"\n";
    std::fs::write(folder.join("plugin.toml.tmp"), manifest).unwrap();
    std::fs::rename(folder.join("plugin.toml.tmp"), folder.join("plugin.toml")).unwrap();
    wait_for("version 2", || {
        registry
            .ivr("notify-confirm")
            .is_some_and(|p| p.label() == "notify-confirm@2.0.0")
    });

    // The call in progress still has its three tries.
    assert_eq!(running.label(), "notify-confirm@1.0.0");
    assert!(matches!(
        running.on_event(&Event::Timeout).unwrap()[0],
        Action::Play(_)
    ));
    assert!(matches!(
        running.on_event(&Event::Timeout).unwrap()[0],
        Action::Play(_)
    ));
    assert_eq!(
        running.on_event(&Event::Timeout).unwrap(),
        [Action::Hangup("NOT_CONFIRMED".into())]
    );
    // The next call gets version 2.
    let mut next = registry.ivr("notify-confirm").unwrap().start(&[]).unwrap();
    next.on_event(&Event::Answered).unwrap();
    assert_eq!(
        next.on_event(&Event::Timeout).unwrap(),
        [Action::Hangup("NOT_CONFIRMED".into())]
    );
}

#[test]
fn an_ivr_script_that_fails_ends_its_session() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = build("tests/plugins").join("misbehave_ivr.wasm");
    let limits = Limits {
        session_deadline: Duration::from_millis(50),
        ..Limits::default()
    };
    let engine = engine(limits);
    for (mode, spins) in [("spin", true), ("panic", false)] {
        let folder = package(
            dir.path(),
            &format!("ivr-{mode}"),
            "ivr",
            &wasm,
            &[("mode", mode)],
        );
        let plugin =
            Arc::new(IvrPlugin::load(&engine, &Package::read(&folder).unwrap(), kv()).unwrap());
        let mut call = plugin.start(&[]).unwrap();
        let started = Instant::now();
        let error = call.on_event(&Event::Answered).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{mode}: stopped after {:?}",
            started.elapsed()
        );
        if spins {
            assert!(matches!(error, CallError::Deadline), "{mode}: {error}");
        } else {
            assert!(matches!(error, CallError::Trap(_)), "{mode}: {error}");
        }
        // The next call starts clean: a session is an instance of its own.
        assert!(plugin.start(&[]).is_ok());
    }
}

fn webhook(dir: &Path, name: &str, allowed: &str, results: &str, lookup: &str) -> ConnectorPlugin {
    let folder = package(
        dir,
        name,
        "crm-connector",
        &build("plugins").join("webhook.wasm"),
        &[("results-url", results), ("lookup-url", lookup)],
    );
    let manifest = std::fs::read_to_string(folder.join("plugin.toml")).unwrap();
    std::fs::write(
        folder.join("plugin.toml"),
        format!("{manifest}[capabilities]\nallowed-hosts = [\"{allowed}\"]\n"),
    )
    .unwrap();
    ConnectorPlugin::load(
        &engine(Limits::default()),
        &Package::read(&folder).unwrap(),
        kv(),
    )
    .unwrap()
}

fn record() -> AttemptRecord {
    AttemptRecord {
        campaign: "spring-sale".into(),
        contact_id: "c-42".into(),
        phone_number: "+390612345678".into(),
        attempt: 2,
        status: "ANSWER".into(),
        tags: vec!["confirmed".into()],
        started_ms: 1_795_000_000_000,
        talk_ms: 42_000,
        agent: Some("1001".into()),
    }
}

#[test]
fn the_webhook_connector_reaches_its_allowed_crm() {
    let dir = tempfile::tempdir().unwrap();
    let (port, requests) = crm::crm_server(
        "127.0.0.1",
        200,
        "{\"id\": \"c-42\", \"name\": \"Ada\", \"plan\": \"gold\"}",
    );
    let base = format!("http://127.0.0.1:{port}");
    let connector = webhook(
        dir.path(),
        "webhook",
        &format!("127.0.0.1:{port}"),
        &format!("{base}/results"),
        &format!("{base}/contacts"),
    );
    assert_eq!(connector.push_result(&record()).unwrap(), Ok(()));
    let contact = connector
        .find_contact("+390612345678")
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(contact.id, "c-42");
    assert!(
        contact
            .variables
            .contains(&("name".to_owned(), "Ada".to_owned()))
    );
    let requests = requests.lock().unwrap();
    assert!(
        requests[0].starts_with("POST /results HTTP/1.1"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].contains("\"campaign\":\"spring-sale\"")
            && requests[0].contains("\"status\":\"ANSWER\""),
        "{}",
        requests[0]
    );
    assert!(
        requests[1].starts_with("GET /contacts?phone=%2B390612345678 HTTP/1.1"),
        "{}",
        requests[1]
    );
}

#[test]
fn a_connector_calling_a_host_its_manifest_does_not_allow_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (allowed_port, allowed_requests) = crm::crm_server("127.0.0.1", 200, "{}");
    let (other_port, other_requests) = crm::crm_server("127.0.0.2", 200, "{}");
    // Allowed: 127.0.0.1 on its port. Configured: the other loopback address.
    let connector = webhook(
        dir.path(),
        "sneaky",
        &format!("127.0.0.1:{allowed_port}"),
        &format!("http://127.0.0.2:{other_port}/results"),
        &format!("http://127.0.0.1:{other_port}/contacts"),
    );
    let refused = connector.push_result(&record()).unwrap().unwrap_err();
    assert!(
        refused.contains("not in the manifest's allowed hosts"),
        "{refused}"
    );
    let refused = connector.find_contact("123").unwrap().unwrap_err();
    assert!(
        refused.contains("not in the manifest's allowed hosts"),
        "another port of an allowed host: {refused}"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        other_requests.lock().unwrap().is_empty(),
        "nothing reached the host that was not allowed"
    );
    assert!(allowed_requests.lock().unwrap().is_empty());
}
