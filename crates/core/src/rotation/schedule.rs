//! Rotation schedules: parsing, validating and placing the windows of `RotateSecret`'s
//! `RotationRules`, as AWS Secrets Manager does. Pure: no I/O, no clock; every time is `i64`
//! milliseconds since the Unix epoch, UTC (Secrets Manager schedules are always UTC).
//!
//! # Sources
//!
//! - **\[UG\]** User Guide, "Rotation schedules" / "Schedule expressions in Secrets Manager
//!   rotation", <https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html>
//!   (text in `awsdocs/aws-secrets-manager-docs`, `doc_source/rotate-secrets_schedule.md`).
//! - **\[API\]** API Reference, `RotationRulesType`,
//!   <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html>,
//!   and the service model (`../shared/api-models/secretsmanager.json`).
//! - **\[API-OLD\]** the older `RotationRulesType`/`RotateSecret` text (still in the SDKs):
//!   "Secrets Manager schedules the date by adding the rotation interval (number of days) to
//!   the actual date of the last rotation. The service chooses the hour within that 24-hour
//!   date window randomly."
//! - **\[EB\]** EventBridge "Cron expressions reference",
//!   <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html>: the
//!   cron grammar Secrets Manager borrows.
//! - **\[OBS\]** real responses seen in public transcripts: a `ListSecrets` entry with
//!   `ScheduleExpression` `cron(0 0 ? * 2 *)`, `AutomaticallyAfterDays` 7, `LastRotatedDate`
//!   2023-10-16T07:18:02Z and `NextRotationDate` 2023-10-23T23:59:59Z; a `DescribeSecret` with
//!   only `AutomaticallyAfterDays` 30, the last change 2026-02-03T17:34Z and `NextRotationDate`
//!   2026-03-05T23:59:59Z.
//! - **\[TF\]** hashicorp/terraform-provider-aws: issue #33329 (the message for both fields) and
//!   `secret_rotation.go` ("If ScheduleExpression is set, AutomaticallyAfterDays will be the
//!   result of AWS calculating the number of days between rotations").
//!
//! # Rules implemented
//!
//! - `AutomaticallyAfterDays` and `ScheduleExpression` are exclusive \[API\]; both →
//!   `InvalidParameterException` "You cannot specify both rotation frequency and schedule
//!   expression together." \[TF\]. `AutomaticallyAfterDays` is 1..=1000 \[API\].
//! - `rate(Value Unit)`, unit `hour`, `hours`, `day` or `days` \[UG\]; "as often as every four
//!   hours" and "the maximum rotation period is 999 days" \[UG\], so hours are 4..=23 and days
//!   1..=999. Singular/plural agreement is *not* enforced (UG lists the four units without it;
//!   EventBridge's own rule is stricter) — a deliberate leniency.
//! - A `rate()` window starts at midnight \[UG\]. In hours, the windows repeat every N hours from
//!   midnight and reset each day, as cron hour increments do ("A cron expression that includes
//!   increments of hours resets each day" \[UG\]); in days, the window is on the UTC date of the
//!   last rotation plus N days, like `AutomaticallyAfterDays` \[API-OLD\], \[OBS\].
//! - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, six fields \[UG\], \[EB\]:
//!   minutes must be `0`, year must be `*` \[UG\]; hours 0–23, day-of-month 1–31, month 1–12 or
//!   `JAN`–`DEC`, day-of-week 1–7 or `SUN`–`SAT` (1 = Sunday) \[UG\]; wildcards `,` `-` `*` `/`
//!   everywhere, `?` and `L` in both day fields, `W` in day-of-month \[EB\] (UG's table does not
//!   list `W`; accepted as EventBridge does), `nL` and `n#k` in day-of-week, `#` alone in its
//!   field \[EB\], `/n` meaning `0/n` (UG's example `cron(0 /8 * * ? *)`). Exactly one day field
//!   must be `?` (\[EB\]: "You can't use * in both"). Names are case-insensitive. A reversed range
//!   (`5-1`) is rejected.
//! - Rotation at most every four hours \[UG\]: the hours a cron selects must be at least four
//!   apart within a day (the day reset is allowed to bring them closer, as UG's `2/10` example,
//!   22:00 then 02:00, shows).
//! - A cron that never matches a real date (`cron(0 0 30 2 ? *)`) is rejected (Cofre's choice:
//!   it has no window to show).
//! - Windows start on the hour \[UG\]. Default length: one hour for a schedule in hours (a
//!   `rate(N hours)`, or a cron selecting more than one hour a day); to the end of the UTC day
//!   for a schedule in days \[UG\], \[API\].
//! - `Duration` is `Nh`, 1..=24 hours ("as small as one hour" \[UG\]); the window must not extend
//!   into the next UTC day nor into the next window \[API\]: start hour + duration ≤ 24, and
//!   duration ≤ the hours between two windows of the same day.
//! - `Duration` with `AutomaticallyAfterDays` is accepted and shortens that day's window
//!   (unconfirmed: \[API\] only ties `Duration` to `ScheduleExpression`).
//!
//! # Windows and NextRotationDate
//!
//! [`Schedule::next_window`] answers the first window whose end is after `now` and that began
//! after the last rotation (a window the secret already rotated in is spent). For
//! `AutomaticallyAfterDays` and `rate(N days)` the window is the UTC date of the last rotation
//! plus N days \[API-OLD\], \[OBS\]; once that window has passed without a rotation, the secret is
//! overdue and every following day's window qualifies (Cofre's choice; AWS does not document
//! missed windows). With no rotation yet, the first window still open counts. The caller
//! passes as `last_rotated_ms` the later of `LastRotatedDate` and the last
//! `PutSecretValue`/`UpdateSecret`, which AWS counts as rotations \[API\] (the 30-day \[OBS\]
//! example counts from a value change). For hour rates and cron, windows are fixed by the
//! expression.
//!
//! `NextRotationDate` is the last second of that window: `end - 1 s`, e.g. 23:59:59 for a
//! schedule in days \[OBS\].
//!
//! The scheduler's "is a rotation due now?" is [`Schedule::is_due`]: the window from
//! [`Schedule::next_window`] has begun (`start <= now < end`).
//!
//! # What DescribeSecret shows
//!
//! `ScheduleExpression` and `Duration` as given (no `Duration` when none was given \[OBS\]);
//! `AutomaticallyAfterDays` as given, or N for `rate(N days)`, or, for a cron or an hour rate,
//! the whole days from the last rotation's date to the next window's date \[TF\], \[OBS\]
//! (weekly cron → 7), at least 1 (the floor and the hour-rate value are unconfirmed). That
//! last figure needs times: [`Schedule::display_at`]; [`Schedule::display`] leaves it out.
//!
//! # Errors
//!
//! Every rejection is `InvalidParameterException` \[API\]. Only the two-fields message is
//! confirmed from AWS; the `AutomaticallyAfterDays` range text is moto's; the others, marked
//! on their constants, come from one third-party rule set that quotes them as AWS's, or are
//! Cofre's own. Any input string is safe to parse (no byte slicing, so no char-boundary
//! panics; numbers parsed with overflow checks); time arithmetic is checked, and absurd times
//! (near the `i64` limits) give a window at `i64::MAX`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The AWS error code of every rejection here.
pub const INVALID_PARAMETER: &str = "InvalidParameterException";

