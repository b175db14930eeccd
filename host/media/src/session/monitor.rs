//! A supervisor on a bridge: a third leg that hears the mix of a customer and an agent
//! and, as the [`MonitorMode`] says, may be heard by the agent alone (whisper) or by
//! both (barge).
//!
//! A leg that hears one party only keeps the plain bridge's relay: that party's packets
//! go on as they come, digits included. A leg that hears two is sent a mix instead:
//! every leg's listener also hands its audio to the monitor's [`Mixer`] (a [`Voice`]
//! each), and the mixer, on the media clock, takes a frame of each voice every 20 ms,
//! sums what each mixed leg hears and sends it in that leg's law. So in `Listen` the
//! customer and the agent still hear each other exactly as without a monitor, and
//! dropping the [`Monitor`] gives the relay back to whichever leg had lost it.
//!
//! Locks, always taken in this order: the bridge's state, the mixer, one player at a
//! time. Listeners take the mixer or a player, never both.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use tokio::sync::mpsc;

use crate::clock::{Clocked, MediaClock};
use crate::g711::Law;
use crate::mix::{self, Voice};
use crate::prompt::comfort_noise;

use super::listener::Command;
use super::player::{Player, Source};
use super::{FRAME, MediaSession, lock};

/// Who hears whom while a supervisor is on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorMode {
    /// The supervisor hears both parties; nobody hears the supervisor.
    Listen,
    /// The supervisor hears both parties; the agent hears the customer and the
    /// supervisor; the customer hears only the agent (coaching).
    Whisper,
    /// Each of the three hears the other two (the supervisor joins the call).
    Barge,
}

impl MonitorMode {
    /// Every mode, in the order a form lists them.
    pub const ALL: [MonitorMode; 3] = [
        MonitorMode::Listen,
        MonitorMode::Whisper,
        MonitorMode::Barge,
    ];

    /// The mode's name, as forms and the audit write it.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorMode::Listen => "listen",
            MonitorMode::Whisper => "whisper",
            MonitorMode::Barge => "barge",
        }
    }

    /// The mode named `name` (as [`MonitorMode::as_str`] writes it).
    pub fn parse(name: &str) -> Option<MonitorMode> {
        MonitorMode::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// Which parties `party` hears, indexed by [`Party`].
    fn heard_by(self, party: Party) -> [bool; 3] {
        match party {
            Party::Customer => [false, true, self == MonitorMode::Barge],
            Party::Agent => [true, false, self != MonitorMode::Listen],
            Party::Supervisor => [true, true, false],
        }
    }

    /// Whether `party`'s leg is sent a mix: it hears more than one party (one who hears
    /// one party only is relayed that party's packets).
    fn mixes_for(self, party: Party) -> bool {
        self.heard_by(party).into_iter().filter(|h| *h).count() > 1
    }
}

/// The three legs of a monitored bridge, as indexes of the mixer's arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Party {
    /// The leg [`MediaSession::bridge`] was called on.
    Customer = 0,
    /// The leg it was bridged to.
    Agent = 1,
    /// The monitor's leg.
    Supervisor = 2,
}

impl Party {
    const ALL: [Party; 3] = [Party::Customer, Party::Agent, Party::Supervisor];
}

/// Why a supervisor's leg could not be put on a bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MonitorError {
    /// The bridge is over (the call ended or was separated).
    #[error("the bridge is over")]
    BridgeGone,
    /// Another monitor is on the bridge: one supervisor at a time.
    #[error("the bridge is monitored already")]
    AlreadyMonitored,
}

/// One leg as a bridge or a monitor holds it: its listener's commands and its player.
#[derive(Debug, Clone)]
pub(super) struct LegHandle {
    pub(super) commands: mpsc::UnboundedSender<Command>,
    pub(super) player: Arc<Mutex<Player>>,
}

impl LegHandle {
    pub(super) fn of(session: &MediaSession) -> LegHandle {
        LegHandle {
            commands: session.commands.clone(),
            player: session.player.clone(),
        }
    }

    /// Makes the leg send from `source`, starting a new talkspurt when it changes.
    fn send_from(&self, source: Source) {
        let mut player = lock(&self.player);
        if std::mem::discriminant(&player.source) != std::mem::discriminant(&source) {
            player.source = source;
            player.out.mark_next();
        }
    }

