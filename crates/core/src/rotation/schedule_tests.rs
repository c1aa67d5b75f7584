//! Known-answer tests for rotation schedules: every example of AWS's "Schedule expressions in
//! Secrets Manager rotation" page, real DescribeSecret/ListSecrets observations, the rejected
//! forms, calendar edge cases, and a no-panic sweep over arbitrary input.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::*;

/// Milliseconds since the epoch of an RFC 3339 instant (parsed by the `time` crate, so the
/// expectations do not lean on this module's calendar code).
fn ms(text: &str) -> i64 {
    let instant = OffsetDateTime::parse(text, &Rfc3339).unwrap();
    i64::try_from(instant.unix_timestamp_nanos() / 1_000_000).unwrap()
}

fn window(start: &str, end: &str) -> Window {
    Window {
        start_ms: ms(start),
        end_ms: ms(end),
    }
}

fn rules(expression: &str, duration: Option<&str>) -> RulesInput {
    RulesInput {
        automatically_after_days: None,
        schedule_expression: Some(expression.to_owned()),
        duration: duration.map(str::to_owned),
    }
}

fn after_days(days: i64, duration: Option<&str>) -> RulesInput {
    RulesInput {
        automatically_after_days: Some(days),
        schedule_expression: None,
        duration: duration.map(str::to_owned),
    }
}

fn schedule(expression: &str, duration: Option<&str>) -> Schedule {
    match Schedule::parse(&rules(expression, duration)) {
        Ok(schedule) => schedule,
        Err(e) => panic!("{expression} {duration:?} rejected: {e}"),
    }
}

fn rejection(input: &RulesInput) -> String {
    match Schedule::parse(input) {
        Ok(schedule) => panic!("{input:?} accepted: {schedule:?}"),
        Err(e) => {
            assert_eq!(e.code, "InvalidParameterException", "{input:?}");
            e.message
        }
    }
}

fn next(s: &Schedule, last: Option<&str>, now: &str) -> Window {
    s.next_window(last.map(ms), ms(now))
}

// ---- AWS's examples (UG, "Cron expressions" and "Rate expressions") ----

#[test]
fn first_and_fifteenth_at_4pm_with_a_2h_window() {
    let s = schedule("cron(0 16 1,15 * ? *)", Some("2h"));
    assert_eq!(
        next(&s, None, "2024-03-10T00:00:00Z"),
        window("2024-03-15T16:00:00Z", "2024-03-15T18:00:00Z")
    );
    // Rotated inside that window: the next one is on the 1st.
    let last = Some("2024-03-15T16:30:00Z");
    assert_eq!(
        next(&s, last, "2024-03-15T17:00:00Z"),
        window("2024-04-01T16:00:00Z", "2024-04-01T18:00:00Z")
    );
    assert_eq!(
        s.next_rotation_date_ms(last.map(ms), ms("2024-03-15T17:00:00Z")),
        ms("2024-04-01T17:59:59Z")
    );
    assert!(s.is_due(None, ms("2024-03-15T17:00:00Z")));
    assert!(!s.is_due(last.map(ms), ms("2024-03-15T17:00:00Z")));
    assert!(!s.is_due(None, ms("2024-03-15T18:00:00Z")));
}

#[test]
fn every_eight_hours_starting_at_midnight() {
    let s = schedule("cron(0 /8 * * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T09:30:00Z"),
        window("2024-01-01T16:00:00Z", "2024-01-01T17:00:00Z")
    );
    assert_eq!(
        next(&s, Some("2024-01-01T16:20:00Z"), "2024-01-01T16:30:00Z"),
        window("2024-01-02T00:00:00Z", "2024-01-02T01:00:00Z")
    );
}

#[test]
fn every_eight_hours_starting_at_8am() {
    let s = schedule("cron(0 8/8 * * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T16:30:00Z"),
        window("2024-01-01T16:00:00Z", "2024-01-01T17:00:00Z")
    );
    // 8:00 and 16:00 only: the increments reset each day.
    assert_eq!(
        next(&s, Some("2024-01-01T16:10:00Z"), "2024-01-01T16:30:00Z"),
        window("2024-01-02T08:00:00Z", "2024-01-02T09:00:00Z")
    );
}

