//! What the call tests share: a host (its SIP endpoint and registrar, one trunk to a
//! simulated carrier, the call layer's context) on 127.0.0.1, agents' simulated
//! phones, an in-memory [`Agents`], prompts written as WAV files, and ways to wait
//! for things without fixed sleeps.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ringhost_call::agents::AgentsFuture;
use ringhost_call::{
    Agents, AtExtension, CallContext, CallReport, CallRequest, Carrier, MediaSettings, Offer,
    OnAnswer, Progress, Prompts, Skip, TrunkCarrier,
};
use ringhost_media::{Law, PromptCache, RtpPorts};
use ringhost_plugins::PluginRegistry;
use ringhost_sim::{
    CarrierBehaviour, HeardPacket, PhoneBehaviour, PhoneStats, SimCarrier, SimPhone,
};
use ringhost_sip::digest::Algorithm;
use ringhost_sip::{
    Endpoint, EndpointConfig, Protocol, Registrar, RegistrarSettings, TrunkSpec, Trunks,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One millisecond.
pub const MS: Duration = Duration::from_millis(1);

/// The trunk to the simulated carrier, also the default route.
pub const TRUNK: &str = "sim";

/// The agents' and the supervisor's phone accounts: user and password.
const PHONES: [(&str, &str); 4] = [
    ("agent1", "pw-one"),
    ("agent2", "pw-two"),
    ("agent3", "pw-three"),
    ("supervisor", "pw-sup"),
];

/// The host's RTP ports, one round-robin for every test of the binary: a pair one
/// test's call has just freed is not bound at once by another's (its stream would
/// hear the old call's last packets). Below the sim's range (40000 and up).
fn host_ports() -> RtpPorts {
    static PORTS: LazyLock<RtpPorts> =
        LazyLock::new(|| RtpPorts::new("127.0.0.1".parse().unwrap(), 20_000, 39_999).unwrap());
    PORTS.clone()
}

/// Held by a test whose timing is measured (frames every 20 ms) and by one that
/// loads the CPU (building and compiling an IVR plugin): on two cores, Cranelift at
/// work would otherwise show up as holes in the other's audio.
pub static QUIET: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A callee who answers after 100 ms ringing and talks for `talk` (then hangs up),
/// pressing nothing.
pub fn callee(talk: Duration) -> CarrierBehaviour {
    CarrierBehaviour {
        answer_rate: 1.0,
        busy_rate: 0.0,
        ring: (100 * MS, 100 * MS),
        talk: (talk, talk),
        confirm_rate: 0.0,
        confirm_after: Duration::ZERO,
        voice_hz: None,
    }
}

/// [`callee`] pressing 1 `after` the answer.
pub fn callee_pressing_1(talk: Duration, after: Duration) -> CarrierBehaviour {
    CarrierBehaviour {
        confirm_rate: 1.0,
        confirm_after: after,
        ..callee(talk)
    }
}

/// An agent who picks up `after` ringing and talks for `talk`.
pub fn agent_answering(after: Duration, talk: Duration) -> PhoneBehaviour {
    PhoneBehaviour {
        answer_after: after,
        talk: (talk, talk),
        answer: true,
        voice_hz: None,
    }
}

/// An agent away from the desk: the phone rings until the host gives up.
pub fn agent_away() -> PhoneBehaviour {
    PhoneBehaviour {
        answer: false,
        ..PhoneBehaviour::default()
    }
}

/// The host's side of the tests: the call layer over one trunk to a simulated
/// carrier, with a registrar for agents' phones, everything on 127.0.0.1.
pub struct Host {
    /// The callees' far end; it records what they hear.
    pub carrier: SimCarrier,
    /// Cancelling it is the end of a drain: every leg hangs up.
    pub stop: CancellationToken,
    calls: TrunkCarrier,
    registrar: Arc<Registrar>,
    sip: SocketAddr,
    _endpoint: Endpoint,
    prompts: tempfile::TempDir,
}

impl Host {
    /// A host whose one trunk leads to a carrier whose callees behave as `callees`
    /// say, with IVR scripts from `plugins`.
    pub async fn start(callees: CarrierBehaviour, plugins: Option<PluginRegistry>) -> Host {
        let carrier = SimCarrier::bind("127.0.0.1:0".parse().unwrap(), callees)
            .await
            .unwrap();
        carrier.record_audio();
        let registrar = Registrar::new(
            RegistrarSettings {
                realm: "ringhost".into(),
                algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
                min_expires: Duration::from_secs(1),
                max_expires: Duration::from_secs(3600),
                max_failures: 10,
                failure_window: Duration::from_secs(60),
                block_for: Duration::from_secs(60),
                phones: PHONES
                    .iter()
                    .map(|(user, password)| ((*user).to_owned(), (*password).to_owned()))
                    .collect::<HashMap<_, _>>(),
                accounts: None,
            },
            Arc::new(ringhost_sip::MemoryBindings::default()),
        )
        .await
        .unwrap();
        let endpoint = Endpoint::bind(EndpointConfig {
            udp: vec!["127.0.0.1:0".parse().unwrap()],
            tcp: Vec::new(),
            timers: Default::default(),
            user_agent: "ringhost-call-test".into(),
            trusted: Vec::new(),
            registrar: Some(registrar.clone()),
        })
        .await
        .unwrap();
        let sip = endpoint.transport().local_addr(Protocol::Udp).unwrap();
        let trunk = TrunkSpec {
            name: TRUNK.into(),
            address: carrier.local_addr().to_string(),
            protocol: Protocol::Udp,
            domain: String::new(),
            outbound_proxy: None,
            login: None,
            register: false,
            register_expires: Duration::from_secs(3600),
            caller_id: "ringhost".into(),
            asserted_identity: None,
            channels: 10,
            cps: 100.0,
            // No keepalive: the trunk is always up.
            keepalive: Duration::ZERO,
            follow_redirect: false,
        };
        let trunks = Trunks::start(&endpoint, vec![trunk], Vec::new())
            .await
            .unwrap();
        let prompts = tempfile::tempdir().unwrap();
        let stop = CancellationToken::new();
        let calls = TrunkCarrier::new(CallContext {
            trunks,
            endpoint: endpoint.clone(),
            registrar: registrar.clone(),
            media: MediaSettings {
                ports: host_ports(),
                laws: vec![Law::Pcmu, Law::Pcma],
            },
            prompts: Prompts::new(prompts.path()),
            default_route: TRUNK.into(),
            plugins,
            stop: stop.clone(),
            bridged: Default::default(),
        });
        Host {
            carrier,
            stop,
            calls,
            registrar,
            sip,
            _endpoint: endpoint,
            prompts,
        }
    }

    /// The carrier the tests place calls and start monitors through.
    pub fn carrier(&self) -> &TrunkCarrier {
        &self.calls
    }

    /// The prompts folder calls play from.
    pub fn prompts(&self) -> &Path {
        self.prompts.path()
    }

    /// Registers `user`'s phone, behaving as `behaviour` says and recording what it
    /// hears.
    pub async fn phone(&self, user: &str, behaviour: PhoneBehaviour) -> SimPhone {
        let (_, password) = PHONES.iter().find(|(u, _)| *u == user).unwrap();
        let phone = SimPhone::start(self.sip, user, password, behaviour)
            .await
            .unwrap();
        phone.record_audio();
        assert_eq!(self.registrar.contacts(user).len(), 1, "{user} registered");
        phone
    }

    /// Starts placing `request` as the dialer does; its progress comes on the
    /// receiver, its report from the task.
    pub fn spawn(
        &self,
        request: CallRequest,
        agents: Arc<dyn Agents>,
    ) -> (
        tokio::task::JoinHandle<CallReport>,
        mpsc::UnboundedReceiver<Progress>,
    ) {
        let (progress, heard) = mpsc::unbounded_channel();
        let placing = self.calls.place(request, progress, agents);
        (tokio::spawn(placing), heard)
    }

    /// Places `request` and waits (15 s at most) for its report; the report and the
    /// progress reported on the way.
    pub async fn call(
        &self,
        request: CallRequest,
        agents: Arc<dyn Agents>,
    ) -> (CallReport, Vec<Progress>) {
        let (task, mut progress) = self.spawn(request, agents);
        let report = tokio::time::timeout(Duration::from_secs(15), task)
            .await
            .expect("the call is still going after 15 s")
            .expect("the call's task panicked");
        let mut seen = Vec::new();
        while let Ok(step) = progress.try_recv() {
            seen.push(step);
        }
        (report, seen)
    }
}

/// The dialer's request for a call to `number` that does `on_answer`.
pub fn request(number: &str, on_answer: OnAnswer) -> CallRequest {
    CallRequest {
        attempt_id: 7,
        campaign: "tests".into(),
        number: number.into(),
        caller_id: Some("0612345678".into()),
        route: None,
        ring_timeout: Duration::from_secs(5),
        on_answer,
        variables: vec![("name".into(), "Ada".into())],
    }
}

/// A queued call's settings: `queue`, abandoned after `abandon_after`, each agent's
/// phone rung for `agent_ring`, at most 10 s in the queue, no message or music.
pub fn queue(queue: &str, abandon_after: Duration, agent_ring: Duration) -> OnAnswer {
    OnAnswer::Queue {
        queue: queue.into(),
        abandon_after,
        max_wait: Duration::from_secs(10),
        agent_ring,
        message: None,
        music: None,
    }
}

/// A phone that answered one call, never two at once, and is free again.
pub const ONE_CALL_OVER: PhoneStats = PhoneStats {
    calls_answered: 1,
    busy_refusals: 0,
    max_concurrent_calls: 1,
    calls_in_progress: 0,
};

/// An agent's state in [`MemoryAgents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    /// Free since this time (ms since the epoch): the longest idle is taken first.
    Free(i64),
    /// Taken for the call of this attempt.
    OnCall(Option<i64>),
    /// Let go of as the call layer said, not free again.
    Paused(Skip),
    /// Their call is over: wrap-up.
    WrapUp,
}

