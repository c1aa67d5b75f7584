//! GetRandomPassword: characters drawn from the OS RNG.

use cofre_api::{
    ApiError, Context, GetRandomPasswordRequest, GetRandomPasswordResponse, SensitiveString,
};
use rand::rngs::OsRng;
use rand::seq::SliceRandom;

use super::Service;
use crate::error::invalid_parameter;

/// AWS's punctuation set.
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: GetRandomPasswordRequest,
) -> Result<GetRandomPasswordResponse, ApiError> {
    svc.authorize(
        ctx,
        "secretsmanager:GetRandomPassword",
        crate::authz::Target::Any,
        Default::default(),
    )
    .await?;
    let length = input.password_length.unwrap_or(32);
    let exclude: Vec<char> = input
        .exclude_characters
        .as_deref()
        .unwrap_or_default()
        .chars()
        .collect();
    let keep = |set: &str| -> Vec<char> { set.chars().filter(|c| !exclude.contains(c)).collect() };
    let mut classes: Vec<Vec<char>> = Vec::new();
    if !input.exclude_lowercase.unwrap_or(false) {
        classes.push(keep("abcdefghijklmnopqrstuvwxyz"));
    }
    if !input.exclude_uppercase.unwrap_or(false) {
        classes.push(keep("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    }
    if !input.exclude_numbers.unwrap_or(false) {
        classes.push(keep("0123456789"));
    }
    if !input.exclude_punctuation.unwrap_or(false) {
        classes.push(keep(PUNCTUATION));
    }
    classes.retain(|c| !c.is_empty());
    let required = classes.len();
    if input.include_space.unwrap_or(false) && !exclude.contains(&' ') {
        classes.push(vec![' ']);
    }
    let pool: Vec<char> = classes.iter().flatten().copied().collect();
    if pool.is_empty() {
        return Err(invalid_parameter(
            "The password can't be generated: every character type is excluded.",
        ));
    }
    let require_each = input.require_each_included_type.unwrap_or(true);
    if require_each && (length as usize) < required {
        return Err(invalid_parameter(format!(
            "The password length {length} is too short to include one character of each of the {required} required types."
        )));
    }
    let mut rng = OsRng;
    // One character from each required class, the rest from the whole pool, then a shuffle:
    // bounded time whatever the exclusions.
    let mut pw: Vec<char> = Vec::with_capacity(length as usize);
    if require_each {
        pw.extend(
            classes[..required]
                .iter()
                .filter_map(|class| class.choose(&mut rng)),
        );
    }
    while pw.len() < length as usize {
        pw.extend(pool.choose(&mut rng));
    }
    pw.shuffle(&mut rng);
    Ok(GetRandomPasswordResponse {
        random_password: Some(SensitiveString::from(pw.into_iter().collect::<String>())),
    })
}
