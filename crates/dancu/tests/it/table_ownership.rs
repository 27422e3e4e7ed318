//! "A business crate reads only its own tables", checked: a crate owns the tables its migrations
//! create, and every SQL string literal in a crate's non-test sources may name only those, except
//! for the pairs in [`EXCEPTIONS`]. Another crate's data is read through that crate's functions.
//!
//! The check is lexical and deliberately simple. Rust sources are split into string literals
//! (comments, character literals and items under `#[cfg(test)]`, with the files of test modules,
//! are left out); in each literal a table is a name right after `FROM`, `JOIN`, `INTO`, `UPDATE`,
//! `TABLE` or `COPY` (any case, `logs.`/`main.` schema prefixes removed, comma-separated `FROM`
//! lists followed). Names that are no crate's table (aliases, columns, CTEs) are ignored. SQL put
//! together from pieces at run time (`format!("… FROM {table}")`) is not seen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Documented departures from the rule: (source file under `crates/`, table, reason). Each one
/// must still be needed, so the list never outlives the code it excuses.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "identity/src/stats.rs",
        "persons",
        "e-ID counts per commune, age and status join accounts with persons in one aggregate: \
         per-person calls to the registry would not scale to a province (ARCHITECTURE.md, Departures)",
    ),
    (
        "lodging/src/tourism.rs",
        "persons",
        "a citizen guest's province of residence for the tourism figures, joined in the aggregate \
         that releases coded events only (ARCHITECTURE.md, Departures)",
    ),
];

/// One place where a crate names a table it does not own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    line: usize,
    table: String,
    owner: String,
}

#[test]
fn every_crate_reads_only_its_own_tables() {
    let crates = crates_dir();
    let owners = owners(&crates);
    assert!(owners.len() > 50, "only {} tables found in the migrations", owners.len());
    let mut found = Vec::new();
    for (krate, files) in sources(&crates) {
        for file in files {
            let rel = file.strip_prefix(&crates).unwrap().to_string_lossy().replace('\\', "/");
            let src = std::fs::read_to_string(&file).unwrap();
            for (line, table) in table_references(&src) {
                let Some(owner) = owners.get(&table) else { continue };
                if *owner != krate {
                    found.push(Violation { file: rel.clone(), line, table, owner: owner.clone() });
                }
            }
        }
    }
    let excused = |v: &Violation| EXCEPTIONS.iter().any(|(f, t, _)| *f == v.file && *t == v.table);
    let unexcused: Vec<String> = found
        .iter()
        .filter(|v| !excused(v))
        .map(|v| format!("{}:{}: table `{}` belongs to `{}`", v.file, v.line, v.table, v.owner))
        .collect();
    assert!(
        unexcused.is_empty(),
        "crates touch tables they do not own (call a public function of the owner instead):\n{}",
        unexcused.join("\n")
    );
    let stale: Vec<&str> = EXCEPTIONS
        .iter()
        .filter(|(f, t, _)| !found.iter().any(|v| v.file == *f && v.table == *t))
        .map(|(f, _, _)| *f)
        .collect();
    assert!(stale.is_empty(), "exceptions no longer needed, remove them: {stale:?}");
}

#[test]
fn a_foreign_table_in_a_query_is_found_and_test_code_is_not() {
    let src = r##"
// SELECT * FROM accounts (a comment)
fn f() -> char {
    let _ = sqlx::query("SELECT a.login FROM accounts a, persons AS p \
        JOIN logs.access_log l ON l.actor_id = a.id");
    let _ = r#"INSERT INTO "svc_applications" (id) VALUES ($1)"#;
    let _ = "updated from the accounts page"; // prose: `the` is no table
    '"'
}
#[cfg(test)]
mod tests {
    const SQL: &str = "DELETE FROM oauth_codes";
}
fn g() { let _ = "UPDATE oauth_tokens SET revoked_at = 1"; }
"##;
    let refs = table_references(src);
    let names: Vec<(usize, &str)> = refs.iter().map(|(l, t)| (*l, t.as_str())).collect();
    assert_eq!(
        names,
        [(4, "accounts"), (4, "persons"), (4, "access_log"), (6, "svc_applications"), (7, "the"), (14, "oauth_tokens")]
    );
}

