//! JSON API of the exchange: the signed service calls of members' systems, the public catalogue,
//! keys and transparency log, and the administrators' configuration (members, subsystems, keys,
//! rights).

use audit::security::{Kind, SecurityEvent};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use web::extract::{ApiJson, ApiPath, ApiQuery};
use web::{ApiError, ApiResult, CurrentUser};

use crate::catalogue::{self, Purpose, Service};
use crate::gateway::{Gateway, MAX_MESSAGE};
use crate::members::{self, Member, MemberClass, Status};
use crate::rights::{self, Grant, Right};
use crate::subscriptions::{self, NewSubscription, Subscription};

/// A signed call: the body is the request as a compact JWS (`application/jose`), the answer the
/// response as a compact JWS signed by the platform key. Refusals are JSON errors with an
/// `exchange.*` code and change nothing.
#[utoipa::path(post, operation_id = "exchange.call", security(()), path = "/api/v1/exchange/services/{service}", tag = "exchange",
    params(("service" = String, Path, description = "A service code of the catalogue, e.g. `person.verify`")),
    request_body(content = String, content_type = "application/jose", description = "The request, a compact JWS (docs/EXCHANGE.md)"),
    responses((status = 200, content_type = "application/jose", description = "The response, a compact JWS signed by the platform"),
              (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 413), (status = 429)))]
pub async fn call(State(g): State<Gateway>, ApiPath(service): ApiPath<String>, body: Body) -> Response {
    let now = kernel::clock::now_ms();
    // One byte over the limit is enough to know the message is too large.
    let raw = match axum::body::to_bytes(body, MAX_MESSAGE + 1).await {
        Ok(b) => b,
        Err(_) => return refused(AppError::new(ErrorCode::ExchangeTooLarge, "the message is too large"), None),
    };
    let started = std::time::Instant::now();
    let result = g.call(&service, &raw, now).await;
    monitor(&service, &result, started.elapsed());
    match result {
        Ok(answered) => ([(header::CONTENT_TYPE, "application/jose")], answered.jws).into_response(),
        Err(r) => refused(r.error, r.member),
    }
}

/// Operational monitoring as X-Road's: requests per service, member and outcome (`answered` or
/// the refusal's code) and their durations, on `/metrics`. Labels are bounded: a service outside
/// the catalogue counts as `unknown`, and the member is named only on answered calls (a refused
/// message's member claim may be anything a caller typed).
fn monitor(service: &str, result: &Result<crate::Answered, crate::Refused>, took: std::time::Duration) {
    let service = Service::find(service).map_or("unknown", |s| s.code);
    let (member, outcome) = match result {
        Ok(a) => (a.claims.aud.clone(), "answered"),
        Err(r) => ("-".to_string(), r.error.code.as_str()),
    };
    metrics::counter!("dancu_exchange_requests_total", "service" => service, "member" => member, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("dancu_exchange_request_duration_seconds", "service" => service).record(took.as_secs_f64());
}

/// A refusal as the JSON error body, with a security event for the SOC naming the member the
/// message claimed (never the person asked about).
fn refused(error: AppError, member: Option<String>) -> Response {
    let mut event = SecurityEvent::new(Kind::ExchangeRefused, error.code.as_str());
    if let Some(m) = member {
        event = event.about(format!("exchange:{m}"));
    }
    let internal = error.code == ErrorCode::Internal;
    let mut resp = ApiError(error).into_response();
    if !internal {
        web::security::note(&mut resp, event);
    }
    resp
}

/// The services published, with their fields.
#[utoipa::path(get, operation_id = "exchange.services", security(()), path = "/api/v1/exchange/services", tag = "exchange",
    responses((status = 200, body = [Service])))]
pub async fn services() -> Json<&'static [Service]> {
    Json(catalogue::SERVICES)
}

/// The purposes (legal bases) a request may name.
#[utoipa::path(get, operation_id = "exchange.purposes", security(()), path = "/api/v1/exchange/purposes", tag = "exchange",
    responses((status = 200, body = [Purpose])))]
pub async fn purposes() -> Json<&'static [Purpose]> {
    Json(catalogue::PURPOSES)
}

/// The platform's public keys: responses and signed tree heads verify against them.
#[utoipa::path(get, operation_id = "exchange.jwks", security(()), path = "/api/v1/exchange/jwks.json", tag = "exchange",
    responses((status = 200)))]
pub async fn jwks(State(g): State<Gateway>) -> Json<serde_json::Value> {
    Json(g.ring.jwks())
}

