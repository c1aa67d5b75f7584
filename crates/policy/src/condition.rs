//! The `Condition` element: operators, set qualifiers, `...IfExists`, and their evaluation.
//!
//! Semantics, from AWS's "IAM JSON policy elements: Condition operators" and "Condition"
//! pages:
//!
//! * every operator in a statement, and every key under an operator, must hold (AND);
//! * several policy values for one key: any may match (OR); for a negated operator
//!   (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ...) the context value must match none of
//!   them (NOR);
//! * a key missing from the request makes the condition false, except that a negated
//!   operator is then true ("If the policy condition requires that the key is not matched,
//!   such as StringNotLike or ArnNotLike, and the right key is not present, the condition is
//!   true"); `...IfExists` makes a missing key true; `Null` tests presence itself;
//! * `ForAnyValue:` holds if at least one request value satisfies the operator (false on an
//!   empty or missing set); `ForAllValues:` holds if every request value does (true on an
//!   empty or missing set);
//! * without a qualifier, a multi-valued key holds for a positive operator when any value
//!   matches, and for a negated operator when no value matches.
//!
//! A request value of the wrong type (a number key holding `"abc"`) satisfies neither an
//! operator nor its negation; a policy value whose variable cannot be resolved matches nothing.

use std::net::IpAddr;

use crate::context::Env;
use crate::scalar::{parse_bool, parse_date, parse_ip, parse_number, Cidr};
use crate::wildcard::{Template, Vars, Wild};

/// Operator families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// Ordering tests for the numeric and date families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// `ForAnyValue:` / `ForAllValues:` / neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOp {
    Single,
    ForAnyValue,
    ForAllValues,
}

/// A parsed operator name such as `ForAllValues:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) family: Family,
    pub(crate) cmp: Cmp,
    pub(crate) negated: bool,
    pub(crate) set: SetOp,
    pub(crate) if_exists: bool,
}

impl Operator {
    /// Parses an operator name; `None` for an unknown one. Names are case-sensitive, as in IAM.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetOp::ForAnyValue, r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetOp::ForAllValues, r)
        } else {
            (SetOp::Single, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        use Cmp::*;
        use Family::*;
        let (family, cmp, negated) = match base {
            "StringEquals" => (String, Eq, false),
            "StringNotEquals" => (String, Eq, true),
            "StringEqualsIgnoreCase" => (StringIgnoreCase, Eq, false),
            "StringNotEqualsIgnoreCase" => (StringIgnoreCase, Eq, true),
            "StringLike" => (StringLike, Eq, false),
            "StringNotLike" => (StringLike, Eq, true),
            "NumericEquals" => (Numeric, Eq, false),
            "NumericNotEquals" => (Numeric, Eq, true),
            "NumericLessThan" => (Numeric, Lt, false),
            "NumericLessThanEquals" => (Numeric, Le, false),
            "NumericGreaterThan" => (Numeric, Gt, false),
            "NumericGreaterThanEquals" => (Numeric, Ge, false),
            "DateEquals" => (Date, Eq, false),
            "DateNotEquals" => (Date, Eq, true),
            "DateLessThan" => (Date, Lt, false),
            "DateLessThanEquals" => (Date, Le, false),
            "DateGreaterThan" => (Date, Gt, false),
            "DateGreaterThanEquals" => (Date, Ge, false),
            "Bool" => (Bool, Eq, false),
            "BinaryEquals" => (Binary, Eq, false),
            "IpAddress" => (Ip, Eq, false),
            "NotIpAddress" => (Ip, Eq, true),
            "ArnEquals" | "ArnLike" => (Arn, Eq, false),
            "ArnNotEquals" | "ArnNotLike" => (Arn, Eq, true),
            "Null" => (Null, Eq, false),
            _ => return None,
        };
        Some(Operator {
            family,
            cmp,
            negated,
            set,
            if_exists,
        })
    }
}

/// A condition value compiled for its operator family.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// String, string-ignore-case, string-like and binary values.
    Text(Template),
    /// An ARN value split into its six components (each may hold wildcards and variables), or
    /// whole when it has fewer than six (then matched as one pattern).
    Arn(ArnPattern),
    Number(f64),
    /// Nanoseconds since the epoch.
    Date(i128),
    Ip(Cidr),
    Bool(bool),
    /// A `Bool` value holding policy variables: substituted and parsed per request.
    Dynamic(Template),
    /// A value that can never match (e.g. `Bool` with `"maybe"`).
    Never,
}

