//! The served OpenAPI document: checks of the rules of OpenAPI 3.1 that generated documents break
//! (`.ci/run` also runs `openapi-spec-validator` and `schemathesis` against the demo), and the
//! constraints it declares are the ones the server enforces.

use crate::common;

use std::collections::{BTreeSet, HashSet};

use common::world;
use kernel::page::{MAX_PAGE, MAX_PAGE_SIZE};
use serde_json::Value;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Every operation of the document with its path and method.
fn operations(doc: &Value) -> Vec<(String, &'static str, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.clone(), method, op));
            }
        }
    }
    out
}

/// Every `$ref` anywhere in the document.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Resolves a local JSON pointer (`#/components/schemas/X`).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// The `{name}` segments of a path template.
fn template_names(path: &str) -> BTreeSet<String> {
    path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).map(str::to_string).collect()
}

fn check_document(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if !doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")) {
        problems.push(format!("openapi version {}", doc["openapi"]));
    }
    let schemes: HashSet<&str> = doc["components"]["securitySchemes"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut ids = HashSet::new();
    for (path, method, op) in operations(doc) {
        let at = format!("{method} {path}");
        match op["operationId"].as_str() {
            None => problems.push(format!("{at}: no operationId")),
            Some(id) if !ids.insert(id.to_string()) => problems.push(format!("{at}: operationId {id} is not unique")),
            Some(_) => {}
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let mut seen = HashSet::new();
        let mut in_path = BTreeSet::new();
        for p in &params {
            let (name, place) = (p["name"].as_str().unwrap_or(""), p["in"].as_str().unwrap_or(""));
            if !["query", "header", "path", "cookie"].contains(&place) {
                problems.push(format!("{at}: parameter {name} in {place:?}"));
            }
            if !seen.insert((name, place)) {
                problems.push(format!("{at}: parameter {name} in {place} declared twice"));
            }
            if place == "path" {
                in_path.insert(name.to_string());
                if p["required"] != Value::Bool(true) {
                    problems.push(format!("{at}: path parameter {name} is not required"));
                }
            }
        }
        if in_path != template_names(&path) {
            problems.push(format!("{at}: path parameters {in_path:?} do not match the template"));
        }
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        if !responses.keys().any(|s| s.starts_with('2')) {
            problems.push(format!("{at}: no success response"));
        }
        for (status, r) in &responses {
            if status.parse::<u16>().is_ok_and(|s| s >= 400) && r["content"].as_object().is_none_or(|c| c.is_empty()) {
                problems.push(format!("{at}: error response {status} has no body"));
            }
        }
        match op["security"].as_array() {
            None => problems.push(format!("{at}: no security requirement")),
            Some(reqs) => {
                for name in reqs.iter().filter_map(Value::as_object).flat_map(|r| r.keys()) {
                    if !schemes.contains(name.as_str()) {
                        problems.push(format!("{at}: unknown security scheme {name}"));
                    }
                }
                let signed_in = reqs.iter().all(|r| r.as_object().is_some_and(|r| !r.is_empty()));
                if signed_in && !responses.contains_key("401") {
                    problems.push(format!("{at}: needs a caller but does not document 401"));
                }
            }
        }
    }
    let mut all = Vec::new();
    refs(doc, &mut all);
    for r in all {
        if resolve(doc, r).is_none() {
            problems.push(format!("$ref {r} does not resolve"));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_is_valid_and_its_bounds_are_enforced() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = world(t.db().clone(), 200, false).await;
    let (s, doc) = w.get("", "/api/openapi.json").await;
    assert_eq!(s, 200);
    let problems = check_document(&doc);
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));

    // The checks catch what generated documents used to get wrong.
    let mut broken = doc.clone();
    let search = &mut broken["paths"]["/api/v1/persons"]["get"];
    search["operationId"] = Value::from("registry.persons.get");
    search["parameters"][0]["in"] = Value::from("path");
    broken["paths"]["/api/v1/persons/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        ["$ref"] = Value::from("#/components/schemas/Missing");
    let found = check_document(&broken);
    assert!(found.iter().any(|p| p.contains("registry.persons.get is not unique")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("do not match the template")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("Missing does not resolve")), "{found:?}");

    // Page numbers and sizes are bounded as `PageRequest` bounds them, and values beyond are
    // refused by name.
    let mut paginated = 0;
    for (path, method, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            let maximum = match p["name"].as_str() {
                Some("size") => MAX_PAGE_SIZE,
                Some("page") => MAX_PAGE,
                _ => continue,
            };
            paginated += 1;
            assert_eq!(
                (&p["schema"]["minimum"], &p["schema"]["maximum"]),
                (&1.into(), &maximum.into()),
                "{method} {path}"
            );
        }
    }
    assert!(paginated >= 20, "{paginated} pagination parameters");
    let (s, body) = w.get(&w.province_token, &format!("/api/v1/persons?page={}", MAX_PAGE as u64 + 1)).await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("bad_pagination")), "{body}");
    let (s, body) = w.get(&w.province_token, &format!("/api/v1/persons?size={}", MAX_PAGE_SIZE + 1)).await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("bad_pagination")), "{body}");
    assert!(body["error"]["detail"].as_str().unwrap().contains("size"), "{body}");

    // The error body the server sends is the one the document describes.
    let schema = &doc["components"]["schemas"]["ErrorDetail"];
    let declared: BTreeSet<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    let sent: BTreeSet<&str> = body["error"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(declared, sent);
}