/// A signed tree head of the transparency log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExchangeTreeHead)]
pub struct TreeHead {
    pub tree_size: u64,
    /// Base64.
    pub root_hash: String,
    /// UTC milliseconds.
    pub timestamp: i64,
    /// The compact JWS (signed by the platform key) whose claims are the three values above.
    pub jws: String,
}

impl From<translog::SignedHead> for TreeHead {
    fn from(h: translog::SignedHead) -> Self {
        TreeHead { tree_size: h.tree_size, root_hash: STANDARD.encode(h.root_hash), timestamp: h.timestamp, jws: h.jws }
    }
}

/// The newest signed tree head; one is signed now if the log has grown since the last.
#[utoipa::path(get, operation_id = "exchange.log.head", security(()), path = "/api/v1/exchange/log/head", tag = "exchange",
    responses((status = 200, body = TreeHead)))]
pub async fn log_head(State(g): State<Gateway>) -> ApiResult<Json<TreeHead>> {
    Ok(Json(translog::sign_head(&g.stores.db, &g.ring, kernel::clock::now_ms()).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    /// The entry's index.
    pub index: u64,
    /// The size of the tree (of a signed head) the proof is for.
    pub tree_size: u64,
}

/// A Merkle audit path or consistency proof: hashes in base64, in the order of RFC 9162.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExchangeProof)]
pub struct Proof {
    pub hashes: Vec<String>,
}

fn proof(hashes: Option<Vec<translog::Hash>>, what: &str) -> ApiResult<Json<Proof>> {
    let hashes = hashes.ok_or_else(|| AppError::invalid(format!("no {what} proof for these sizes")))?;
    Ok(Json(Proof { hashes: hashes.iter().map(|h| STANDARD.encode(h)).collect() }))
}

/// The inclusion proof of an entry in a tree (RFC 9162 §2.1.3).
#[utoipa::path(get, operation_id = "exchange.log.inclusion", security(()), path = "/api/v1/exchange/log/proof/inclusion", tag = "exchange",
    params(InclusionParams), responses((status = 200, body = Proof), (status = 400)))]
pub async fn log_inclusion(State(g): State<Gateway>, ApiQuery(p): ApiQuery<InclusionParams>) -> ApiResult<Json<Proof>> {
    proof(translog::store::inclusion(&g.stores.db, p.index, p.tree_size).await?, "inclusion")
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    pub first: u64,
    pub second: u64,
}

/// The consistency proof between two tree sizes (RFC 9162 §2.1.4).
#[utoipa::path(get, operation_id = "exchange.log.consistency", security(()), path = "/api/v1/exchange/log/proof/consistency", tag = "exchange",
    params(ConsistencyParams), responses((status = 200, body = Proof), (status = 400)))]
pub async fn log_consistency(
    State(g): State<Gateway>,
    ApiQuery(p): ApiQuery<ConsistencyParams>,
) -> ApiResult<Json<Proof>> {
    proof(translog::store::consistency(&g.stores.db, p.first, p.second).await?, "consistency")
}

/// One entry of the log: exchanges hold codes and digests only.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExchangeLogEntryView)]
pub struct LogEntryView {
    pub index: u64,
    /// The entry's bytes, base64 (a JSON document for exchanges).
    pub entry: String,
    pub leaf_hash: String,
}

/// An entry of the log, so a member can check what was recorded of its exchange.
#[utoipa::path(get, operation_id = "exchange.log.entry", security(()), path = "/api/v1/exchange/log/entries/{index}", tag = "exchange",
    params(("index" = u64, Path)), responses((status = 200, body = LogEntryView), (status = 404)))]
pub async fn log_entry(State(g): State<Gateway>, ApiPath(index): ApiPath<u64>) -> ApiResult<Json<LogEntryView>> {
    let e = translog::store::entry(&g.stores.db, index).await?.ok_or_else(|| AppError::not_found("log entry"))?;
    Ok(Json(LogEntryView { index: e.index, entry: STANDARD.encode(&e.data), leaf_hash: STANDARD.encode(e.leaf_hash) }))
}

/// A new member.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ExchangeNewMember)]
pub struct NewMember {
    pub code: String,
    pub name: String,
    pub class: MemberClass,
}

/// Register a member (administrators); it starts pending.
#[utoipa::path(post, operation_id = "exchange.members.create", path = "/api/v1/exchange/members", tag = "exchange",
    request_body = NewMember, responses((status = 201), (status = 400), (status = 403), (status = 409)))]
pub async fn create_member(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiJson(b): ApiJson<NewMember>,
) -> ApiResult<StatusCode> {
    members::register_member(&g.stores, &user, &b.code, &b.name, b.class, kernel::clock::now_ms()).await?;
    Ok(StatusCode::CREATED)
}

