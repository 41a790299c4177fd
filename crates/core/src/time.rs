//! Instants in UTC with microsecond precision, and calendar dates.
//!
//! `Timestamp` parses exactly the RFC 3339 section 5.6 grammar the contract names (`T`/`t`
//! between date and time, `Z`/`z` or a `±HH:MM` offset, optional fraction) and writes
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ`. The parser is written here rather than taken from `time`
//! or `jiff` because those accept supersets of RFC 3339 (missing seconds, offsets without a
//! colon, bracketed zones) that the contract does not, and because it runs once per row on
//! the ingest hot path, where this version allocates nothing. Fractions finer than a
//! microsecond are truncated toward the past. Leap seconds (`:60`) are rejected.

use std::fmt;

/// Microseconds per second.
pub const MICROS_PER_SEC: i64 = 1_000_000;
/// Microseconds per minute.
pub const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SEC;
/// Microseconds per hour.
pub const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
/// Microseconds per day.
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// An instant: microseconds since 1970-01-01T00:00:00Z.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

/// Why a string is not an RFC 3339 timestamp or a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The text does not follow the grammar.
    #[error("`{text}` is not an RFC 3339 timestamp ({why})")]
    Syntax {
        /// The offending text (truncated).
        text: String,
        /// What was expected.
        why: &'static str,
    },
    /// A field is out of its range.
    #[error("`{text}` has {what} out of range")]
    Range {
        /// The offending text (truncated).
        text: String,
        /// Which field.
        what: &'static str,
    },
}

fn snippet(s: &str) -> String {
    s.chars().take(40).collect()
}

fn syntax(s: &str, why: &'static str) -> TimeError {
    TimeError::Syntax { text: snippet(s), why }
}

fn range(s: &str, what: &'static str) -> TimeError {
    TimeError::Range { text: snippet(s), what }
}

/// Parses exactly `n` ASCII digits at `at`.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let slice = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in slice {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1-12) of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A calendar date without a time zone (`YYYY-MM-DD`), e.g. a list entry's effective date,
/// which means 00:00 in the jurisdiction's own time zone.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CivilDate {
    /// Year, 0000-9999.
    pub year: i32,
    /// Month, 1-12.
    pub month: u8,
    /// Day of month, 1-31.
    pub day: u8,
}

impl CivilDate {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        let b = s.as_bytes();
        if b.len() != 10 {
            return Err(syntax(s, "expected YYYY-MM-DD"));
        }
        Self::parse_prefix(s, b)
    }

    fn parse_prefix(s: &str, b: &[u8]) -> Result<Self, TimeError> {
        let (Some(y), Some(m), Some(d)) = (digits(b, 0, 4), digits(b, 5, 2), digits(b, 8, 2)) else {
            return Err(syntax(s, "expected YYYY-MM-DD"));
        };
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(syntax(s, "expected YYYY-MM-DD"));
        }
        if !(1..=12).contains(&m) {
            return Err(range(s, "month"));
        }
        if d == 0 || d > days_in_month(i64::from(y), m) {
            return Err(range(s, "day"));
        }
        Ok(CivilDate { year: y as i32, month: m as u8, day: d as u8 })
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(i64::from(self.year), u32::from(self.month), u32::from(self.day))
    }

    /// Midnight of this date at a fixed UTC offset (seconds east of UTC).
    pub fn midnight_at_offset(self, offset_secs: i32) -> Timestamp {
        Timestamp(self.days_since_epoch() * MICROS_PER_DAY - i64::from(offset_secs) * MICROS_PER_SEC)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Length of the written form `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub const RFC3339_MICROS_LEN: usize = 27;

impl Timestamp {
    /// The earliest instant the contract can express (0000-01-01T00:00:00Z).
    pub const MIN: Timestamp = Timestamp(-62_167_219_200 * MICROS_PER_SEC);
    /// The latest instant the contract can express (9999-12-31T23:59:59.999999Z).
    pub const MAX: Timestamp = Timestamp(253_402_300_800 * MICROS_PER_SEC - 1);

