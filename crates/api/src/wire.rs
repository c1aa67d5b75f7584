//! awsJson 1.1 decoding and encoding of operation inputs and outputs.
//!
//! Decoding an input is three steps, each with AWS's own error:
//!
//! 1. Parse the body as JSON (an empty body counts as `{}`). Anything that is not a JSON
//!    object is a `SerializationException` with no message, except a top-level array
//!    (`Start of list found where not expected`).
//! 2. Check every known member's JSON type against the input's [`Shape`] (generated
//!    from the model), producing AWS's `SerializationException` texts, e.g.
//!    `STRING_VALUE can not be converted to an Integer`,
//!    `NUMBER_VALUE can not be converted to a String`,
//!    `Start of structure or map found where not expected.`. On the way the tree is
//!    normalized as AWS's front end treats it: unknown members and `null`s are dropped
//!    (a `null` member is an absent member), a fractional number for an integer is
//!    truncated, an out-of-range one saturates. No message ever quotes the input.
//! 3. Deserialize the checked tree into the typed input with serde (which cannot fail
//!    after step 2) and run the model's constraints ([`Validate`]), giving
//!    `ValidationException`.
//!
//! These texts were measured on AWS's JSON front end (the same one Secrets Manager uses);
//! type errors are reported before any validation error.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::validate::Validate;
use crate::ApiError;

/// The JSON type of a model shape, as far as decoding needs it.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// `string` (sensitive or not).
    String,
    /// `boolean`.
    Boolean,
    /// `integer` (Java `Integer` in AWS's messages).
    Integer,
    /// `long` (Java `Long`).
    Long,
    /// `timestamp` (epoch seconds as a JSON number).
    Timestamp,
    /// `blob` (base64 string).
    Blob,
    /// `list` of the given element shape.
    List(&'static Shape),
    /// `map` from strings to the given value shape.
    Map(&'static Shape),
    /// `structure` with the given members.
    Structure(&'static [Member]),
}

/// A structure member: its wire name and shape.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// The JSON member name, exactly as in the model.
    pub name: &'static str,
    /// The member's shape.
    pub shape: Shape,
}

/// An operation input: deserializable, validatable, and described by its members.
pub trait Input: DeserializeOwned + Validate {
    /// The input structure's members, for the type check of step 2.
    const MEMBERS: &'static [Member];
}

/// Decodes and validates an operation input from a request body (steps 1–3 above).
pub fn decode_input<T: Input>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.is_empty() { b"{}" } else { body };
    let value: Value = serde_json::from_slice(body).map_err(|_| ApiError::serialization(None))?;
    let mut object = match value {
        Value::Object(object) => object,
        Value::Array(_) => return Err(ApiError::serialization(Some(START_OF_LIST.into()))),
        _ => return Err(ApiError::serialization(None)),
    };
    check_members(T::MEMBERS, &mut object).map_err(|msg| ApiError::serialization(Some(msg)))?;
    let input: T =
        serde_json::from_value(Value::Object(object)).map_err(|_| ApiError::serialization(None))?;
    input.validate()?;
    Ok(input)
}

/// Encodes an operation output as its JSON body.
pub fn encode_output<T: Serialize>(output: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(output).map_err(|_| ApiError::internal())
}

const START_OF_LIST: &str = "Start of list found where not expected";
const START_OF_STRUCTURE: &str = "Start of structure or map found where not expected.";

type TypeError = Cow<'static, str>;

/// The `X_VALUE` name AWS's parser gives a JSON scalar.
fn token_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "STRING_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::Bool(true) => "TRUE_VALUE",
        Value::Bool(false) => "FALSE_VALUE",
        Value::Null => "NULL_VALUE",
        Value::Array(_) | Value::Object(_) => "VALUE",
    }
}