#[test]
fn every_ten_hours_from_2am_resets_each_day() {
    // "The rotation windows will start at 2:00, 12:00, and 22:00, and then the next day at
    // 2:00, 12:00, and 22:00."
    let s = schedule("cron(0 2/10 * * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T03:30:00Z"),
        window("2024-01-01T12:00:00Z", "2024-01-01T13:00:00Z")
    );
    assert_eq!(
        next(&s, Some("2024-01-01T12:05:00Z"), "2024-01-01T13:00:00Z"),
        window("2024-01-01T22:00:00Z", "2024-01-01T23:00:00Z")
    );
    assert_eq!(
        next(&s, Some("2024-01-01T22:10:00Z"), "2024-01-01T22:20:00Z"),
        window("2024-01-02T02:00:00Z", "2024-01-02T03:00:00Z")
    );
}

#[test]
fn four_am_and_four_pm() {
    let s = schedule("cron(0 4/12 * * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T05:00:00Z"),
        window("2024-01-01T16:00:00Z", "2024-01-01T17:00:00Z")
    );
    assert_eq!(
        next(&s, Some("2024-01-01T16:05:00Z"), "2024-01-01T16:10:00Z"),
        window("2024-01-02T04:00:00Z", "2024-01-02T05:00:00Z")
    );
}

#[test]
fn every_day_at_10am_runs_to_the_end_of_the_day() {
    let s = schedule("cron(0 10 * * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T09:00:00Z"),
        window("2024-01-01T10:00:00Z", "2024-01-02T00:00:00Z")
    );
    assert_eq!(
        s.next_rotation_date_ms(None, ms("2024-01-01T09:00:00Z")),
        ms("2024-01-01T23:59:59Z")
    );
    assert_eq!(
        next(&s, Some("2024-01-01T10:30:00Z"), "2024-01-01T10:31:00Z"),
        window("2024-01-02T10:00:00Z", "2024-01-03T00:00:00Z")
    );
}

#[test]
fn every_saturday_at_6pm() {
    let s = schedule("cron(0 18 ? * SAT *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T00:00:00Z"),
        window("2024-01-06T18:00:00Z", "2024-01-07T00:00:00Z")
    );
}

#[test]
fn first_day_of_every_month_at_8am() {
    let s = schedule("cron(0 8 1 * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-01-15T00:00:00Z"),
        window("2024-02-01T08:00:00Z", "2024-02-02T00:00:00Z")
    );
}

#[test]
fn every_three_months_on_the_first_sunday_at_1am() {
    let s = schedule("cron(0 1 ? 1/3 SUN#1 *)", None);
    assert_eq!(
        next(&s, None, "2024-02-01T00:00:00Z"),
        window("2024-04-07T01:00:00Z", "2024-04-08T00:00:00Z")
    );
}

#[test]
fn last_day_of_every_month_at_5pm() {
    let s = schedule("cron(0 17 L * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-02-10T00:00:00Z"),
        window("2024-02-29T17:00:00Z", "2024-03-01T00:00:00Z")
    );
    assert_eq!(
        next(&s, None, "2023-02-10T00:00:00Z"),
        window("2023-02-28T17:00:00Z", "2023-03-01T00:00:00Z")
    );
    assert_eq!(
        next(&s, Some("2024-04-30T17:30:00Z"), "2024-04-30T18:00:00Z"),
        window("2024-05-31T17:00:00Z", "2024-06-01T00:00:00Z")
    );
}

#[test]
fn monday_through_friday_at_8am() {
    let s = schedule("cron(0 8 ? * MON-FRI *)", None);
    assert_eq!(
        next(&s, None, "2024-01-06T12:00:00Z"),
        window("2024-01-08T08:00:00Z", "2024-01-09T00:00:00Z")
    );
}

#[test]
fn first_sunday_of_every_month_at_midnight() {
    let s = schedule("cron(0 0 ? * SUN#1 *)", None);
    assert_eq!(
        next(&s, None, "2024-01-08T00:00:00Z"),
        window("2024-02-04T00:00:00Z", "2024-02-05T00:00:00Z")
    );
}

#[test]
fn every_eleven_months_from_january_on_the_first_monday() {
    let s = schedule("cron(0 0 ? 1/11 2#1 *)", None);
    assert_eq!(
        next(&s, None, "2024-02-01T00:00:00Z"),
        window("2024-12-02T00:00:00Z", "2024-12-03T00:00:00Z")
    );
}