    /// From microseconds since the Unix epoch, if within years 0000-9999.
    pub fn from_micros(us: i64) -> Option<Self> {
        (Self::MIN.0..=Self::MAX.0).contains(&us).then_some(Timestamp(us))
    }

    /// Microseconds since the Unix epoch.
    pub fn as_micros(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (floor).
    pub fn as_secs(self) -> i64 {
        self.0.div_euclid(MICROS_PER_SEC)
    }

    /// This instant moved by `us` microseconds, saturating at the contract's range.
    pub fn saturating_add_micros(self, us: i64) -> Self {
        Timestamp(self.0.saturating_add(us).clamp(Self::MIN.0, Self::MAX.0))
    }

    /// Parses an RFC 3339 timestamp (section 5.6).
    pub fn parse_rfc3339(s: &str) -> Result<Self, TimeError> {
        let b = s.as_bytes();
        if b.len() < 20 {
            return Err(syntax(s, "too short; expected YYYY-MM-DDTHH:MM:SSZ"));
        }
        let date = CivilDate::parse_prefix(s, b)?;
        if !matches!(b[10], b'T' | b't') {
            return Err(syntax(s, "expected `T` between date and time"));
        }
        let (Some(hh), Some(mm), Some(ss)) = (digits(b, 11, 2), digits(b, 14, 2), digits(b, 17, 2)) else {
            return Err(syntax(s, "expected HH:MM:SS"));
        };
        if b[13] != b':' || b[16] != b':' {
            return Err(syntax(s, "expected HH:MM:SS"));
        }
        if hh > 23 {
            return Err(range(s, "hour"));
        }
        if mm > 59 {
            return Err(range(s, "minute"));
        }
        if ss > 59 {
            // RFC 3339 allows :60 for leap seconds; Sluice keeps a linear time scale.
            return Err(range(s, "second (leap seconds are not accepted)"));
        }
        let mut i = 19;
        let mut micros: i64 = 0;
        if b[i] == b'.' {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 6 {
                    micros = micros * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 {
                return Err(syntax(s, "expected digits after `.`"));
            }
            for _ in n..6 {
                micros *= 10;
            }
        }
        let offset_secs: i64 = match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() => {
                let (Some(oh), Some(om)) = (digits(b, i + 1, 2), digits(b, i + 4, 2)) else {
                    return Err(syntax(s, "expected offset ±HH:MM"));
                };
                if b[i + 3] != b':' {
                    return Err(syntax(s, "expected offset ±HH:MM"));
                }
                if oh > 23 || om > 59 {
                    return Err(range(s, "offset"));
                }
                let off = i64::from(oh * 3600 + om * 60);
                if sign == b'-' { -off } else { off }
            }
            _ => return Err(syntax(s, "expected `Z` or an offset ±HH:MM at the end")),
        };
        let secs = date.days_since_epoch() * 86_400 + i64::from(hh * 3600 + mm * 60 + ss) - offset_secs;
        let us = secs * MICROS_PER_SEC + micros;
        Timestamp::from_micros(us)
            .ok_or_else(|| range(s, "instant (after the offset, outside years 0000-9999)"))
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.ffffffZ` into `buf` and returns it as text.
    pub fn write_rfc3339(self, buf: &mut [u8; RFC3339_MICROS_LEN]) -> &str {
        let days = self.0.div_euclid(MICROS_PER_DAY);
        let rem = self.0.rem_euclid(MICROS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let secs = rem / MICROS_PER_SEC;
        let frac = rem % MICROS_PER_SEC;
        let put = |buf: &mut [u8], at: usize, n: usize, mut v: i64| {
            for k in (0..n).rev() {
                buf[at + k] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(buf, 0, 4, y);
        buf[4] = b'-';
        put(buf, 5, 2, i64::from(m));
        buf[7] = b'-';
        put(buf, 8, 2, i64::from(d));
        buf[10] = b'T';
        put(buf, 11, 2, secs / 3600);
        buf[13] = b':';
        put(buf, 14, 2, (secs / 60) % 60);
        buf[16] = b':';
        put(buf, 17, 2, secs % 60);
        buf[19] = b'.';
        put(buf, 20, 6, frac);
        buf[26] = b'Z';
        // Only ASCII digits and separators were written.
        std::str::from_utf8(buf).unwrap_or("0000-00-00T00:00:00.000000Z")
    }

    /// The civil date and time of day in UTC shifted by `offset_secs`.
    pub fn civil_at_offset(self, offset_secs: i32) -> (CivilDate, u32) {
        let local = self.0 + i64::from(offset_secs) * MICROS_PER_SEC;
        let days = local.div_euclid(MICROS_PER_DAY);
        let secs_of_day = (local.rem_euclid(MICROS_PER_DAY) / MICROS_PER_SEC) as u32;
        let (y, m, d) = civil_from_days(days);
        (CivilDate { year: y as i32, month: m as u8, day: d as u8 }, secs_of_day)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; RFC3339_MICROS_LEN];
        f.write_str(self.write_rfc3339(&mut buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn parses_the_rfc3339_forms() {
        assert_eq!(ts("1970-01-01T00:00:00Z").as_micros(), 0);
        assert_eq!(ts("1970-01-01t00:00:00z").as_micros(), 0);
        assert_eq!(ts("1970-01-01T08:00:00+08:00").as_micros(), 0);
        assert_eq!(ts("1969-12-31T23:00:00-01:00").as_micros(), 0);
        assert_eq!(ts("1970-01-01T00:00:00.5Z").as_micros(), 500_000);
        assert_eq!(ts("1970-01-01T00:00:00.123456789Z").as_micros(), 123_456);
        assert_eq!(ts("2024-02-29T12:00:00Z").to_string(), "2024-02-29T12:00:00.000000Z");
        assert_eq!(ts("2026-03-01T08:00:00.000001+08:00").to_string(), "2026-03-01T00:00:00.000001Z");
    }

    #[test]
    fn rejects_what_rfc3339_does_not_allow() {
        for bad in [
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T23:59:60Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+0800",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00Z",
            "2024-01-01T00:00:00+24:00",
            "2024-1-01T00:00:00Z",
            "２０２４-01-01T00:00:00Z",
            "2024-01-01T00:00:00ZZ",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn civil_dates() {
        let d = CivilDate::parse("2021-02-19").unwrap();
        assert_eq!(d.midnight_at_offset(8 * 3600).to_string(), "2021-02-18T16:00:00.000000Z");
        assert!(CivilDate::parse("2021-02-29").is_err());
        let (date, secs) = ts("2021-02-18T16:30:00Z").civil_at_offset(8 * 3600);
        assert_eq!((date.to_string(), secs), ("2021-02-19".to_string(), 1800));
    }

    proptest! {
        #[test]
        fn written_form_reads_back(us in Timestamp::MIN.as_micros()..=Timestamp::MAX.as_micros()) {
            let t = Timestamp::from_micros(us).unwrap();
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()).unwrap(), t);
        }

        #[test]
        fn offsets_name_the_same_instant(us in 0i64..4_000_000_000_000_000, off_min in -1439i32..=1439) {
            let t = Timestamp::from_micros(us).unwrap();
            let (date, secs) = t.civil_at_offset(off_min * 60);
            let sign = if off_min < 0 { '-' } else { '+' };
            let a = off_min.abs();
            let text = format!(
                "{date}T{:02}:{:02}:{:02}.{:06}{sign}{:02}:{:02}",
                secs / 3600, secs / 60 % 60, secs % 60, us % 1_000_000, a / 60, a % 60
            );
            prop_assert_eq!(Timestamp::parse_rfc3339(&text).unwrap(), t);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Timestamp::parse_rfc3339(&s);
        }
    }
}
