//! awsQuery input decoding (botocore's form layout) and validation (Coral's messages) for
//! the generated IAM and STS inputs.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

mod query_support;

use cofre_api::iam::{self, CreateUserRequest, ListPoliciesRequest, UntagUserRequest};
use cofre_api::query::QueryInput;
use cofre_api::sts::{self, AssumeRoleRequest};
use cofre_api::QueryParams;
use query_support::*;

fn params(pairs: &[(&str, &str)]) -> QueryParams {
    QueryParams::parse(form(pairs).as_bytes()).unwrap()
}

#[test]
fn nested_lists_of_structures_decode_in_index_order() {
    let p = params(&[
        ("Action", "CreateUser"),
        ("Version", "2010-05-08"),
        ("UserName", "alice"),
        ("Path", "/engineering/"),
        ("Tags.member.2.Key", "team"),
        ("Tags.member.2.Value", "infra"),
        ("Tags.member.1.Key", "k"),
        ("Tags.member.1.Value", "v"),
        ("Tags.member.10.Key", "tenth"),
        ("Tags.member.10.Value", ""),
        ("Unknown", "ignored"),
        ("Tags.member.3.Bogus", "unknown member"),
    ]);
    let input = CreateUserRequest::from_query(&p).unwrap();
    assert_eq!(input.user_name.as_deref(), Some("alice"));
    assert_eq!(input.path.as_deref(), Some("/engineering/"));
    assert!(input.permissions_boundary.is_none());
    let tags = input.tags.unwrap();
    let pairs: Vec<_> = tags
        .iter()
        .map(|t| (t.key.as_deref(), t.value.as_deref()))
        .collect();
    assert_eq!(
        pairs,
        [
            (Some("k"), Some("v")),
            (Some("team"), Some("infra")),
            // Present through an unknown member: decoded, then rejected by validation.
            (None, None),
            (Some("tenth"), Some("")),
        ]
    );
}

#[test]
fn empty_list_marker_and_absent_lists() {
    let input =
        UntagUserRequest::from_query(&params(&[("UserName", "a"), ("TagKeys", "")])).unwrap();
    assert_eq!(input.tag_keys, Some(vec![]));
    let input = UntagUserRequest::from_query(&params(&[("UserName", "a")])).unwrap();
    assert_eq!(input.tag_keys, None);
    let input = UntagUserRequest::from_query(&params(&[
        ("TagKeys.member.1", "a"),
        ("TagKeys.member.2", "b"),
    ]))
    .unwrap();
    assert_eq!(input.tag_keys, Some(vec!["a".into(), "b".into()]));
}

#[test]
fn sts_assume_role_documented_request_decodes() {
    // AWS's documented AssumeRole sample request (STS API reference).
    let query = "Version=2011-06-15&Action=AssumeRole&RoleSessionName=testAR\
        &RoleArn=arn:aws:iam::123456789012:role/demo\
        &PolicyArns.member.1.arn=arn:aws:iam::123456789012:policy/demopolicy1\
        &PolicyArns.member.2.arn=arn:aws:iam::123456789012:policy/demopolicy2\
        &Policy=JSON-IAM-POLICY&DurationSeconds=3600\
        &Tags.member.1.Key=Project&Tags.member.1.Value=Pegasus\
        &Tags.member.2.Key=Team&Tags.member.2.Value=Engineering\
        &Tags.member.3.Key=Cost-Center&Tags.member.3.Value=12345\
        &TransitiveTagKeys.member.1=Project&TransitiveTagKeys.member.2=Cost-Center\
        &ExternalId=123ABC&SourceIdentity=Alice\
        &ProvidedContexts.member.1.ProviderArn=arn:aws:iam::aws:contextProvider/IdentityCenter\
        &ProvidedContexts.member.1.ContextAssertion=abcd";
    let p = QueryParams::parse_request(Some(query), b"").unwrap();
    let input = AssumeRoleRequest::from_query(&p).unwrap();
    cofre_api::Validate::validate(&input).unwrap();
    assert_eq!(input.role_session_name.as_deref(), Some("testAR"));
    assert_eq!(input.duration_seconds, Some(3600));
    let arns: Vec<_> = input
        .policy_arns
        .unwrap()
        .into_iter()
        .map(|d| d.arn.unwrap())
        .collect();
    assert_eq!(
        arns,
        [
            "arn:aws:iam::123456789012:policy/demopolicy1",
            "arn:aws:iam::123456789012:policy/demopolicy2"
        ]
    );
    assert_eq!(input.tags.as_ref().unwrap().len(), 3);
    assert_eq!(input.tags.unwrap()[2].value.as_deref(), Some("12345"));
    assert_eq!(
        input.transitive_tag_keys,
        Some(vec!["Project".into(), "Cost-Center".into()])
    );
    let contexts = input.provided_contexts.unwrap();
    assert_eq!(contexts[0].context_assertion.as_deref(), Some("abcd"));
    assert_eq!(input.external_id.as_deref(), Some("123ABC"));
    assert_eq!(input.source_identity.as_deref(), Some("Alice"));
}