/// What the call layer asked of [`MemoryAgents`], in order (takes that found nobody
/// are not noted: a waiting call asks every 200 ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// This agent was taken for a call.
    Took(String),
    /// This agent was let go of before talking.
    Skipped(String, Skip),
    /// This agent's call is over.
    Released(String),
}

struct Agent {
    name: String,
    queue: String,
    state: AgentState,
}

/// The agents of the tests' queues, in memory. This stands for the dialer's
/// store-backed `Queues` (whose taking of the longest-idle agent is tested on its own
/// in the store's tests, on SQLite and PostgreSQL), so that the call layer's tests
/// need no database and `ringhost-call` no dependency on the store: free
/// agents are ordered by `free_since_ms` and the longest idle is taken; an agent let
/// go of because the call went away is free again in their old place; one whose
/// phone did not answer or is not registered is paused; a released agent goes into
/// wrap-up. Each agent's extension is their name.
#[derive(Default)]
pub struct MemoryAgents {
    inner: Mutex<(Vec<Agent>, Vec<Asked>)>,
}

impl MemoryAgents {
    /// `agents` of `queue`, each as (name, free since).
    pub fn queue(queue: &str, agents: &[(&str, i64)]) -> Arc<MemoryAgents> {
        let agents = agents
            .iter()
            .map(|(name, since)| Agent {
                name: (*name).to_owned(),
                queue: queue.to_owned(),
                state: AgentState::Free(*since),
            })
            .collect();
        Arc::new(MemoryAgents {
            inner: Mutex::new((agents, Vec::new())),
        })
    }

