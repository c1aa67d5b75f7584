//! `cofre audit query` and `cofre audit tail`: the audit trail read through CloudTrail's
//! LookupEvents, with the signing client of `cofre admin` ([`crate::admin::Client`], signing
//! name `cloudtrail`).
//!
//! Both print one CloudTrail record (the event's `CloudTrailEvent`) per line, as JSON, so the
//! output pipes into `jq`. `query` pages through every match, newest first, as LookupEvents
//! lists them; `tail` prints the events recorded after it starts, oldest first, polling
//! LookupEvents until interrupted.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::admin::{credentials, AdminError, Client};

/// `X-Amz-Target` of LookupEvents.
const LOOKUP_EVENTS: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";

/// Where to connect and as whom (shared by both commands).
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// The server's endpoint (plain http).
    #[arg(long, default_value = "http://127.0.0.1:8700")]
    pub endpoint: String,
    /// The region to sign for.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The server's data directory, where its root-credentials file is read from when
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set.
    #[arg(long, default_value = "./cofre-data")]
    pub data_dir: PathBuf,
}

/// Arguments of `cofre audit query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// Connection settings.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// One lookup attribute, `Key=Value` (EventName, Username, ResourceName, ResourceType,
    /// EventId, ReadOnly, AccessKeyId, EventSource).
    #[arg(long)]
    pub attribute: Option<String>,
    /// Only events at or after this time (RFC 3339, e.g. 2026-01-02T03:04:05Z, or epoch
    /// seconds).
    #[arg(long)]
    pub start: Option<String>,
    /// Only events at or before this time (same forms as --start).
    #[arg(long)]
    pub end: Option<String>,
    /// Stop after this many events.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// Arguments of `cofre audit tail`.
#[derive(Debug, clap::Args)]
pub struct TailArgs {
    /// Connection settings.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// One lookup attribute, `Key=Value`, as for `query`.
    #[arg(long)]
    pub attribute: Option<String>,
    /// Milliseconds between polls.
    #[arg(long, default_value_t = 1000)]
    pub interval_ms: u64,
    /// Also print the events already recorded at or after this time (RFC 3339 or epoch
    /// seconds); by default only events recorded after `tail` starts are printed.
    #[arg(long)]
    pub since: Option<String>,
}

/// One LookupEvents page.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(rename = "Events", default)]
    events: Vec<Event>,
    #[serde(rename = "NextToken")]
    next_token: Option<String>,
}

/// One listed event: what `query` and `tail` need of it.
#[derive(Debug, Deserialize)]
struct Event {
    #[serde(rename = "EventId", default)]
    event_id: String,
    #[serde(rename = "EventTime", default)]
    event_time: f64,
    #[serde(rename = "CloudTrailEvent", default)]
    cloud_trail_event: String,
}

/// A LookupEvents filter.
#[derive(Debug, Default, Clone)]
struct Filter {
    attribute: Option<(String, String)>,
    start_secs: Option<f64>,
    end_secs: Option<f64>,
}

impl Filter {
    fn body(&self, next_token: Option<&str>) -> serde_json::Value {
        let mut body = serde_json::json!({ "MaxResults": 50 });
        if let Some((k, v)) = &self.attribute {
            body["LookupAttributes"] =
                serde_json::json!([{ "AttributeKey": k, "AttributeValue": v }]);
        }
        if let Some(s) = self.start_secs {
            body["StartTime"] = serde_json::json!(s);
        }
        if let Some(e) = self.end_secs {
            body["EndTime"] = serde_json::json!(e);
        }
        if let Some(t) = next_token {
            body["NextToken"] = serde_json::json!(t);
        }
        body
    }
}

/// A client for `connect`.
fn client(connect: &ConnectArgs) -> Result<Client, AdminError> {
    Client::new(
        &connect.endpoint,
        &connect.region,
        credentials(&connect.data_dir)?,
    )
}

/// One LookupEvents call.
async fn lookup(client: &Client, filter: &Filter, token: Option<&str>) -> Result<Page, AdminError> {
    let body = serde_json::to_vec(&filter.body(token))?;
    let answer = client
        .call_target(LOOKUP_EVENTS, "cloudtrail", &body)
        .await?;
    Ok(serde_json::from_slice(answer.expose())?)
}