/// Both `AutomaticallyAfterDays` and `ScheduleExpression`. Confirmed: AWS's text as quoted in
/// hashicorp/terraform-provider-aws#33329 and that provider's changelog.
pub const MSG_BOTH: &str =
    "You cannot specify both rotation frequency and schedule expression together.";
/// `AutomaticallyAfterDays` outside 1..=1000. Unconfirmed: moto's text (AWS's model check
/// normally rejects it first).
pub const MSG_DAYS_RANGE: &str = "RotationRules.AutomaticallyAfterDays must be within 1-1000.";
/// Neither `AutomaticallyAfterDays` nor `ScheduleExpression`. Unconfirmed: Cofre's text.
pub const MSG_NEITHER: &str =
    "You must specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules.";
/// A malformed `rate()`/`cron()`, or one Secrets Manager does not allow. Unconfirmed
/// (third-party quote).
pub const MSG_EXPRESSION: &str = "Invalid schedule expression.";
/// `rate(N hours)` outside 4..=23. Unconfirmed (third-party quote, wording kept as quoted).
pub const MSG_RATE_HOURS: &str = "Rate in hour should be least 4 and less than 24.";
/// `rate(N days)` outside 1..=999. Unconfirmed (third-party quote).
pub const MSG_RATE_DAYS: &str = "Rate in day should be greater than 0 and less than 1000.";
/// `Duration` not `Nh` with N in 1..=24. Unconfirmed (third-party quote).
pub const MSG_DURATION: &str = "Duration must be at least 1 hour, at most 24 hour.";
/// `Duration` longer than the interval of `rate(N hours)`. Unconfirmed (third-party quote).
pub const MSG_DURATION_RATE: &str = "Duration cannot be greater than Rate in hour.";
/// A window that would run past midnight UTC. Unconfirmed (third-party quote).
pub const MSG_DURATION_DAY: &str = "Starting hour and duration must be within a day.";
/// A cron window that would run into the next window of the same day. Unconfirmed: Cofre's
/// text.
pub const MSG_DURATION_OVERLAP: &str =
    "The rotation window must not extend into the next rotation window.";

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Days in the Gregorian 400-year cycle, a whole number of weeks: any date pattern that ever
/// matches matches within this many consecutive days.
const CYCLE_DAYS: i64 = 146_097;
/// Minimum hours between two rotations \[UG\].
const MIN_HOURS_APART: u32 = 4;
/// What an unrepresentable window (times near the `i64` limits) becomes.
const NEVER: Window = Window {
    start_ms: i64::MAX,
    end_ms: i64::MAX,
};

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const SUNDAY: u32 = 1;
const SATURDAY: u32 = 7;