#[test]
fn owners_come_from_create_table_in_the_migrations() {
    let owners = owners(&crates_dir());
    assert_eq!(owners.get("persons").map(String::as_str), Some("registry"));
    assert_eq!(owners.get("access_log").map(String::as_str), Some("audit"));
    assert_eq!(owners.get("oauth_codes").map(String::as_str), Some("oidc"));
    assert_eq!(owners.get("svc_applications").map(String::as_str), Some("services"));
}

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Table name → the crate whose migrations create it.
fn owners(crates: &Path) -> BTreeMap<String, String> {
    let mut owners = BTreeMap::new();
    for krate in dirs(crates) {
        let name = krate.file_name().unwrap().to_string_lossy().into_owned();
        for file in files(&krate.join("migrations"), "sql") {
            let sql: String = std::fs::read_to_string(&file)
                .unwrap()
                .lines()
                .map(|l| l.split("--").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            let words = sql_words(&sql);
            for (i, w) in words.iter().enumerate() {
                if w.eq_ignore_ascii_case("CREATE") && words.get(i + 1).is_some_and(|t| t.eq_ignore_ascii_case("TABLE"))
                {
                    let mut j = i + 2;
                    while words
                        .get(j)
                        .is_some_and(|t| ["IF", "NOT", "EXISTS"].iter().any(|k| t.eq_ignore_ascii_case(k)))
                    {
                        j += 1;
                    }
                    let table = bare_name(&words[j]);
                    if let Some(other) = owners.insert(table.clone(), name.clone()) {
                        assert_eq!(other, name, "table {table} is created by two crates");
                    }
                }
            }
        }
    }
    owners
}

/// Each crate's non-test Rust sources (`src/`, without the files of `#[cfg(test)]` modules).
fn sources(crates: &Path) -> Vec<(String, Vec<PathBuf>)> {
    dirs(crates)
        .into_iter()
        .map(|krate| {
            let name = krate.file_name().unwrap().to_string_lossy().into_owned();
            let all = files(&krate.join("src"), "rs");
            let mut test_modules = Vec::new();
            for file in &all {
                let src = std::fs::read_to_string(file).unwrap();
                for module in lex(&src).test_modules {
                    let dir = match file.file_stem().unwrap().to_str().unwrap() {
                        "lib" | "main" | "mod" => file.parent().unwrap().to_path_buf(),
                        stem => file.parent().unwrap().join(stem),
                    };
                    test_modules.push(dir.join(&module));
                    test_modules.push(dir.join(format!("{module}.rs")));
                }
            }
            let kept = all.into_iter().filter(|f| !test_modules.iter().any(|m| f.starts_with(m))).collect();
            (name, kept)
        })
        .collect()
}

/// (line, table) for every table named in a string literal of non-test code.
fn table_references(src: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (line, text) in lex(src).literals {
        let words = sql_words(&text);
        let mut i = 0;
        while i < words.len() {
            let keyword = words[i].to_ascii_uppercase();
            i += 1;
            if !["FROM", "JOIN", "INTO", "UPDATE", "TABLE", "COPY"].contains(&keyword.as_str()) {
                continue;
            }
            while words
                .get(i)
                .is_some_and(|w| ["ONLY", "IF", "NOT", "EXISTS"].iter().any(|k| w.eq_ignore_ascii_case(k)))
            {
                i += 1;
            }
            while let Some(name) = words.get(i).filter(|w| is_name(w)) {
                out.push((line, bare_name(name)));
                i += 1;
                if keyword != "FROM" {
                    break;
                }
                // `FROM a x, b y`: skip an alias, follow a comma.
                if words.get(i).is_some_and(|w| w.eq_ignore_ascii_case("AS")) {
                    i += 1;
                }
                if words.get(i).is_some_and(|w| is_name(w) && !is_keyword(w)) {
                    i += 1;
                }
                if words.get(i).map(String::as_str) != Some(",") {
                    break;
                }
                i += 1;
            }
        }
    }
    out
}

/// Names (with dots and quotes) and single punctuation characters of SQL text.
fn sql_words(sql: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in sql.chars() {
        if c.is_alphanumeric() || c == '_' || c == '.' || c == '"' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() {
            words.push(c.to_string());
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn is_name(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '"')
}

fn is_keyword(w: &str) -> bool {
    ["WHERE", "JOIN", "LEFT", "INNER", "CROSS", "ON", "GROUP", "ORDER", "LIMIT", "SET", "USING", "UNION"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// `logs.access_log` → `access_log`; `"persons"` → `persons`.
fn bare_name(w: &str) -> String {
    w.rsplit('.').next().unwrap_or(w).trim_matches('"').to_ascii_lowercase()
}

/// What the lexer keeps of a Rust file.
#[derive(Default)]
struct Lexed {
    /// (line, decoded text) of string literals outside `#[cfg(test)]` items.
    literals: Vec<(usize, String)>,
    /// Names of `#[cfg(test)] mod name;` declarations (their files are test code).
    test_modules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Splits Rust source into identifiers, string literals and punctuation (comments, character
/// literals, lifetimes and numbers dropped), then removes the items marked `#[cfg(test)]`.
fn lex(src: &str) -> Lexed {
    let tokens = tokenize(src);
    let mut out = Lexed::default();
    let mut i = 0;
    while i < tokens.len() {
        if is_cfg_test(&tokens[i..]) {
            i += 7;
            // Further attributes, then the item: up to `;` or its closing brace.
            let mut depth = 0usize;
            let mut idents = Vec::new();
            while i < tokens.len() {
                match &tokens[i].1 {
                    Token::Punct('{' | '[' | '(') => depth += 1,
                    Token::Punct('}' | ']' | ')') => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 && tokens[i].1 == Token::Punct('}') {
                            break;
                        }
                    }
                    Token::Punct(';') if depth == 0 => {
                        if let [.., Token::Ident(m), Token::Ident(name)] = idents.as_slice() {
                            if m == "mod" {
                                out.test_modules.push(name.clone());
                            }
                        }
                        break;
                    }
                    Token::Ident(w) if depth == 0 => idents.push(Token::Ident(w.clone())),
                    _ => {}
                }
                i += 1;
            }
        } else if let Token::Str(s) = &tokens[i].1 {
            out.literals.push((tokens[i].0, s.clone()));
        }
        i += 1;
    }
    out
}

fn is_cfg_test(t: &[(usize, Token)]) -> bool {
    let want = [
        Token::Punct('#'),
        Token::Punct('['),
        Token::Ident("cfg".into()),
        Token::Punct('('),
        Token::Ident("test".into()),
        Token::Punct(')'),
        Token::Punct(']'),
    ];
    t.len() >= want.len() && t.iter().zip(&want).all(|((_, a), b)| a == b)
}

fn tokenize(src: &str) -> Vec<(usize, Token)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let newlines = |s: &[char]| s.iter().filter(|&&ch| ch == '\n').count();
    while i < c.len() {
        let start = i;
        let start_line = line;
        match c[i] {
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if c.get(i + 1) == Some(&'*') => {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            '"' => {
                let (text, end) = quoted(&c, i + 1);
                out.push((start_line, Token::Str(text)));
                i = end;
            }
            'r' | 'b' if raw_start(&c, i).is_some() => {
                let (hashes, open) = raw_start(&c, i).unwrap();
                let mut j = open + 1;
                while j < c.len()
                    && !(c[j] == '"' && c[j + 1..].iter().take(hashes).filter(|&&h| h == '#').count() == hashes)
                {
                    j += 1;
                }
                out.push((start_line, Token::Str(c[open + 1..j.min(c.len())].iter().collect())));
                i = j + 1 + hashes;
            }
            'b' if c.get(i + 1) == Some(&'"') => {
                let (text, end) = quoted(&c, i + 2);
                out.push((start_line, Token::Str(text)));
                i = end;
            }
            '\'' => {
                // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
                if c.get(i + 1) == Some(&'\\') {
                    i += 2;
                    while i < c.len() && c[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if c.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            ch if ch.is_alphabetic() || ch == '_' => {
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                out.push((start_line, Token::Ident(c[start..i].iter().collect())));
            }
            ch if ch.is_ascii_digit() => {
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
            ch if ch.is_whitespace() => i += 1,
            ch => {
                out.push((start_line, Token::Punct(ch)));
                i += 1;
            }
        }
        line += newlines(&c[start..i.min(c.len())]);
    }
    out
}

/// `r"`, `r#"`, `br"`…: the number of hashes and the index of the opening quote.
fn raw_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if c[j] == 'b' {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&h| h == '#').count();
    (c.get(j + hashes) == Some(&'"')).then_some((hashes, j + hashes))
}

/// The decoded text of a `"…"` literal whose content starts at `i`, and the index after it. A
/// backslash before a line break joins the lines with one space, as the SQL reads.
fn quoted(c: &[char], mut i: usize) -> (String, usize) {
    let mut text = String::new();
    while i < c.len() && c[i] != '"' {
        if c[i] == '\\' {
            i += 1;
            match c.get(i) {
                Some('\n') => {
                    while i < c.len() && c[i].is_whitespace() {
                        i += 1;
                    }
                    text.push(' ');
                    continue;
                }
                Some('n') => text.push('\n'),
                Some(&other) => text.push(other),
                None => {}
            }
            i += 1;
        } else {
            text.push(c[i]);
            i += 1;
        }
    }
    (text, i + 1)
}

fn dirs(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    out.sort();
    out
}

/// Files with extension `ext` under `root`, recursively, sorted.
fn files(root: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
