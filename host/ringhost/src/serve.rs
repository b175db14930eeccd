//! `ringhost serve`: opens the store, starts every listener and runs until a signal,
//! then drains (see [`crate::shutdown`]) and records a clean stop.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use ringhost_config::Config;
use ringhost_http::AppState;
use ringhost_store::Store;

use ringhost_call::{
    CallContext, InboundCalls, InboundQueue, MediaSettings, Prompts, TrunkCarrier,
};
use ringhost_dialer::clock::SystemClock;
use ringhost_dialer::hours::CallingHours;
use ringhost_dialer::ledger::{Ledger, Limits};
use ringhost_dialer::missed::inbound::InboundLine;
use ringhost_dialer::scheduler::{Dialer, SchedulerConfig};
use ringhost_dialer::settings::CallingWindow;
use ringhost_media::RtpPorts;

use crate::shutdown::{self, Shutdown};
use crate::{telemetry, telephony};

/// Runs the host until SIGINT or SIGTERM.
pub(crate) async fn serve(config: Config) -> anyhow::Result<()> {
    start(config).await?.run().await
}

/// A host whose listeners are bound and whose dialer runs: what `serve` runs until a
/// signal, and what `demo` fills with its sample data first.
pub(crate) struct Running {
    pub(crate) store: Store,
    pub(crate) dialer: Dialer,
    pub(crate) sip: ringhost_sip::Endpoint,
    /// Where HTTP is served (the configured address, its port chosen when 0).
    pub(crate) http_addr: std::net::SocketAddr,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
    shutdown: Shutdown,
    start_id: i64,
    drain_timeout: std::time::Duration,
}

/// Opens the store, binds every listener, recovers what a crash left and starts the
/// dialer and the HTTP server.
pub(crate) async fn start(config: Config) -> anyhow::Result<Running> {
    // Checked before anything is bound or opened.
    let web = ringhost_web::WebSettings {
        idle_timeout: config.web.idle_timeout,
        secure_cookies: config.web.secure_cookies,
        time_zone: ringhost_web::WebSettings::zone(&config.web.time_zone)
            .context("web.time_zone")?,
        phone_realm: config.registrar.realm.clone(),
        wallboard_token: Some(config.web.wallboard_token.clone()).filter(|t| !t.is_empty()),
        pause_reasons: config.web.pause_reasons.clone(),
        alerts: ringhost_web::Alerts {
            ready_s: config.web.alerts.ready_s,
            on_call_s: config.web.alerts.on_call_s,
            wrap_up_s: config.web.alerts.wrap_up_s,
            paused_s: config.web.alerts.paused_s,
            queue_wait_s: config.web.alerts.queue_wait_s,
        },
    };
    let metrics = telemetry::init_metrics()?;
    metrics::gauge!("ringhost_start_time_seconds").set(now_ms() as f64 / 1000.0);

    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let url = config.database_url();
    let store = Store::open(&url).await?;
    tracing::info!(database = %ringhost_store::redact(&url), "database ready");
    let shutdown = Shutdown::default();
    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", config.http.listen))?;
    let http_addr = listener.local_addr()?;
    tracing::info!(address = %http_addr, "HTTP listening");
    let lines = inbound_lines(&config)?;
    let registrar = telephony::registrar(&config, &store).await?;
    // The endpoint's tasks live as long as the runtime; only the dialer's calls (and
    // the agents' phones they ring) are placed through it, and every INVITE from
    // outside is refused but a trunk's to an `[[inbound]]` number.
    let sip = ringhost_sip::Endpoint::bind(ringhost_sip::EndpointConfig {
        udp: config.sip.udp.clone(),
        tcp: config.sip.tcp.clone(),
        timers: Default::default(),
        user_agent: concat!("Ringhost/", env!("CARGO_PKG_VERSION")).to_owned(),
        trusted: Vec::new(),
        registrar: Some(registrar.clone()),
    })
    .await
    .context("cannot bind the SIP listeners")?;
    // The addresses bound, ports chosen by the system where the configuration says 0.
    let bound = |protocol| sip.transport().local_addr(protocol);
    tracing::info!(
        udp = ?bound(ringhost_sip::Protocol::Udp),
        tcp = ?bound(ringhost_sip::Protocol::Tcp),
        "SIP listening"
    );
    let (trunk_specs, routes) = telephony::trunk_plan(&config, Some(&store)).await?;
    let default_route = match config.dialer.default_route.as_str() {
        "" => routes
            .first()
            .map(|(name, _)| name.clone())
            .or_else(|| trunk_specs.first().map(|t| t.name.clone()))
            .unwrap_or_default(),
        name => name.to_owned(),
    };
    // Keepalives and registrations run from here; calls are placed through the trunks
    // only by the dialer.
    let trunks = ringhost_sip::Trunks::start(&sip, trunk_specs, routes).await?;
    let plugins = plugins(&config)?;
    let phones = Phones {
        endpoint: sip.clone(),
        registrar,
    };
    let (dialer, inbound_calls) = dialer(
        &config,
        &store,
        trunks.clone(),
        phones,
        plugins,
        default_route,
        shutdown.hangup.clone(),
    )?;
    // Before the first pass: what a crash left in progress is closed first.
    dialer.recover().await?;
    if let Some(calls) = inbound_calls {
        let dialer = dialer.clone();
        tokio::spawn(async move { dialer.serve_inbound(lines, calls).await });
    }
    // Recorded only once every listener is bound: a start that fails on a busy port
    // is no run, and must not read as a crash at the next start.
    let start = store
        .record_start(now_ms(), env!("CARGO_PKG_VERSION"))
        .await?;
    if let Some(previous) = start.previous.filter(|p| !p.clean_stop) {
        tracing::warn!(
            previous_start_ms = previous.started_at_ms,
            previous_version = %previous.version,
            "the previous run did not stop cleanly: calls it had in progress were cut off"
        );
    }

    let app = ringhost_http::app(AppState {
        store: store.clone(),
        metrics,
        draining: shutdown.draining.clone(),
        dialer: dialer.clone(),
    })
    .merge(ringhost_web::router(ringhost_web::WebState {
        store: store.clone(),
        dialer: dialer.clone(),
        settings: web.clone(),
        throttle: Default::default(),
        feeds: Default::default(),
        exports: Default::default(),
        trunks: Some(ringhost_web::TrunkBoard {
            trunks,
            from_file: config.trunks.iter().map(|t| t.name.clone()).collect(),
        }),
    }));
    tokio::spawn(ringhost_web::session::purge_idle_forever(
        store.clone(),
        web.idle_timeout,
    ));
    // Hosts sharing a PostgreSQL database hold leases and take over the dead ones, and
    // hear each other's events (SQLite: one host).
    dialer
        .keep_lease(config.dialer.lease, shutdown.hangup.clone())
        .await?;
    if dialer.relay_events(shutdown.hangup.clone()).await? {
        tracing::info!("events relayed between the hosts sharing the database");
    }
    shutdown
        .calls
        .spawn(dialer.clone().run_until(shutdown.draining.clone()));
    let http = tokio::spawn(
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.hangup.clone().cancelled_owned())
        .into_future(),
    );
    Ok(Running {
        store,
        dialer,
        sip,
        http_addr,
        http,
        shutdown,
        start_id: start.id,
        drain_timeout: config.shutdown.drain_timeout,
    })
}

