//! An in-memory Secrets Manager for the rotation tests, with AWS's staging-label rules, and
//! helpers to run rotations.

#![allow(dead_code)] // each test binary uses part of this

use std::collections::BTreeMap;
use std::sync::Mutex;

use cofre_rotators::{
    run_step, Builtin, Options, RotatorError, SecretString, SecretsApi, Step, AWSCURRENT,
    AWSPENDING, AWSPREVIOUS,
};
use rand::seq::SliceRandom as _;
use rand::Rng as _;
use serde_json::Value;

#[derive(Debug, Default)]
struct Version {
    value: Option<String>,
    stages: Vec<String>,
}

/// Secrets Manager in memory: secrets → versions → (value, staging labels).
///
/// Follows AWS's rules for what rotation touches:
/// - RotateSecret ([`Memory::start_rotation`]) refuses while AWSPENDING is on a version
///   that is not AWSCURRENT, then creates an empty version labelled AWSPENDING;
/// - GetSecretValue with VersionId and VersionStage needs that version to carry that label,
///   and a version without a value is not found;
/// - PutSecretValue on an existing version succeeds only with the same value (or when the
///   version has none yet); its labels move to it from other versions;
/// - UpdateSecretVersionStage needs RemoveFromVersionId when the label is attached
///   elsewhere; moving AWSCURRENT puts AWSPREVIOUS on the version it left; AWSPENDING is
///   left where it is;
/// - DescribeSecret lists only versions that carry a label.
#[derive(Debug, Default)]
pub struct Memory {
    secrets: Mutex<BTreeMap<String, BTreeMap<String, Version>>>,
    /// GetRandomPassword includes every allowed character that is awkward in SQL.
    tricky_passwords: bool,
}

fn service(code: &str, message: impl Into<String>) -> RotatorError {
    RotatorError::Service {
        code: code.to_owned(),
        message: message.into(),
    }
}

