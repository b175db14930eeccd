//! VICIdial's adaptive dial methods, from their documented behaviour: a dial level `L`
//! moved toward "no agent idle, no call waiting" and clamped by the abandon rate.
//!
//! - Every second: a sample of ready agents, answered calls waiting for an agent, and
//!   logged-in agents; the last 15 are averaged.
//! - Every 15 s: `L <- L x (1 + m x g)` with `m = (ready - waiting + diff_target) /
//!   agents` and `g = 1 + intensity/100` when `m >= 0`, `|intensity/100 - 1|` when
//!   `m < 0`; capped at the maximum level and floored at 1.0.
//! - Every 60 s the drop figures are refreshed: when more than 20 calls of the last
//!   minute were answered and over half dropped, `L` is halved; when the day has more
//!   than 50 and its drops over answers exceed the limit, `HARD_LIMIT` sets `L` to 1.0,
//!   `AVERAGE` halves it, `TAPERED` multiplies it by `min(1, shift left / 10 h)`.
//! - Calls are placed every 2.5 s, as RATIO places them at level `L`.

use std::collections::VecDeque;

use crate::engine::View;

use super::{Pacer, ratio_dials};

/// What the day's abandon rate over the limit does to the level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropMode {
    /// `ADAPT_HARD_LIMIT`: back to 1.0.
    Hard,
    /// `ADAPT_TAPERED`: scaled by the share of the shift left, out of 10 hours.
    Tapered,
    /// `ADAPT_AVERAGE`: halved.
    Average,
}

impl DropMode {
    /// The mode called `name` (`hard`, `tapered`, `average`).
    pub fn parse(name: &str) -> Option<DropMode> {
        Some(match name {
            "hard" => DropMode::Hard,
            "tapered" => DropMode::Tapered,
            "average" => DropMode::Average,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            DropMode::Hard => "hard",
            DropMode::Tapered => "tapered",
            DropMode::Average => "average",
        }
    }
}

/// The adaptive method's settings; the defaults are VICIdial's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptSettings {
    /// `adaptive_intensity`, -40 to 40: how hard the level moves.
    pub intensity: f64,
    /// `adaptive_dl_diff_target`: agents idle (positive) or calls waiting (negative)
    /// aimed at.
    pub diff_target: f64,
    /// `adaptive_maximum_level`.
    pub max_level: f64,
    /// `adaptive_dropped_percentage`, as a share.
    pub drop_limit: f64,
}

impl Default for AdaptSettings {
    fn default() -> Self {
        AdaptSettings {
            intensity: 0.0,
            diff_target: 0.0,
            max_level: 3.0,
            drop_limit: 0.03,
        }
    }
}

impl AdaptSettings {
    /// Settings from `intensity=20,diff=1,max=4,drop=0.03`; what is left out keeps
    /// its default.
    ///
    /// # Errors
    /// An unknown key or a value that is no number.
    pub fn parse(text: &str) -> Result<AdaptSettings, String> {
        let mut settings = AdaptSettings::default();
        for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not key=value"))?;
            let value: f64 = value
                .trim()
                .parse()
                .map_err(|_| format!("{key}: {value:?} is no number"))?;
            match key.trim() {
                "intensity" => settings.intensity = value,
                "diff" => settings.diff_target = value,
                "max" => settings.max_level = value,
                "drop" => settings.drop_limit = value,
                other => return Err(format!("no setting {other:?} (intensity, diff, max, drop)")),
            }
        }
        Ok(settings)
    }
}

/// One of the adaptive methods, with its level and its samples.
#[derive(Debug, Clone)]
pub struct Adaptive {
    mode: DropMode,
    settings: AdaptSettings,
    level: f64,
    samples: VecDeque<(u32, u32, u32)>,
    next_sample: u64,
    next_adjust: u64,
    next_drops: u64,
    next_dial: u64,
    /// The drop figures as last refreshed: the last minute's and the day's.
    minute: (u32, u32),
    today: (u64, u64),
}

impl Adaptive {
    /// The method in `mode` with `settings`.
    pub fn new(mode: DropMode, settings: AdaptSettings) -> Adaptive {
        Adaptive {
            mode,
            settings,
            level: 1.0,
            samples: VecDeque::with_capacity(15),
            next_sample: 0,
            next_adjust: 15_000,
            next_drops: 60_000,
            next_dial: 0,
            minute: (0, 0),
            today: (0, 0),
        }
    }

    /// The dial level now.
    pub fn level(&self) -> f64 {
        self.level
    }