/// Rotation rules as RotateSecret receives them (already model-validated for
/// length/pattern/range), and as DescribeSecret/ListSecrets show them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesInput {
    /// `AutomaticallyAfterDays`.
    pub automatically_after_days: Option<i64>,
    /// `ScheduleExpression`: `rate(...)` or `cron(...)`.
    pub schedule_expression: Option<String>,
    /// `Duration`: the window length, `Nh`.
    pub duration: Option<String>,
}

/// Why rotation rules were rejected: an AWS error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    /// Always [`INVALID_PARAMETER`].
    pub code: &'static str,
    /// The message AWS gives (see the `MSG_*` constants for which are confirmed).
    pub message: String,
}

impl ScheduleError {
    fn invalid(message: &str) -> Self {
        ScheduleError {
            code: INVALID_PARAMETER,
            message: message.to_owned(),
        }
    }
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ScheduleError {}

/// A rotation window: Secrets Manager rotates at some time in `[start_ms, end_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start, ms since the epoch (always on the hour).
    pub start_ms: i64,
    /// Exclusive end, ms since the epoch.
    pub end_ms: i64,
}

/// A validated schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    kind: Kind,
    /// The explicit window length in hours, if `Duration` was given.
    duration_hours: Option<u32>,
    /// The rules as given, for display.
    given: RulesInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `AutomaticallyAfterDays`.
    AfterDays(i64),
    /// `rate(N days)`.
    RateDays(i64),
    /// `rate(N hours)`.
    RateHours(u32),
    /// `cron(...)`.
    Cron(Box<Cron>),
}

/// A parsed Secrets Manager cron (minutes always 0, year always `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cron {
    /// Bit `h` for each selected hour 0..=23.
    hours: u32,
    /// Bit `m` for each selected month 1..=12.
    months: u32,
    days: DaySpec,
}

