//! ISO 8601 timestamps, the awsQuery form of the model's `timestamp` (botocore's
//! `_timestamp_iso8601` on the way in, `2026-11-29T07:01:29Z` on the way out).

use crate::Timestamp;

/// Days from 1970-01-01 to `year-month-day` (proleptic Gregorian; Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of the day `days` after 1970-01-01 (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ` in UTC, with `.mmm` when it has milliseconds.
pub fn format_iso8601(t: Timestamp) -> String {
    let millis = t.as_millis();
    let secs = millis.div_euclid(1000);
    let frac = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if frac == 0 {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{frac:03}Z")
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses an ISO 8601 date-time: `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z`
/// or a `±HH:MM` offset (what botocore and the other SDKs send). `None` for anything
/// else, including out-of-range fields.
pub fn parse_iso8601(s: &str) -> Option<Timestamp> {
    let (date, rest) = s.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let (y, mo, d) = (date_parts.next()?, date_parts.next()?, date_parts.next()?);
    if y.len() != 4 || mo.len() != 2 || d.len() != 2 {
        return None;
    }
    let (year, month, day) = (i64::from(digits(y)?), digits(mo)?, digits(d)?);
    let (time, offset_secs) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0_i64)
    } else {
        let sign_at = rest.rfind(['+', '-'])?;
        let (t, off) = rest.split_at(sign_at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        if oh.len() != 2 || om.len() != 2 {
            return None;
        }
        let (oh, om) = (digits(oh)?, digits(om)?);
        if oh > 23 || om > 59 {
            return None;
        }
        (t, sign * i64::from(oh * 3600 + om * 60))
    };
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (time, None),
    };
    let mut hms_parts = hms.splitn(3, ':');
    let (h, mi, se) = (hms_parts.next()?, hms_parts.next()?, hms_parts.next()?);
    if h.len() != 2 || mi.len() != 2 || se.len() != 2 {
        return None;
    }
    let (hour, minute, second) = (digits(h)?, digits(mi)?, digits(se)?);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut millis = 0_i64;
    if let Some(frac) = frac {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Milliseconds, truncating finer digits.
        let ms: String = frac.chars().chain("000".chars()).take(3).collect();
        millis = i64::from(digits(&ms)?);
    }
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset_secs;
    Some(Timestamp::from_millis(secs * 1000 + millis))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(
            format_iso8601(Timestamp::from_secs(0.0)),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            format_iso8601(Timestamp::from_secs(1_380_733_304.0)),
            "2013-10-02T17:01:44Z"
        );
        assert_eq!(
            format_iso8601(Timestamp::from_millis(1_523_477_145_713)),
            "2018-04-11T20:05:45.713Z"
        );
        assert_eq!(
            format_iso8601(Timestamp::from_secs(951_782_400.0)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            format_iso8601(Timestamp::from_secs(-1.0)),
            "1969-12-31T23:59:59Z"
        );
    }

    #[test]
    fn parses_what_sdks_send() {
        let t = parse_iso8601("2013-10-02T17:01:44Z").unwrap();
        assert_eq!(t.as_secs(), 1_380_733_304.0);
        let t = parse_iso8601("2018-04-11T20:05:45.713123Z").unwrap();
        assert_eq!(t.as_millis(), 1_523_477_145_713);
        let t = parse_iso8601("2013-10-02T19:01:44+02:00").unwrap();
        assert_eq!(t.as_secs(), 1_380_733_304.0);
        assert_eq!(
            parse_iso8601("2000-02-29T00:00:00Z").unwrap().as_secs(),
            951_782_400.0
        );
        for bad in [
            "",
            "2013-10-02",
            "2013-10-02 17:01:44Z",
            "2013-13-02T17:01:44Z",
            "2001-02-29T00:00:00Z",
            "2013-10-02T24:00:00Z",
            "2013-10-02T17:01:44",
            "2013-10-02T17:01:44.Z",
            "1380733304",
            "+2013-10-02T17:01:44Z",
        ] {
            assert!(parse_iso8601(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn round_trips() {
        for secs in [0_i64, 1, 86_399, 951_782_400, 1_700_000_000, 4_102_444_800] {
            let t = Timestamp::from_secs(secs as f64);
            assert_eq!(parse_iso8601(&format_iso8601(t)).unwrap(), t);
        }
    }
}