/// A compiled `Arn*` value.
#[derive(Debug, Clone)]
pub(crate) enum ArnPattern {
    Parts(Box<[Template; 6]>),
    Whole(Template),
}

/// One key test: `"Operator": { "key": values }`.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub(crate) op: Operator,
    /// The condition key, lowercased.
    pub(crate) key: Box<str>,
    pub(crate) values: Vec<Value>,
}

/// Why a condition value was refused at parse time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadValue;

/// Compiles one policy value for `family`. Typed values (numbers, dates, addresses) are parsed
/// now, so a bad one is reported when the policy is stored, not when it is first evaluated.
///
/// Policy variables are substituted only where AWS's condition-operator reference says
/// "Policy variables – Supported": the string, Boolean and ARN operators. Under the numeric,
/// date, binary and IP-address operators `${...}` is plain text (so a date such as
/// `${aws:TokenIssueTime}` is simply not a date).
pub(crate) fn compile_value(family: Family, text: &str, vars: Vars) -> Result<Value, BadValue> {
    let vars = match family {
        Family::String
        | Family::StringIgnoreCase
        | Family::StringLike
        | Family::Arn
        | Family::Bool => vars,
        Family::Numeric | Family::Date | Family::Binary | Family::Ip | Family::Null => Vars::No,
    };
    let has_vars = vars == Vars::Yes && text.contains("${");
    match family {
        Family::String | Family::StringIgnoreCase | Family::Binary => {
            Ok(Value::Text(Template::compile(text, Wild::No, vars)))
        }
        Family::StringLike => Ok(Value::Text(Template::compile(text, Wild::Yes, vars))),
        Family::Arn => Ok(Value::Arn(compile_arn(text, vars))),
        Family::Numeric => parse_number(text).map(Value::Number).ok_or(BadValue),
        Family::Date => parse_date(text).map(Value::Date).ok_or(BadValue),
        Family::Ip => Cidr::parse(text).map(Value::Ip).ok_or(BadValue),
        Family::Bool if has_vars => Ok(Value::Dynamic(Template::compile(text, Wild::No, vars))),
        // IAM accepts any text here; a value other than true/false simply never matches.
        Family::Bool | Family::Null => Ok(parse_bool(text).map_or(Value::Never, Value::Bool)),
    }
}

