//! Calling hours in the contact's own time zone (the Garante's, the TSR's and Ofcom's
//! rules are about the callee's clock, not the host's).

use chrono::{Datelike, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::settings::CallingWindow;

/// Calling hours parsed once per campaign.
#[derive(Debug, Clone, Default)]
pub struct CallingHours {
    windows: Vec<Window>,
}

#[derive(Debug, Clone)]
struct Window {
    days: [bool; 7],
    from: NaiveTime,
    to: NaiveTime,
}

/// Whether a call may start now, or when it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the hours.
    Open,
    /// Closed; opens at this instant (ms since the epoch).
    OpensAt(i64),
    /// No window ever opens (no days at all): never call.
    Never,
}

impl CallingHours {
    /// Parses the campaign's windows; no window means any time.
    ///
    /// # Errors
    /// A time that is not `HH:MM`, a window that ends before it starts, a day past 6.
    pub fn new(windows: &[CallingWindow]) -> Result<CallingHours, String> {
        let time = |text: &str| {
            NaiveTime::parse_from_str(text, "%H:%M")
                .map_err(|_| format!("{text:?} is not a time of day as HH:MM"))
        };
        let mut parsed = Vec::with_capacity(windows.len());
        for w in windows {
            let (from, to) = (time(&w.from)?, time(&w.to)?);
            if to <= from {
                return Err(format!(
                    "calling hours {}-{} end before they start",
                    w.from, w.to
                ));
            }
            let mut days = [false; 7];
            for &day in &w.days {
                *days
                    .get_mut(usize::from(day))
                    .ok_or_else(|| format!("day {day} is not 0 (Monday) to 6 (Sunday)"))? = true;
            }
            parsed.push(Window { days, from, to });
        }
        Ok(CallingHours { windows: parsed })
    }

    /// Whether a contact in `zone` may be called at `now_ms`, else when.
    pub fn check(&self, zone: Tz, now_ms: i64) -> Verdict {
        if self.windows.is_empty() {
            return Verdict::Open;
        }
        let Some(now) = zone.timestamp_millis_opt(now_ms).single() else {
            return Verdict::Open;
        };
        let time = now.time();
        let today = now.date_naive();
        let weekday = today.weekday().num_days_from_monday() as usize;
        if self
            .windows
            .iter()
            .any(|w| w.days[weekday] && w.from <= time && time < w.to)
        {
            return Verdict::Open;
        }
        let mut next: Option<i64> = None;
        for offset in 0..=7u32 {
            let date = today + chrono::Days::new(u64::from(offset));
            let day = date.weekday().num_days_from_monday() as usize;
            for w in self.windows.iter().filter(|w| w.days[day]) {
                if offset == 0 && w.from <= time {
                    continue;
                }
                // In a spring-forward gap the opening moves to the first instant that
                // exists (rounded up to the next hour).
                let opening = zone
                    .from_local_datetime(&date.and_time(w.from))
                    .earliest()
                    .or_else(|| {
                        let later = w.from.with_minute(0)? + chrono::Duration::hours(1);
                        zone.from_local_datetime(&date.and_time(later)).earliest()
                    });
                if let Some(opening) = opening {
                    let at = opening.timestamp_millis();
                    next = Some(next.map_or(at, |n: i64| n.min(at)));
                }
            }
            if next.is_some() {
                break;
            }
        }
        next.map_or(Verdict::Never, Verdict::OpensAt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekdays_9_to_20() -> CallingHours {
        CallingHours::new(&[CallingWindow {
            days: vec![0, 1, 2, 3, 4],
            from: "09:00".into(),
            to: "20:00".into(),
        }])
        .unwrap()
    }

    fn ms(zone: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        zone.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn open_in_the_contacts_zone_not_the_hosts() {
        let hours = weekdays_9_to_20();
        let rome = chrono_tz::Europe::Rome;
        let new_york = chrono_tz::America::New_York;
        // Monday 2026-11-30 15:00 in Rome is 09:00 in New York: open for both.
        let now = ms(rome, 2026, 11, 30, 15, 0);
        assert_eq!(hours.check(rome, now), Verdict::Open);
        assert_eq!(hours.check(new_york, now), Verdict::Open);
        // 14:30 in Rome is 08:30 in New York: closed there until 09:00 local.
        let now = ms(rome, 2026, 11, 30, 14, 30);
        assert_eq!(hours.check(rome, now), Verdict::Open);
        assert_eq!(
            hours.check(new_york, now),
            Verdict::OpensAt(ms(new_york, 2026, 11, 30, 9, 0))
        );
    }

    #[test]
    fn friday_evening_waits_for_monday_morning() {
        let hours = weekdays_9_to_20();
        let rome = chrono_tz::Europe::Rome;
        // Friday 2026-12-04 20:00 (the end is excluded).
        let now = ms(rome, 2026, 12, 4, 20, 0);
        assert_eq!(
            hours.check(rome, now),
            Verdict::OpensAt(ms(rome, 2026, 12, 7, 9, 0))
        );
    }

    #[test]
    fn bad_windows_are_refused_and_no_days_means_never() {
        let window = |from: &str, to: &str, days: Vec<u8>| CallingWindow {
            days,
            from: from.into(),
            to: to.into(),
        };
        assert!(CallingHours::new(&[window("9", "20:00", vec![0])]).is_err());
        assert!(CallingHours::new(&[window("20:00", "09:00", vec![0])]).is_err());
        assert!(CallingHours::new(&[window("09:00", "20:00", vec![7])]).is_err());
        let never = CallingHours::new(&[window("09:00", "20:00", vec![])]).unwrap();
        assert_eq!(never.check(chrono_tz::UTC, 0), Verdict::Never);
        assert_eq!(
            CallingHours::default().check(chrono_tz::UTC, 0),
            Verdict::Open
        );
    }
}
