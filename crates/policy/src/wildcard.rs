//! Patterns with `*` / `?` wildcards and `${...}` policy variables, matched without regular
//! expressions.
//!
//! A policy string is compiled once into a [`Template`]: a list of tokens (literal text, `?`,
//! `*`, variable). Matching is the classic greedy algorithm that remembers only the most recent
//! `*` and backtracks to it on a mismatch, so a match costs at most O(pattern × text) steps
//! whatever the document holds: a hostile `*a*a*a*…*b` cannot make it exponential.
//!
//! Variables resolve to request-context values at match time, and their values are always
//! matched *literally*: a user named `a*` does not turn a resource pattern into a wildcard. The
//! escapes `${*}`, `${?}` and `${$}` exist precisely to write a literal `*`, `?` or `$` where
//! one would otherwise be a wildcard, so they compile to literal text too.

/// One compiled piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Literal text (compared case-sensitively or not, as the caller asks).
    Lit(Box<str>),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, the empty one included.
    Many,
    /// A policy variable: index into [`Template::vars`].
    Var(usize),
}

/// A `${key}` or `${key, 'default'}` policy variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Var {
    /// The context key, lowercased (context keys are case-insensitive).
    pub(crate) key: Box<str>,
    /// The value used when the key is not in the request context.
    pub(crate) default: Option<Box<str>>,
}

/// Whether `*` and `?` are wildcards in the text being compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wild {
    /// `*` and `?` are wildcards (Action, Resource, `StringLike`, `ArnLike`...).
    Yes,
    /// `*` and `?` are ordinary characters (`StringEquals`, `BinaryEquals`...).
    No,
}

/// Whether `${...}` is a policy variable in the text being compiled (Version 2012-10-17 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vars {
    /// `${...}` is substituted.
    Yes,
    /// `${...}` is literal text (Version 2008-10-17 or absent, and Action elements).
    No,
}

/// Looks up policy-variable values for one request.
pub(crate) trait Resolve {
    /// The single value of a context key (`key` is lowercase), or `None` when the key is absent
    /// or multi-valued (a multi-valued key cannot be substituted).
    fn var(&self, key: &str) -> Option<&str>;
}

/// A resolver with no values at all (for matching templates known to hold no variables).
#[derive(Debug)]
pub(crate) struct NoVars;

impl Resolve for NoVars {
    fn var(&self, _key: &str) -> Option<&str> {
        None
    }
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    toks: Vec<Tok>,
    vars: Vec<Var>,
    /// The source text, kept for messages, validation and `Debug`.
    source: Box<str>,
}

