//! Target `schedule`: rotation rules as `RotateSecret` receives them ([`Schedule::parse`]:
//! `AutomaticallyAfterDays`, `rate()`, `cron()`, `Duration`), and for rules that parse, the
//! windows the scheduler and `DescribeSecret` compute from them
//! ([`Schedule::next_window`], [`Schedule::next_rotation_date_ms`], [`Schedule::display_at`],
//! [`Schedule::is_due`]) at times chosen by the input and at the extremes of `i64`.
//!
//! Checked on the way: a window is never empty and `is_due` agrees with `next_window`.
//!
//! # Input
//!
//! Lines `key=value` (read as UTF-8, lossily; unknown lines are ignored, a repeated key's last
//! value wins):
//!
//! - `e=` the `ScheduleExpression`, `d=` the `Duration`, `a=` the `AutomaticallyAfterDays`
//!   (a decimal `i64`; an unparsable one counts as absent);
//! - `n=` "now" and `l=` the last rotation, ms since the epoch (decimal `i64`).

use cofre_core::rotation::schedule::{RulesInput, Schedule};

/// Times every parsed schedule is asked about, besides the input's own.
const EXTREMES: [i64; 9] = [
    i64::MIN,
    i64::MIN + 1,
    -86_400_001,
    -1,
    0,
    1_697_440_682_000,   // 2023-10-16T07:18:02Z
    253_402_300_799_999, // 9999-12-31T23:59:59.999Z
    i64::MAX - 1,
    i64::MAX,
];

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut rules = RulesInput::default();
    let (mut now, mut last) = (None, None);
    for line in text.split('\n') {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "e" => rules.schedule_expression = Some(value.to_owned()),
            "d" => rules.duration = Some(value.to_owned()),
            "a" => rules.automatically_after_days = value.parse().ok(),
            "n" => now = value.parse::<i64>().ok(),
            "l" => last = value.parse::<i64>().ok(),
            _ => {}
        }
    }
    let schedule = match Schedule::parse(&rules) {
        Ok(schedule) => schedule,
        Err(err) => {
            let _ = err.to_string();
            return;
        }
    };
    let _ = schedule.display();
    let now = now.unwrap_or(1_767_225_600_000); // 2026-01-01T00:00:00Z
    let mut cases: Vec<(Option<i64>, i64)> = vec![(None, now), (last, now)];
    for extreme in EXTREMES {
        cases.extend([
            (None, extreme),
            (Some(extreme), extreme),
            (Some(extreme), now),
            (last, extreme),
        ]);
    }
    for (last, now) in cases {
        let window = schedule.next_window(last, now);
        assert!(
            window.start_ms <= window.end_ms,
            "empty window {window:?} for {rules:?} at last={last:?} now={now}"
        );
        let due = schedule.is_due(last, now);
        assert_eq!(
            due,
            window.start_ms <= now && now < window.end_ms,
            "is_due disagrees with next_window {window:?} for {rules:?} at last={last:?} now={now}"
        );
        let _ = schedule.next_rotation_date_ms(last, now);
        let _ = schedule.display_at(last, now);
    }
}
