//! The simulation: one shift of one scenario on one seed, in simulated time (an event
//! queue in milliseconds), with a pacer asked how many calls to start whenever
//! something changes (at most every 100 ms) and at least every second, as the
//! scheduler asks it.
//!
//! A call is dialled, resolves at its fate's time (a person answers, a machine, busy,
//! nobody), and a person waits in the queue for the longest-idle ready agent; one not
//! put through within the grace is abandoned. An agent talks, wraps up, and is ready
//! again (or takes a due break). What the pacer sees is the scheduler's snapshot
//! ([`Snapshot`]) and what it gives a look-ahead pacer ([`Ahead`]), in a [`View`]
//! with the figures VICIdial's methods keep.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use ringhost_plugins::pacer::{
    AgentBasis, Ahead, Floor, Measured, Parameters, Sample, Snapshot, Window,
};

use crate::measure::{Measure, Moments};
use crate::pacers::Pacer;
use crate::scenario::{Draws, Fate, Scenario, ms};
use crate::tally::Tally;

/// How often the pacer is asked when nothing happens (the scheduler's tick).
const TICK_MS: u64 = 1_000;

/// The pacer is asked at most this often: changes within it wait for the next pass,
/// as the scheduler's passes are woken by changes, not run once per change.
const PASS_MS: u64 = 100;

/// The window of the snapshot's answer and abandon rates (a campaign's default
/// `rate_window_s`).
const RATE_WINDOW_MS: u64 = 900_000;

/// Where a shift starts on the clock pacers read (`now-ms`, the window's start):
/// 2026-01-05 08:00 UTC, a Monday.
pub const SHIFT_START_MS: u64 = 1_767_600_000_000;

/// The floor as a pacer may see it: the scheduler's snapshot, what the scheduler asks
/// a look-ahead pacer with, and the counts and drop figures VICIdial keeps.
#[derive(Debug)]
pub struct View<'a> {
    /// Simulated time since the shift began.
    pub now_ms: u64,
    /// Left of the shift.
    pub shift_left_ms: u64,
    /// The scheduler's snapshot.
    pub snapshot: &'a Snapshot,
    /// For a pacer that looks ahead ([`Pacer::looks_ahead`]): each call's and agent's
    /// time, the measurements and the shift's abandon budget (its window is the
    /// shift).
    pub ahead: Option<&'a Ahead>,
    /// People answered since the shift began (dropped included), and those dropped.
    pub today: (u64, u64),
    /// Agents logged in and not on a break.
    pub agents_logged_in: u32,
    /// Agents talking to a customer.
    pub agents_talking: u32,
    /// People answered in the last minute (those dropped included), and those dropped.
    pub last_minute: (u32, u32),
}

impl View<'_> {
    /// Calls holding a channel: ringing, waiting for an agent, talking.
    pub fn calls_in_system(&self) -> u32 {
        self.snapshot.calls_dialing
            + self.snapshot.calls_ringing
            + self.snapshot.calls_queued
            + self.agents_talking
    }
}