/// The error for a scalar target that got `value` (not of the right type).
fn not_convertible(value: &Value, target: &'static str) -> TypeError {
    match value {
        Value::Array(_) => START_OF_LIST.into(),
        Value::Object(_) => START_OF_STRUCTURE.into(),
        scalar => format!("{} can not be converted to {target}", token_name(scalar)).into(),
    }
}

/// Keeps only the known, non-null members of `object` and type-checks them.
fn check_members(
    members: &'static [Member],
    object: &mut Map<String, Value>,
) -> Result<(), TypeError> {
    object.retain(|name, value| !value.is_null() && members.iter().any(|m| m.name == name));
    for member in members {
        if let Some(value) = object.get_mut(member.name) {
            check(&member.shape, value)?;
        }
    }
    Ok(())
}

/// Type-checks (and normalizes) `value` against `shape`.
fn check(shape: &Shape, value: &mut Value) -> Result<(), TypeError> {
    match shape {
        Shape::String => match value {
            Value::String(_) => Ok(()),
            other => Err(not_convertible(other, "a String")),
        },
        Shape::Boolean => match value {
            Value::Bool(_) => Ok(()),
            other => Err(not_convertible(other, "a Boolean")),
        },
        Shape::Integer | Shape::Long => {
            let target = if matches!(shape, Shape::Integer) {
                "an Integer"
            } else {
                "a Long"
            };
            match value {
                Value::Number(n) => {
                    if !n.is_i64() {
                        // Truncates a fraction (AWS accepts 1.5 as 1) and saturates
                        // out-of-range values so range checks still see them as too large.
                        let int = match (n.as_u64(), n.as_f64()) {
                            (Some(_), _) => i64::MAX,
                            (None, Some(f)) => f as i64,
                            (None, None) => 0,
                        };
                        *value = Value::from(int);
                    }
                    Ok(())
                }
                other => Err(not_convertible(other, target)),
            }
        }
        Shape::Timestamp => match value {
            Value::Number(_) => Ok(()),
            other => Err(not_convertible(other, "a Date")),
        },
        Shape::Blob => match value {
            Value::String(s) => check_base64(s),
            other => Err(not_convertible(other, "a Blob")),
        },
        Shape::List(element) => match value {
            Value::Array(items) => {
                items.retain(|item| !item.is_null());
                items.iter_mut().try_for_each(|item| check(element, item))
            }
            Value::Object(_) => Err(START_OF_STRUCTURE.into()),
            _ => Err("Expected list or null".into()),
        },
        Shape::Map(element) => match value {
            Value::Object(entries) => {
                entries.retain(|_, v| !v.is_null());
                entries.values_mut().try_for_each(|v| check(element, v))
            }
            Value::Array(_) => Err(START_OF_LIST.into()),
            _ => Err("Expected map or null".into()),
        },
        Shape::Structure(members) => match value {
            Value::Object(object) => check_members(members, object),
            Value::Array(_) => Err(START_OF_LIST.into()),
            _ => Err("Expected null".into()),
        },
    }
}

