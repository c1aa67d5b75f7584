//! LookupEvents: the account's audit events, newest first, filtered by at most one lookup
//! attribute and a time range, paged by `MaxResults` (1..=50, default 50) and `NextToken`.

use cofre_api::cloudtrail::{
    Cloudtrail, Event, LookupEventsRequest, LookupEventsResponse, Resource,
};
use cofre_api::{ApiError, Context, Timestamp};
use cofre_policy::ContextKeys;

use super::{authz_err, error};
use crate::audit::{AuditError, LookupQuery, StoredEvent};
use crate::authz::ResourceFacts;
use crate::Service;

/// The page size when the request names none (AWS's default).
const DEFAULT_MAX_RESULTS: usize = 50;

#[async_trait::async_trait]
impl Cloudtrail for Service {
    async fn lookup_events(
        &self,
        ctx: &Context,
        input: LookupEventsRequest,
    ) -> Result<LookupEventsResponse, ApiError> {
        // LookupEvents has no resource-level permissions: AWS decides it on `*`.
        let facts = ResourceFacts {
            arn: "*".into(),
            ..Default::default()
        };
        self.decide(
            ctx,
            "cloudtrail:LookupEvents",
            &facts,
            ContextKeys::default(),
        )
        .await
        .map_err(authz_err)?;

        let query = lookup_query(input)?;
        let Some(query) = query else {
            // EventCategory=insight: Cofre records no Insights events.
            return Ok(LookupEventsResponse {
                events: Some(Vec::new()),
                next_token: None,
            });
        };
        let page = self
            .audit()
            .lookup(&ctx.account_id, &query)
            .await
            .map_err(audit_err)?;
        Ok(LookupEventsResponse {
            events: Some(page.events.iter().map(wire_event).collect()),
            next_token: page.next_token,
        })
    }
}

/// A look-up failure on the wire: a query the trail rejects with CloudTrail's code for what
/// is wrong with it; anything else is the trail failing, told to the log, not the caller.
fn audit_err(e: AuditError) -> ApiError {
    match e {
        AuditError::InvalidQuery(m) if m.contains("NextToken") => error(
            "InvalidNextTokenException",
            "Invalid NextToken value. The token is either expired or not valid.",
        ),
        AuditError::InvalidQuery(m) if m.contains("attribute") => {
            error("InvalidLookupAttributesException", m)
        }
        AuditError::InvalidQuery(m) if m.contains("MaxResults") => {
            error("InvalidMaxResultsException", m)
        }
        AuditError::InvalidQuery(m) => error("InvalidLookupAttributesException", m),
        other => {
            tracing::error!(error = %other, "audit lookup failed");
            ApiError::internal()
        }
    }
}

/// The request as an audit query, or `None` when it can match nothing (Insights events).
///
/// AWS's rules, with its error codes: at most one lookup attribute
/// (`InvalidLookupAttributesException`), a start time not after the end time
/// (`InvalidTimeRangeException`). The model's own constraints (MaxResults 1..=50, the
/// attribute key's enum, the value's length) were checked by the wire layer.
pub(crate) fn lookup_query(input: LookupEventsRequest) -> Result<Option<LookupQuery>, ApiError> {
    let mut attributes = input.lookup_attributes.unwrap_or_default();
    if attributes.len() > 1 {
        return Err(error(
            "InvalidLookupAttributesException",
            "You cannot specify more than one lookup attribute.",
        ));
    }
    let attribute = match attributes.pop() {
        Some(a) => match (a.attribute_key, a.attribute_value) {
            (Some(k), Some(v)) => Some((k, v)),
            _ => {
                return Err(error(
                    "InvalidLookupAttributesException",
                    "A lookup attribute needs both AttributeKey and AttributeValue.",
                ))
            }
        },
        None => None,
    };
    let start_ms = input.start_time.as_ref().map(Timestamp::as_millis);
    let end_ms = input.end_time.as_ref().map(Timestamp::as_millis);
    if let (Some(s), Some(e)) = (start_ms, end_ms) {
        if s > e {
            return Err(error(
                "InvalidTimeRangeException",
                "Start time must be before end time.",
            ));
        }
    }
    match input.event_category.as_deref() {
        None => {}
        Some("insight") => return Ok(None),
        Some(other) => {
            return Err(error(
                "InvalidEventCategoryException",
                format!("Event category {other} is not valid."),
            ))
        }
    }
    let max_results = match input.max_results {
        None => DEFAULT_MAX_RESULTS,
        Some(n) if (1..=DEFAULT_MAX_RESULTS as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(error(
                "InvalidMaxResultsException",
                format!("Value {n} for MaxResults is invalid. It must be between 1 and 50."),
            ))
        }
    };
    Ok(Some(LookupQuery {
        attribute,
        start_ms,
        end_ms,
        max_results,
        next_token: input.next_token,
    }))
}

