//! `ringhost demo`: the whole host on its embedded defaults (SQLite in a folder of its
//! own), dialling a simulated carrier whose callees answer, are busy or ring out, with
//! simulated agents' phones that register and take the answered calls; both speak real
//! SIP and RTP over loopback (`ringhost-sim`). A sample list feeds an agent campaign
//! and another a notification campaign, and the banner says where to watch.
//!
//! Nothing here is a shortcut around the host: the configuration is written to a file
//! and read back as an operator's would be, the agents and campaigns are made through
//! the dialer's own operations, and the phones register with digest auth.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use ringhost_dialer::agents::AgentState;
use ringhost_dialer::lifecycle::Command;
use ringhost_http::role::Role;
use ringhost_sim::{CarrierBehaviour, PhoneBehaviour, SimCarrier, SimPhone};
use ringhost_sip::Protocol;
use ringhost_web::language::Language;
use ringhost_web::users::{self, UserSpec};
use serde_json::json;

use crate::serve;

/// What the demo simulates; the defaults make a lively screen.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DemoArgs {
    /// Simulated agents (registered phones in queue `sales`).
    #[arg(long, default_value_t = 3)]
    pub(crate) agents: u32,
    /// Share of calls the simulated callees answer.
    #[arg(long, default_value_t = 0.6)]
    pub(crate) answer_rate: f64,
    /// Shortest talk time of an answered call.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub(crate) talk_min: Duration,
    /// Longest talk time of an answered call.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    pub(crate) talk_max: Duration,
    /// Contacts in each sample list.
    #[arg(long, default_value_t = 200)]
    pub(crate) contacts: u32,
    /// Where the API, `/metrics` and the event stream are served.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) http: SocketAddr,
    /// The folder for the database, prompts and configuration; a new temporary one
    /// (removed at the end) when unset.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

/// Runs the demo until SIGINT or SIGTERM.
pub(crate) async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.answer_rate),
        "--answer-rate is a share between 0 and 1"
    );
    anyhow::ensure!(
        args.talk_min <= args.talk_max,
        "--talk-min is longer than --talk-max"
    );
    let temporary;
    let dir = match &args.dir {
        // Its agents, lists and campaigns are made afresh: a second run on the same
        // data would find them there.
        Some(dir) if dir.join("data").exists() => anyhow::bail!(
            "{} holds the data of an earlier demo: remove it, or choose another --dir",
            dir.display()
        ),
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::Builder::new()
                .prefix("ringhost-demo-")
                .tempdir()?;
            temporary.path().to_owned()
        }
    };
    std::fs::create_dir_all(dir.join("prompts"))?;
    std::fs::create_dir_all(dir.join("plugins"))?;
    write_prompts(&dir.join("prompts"))?;

    let carrier = SimCarrier::bind(
        "127.0.0.1:0".parse()?,
        CarrierBehaviour {
            answer_rate: args.answer_rate,
            busy_rate: (1.0 - args.answer_rate) / 2.0,
            ring: (Duration::from_secs(1), Duration::from_secs(4)),
            talk: (args.talk_min, args.talk_max),
            confirm_rate: 0.7,
            confirm_after: Duration::from_secs(3),
            voice_hz: None,
        },
    )
    .await
    .context("cannot start the simulated carrier")?;
    let agents: Vec<(String, String)> = (1..=args.agents)
        .map(|i| (format!("agent{i}"), ringhost_store::api_key::new_secret()))
        .collect();
    // The wallboard's secret: hex, so it needs no escaping in its address.
    let wallboard = ringhost_store::api_key::new_secret();
    let config_path = dir.join("ringhost.toml");
    std::fs::write(
        &config_path,
        config(&dir, args.http, carrier.local_addr(), &agents, &wallboard),
    )?;
    let config = crate::cli::load_config(Some(&config_path))?;
    crate::telemetry::init_logs(&config.log)?;
    let running = serve::start(config).await?;
    let sip = running
        .sip
        .transport()
        .local_addr(Protocol::Udp)
        .context("the SIP listener has no UDP address")?;

    let dialer = &running.dialer;
    let mut phones = Vec::new();
    for (name, password) in &agents {
        let phone = SimPhone::start(
            sip,
            name,
            password,
            PhoneBehaviour {
                answer_after: Duration::from_millis(300),
                // Agents stay on until the callee hangs up, mostly.
                talk: (args.talk_max, args.talk_max * 2),
                answer: true,
                voice_hz: None,
            },
        )
        .await
        .with_context(|| format!("the simulated phone of {name} cannot register"))?;
        phones.push(phone);
        dialer.create_agent(name, name, 3).await?;
        dialer.add_queue_member("sales", name).await?;
        dialer
            .set_agent_state(name, AgentState::Ready, None)
            .await?;
    }
    let key = ringhost_store::api_key::new_secret();
    running
        .store
        .create_api_key(
            "demo",
            &ringhost_store::api_key::hash(&key),
            r#"["*"]"#,
            serve::now_ms(),
        )
        .await?;
    campaigns(dialer, args.contacts).await?;
    missed_calls(dialer).await?;
    let people = users(&running.store, &agents).await?;

    println!(
        "{}",
        banner(
            &dir,
            args.dir.is_none(),
            running.http_addr,
            Secrets {
                key: &key,
                wallboard: &wallboard,
            },
            &carrier,
            &agents,
            &people,
        )
    );
    let result = running.run().await;
    let stats = carrier.stats();
    println!(
        "simulated carrier: {} calls, {} answered, {} busy, {} unanswered, {} confirmed",
        stats.invites, stats.answered, stats.busy, stats.no_answer, stats.confirmed
    );
    for ((name, _), phone) in agents.iter().zip(&phones) {
        let stats = phone.stats();
        println!(
            "{name}: {} calls taken, at most {} at once",
            stats.calls_answered, stats.max_concurrent_calls
        );
    }
    result
}

