//! Typed condition values: numbers, dates, IP address ranges, booleans.
//!
//! Each parser accepts the same text whether it comes from a policy or from the request
//! context, and returns `None` for anything it does not understand; callers decide whether that
//! is a parse error (policy side) or a non-matching value (request side).

use std::net::IpAddr;

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

/// Parses a `Numeric*` value: an integer or decimal number (`"10"`, `"-2.5"`, `"1e3"`).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    // Rust's float parser also takes "inf" and "NaN"; IAM numbers are digits only.
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Parses a `Date*` value into nanoseconds since the Unix epoch.
///
/// Accepted, as IAM accepts them: epoch seconds (`"1546300800"`, the form of
/// `aws:EpochTime`), or ISO 8601 `YYYY[-MM[-DD]][Thh[:mm[:ss[.fraction]]]][Z|±hh[:mm]]` with
/// either case for `T` and `Z` (`aws:CurrentTime` is `2019-01-01T00:00:00Z`). A value with no
/// zone is UTC. As in IAM's parser, text holding neither `T` nor `-` is epoch seconds.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    let lower_has_t = s.bytes().any(|b| b == b't' || b == b'T');
    if !lower_has_t && !s.contains('-') {
        if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let secs: i64 = s.parse().ok()?;
        return Some(i128::from(secs) * 1_000_000_000);
    }
    let (date_part, time_part) = match s.find(['t', 'T']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let date = parse_ymd(date_part)?;
    let (time, offset) = match time_part {
        Some(t) => parse_time_zone(t)?,
        None => (Time::MIDNIGHT, UtcOffset::UTC),
    };
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .unix_timestamp_nanos(),
    )
}

fn digits(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_ymd(s: &str) -> Option<Date> {
    let mut parts = s.split('-');
    let year = i32::try_from(digits(parts.next()?, 4, 4)?).ok()?;
    let month = match parts.next() {
        Some(m) => u8::try_from(digits(m, 1, 2)?).ok()?,
        None => 1,
    };
    let day = match parts.next() {
        Some(d) => u8::try_from(digits(d, 1, 2)?).ok()?,
        None => 1,
    };
    if parts.next().is_some() {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn parse_time_zone(s: &str) -> Option<(Time, UtcOffset)> {
    // Split off the zone designator: `Z`, or the last `+` / `-`.
    let (clock, zone) = if let Some(stripped) = s.strip_suffix(['z', 'Z']) {
        (stripped, None)
    } else if let Some(i) = s.rfind(['+', '-']) {
        (&s[..i], Some(&s[i..]))
    } else {
        (s, None)
    };
    let mut parts = clock.split(':');
    let hour = digits(parts.next()?, 1, 2)?;
    let minute = parts.next().map_or(Some(0), |m| digits(m, 1, 2))?;
    let (second, nanos) = match parts.next() {
        Some(sec) => {
            let (whole, frac) = match sec.split_once('.') {
                Some((w, f)) => (w, Some(f)),
                None => (sec, None),
            };
            let nanos = match frac {
                Some(f) => {
                    let value = digits(f, 1, 9)?;
                    // Scale "5" (tenths) up to nanoseconds.
                    let scale = 10u32.pow(9 - u32::try_from(f.len()).ok()?);
                    value * scale
                }
                None => 0,
            };
            (digits(whole, 1, 2)?, nanos)
        }
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    let time = Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    let offset = match zone {
        None => UtcOffset::UTC,
        Some(z) => {
            let negative = z.starts_with('-');
            let body = &z[1..];
            let (h, m) = match body.split_once(':') {
                Some((h, m)) => (digits(h, 2, 2)?, digits(m, 2, 2)?),
                None if body.len() == 4 => (digits(&body[..2], 2, 2)?, digits(&body[2..], 2, 2)?),
                None => (digits(body, 2, 2)?, 0),
            };
            let sign = if negative { -1 } else { 1 };
            UtcOffset::from_hms(
                sign * i8::try_from(h).ok()?,
                sign * i8::try_from(m).ok()?,
                0,
            )
            .ok()?
        }
    };
    Some((time, offset))
}

/// An IPv4 or IPv6 range in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`); an address
/// without a prefix length is a single host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr[/len]`.
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => u8::try_from(digits(p, 1, 3)?).ok()?,
            None => max,
        };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` lies in the range. An IPv4-mapped IPv6 address counts as IPv4.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Parses a request-context address (`aws:SourceIp`), with or without a `/32`-style suffix.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let addr = s.split_once('/').map_or(s, |(a, _)| a);
    addr.parse().ok()
}

/// Parses a `Bool` / `Null` value: `true` or `false`, in any case.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let base = 1_546_300_800i128 * 1_000_000_000; // 2019-01-01T00:00:00Z
        assert_eq!(parse_date("2019-01-01T00:00:00Z"), Some(base));
        assert_eq!(parse_date("2019-01-01t00:00:00z"), Some(base));
        assert_eq!(parse_date("2019-01-01"), Some(base));
        assert_eq!(parse_date("2019-01"), Some(base));
        assert_eq!(parse_date("1546300800"), Some(base));
        assert_eq!(parse_date("2019-01-01T01:00:00+01:00"), Some(base));
        assert_eq!(parse_date("2018-12-31T19:00:00-05:00"), Some(base));
        assert_eq!(
            parse_date("2019-01-01T00:00:00.5Z"),
            Some(base + 500_000_000)
        );
        assert_eq!(parse_date("2019-01-01T00:00Z"), Some(base));
        // Rejected, as IAM's parser rejects them.
        assert_eq!(parse_date("sdfdsf"), None);
        assert_eq!(parse_date("234-13"), None);
        assert_eq!(parse_date("2016-12-13t2:00:00.593194+1"), None);
        assert_eq!(parse_date("2016-12-13t2:00:00.1999999999+10:59"), None);
        assert_eq!(parse_date("9223372036854775808"), None);
        assert_eq!(parse_date("2019-02-30"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-2.5"), Some(-2.5));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("ten"), None);
    }

    #[test]
    fn cidrs() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains("203.0.113.77".parse().unwrap()));
        assert!(!net.contains("203.0.114.1".parse().unwrap()));
        assert!(net.contains("::ffff:203.0.113.9".parse().unwrap()));
        let host = Cidr::parse("192.0.2.1").unwrap();
        assert!(host.contains("192.0.2.1".parse().unwrap()));
        assert!(!host.contains("192.0.2.2".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:5678::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:1234:5679::1".parse().unwrap()));
        assert!(!v6.contains("203.0.113.1".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("not-an-ip"), None);
    }
}