/// Moments as the look-ahead interface's sample.
fn sample((count, sum, squares): Moments) -> Sample {
    Sample::of(count, sum, squares)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// Call `n` resolves: answered or over.
    Resolve(u32),
    /// Call `n`'s grace ends: abandoned if still waiting.
    Grace(u32),
    /// Agent `a` ends the call.
    TalkEnd(u32),
    /// Agent `a` ends the wrap-up.
    WrapEnd(u32),
    /// Agent `a` logs in.
    LogIn(u32),
    /// Agent `a` is due a break.
    BreakDue(u32),
    /// Agent `a` is back from a break.
    BreakEnd(u32),
    /// The pacer is asked.
    Tick,
    /// A pass held back by `PASS_MS` is due.
    Pass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgentState {
    Out,
    Ready,
    Talking,
    Wrap,
    Break,
}

#[derive(Debug, Clone, Copy)]
struct Agent {
    state: AgentState,
    /// When the state began.
    since: u64,
    /// A break is due once the current call is over.
    break_due: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    Ringing,
    Waiting,
    Done,
}

#[derive(Debug, Clone, Copy)]
struct Call {
    dialled: u64,
    fate: Fate,
    state: CallState,
}

/// One shift.
struct Shift<'a> {
    scenario: &'a Scenario,
    draws: Draws,
    now: u64,
    end: u64,
    seq: u64,
    events: BinaryHeap<Reverse<(u64, u64, Event)>>,
    agents: Vec<Agent>,
    /// Ready agents, longest idle first (may hold agents no longer ready: skipped).
    ready: VecDeque<u32>,
    calls: Vec<Call>,
    ringing: Vec<u32>,
    waiting: VecDeque<u32>,
    /// (time, person answered) per resolved dial, and (time) per drop, in the window.
    resolved: VecDeque<(u64, bool)>,
    dropped: VecDeque<u64>,
    window_people: u32,
    /// When each person of the last minute answered, and each drop of it.
    minute_people: VecDeque<u64>,
    minute_drops: VecDeque<u64>,
    talk_sum: u64,
    talk_count: u64,
    measure: Measure,
    /// When the pacer was last asked, and whether a held-back pass is queued.
    last_pass: Option<u64>,
    pass_queued: bool,
    tally: Tally,
}

/// Simulates one shift of `scenario` on `seed` with `pacer`, which is reset first.
///
/// # Errors
/// When the pacer cannot be reset (a plugin that cannot be instantiated).
pub fn run(scenario: &Scenario, seed: u64, pacer: &mut dyn Pacer) -> anyhow::Result<Tally> {
    pacer.reset()?;
    let mut shift = Shift::new(scenario, seed);
    shift.play(pacer);
    Ok(shift.tally)
}