/// Splits an ARN pattern into its six `:`-separated components without splitting inside a
/// `${...}` variable (whose key, like `${aws:username}`, contains a colon).
fn split_arn(text: &str, vars: Vars) -> Vec<&str> {
    let mut parts = Vec::with_capacity(6);
    let bytes = text.as_bytes();
    let (mut start, mut i, mut in_var) = (0, 0, false);
    while i < bytes.len() && parts.len() < 5 {
        match bytes[i] {
            b'$' if vars == Vars::Yes && !in_var && bytes.get(i + 1) == Some(&b'{') => {
                in_var = true;
                i += 1;
            }
            b'}' if in_var => in_var = false,
            b':' if !in_var => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

fn compile_arn(text: &str, vars: Vars) -> ArnPattern {
    let parts = split_arn(text, vars);
    match <[&str; 6]>::try_from(parts.as_slice()) {
        Ok(p) => ArnPattern::Parts(Box::new(p.map(|s| Template::compile(s, Wild::Yes, vars)))),
        Err(_) => ArnPattern::Whole(Template::compile(text, Wild::Yes, vars)),
    }
}

impl ArnPattern {
    fn matches(&self, arn: &str, env: &Env<'_>) -> bool {
        match self {
            ArnPattern::Whole(t) => t.matches(arn, false, env),
            ArnPattern::Parts(parts) => {
                let mut got = arn.splitn(6, ':');
                // Each component is checked separately; a `*` never spans a colon except in
                // the final (resource) component, which may itself contain colons.
                parts
                    .iter()
                    .all(|p| got.next().is_some_and(|g| p.matches(g, false, env)))
            }
        }
    }
}

fn compare<T: PartialOrd>(cmp: Cmp, request: T, policy: T) -> bool {
    match cmp {
        Cmp::Eq => request == policy,
        Cmp::Lt => request < policy,
        Cmp::Le => request <= policy,
        Cmp::Gt => request > policy,
        Cmp::Ge => request >= policy,
    }
}

/// A request value parsed for the operator family, once per value.
enum Parsed<'a> {
    Text(&'a str),
    Number(f64),
    Date(i128),
    Ip(IpAddr),
    Bool(bool),
}

impl Condition {
    /// Evaluates the condition against the request.
    pub(crate) fn eval(&self, env: &Env<'_>) -> bool {
        let values = env.lookup(&self.key).filter(|v| !v.is_empty());
        if self.op.family == Family::Null {
            let absent = values.is_none();
            return self.values.iter().any(|v| match self.resolve_bool(v, env) {
                Some(want_absent) => want_absent == absent,
                None => false,
            });
        }
        let Some(values) = values else {
            if self.op.if_exists {
                return true;
            }
            return match self.op.set {
                SetOp::ForAllValues => true,
                SetOp::ForAnyValue => false,
                SetOp::Single => self.op.negated,
            };
        };
        match self.op.set {
            SetOp::ForAnyValue => values.iter().any(|v| self.holds_for(v, env)),
            // A negated operator without qualifier must hold for every value: no value may
            // match any policy value. A positive one needs a single matching value.
            SetOp::ForAllValues => values.iter().all(|v| self.holds_for(v, env)),
            SetOp::Single if self.op.negated => values.iter().all(|v| self.holds_for(v, env)),
            SetOp::Single => values.iter().any(|v| self.holds_for(v, env)),
        }
    }

    /// Whether the operator (negation included) holds for one request value.
    fn holds_for(&self, request: &str, env: &Env<'_>) -> bool {
        match self.matches_any(request, env) {
            Some(m) => m != self.op.negated,
            // A request value of the wrong type satisfies neither the operator nor its negation.
            None => false,
        }
    }

    /// Whether one request value matches at least one policy value (before negation); `None`
    /// when the request value cannot be read as the family's type.
    fn matches_any(&self, request: &str, env: &Env<'_>) -> Option<bool> {
        let parsed = match self.op.family {
            Family::String
            | Family::StringIgnoreCase
            | Family::StringLike
            | Family::Binary
            | Family::Arn
            | Family::Null => Parsed::Text(request),
            Family::Numeric => Parsed::Number(parse_number(request)?),
            Family::Date => Parsed::Date(parse_date(request)?),
            Family::Ip => Parsed::Ip(parse_ip(request)?),
            Family::Bool => Parsed::Bool(parse_bool(request)?),
        };
        Some(
            self.values
                .iter()
                .any(|v| self.value_matches(v, &parsed, env)),
        )
    }

    fn value_matches(&self, value: &Value, request: &Parsed<'_>, env: &Env<'_>) -> bool {
        let cmp = self.op.cmp;
        match (value, request) {
            (Value::Text(t), Parsed::Text(r)) => {
                t.matches(r, self.op.family == Family::StringIgnoreCase, env)
            }
            (Value::Arn(a), Parsed::Text(r)) => a.matches(r, env),
            (Value::Number(p), Parsed::Number(r)) => compare(cmp, *r, *p),
            (Value::Date(p), Parsed::Date(r)) => compare(cmp, *r, *p),
            (Value::Ip(p), Parsed::Ip(r)) => p.contains(*r),
            (Value::Bool(p), Parsed::Bool(r)) => p == r,
            (Value::Dynamic(t), _) => {
                let Some(text) = t.substitute(env) else {
                    return false;
                };
                let resolved = match compile_value(self.op.family, &text, Vars::No) {
                    Ok(v) => v,
                    Err(BadValue) => return false,
                };
                self.value_matches(&resolved, request, env)
            }
            _ => false,
        }
    }

    fn resolve_bool(&self, value: &Value, env: &Env<'_>) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            Value::Dynamic(t) => parse_bool(&t.substitute(env)?),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(op.family, Family::StringLike);
        assert!(op.negated && op.if_exists);
        assert_eq!(op.set, SetOp::ForAllValues);
        assert!(Operator::parse("StringEqual").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("ForAnyValue::StringEqualsIfExists").is_none());
        assert_eq!(
            Operator::parse("NumericLessThanEquals").unwrap().cmp,
            Cmp::Le
        );
    }

    #[test]
    fn arn_split_respects_variables() {
        assert_eq!(
            split_arn("arn:aws:iam::${aws:PrincipalAccount}:role/x:y", Vars::Yes),
            vec![
                "arn",
                "aws",
                "iam",
                "",
                "${aws:PrincipalAccount}",
                "role/x:y"
            ]
        );
        assert_eq!(split_arn("*", Vars::Yes), vec!["*"]);
    }
}