/// Checks a blob's base64 without echoing any of it (blobs may be secret).
fn check_base64(encoded: &str) -> Result<(), TypeError> {
    if encoded.len() % 4 != 0 {
        return Err(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            encoded.len()
        )
        .into());
    }
    // Decoding into a sink would be cheaper, but the engine only validates by decoding;
    // the decoded copy is zeroed on drop.
    match crate::sensitive::decode_zeroizing(encoded.as_bytes()) {
        Some(_) => Ok(()),
        None => Err("Invalid Base64 character in a Blob value".into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    static TAG: &[Member] = &[
        Member {
            name: "Key",
            shape: Shape::String,
        },
        Member {
            name: "Value",
            shape: Shape::String,
        },
    ];
    static MEMBERS: &[Member] = &[
        Member {
            name: "Name",
            shape: Shape::String,
        },
        Member {
            name: "Max",
            shape: Shape::Integer,
        },
        Member {
            name: "Flag",
            shape: Shape::Boolean,
        },
        Member {
            name: "Tags",
            shape: Shape::List(&Shape::Structure(TAG)),
        },
        Member {
            name: "Ids",
            shape: Shape::List(&Shape::String),
        },
        Member {
            name: "Rules",
            shape: Shape::Structure(TAG),
        },
        Member {
            name: "Bin",
            shape: Shape::Blob,
        },
        Member {
            name: "When",
            shape: Shape::Timestamp,
        },
        Member {
            name: "Labels",
            shape: Shape::Map(&Shape::String),
        },
    ];

    fn run(json: &str) -> Result<Value, String> {
        let mut v: Value = serde_json::from_str(json).unwrap();
        let Value::Object(o) = &mut v else { panic!() };
        check_members(MEMBERS, o).map_err(|e| e.into_owned())?;
        Ok(v)
    }

    #[test]
    fn aws_type_error_texts() {
        let cases = [
            (
                r#"{"Max":"1"}"#,
                "STRING_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"Max":true}"#,
                "TRUE_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"Name":1}"#,
                "NUMBER_VALUE can not be converted to a String",
            ),
            (
                r#"{"Name":1.5}"#,
                "NUMBER_VALUE can not be converted to a String",
            ),
            (
                r#"{"Name":false}"#,
                "FALSE_VALUE can not be converted to a String",
            ),
            (
                r#"{"Name":["x"]}"#,
                "Start of list found where not expected",
            ),
            (
                r#"{"Max":{"a":1}}"#,
                "Start of structure or map found where not expected.",
            ),
            (
                r#"{"Flag":"true"}"#,
                "STRING_VALUE can not be converted to a Boolean",
            ),
            (r#"{"Tags":"x"}"#, "Expected list or null"),
            (
                r#"{"Tags":{}}"#,
                "Start of structure or map found where not expected.",
            ),
            (r#"{"Tags":[1]}"#, "Expected null"),
            (
                r#"{"Tags":[{"Key":2}]}"#,
                "NUMBER_VALUE can not be converted to a String",
            ),
            (
                r#"{"Ids":[1]}"#,
                "NUMBER_VALUE can not be converted to a String",
            ),
            (r#"{"Rules":"x"}"#, "Expected null"),
            (r#"{"Rules":[]}"#, "Start of list found where not expected"),
            (
                r#"{"Bin":"abc"}"#,
                "Base64 encoded length is expected a multiple of 4 bytes but found: 3",
            ),
            (
                r#"{"Bin":"ab*="}"#,
                "Invalid Base64 character in a Blob value",
            ),
            (
                r#"{"Bin":12}"#,
                "NUMBER_VALUE can not be converted to a Blob",
            ),
            (
                r#"{"When":"1"}"#,
                "STRING_VALUE can not be converted to a Date",
            ),
            (r#"{"Labels":[]}"#, "Start of list found where not expected"),
            (r#"{"Labels":"x"}"#, "Expected map or null"),
        ];
        for (json, want) in cases {
            assert_eq!(run(json).unwrap_err(), want, "{json}");
        }
    }

    #[test]
    fn normalizes_like_aws() {
        let v = run(r#"{"Name":null,"Max":1.9,"Unknown":{"deep":[1]},"Ids":["a",null,"b"],"Labels":{"a":null,"b":"c"}}"#)
            .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"Max":1,"Ids":["a","b"],"Labels":{"b":"c"}})
        );
        let v = run(r#"{"Max":99999999999999999999}"#).unwrap();
        assert_eq!(v["Max"], i64::MAX);
        let v = run(r#"{"Max":-1e300}"#).unwrap();
        assert_eq!(v["Max"], i64::MIN);
        let v = run(r#"{"Rules":{"Key":"k","Other":1}}"#).unwrap();
        assert_eq!(v, serde_json::json!({"Rules":{"Key":"k"}}));
    }
}