#[test]
fn rate_10_days_counts_from_the_date_of_the_last_rotation() {
    let s = schedule("rate(10 days)", None);
    let last = Some("2024-01-05T13:00:00Z");
    assert_eq!(
        next(&s, last, "2024-01-05T13:00:01Z"),
        window("2024-01-15T00:00:00Z", "2024-01-16T00:00:00Z")
    );
    assert_eq!(
        s.next_rotation_date_ms(last.map(ms), ms("2024-01-05T13:00:01Z")),
        ms("2024-01-15T23:59:59Z")
    );
    let short = schedule("rate(10 days)", Some("4h"));
    assert_eq!(
        next(&short, last, "2024-01-05T13:00:01Z"),
        window("2024-01-15T00:00:00Z", "2024-01-15T04:00:00Z")
    );
}

#[test]
fn rate_1_day_and_999_days_are_accepted() {
    let s = schedule("rate(1 day)", None);
    assert_eq!(
        next(&s, Some("2024-01-05T13:00:00Z"), "2024-01-05T13:00:00Z"),
        window("2024-01-06T00:00:00Z", "2024-01-07T00:00:00Z")
    );
    let s = schedule("rate(999 days)", None);
    assert_eq!(s.display().automatically_after_days, Some(999));
}

#[test]
fn rate_4_hours_windows_start_at_midnight() {
    let s = schedule("rate(4 hours)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T05:30:00Z"),
        window("2024-01-01T08:00:00Z", "2024-01-01T09:00:00Z")
    );
    assert_eq!(
        next(&s, Some("2024-01-01T08:15:00Z"), "2024-01-01T08:20:00Z"),
        window("2024-01-01T12:00:00Z", "2024-01-01T13:00:00Z")
    );
    assert_eq!(
        next(&s, Some("2024-01-01T20:30:00Z"), "2024-01-01T20:31:00Z"),
        window("2024-01-02T00:00:00Z", "2024-01-02T01:00:00Z")
    );
}

#[test]
fn rate_10_hours_resets_at_midnight() {
    let s = schedule("rate(10 hours)", None);
    assert_eq!(
        next(&s, Some("2024-01-01T20:10:00Z"), "2024-01-01T20:20:00Z"),
        window("2024-01-02T00:00:00Z", "2024-01-02T01:00:00Z")
    );
}

#[test]
fn rate_units_singular_or_plural_are_both_accepted() {
    // UG lists hour, hours, day and days without an agreement rule; Cofre is lenient here.
    assert_eq!(
        schedule("rate(4 hour)", None).display(),
        rules("rate(4 hour)", None)
    );
    assert_eq!(
        schedule("rate(1 days)", None)
            .display()
            .automatically_after_days,
        Some(1)
    );
}

#[test]
fn hourly_cron_with_a_range_and_step() {
    let s = schedule("cron(0 8-19/4 * * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T13:00:00Z"),
        window("2024-01-01T16:00:00Z", "2024-01-01T17:00:00Z")
    );
    assert_eq!(
        next(&s, Some("2024-01-01T16:01:00Z"), "2024-01-01T16:02:00Z"),
        window("2024-01-02T08:00:00Z", "2024-01-02T09:00:00Z")
    );
    let s = schedule("cron(0 0,4,8 * * ? *)", Some("4h"));
    assert_eq!(
        next(&s, None, "2024-01-01T09:00:00Z"),
        window("2024-01-01T08:00:00Z", "2024-01-01T12:00:00Z")
    );
}

// ---- What AWS was seen answering ([OBS] in the module docs) ----

#[test]
fn observed_weekly_cron_in_list_secrets() {
    let s = schedule("cron(0 0 ? * 2 *)", None);
    let last = 1_697_440_682_417; // 2023-10-16T07:18:02.417Z, a Monday
    let now = last + 60_000;
    assert_eq!(
        s.next_window(Some(last), now),
        Window {
            start_ms: 1_698_019_200_000, // 2023-10-23T00:00:00Z
            end_ms: 1_698_105_600_000,
        }
    );
    // AWS showed NextRotationDate 2023-10-24T07:59:59+08:00.
    assert_eq!(s.next_rotation_date_ms(Some(last), now), 1_698_105_599_000);
    assert_eq!(
        s.display_at(Some(last), now),
        RulesInput {
            automatically_after_days: Some(7),
            schedule_expression: Some("cron(0 0 ? * 2 *)".to_owned()),
            duration: None,
        }
    );
}