/// Runs `cofre audit query`.
pub async fn query(args: QueryArgs) -> Result<(), AdminError> {
    let filter = Filter {
        attribute: args.attribute.as_deref().map(parse_attribute).transpose()?,
        start_secs: args.start.as_deref().map(parse_time).transpose()?,
        end_secs: args.end.as_deref().map(parse_time).transpose()?,
    };
    let client = client(&args.connect)?;
    let limit = args.limit.unwrap_or(usize::MAX);
    let mut printed = 0;
    let mut token: Option<String> = None;
    let mut out = std::io::stdout().lock();
    loop {
        let page = lookup(&client, &filter, token.as_deref()).await?;
        for e in &page.events {
            if printed == limit {
                return Ok(());
            }
            writeln!(out, "{}", e.cloud_trail_event)?;
            printed += 1;
        }
        match page.next_token {
            Some(t) if !page.events.is_empty() => token = Some(t),
            _ => return Ok(()),
        }
    }
}

/// Runs `cofre audit tail` until interrupted.
pub async fn tail(args: TailArgs) -> Result<(), AdminError> {
    let attribute = args.attribute.as_deref().map(parse_attribute).transpose()?;
    let since = args.since.as_deref().map(parse_time).transpose()?;
    let client = client(&args.connect)?;
    let mut cursor = Cursor::default();
    match since {
        Some(s) => cursor.start = s,
        None => {
            // Start at the newest recorded event (by the server's clock, not ours), without
            // printing it.
            let filter = Filter {
                attribute: attribute.clone(),
                ..Default::default()
            };
            let page = lookup(&client, &filter, None).await?;
            cursor.advance(&page.events);
        }
    }
    // On stderr, so stdout stays nothing but records.
    eprintln!("cofre audit tail: following new events (interrupt to stop)");
    let interval = Duration::from_millis(args.interval_ms.max(50));
    loop {
        let filter = Filter {
            attribute: attribute.clone(),
            start_secs: Some(cursor.start),
            end_secs: None,
        };
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = lookup(&client, &filter, token.as_deref()).await?;
            let more = page.next_token.is_some() && !page.events.is_empty();
            events.extend(page.events);
            match page.next_token {
                Some(t) if more => token = Some(t),
                _ => break,
            }
        }
        let fresh = cursor.fresh(events);
        {
            let mut out = std::io::stdout().lock();
            for e in &fresh {
                writeln!(out, "{}", e.cloud_trail_event)?;
            }
            out.flush()?;
        }
        cursor.advance(&fresh);
        tokio::time::sleep(interval).await;
    }
}

/// Where `tail` is: the time it asks from, and the events at that time it has printed
/// (several events can share a millisecond; the next poll lists them again).
#[derive(Debug, Default)]
struct Cursor {
    start: f64,
    seen: HashSet<String>,
}

impl Cursor {
    /// The events not yet printed, oldest first.
    fn fresh(&self, mut events: Vec<Event>) -> Vec<Event> {
        events.retain(|e| !self.seen.contains(&e.event_id));
        // LookupEvents lists newest first; ties keep their order, reversed.
        events.reverse();
        events.sort_by(|a, b| a.event_time.total_cmp(&b.event_time));
        events
    }

    /// Moves past `events`.
    fn advance(&mut self, events: &[Event]) {
        let Some(newest) = events.iter().map(|e| e.event_time).reduce(f64::max) else {
            return;
        };
        if newest > self.start {
            self.start = newest;
            self.seen.clear();
        }
        for e in events.iter().filter(|e| e.event_time >= self.start) {
            self.seen.insert(e.event_id.clone());
        }
    }
}

/// `Key=Value`.
fn parse_attribute(s: &str) -> Result<(String, String), AdminError> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(
            format!("--attribute {s}: expected Key=Value, e.g. EventName=GetSecretValue").into(),
        ),
    }
}