    /// Nobody: every take finds no agent, every extension is a plain phone.
    pub fn none() -> Arc<MemoryAgents> {
        Arc::default()
    }

    /// Where `name` stands now.
    pub fn state(&self, name: &str) -> AgentState {
        let inner = self.lock();
        inner.0.iter().find(|a| a.name == name).unwrap().state
    }

    /// What the call layer asked so far.
    pub fn asked(&self) -> Vec<Asked> {
        self.lock().1.clone()
    }

    fn lock(&self) -> MutexGuard<'_, (Vec<Agent>, Vec<Asked>)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `agent` (an index) for `attempt`: their offer.
    fn take_index(
        inner: &mut (Vec<Agent>, Vec<Asked>),
        index: usize,
        attempt: Option<i64>,
    ) -> Offer {
        let agent = &mut inner.0[index];
        let AgentState::Free(since) = agent.state else {
            unreachable!("only free agents are taken");
        };
        agent.state = AgentState::OnCall(attempt);
        inner.1.push(Asked::Took(agent.name.clone()));
        Offer {
            agent: agent.name.clone(),
            extension: agent.name.clone(),
            free_since_ms: since,
        }
    }

    fn set(&self, offer: &Offer, state: AgentState, asked: Asked) {
        let mut inner = self.lock();
        let agent = inner.0.iter_mut().find(|a| a.name == offer.agent).unwrap();
        assert!(
            matches!(agent.state, AgentState::OnCall(_)),
            "{} let go of while {:?}",
            offer.agent,
            agent.state
        );
        agent.state = state;
        inner.1.push(asked);
    }
}