    /// Back to comfort noise.
    pub(super) fn comfort_noise(&self) {
        let mut player = lock(&self.player);
        let law = player.negotiated.law;
        player.source = Source::looping(comfort_noise(law));
        player.out.mark_next();
    }
}

/// What a bridge and its handles share.
#[derive(Debug)]
pub(super) struct Joined {
    /// The customer's leg, then the agent's.
    pub(super) legs: [LegHandle; 2],
    pub(super) state: Mutex<JoinedState>,
}

/// Whether the bridge still joins its legs, and the monitor on it.
#[derive(Debug, Default)]
pub(super) struct JoinedState {
    pub(super) separated: bool,
    pub(super) monitor: Weak<Mutex<Mixer>>,
}

impl Joined {
    pub(super) fn state(&self) -> MutexGuard<'_, JoinedState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A way to reach a bridge from elsewhere than its owner (a supervisor's request on
/// another task). It does not keep the bridge: once the [`super::Bridge`] is dropped,
/// [`BridgeHandle::monitor`] says so.
#[derive(Debug, Clone)]
pub struct BridgeHandle {
    pub(super) joined: Weak<Joined>,
}

impl BridgeHandle {
    /// Puts `supervisor`'s leg on the bridge in `mode`: it hears the customer and the
    /// agent mixed from the next tick of the media clock.
    ///
    /// # Errors
    /// When the bridge is over, or another monitor is on it.
    pub fn monitor(
        &self,
        supervisor: &MediaSession,
        mode: MonitorMode,
    ) -> Result<Monitor, MonitorError> {
        let joined = self.joined.upgrade().ok_or(MonitorError::BridgeGone)?;
        let mut state = joined.state();
        if state.separated {
            return Err(MonitorError::BridgeGone);
        }
        // A monitor's listeners hold its mixer until they hear it stopped.
        if let Some(mixer) = state.monitor.upgrade()
            && !lock_mixer(&mixer).stopped
        {
            return Err(MonitorError::AlreadyMonitored);
        }
        let supervisor = LegHandle::of(supervisor);
        let [customer, agent] = &joined.legs;
        let players = [customer, agent, &supervisor].map(|leg| leg.player.clone());
        let mixer = Arc::new(Mutex::new(Mixer {
            mode,
            stopped: false,
            voices: [Voice::new(), Voice::new(), Voice::new()],
            frames: [[0; FRAME]; 3],
            mixed: [0; FRAME],
            players,
        }));
        for (leg, party) in [customer, agent, &supervisor].into_iter().zip(Party::ALL) {
            let _ = leg.commands.send(Command::Mix(mixer.clone(), party));
        }
        supervisor.send_from(Source::Mixed);
        apply(&joined.legs, mode);
        state.monitor = Arc::downgrade(&mixer);
        MediaClock::global().add(&mixer);
        Ok(Monitor {
            joined: self.joined.clone(),
            mixer,
            supervisor,
        })
    }
}

/// Makes each of the bridge's legs relayed or mixed as `mode` says.
fn apply(legs: &[LegHandle; 2], mode: MonitorMode) {
    for (leg, party) in legs.iter().zip([Party::Customer, Party::Agent]) {
        leg.send_from(if mode.mixes_for(party) {
            Source::Mixed
        } else {
            Source::Relay
        });
    }
}

/// A supervisor on a bridge. Dropping it takes the supervisor off: the customer and
/// the agent are relayed to each other again, and the supervisor's leg hears comfort
/// noise.
#[derive(Debug)]
pub struct Monitor {
    joined: Weak<Joined>,
    mixer: Arc<Mutex<Mixer>>,
    supervisor: LegHandle,
}

impl Monitor {
    /// Changes who hears whom, from the next frame, without touching the legs'
    /// calls.
    pub fn set_mode(&self, mode: MonitorMode) {
        let joined = self.joined.upgrade();
        let state = joined.as_ref().map(|j| j.state());
        let mut mixer = lock_mixer(&self.mixer);
        mixer.mode = mode;
        if let (Some(joined), Some(state)) = (&joined, &state)
            && !state.separated
            && !mixer.stopped
        {
            apply(&joined.legs, mode);
        }
    }