impl Template {
    /// Compiles `text`; `wild` and `vars` say which characters are special.
    pub(crate) fn compile(text: &str, wild: Wild, vars: Vars) -> Template {
        let mut toks: Vec<Tok> = Vec::new();
        let mut var_list: Vec<Var> = Vec::new();
        let mut lit = String::new();
        let flush = |lit: &mut String, toks: &mut Vec<Tok>| {
            if !lit.is_empty() {
                toks.push(Tok::Lit(std::mem::take(lit).into_boxed_str()));
            }
        };
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if vars == Vars::Yes && rest.starts_with("${") {
                if let Some(end) = rest.find('}') {
                    let inner = &rest[2..end];
                    rest = &rest[end + 1..];
                    match inner {
                        // The escapes stand for the character itself, never a wildcard.
                        "*" | "?" | "$" => lit.push_str(inner),
                        _ => {
                            flush(&mut lit, &mut toks);
                            toks.push(Tok::Var(var_list.len()));
                            var_list.push(parse_var(inner));
                        }
                    }
                    continue;
                }
                // An unterminated `${` is plain text.
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if wild == Wild::Yes => {
                    flush(&mut lit, &mut toks);
                    // `**` means the same as `*`; collapsing keeps matching linear in practice.
                    if toks.last() != Some(&Tok::Many) {
                        toks.push(Tok::Many);
                    }
                }
                '?' if wild == Wild::Yes => {
                    flush(&mut lit, &mut toks);
                    toks.push(Tok::One);
                }
                _ => lit.push(c),
            }
        }
        flush(&mut lit, &mut toks);
        Template {
            toks,
            vars: var_list,
            source: text.into(),
        }
    }

    /// The text this template was compiled from.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether the template holds policy variables.
    pub(crate) fn has_vars(&self) -> bool {
        !self.vars.is_empty()
    }

    /// Whether the template holds a `*` or `?` wildcard.
    pub(crate) fn has_wildcards(&self) -> bool {
        self.toks.iter().any(|t| matches!(t, Tok::One | Tok::Many))
    }

    /// Whether the template is exactly `*` (matches everything).
    pub(crate) fn is_match_all(&self) -> bool {
        self.toks.len() == 1 && self.toks[0] == Tok::Many
    }

    /// Matches `text`. `ci` compares literal parts case-insensitively. Returns `false` when a
    /// variable cannot be resolved (AWS: an element whose variable is missing does not match).
    pub(crate) fn matches(&self, text: &str, ci: bool, env: &impl Resolve) -> bool {
        if self.vars.is_empty() {
            // Fast paths for the shapes nearly every policy uses.
            match self.toks.as_slice() {
                [] => return text.is_empty(),
                [Tok::Many] => return true,
                [Tok::Lit(l)] => {
                    return if ci { eq_ci(text, l) } else { text == &**l };
                }
                [Tok::Lit(l), Tok::Many] if !ci => return text.starts_with(&**l),
                _ => return glob(&self.toks, text, ci, &[]),
            }
        }
        let Some(values) = self.resolve_vars(env) else {
            return false;
        };
        glob(&self.toks, text, ci, &values)
    }

    /// Substitutes the variables, giving the literal text (wildcards kept as `*` / `?`). `None`
    /// when a variable cannot be resolved. Used for values that are parsed after substitution
    /// (numbers, dates, addresses).
    pub(crate) fn substitute(&self, env: &impl Resolve) -> Option<String> {
        let values = self.resolve_vars(env)?;
        let mut out = String::new();
        for t in &self.toks {
            match t {
                Tok::Lit(l) => out.push_str(l),
                Tok::One => out.push('?'),
                Tok::Many => out.push('*'),
                Tok::Var(i) => out.push_str(values[*i]),
            }
        }
        Some(out)
    }

    fn resolve_vars<'a>(&'a self, env: &'a impl Resolve) -> Option<Vec<&'a str>> {
        self.vars
            .iter()
            .map(|v| env.var(&v.key).or(v.default.as_deref()))
            .collect()
    }
}

/// Parses the inside of `${...}`: `key` or `key, 'default'`.
fn parse_var(inner: &str) -> Var {
    if let Some((key, default)) = inner.split_once(',') {
        let default = default.trim();
        if default.len() >= 2 && default.starts_with('\'') && default.ends_with('\'') {
            return Var {
                key: key.trim().to_lowercase().into(),
                default: Some(default[1..default.len() - 1].into()),
            };
        }
    }
    // Anything else is taken whole as a key; an odd key simply never resolves.
    Var {
        key: inner.trim().to_lowercase().into(),
        default: None,
    }
}

/// Case-insensitive equality (Unicode simple case folding, character by character).
pub(crate) fn eq_ci(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

fn char_eq_ci(a: char, b: char) -> bool {
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(&b);
    }
    a.to_lowercase().eq(b.to_lowercase())
}

/// If `text` starts with `lit`, the number of bytes of `text` it covers.
fn prefix(text: &str, lit: &str, ci: bool) -> Option<usize> {
    if !ci {
        return text.starts_with(lit).then_some(lit.len());
    }
    let mut it = text.char_indices();
    let mut end = 0;
    for lc in lit.chars() {
        let (i, tc) = it.next()?;
        if !char_eq_ci(tc, lc) {
            return None;
        }
        end = i + tc.len_utf8();
    }
    Some(end)
}