/// The one day field that is not `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DaySpec {
    Month(MonthDays),
    Week(WeekDays),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct MonthDays {
    /// Bit `d` for each plain day 1..=31.
    days: u32,
    /// `L`: the last day of the month.
    last: bool,
    /// `LW`: the last weekday (Monday–Friday) of the month.
    last_weekday: bool,
    /// Bit `d` for each `dW`: the weekday nearest day `d`, within the month.
    nearest_weekday: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct WeekDays {
    /// Bit `w` for each plain weekday 1..=7 (1 = Sunday).
    days: u32,
    /// Bit `w` for each `wL`: the last such weekday of the month.
    last_of_month: u32,
    /// `w#k`: the k-th such weekday of the month.
    nth: Option<(u32, u32)>,
}

impl Schedule {
    /// Validates rotation rules as RotateSecret does.
    ///
    /// Callers handle "no `RotationRules` at all" (keep the stored schedule) before calling:
    /// rules with neither `AutomaticallyAfterDays` nor `ScheduleExpression` are rejected.
    pub fn parse(input: &RulesInput) -> Result<Schedule, ScheduleError> {
        let kind = match (input.automatically_after_days, &input.schedule_expression) {
            (Some(_), Some(_)) => return Err(ScheduleError::invalid(MSG_BOTH)),
            (None, None) => return Err(ScheduleError::invalid(MSG_NEITHER)),
            (Some(days), None) => {
                if !(1..=1000).contains(&days) {
                    return Err(ScheduleError::invalid(MSG_DAYS_RANGE));
                }
                Kind::AfterDays(days)
            }
            (None, Some(expression)) => parse_expression(expression)?,
        };
        let duration_hours = match &input.duration {
            Some(text) => Some(parse_duration(text)?),
            None => None,
        };
        let schedule = Schedule {
            kind,
            duration_hours,
            given: input.clone(),
        };
        if let Some(hours) = duration_hours {
            schedule.check_duration(hours)?;
        }
        Ok(schedule)
    }

    /// The rules as DescribeSecret/ListSecrets show them, without the figure that needs
    /// times: `AutomaticallyAfterDays` is filled in for `AutomaticallyAfterDays` and
    /// `rate(N days)` only. DescribeSecret should use [`Schedule::display_at`].
    pub fn display(&self) -> RulesInput {
        let automatically_after_days = match self.kind {
            Kind::AfterDays(days) | Kind::RateDays(days) => Some(days),
            Kind::RateHours(_) | Kind::Cron(_) => None,
        };
        RulesInput {
            automatically_after_days,
            schedule_expression: self.given.schedule_expression.clone(),
            duration: self.given.duration.clone(),
        }
    }

    /// The rules as DescribeSecret/ListSecrets show them: like [`Schedule::display`], and for
    /// a cron or an hour rate `AutomaticallyAfterDays` is the whole days from the date of the
    /// last rotation (or of `now_ms` if none) to the date of the next window after it, at
    /// least 1 — AWS "calculates it from the rotation schedule after every successful
    /// rotation" \[API\], e.g. 7 for a weekly cron \[OBS\].
    pub fn display_at(&self, last_rotated_ms: Option<i64>, now_ms: i64) -> RulesInput {
        let mut shown = self.display();
        if shown.automatically_after_days.is_none() {
            let anchor = last_rotated_ms.unwrap_or(now_ms);
            let next = self.next_window(Some(anchor), anchor);
            if next != NEVER {
                let days = day_of(next.start_ms).saturating_sub(day_of(anchor));
                shown.automatically_after_days = Some(days.clamp(1, 1000));
            }
        }
        shown
    }

    /// The first rotation window whose end is after `now_ms` and that began after
    /// `last_rotated_ms` (None if the secret never rotated). For `AutomaticallyAfterDays` and
    /// `rate(N days)` the window is on the date of the last rotation plus N days, or on the
    /// first day still open once that one has passed; for `rate(N hours)` and `cron()`, the
    /// expression fixes the windows.
    pub fn next_window(&self, last_rotated_ms: Option<i64>, now_ms: i64) -> Window {
        match &self.kind {
            Kind::AfterDays(days) | Kind::RateDays(days) => {
                self.next_day_window(*days, last_rotated_ms, now_ms)
            }
            Kind::RateHours(every) => {
                let hours = hour_grid(*every);
                self.next_grid_window(hours, |_| true, last_rotated_ms, now_ms)
            }
            Kind::Cron(cron) => self.next_grid_window(
                cron.hours,
                |day| cron.matches_day(day),
                last_rotated_ms,
                now_ms,
            ),
        }
    }

    /// `NextRotationDate` as DescribeSecret shows it: the last second of the next window.
    pub fn next_rotation_date_ms(&self, last_rotated_ms: Option<i64>, now_ms: i64) -> i64 {
        let window = self.next_window(last_rotated_ms, now_ms);
        if window == NEVER {
            return i64::MAX;
        }
        window.end_ms.saturating_sub(1000)
    }

    /// Whether a scheduled rotation is due at `now_ms`: the next window, one the secret has
    /// not rotated in yet, has begun (`start <= now < end`).
    pub fn is_due(&self, last_rotated_ms: Option<i64>, now_ms: i64) -> bool {
        let window = self.next_window(last_rotated_ms, now_ms);
        window.start_ms <= now_ms && now_ms < window.end_ms
    }

    /// Whether this is a schedule "in hours" (default window: one hour) rather than "in days"
    /// (default window: to the end of the UTC day) \[UG\].
    fn in_hours(&self) -> bool {
        match &self.kind {
            Kind::AfterDays(_) | Kind::RateDays(_) => false,
            Kind::RateHours(_) => true,
            Kind::Cron(cron) => cron.hours.count_ones() > 1,
        }
    }

    /// The window length for a window starting at `start_hour` (0..=23), in hours.
    fn window_hours(&self, start_hour: u32) -> u32 {
        match self.duration_hours {
            Some(hours) => hours,
            None if self.in_hours() => 1,
            None => 24u32.saturating_sub(start_hour),
        }
    }

    /// The window of `day` (days since the epoch) starting at `start_hour`.
    fn window_at(&self, day: i64, start_hour: u32) -> Option<Window> {
        let start_ms = day
            .checked_mul(DAY_MS)?
            .checked_add(i64::from(start_hour).checked_mul(HOUR_MS)?)?;
        let end_ms = start_ms.checked_add(i64::from(self.window_hours(start_hour)) * HOUR_MS)?;
        Some(Window { start_ms, end_ms })
    }

    /// `AutomaticallyAfterDays` / `rate(N days)`: one window a day, from midnight.
    fn next_day_window(&self, every: i64, last: Option<i64>, now: i64) -> Window {
        let attempt = || -> Option<Window> {
            let due_day = match last {
                Some(last) => day_of(last).checked_add(every)?,
                None => day_of(now),
            };
            let window = self.window_at(due_day, 0)?;
            if window.end_ms > now {
                return Some(window);
            }
            // Overdue: the first day from today whose window is still open.
            let today = day_of(now).max(due_day);
            let window = self.window_at(today, 0)?;
            if window.end_ms > now {
                return Some(window);
            }
            self.window_at(today.checked_add(1)?, 0)
        };
        attempt().unwrap_or(NEVER)
    }

    /// Windows at the hours in `hours` (bit per hour) on each day `day_matches` accepts.
    fn next_grid_window(
        &self,
        hours: u32,
        day_matches: impl Fn(i64) -> bool,
        last: Option<i64>,
        now: i64,
    ) -> Window {
        // No window of an earlier day ends after `now`, nor begins after `last`.
        let first_day = match last {
            Some(last) => day_of(now).max(day_of(last)),
            None => day_of(now),
        };
        // Parsing guarantees a matching day in every CYCLE_DAYS span.
        for offset in 0..=CYCLE_DAYS {
            let Some(day) = first_day.checked_add(offset) else {
                return NEVER;
            };
            if !day_matches(day) {
                continue;
            }
            for hour in (0..24u32).filter(|hour| hours & (1 << hour) != 0) {
                let Some(window) = self.window_at(day, hour) else {
                    return NEVER;
                };
                if window.end_ms > now && last.is_none_or(|last| window.start_ms > last) {
                    return window;
                }
            }
        }
        NEVER
    }

    /// The window rules for an explicit `Duration` of `hours` (already 1..=24) \[UG\], \[API\].
    fn check_duration(&self, hours: u32) -> Result<(), ScheduleError> {
        let starts = match &self.kind {
            Kind::AfterDays(_) | Kind::RateDays(_) => 1, // midnight only
            Kind::RateHours(every) => {
                if hours > *every {
                    return Err(ScheduleError::invalid(MSG_DURATION_RATE));
                }
                hour_grid(*every)
            }
            Kind::Cron(cron) => cron.hours,
        };
        let start_hours: Vec<u32> = (0..24u32).filter(|h| starts & (1 << h) != 0).collect();
        for pair in start_hours.windows(2) {
            if let [earlier, later] = pair {
                if hours > later - earlier {
                    return Err(ScheduleError::invalid(MSG_DURATION_OVERLAP));
                }
            }
        }
        if let Some(latest) = start_hours.last() {
            if latest + hours > 24 {
                return Err(ScheduleError::invalid(MSG_DURATION_DAY));
            }
        }
        Ok(())
    }
}

/// Days since the epoch of an instant (floor).
fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// The start hours of `rate(every hours)`: midnight, then every `every` hours, each day.
fn hour_grid(every: u32) -> u32 {
    let step = every.max(1) as usize;
    (0..24u32)
        .step_by(step)
        .fold(0, |bits, hour| bits | (1 << hour))
}

fn parse_duration(text: &str) -> Result<u32, ScheduleError> {
    let invalid = || ScheduleError::invalid(MSG_DURATION);
    let digits = text.strip_suffix('h').ok_or_else(invalid)?;
    let hours = parse_number(digits).ok_or_else(invalid)?;
    if !(1..=24).contains(&hours) {
        return Err(invalid());
    }
    Ok(hours)
}

/// Digits only, no sign; None when empty or too large for `u32`.
fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_expression(expression: &str) -> Result<Kind, ScheduleError> {
    let expression = expression.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some(inner) = expression
        .strip_prefix("rate(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        return parse_rate(inner);
    }
    if let Some(inner) = expression
        .strip_prefix("cron(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        return Cron::parse(inner)
            .map(|cron| Kind::Cron(Box::new(cron)))
            .ok_or_else(|| ScheduleError::invalid(MSG_EXPRESSION));
    }
    Err(ScheduleError::invalid(MSG_EXPRESSION))
}

fn parse_rate(inner: &str) -> Result<Kind, ScheduleError> {
    let invalid = || ScheduleError::invalid(MSG_EXPRESSION);
    let mut parts = inner.split_ascii_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    // Too many digits for u32 is simply out of range.
    let value: Option<u32> = value.parse().ok();
    match unit {
        "hour" | "hours" => match value {
            Some(hours) if (4..=23).contains(&hours) => Ok(Kind::RateHours(hours)),
            _ => Err(ScheduleError::invalid(MSG_RATE_HOURS)),
        },
        "day" | "days" => match value {
            Some(days) if (1..=999).contains(&days) => Ok(Kind::RateDays(i64::from(days))),
            _ => Err(ScheduleError::invalid(MSG_RATE_DAYS)),
        },
        _ => Err(invalid()),
    }
}

impl Cron {
    /// Parses the six fields between `cron(` and `)`; None if malformed or not allowed by
    /// Secrets Manager.
    fn parse(inner: &str) -> Option<Cron> {
        let fields: Vec<&str> = inner.split_ascii_whitespace().collect();
        let [minutes, hours, day_of_month, month, day_of_week, year] = fields.as_slice() else {
            return None;
        };
        if *minutes != "0" || *year != "*" {
            return None;
        }
        let hours = parse_list(hours, |item| parse_range(item, 0, 23, &[]))?;
        let months = parse_list(month, |item| parse_range(item, 1, 12, &MONTH_NAMES))?;
        let days = match (*day_of_month, *day_of_week) {
            ("?", "?") => return None,
            (dom, "?") => DaySpec::Month(MonthDays::parse(dom)?),
            ("?", dow) => DaySpec::Week(WeekDays::parse(dow)?),
            _ => return None,
        };
        let cron = Cron {
            hours,
            months,
            days,
        };
        if !cron.hours_far_enough_apart() || !cron.ever_matches() {
            return None;
        }
        Some(cron)
    }

    /// "You can rotate a secret as often as every four hours" \[UG\].
    fn hours_far_enough_apart(&self) -> bool {
        let selected: Vec<u32> = (0..24u32).filter(|h| self.hours & (1 << h) != 0).collect();
        selected
            .windows(2)
            .all(|pair| matches!(pair, [a, b] if b - a >= MIN_HOURS_APART))
    }

    /// Whether some real date matches (the calendar repeats every CYCLE_DAYS days).
    fn ever_matches(&self) -> bool {
        (0..CYCLE_DAYS).any(|day| self.matches_day(day))
    }

    /// Whether `day` (days since the epoch) is a rotation day.
    fn matches_day(&self, day: i64) -> bool {
        let (year, month, dom) = civil_from_days(day);
        if self.months & (1 << month) == 0 {
            return false;
        }
        let month_len = days_in_month(year, month);
        let weekday = weekday_of(day);
        match &self.days {
            DaySpec::Month(spec) => spec.matches(dom, month_len, weekday),
            DaySpec::Week(spec) => spec.matches(dom, month_len, weekday),
        }
    }
}

impl MonthDays {
    fn parse(field: &str) -> Option<MonthDays> {
        let mut spec = MonthDays::default();
        for item in field.split(',') {
            if item == "L" {
                spec.last = true;
            } else if item.eq_ignore_ascii_case("LW") {
                spec.last_weekday = true;
            } else if let Some(day) = item.strip_suffix('W') {
                let day = parse_value(day, 1, 31, &[])?;
                spec.nearest_weekday |= 1 << day;
            } else {
                spec.days |= parse_range(item, 1, 31, &[])?;
            }
        }
        Some(spec)
    }

    fn matches(&self, dom: u32, month_len: u32, weekday: u32) -> bool {
        if self.days & (1 << dom) != 0 || (self.last && dom == month_len) {
            return true;
        }
        if self.last_weekday && dom == nearest_weekday(month_len, month_len, dom, weekday) {
            return true;
        }
        (1..=month_len)
            .filter(|target| self.nearest_weekday & (1 << target) != 0)
            .any(|target| nearest_weekday(target, month_len, dom, weekday) == dom)
    }
}

impl WeekDays {
    fn parse(field: &str) -> Option<WeekDays> {
        let items: Vec<&str> = field.split(',').collect();
        // "If you use the '#' character, you can define only one expression" [EB].
        if items.len() > 1 && items.iter().any(|item| item.contains('#')) {
            return None;
        }
        let mut spec = WeekDays::default();
        for item in items {
            if item == "L" {
                // "L" alone: the last day of the week, Saturday [EB].
                spec.days |= 1 << SATURDAY;
            } else if let Some((weekday, nth)) = item.split_once('#') {
                let weekday = parse_value(weekday, 1, 7, &WEEKDAY_NAMES)?;
                let nth = parse_value(nth, 1, 5, &[])?;
                spec.nth = Some((weekday, nth));
            } else if let Some(weekday) = item.strip_suffix('L') {
                spec.last_of_month |= 1 << parse_value(weekday, 1, 7, &WEEKDAY_NAMES)?;
            } else {
                spec.days |= parse_range(item, 1, 7, &WEEKDAY_NAMES)?;
            }
        }
        Some(spec)
    }

    fn matches(&self, dom: u32, month_len: u32, weekday: u32) -> bool {
        let bit = 1 << weekday;
        self.days & bit != 0
            || (self.last_of_month & bit != 0 && dom + 7 > month_len)
            || self
                .nth
                .is_some_and(|(wanted, nth)| wanted == weekday && (dom - 1) / 7 + 1 == nth)
    }
}

/// Bits of every value of a comma-separated field.
fn parse_list(field: &str, item: impl Fn(&str) -> Option<u32>) -> Option<u32> {
    field
        .split(',')
        .try_fold(0u32, |bits, part| Some(bits | item(part)?))
}

/// One item of a plain field: `*`, `v`, `a-b`, each optionally `/step`, or `/step` alone
/// (from the minimum). Bits of the selected values.
fn parse_range(item: &str, min: u32, max: u32, names: &[&str]) -> Option<u32> {
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(parse_number(step).filter(|s| *s >= 1)?)),
        None => (item, None),
    };
    let (first, last) = if range.is_empty() || range == "*" {
        if range.is_empty() && step.is_none() {
            return None;
        }
        (min, max)
    } else if let Some((from, to)) = range.split_once('-') {
        let from = parse_value(from, min, max, names)?;
        let to = parse_value(to, min, max, names)?;
        if from > to {
            return None;
        }
        (from, to)
    } else {
        let value = parse_value(range, min, max, names)?;
        (value, if step.is_some() { max } else { value })
    };
    let step = usize::try_from(step.unwrap_or(1)).ok()?;
    Some(
        (first..=last)
            .step_by(step)
            .fold(0, |bits, v| bits | (1 << v)),
    )
}