    /// The mode now.
    pub fn mode(&self) -> MonitorMode {
        lock_mixer(&self.mixer).mode
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let joined = self.joined.upgrade();
        let state = joined.as_ref().map(|j| j.state());
        let stopped = std::mem::replace(&mut lock_mixer(&self.mixer).stopped, true);
        if let (Some(joined), Some(state)) = (&joined, &state)
            && !state.separated
        {
            for leg in &joined.legs {
                leg.send_from(Source::Relay);
                let _ = leg.commands.send(Command::Unmix);
            }
        }
        let _ = self.supervisor.commands.send(Command::Unmix);
        if !stopped {
            self.supervisor.comfort_noise();
        }
    }
}

/// Stops a monitor whose bridge is being separated: the supervisor hears comfort
/// noise (never silence) until the call layer hangs their leg up.
pub(super) fn stop(mixer: &Mutex<Mixer>) {
    let mut mixer = lock_mixer(mixer);
    if !std::mem::replace(&mut mixer.stopped, true) {
        let supervisor = &mixer.players[Party::Supervisor as usize];
        let mut player = lock(supervisor);
        let law = player.negotiated.law;
        player.source = Source::looping(comfort_noise(law));
        player.out.mark_next();
    }
}

fn lock_mixer(mixer: &Mutex<Mixer>) -> MutexGuard<'_, Mixer> {
    mixer.lock().unwrap_or_else(|e| e.into_inner())
}

/// The monitor's half on the media clock: the three voices and what each mixed leg
/// hears, sent every 20 ms. Its buffers are made once, when the monitor starts.
#[derive(Debug)]
pub(super) struct Mixer {
    mode: MonitorMode,
    /// Set when the monitor or its bridge ends: the clock forgets the mixer.
    stopped: bool,
    voices: [Voice; 3],
    /// This tick's frame of each voice.
    frames: [[i16; FRAME]; 3],
    /// What one leg hears this tick.
    mixed: [i16; FRAME],
    /// The customer's, the agent's and the supervisor's players.
    players: [Arc<Mutex<Player>>; 3],
}

impl Mixer {
    /// A packet of `party`'s audio, from its leg's listener.
    pub(super) fn hear(&mut self, party: Party, law: Law, codes: &[u8]) {
        self.voices[party as usize].hear(law, codes);
    }
}

impl Clocked for Mixer {
    fn on_clock(&mut self, due: Instant) -> bool {
        if self.stopped {
            return false;
        }
        for (voice, frame) in self.voices.iter_mut().zip(&mut self.frames) {
            voice.take_frame(frame);
        }
        for party in Party::ALL {
            if self.mode.mixes_for(party) {
                mix::sum(&self.frames, self.mode.heard_by(party), &mut self.mixed);
                lock(&self.players[party as usize]).send_mixed(&self.mixed, due);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_back_and_say_who_hears_whom() {
        for mode in MonitorMode::ALL {
            assert_eq!(MonitorMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(MonitorMode::parse("Listen"), None);
        assert_eq!(MonitorMode::parse(""), None);
        // Nobody but the agent ever hears a whisper; the customer hears the supervisor
        // only when they barge in; the supervisor always hears both.
        let hears_supervisor = |mode: MonitorMode, party| mode.heard_by(party)[2];
        assert!(!hears_supervisor(MonitorMode::Listen, Party::Agent));
        assert!(!hears_supervisor(MonitorMode::Listen, Party::Customer));
        assert!(hears_supervisor(MonitorMode::Whisper, Party::Agent));
        assert!(!hears_supervisor(MonitorMode::Whisper, Party::Customer));
        assert!(hears_supervisor(MonitorMode::Barge, Party::Customer));
        // Listening leaves the call's own legs relayed as without a monitor.
        assert!(!MonitorMode::Listen.mixes_for(Party::Customer));
        assert!(!MonitorMode::Listen.mixes_for(Party::Agent));
        assert!(!MonitorMode::Whisper.mixes_for(Party::Customer));
        for mode in MonitorMode::ALL {
            assert!(mode.mixes_for(Party::Supervisor));
        }
    }
}