    fn adjust(&mut self) {
        let n = self.samples.len().max(1) as f64;
        let (ready, waiting, agents) = self.samples.iter().fold((0.0, 0.0, 0.0), |acc, s| {
            (
                acc.0 + f64::from(s.0),
                acc.1 + f64::from(s.1),
                acc.2 + f64::from(s.2),
            )
        });
        let (ready, waiting, agents) = (ready / n, waiting / n, agents / n);
        if agents > 0.0 {
            let m = (ready - waiting + self.settings.diff_target) / agents;
            let intensity = self.settings.intensity / 100.0;
            let g = if m >= 0.0 {
                1.0 + intensity
            } else {
                (intensity - 1.0).abs()
            };
            self.level *= 1.0 + m * g;
        }
        self.level = self.level.min(self.settings.max_level).max(1.0);
    }

    fn check_drops(&mut self, shift_left_ms: u64) {
        let (minute_calls, minute_drops) = self.minute;
        if minute_calls > 20 && f64::from(minute_drops) > 0.5 * f64::from(minute_calls) {
            self.level /= 2.0;
        }
        let (calls, drops) = self.today;
        if calls > 50 && drops as f64 / calls as f64 > self.settings.drop_limit {
            match self.mode {
                DropMode::Hard => self.level = 1.0,
                DropMode::Average => self.level /= 2.0,
                DropMode::Tapered => {
                    self.level *= (shift_left_ms as f64 / 36_000_000.0).min(1.0);
                }
            }
        }
        self.level = self.level.max(1.0);
    }
}

impl Pacer for Adaptive {
    fn name(&self) -> String {
        let s = &self.settings;
        let defaults = AdaptSettings::default();
        let mut name = format!("vicidial-adapt-{}", self.mode.name());
        if *s != defaults {
            name.push_str(&format!(
                ":intensity={},diff={},max={}",
                s.intensity, s.diff_target, s.max_level
            ));
            if s.drop_limit != defaults.drop_limit {
                name.push_str(&format!(",drop={}", s.drop_limit));
            }
        }
        name
    }

    fn reset(&mut self) -> anyhow::Result<()> {
        *self = Adaptive::new(self.mode, self.settings);
        Ok(())
    }

    fn pace(&mut self, view: &View<'_>) -> u32 {
        let now = view.now_ms;
        while self.next_sample <= now {
            if self.samples.len() == 15 {
                self.samples.pop_front();
            }
            self.samples.push_back((
                view.snapshot.agents_ready,
                view.snapshot.calls_queued,
                view.agents_logged_in,
            ));
            self.next_sample += 1_000;
        }
        while self.next_drops <= now {
            self.minute = view.last_minute;
            self.today = view.today;
            self.next_drops += 60_000;
            self.check_drops(view.shift_left_ms);
        }
        while self.next_adjust <= now {
            self.adjust();
            self.next_adjust += 15_000;
            // The day's clamp holds at every adjustment, on the figures last refreshed.
            self.check_drops(view.shift_left_ms);
        }
        if now < self.next_dial {
            return 0;
        }
        self.next_dial = now + 2_500;
        ratio_dials(self.level, view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_and_name_themselves() {
        let s = AdaptSettings::parse("intensity=20, diff=1,max=4").unwrap();
        assert_eq!((s.intensity, s.diff_target, s.max_level), (20.0, 1.0, 4.0));
        assert!(
            AdaptSettings::parse("speed=2")
                .unwrap_err()
                .contains("speed")
        );
        assert!(
            AdaptSettings::parse("max=x")
                .unwrap_err()
                .contains("no number")
        );
        let pacer = Adaptive::new(DropMode::Tapered, s);
        assert_eq!(
            pacer.name(),
            "vicidial-adapt-tapered:intensity=20,diff=1,max=4"
        );
        let pacer = Adaptive::new(DropMode::Hard, AdaptSettings::default());
        assert_eq!(pacer.name(), "vicidial-adapt-hard");
    }

    #[test]
    fn idle_agents_raise_the_level_and_drops_bring_it_down() {
        let mut pacer = Adaptive::new(DropMode::Average, AdaptSettings::default());
        // Half the agents idle, nobody waiting: m = 0.5, g = 1: L x 1.5 each 15 s.
        pacer.samples.extend([(10, 0, 20); 15]);
        pacer.adjust();
        assert!((pacer.level() - 1.5).abs() < 1e-9);
        pacer.adjust();
        assert!((pacer.level() - 2.25).abs() < 1e-9);
        pacer.adjust();
        assert_eq!(pacer.level(), 3.0, "capped");
        // The day over 3%: AVERAGE halves.
        pacer.today = (100, 4);
        pacer.check_drops(0);
        assert_eq!(pacer.level(), 1.5);
        // Calls waiting, nobody idle: the level falls, not under 1.0.
        pacer.samples.clear();
        pacer.samples.extend([(0, 10, 20); 15]);
        pacer.adjust();
        assert!((pacer.level() - 1.0).abs() < 1e-9);
    }
}