/// A number in `min..=max`, or a name (case-insensitive) standing for `min + index`.
fn parse_value(text: &str, min: u32, max: u32, names: &[&str]) -> Option<u32> {
    let value = match parse_number(text) {
        Some(value) => value,
        None => {
            let index = names.iter().position(|n| n.eq_ignore_ascii_case(text))?;
            min.checked_add(u32::try_from(index).ok()?)?
        }
    };
    (min..=max).contains(&value).then_some(value)
}

/// The weekday nearest day `target` of a month of `month_len` days, without leaving the
/// month \[EB\] (Quartz's `W`), given that day `dom` falls on `weekday` (1 = Sunday).
fn nearest_weekday(target: u32, month_len: u32, dom: u32, weekday: u32) -> u32 {
    // Weekday of `target`, from that of `dom` (both in the same month).
    let target_weekday = (weekday + 7 * 5 + target - dom - 1) % 7 + 1;
    match target_weekday {
        SATURDAY if target == 1 => 3,
        SATURDAY => target - 1,
        SUNDAY if target == month_len => target - 2,
        SUNDAY => target + 1,
        _ => target,
    }
}

/// 1 = Sunday … 7 = Saturday; day 0 (1970-01-01) was a Thursday.
fn weekday_of(day: i64) -> u32 {
    // rem_euclid(7) is in 0..7, so the cast is exact.
    (day + 4).rem_euclid(7) as u32 + 1
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01 (proleptic Gregorian;
/// H. Hinnant's `civil_from_days`). Exact for every day an `i64` of milliseconds can reach.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(CYCLE_DAYS);
    let doe = z.rem_euclid(CYCLE_DAYS); // 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // 0..=11
    let day = doy - (153 * mp + 2) / 5 + 1; // 1..=31
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // 1..=12
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are small and positive by construction.
    (year, month as u32, day as u32)
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