impl Running {
    /// Runs until SIGINT or SIGTERM, then drains and records a clean stop.
    pub(crate) async fn run(mut self) -> anyhow::Result<()> {
        tokio::select! {
            signal = shutdown::wait_for_signal() => {
                let signal = signal.context("cannot install signal handlers")?;
                tracing::info!(
                    signal,
                    drain_timeout = ?self.drain_timeout,
                    "draining: no new calls start; calls in progress may go on"
                );
            }
            ended = &mut self.http => {
                ended.context("the HTTP server panicked")?.context("the HTTP server failed")?;
                anyhow::bail!("the HTTP server stopped on its own");
            }
        }
        metrics::gauge!("ringhost_draining").set(1.0);
        self.shutdown.drain(self.drain_timeout).await;
        self.http
            .await
            .context("the HTTP server panicked")?
            .context("the HTTP server failed")?;
        self.store
            .record_clean_stop(self.start_id, now_ms())
            .await?;
        self.store.close().await;
        tracing::info!("stopped cleanly");
        Ok(())
    }
}

/// Wall-clock milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Where the agents' phones are registered and rung from.
struct Phones {
    endpoint: ringhost_sip::Endpoint,
    registrar: std::sync::Arc<ringhost_sip::Registrar>,
}

/// The dialer over the store, placing calls through the trunks with media from the
/// `[media]` section, its channels counted by a ledger with the `[dialer]` limits;
/// with it, the calls to the `[[inbound]]` numbers, when there are any.
fn dialer(
    config: &Config,
    store: &Store,
    trunks: std::sync::Arc<ringhost_sip::Trunks>,
    phones: Phones,
    plugins: ringhost_plugins::PluginRegistry,
    default_route: String,
    stop: tokio_util::sync::CancellationToken,
) -> anyhow::Result<(Dialer, Option<InboundCalls>)> {
    let media = &config.media;
    let carrier = TrunkCarrier::new(CallContext {
        trunks,
        endpoint: phones.endpoint,
        registrar: phones.registrar,
        media: MediaSettings {
            ports: RtpPorts::new(media.ip, media.rtp_ports.min, media.rtp_ports.max)
                .map_err(anyhow::Error::msg)?,
            laws: media.codecs.iter().map(|&c| crate::dial::law(c)).collect(),
        },
        prompts: Prompts::new(&config.dialer.prompts_dir),
        default_route,
        plugins: Some(plugins.clone()),
        stop,
        bridged: Default::default(),
    });
    let inbound_calls = (!config.inbound.is_empty()).then(|| carrier.take_calls());
    let d = &config.dialer;
    let ledger = Ledger::new(Limits {
        dialer_channels: d.channels,
        total: d.max_total_calls,
        internal: d.max_internal_calls,
        external: d.max_external_calls,
    });
    let dialer = Dialer::new(
        store.clone(),
        ledger,
        std::sync::Arc::new(carrier),
        Some(plugins),
        std::sync::Arc::new(SystemClock),
        SchedulerConfig {
            host: match d.host_id.as_str() {
                "" => std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .map(|name| name.trim().to_owned())
                    .unwrap_or_else(|_| "ringhost".to_owned()),
                id => id.to_owned(),
            },
            tick: d.tick,
            max_active_campaigns: d.max_active_campaigns,
            missed: missed_settings(&config.missed_calls)?,
        },
    );
    Ok((dialer, inbound_calls))
}