fn new_version_id() -> String {
    let mut rng = rand::thread_rng();
    let hex: String = (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn move_label(versions: &mut BTreeMap<String, Version>, label: &str, to: &str) {
    for (id, v) in versions.iter_mut() {
        if id != to {
            v.stages.retain(|s| s != label);
        }
    }
    if let Some(v) = versions.get_mut(to) {
        if !v.stages.iter().any(|s| s == label) {
            v.stages.push(label.to_owned());
        }
    }
}

impl Memory {
    pub fn new() -> Self {
        Self::default()
    }

    /// GetRandomPassword always includes each of `' \ " % _ $ ; `` ` that is not excluded.
    pub fn with_tricky_passwords() -> Self {
        Self {
            tricky_passwords: true,
            ..Self::default()
        }
    }

    /// CreateSecret: the first version, labelled AWSCURRENT. Returns its id.
    pub fn create_secret(&self, id: &str, value: &str) -> String {
        let version = new_version_id();
        let mut versions = BTreeMap::new();
        versions.insert(
            version.clone(),
            Version {
                value: Some(value.to_owned()),
                stages: vec![AWSCURRENT.to_owned()],
            },
        );
        self.secrets.lock().unwrap().insert(id.to_owned(), versions);
        version
    }

    /// RotateSecret's preparation: a new empty version labelled AWSPENDING, whose id is the
    /// token the steps get.
    pub fn start_rotation(&self, id: &str) -> Result<String, RotatorError> {
        let mut secrets = self.secrets.lock().unwrap();
        let versions = secrets.get_mut(id).expect("secret exists");
        let pending_elsewhere = versions.values().any(|v| {
            v.stages.iter().any(|s| s == AWSPENDING) && !v.stages.iter().any(|s| s == AWSCURRENT)
        });
        if pending_elsewhere {
            return Err(service(
                "InvalidRequestException",
                "A previous rotation isn't complete. That rotation will be reattempted.",
            ));
        }
        let token = new_version_id();
        versions.insert(token.clone(), Version::default());
        move_label(versions, AWSPENDING, &token);
        Ok(token)
    }

    /// DescribeSecret's VersionIdsToStages (also through the trait).
    pub fn stages(&self, id: &str) -> BTreeMap<String, Vec<String>> {
        let secrets = self.secrets.lock().unwrap();
        secrets[id]
            .iter()
            .filter(|(_, v)| !v.stages.is_empty())
            .map(|(k, v)| (k.clone(), v.stages.clone()))
            .collect()
    }

    /// The version carrying `stage`.
    pub fn version_with(&self, id: &str, stage: &str) -> Option<String> {
        self.stages(id)
            .into_iter()
            .find(|(_, stages)| stages.iter().any(|s| s == stage))
            .map(|(v, _)| v)
    }

    /// The parsed value of the version carrying `stage`.
    pub fn json(&self, id: &str, stage: &str) -> Value {
        let version = self
            .version_with(id, stage)
            .expect("a version with that stage");
        let secrets = self.secrets.lock().unwrap();
        let text = secrets[id][&version].value.clone().expect("a value");
        serde_json::from_str(&text).unwrap()
    }

    /// The parsed value of version `version`, if it has one.
    pub fn json_of_version(&self, id: &str, version: &str) -> Option<Value> {
        let secrets = self.secrets.lock().unwrap();
        let text = secrets[id].get(version)?.value.clone()?;
        Some(serde_json::from_str(&text).unwrap())
    }

    /// `(username, password)` of the version carrying `stage`.
    pub fn credentials(&self, id: &str, stage: &str) -> (String, String) {
        let v = self.json(id, stage);
        (
            v["username"].as_str().unwrap().to_owned(),
            v["password"].as_str().unwrap().to_owned(),
        )
    }

    /// PutSecretValue of `text` as AWSPENDING for `token` (as a rotation function would).
    pub async fn put_pending_json(&self, id: &str, token: &str, text: &str) {
        self.put_pending(id, token, &SecretString::from(text))
            .await
            .expect("PutSecretValue");
    }

    fn random(&self, exclude: &str) -> String {
        let mut rng = rand::thread_rng();
        let allowed =
            |set: &str| -> Vec<char> { set.chars().filter(|c| !exclude.contains(*c)).collect() };
        let types = [
            allowed("abcdefghijklmnopqrstuvwxyz"),
            allowed("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            allowed("0123456789"),
            allowed("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
        ];
        let all: Vec<char> = types.iter().flatten().copied().collect();
        // RequireEachIncludedType.
        let mut chars: Vec<char> = types
            .iter()
            .filter(|t| !t.is_empty())
            .map(|t| *t.choose(&mut rng).unwrap())
            .collect();
        if self.tricky_passwords {
            chars.extend(allowed("'\\\"%_$;`"));
        }
        while chars.len() < 32 {
            chars.push(*all.choose(&mut rng).unwrap());
        }
        chars.shuffle(&mut rng);
        chars.into_iter().collect()
    }
}

#[async_trait::async_trait]
impl SecretsApi for Memory {
    async fn get_secret_string(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<Option<SecretString>, RotatorError> {
        let secrets = self.secrets.lock().unwrap();
        let Some(versions) = secrets.get(secret_id) else {
            return Ok(None);
        };
        let stage = match (version_id, stage) {
            (None, None) => Some(AWSCURRENT),
            (_, stage) => stage,
        };
        let found = versions.iter().find(|(id, v)| {
            version_id.is_none_or(|want| want == id.as_str())
                && stage.is_none_or(|want| v.stages.iter().any(|s| s == want))
        });
        Ok(found
            .and_then(|(_, v)| v.value.clone())
            .map(SecretString::new))
    }

    async fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &SecretString,
    ) -> Result<(), RotatorError> {
        let mut secrets = self.secrets.lock().unwrap();
        let versions = secrets.get_mut(secret_id).ok_or_else(|| {
            service(
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret.",
            )
        })?;
        let version = versions.entry(token.to_owned()).or_default();
        match &version.value {
            Some(existing) if existing != value.expose() => {
                return Err(service(
                    "ResourceExistsException",
                    "You can't modify an existing version, you can only create a new version.",
                ))
            }
            _ => version.value = Some(value.expose().to_owned()),
        }
        move_label(versions, AWSPENDING, token);
        Ok(())
    }

    async fn version_stages(
        &self,
        secret_id: &str,
    ) -> Result<BTreeMap<String, Vec<String>>, RotatorError> {
        if !self.secrets.lock().unwrap().contains_key(secret_id) {
            return Err(service(
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret.",
            ));
        }
        Ok(self.stages(secret_id))
    }

    async fn update_stage(
        &self,
        secret_id: &str,
        stage: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<(), RotatorError> {
        let mut secrets = self.secrets.lock().unwrap();
        let versions = secrets.get_mut(secret_id).ok_or_else(|| {
            service(
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret.",
            )
        })?;
        let holder = versions
            .iter()
            .find(|(_, v)| v.stages.iter().any(|s| s == stage))
            .map(|(id, _)| id.clone());
        if let Some(from) = remove_from {
            if holder.as_deref() != Some(from) {
                return Err(service(
                    "InvalidParameterException",
                    format!("The staging label {stage} isn't attached to version {from}."),
                ));
            }
        }
        if let Some(to) = move_to {
            if !versions.contains_key(to) {
                return Err(service(
                    "ResourceNotFoundException",
                    "Secrets Manager can't find the specified secret value.",
                ));
            }
            if let Some(h) = &holder {
                if h != to && remove_from != Some(h.as_str()) {
                    return Err(service(
                        "InvalidParameterException",
                        format!(
                            "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently \
                             attached to version {h}, so you must explicitly reference that version in RemoveFromVersionId."
                        ),
                    ));
                }
            }
            if holder.as_deref() == Some(to) {
                return Ok(());
            }
        }
        if let Some(from) = remove_from {
            if let Some(v) = versions.get_mut(from) {
                v.stages.retain(|s| s != stage);
            }
        }
        if let Some(to) = move_to {
            move_label(versions, stage, to);
            if stage == AWSCURRENT {
                if let Some(old) = remove_from {
                    move_label(versions, AWSPREVIOUS, old);
                }
            }
        }
        Ok(())
    }

    async fn random_password(
        &self,
        exclude_characters: &str,
    ) -> Result<SecretString, RotatorError> {
        Ok(SecretString::new(self.random(exclude_characters)))
    }
}

/// Runs one step and panics with the step's name if it fails.
pub async fn step(
    builtin: Builtin,
    api: &Memory,
    step: Step,
    id: &str,
    token: &str,
    opts: &Options,
) {
    if let Err(e) = run_step(builtin, api, step, id, token, opts).await {
        panic!("{builtin} {step} failed: {e}");
    }
}

/// A whole rotation: RotateSecret, then the four steps. Returns the token.
pub async fn rotate(builtin: Builtin, api: &Memory, id: &str, opts: &Options) -> String {
    let token = api.start_rotation(id).expect("rotation starts");
    for s in Step::ALL {
        step(builtin, api, s, id, &token, opts).await;
    }
    token
}

/// Re-runs all four steps for `token` and checks nothing changed.
pub async fn rerun_is_harmless(
    builtin: Builtin,
    api: &Memory,
    id: &str,
    token: &str,
    opts: &Options,
) {
    let before = api.stages(id);
    let current = api.json(id, AWSCURRENT);
    for s in Step::ALL {
        step(builtin, api, s, id, token, opts).await;
    }
    assert_eq!(
        api.stages(id),
        before,
        "re-running the steps changed the labels"
    );
    assert_eq!(
        api.json(id, AWSCURRENT),
        current,
        "re-running the steps changed the value"
    );
}

/// Checks the labels after a finished rotation: AWSCURRENT (and AWSPENDING, which AWS
/// leaves) on `token`, AWSPREVIOUS on `previous`.
pub fn assert_rotated(api: &Memory, id: &str, token: &str, previous: &str) {
    let stages = api.stages(id);
    let mut on_token = stages[token].clone();
    on_token.sort();
    assert_eq!(on_token, [AWSCURRENT, AWSPENDING]);
    assert_eq!(stages[previous], [AWSPREVIOUS]);
    assert_eq!(
        stages.len(),
        2,
        "older versions lose their labels: {stages:?}"
    );
}

/// Options for tests: a short login timeout.
pub fn options(builtin: Builtin) -> Options {
    Options {
        connect_timeout: std::time::Duration::from_secs(3),
        ..Options::for_builtin(builtin)
    }
}

/// Asserts that `err`'s message and Debug form contain none of `secrets`.
pub fn assert_no_secret(err: &RotatorError, secrets: &[&str]) {
    let shown = format!("{err} / {err:?}");
    for s in secrets {
        assert!(
            !s.is_empty() && !shown.contains(s),
            "error shows a secret: {shown}"
        );
    }
}