/// Every member with its subsystems and keys (administrators).
#[utoipa::path(get, operation_id = "exchange.members.list", path = "/api/v1/exchange/members", tag = "exchange",
    responses((status = 200, body = [Member]), (status = 403)))]
pub async fn list_members(State(g): State<Gateway>, user: CurrentUser) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(members::list(&g.stores.db, &user).await?))
}

/// A change of status.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ExchangeStatusChange)]
pub struct StatusChange {
    pub status: Status,
    /// Required to suspend.
    #[serde(default)]
    pub reason: String,
}

/// Approve or suspend a member (administrators); a suspended member is refused at its next call.
#[utoipa::path(post, operation_id = "exchange.members.status", path = "/api/v1/exchange/members/{member}/status", tag = "exchange",
    params(("member" = String, Path)), request_body = StatusChange, responses((status = 204), (status = 403), (status = 404)))]
pub async fn member_status(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiPath(member): ApiPath<String>,
    ApiJson(b): ApiJson<StatusChange>,
) -> ApiResult<StatusCode> {
    members::set_member_status(&g.stores, &user, &member, b.status, &b.reason, kernel::clock::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new subsystem.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ExchangeNewSubsystem)]
pub struct NewSubsystem {
    pub code: String,
    pub name: String,
}

/// Add a subsystem (information system) to a member (administrators).
#[utoipa::path(post, operation_id = "exchange.subsystems.create", path = "/api/v1/exchange/members/{member}/subsystems", tag = "exchange",
    params(("member" = String, Path)), request_body = NewSubsystem, responses((status = 201), (status = 403), (status = 404), (status = 409)))]
pub async fn create_subsystem(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiPath(member): ApiPath<String>,
    ApiJson(b): ApiJson<NewSubsystem>,
) -> ApiResult<StatusCode> {
    members::add_subsystem(&g.stores, &user, &member, &b.code, &b.name, kernel::clock::now_ms()).await?;
    Ok(StatusCode::CREATED)
}

/// Suspend or re-approve a subsystem (administrators).
#[utoipa::path(post, operation_id = "exchange.subsystems.status", path = "/api/v1/exchange/members/{member}/subsystems/{subsystem}/status", tag = "exchange",
    params(("member" = String, Path), ("subsystem" = String, Path)), request_body = StatusChange, responses((status = 204), (status = 403), (status = 404)))]
pub async fn subsystem_status(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiPath((member, subsystem)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<StatusChange>,
) -> ApiResult<StatusCode> {
    members::set_subsystem_status(&g.stores, &user, &member, &subsystem, b.status, kernel::clock::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A public key for a subsystem.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ExchangeNewKey)]
pub struct NewKey {
    /// The public JWK (no private parts).
    #[schema(value_type = Object)]
    pub jwk: serde_json::Value,
    /// UTC milliseconds; default now.
    #[serde(default)]
    pub valid_from: Option<i64>,
    /// UTC milliseconds; none = until retired.
    #[serde(default)]
    pub valid_to: Option<i64>,
}

/// The kid a key was registered under.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExchangeKeyAdded)]
pub struct KeyAdded {
    pub kid: String,
}

/// Register a subsystem's public key (administrators). Add the new key before retiring the old
/// one: both verify during the overlap.
#[utoipa::path(post, operation_id = "exchange.keys.create", path = "/api/v1/exchange/members/{member}/subsystems/{subsystem}/keys", tag = "exchange",
    params(("member" = String, Path), ("subsystem" = String, Path)), request_body = NewKey,
    responses((status = 201, body = KeyAdded), (status = 400), (status = 403), (status = 404), (status = 409)))]
pub async fn create_key(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiPath((member, subsystem)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<NewKey>,
) -> ApiResult<(StatusCode, Json<KeyAdded>)> {
    let now = kernel::clock::now_ms();
    let kid = members::add_key(
        &g.stores,
        &user,
        &member,
        &subsystem,
        &b.jwk,
        members::Validity { from: b.valid_from.unwrap_or(now), to: b.valid_to },
        now,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(KeyAdded { kid })))
}

/// The end of a key's validity.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ExchangeRetireKey)]
pub struct RetireKey {
    /// UTC milliseconds; default now.
    #[serde(default)]
    pub valid_to: Option<i64>,
}

/// Retire a subsystem key at a time (administrators): the end of a rotation's overlap, or now.
#[utoipa::path(post, operation_id = "exchange.keys.retire", path = "/api/v1/exchange/keys/{kid}/retire", tag = "exchange",
    params(("kid" = String, Path)), request_body = RetireKey, responses((status = 204), (status = 403), (status = 404)))]
