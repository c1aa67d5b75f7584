//! CloudTrail's generated wire layer (LookupEvents only): routing by `X-Amz-Target`, the
//! model's constraints, and the output's member names.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

mod common;

use cofre_api::cloudtrail::{
    Event, LookupEventsRequest, LookupEventsResponse, Resource, MODELLED_ERRORS, STRING_RULES,
    TARGET_PREFIX,
};
use cofre_api::{
    dispatch_cloudtrail, ApiError, CloudTrailOperation, Cloudtrail, Context, Timestamp,
};
use common::{block_on, ctx};
use serde_json::{json, Value};

/// Answers one event echoing the request's attribute value as its name.
struct Echo;

#[async_trait::async_trait]
impl Cloudtrail for Echo {
    async fn lookup_events(
        &self,
        _ctx: &Context,
        input: LookupEventsRequest,
    ) -> Result<LookupEventsResponse, ApiError> {
        let name = input
            .lookup_attributes
            .unwrap_or_default()
            .into_iter()
            .next()
            .and_then(|a| a.attribute_value);
        Ok(LookupEventsResponse {
            events: Some(vec![Event {
                event_id: Some("e1".into()),
                event_name: name,
                read_only: Some("true".into()),
                event_time: Some(Timestamp::from_millis(1_500)),
                resources: Some(vec![Resource {
                    resource_type: Some("AWS::SecretsManager::Secret".into()),
                    resource_name: Some("arn:x".into()),
                }]),
                cloud_trail_event: Some("{}".into()),
                ..Default::default()
            }]),
            next_token: input.max_results.map(|n| n.to_string()),
        })
    }
}

fn call(body: &str) -> Result<Value, ApiError> {
    let out = block_on(dispatch_cloudtrail(
        &Echo,
        &ctx(),
        CloudTrailOperation::LookupEvents,
        body.as_bytes(),
    ))?;
    Ok(serde_json::from_slice(&out).unwrap())
}

#[test]
fn only_lookup_events_routes() {
    assert_eq!(
        CloudTrailOperation::from_target(&format!("{TARGET_PREFIX}.LookupEvents")),
        Some(CloudTrailOperation::LookupEvents)
    );
    assert_eq!(
        TARGET_PREFIX,
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
    );
    for other in ["CreateTrail", "lookupevents", "StartLogging"] {
        assert_eq!(
            CloudTrailOperation::from_target(&format!("{TARGET_PREFIX}.{other}")),
            None
        );
    }
    assert_eq!(CloudTrailOperation::ALL.len(), 1);
    // Only the errors LookupEvents can answer.
    let names: Vec<_> = MODELLED_ERRORS.iter().map(|(n, _)| *n).collect();
    assert!(names.contains(&"InvalidLookupAttributesException"));
    assert!(!names.contains(&"TrailNotFoundException"));
    assert!(STRING_RULES.iter().any(|(s, _)| *s == "LookupAttributeKey"));
}

#[test]
fn answers_with_cloudtrails_member_names() {
    let v = call(
        r#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"GetSecretValue"}],
            "StartTime":1.5,"EndTime":2,"MaxResults":7}"#,
    )
    .unwrap();
    assert_eq!(
        v,
        json!({
            "Events": [{
                "EventId": "e1",
                "EventName": "GetSecretValue",
                "ReadOnly": "true",
                "EventTime": 1.5,
                "Resources": [{"ResourceType": "AWS::SecretsManager::Secret", "ResourceName": "arn:x"}],
                "CloudTrailEvent": "{}",
            }],
            "NextToken": "7",
        })
    );
}

#[test]
fn the_models_constraints_apply() {
    let code = |body: &str| call(body).err().map(|e| e.code_str().to_owned());
    assert_eq!(
        code(r#"{"MaxResults":0}"#).as_deref(),
        Some("ValidationException")
    );
    assert_eq!(
        code(r#"{"MaxResults":51}"#).as_deref(),
        Some("ValidationException")
    );
    assert_eq!(
        code(r#"{"LookupAttributes":[{"AttributeKey":"Nope","AttributeValue":"x"}]}"#).as_deref(),
        Some("ValidationException")
    );
    assert_eq!(
        code(r#"{"LookupAttributes":[{"AttributeKey":"EventName"}]}"#).as_deref(),
        Some("ValidationException")
    );
    assert_eq!(
        code(r#"{"StartTime":"yesterday"}"#).as_deref(),
        Some("SerializationException")
    );
    assert!(call("").is_ok(), "an empty body is {{}}");
}