#[test]
fn observed_30_days_from_the_last_change() {
    let s = Schedule::parse(&after_days(30, None)).unwrap();
    let last = 1_770_140_042_000; // 2026-02-03T17:34:02Z
    let now = last + 3_600_000;
    assert_eq!(
        s.next_window(Some(last), now),
        Window {
            start_ms: 1_772_668_800_000, // 2026-03-05T00:00:00Z
            end_ms: 1_772_755_200_000,
        }
    );
    // AWS showed NextRotationDate 2026-03-06T00:59:59+01:00.
    assert_eq!(s.next_rotation_date_ms(Some(last), now), 1_772_755_199_000);
    assert_eq!(s.display_at(Some(last), now), after_days(30, None));
}

// ---- AutomaticallyAfterDays ----

#[test]
fn automatically_after_days_overdue_rotates_in_todays_window() {
    let s = Schedule::parse(&after_days(1, None)).unwrap();
    let last = Some("2024-01-01T10:00:00Z");
    assert_eq!(
        next(&s, last, "2024-01-05T10:00:00Z"),
        window("2024-01-05T00:00:00Z", "2024-01-06T00:00:00Z")
    );
    assert!(s.is_due(last.map(ms), ms("2024-01-05T10:00:00Z")));
    assert!(!s.is_due(last.map(ms), ms("2024-01-01T23:00:00Z")));
    assert!(s.is_due(last.map(ms), ms("2024-01-02T00:00:00Z")));
}

#[test]
fn automatically_after_days_with_a_duration_waits_for_the_next_open_window() {
    let s = Schedule::parse(&after_days(1, Some("4h"))).unwrap();
    let last = Some("2024-01-01T10:00:00Z");
    assert_eq!(
        next(&s, last, "2024-01-05T10:00:00Z"),
        window("2024-01-06T00:00:00Z", "2024-01-06T04:00:00Z")
    );
    assert!(!s.is_due(last.map(ms), ms("2024-01-05T10:00:00Z")));
    assert_eq!(
        s.display(),
        RulesInput {
            automatically_after_days: Some(1),
            schedule_expression: None,
            duration: Some("4h".to_owned()),
        }
    );
}

#[test]
fn never_rotated_uses_the_first_open_window() {
    let s = Schedule::parse(&after_days(30, None)).unwrap();
    assert_eq!(
        next(&s, None, "2024-01-05T10:00:00Z"),
        window("2024-01-05T00:00:00Z", "2024-01-06T00:00:00Z")
    );
    assert!(s.is_due(None, ms("2024-01-05T10:00:00Z")));
}

#[test]
fn automatically_after_days_bounds() {
    for days in [1, 1000] {
        assert_eq!(
            Schedule::parse(&after_days(days, None)).unwrap().display(),
            after_days(days, None)
        );
    }
    for days in [0, 1001, -5, i64::MIN, i64::MAX] {
        assert_eq!(
            rejection(&after_days(days, None)),
            "RotationRules.AutomaticallyAfterDays must be within 1-1000."
        );
    }
}

// ---- Combinations of fields ----

#[test]
fn both_automatically_after_days_and_schedule_expression_are_rejected() {
    let input = RulesInput {
        automatically_after_days: Some(30),
        schedule_expression: Some("rate(30 days)".to_owned()),
        duration: None,
    };
    assert_eq!(
        rejection(&input),
        "You cannot specify both rotation frequency and schedule expression together."
    );
}

#[test]
fn neither_field_is_rejected() {
    let message =
        "You must specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules.";
    assert_eq!(rejection(&RulesInput::default()), message);
    let duration_only = RulesInput {
        duration: Some("2h".to_owned()),
        ..RulesInput::default()
    };
    assert_eq!(rejection(&duration_only), message);
}

// ---- Rate rejections ----

#[test]
fn rate_hours_outside_4_to_23_are_rejected() {
    for expression in [
        "rate(3 hours)",
        "rate(1 hour)",
        "rate(0 hours)",
        "rate(24 hours)",
        "rate(99999999999 hours)",
    ] {
        assert_eq!(
            rejection(&rules(expression, None)),
            "Rate in hour should be least 4 and less than 24.",
            "{expression}"
        );
    }
}

#[test]
fn rate_days_outside_1_to_999_are_rejected() {
    for expression in ["rate(0 days)", "rate(1000 days)", "rate(4294967296 days)"] {
        assert_eq!(
            rejection(&rules(expression, None)),
            "Rate in day should be greater than 0 and less than 1000.",
            "{expression}"
        );
    }
}