pub async fn retire_key(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiPath(kid): ApiPath<String>,
    ApiJson(b): ApiJson<RetireKey>,
) -> ApiResult<StatusCode> {
    let now = kernel::clock::now_ms();
    members::retire_key(&g.stores, &user, &kid, b.valid_to.unwrap_or(now), now).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RightsParams {
    /// Only this member's rights.
    pub member: Option<String>,
}

/// Rights, revoked ones included (administrators).
#[utoipa::path(get, operation_id = "exchange.rights.list", path = "/api/v1/exchange/rights", tag = "exchange",
    params(RightsParams), responses((status = 200, body = [Right]), (status = 403)))]
pub async fn list_rights(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<RightsParams>,
) -> ApiResult<Json<Vec<Right>>> {
    Ok(Json(rights::list(&g.stores.db, &user, p.member.as_deref()).await?))
}

/// The id of a granted right.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExchangeGranted)]
pub struct Granted {
    pub id: String,
}

/// Grant a right (administrators); recorded as a security event.
#[utoipa::path(post, operation_id = "exchange.rights.grant", path = "/api/v1/exchange/rights", tag = "exchange",
    request_body = Grant, responses((status = 201, body = Granted), (status = 400), (status = 403), (status = 404)))]
pub async fn grant_right(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiJson(b): ApiJson<Grant>,
) -> ApiResult<(StatusCode, Json<Granted>)> {
    let id = rights::grant(&g.stores, &user, &b, kernel::clock::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(Granted { id })))
}

/// Revoke a right from now on (administrators); recorded as a security event.
#[utoipa::path(post, operation_id = "exchange.rights.revoke", path = "/api/v1/exchange/rights/{id}/revoke", tag = "exchange",
    params(("id" = String, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn revoke_right(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    rights::revoke(&g.stores, &user, &id, kernel::clock::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The id of a created subscription.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExchangeSubscribed)]
pub struct Subscribed {
    pub id: String,
}

/// Subscribe a member's subsystem to deaths and moves (administrators): needs a right to
/// `person.changes` for the purpose covering the kinds; delivery starts with the changes made from
/// now on, over the HTTP callback or the NATS subject given.
#[utoipa::path(post, operation_id = "exchange.subscriptions.create", path = "/api/v1/exchange/subscriptions", tag = "exchange",
    request_body = NewSubscription, responses((status = 201, body = Subscribed), (status = 400), (status = 403)))]
pub async fn create_subscription(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiJson(b): ApiJson<NewSubscription>,
) -> ApiResult<(StatusCode, Json<Subscribed>)> {
    let id = subscriptions::create(&g.stores, &user, &b, kernel::clock::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(Subscribed { id })))
}

/// Subscriptions with their checkpoint, deliveries and last failure (administrators).
#[utoipa::path(get, operation_id = "exchange.subscriptions.list", path = "/api/v1/exchange/subscriptions", tag = "exchange",
    responses((status = 200, body = [Subscription]), (status = 403)))]
pub async fn list_subscriptions(State(g): State<Gateway>, user: CurrentUser) -> ApiResult<Json<Vec<Subscription>>> {
    Ok(Json(subscriptions::list(&g.stores.db, &user).await?))
}

/// Cancel a subscription (administrators).
#[utoipa::path(post, operation_id = "exchange.subscriptions.cancel", path = "/api/v1/exchange/subscriptions/{id}/cancel", tag = "exchange",
    params(("id" = String, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn cancel_subscription(
    State(g): State<Gateway>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    subscriptions::cancel(&g.stores, &user, &id, kernel::clock::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        call,
        services,
        purposes,
        jwks,
        log_head,
        log_inclusion,
        log_consistency,
        log_entry,
        create_member,
        list_members,
        member_status,
        create_subsystem,
        subsystem_status,
        create_key,
        retire_key,
        list_rights,
        grant_right,
        revoke_right,
        create_subscription,
        list_subscriptions,
        cancel_subscription
    ),
    components(schemas(
        Service,
        catalogue::Field,
        Purpose,
        TreeHead,
        Proof,
        LogEntryView,
        NewMember,
        MemberClass,
        Member,
        members::Subsystem,
        members::SubsystemKey,
        Status,
        StatusChange,
        NewSubsystem,
        NewKey,
        KeyAdded,
        RetireKey,
        Grant,
        Right,
        Granted,
        NewSubscription,
        Subscription,
        subscriptions::Transport,
        Subscribed
    ))
)]
pub struct ApiDoc;
