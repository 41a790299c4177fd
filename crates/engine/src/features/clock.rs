//! Local night time in the platform's time zone, without a time-zone lookup per payment.
//!
//! A payment is at night when its local wall-clock time, in the configured zone, is in
//! `[start_hour:00, end_hour:00)` (default 00:00–06:00, Asia/Shanghai). The zone's UTC
//! offset is constant between two transitions, so the clock caches the offset together with
//! the span of instants it holds for and asks `jiff` again only outside that span: for a zone
//! without daylight saving, once per run. Exact for every zone and instant.

use jiff::tz::TimeZone;
use sluice_core::Timestamp;
use sluice_core::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SEC};

/// Decides whether instants are local night time; caches the zone's current offset.
#[derive(Debug, Clone)]
pub struct NightClock {
    tz: TimeZone,
    start_micros: i64,
    end_micros: i64,
    /// Offset in microseconds, valid for instants in `from..until`.
    offset: i64,
    from: i64,
    until: i64,
}

impl NightClock {
    /// Night is `[start_hour, end_hour)` local time in `tz` (hours 0..=24; a start after the
    /// end wraps past midnight, e.g. 22..6; equal hours mean never).
    pub fn new(tz: TimeZone, start_hour: u8, end_hour: u8) -> Self {
        let h = |x: u8| i64::from(x.min(24)) * MICROS_PER_HOUR;
        // An empty span: the first question fills it.
        NightClock { tz, start_micros: h(start_hour), end_micros: h(end_hour), offset: 0, from: 0, until: 0 }
    }

    /// Whether `ts` is at night.
    pub fn is_night(&mut self, ts: Timestamp) -> bool {
        let us = ts.as_micros();
        if !(self.from..self.until).contains(&us) {
            self.refresh(us);
        }
        let of_day = (us + self.offset).rem_euclid(MICROS_PER_DAY);
        if self.start_micros <= self.end_micros {
            (self.start_micros..self.end_micros).contains(&of_day)
        } else {
            of_day >= self.start_micros || of_day < self.end_micros
        }
    }

    /// Looks up the offset at `us` and the span between the transitions around it.
    fn refresh(&mut self, us: i64) {
        let Ok(at) = jiff::Timestamp::from_microsecond(us) else {
            // Outside jiff's range (never for a `Timestamp`): UTC, for this instant only.
            (self.offset, self.from, self.until) = (0, us, us.saturating_add(1));
            return;
        };
        let offset = i64::from(self.tz.to_offset(at).seconds()) * MICROS_PER_SEC;
        let micros = |t: jiff::Timestamp| t.as_microsecond();
        // `preceding` yields transitions strictly before `at`; if `at` is itself a transition
        // the previous one had another offset, so the span starts at `at`.
        let from = match self.tz.preceding(at).next() {
            Some(t) if i64::from(t.offset().seconds()) * MICROS_PER_SEC == offset => micros(t.timestamp()),
            Some(_) => us,
            None => i64::MIN,
        };
        let until = self.tz.following(at).next().map_or(i64::MAX, |t| micros(t.timestamp()));
        (self.offset, self.from, self.until) = (offset, from.min(us), until.max(us.saturating_add(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    /// The definition, with a zone lookup every time.
    fn oracle(tz: &TimeZone, start: u8, end: u8, t: Timestamp) -> bool {
        let zoned = jiff::Timestamp::from_microsecond(t.as_micros()).unwrap().to_zoned(tz.clone());
        let h = zoned.hour() as u8;
        if start <= end { (start..end).contains(&h) } else { h >= start || h < end }
    }

    #[test]
    fn shanghai_night_is_16_to_22_utc() {
        let mut c = NightClock::new(TimeZone::get("Asia/Shanghai").unwrap(), 0, 6);
        assert!(!c.is_night(ts("2026-03-02T15:59:59.999999Z")));
        assert!(c.is_night(ts("2026-03-02T16:00:00Z")));
        assert!(c.is_night(ts("2026-03-02T21:59:59Z")));
        assert!(!c.is_night(ts("2026-03-02T22:00:00Z")));
        assert!(c.is_night(ts("2026-03-03T03:00:00+08:00")));
    }

    proptest! {
        #[test]
        fn cached_offsets_match_jiff_across_transitions(
            zone in prop::sample::select(vec!["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]),
            (start, end) in (0u8..=24, 0u8..=24),
            base in -400_000_000_000_000i64..4_000_000_000_000_000,
            steps in prop::collection::vec(-40 * MICROS_PER_DAY..40 * MICROS_PER_DAY, 1..60),
        ) {
            let tz = TimeZone::get(zone).unwrap();
            let mut c = NightClock::new(tz.clone(), start, end);
            let mut t = base;
            for s in steps {
                t += s;
                let at = Timestamp::from_micros(t).unwrap();
                prop_assert_eq!(c.is_night(at), oracle(&tz, start, end.min(24), at), "{} {}", zone, t);
            }
        }
    }
}