#[test]
fn scalars_booleans_and_enums() {
    let input = ListPoliciesRequest::from_query(&params(&[
        ("Scope", "Local"),
        ("OnlyAttached", "true"),
        ("MaxItems", "+0100"),
        ("PolicyUsageFilter", "PermissionsPolicy"),
    ]))
    .unwrap();
    assert_eq!(input.scope.as_deref(), Some("Local"));
    assert_eq!(input.only_attached, Some(true));
    assert_eq!(input.max_items, Some(100));
}

#[test]
fn wrong_types_are_malformed_input_without_echo() {
    // As recorded from live STS: no message, nothing of the value echoed.
    for (param, value) in [
        ("MaxItems", "abc"),
        ("MaxItems", "12.0"),
        ("MaxItems", "2147483648"),
        ("MaxItems", " 5"),
        ("OnlyAttached", "yes"),
    ] {
        let err = iam_error("ListPolicies", &[(param, value)]);
        assert_eq!(
            (
                &*err.code,
                err.status,
                err.message.as_str(),
                err.sender_fault
            ),
            ("MalformedInput", 400, "", true),
            "{param}={value}"
        );
    }
    let err = iam_error("ListPolicies", &[("MaxItems", "")]);
    assert_eq!(err.message, "missing value for decimal type");
    for value in ["abc", "900.0", "2147483648", "-2147483649", ""] {
        let err = sts_error(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
                ("RoleSessionName", "s1"),
                ("DurationSeconds", value),
            ],
        );
        assert_eq!(err.code, "MalformedInput", "{value}");
    }
    // Type errors come before constraint errors.
    let err = iam_error("ListPolicies", &[("MaxItems", "x"), ("Scope", "Bogus")]);
    assert_eq!(err.code, "MalformedInput");
}

