//! The served OpenAPI document. Business crates describe their own operations (parameters, bodies,
//! successful responses and the errors particular to them); what every operation shares is added
//! here, in one pass over the merged document, so that no annotation can forget it: the error body
//! and the security schemes as components, the default security requirement, and the error
//! statuses that the shared extractors and guards produce.

use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Components, ContentBuilder, OpenApi, Ref, RefOr, Required, Response};
use utoipa::{PartialSchema, ToSchema};

use crate::auth::SESSION_COOKIE;
use crate::error::ErrorBody;

/// Security scheme of `Authorization: Bearer …` (personal API tokens and OAuth access tokens).
pub const BEARER: &str = "bearer";
/// Security scheme of the browser session cookie.
pub const SESSION: &str = "session";

/// Error statuses every operation may answer with, when it applies (see [`complete`]).
const INVALID_INPUT: &str = "invalid_input (naming the parameter or field) or another input error";
const UNAUTHENTICATED: &str = "unauthenticated: no valid session or bearer token";
const FORBIDDEN: &str = "forbidden: role or token scope not allowed, or csrf_failed: a session write without \
                         a matching X-CSRF-Token header";
const NOT_FOUND: &str = "not_found";
const INTERNAL: &str = "internal: storage or another server-side failure";

/// Completes the merged document of every business crate:
///
/// - the JSON error body becomes the `ErrorBody` component, and every error response that does not
///   describe a body of its own gets it;
/// - security schemes `bearer` and `session`; an operation without a `security` annotation requires
///   one of them (public operations say so with `security(())`);
/// - responses the shared machinery produces: 400 when the operation reads parameters or a body
///   (the `Api*` extractors), 401 and 403 when it has no `security` annotation of its own (the
///   caller comes from `CurrentUser`, then role guards and CSRF), 404 when its path names a
///   resource, and 500 everywhere.
pub fn complete(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Components::new);
    components.schemas.insert(ErrorBody::name().into_owned(), ErrorBody::schema());
    let mut nested = Vec::new();
    ErrorBody::schemas(&mut nested);
    components.schemas.extend(nested);
    components.security_schemes.insert(
        BEARER.into(),
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("dct_… personal API token, or an OAuth access token")
                .description(Some(
                    "A personal API token (`dct_…`) or an access token of an organization's OAuth client",
                ))
                .build(),
        ),
    );
    components.security_schemes.insert(
        SESSION.into(),
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "The browser session; state-changing calls must also send the session's X-CSRF-Token header",
        ))),
    );
    let authenticated = vec![SecurityRequirement::new(BEARER, [""; 0]), SecurityRequirement::new(SESSION, [""; 0])];
    let mut request_schemas = Vec::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        let names_resource = path.contains('{');
        for op in [&mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten() {
            if op.security.is_none() {
                accept_idempotency_key(op);
            }
        }
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(op, names_resource, &authenticated);
            if let Some(body) = &op.request_body {
                let json = body.content.get("application/json").and_then(|c| c.schema.as_ref());
                request_schemas.extend(json.and_then(ref_name));
            }
        }
    }
    if let Some(components) = doc.components.as_mut() {
        close_objects(components, request_schemas);
    }
    doc
}

/// The `Idempotency-Key` header of signed-in writes ([`crate::idempotency`]) and the answers it
/// adds, unless the operation documents its own.
fn accept_idempotency_key(op: &mut Operation) {
    let parameters = op.parameters.get_or_insert_with(Vec::new);
    if !parameters.iter().any(|p| p.name.eq_ignore_ascii_case("idempotency-key")) {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(100))
            .pattern(Some("^[!-~]+$"));
        parameters.push(
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Retry key (1 to 100 visible ASCII characters): a retry with the same key and request gets the first \
                     answer again with `Idempotent-Replayed: true`",
                ))
                .schema(Some(schema))
                .build(),
        );
    }
    let responses = &mut op.responses.responses;
    responses.entry("409".into()).or_insert_with(|| {
        RefOr::T(Response::new("request_in_progress: a request with the same Idempotency-Key is running (Retry-After)"))
    });
    responses.entry("422".into()).or_insert_with(|| {
        RefOr::T(Response::new("idempotency_key_reused: the Idempotency-Key was sent with another request"))
    });
}

/// The component a schema refers to.
fn ref_name(schema: &RefOr<Schema>) -> Option<String> {
    match schema {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().map(str::to_owned),
        RefOr::T(_) => None,
    }
}

/// Request bodies with a field their type does not have are refused ([`crate::extract::ApiJson`]):
/// their schemas, and the schemas they refer to, say so with `additionalProperties: false`.
fn close_objects(components: &mut Components, mut names: Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    while let Some(name) = names.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) else { continue };
        if object.additional_properties.is_none() {
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
        for property in object.properties.values() {
            names.extend(referenced(property));
        }
    }
}

/// Components a property refers to, directly or as the items of an array.
fn referenced(schema: &RefOr<Schema>) -> Vec<String> {
    match schema {
        RefOr::Ref(_) => ref_name(schema).into_iter().collect(),
        RefOr::T(Schema::Array(array)) => match &array.items {
            ArrayItems::RefOrSchema(items) => referenced(items),
            ArrayItems::False => Vec::new(),
        },
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter().flat_map(referenced).collect(),
        RefOr::T(Schema::AllOf(all_of)) => all_of.items.iter().flat_map(referenced).collect(),
        _ => Vec::new(),
    }
}

fn complete_operation(op: &mut Operation, names_resource: bool, authenticated: &[SecurityRequirement]) {
    // Operations that declare their own security (public ones, OAuth endpoints) answer for their
    // own authentication errors; the others go through `CurrentUser` and the role guards.
    let signed_in = op.security.is_none();
    if signed_in {
        op.security = Some(authenticated.to_vec());
    }
    let reads_input = op.request_body.is_some()
        || op.parameters.as_ref().is_some_and(|ps| ps.iter().any(|p| p.parameter_in != ParameterIn::Cookie));
    let shared = [
        (reads_input, "400", INVALID_INPUT),
        (signed_in, "401", UNAUTHENTICATED),
        (signed_in, "403", FORBIDDEN),
        (names_resource, "404", NOT_FOUND),
        (true, "500", INTERNAL),
    ];
    let responses = &mut op.responses.responses;
    for (applies, status, description) in shared {
        if applies {
            responses.entry(status.into()).or_insert_with(|| RefOr::T(Response::new(description)));
        }
    }
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(response) = response {
            let error = status.parse::<u16>().is_ok_and(|s| s >= 400);
            if error && response.content.is_empty() {
                response.content.insert("application/json".into(), error_content());
            }
        }
    }
}

fn error_content() -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build()
}