/// The demo's configuration file: the simulated carrier as the one trunk, the agents'
/// phone accounts, everything else on its defaults.
fn config(
    dir: &Path,
    http: SocketAddr,
    carrier: SocketAddr,
    agents: &[(String, String)],
    wallboard: &str,
) -> String {
    let dir = dir.display();
    let mut text = format!(
        "# Written by `ringhost demo`.\n\
         data_dir = \"{dir}/data\"\n\
         [http]\nlisten = \"{http}\"\n\
         [sip]\nudp = [\"127.0.0.1:0\"]\ntcp = []\n\
         [log]\nfilter = \"warn,ringhost=info\"\n\
         [shutdown]\ndrain_timeout = \"5s\"\n\
         [web]\nwallboard_token = \"{wallboard}\"\n\
         [plugins]\ndir = \"{dir}/plugins\"\n\
         [dialer]\nprompts_dir = \"{dir}/prompts\"\n\
         [missed_calls]\ncampaign = \"callbacks\"\n\
         [[trunks]]\nname = \"sim-carrier\"\naddress = \"{carrier}\"\n\
         channels = 30\ncps = 10.0\n"
    );
    for (name, password) in agents {
        let _ = write!(
            text,
            "[[phones]]\nusername = \"{name}\"\npassword = \"{password}\"\n"
        );
    }
    text
}

/// A sample list of `count` contacts with a few columns, numbers in Rome.
fn sample_list(count: u32, first: u32) -> String {
    const NAMES: [&str; 8] = [
        "Anna", "Bruno", "Carla", "Dario", "Elena", "Fabio", "Giulia", "Luca",
    ];
    let mut csv = String::from("numbers,name,customer_id,appointment\n");
    for i in 0..count {
        let _ = writeln!(
            csv,
            "+39 06 {:04} {:04},{},C{:05},{}:{:02}",
            first + i / 10_000,
            i % 10_000,
            NAMES[(i % 8) as usize],
            first + i,
            9 + i % 8,
            (i * 15) % 60
        );
    }
    csv
}