#[test]
fn malformed_rates_are_rejected() {
    for expression in [
        "rate(5 minutes)",
        "rate(1 week)",
        "rate(days)",
        "rate(10days)",
        "rate(-1 days)",
        "rate(1.5 days)",
        "rate(1 day",
        "rate 1 day",
        "RATE(1 day)",
        "rate(1 DAYS)",
        "rate()",
    ] {
        assert_eq!(
            rejection(&rules(expression, None)),
            "Invalid schedule expression.",
            "{expression}"
        );
    }
}

// ---- Duration ----

#[test]
fn duration_longer_than_the_interval_is_rejected() {
    assert_eq!(
        rejection(&rules("rate(4 hours)", Some("5h"))),
        "Duration cannot be greater than Rate in hour."
    );
    assert_eq!(
        rejection(&rules("cron(0 /8 * * ? *)", Some("9h"))),
        "The rotation window must not extend into the next rotation window."
    );
    assert_eq!(
        rejection(&rules("cron(0 0,4,8 * * ? *)", Some("5h"))),
        "The rotation window must not extend into the next rotation window."
    );
    // Exactly the interval is fine.
    let s = schedule("rate(4 hours)", Some("4h"));
    assert_eq!(
        next(&s, None, "2024-01-01T21:00:00Z"),
        window("2024-01-01T20:00:00Z", "2024-01-02T00:00:00Z")
    );
    let s = schedule("cron(0 /8 * * ? *)", Some("8h"));
    assert_eq!(
        next(&s, None, "2024-01-01T09:00:00Z"),
        window("2024-01-01T08:00:00Z", "2024-01-01T16:00:00Z")
    );
}

#[test]
fn duration_crossing_midnight_is_rejected() {
    let message = "Starting hour and duration must be within a day.";
    assert_eq!(rejection(&rules("cron(0 22 * * ? *)", Some("3h"))), message);
    assert_eq!(
        rejection(&rules("cron(0 16 1,15 * ? *)", Some("9h"))),
        message
    );
    // 20:00 + 5h on the last window of the day.
    assert_eq!(rejection(&rules("rate(5 hours)", Some("5h"))), message);
    assert_eq!(
        rejection(&rules("cron(0 2/10 * * ? *)", Some("3h"))),
        message
    );
    // Up to midnight exactly is fine.
    let s = schedule("cron(0 16 1,15 * ? *)", Some("8h"));
    assert_eq!(
        next(&s, None, "2024-03-02T00:00:00Z"),
        window("2024-03-15T16:00:00Z", "2024-03-16T00:00:00Z")
    );
    schedule("rate(6 hours)", Some("6h"));
    schedule("cron(0 2/10 * * ? *)", Some("2h"));
    schedule("rate(10 days)", Some("24h"));
    schedule("cron(0 0 * * ? *)", Some("24h"));
}

#[test]
fn malformed_or_out_of_range_durations_are_rejected() {
    for duration in [
        "0h",
        "25h",
        "99h",
        "h",
        "3",
        "3H",
        "",
        "1hh",
        "-1h",
        "+1h",
        " 1h",
        "\u{663}h",
        "1\u{2}h",
        "4294967296h",
    ] {
        assert_eq!(
            rejection(&rules("rate(1 day)", Some(duration))),
            "Duration must be at least 1 hour, at most 24 hour.",
            "{duration:?}"
        );
    }
    assert_eq!(
        rejection(&after_days(10, Some("30h"))),
        "Duration must be at least 1 hour, at most 24 hour."
    );
}

// ---- Cron rejections ----