impl<'a> Shift<'a> {
    fn new(scenario: &'a Scenario, seed: u64) -> Shift<'a> {
        let agents = scenario.agents;
        let mut shift = Shift {
            scenario,
            draws: Draws::new(scenario, seed),
            now: 0,
            end: ms(scenario.hours * 3600.0),
            seq: 0,
            events: BinaryHeap::new(),
            agents: vec![
                Agent {
                    state: AgentState::Out,
                    since: 0,
                    break_due: false,
                };
                agents as usize
            ],
            ready: VecDeque::with_capacity(agents as usize),
            calls: Vec::new(),
            ringing: Vec::new(),
            waiting: VecDeque::new(),
            resolved: VecDeque::new(),
            dropped: VecDeque::new(),
            window_people: 0,
            minute_people: VecDeque::new(),
            minute_drops: VecDeque::new(),
            talk_sum: 0,
            talk_count: 0,
            measure: Measure::new(ms(scenario.ring_timeout_s)),
            last_pass: None,
            pass_queued: false,
            tally: Tally::new(agents),
        };
        let ramp = ms(scenario.login_ramp_min * 60.0);
        let every = ms(scenario.break_every_h * 3600.0);
        for a in 0..agents {
            let login = ramp * u64::from(a) / u64::from(agents);
            shift.at(login, Event::LogIn(a));
            if every > 0 && scenario.break_min > 0.0 {
                // Staggered: agent a's first break falls a/agents of the way through
                // the first interval after the first half of it.
                let mut due = login + every / 2 + every * u64::from(a) / u64::from(agents) / 2;
                while due < shift.end {
                    shift.at(due, Event::BreakDue(a));
                    due += every;
                }
            }
        }
        shift.at(0, Event::Tick);
        shift
    }

    fn at(&mut self, time: u64, event: Event) {
        self.seq += 1;
        self.events.push(Reverse((time, self.seq, event)));
    }

    fn play(&mut self, pacer: &mut dyn Pacer) {
        while let Some(Reverse((time, _, event))) = self.events.pop() {
            if time >= self.end {
                break;
            }
            self.now = time;
            let changed = self.handle(event);
            // Every event of this millisecond first, then one question to the pacer.
            let next_is_now = self.events.peek().is_some_and(|e| e.0.0 == time);
            if changed && !next_is_now {
                match self.last_pass {
                    Some(last) if time < last + PASS_MS => {
                        if !self.pass_queued {
                            self.pass_queued = true;
                            self.at(last + PASS_MS, Event::Pass);
                        }
                    }
                    _ => {
                        self.last_pass = Some(time);
                        self.pace(pacer);
                    }
                }
            }
        }
        self.now = self.end;
        self.close();
    }

    /// Handles one event; whether the pacer should be asked.
    fn handle(&mut self, event: Event) -> bool {
        match event {
            Event::Tick => {
                self.at(self.now + TICK_MS, Event::Tick);
                true
            }
            Event::Pass => {
                self.pass_queued = false;
                true
            }
            Event::Resolve(n) => self.resolve(n),
            Event::Grace(n) => {
                let call = &mut self.calls[n as usize];
                if call.state != CallState::Waiting {
                    return false;
                }
                call.state = CallState::Done;
                self.waiting.retain(|&w| w != n);
                self.tally.abandoned += 1;
                self.tally.people.push((self.now, true));
                self.dropped.push_back(self.now);
                self.minute_drops.push_back(self.now);
                true
            }
            Event::TalkEnd(a) => {
                let started = self.agents[a as usize].since;
                self.tally.talk_ms += self.now - started;
                self.talk_sum += self.now - started;
                self.talk_count += 1;
                self.measure.talked(started, self.now - started);
                self.set(a, AgentState::Wrap);
                let wrap = ms(self.scenario.wrap_s);
                self.at(self.now + wrap, Event::WrapEnd(a));
                true
            }
            Event::WrapEnd(a) => {
                let started = self.agents[a as usize].since;
                self.tally.wrap_ms += self.now - started;
                self.free(a);
                true
            }
            Event::LogIn(a) => {
                self.tally.logged_in(a, self.now);
                self.free(a);
                true
            }
            Event::BreakDue(a) => {
                let agent = &mut self.agents[a as usize];
                match agent.state {
                    AgentState::Ready => {
                        self.start_break(a);
                        true
                    }
                    AgentState::Out | AgentState::Break => false,
                    AgentState::Talking | AgentState::Wrap => {
                        agent.break_due = true;
                        false
                    }
                }
            }
            Event::BreakEnd(a) => {
                self.tally.on_break(self.agents[a as usize].since, self.now);
                self.free(a);
                true
            }
        }
    }

    fn set(&mut self, a: u32, state: AgentState) {
        let agent = &mut self.agents[a as usize];
        if agent.state == AgentState::Ready {
            self.tally.idle.push(self.now - agent.since);
        }
        agent.state = state;
        agent.since = self.now;
    }

    fn start_break(&mut self, a: u32) {
        self.set(a, AgentState::Break);
        self.agents[a as usize].break_due = false;
        self.at(
            self.now + ms(self.scenario.break_min * 60.0),
            Event::BreakEnd(a),
        );
    }

    /// Agent `a` is free: a due break, the longest-waiting person, or ready.
    fn free(&mut self, a: u32) {
        if self.agents[a as usize].break_due {
            self.start_break(a);
            return;
        }
        if let Some(n) = self.waiting.pop_front() {
            self.connect(a, n);
            return;
        }
        self.set(a, AgentState::Ready);
        self.ready.push_back(a);
    }

    fn connect(&mut self, a: u32, n: u32) {
        let call = &mut self.calls[n as usize];
        call.state = CallState::Done;
        let Fate::Person { talk_ms, .. } = call.fate else {
            unreachable!("only people are put through");
        };
        self.set(a, AgentState::Talking);
        self.tally.connected += 1;
        self.tally.people.push((self.now, false));
        self.at(self.now + talk_ms, Event::TalkEnd(a));
    }

    /// The longest-idle ready agent, if any.
    fn take_ready(&mut self) -> Option<u32> {
        while let Some(a) = self.ready.pop_front() {
            if self.agents[a as usize].state == AgentState::Ready {
                return Some(a);
            }
        }
        None
    }

    fn resolve(&mut self, n: u32) -> bool {
        if let Some(i) = self.ringing.iter().position(|&r| r == n) {
            self.ringing.swap_remove(i);
        }
        let fate = self.calls[n as usize].fate;
        let person = matches!(fate, Fate::Person { .. });
        let answered_after = match fate {
            Fate::Person { after_ms, .. } => Some(after_ms),
            _ => None,
        };
        self.measure
            .resolved(self.calls[n as usize].dialled, answered_after);
        self.resolved.push_back((self.now, person));
        self.window_people += u32::from(person);
        match fate {
            Fate::Person { .. } => {
                self.tally.answered_people += 1;
                self.minute_people.push_back(self.now);
                match self.take_ready() {
                    Some(a) => self.connect(a, n),
                    None => {
                        self.calls[n as usize].state = CallState::Waiting;
                        self.waiting.push_back(n);
                        self.at(self.now + ms(self.scenario.grace_s), Event::Grace(n));
                    }
                }
            }
            Fate::Machine { .. } => {
                self.tally.answered_machines += 1;
                self.calls[n as usize].state = CallState::Done;
            }
            Fate::Failed { .. } | Fate::NoAnswer { .. } => {
                self.calls[n as usize].state = CallState::Done;
            }
        }
        true
    }

    /// Drops what fell out of the rate window and the last minute.
    fn expire(&mut self) {
        let window_start = self.now.saturating_sub(RATE_WINDOW_MS);
        while self.resolved.front().is_some_and(|r| r.0 < window_start) {
            let (_, person) = self.resolved.pop_front().expect("a front");
            self.window_people -= u32::from(person);
        }
        while self.dropped.front().is_some_and(|&d| d < window_start) {
            self.dropped.pop_front();
        }
        let minute_start = self.now.saturating_sub(60_000);
        for times in [&mut self.minute_people, &mut self.minute_drops] {
            while times.front().is_some_and(|&t| t < minute_start) {
                times.pop_front();
            }
        }
    }

    fn pace(&mut self, pacer: &mut dyn Pacer) {
        self.expire();
        self.measure.advance(self.now);
        let channels = self.scenario.channels();
        let wrap = ms(self.scenario.wrap_s);
        let (mut ready, mut logged_in, mut talking, mut wrapping) = (0, 0, 0, 0);
        for agent in &self.agents {
            match agent.state {
                AgentState::Ready => ready += 1,
                AgentState::Talking => talking += 1,
                AgentState::Wrap => wrapping += 1,
                AgentState::Out | AgentState::Break => continue,
            }
            logged_in += 1;
        }
        let ringing = self.ringing.len() as u32;
        let waiting = self.waiting.len() as u32;
        let in_system = ringing + waiting + talking;
        let ratio = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        let snapshot = Snapshot {
            campaign: "simulated".into(),
            agents_ready: ready,
            agents_present: logged_in,
            agents_busy: talking + wrapping,
            calls_dialing: 0,
            calls_ringing: ringing,
            calls_queued: waiting,
            answer_rate: ratio(u64::from(self.window_people), self.resolved.len() as u64),
            abandon_rate: ratio(self.dropped.len() as u64, u64::from(self.window_people)),
            mean_handle_ms: self.mean_talk_ms() + wrap,
            channel_headroom: channels.saturating_sub(in_system),
            parameters: Parameters {
                ratio_percent: 0,
                ratio_on: AgentBasis::Ready,
                multiplier: 1.0,
                only_when_agents_free: false,
                target_abandon_rate: self.scenario.target_abandon,
                max_calls: 0,
                extra: pacer.extra(),
            },
        };
        // Only a pacer that reads them is given each call's and agent's times: the
        // baselines' shifts take about half as long without (docs/benchmarks.md).
        let ahead = pacer.looks_ahead().then(|| self.ahead(wrap));
        let now = self.now;
        let view = View {
            now_ms: now,
            shift_left_ms: self.end - now,
            snapshot: &snapshot,
            ahead: ahead.as_ref(),
            today: (self.tally.answered_people, self.tally.abandoned),
            agents_logged_in: logged_in,
            agents_talking: talking,
            last_minute: (
                self.minute_people.len() as u32,
                self.minute_drops.len() as u32,
            ),
        };
        let wanted = pacer.pace(&view).min(snapshot.channel_headroom);
        for _ in 0..wanted {
            self.dial();
        }
    }

    /// What the scheduler tells a look-ahead pacer, now.
    fn ahead(&self, wrap: u64) -> Ahead {
        let now = self.now;
        let on = |state: AgentState| self.agents.iter().filter(move |a| a.state == state);
        let (dials, person_rate) = self.measure.person_rate();
        Ahead {
            floor: Floor {
                ringing_ms: (self.ringing.iter())
                    .map(|&n| now - self.calls[n as usize].dialled)
                    .collect(),
                talking_ms: on(AgentState::Talking).map(|a| now - a.since).collect(),
                wrap_left_ms: on(AgentState::Wrap)
                    .map(|a| (a.since + wrap).saturating_sub(now))
                    .collect(),
            },
            measured: Measured {
                dials,
                person_rate,
                answer: sample(self.measure.answers()),
                talk: sample(self.measure.talks()),
                talks_ended: self.talk_count,
                talks_ended_ms: self.talk_sum,
                wrap_ms: wrap,
                grace_ms: ms(self.scenario.grace_s),
                ring_timeout_ms: ms(self.scenario.ring_timeout_s),
            },
            window: Window {
                since_ms: SHIFT_START_MS,
                answered: self.tally.answered_people,
                abandoned: self.tally.abandoned,
            },
        }
    }

    fn mean_talk_ms(&self) -> u64 {
        self.talk_sum
            .checked_div(self.talk_count)
            .unwrap_or_else(|| ms(self.scenario.talk_mean_s))
    }

    fn dial(&mut self) {
        let n = self.calls.len() as u32;
        let fate = self.draws.fate(u64::from(n));
        self.calls.push(Call {
            dialled: self.now,
            fate,
            state: CallState::Ringing,
        });
        self.ringing.push(n);
        self.tally.dials += 1;
        self.at(self.now + fate.after_ms(), Event::Resolve(n));
    }

    /// The shift is over: time in progress counts up to its end.
    fn close(&mut self) {
        for a in 0..self.agents.len() {
            let agent = self.agents[a];
            let spent = self.end - agent.since;
            match agent.state {
                AgentState::Talking => self.tally.talk_ms += spent,
                AgentState::Wrap => self.tally.wrap_ms += spent,
                AgentState::Break => self.tally.on_break(agent.since, self.end),
                AgentState::Ready | AgentState::Out => {}
            }
        }
        self.tally.shift_ms = self.end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacers::Builtin;

    #[test]
    fn progressive_never_abandons_and_keeps_agents_partly_busy() {
        let scenario = Scenario {
            hours: 2.0,
            ..Scenario::default()
        };
        let mut pacer = Builtin::Progressive;
        let tally = run(&scenario, 1, &mut pacer).unwrap();
        let metrics = tally.metrics();
        // One call per free agent: nobody answers without an agent waiting.
        assert_eq!(tally.abandoned, 0);
        assert!(tally.connected > 500, "{tally:?}");
        assert!(
            (0.45..0.80).contains(&metrics.occupancy),
            "{}",
            metrics.occupancy
        );
        // Paired: the same seed gives the same shift.
        let again = run(&scenario, 1, &mut pacer).unwrap();
        assert_eq!(
            (again.dials, again.connected),
            (tally.dials, tally.connected)
        );
    }

    #[test]
    fn an_eager_ratio_abandons_and_breaks_are_taken() {
        let scenario = Scenario {
            hours: 2.0,
            break_every_h: 1.0,
            break_min: 10.0,
            ..Scenario::default()
        };
        let mut pacer = Builtin::Ratio(3.0);
        let tally = run(&scenario, 2, &mut pacer).unwrap();
        let metrics = tally.metrics();
        assert!(metrics.abandon_ftc > 0.05, "{}", metrics.abandon_ftc);
        assert!(metrics.occupancy > 0.9, "{}", metrics.occupancy);
        // 50 agents, two breaks each at most in 2 h (the second may start late).
        assert!(tally.break_ms >= 50 * 10 * 60_000, "{}", tally.break_ms);
    }
}