/// The dialer's inbound lines from the file's `[[inbound]]`.
fn inbound_lines(config: &Config) -> anyhow::Result<Vec<InboundLine>> {
    let prompt = |file: &str| Some(file.trim().to_owned()).filter(|f| !f.is_empty());
    config
        .inbound
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at = format!("inbound[{i}]");
            anyhow::ensure!(!line.number.trim().is_empty(), "{at}.number is empty");
            anyhow::ensure!(!line.queue.trim().is_empty(), "{at}.queue is empty");
            let windows: Vec<CallingWindow> = line
                .hours
                .iter()
                .map(|h| CallingWindow {
                    days: h.days.clone(),
                    from: h.from.clone(),
                    to: h.to.clone(),
                })
                .collect();
            Ok(InboundLine {
                number: line.number.trim().to_owned(),
                hours: CallingHours::new(&windows)
                    .map_err(|e| anyhow::anyhow!("{at}.hours: {e}"))?,
                zone: line.time_zone.parse().map_err(|_| {
                    anyhow::anyhow!("{at}.time_zone: {:?} is no IANA time zone", line.time_zone)
                })?,
                queue: InboundQueue {
                    queue: line.queue.trim().to_owned(),
                    max_wait: line.max_wait,
                    agent_ring: line.agent_ring,
                    greeting: prompt(&line.greeting),
                    music: prompt(&line.music),
                    closing: prompt(&line.closing_message),
                },
                closed_message: prompt(&line.closed_message),
            })
        })
        .collect()
}

/// The dialer's missed-calls settings from the file's `[missed_calls]`.
fn missed_settings(
    m: &ringhost_config::MissedCallsConfig,
) -> anyhow::Result<ringhost_dialer::missed::MissedSettings> {
    Ok(ringhost_dialer::missed::MissedSettings {
        campaign: Some(m.campaign.trim().to_owned()).filter(|c| !c.is_empty()),
        region: ringhost_dialer::number::Region::parse(&m.region).with_context(|| {
            format!(
                "missed_calls.region: {:?} is no ISO 3166 country code",
                m.region
            )
        })?,
        min_talk: m.min_talk,
        hint: m.good_time_window,
        operators: m.operators.clone(),
        crm_url: m.crm_url.clone(),
    })
}

/// The plugins folder, loaded and watched, with compiled components cached under the
/// data directory.
fn plugins(config: &Config) -> anyhow::Result<ringhost_plugins::PluginRegistry> {
    let limits = ringhost_plugins::Limits {
        call_deadline: config.plugins.call_deadline,
        session_deadline: config.plugins.ivr_deadline,
        connector_deadline: config.plugins.connector_deadline,
        memory_bytes: config.plugins.memory_mb as usize * (1 << 20),
    };
    let cache = config.data_dir.join("plugin-cache");
    let engine = ringhost_plugins::PluginEngine::new(Some(cache), limits)?;
    let registry = ringhost_plugins::PluginRegistry::open(engine, &config.plugins.dir)
        .with_context(|| {
            format!(
                "cannot watch the plugins folder {}",
                config.plugins.dir.display()
            )
        })?;
    let (loaded, refused) = registry.counts();
    tracing::info!(dir = %config.plugins.dir.display(), loaded, refused, "plugins ready");
    Ok(registry)
}