#[test]
fn malformed_crons_are_rejected() {
    for expression in [
        // field count
        "cron(0 10 * * ?)",
        "cron(0 10 * * ? * *)",
        "cron()",
        // day-of-month and day-of-week
        "cron(0 10 * * * *)",
        "cron(0 10 ? * ? *)",
        "cron(0 10 1 * 2 *)",
        "cron(0 10 ? ? * *)",
        // minutes must be 0, year must be *
        "cron(15 10 * * ? *)",
        "cron(0/30 10 * * ? *)",
        "cron(* 10 * * ? *)",
        "cron(0 10 * * ? 2024)",
        "cron(0 10 * * ? 1970-2199)",
        "cron(0 10 * * ? 2200)",
        // values out of range
        "cron(0 24 * * ? *)",
        "cron(0 10 0 * ? *)",
        "cron(0 10 32 * ? *)",
        "cron(0 10 * 0 ? *)",
        "cron(0 10 * 13 ? *)",
        "cron(0 10 ? * 0 *)",
        "cron(0 10 ? * 8 *)",
        // bad ranges and steps
        "cron(0 10 20-10 * ? *)",
        "cron(0 10 ? * FRI-MON *)",
        "cron(0 0/0 * * ? *)",
        "cron(0 10 1/ * ? *)",
        "cron(0 10 1-5- * ? *)",
        "cron(0 10 ,1 * ? *)",
        "cron(0 10 1,,2 * ? *)",
        "cron(0 10 -5 * ? *)",
        "cron(0 10 1-5/2/3 * ? *)",
        // L, W and #
        "cron(0 10 L5 * ? *)",
        "cron(0 10 L-2 * ? *)",
        "cron(0 10 l * ? *)",
        "cron(0 10 * L ? *)",
        "cron(0 10 ? * 8L *)",
        "cron(0 10 ? * 0L *)",
        "cron(0 10 0W * ? *)",
        "cron(0 10 32W * ? *)",
        "cron(0 10 W * ? *)",
        "cron(0 10 1-5W * ? *)",
        "cron(0 10 ? * 2W *)",
        "cron(0 10 ? * 2#6 *)",
        "cron(0 10 ? * 2#0 *)",
        "cron(0 10 ? * 8#1 *)",
        "cron(0 10 ? * #1 *)",
        "cron(0 10 ? * 2#1,3#2 *)",
        "cron(0 10 ? * 2#1,3 *)",
        "cron(0 10 1#1 * ? *)",
        // names
        "cron(0 10 * JANUARY ? *)",
        "cron(0 10 ? * SUNDAY *)",
        "cron(0 10 ? * JAN *)",
        "cron(0 10 * SUN ? *)",
        "cron(0 TEN * * ? *)",
        // more often than every four hours
        "cron(0 * * * ? *)",
        "cron(0 */2 * * ? *)",
        "cron(0 0,3 * * ? *)",
        "cron(0 8-19/3 * * ? *)",
        "cron(0 0-3 * * ? *)",
        // never matches a real date
        "cron(0 0 30 2 ? *)",
        "cron(0 0 31 4,6,9,11 ? *)",
        "cron(0 0 30W FEB ? *)",
        // not a cron at all
        "cron 0 10 * * ? *",
        "cron(0 10 * * ? *",
        "CRON(0 10 * * ? *)",
        "cron[0 10 * * ? *]",
        "at(2024-01-01T00:00:00)",
        "0 10 * * ? *",
        "",
        "   ",
        "cron(0 1\u{ff10} * * ? *)",
        "cron(0 10 * * ? *)\u{0}",
    ] {
        assert_eq!(
            rejection(&rules(expression, None)),
            "Invalid schedule expression.",
            "{expression}"
        );
    }
}

// ---- Calendar edge cases ----

#[test]
fn nearest_weekday_w() {
    let s = schedule("cron(0 9 15W * ? *)", None);
    // 2024-06-15 is a Saturday: Friday the 14th.
    assert_eq!(
        next(&s, None, "2024-06-01T00:00:00Z"),
        window("2024-06-14T09:00:00Z", "2024-06-15T00:00:00Z")
    );
    // 2024-09-15 is a Sunday: Monday the 16th.
    assert_eq!(
        next(&s, None, "2024-09-01T00:00:00Z"),
        window("2024-09-16T09:00:00Z", "2024-09-17T00:00:00Z")
    );
    // 2024-06-01 is a Saturday: W does not leave the month, so Monday the 3rd.
    let s = schedule("cron(0 9 1W * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-05-15T00:00:00Z"),
        window("2024-06-03T09:00:00Z", "2024-06-04T00:00:00Z")
    );
    // 31W: April has no 31st; 2024-05-31 is a Friday.
    let s = schedule("cron(0 9 31W * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-04-01T00:00:00Z"),
        window("2024-05-31T09:00:00Z", "2024-06-01T00:00:00Z")
    );
}

#[test]
fn last_weekday_of_the_month_lw() {
    // 2024-08-31 is a Saturday: Friday the 30th.
    let s = schedule("cron(0 9 LW * ? *)", None);
    assert_eq!(
        next(&s, None, "2024-08-01T00:00:00Z"),
        window("2024-08-30T09:00:00Z", "2024-08-31T00:00:00Z")
    );
}