/// RFC 3339 (`2026-01-02T03:04:05Z`, `2026-01-02T03:04:05.123+02:00`, `2026-01-02`) or epoch
/// seconds, as epoch seconds.
fn parse_time(s: &str) -> Result<f64, AdminError> {
    let bad = || -> AdminError {
        format!("{s}: expected an RFC 3339 time (2026-01-02T03:04:05Z) or epoch seconds").into()
    };
    if let Ok(secs) = s.parse::<f64>() {
        return if secs.is_finite() {
            Ok(secs)
        } else {
            Err(bad())
        };
    }
    let num = |t: &str| t.parse::<i64>().map_err(|_| bad());
    let (date, rest) = match s.split_once(['T', 't', ' ']) {
        Some((d, r)) => (d, r),
        None => (s, "00:00:00Z"),
    };
    let mut d = date.splitn(3, '-');
    let (Some(y), Some(mo), Some(da)) = (d.next(), d.next(), d.next()) else {
        return Err(bad());
    };
    let (y, mo, da) = (num(y)?, num(mo)?, num(da)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return Err(bad());
    }
    // The offset: `Z`, `+hh:mm` or `-hh:mm` (required after a time, as RFC 3339 says).
    let (clock, offset_secs) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let at = rest.rfind(['+', '-']).ok_or_else(bad)?;
        let (c, off) = rest.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':').ok_or_else(bad)?;
        (c, sign * (num(oh)? * 3600 + num(om)? * 60))
    };
    let mut t = clock.splitn(3, ':');
    let (Some(h), Some(mi), Some(sec)) = (t.next(), t.next(), t.next()) else {
        return Err(bad());
    };
    let (h, mi) = (num(h)?, num(mi)?);
    let sec: f64 = sec.parse().map_err(|_| bad())?;
    if h > 23 || mi > 59 || !(0.0..61.0).contains(&sec) {
        return Err(bad());
    }
    let days = days_from_civil(y, mo, da);
    Ok((days * 86_400 + h * 3600 + mi * 60 - offset_secs) as f64 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z").ok(), Some(0.0));
        assert_eq!(
            parse_time("2026-01-02T03:04:05Z").ok(),
            Some(1_767_323_045.0)
        );
        assert_eq!(
            parse_time("2026-01-02T05:04:05.5+02:00").ok(),
            Some(1_767_323_045.5)
        );
        assert_eq!(parse_time("2026-01-02").ok(), Some(1_767_312_000.0));
        assert_eq!(parse_time("1767323045").ok(), Some(1_767_323_045.0));
        assert!(parse_time("2026-13-02T03:04:05Z").is_err());
        assert!(parse_time("2026-01-02T03:04:05").is_err());
        assert!(parse_time("yesterday").is_err());
        // Agrees with the formatter `cofre admin` uses.
        assert_eq!(
            crate::admin::rfc3339(1_767_323_045.0),
            "2026-01-02T03:04:05Z"
        );
    }

    #[test]
    fn attributes() {
        assert_eq!(
            parse_attribute("EventName=GetSecretValue").ok(),
            Some(("EventName".into(), "GetSecretValue".into()))
        );
        assert!(parse_attribute("EventName").is_err());
        assert!(parse_attribute("=x").is_err());
    }

    #[test]
    fn request_bodies() {
        let f = Filter {
            attribute: Some(("EventName".into(), "GetSecretValue".into())),
            start_secs: Some(1.5),
            end_secs: None,
        };
        assert_eq!(
            f.body(Some("t")),
            serde_json::json!({
                "MaxResults": 50,
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "GetSecretValue"}],
                "StartTime": 1.5,
                "NextToken": "t",
            })
        );
    }

    fn ev(id: &str, t: f64) -> Event {
        Event {
            event_id: id.into(),
            event_time: t,
            cloud_trail_event: String::new(),
        }
    }

    #[test]
    fn the_cursor_prints_each_event_once_in_order() {
        let mut c = Cursor::default();
        c.advance(&[ev("a", 10.0)]);
        // Newest first, as listed; "a" was seen; "b" shares its millisecond.
        let fresh = c.fresh(vec![
            ev("d", 12.0),
            ev("c", 11.0),
            ev("b", 10.0),
            ev("a", 10.0),
        ]);
        let ids: Vec<_> = fresh.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "d"]);
        c.advance(&fresh);
        assert_eq!(c.start, 12.0);
        assert!(c.fresh(vec![ev("d", 12.0)]).is_empty());
    }
}