/// Two lists and their campaigns, started: `sales` (agents, progressive) and
/// `reminders` (a message and a confirmation by pressing 1).
async fn campaigns(
    dialer: &ringhost_dialer::scheduler::Dialer,
    contacts: u32,
) -> anyhow::Result<()> {
    // Short retry waits, so retries happen while someone watches.
    let list: ringhost_dialer::settings::ListSettings = serde_json::from_value(json!({
        "retry": {"max_attempts": 3, "wait_busy_s": 30, "wait_no_answer_s": 60,
                  "wait_congestion_s": 30, "wait_other_s": 60}
    }))?;
    for (name, first) in [("leads", 1000), ("patients", 2000)] {
        dialer.create_list(name, "demo", &list).await?;
        let summary = dialer
            .import(name, sample_list(contacts, first).as_bytes())
            .await?;
        tracing::info!(
            list = name,
            imported = summary.imported,
            "sample list imported"
        );
    }
    let sales = dialer
        .create_campaign(
            "sales",
            None,
            &["leads".to_owned()],
            // Unanswered calls give up after 12 s, so the agents are soon busy.
            json!({"kind": "agent", "queue": "sales", "priority": 1, "ring_timeout_s": 12,
                   "pacing": {"strategy": "progressive"},
                   "abandon_after_ms": 2000, "abandon_message": "sorry.wav",
                   "music_on_hold": "music.wav"}),
            None,
        )
        .await?;
    let reminders = dialer
        .create_campaign(
            "reminders",
            None,
            &["patients".to_owned()],
            json!({"kind": "notification", "audio": "message.wav", "confirm": true,
                   "ring_timeout_s": 12,
                   "confirm_wait_s": 6, "pacing": {"strategy": "fixed"}, "max_calls": 4}),
            None,
        )
        .await?;
    for id in [sales, reminders] {
        dialer.command(id, Command::Start).await?;
    }
    // The campaign operators call missed calls back through: the agents' queue, no
    // list of its own to dial, paused so that only operators' clicks place its calls.
    dialer.create_list("callbacks", "demo", &list).await?;
    let callbacks = dialer
        .create_campaign(
            "callbacks",
            None,
            &["callbacks".to_owned()],
            json!({"kind": "agent", "queue": "sales", "ring_timeout_s": 20,
                   "pacing": {"strategy": "fixed"}, "keep_running": true}),
            None,
        )
        .await?;
    dialer.command(callbacks, Command::Start).await?;
    dialer.command(callbacks, Command::Pause).await?;
    Ok(())
}

/// Missed calls as a PBX would report them: 40 calls from 25 numbers (some called
/// twice or more) to two queues.
async fn missed_calls(dialer: &ringhost_dialer::scheduler::Dialer) -> anyhow::Result<()> {
    for i in 0..40u32 {
        let form = ringhost_dialer::missed::MissedCallForm {
            unique_id: format!("demo.{i}"),
            caller: format!("02 8765 {:04}", 4000 + (i * 7) % 25),
            called: "0299999999".into(),
            param1: if i % 3 == 0 { "assistenza" } else { "vendite" }.into(),
            param2: "queue".into(),
            ..Default::default()
        };
        dialer.intake_missed_call(form).await?;
    }
    Ok(())
}

/// What the demo prints: where to watch.
/// The demo's secrets the banner prints.
struct Secrets<'a> {
    /// The API key allowed everything.
    key: &'a str,
    /// The wallboard's token.
    wallboard: &'a str,
}