/// Length in bytes of the UTF-8 character starting at `b`.
fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The matcher: greedy, backtracking only to the most recent `*`. Indices into `text` always
/// sit on character boundaries (they advance by whole characters or by matched literal text).
fn glob(toks: &[Tok], text: &str, ci: bool, vars: &[&str]) -> bool {
    let bytes = text.as_bytes();
    let (mut ti, mut pi) = (0usize, 0usize);
    // (token index just after the last `*`, text index that `*` currently stops at)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < toks.len() {
            let advanced = match &toks[pi] {
                Tok::Many => {
                    if pi + 1 == toks.len() {
                        // A trailing `*` swallows whatever is left.
                        return true;
                    }
                    star = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                Tok::One => {
                    if ti < bytes.len() {
                        ti += char_len(bytes[ti]);
                        true
                    } else {
                        false
                    }
                }
                Tok::Lit(l) => match prefix(&text[ti..], l, ci) {
                    Some(n) => {
                        ti += n;
                        true
                    }
                    None => false,
                },
                Tok::Var(i) => match prefix(&text[ti..], vars[*i], ci) {
                    Some(n) => {
                        ti += n;
                        true
                    }
                    None => false,
                },
            };
            if advanced {
                pi += 1;
                continue;
            }
        } else if ti == bytes.len() {
            return true;
        }
        // Mismatch: let the last `*` swallow one more character and retry from just after it.
        match star {
            Some((sp, st)) if st < bytes.len() => {
                let next = st + char_len(bytes[st]);
                star = Some((sp, next));
                pi = sp;
                ti = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Template::compile(p, Wild::Yes, Vars::No).matches(t, false, &NoVars)
    }

    #[test]
    fn globs() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("*c", "abc", true),
            ("a*", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXcYb", false),
            ("*ab*ab*", "xxabyyab", true),
            ("*aab", "aaab", true),
            ("?", "é", true),
            ("??", "é", false),
            ("é*", "été", true),
            (
                "arn:aws:secretsmanager:*:*:secret:prod/*",
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf",
                true,
            ),
            (
                "arn:aws:secretsmanager:*:*:secret:prod/*",
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:dev/db-AbCdEf",
                false,
            ),
            ("*-??????", "my-secret-AbCdEf", true),
            ("*-??????", "my-secret-AbCdE", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(m(p, t), *want, "pattern {p:?} text {t:?}");
        }
    }

    #[test]
    fn case_insensitive() {
        let t = Template::compile("secretsmanager:Get*", Wild::Yes, Vars::No);
        assert!(t.matches("SecretsManager:getsecretvalue", true, &NoVars));
        assert!(!t.matches("SecretsManager:getsecretvalue", false, &NoVars));
        assert!(eq_ci("ÄBC", "äbc"));
    }

    #[test]
    fn hostile_pattern_is_fast() {
        // Exponential for a naive backtracking matcher; quadratic at worst here.
        let pattern = "*a".repeat(2000) + "b";
        let text = "a".repeat(4000);
        let start = std::time::Instant::now();
        assert!(!m(&pattern, &text));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    struct Env(&'static [(&'static str, &'static str)]);
    impl Resolve for Env {
        fn var(&self, key: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
    }

    #[test]
    fn variables() {
        let env = Env(&[("aws:username", "a*"), ("aws:principaltag/team", "blue")]);
        let t = Template::compile("home/${aws:username}/*", Wild::Yes, Vars::Yes);
        assert!(t.matches("home/a*/x", false, &env));
        // The substituted `*` is literal.
        assert!(!t.matches("home/ab/x", false, &env));
        let t = Template::compile("${aws:PrincipalTag/Team}", Wild::No, Vars::Yes);
        assert!(t.matches("blue", false, &env));
        let t = Template::compile("${aws:PrincipalTag/missing, 'dflt'}", Wild::No, Vars::Yes);
        assert!(t.matches("dflt", false, &env));
        let t = Template::compile("${aws:missing}", Wild::Yes, Vars::Yes);
        assert!(!t.matches("", false, &env));
        assert!(!t.matches("anything", false, &env));
        let t = Template::compile("a${*}b${?}c${$}", Wild::Yes, Vars::Yes);
        assert!(t.matches("a*b?c$", false, &env));
        assert!(!t.matches("aXb?c$", false, &env));
        // Without variables (Version 2008-10-17) the text is literal, wildcards aside.
        let t = Template::compile("${aws:username}", Wild::Yes, Vars::No);
        assert!(t.matches("${aws:username}", false, &env));
        assert_eq!(
            Template::compile("x/${aws:username}", Wild::Yes, Vars::Yes)
                .substitute(&env)
                .as_deref(),
            Some("x/a*")
        );
    }
}
