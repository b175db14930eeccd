//! The reader's zone and language: reports count days as the reader's calendar has
//! them (a day is 23 or 25 hours when the clocks change), and show times and labels
//! so.

use chrono::{DateTime, Days, NaiveDate, TimeZone as _};
use chrono_tz::Tz;

use crate::table::Label;

/// A language a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Italian.
    It,
    /// English.
    En,
}

/// Whose calendar and words a report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    /// The zone days start in and times are shown in.
    pub zone: Tz,
    /// The labels' language.
    pub language: Language,
}

impl Locale {
    /// Italian or English words.
    pub fn pick(&self, (it, en): (&'static str, &'static str)) -> &'static str {
        match self.language {
            Language::It => it,
            Language::En => en,
        }
    }

    /// A label in this language.
    pub fn label<'a>(&self, label: &'a Label) -> &'a str {
        match label {
            Label::Words(it, en) => self.pick((it, en)),
            Label::Verbatim(text) => text,
        }
    }

    /// The moment `ms` in this zone.
    pub fn time(&self, ms: i64) -> DateTime<Tz> {
        self.zone
            .timestamp_millis_opt(ms)
            .single()
            .unwrap_or_else(|| self.zone.timestamp_millis_opt(0).unwrap())
    }

    /// The day `ms` falls on.
    pub fn day_of(&self, ms: i64) -> NaiveDate {
        self.time(ms).date_naive()
    }

    /// The start of the span of the last `days` days of the calendar, today included:
    /// where a report without a start begins.
    pub fn last_days(&self, now_ms: i64, days: i64) -> i64 {
        self.start_of(self.day_of(now_ms) - chrono::Duration::days(days - 1))
    }

    /// The first moment of `day` (ms): midnight, or the first time after it that
    /// exists when the clocks jump over midnight.
    pub fn start_of(&self, day: NaiveDate) -> i64 {
        let mut time = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        for _ in 0..8 {
            if let Some(moment) = self.zone.from_local_datetime(&time).earliest() {
                return moment.timestamp_millis();
            }
            time += chrono::Duration::minutes(15);
        }
        self.zone
            .from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .timestamp_millis()
    }

    /// The days from the one of `from_ms` to the one before `until_ms`, in order.
    pub fn days(&self, from_ms: i64, until_ms: i64) -> Vec<NaiveDate> {
        let mut days = Vec::new();
        if until_ms <= from_ms {
            return days;
        }
        let last = self.day_of(until_ms - 1);
        let mut day = self.day_of(from_ms);
        while day <= last {
            days.push(day);
            day = match day.checked_add_days(Days::new(1)) {
                Some(next) => next,
                None => break,
            };
        }
        days
    }
}