#[test]
fn iam_validation_messages() {
    assert_eq!(
        iam_validation("CreateUser", &[]),
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: \
         Member must not be null"
    );
    assert_eq!(
        iam_validation("CreateUser", &[("UserName", "bad name!")]),
        r"1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
    // Recorded from IAM (NixOS/nixops#328, legion-platform/legion#530).
    let long = "charon-31f85414-3f74-11e5-b275-f23c91ae92d9-DynamoReadOnlyPermission";
    assert_eq!(
        iam_validation(
            "CreateRole",
            &[("RoleName", long), ("AssumeRolePolicyDocument", "{}")]
        ),
        format!(
            "1 validation error detected: Value '{long}' at 'roleName' failed to satisfy \
             constraint: Member must have length less than or equal to 64"
        )
    );
    assert_eq!(
        iam_validation("ListUsers", &[("MaxItems", "0")]),
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        iam_validation("ListPolicies", &[("Scope", "Bogus")]),
        "1 validation error detected: Value 'Bogus' at 'scope' failed to satisfy constraint: \
         Member must satisfy enum value set: [All, AWS, Local]"
    );
    assert_eq!(
        iam_validation("CreateUser", &[("UserName", "a"), ("Path", "no-slashes")]),
        r"1 validation error detected: Value 'no-slashes' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
    );
    assert_eq!(
        iam_validation(
            "UpdateAccessKey",
            &[
                ("AccessKeyId", "AKIAIOSFODNN7EXAMPLE"),
                ("Status", "Enabled")
            ]
        ),
        "1 validation error detected: Value 'Enabled' at 'status' failed to satisfy constraint: \
         Member must satisfy enum value set: [Active, Inactive, Expired]"
    );
}

#[test]
fn tag_validation_uses_unicode_classes() {
    // Letters, spaces and digits of any script pass the tag patterns.
    let err = iam_error(
        "TagUser",
        &[
            ("UserName", "alice"),
            ("Tags.member.1.Key", "Équipe 1"),
            ("Tags.member.1.Value", "Ünïcödé välue_٣ 東京:/=+-@"),
            ("Tags.member.2.Key", "empty-value"),
            ("Tags.member.2.Value", ""),
        ],
    );
    assert_eq!(err.code, "InvalidInput", "{err}");
    assert_eq!(
        iam_validation(
            "TagUser",
            &[
                ("UserName", "alice"),
                ("Tags.member.1.Key", "ok"),
                ("Tags.member.1.Value", "v"),
                ("Tags.member.2.Key", ""),
                ("Tags.member.2.Value", "bad!"),
            ]
        ),
        r"3 validation errors detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+; Value 'bad!' at 'tags.2.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*"
    );
    assert_eq!(
        iam_validation(
            "UntagUser",
            &[
                ("UserName", "alice"),
                ("TagKeys.member.1", "fine"),
                ("TagKeys.member.2", "no*stars")
            ]
        ),
        r"1 validation error detected: Value '[fine, no*stars]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+]"
    );
    assert_eq!(
        iam_validation("UntagUser", &[("UserName", "alice")]),
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: \
         Member must not be null"
    );
    let mut pairs = vec![("UserName".to_owned(), "alice".to_owned())];
    for i in 1..=51 {
        pairs.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
        pairs.push((format!("Tags.member.{i}.Value"), "v".to_owned()));
    }
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let msg = iam_validation("TagUser", &pairs);
    assert!(
        msg.starts_with("1 validation error detected: Value '[{Key: k1,Value: v}, "),
        "{msg}"
    );
    assert!(msg.ends_with(
        "' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    ));
}

fn assume(pairs: &[(&str, &str)]) -> String {
    let mut all = vec![
        ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
        ("RoleSessionName", "s1"),
    ];
    all.extend_from_slice(pairs);
    sts_validation("AssumeRole", &all)
}

#[test]
fn sts_validation_messages_match_live_sts() {
    // Each expected text below was recorded from live STS (see the module docs of
    // `cofre_api::query::params` for the source).
    assert_eq!(
        sts_validation(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
                ("RoleSessionName", "bad/name")
            ]
        ),
        r"1 validation error detected: Value 'bad/name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
    );
    assert_eq!(
        sts_validation(
            "AssumeRole",
            &[("RoleArn", "arn:aws:iam::123456789012:role/demo")]
        ),
        "1 validation error detected: Value null at 'roleSessionName' failed to satisfy \
         constraint: Member must not be null"
    );
    assert_eq!(
        sts_validation("AssumeRole", &[("RoleSessionName", "s1")]),
        "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: \
         Member must not be null"
    );
    assert_eq!(
        sts_validation(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
                ("RoleSessionName", "a")
            ]
        ),
        "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy \
         constraint: Member must have length greater than or equal to 2"
    );
    let long = "a".repeat(65);
    assert_eq!(
        sts_validation(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
                ("RoleSessionName", &long)
            ]
        ),
        format!(
            "1 validation error detected: Value '{long}' at 'roleSessionName' failed to satisfy \
             constraint: Member must have length less than or equal to 64"
        )
    );
    for (value, expected) in [
        ("899", "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
        ("-1", "Value '-1' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
        ("43201", "Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"),
        ("2147483647", "Value '2147483647' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"),
        ("-2147483648", "Value '-2147483648' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
    ] {
        assert_eq!(
            assume(&[("DurationSeconds", value)]),
            format!("1 validation error detected: {expected}")
        );
    }
    assert_eq!(
        sts_validation(
            "AssumeRole",
            &[("RoleArn", "not-an-arn"), ("RoleSessionName", "s1")]
        ),
        "1 validation error detected: Value 'not-an-arn' at 'roleArn' failed to satisfy \
         constraint: Member must have length greater than or equal to 20"
    );
    // Live STS lists these two the other way round (its order follows a Java hash set);
    // Cofre's is the model's: length, then pattern.
    assert_eq!(
        sts_validation("AssumeRole", &[("RoleArn", ""), ("RoleSessionName", "s1")]),
        r"2 validation errors detected: Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+"
    );
    // Java reads `\u10000` as `\u1000` then `0`, so supplementary characters fail the ARN
    // pattern on live STS; regex-lite reads it the same way.
    let emoji = "😀".repeat(30);
    let msg = sts_validation(
        "AssumeRole",
        &[("RoleArn", &emoji), ("RoleSessionName", "s1")],
    );
    assert!(
        msg.starts_with("1 validation error detected: Value '😀"),
        "{msg}"
    );
    assert!(msg.ends_with(r"\u10000-\u10FFFF]+"), "{msg}");
    let err = sts_error(
        "AssumeRole",
        &[("RoleArn", &"é".repeat(2048)), ("RoleSessionName", "s1")],
    );
    assert_eq!(
        err.code, "InvalidInput",
        "2048 BMP characters are a valid ARN length"
    );
    let msg = assume(&[("TokenCode", "12345a"), ("SerialNumber", "short")]);
    assert_eq!(
        msg,
        r"2 validation errors detected: Value 'short' at 'serialNumber' failed to satisfy constraint: Member must have length greater than or equal to 9; Value '12345a' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*"
    );
    assert!(assume(&[("ProvidedContexts", "")]).contains(
        "Value '[]' at 'providedContexts' failed to satisfy constraint: Member must have length greater than or equal to 1"
    ));
}

#[test]
fn every_model_pattern_is_enforced() {
    // Patterns regex-lite compiles.
    for rules in [iam::STRING_RULES, sts::STRING_RULES] {
        for (shape, rule) in rules {
            if let Some(p) = &rule.pattern {
                assert!(
                    p.regex().is_some(),
                    "{shape}: {} does not compile",
                    p.source()
                );
            }
        }
    }
    // Patterns with Unicode classes: the model text does not compile (so it is only used
    // for messages), the generated matcher decides.
    for rules in [iam::UNICODE_RULES, sts::UNICODE_RULES] {
        assert_eq!(rules.len(), 2, "tag key and tag value");
        for (shape, rule) in rules {
            assert!(
                rule.rule.pattern.as_ref().unwrap().regex().is_none(),
                "{shape} compiles with regex-lite: use a plain rule"
            );
            assert!(rule.matcher.matches("Project Ω 7 _.:/=+-@"), "{shape}");
            assert!(!rule.matcher.matches("a*b"), "{shape}");
            assert!(!rule.matcher.matches("tab\there"), "{shape}");
        }
    }
    let find = |shape: &str| {
        iam::STRING_RULES
            .iter()
            .find(|(s, _)| *s == shape)
            .unwrap()
            .1
            .pattern
            .as_ref()
            .unwrap()
    };
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "userNameType",
            &["alice", "a.b@c", "x+y=z,w_-"],
            &["a b", "a/b", "", "é"],
        ),
        (
            "pathType",
            &["/", "/a/", "/a/b/"],
            &["", "a/", "/a", "/a b/"],
        ),
        ("policyPathType", &["/", "/a/b/"], &["/a//", "a/", "/a b/"]),
        ("pathPrefixType", &["/", "/a", "/a/b"], &["a", ""]),
        (
            "policyVersionIdType",
            &["v1", "v12", "v1.a-b"],
            &["v0", "1", "v"],
        ),
        ("markerType", &["abc", "ÿ"], &["\t", "Ā"]),
        (
            "policyDocumentType",
            &["{\"Version\": \"2012-10-17\"}\n\t"],
            &["\u{1}", "Ā"],
        ),
        ("roleDescriptionType", &["", "A role ¡"], &["\u{7f}", "Ā"]),
    ];
    for (shape, good, bad) in cases {
        let p = find(shape);
        for v in *good {
            assert!(p.matches(v), "{shape} rejects {v:?}");
        }
        for v in *bad {
            assert!(!p.matches(v), "{shape} accepts {v:?}");
        }
    }
}