/// A stored event as LookupEvents lists it; `CloudTrailEvent` is the full record.
pub(crate) fn wire_event(e: &StoredEvent) -> Event {
    Event {
        event_id: Some(e.event_id.clone()),
        event_name: Some(e.event_name.clone()),
        read_only: Some(if e.read_only { "true" } else { "false" }.into()),
        access_key_id: e.access_key_id.clone(),
        event_time: Some(Timestamp::from_millis(e.event_time_ms)),
        event_source: Some(e.event_source.clone()),
        username: e.username.clone(),
        resources: Some(
            e.resources
                .iter()
                .map(|(t, n)| Resource {
                    resource_type: Some(t.clone()),
                    resource_name: Some(n.clone()),
                })
                .collect(),
        ),
        cloud_trail_event: Some(e.record_json.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cofre_api::cloudtrail::LookupAttribute;

    fn attr(k: &str, v: &str) -> LookupAttribute {
        LookupAttribute {
            attribute_key: Some(k.into()),
            attribute_value: Some(v.into()),
        }
    }

    fn code(r: Result<Option<LookupQuery>, ApiError>) -> &'static str {
        match r {
            Err(e) => e.code_str(),
            Ok(_) => "ok",
        }
    }

    #[test]
    fn defaults_to_fifty_and_no_filter() {
        let q = lookup_query(LookupEventsRequest::default())
            .ok()
            .flatten()
            .map(|q| (q.max_results, q.attribute, q.start_ms, q.end_ms));
        assert_eq!(q, Some((50, None, None, None)));
    }

    #[test]
    fn one_attribute_and_a_time_range() {
        let q = lookup_query(LookupEventsRequest {
            lookup_attributes: Some(vec![attr("EventName", "GetSecretValue")]),
            start_time: Some(Timestamp::from_millis(1_000)),
            end_time: Some(Timestamp::from_millis(2_000)),
            max_results: Some(7),
            next_token: Some("t".into()),
            ..Default::default()
        })
        .ok()
        .flatten();
        let q = q.map(|q| {
            (
                q.attribute,
                q.start_ms,
                q.end_ms,
                q.max_results,
                q.next_token,
            )
        });
        assert_eq!(
            q,
            Some((
                Some(("EventName".into(), "GetSecretValue".into())),
                Some(1_000),
                Some(2_000),
                7,
                Some("t".into())
            ))
        );
    }

    #[test]
    fn refuses_what_aws_refuses() {
        let two = LookupEventsRequest {
            lookup_attributes: Some(vec![attr("EventName", "A"), attr("Username", "b")]),
            ..Default::default()
        };
        assert_eq!(code(lookup_query(two)), "InvalidLookupAttributesException");
        let backwards = LookupEventsRequest {
            start_time: Some(Timestamp::from_millis(2_000)),
            end_time: Some(Timestamp::from_millis(1_000)),
            ..Default::default()
        };
        assert_eq!(code(lookup_query(backwards)), "InvalidTimeRangeException");
        let zero = LookupEventsRequest {
            max_results: Some(0),
            ..Default::default()
        };
        assert_eq!(code(lookup_query(zero)), "InvalidMaxResultsException");
        let category = LookupEventsRequest {
            event_category: Some("data".into()),
            ..Default::default()
        };
        assert_eq!(
            code(lookup_query(category)),
            "InvalidEventCategoryException"
        );
    }

    #[test]
    fn trail_errors_become_cloudtrail_codes() {
        let code = |e| audit_err(e).code_str();
        assert_eq!(
            code(AuditError::InvalidQuery("Invalid NextToken.".into())),
            "InvalidNextTokenException"
        );
        assert_eq!(
            code(AuditError::InvalidQuery("Invalid attribute key: X".into())),
            "InvalidLookupAttributesException"
        );
        assert_eq!(code(AuditError::Unavailable), "InternalServiceError");
    }

    #[test]
    fn insight_events_are_none() {
        let r = lookup_query(LookupEventsRequest {
            event_category: Some("insight".into()),
            ..Default::default()
        });
        assert!(matches!(r, Ok(None)));
    }

    #[test]
    fn events_map_to_the_wire() {
        let e = StoredEvent {
            event_id: "id".into(),
            event_name: "GetSecretValue".into(),
            read_only: true,
            access_key_id: Some("AKIA".into()),
            event_time_ms: 1_500,
            event_source: "secretsmanager.amazonaws.com".into(),
            username: Some("alice".into()),
            resources: vec![("AWS::SecretsManager::Secret".into(), "arn:x".into())],
            record_json: "{}".into(),
        };
        let w = wire_event(&e);
        assert_eq!(w.read_only.as_deref(), Some("true"));
        assert_eq!(w.event_time.map(|t| t.as_millis()), Some(1_500));
        assert_eq!(w.cloud_trail_event.as_deref(), Some("{}"));
        let r = w.resources.unwrap_or_default();
        assert_eq!(
            r[0].resource_type.as_deref(),
            Some("AWS::SecretsManager::Secret")
        );
    }
}