impl Agents for MemoryAgents {
    fn take<'a>(
        &'a self,
        queue: &'a str,
        attempt_id: Option<i64>,
    ) -> AgentsFuture<'a, anyhow::Result<Option<Offer>>> {
        Box::pin(async move {
            let mut inner = self.lock();
            let longest_idle = inner
                .0
                .iter()
                .enumerate()
                .filter(|(_, a)| a.queue == queue)
                .filter_map(|(i, a)| match a.state {
                    AgentState::Free(since) => Some((since, i)),
                    _ => None,
                })
                .min();
            Ok(longest_idle.map(|(_, i)| Self::take_index(&mut inner, i, attempt_id)))
        })
    }

    fn take_at<'a>(
        &'a self,
        extension: &'a str,
        attempt_id: Option<i64>,
    ) -> AgentsFuture<'a, anyhow::Result<AtExtension>> {
        Box::pin(async move {
            let mut inner = self.lock();
            let at = inner.0.iter().position(|a| a.name == extension);
            Ok(match at {
                None => AtExtension::NoAgent,
                Some(i) if matches!(inner.0[i].state, AgentState::Free(_)) => {
                    AtExtension::Agent(Self::take_index(&mut inner, i, attempt_id))
                }
                Some(_) => AtExtension::Busy,
            })
        })
    }

    fn skip<'a>(&'a self, offer: &'a Offer, why: Skip) -> AgentsFuture<'a, ()> {
        Box::pin(async move {
            let state = match why {
                Skip::CallGone => AgentState::Free(offer.free_since_ms),
                Skip::NoAnswer | Skip::Unreachable => AgentState::Paused(why),
            };
            self.set(offer, state, Asked::Skipped(offer.agent.clone(), why));
        })
    }

    fn release<'a>(&'a self, offer: &'a Offer) -> AgentsFuture<'a, ()> {
        Box::pin(async move {
            let asked = Asked::Released(offer.agent.clone());
            self.set(offer, AgentState::WrapUp, asked);
        })
    }
}

/// Writes `ms` of a 1 kHz tone as an 8 kHz mono WAV file, swelling from half of
/// `amplitude` to all of it so that no two of its 20 ms frames are alike (a steady
/// 1 kHz tone repeats every frame, and a frame found would say nothing of its place).
pub fn write_tone(path: &Path, ms: u32, amplitude: f64) {
    let len = ms * 8;
    let samples: Vec<i16> = (0..len)
        .map(|i| {
            let phase = 2.0 * std::f64::consts::PI * 1000.0 * f64::from(i) / 8000.0;
            let swell = 0.5 + 0.5 * f64::from(i) / f64::from(len);
            (amplitude * swell * phase.sin()) as i16
        })
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + samples.len() * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16_000u32.to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    std::fs::write(path, wav).unwrap();
}

/// A prompt file's G.711 codes in `law`, as the host sends them.
pub fn codes_of(path: &Path, law: Law) -> Vec<u8> {
    PromptCache::new().load(path, law).unwrap().codes.clone()
}

/// The callee's and the agent's voices, for tests telling them apart. Each is a whole
/// number of cycles in a 20 ms frame, so a frame's DFT tells them apart exactly.
pub const CALLEE_HZ: u16 = 500;
pub const AGENT_HZ: u16 = 1100;

/// The amplitude above which a frame holds a voice (they speak at 4000; comfort
/// noise and G.711's rounding stay far below).
pub const SPOKEN: f64 = 1000.0;

/// The amplitude of the `hz` component of one frame of `law` codes.
pub fn amplitude(law: Law, codes: &[u8], hz: u16) -> f64 {
    let n = codes.len() as f64;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &code) in codes.iter().enumerate() {
        let phase = 2.0 * std::f64::consts::PI * f64::from(hz) * i as f64 / 8000.0;
        let sample = f64::from(law.decode(code));
        re += sample * phase.cos();
        im += sample * phase.sin();
    }
    2.0 * (re * re + im * im).sqrt() / n
}

/// The law of a recorded stream.
pub fn law_of(packets: &[HeardPacket]) -> Law {
    let first = packets.first().expect("nothing was heard");
    Law::from_payload_type(first.payload_type).expect("a G.711 stream")
}

/// Where `codes` (a whole number of 20 ms frames, no two alike) begin among the
/// packets, frame after frame: the index of the first, if they are all there in
/// order.
pub fn find_frames(packets: &[HeardPacket], codes: &[u8]) -> Option<usize> {
    assert_eq!(codes.len() % 160, 0, "a whole number of frames");
    let frames: Vec<&[u8]> = codes.chunks(160).collect();
    for (n, frame) in frames.iter().enumerate() {
        assert!(
            !frames[..n].contains(frame),
            "frame {n} is like an earlier one"
        );
    }
    packets.windows(frames.len()).position(|run| {
        run.iter()
            .zip(&frames)
            .all(|(packet, frame)| packet.payload == *frame)
    })
}

/// Polls `read` every 20 ms until it gives `expected`; fails the test after `within`
/// with what it last gave.
pub async fn settled<T: PartialEq + std::fmt::Debug>(
    expected: T,
    within: Duration,
    mut read: impl FnMut() -> T,
) {
    let deadline = Instant::now() + within;
    loop {
        let now = read();
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {expected:?} within {within:?}, still {now:?}"
        );
        tokio::time::sleep(20 * MS).await;
    }
}
