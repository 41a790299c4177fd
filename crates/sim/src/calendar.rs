//! The platform's calendar: China Standard Time (UTC+8, no daylight saving since 1991),
//! day-of-week, and the Spring Festival dates that drive the red-packet surge.

use sluice_core::CivilDate;
use sluice_core::time::MICROS_PER_DAY;

/// China Standard Time offset, seconds east of UTC.
pub const CST_OFFSET_SECS: i32 = 8 * 3600;

/// Lunar New Year's Day, 2018-2032 (Gregorian dates).
const LUNAR_NEW_YEAR: [(i32, u8, u8); 15] = [
    (2018, 2, 16),
    (2019, 2, 5),
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
    (2031, 1, 23),
    (2032, 2, 11),
];

/// One simulated local day.
#[derive(Copy, Clone, Debug)]
pub struct Day {
    /// 0-based index in the run.
    pub index: u32,
    /// Local date.
    pub date: CivilDate,
    /// Local midnight, UTC microseconds.
    pub start_micros: i64,
    /// 0 = Monday .. 6 = Sunday.
    pub weekday: usize,
    /// Within 3 days of Lunar New Year's Day (the eve is the peak).
    pub spring_festival: bool,
}

impl Day {
    /// Day `index` of a run starting at local `start`.
    pub fn new(start: CivilDate, index: u32) -> Self {
        let days = start.days_since_epoch() + i64::from(index);
        let start_micros = days * MICROS_PER_DAY - i64::from(CST_OFFSET_SECS) * 1_000_000;
        // 1970-01-01 was a Thursday (index 3 with Monday = 0).
        let weekday = (days + 3).rem_euclid(7) as usize;
        let (date, _) = sluice_core::Timestamp::from_micros(start_micros)
            .map(|t| t.civil_at_offset(CST_OFFSET_SECS))
            .unwrap_or((start, 0));
        let spring_festival = LUNAR_NEW_YEAR.iter().any(|&(y, m, d)| {
            let lny = CivilDate { year: y, month: m, day: d }.days_since_epoch();
            (days - lny).abs() <= 3
        });
        Day { index, date, start_micros, weekday, spring_festival }
    }

    /// The UTC instant of local `hour:min:sec.micros` on this day (hour may exceed 23 to
    /// spill into the next day).
    pub fn at(&self, secs_of_day: f64) -> i64 {
        self.start_micros + (secs_of_day * 1e6) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        let d = Day::new(CivilDate::parse("2026-03-02").unwrap(), 0);
        assert_eq!(d.weekday, 0, "2026-03-02 is a Monday");
        assert_eq!(
            sluice_core::Timestamp::from_micros(d.start_micros).unwrap().to_string(),
            "2026-03-01T16:00:00.000000Z"
        );
        let eve = Day::new(CivilDate::parse("2026-02-16").unwrap(), 0);
        assert!(eve.spring_festival);
        assert!(!Day::new(CivilDate::parse("2026-03-02").unwrap(), 0).spring_festival);
        assert_eq!(Day::new(CivilDate::parse("2026-02-28").unwrap(), 2).date.to_string(), "2026-03-02");
    }
}
