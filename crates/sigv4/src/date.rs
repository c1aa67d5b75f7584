//! Request dates: parsing `X-Amz-Date`/`Date`, formatting, and the skew window.

use std::time::SystemTime;

use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::error::SigV4Error;

/// Parses `YYYYMMDD'T'HHMMSS'Z'` (ISO 8601 basic format, UTC), strictly.
pub(crate) fn parse_amz_date(value: &str) -> Option<OffsetDateTime> {
    let bytes = value.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            part.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?;
    let day = u8::try_from(digits(6..8)?).ok()?;
    let hour = u8::try_from(digits(9..11)?).ok()?;
    let minute = u8::try_from(digits(11..13)?).ok()?;
    let second = u8::try_from(digits(13..15)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Parses an RFC 1123 HTTP date such as `Sun, 30 Aug 2015 12:36:00 GMT`.
fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(value, format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Parses the value of the header that dates the request.
///
/// `X-Amz-Date` must be in ISO 8601 basic format; a `Date` header may also be
/// an RFC 1123 HTTP date. Either way the string to sign uses the basic format.
pub(crate) fn parse_request_date(
    value: &str,
    is_amz_date: bool,
) -> Result<OffsetDateTime, SigV4Error> {
    let trimmed = value.trim();
    parse_amz_date(trimmed)
        .or_else(|| {
            if is_amz_date {
                None
            } else {
                parse_http_date(trimmed)
            }
        })
        .ok_or_else(|| SigV4Error::InvalidDateFormat {
            value: value.to_owned(),
        })
}

/// Formats a date as `YYYYMMDD'T'HHMMSS'Z'`.
pub(crate) fn format_amz_date(when: OffsetDateTime) -> String {
    let when = when.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        when.year(),
        u8::from(when.month()),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    )
}

/// Checks the request date against the server clock, ± `skew_minutes`.
///
/// `now` is truncated to the second first, so the message never claims that a
/// date "is now earlier than" itself.
pub(crate) fn check_skew(
    request: OffsetDateTime,
    now: SystemTime,
    skew_minutes: u32,
) -> Result<(), SigV4Error> {
    let now = OffsetDateTime::from(now);
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let skew = time::Duration::minutes(i64::from(skew_minutes));
    // Saturate at the calendar's ends rather than overflow on absurd clocks.
    let earliest = now.checked_sub(skew).unwrap_or(now);
    let latest = now.checked_add(skew).unwrap_or(now);
    if request < earliest {
        return Err(SigV4Error::SignatureExpired {
            request_date: format_amz_date(request),
            earliest: format_amz_date(earliest),
            now: format_amz_date(now),
            skew_minutes,
        });
    }
    if request > latest {
        return Err(SigV4Error::SignatureNotYetCurrent {
            request_date: format_amz_date(request),
            latest: format_amz_date(latest),
            now: format_amz_date(now),
            skew_minutes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_basic_format_strictly() {
        assert_eq!(
            parse_amz_date("20150830T123600Z"),
            Some(datetime!(2015-08-30 12:36:00 UTC))
        );
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20150830T246000Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
            "20150830T123600ZZ",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn date_header_may_be_an_http_date() {
        assert_eq!(
            parse_request_date("Sun, 30 Aug 2015 12:36:00 GMT", false),
            Ok(datetime!(2015-08-30 12:36:00 UTC))
        );
        assert_eq!(
            parse_request_date("Sun, 30 Aug 2015 12:36:00 GMT", true),
            Err(SigV4Error::InvalidDateFormat {
                value: "Sun, 30 Aug 2015 12:36:00 GMT".into()
            })
        );
    }

    #[test]
    fn formats_basic_format() {
        assert_eq!(
            format_amz_date(datetime!(2015-08-30 12:36:00 UTC)),
            "20150830T123600Z"
        );
        assert_eq!(
            format_amz_date(datetime!(0999-01-02 03:04:05 UTC)),
            "09990102T030405Z"
        );
    }
}