#[test]
fn last_given_weekday_of_the_month() {
    for expression in ["cron(0 12 ? * 6L *)", "cron(0 12 ? * FRIL *)"] {
        let s = schedule(expression, None);
        assert_eq!(
            next(&s, None, "2024-01-01T00:00:00Z"),
            window("2024-01-26T12:00:00Z", "2024-01-27T00:00:00Z"),
            "{expression}"
        );
    }
    // L alone in day-of-week: the last day of the week, Saturday.
    let s = schedule("cron(0 12 ? * L *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T00:00:00Z"),
        window("2024-01-06T12:00:00Z", "2024-01-07T00:00:00Z")
    );
}

#[test]
fn month_and_day_names_are_case_insensitive() {
    let s = schedule("cron(0 10 ? jan,Jul mon *)", None);
    assert_eq!(
        next(&s, None, "2024-02-01T00:00:00Z"),
        window("2024-07-01T10:00:00Z", "2024-07-02T00:00:00Z")
    );
    let s = schedule("cron(0 10 ? OCT-DEC sun#2 *)", None);
    assert_eq!(
        next(&s, None, "2024-03-01T00:00:00Z"),
        window("2024-10-13T10:00:00Z", "2024-10-14T00:00:00Z")
    );
}

#[test]
fn leap_days() {
    let s = schedule("cron(0 0 29 2 ? *)", None);
    assert_eq!(
        next(&s, None, "2024-03-01T00:00:00Z"),
        window("2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z")
    );
    // 2100 is not a leap year.
    let s = schedule("cron(0 0 29 FEB ? *)", None);
    assert_eq!(
        next(&s, None, "2099-03-01T00:00:00Z"),
        window("2104-02-29T00:00:00Z", "2104-03-01T00:00:00Z")
    );
    // A fifth Monday in February needs a leap year whose 29th is a Monday.
    let s = schedule("cron(0 0 ? FEB MON#5 *)", None);
    assert_eq!(
        next(&s, None, "2024-01-01T00:00:00Z"),
        window("2044-02-29T00:00:00Z", "2044-03-01T00:00:00Z")
    );
}

// ---- Display ----

#[test]
fn display_shows_what_was_given_plus_computed_days() {
    let s = schedule("rate(10 days)", Some("6h"));
    assert_eq!(
        s.display(),
        RulesInput {
            automatically_after_days: Some(10),
            schedule_expression: Some("rate(10 days)".to_owned()),
            duration: Some("6h".to_owned()),
        }
    );
    assert_eq!(s.display_at(None, ms("2024-01-01T00:00:00Z")), s.display());

    let s = schedule("cron(0 16 1,15 * ? *)", Some("2h"));
    assert_eq!(s.display(), rules("cron(0 16 1,15 * ? *)", Some("2h")));
    let shown = s.display_at(Some(ms("2024-03-15T16:30:00Z")), ms("2024-03-15T17:00:00Z"));
    assert_eq!(shown.automatically_after_days, Some(17));
    assert_eq!(shown.duration.as_deref(), Some("2h"));

    // Schedules in hours show at least one day.
    let s = schedule("cron(0 /8 * * ? *)", None);
    let shown = s.display_at(Some(ms("2024-01-01T00:30:00Z")), ms("2024-01-01T00:30:00Z"));
    assert_eq!(shown.automatically_after_days, Some(1));
    let s = schedule("rate(4 hours)", None);
    assert_eq!(
        s.display_at(None, ms("2024-01-01T00:30:00Z"))
            .automatically_after_days,
        Some(1)
    );

    // Never rotated: counted from now.
    let s = schedule("cron(0 0 ? * 2 *)", None);
    assert_eq!(
        s.display_at(None, ms("2023-10-16T07:18:02Z"))
            .automatically_after_days,
        Some(7)
    );
}

#[test]
fn rules_input_round_trips_through_serde() {
    let input = rules("cron(0 16 1,15 * ? *)", Some("2h"));
    let text = serde_json::to_string(&input).unwrap();
    assert_eq!(
        text,
        r#"{"automatically_after_days":null,"schedule_expression":"cron(0 16 1,15 * ? *)","duration":"2h"}"#
    );
    assert_eq!(serde_json::from_str::<RulesInput>(&text).unwrap(), input);
}

#[test]
fn errors_display_code_and_message() {
    let error = Schedule::parse(&rules("rate(3 hours)", None)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "InvalidParameterException: Rate in hour should be least 4 and less than 24."
    );
}