fn banner(
    dir: &Path,
    temporary: bool,
    http: SocketAddr,
    Secrets { key, wallboard }: Secrets<'_>,
    carrier: &SimCarrier,
    agents: &[(String, String)],
    people: &[(String, String)],
) -> String {
    let base = format!("http://{http}");
    let sign_ins: Vec<String> = people
        .iter()
        .map(|(name, password)| format!("{name} / {password}"))
        .collect();
    format!(
        "Ringhost demo running; Ctrl-C stops it.\n\
         \n\
         \x20 web panel    {base}/   sign in as {}\n\
         \x20 supervisor   {base}/supervisor   (live board, after signing in)\n\
         \x20 missed calls {base}/missed (agents call back)  {base}/missed/manage (supervisors)\n\
         \x20 wallboard    {base}/wallboard?token={wallboard}\n\
         \x20 metrics      {base}/metrics   (ringhost_attempts_total by outcome,\n\
         \x20              ringhost_queue_results_total{{result=\"QUEUE_ANSWER\"}}: calls handed to agents)\n\
         \x20 API key      {key}\n\
         \x20 campaigns    curl -H 'Authorization: Bearer {key}' {base}/api/v1/campaigns\n\
         \x20 queue        curl -H 'Authorization: Bearer {key}' {base}/api/v1/queues/sales\n\
         \x20 live events  curl -N -H 'Authorization: Bearer {key}' {base}/api/v1/events\n\
         \x20 API document {base}/api/v1/openapi.json\n\
         \n\
         \x20 carrier      simulated at {carrier} (callees answer, are busy or ring out)\n\
         \x20 agents       {} simulated phones registered: {}\n\
         \x20 campaigns    'sales' (agents, progressive), 'reminders' (message, press 1),\n\
         \x20              'callbacks' (paused: agents' callbacks of missed calls)\n\
         \x20 data         {}{}\n",
        sign_ins.join(", "),
        agents.len(),
        agents
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        dir.display(),
        if temporary {
            " (removed at the end)"
        } else {
            ""
        },
        carrier = carrier.local_addr(),
    )
}

/// The demo's people in the web panel: an admin, a supervisor, and a user for each
/// agent, each with a fresh password; their names and passwords.
async fn users(
    store: &ringhost_store::Store,
    agents: &[(String, String)],
) -> anyhow::Result<Vec<(String, String)>> {
    let mut people = vec![
        ("admin".to_owned(), Role::Admin, None),
        ("supervisor".to_owned(), Role::Supervisor, None),
    ];
    people.extend(
        agents
            .iter()
            .map(|(name, _)| (name.clone(), Role::Agent, Some(name.as_str()))),
    );
    let mut made = Vec::new();
    for (name, role, agent) in people {
        // Twelve hexadecimal digits of a fresh secret: easy to type, never reused.
        let password = ringhost_store::api_key::new_secret()[3..15].to_owned();
        let spec = UserSpec {
            name: &name,
            display_name: "",
            role,
            language: Language::En,
            agent,
        };
        users::create(store, &spec, &password, serve::now_ms()).await?;
        made.push((name, password));
    }
    Ok(made)
}

/// The demo's recordings, synthesised: a chime before the message, a falling "sorry"
/// for abandoned calls, and a looping arpeggio as music on hold.
fn write_prompts(dir: &Path) -> anyhow::Result<()> {
    let prompts: [(&str, &[(f64, u32)]); 3] = [
        (
            "message.wav",
            &[
                (660.0, 300),
                (880.0, 300),
                (0.0, 200),
                (523.0, 600),
                (659.0, 600),
            ],
        ),
        ("sorry.wav", &[(494.0, 400), (392.0, 400), (330.0, 700)]),
        (
            "music.wav",
            &[
                (262.0, 250),
                (330.0, 250),
                (392.0, 250),
                (523.0, 250),
                (392.0, 250),
                (330.0, 250),
            ],
        ),
    ];
    for (name, notes) in prompts {
        write_notes(&dir.join(name), notes)?;
    }
    Ok(())
}

/// Writes `notes` (frequency in Hz, 0 for a rest; length in ms) as an 8 kHz WAV.
fn write_notes(path: &Path, notes: &[(f64, u32)]) -> anyhow::Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(path, spec)?;
    for &(frequency, ms) in notes {
        let samples = 8 * ms;
        for n in 0..samples {
            // A short fade at both ends of each note keeps it from clicking.
            let fade = f64::from(n.min(samples - n).min(160)) / 160.0;
            let t = f64::from(n) / 8000.0;
            let value = (2.0 * std::f64::consts::PI * frequency * t).sin() * 6000.0 * fade;
            wav.write_sample(value as i16)?;
        }
    }
    wav.finalize()?;
    Ok(())
}
