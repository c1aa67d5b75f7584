//! Staging labels: the one place where labels move.
//!
//! Rules (AWS's): a label lives on at most one version; when `AWSCURRENT` moves to a new
//! version, the version that had it receives `AWSPREVIOUS` (taken from wherever it was).
//! Versions left without labels are deprecated, and the oldest of them are dropped once a
//! secret holds more than [`MAX_VERSIONS`], except those younger than a day.

use super::model::{SecretMeta, AWSCURRENT, AWSPREVIOUS};
use crate::clock::DAY_MS;

/// AWS keeps at most this many versions of a secret (deprecated ones are dropped past it).
pub const MAX_VERSIONS: usize = 100;

/// Attaches every label in `stages` to version `to`, detaching it from any other version, and
/// applies the AWSCURRENT → AWSPREVIOUS rule.
pub fn attach(meta: &mut SecretMeta, to: &str, stages: &[String]) {
    for stage in stages {
        if stage == AWSCURRENT {
            let previous = meta
                .versions
                .iter()
                .find(|v| v.id != to && v.stages.iter().any(|s| s == AWSCURRENT))
                .map(|v| v.id.clone());
            if let Some(prev) = previous {
                detach_everywhere(meta, AWSPREVIOUS);
                add_label(meta, &prev, AWSPREVIOUS);
                // AWSPREVIOUS and AWSCURRENT never share a version.
            }
        }
        detach_everywhere(meta, stage);
        add_label(meta, to, stage);
    }
    // The new AWSCURRENT version must not also be AWSPREVIOUS.
    if stages.iter().any(|s| s == AWSCURRENT) {
        if let Some(v) = meta.versions.iter_mut().find(|v| v.id == to) {
            if v.stages.iter().any(|s| s == AWSPREVIOUS) && !stages.iter().any(|s| s == AWSPREVIOUS)
            {
                v.stages.retain(|s| s != AWSPREVIOUS);
            }
        }
    }
}

/// Removes `stage` from version `from`.
pub fn detach(meta: &mut SecretMeta, from: &str, stage: &str) {
    if let Some(v) = meta.versions.iter_mut().find(|v| v.id == from) {
        v.stages.retain(|s| s != stage);
    }
}

fn detach_everywhere(meta: &mut SecretMeta, stage: &str) {
    for v in &mut meta.versions {
        v.stages.retain(|s| s != stage);
    }
}

fn add_label(meta: &mut SecretMeta, to: &str, stage: &str) {
    if let Some(v) = meta.versions.iter_mut().find(|v| v.id == to) {
        if !v.stages.iter().any(|s| s == stage) {
            v.stages.push(stage.to_owned());
        }
    }
}

/// Drops the oldest deprecated versions while the secret holds more than [`MAX_VERSIONS`].
/// Returns the ids dropped, or `Err(())` when the quota is exceeded and nothing may be dropped.
#[allow(clippy::result_unit_err)]
pub fn prune(meta: &mut SecretMeta, now_ms: i64) -> Result<Vec<String>, ()> {
    let mut dropped = Vec::new();
    while meta.versions.len() > MAX_VERSIONS {
        let victim = meta
            .versions
            .iter()
            .position(|v| v.stages.is_empty() && now_ms - v.created_ms >= DAY_MS);
        match victim {
            Some(i) => dropped.push(meta.versions.remove(i).id),
            None => return Err(()),
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::model::{VersionMeta, META_FORMAT};

    fn meta(ids: &[(&str, &[&str])]) -> SecretMeta {
        SecretMeta {
            format: META_FORMAT,
            description: None,
            kms_key_id: None,
            tags: vec![],
            created_ms: 0,
            last_changed_ms: 0,
            last_accessed_day_ms: None,
            deleted_ms: None,
            resource_policy: None,
            rotation: None,
            versions: ids
                .iter()
                .map(|(id, st)| VersionMeta {
                    id: (*id).into(),
                    stages: st.iter().map(|s| s.to_string()).collect(),
                    created_ms: 0,
                    last_accessed_day_ms: None,
                    kms_key_arn: String::new(),
                    previous_kms_key_arns: vec![],
                    binary: false,
                    empty: false,
                })
                .collect(),
        }
    }

    fn stages(m: &SecretMeta, id: &str) -> Vec<String> {
        m.versions
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.stages.clone())
            .unwrap_or_default()
    }

    #[test]
    fn current_moves_and_previous_follows() {
        let mut m = meta(&[("a", &["AWSPREVIOUS"]), ("b", &["AWSCURRENT"]), ("c", &[])]);
        attach(&mut m, "c", &["AWSCURRENT".into()]);
        assert_eq!(stages(&m, "a"), Vec::<String>::new());
        assert_eq!(stages(&m, "b"), vec!["AWSPREVIOUS"]);
        assert_eq!(stages(&m, "c"), vec!["AWSCURRENT"]);
    }

    #[test]
    fn custom_label_is_unique() {
        let mut m = meta(&[("a", &["AWSCURRENT", "blue"]), ("b", &[])]);
        attach(&mut m, "b", &["blue".into()]);
        assert_eq!(stages(&m, "a"), vec!["AWSCURRENT"]);
        assert_eq!(stages(&m, "b"), vec!["blue"]);
    }

    #[test]
    fn moving_current_back_to_previous_version() {
        let mut m = meta(&[("a", &["AWSPREVIOUS"]), ("b", &["AWSCURRENT"])]);
        attach(&mut m, "a", &["AWSCURRENT".into()]);
        assert_eq!(stages(&m, "a"), vec!["AWSCURRENT"]);
        assert_eq!(stages(&m, "b"), vec!["AWSPREVIOUS"]);
    }

    #[test]
    fn prune_drops_oldest_deprecated_only_after_a_day() {
        let mut m = meta(&[]);
        for i in 0..=MAX_VERSIONS {
            m.versions.push(VersionMeta {
                id: format!("v{i}"),
                stages: if i == MAX_VERSIONS {
                    vec!["AWSCURRENT".into()]
                } else {
                    vec![]
                },
                created_ms: i as i64,
                last_accessed_day_ms: None,
                kms_key_arn: String::new(),
                previous_kms_key_arns: vec![],
                binary: false,
                empty: false,
            });
        }
        assert!(
            prune(&mut m.clone(), 10).is_err(),
            "nothing is a day old yet"
        );
        let dropped = prune(&mut m, DAY_MS + 1000).expect("prunable");
        assert_eq!(dropped, vec!["v0".to_string()]);
        assert_eq!(m.versions.len(), MAX_VERSIONS);
    }
}