// ---- Robustness ----

#[test]
fn extreme_times_do_not_panic() {
    let schedules = [
        schedule("rate(10 days)", None),
        schedule("rate(4 hours)", None),
        schedule("cron(0 16 1,15 * ? *)", Some("2h")),
        Schedule::parse(&after_days(1000, None)).unwrap(),
    ];
    let never = Window {
        start_ms: i64::MAX,
        end_ms: i64::MAX,
    };
    for s in &schedules {
        assert_eq!(s.next_window(None, i64::MAX), never);
        assert_eq!(s.next_window(Some(i64::MAX), 0), never);
        assert_eq!(s.next_rotation_date_ms(None, i64::MAX), i64::MAX);
        assert!(!s.is_due(None, i64::MAX));
        let _ = s.next_window(None, i64::MIN);
        let _ = s.next_window(Some(i64::MIN), i64::MIN);
        let _ = s.next_window(Some(i64::MIN), 0);
        let _ = s.display_at(Some(i64::MAX), i64::MIN);
    }
    // Before the epoch works like after it.
    let s = schedule("cron(0 16 1,15 * ? *)", Some("2h"));
    assert_eq!(
        next(&s, None, "1969-12-20T00:00:00Z"),
        window("1970-01-01T16:00:00Z", "1970-01-01T18:00:00Z")
    );
}

/// A small deterministic generator (no dependency needed for a no-panic sweep).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let len = u64::try_from(items.len()).unwrap();
        items[usize::try_from(self.next() % len).unwrap()]
    }
}

#[test]
fn arbitrary_input_never_panics() {
    let mut rng = Lcg(0x5eed);
    let alphabet: Vec<char> =
        "0123456789 ()#?*-/,LWlwratecronhusdyJANFEBSUNMONx\u{e9}\u{ff10}\u{1f600}"
            .chars()
            .collect();
    let hours = [
        "0", "*", "/4", "2/10", "8-20/4", "0,12", "24", "1-", "L", "?",
    ];
    let days = [
        "*", "?", "L", "LW", "15W", "1,15", "1/2", "31", "32", "0W", "L-1",
    ];
    let months = ["*", "1/3", "JAN,jul", "DEC-FEB", "2", "13", "?", "FEB-JAN"];
    let weekdays = [
        "?", "*", "MON-FRI", "2#1", "6L", "L", "1/2", "SUN#5", "8", "2#1,3",
    ];
    let durations = ["1h", "2h", "24h", "0h", "", "h", "3"];
    let now = ms("2024-02-29T12:34:56Z");
    let mut accepted = 0;
    for i in 0..20_000u32 {
        let expression = if i % 2 == 0 {
            let len = rng.next() % 40;
            let body: String = (0..len)
                .map(|_| alphabet[usize::try_from(rng.next()).unwrap() % alphabet.len()])
                .collect();
            match rng.next() % 3 {
                0 => format!("cron({body})"),
                1 => format!("rate({body})"),
                _ => body,
            }
        } else {
            // Mostly one day field `?`, as valid crons have it.
            let (day, weekday) = match rng.next() % 5 {
                0 | 1 => (rng.pick(&days), "?"),
                2 | 3 => ("?", rng.pick(&weekdays)),
                _ => (rng.pick(&days), rng.pick(&weekdays)),
            };
            format!(
                "cron(0 {} {day} {} {weekday} *)",
                rng.pick(&hours),
                rng.pick(&months)
            )
        };
        let duration = (rng.next() % 2 == 0).then(|| rng.pick(&durations).to_owned());
        let input = RulesInput {
            automatically_after_days: None,
            schedule_expression: Some(expression),
            duration,
        };
        match Schedule::parse(&input) {
            Ok(s) => {
                accepted += 1;
                let window = s.next_window(None, now);
                assert!(window.start_ms < window.end_ms, "{input:?}");
                assert!(window.end_ms > now, "{input:?}");
                let after = s.next_window(Some(window.start_ms), window.start_ms);
                assert!(after.start_ms > window.start_ms, "{input:?}");
                let _ = s.display_at(Some(now), now);
                let _ = s.is_due(Some(now), now);
            }
            Err(e) => assert_eq!(e.code, "InvalidParameterException"),
        }
    }
    // The structured half must exercise accepted schedules too.
    assert!(accepted > 500, "only {accepted} accepted");
}
