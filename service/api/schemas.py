"""Wire models of the HTTP API: strict (unknown fields and wrong types are 422), capped, and documented.

Requests end in `Request`, responses in `Response`, nested parts in `Out`/`In`. Responses are built as plain
dicts on the hot path (see `api.convert`); these models describe them in the OpenAPI schema and tests hold the
two together.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from service.notify.webhooks import MAX_REPLAY_EVENTS, MAX_URL_CHARS, URL_PATTERN
from service.screening.limits import (
    DEFAULT_LIMIT,
    MAX_ALIASES,
    MAX_COUNTRIES,
    MAX_COUNTRY_CHARS,
    MAX_EXCLUDE_IDS,
    MAX_FILTER_ITEMS,
    MAX_IDENTIFIER_CHARS,
    MAX_IDENTIFIERS,
    MAX_LIMIT,
    MAX_NAME_CHARS,
    MAX_REASON_CHARS,
    MAX_REF_CHARS,
)

KindIn = Literal["person", "organization", "vessel", "aircraft", "any"]
KindOut = Literal["person", "organization", "vessel", "aircraft", "unknown"]
NameStr = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]
IdentifierStr = Annotated[str, StringConstraints(min_length=1, max_length=MAX_IDENTIFIER_CHARS)]
CountryStr = Annotated[str, StringConstraints(min_length=1, max_length=MAX_COUNTRY_CHARS)]
RefStr = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REF_CHARS)]
LIST_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"  # the OpenAPI schema narrows it to the served ids (app.py)
ListIdStr = Annotated[str, StringConstraints(pattern=LIST_ID_PATTERN)]
EntityIdStr = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ProgramStr = Annotated[str, StringConstraints(min_length=1, max_length=200)]
BirthDateStr = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$")]
Threshold = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


def _integral_float(value: object) -> object:
    # JSON Schema counts 10.0 as an integer; strict mode would not. Strings and bools stay refused.
    return int(value) if isinstance(value, float) and value.is_integer() else value


Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT), BeforeValidator(_integral_float)]


class _Strict(BaseModel):
    # strict: "limit": "10" is a 422, not 10; forbid: a misspelt field is a 422, not silently ignored.
    model_config = ConfigDict(extra="forbid", strict=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests -------------------------------------------------------------------------------------------------


# "Something to screen": a character that is not whitespace as Python's str.strip() sees it. Spelt out (no
# `\\s`) so the JSON Schema regex engine and Python's agree exactly on what counts.
_VISIBLE = (
    "[^\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
_HAS_VISIBLE = re.compile(_VISIBLE)
_SOMETHING_TO_SCREEN: dict[str, Any] = {
    "anyOf": [
        {"required": ["name"], "properties": {"name": {"type": "string", "pattern": _VISIBLE}}},
        {"required": ["identifiers"], "properties": {"identifiers": {"contains": {"pattern": _VISIBLE}}}},
    ]
}


def has_something_to_screen(name: str | None, identifiers: list[str]) -> bool:
    return bool(name and _HAS_VISIBLE.search(name)) or any(_HAS_VISIBLE.search(i) for i in identifiers)


class PartyIn(_Strict):
    """One party: `name` or `identifiers` is required, the rest corroborates."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_SOMETHING_TO_SCREEN)

    name: NameStr | None = Field(None, examples=["Nicolas Maduro Moros"])
    type: KindIn = Field("any", description="what the party is; `any` when unknown")
    aliases: list[NameStr] = Field(default_factory=list, max_length=MAX_ALIASES)
    identifiers: list[IdentifierStr] = Field(
        default_factory=list,
        max_length=MAX_IDENTIFIERS,
        description="passport, registration, IMO, tail number, ... as written",
        examples=[["RA-78765"]],
    )
    birth_date: BirthDateStr | None = Field(None, description="ISO date or prefix: 1962-11-23, 1962-11 or 1962")
    countries: list[CountryStr] = Field(default_factory=list, max_length=MAX_COUNTRIES, examples=[["VE"]])

    @model_validator(mode="after")
    def _something_to_screen(self) -> PartyIn:
        if not has_something_to_screen(self.name, self.identifiers):
            raise ValueError("name or identifiers is required")
        return self


class FiltersIn(_Strict):
    lists: list[ListIdStr] | None = Field(None, max_length=MAX_FILTER_ITEMS, description="list ids; all when absent")
    kinds: list[KindOut] | None = Field(None, max_length=5, description="only hits of these entity types")
    programs: list[ProgramStr] | None = Field(
        None, max_length=MAX_FILTER_ITEMS, description="only hits listed under one of these programmes"
    )
    exclude_entity_ids: list[EntityIdStr] = Field(
        default_factory=list,
        max_length=MAX_EXCLUDE_IDS,
        description="entity ids a reviewer has cleared as false positives for this party",
    )


class ScreenRequest(PartyIn, FiltersIn):
    threshold: Threshold | None = Field(None, description="score from which a hit is a match; server default if absent")
    limit: Limit = DEFAULT_LIMIT
    ref: RefStr | None = Field(
        None, description="your key for this party: hits carry the reviewers' decisions recorded for it"
    )


class BatchItemIn(PartyIn, FiltersIn):
    ref: RefStr = Field(..., description="your reference for this query, echoed in its result")
    threshold: Threshold | None = None
    limit: Limit | None = None


class BatchRequest(FiltersIn):
    queries: list[BatchItemIn] = Field(..., min_length=1, description="up to the server's batch cap (1,000)")
    threshold: Threshold | None = None
    limit: Limit = DEFAULT_LIMIT


class CompareRequest(_Strict):
    query: PartyIn
    candidate: PartyIn
    threshold: Threshold | None = None


class TextRequest(_Strict):
    text: Annotated[str, StringConstraints(min_length=1)] = Field(
        ..., description="free text: an article, a manifest, an invoice (capped by SANCTIONS_MAX_TEXT_CHARS)"
    )
    threshold: Threshold | None = None
    lists: list[ListIdStr] | None = Field(None, max_length=MAX_FILTER_ITEMS)


class SyncRequest(_Strict):
    lists: list[ListIdStr] | None = Field(None, max_length=MAX_FILTER_ITEMS, description="all configured when absent")


# --- responses ------------------------------------------------------------------------------------------------


class ErrorResponse(_Out):
    detail: Any = Field(..., description="a message, or the list of validation errors")
    error_id: str | None = Field(None, description="quote it to the operator; the log holds the traceback")


class EvidenceOut(_Out):
    field: str = Field(..., examples=["name"])
    query_value: str
    list_value: str
    method: str = Field(..., examples=["token_alignment"])
    score: float
    weight: float
    query_normalized: str | None = None
    list_normalized: str | None = None
    detail: str | None = None


class LinkedOut(_Out):
    entity_id: str
    name: str
    type: KindOut
    relation: str


class DecisionOut(_Out):
    id: str
    ref: str | None = None
    entity_id: str | None = None
    decision: Literal["false_positive", "true_match", "escalated"]
    reason: str
    reviewer: str
    decided_at: str
    actor: str | None = Field(None, description="the API key id that recorded it")
    evidence_changed: bool | None = Field(
        None, description="the listed evidence changed since the decision: a cleared false positive alerts again"
    )


class HitOut(_Out):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    entity_id: str = Field(..., examples=["us_ofac_sdn:22790"])
    list_: str = Field(..., alias="list", examples=["us_ofac_sdn"])
    list_version: str
    type: KindOut
    name: str
    score: float = Field(..., ge=0.0, le=1.0)
    match: bool
    programs: list[str]
    evidence: list[EvidenceOut]
    linked: list[LinkedOut]
    decision: DecisionOut | None = Field(None, description="the standing decision for this party (with a `ref`)")
    suppressed: bool | None = Field(
        None, description="true: a cleared false positive whose evidence has not changed since the decision"
    )


class ListVersionOut(_Out):
    id: str
    version: str
    published_at: str | None
    fetched_at: str | None
    entities: int


class ScreenResponse(_Out):
    screening_id: str
    screened_at: str
    threshold: float
    query: dict[str, Any]
    lists: list[ListVersionOut]
    hits: list[HitOut]


class BatchResultOut(_Out):
    ref: str
    hits: list[HitOut]


class BatchResponse(_Out):
    screening_id: str
    screened_at: str
    threshold: float
    lists: list[ListVersionOut]
    results: list[BatchResultOut]


class CompareResponse(_Out):
    score: float
    match: bool
    threshold: float
    evidence: list[EvidenceOut]


class MentionOut(_Out):
    text: str
    start: int
    end: int
    kind: str
    hits: list[HitOut]


class TextLimitsOut(_Out):
    truncated: bool = Field(..., description="the request's work budget ran out before the end of the text")
    screened_to: int = Field(..., description="character offset up to which names were screened")
    note: str | None = Field(None, description="what was left unscreened, when truncated")


class TextResponse(_Out):
    screening_id: str
    screened_at: str
    threshold: float
    lists: list[ListVersionOut]
    mentions: list[MentionOut]
    limits: TextLimitsOut


class ListStatusOut(_Out):
    id: str
    title: str | None
    version: str | None
    published_at: str | None
    fetched_at: str | None
    checked_at: str | None
    entities: int
    status: str = Field(..., examples=["ok"])
    error: str | None
    serving_version: str | None = Field(..., description="the version this replica screens against")
    age_s: float | None = Field(..., description="seconds since the serving version was fetched")


class ListsResponse(_Out):
    lists: list[ListStatusOut]


class EntityResponse(_Out):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    entity: dict[str, Any] = Field(..., description="the entity as parsed, source record included")
    list_: ListVersionOut = Field(..., alias="list")


class AuditHitOut(_Out):
    entity_id: str
    score: float
    match: bool
    span: list[int] | None = Field(None, description="text screenings: the mention's [start, end]")


class AuditItemOut(_Out):
    ref: str | None
    query_sha256: str
    query: dict[str, Any] | None
    hits: list[AuditHitOut]


class ScreeningRecordResponse(_Out):
    screening_id: str
    screened_at: str
    kind: Literal["screen", "batch", "text", "match", "monitor"]
    api_key_id: str
    threshold: float
    lists: dict[str, str] = Field(..., description="list id -> version screened against")
    items: list[AuditItemOut]


class SyncResponse(_Out):
    status: Literal["started"]
    lists: list[str]


class HealthResponse(_Out):
    status: str


class ReadyResponse(_Out):
    status: Literal["ready", "not_ready"]
    lists: dict[str, str] = Field(default_factory=dict, description="list id -> version served")
    entities: int = 0
    reason: str | None = None
    detail: str | None = None
    store: Literal["ok", "degraded"] = Field(
        "ok", description="degraded: the store (Redis) cannot be read; the loaded lists keep being served"
    )
    store_error: str | None = None


# --- monitoring ---------------------------------------------------------------------------------------------


class MonitorRequest(PartyIn):
    """A party to watch: the screen body (party and options) without a limit (every match is kept)."""

    lists: list[ListIdStr] | None = Field(None, max_length=MAX_FILTER_ITEMS, description="list ids; all when absent")
    kinds: list[KindOut] | None = Field(None, max_length=5, description="only hits of these entity types")
    programs: list[ProgramStr] | None = Field(None, max_length=MAX_FILTER_ITEMS)
    threshold: Threshold | None = Field(None, description="score from which a hit is a match; server default if absent")


class MonitorRecordIn(MonitorRequest):
    ref: RefStr = Field(..., description="your key for the party")


class MonitorBatchRequest(_Strict):
    records: list[MonitorRecordIn] = Field(..., min_length=1, description="up to 10,000 parties, each with its ref")


class MonitorHitOut(HitOut):
    since: str = Field(..., description="when this match was first seen or last changed")
    alert: Literal["open", "escalated"] | None = Field(None, description="waiting for a reviewer")


class MonitorResponse(_Out):
    ref: str
    created: bool | None = Field(None, description="PUT: whether this call created the monitor")
    created_at: str
    updated_at: str
    screened_at: str
    query: dict[str, Any] = Field(..., description="the party and options as stored")
    lists: dict[str, str] = Field(..., description="list id -> version the hits were screened against")
    hits: list[MonitorHitOut]
    screening_id: str | None = Field(None, description="PUT: the audit record of the screening")


class MonitorSummaryOut(_Out):
    ref: str
    created_at: str
    updated_at: str
    screened_at: str
    matches: int
    open_alerts: int


class MonitorListResponse(_Out):
    monitors: list[MonitorSummaryOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last")
    total: int


class MonitorBatchItemOut(_Out):
    ref: str
    created: bool
    matches: int
    hits: list[dict[str, Any]] = Field(..., description="entity_id, list, name, score and alert of each match")


class MonitorBatchResponse(_Out):
    screening_id: str
    screened_at: str
    lists: list[ListVersionOut]
    results: list[MonitorBatchItemOut]


class DecisionRequest(_Strict):
    ref: RefStr
    entity_id: EntityIdStr
    decision: Literal["false_positive", "true_match", "escalated"]
    # something visible: a reason of white space only is no reason (the same rule the use case applies)
    reason: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON_CHARS, pattern=_VISIBLE)]
    reviewer: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REF_CHARS, pattern=_VISIBLE)]


class DecisionsResponse(_Out):
    decisions: list[DecisionOut]
    next_cursor: str | None = None


class AlertOut(_Out):
    ref: str
    entity_id: str
    since: str
    state: Literal["open", "escalated"]
    hit: dict[str, Any] | None = Field(..., description="the monitor's hit (null if the monitor changed meanwhile)")


class AlertsResponse(_Out):
    alerts: list[AlertOut]
    next_cursor: str | None = None


# --- webhooks (service.notify) -----------------------------------------------------------------------------------

EventTypeStr = Literal["monitor.hit.new", "monitor.hit.changed", "monitor.hit.removed"]  # = model.EventType
EventIdStr = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class WebhookRequest(_Strict):
    url: str = Field(
        ...,
        max_length=MAX_URL_CHARS,
        pattern=URL_PATTERN,
        description="where deliveries are POSTed (http or https; redirects are not followed)",
        examples=["https://compliance.example.com/hooks/sanctions"],
    )
    events: list[EventTypeStr] = Field(..., min_length=1, max_length=10, description="event types to receive")


class ReplayRequest(_Strict):
    event_ids: list[EventIdStr] | None = Field(
        None,
        max_length=MAX_REPLAY_EVENTS,
        description="send these events again, whatever their state; absent: every dead-lettered delivery",
    )


class DeliveryCountsOut(_Out):
    pending: int
    delivered: int
    dead: int


class WebhookOut(_Out):
    id: str
    url: str
    events: list[str]
    created_at: str
    deliveries: DeliveryCountsOut


class WebhookCreatedResponse(_Out):
    id: str
    url: str
    events: list[str]
    created_at: str
    secret: str = Field(..., description="the HMAC-SHA256 key of `Sanctions-Signature`; shown only here, once")


class WebhooksResponse(_Out):
    webhooks: list[WebhookOut]


class ReplayResponse(_Out):
    queued: int = Field(..., description="deliveries queued again")


class DeliveryOut(_Out):
    event_id: str
    type: str
    state: Literal["pending", "delivered", "dead"]
    attempts: int
    queued_at: str | None
    next_attempt_at: str | None
    last_attempt_at: str | None
    delivered_at: str | None
    last_error: str | None = Field(..., description='"HTTP 503" or the error class ("ConnectError", "ReadTimeout")')


class DeliveriesResponse(_Out):
    webhook_id: str
    deliveries: list[DeliveryOut]


# --- OpenSanctions yente compatibility (POST /match/{dataset}) -----------------------------------------------

FtmValue = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]
FtmValues = FtmValue | list[FtmValue]
FtmSchema = Literal["Person", "Organization", "Company", "PublicBody", "LegalEntity", "Thing", "Vessel", "Airplane"]
FTM_PROPERTY_PATTERN = r"^[a-zA-Z][a-zA-Z0-9]{0,63}$"
FTM_NAME_PARTS = ("firstName", "secondName", "middleName", "fatherName", "lastName")
FTM_IDENTIFIERS = (
    *("idNumber", "passportNumber", "registrationNumber", "taxNumber", "vatCode", "innCode", "ogrnCode"),
    *("okpoCode", "leiCode", "swiftBic", "imoNumber", "mmsi", "callSign", "serialNumber"),
    *("socialSecurityNumber", "uniqueEntityId"),
)
FTM_SCREENABLE = ("name", *FTM_NAME_PARTS, *FTM_IDENTIFIERS)  # a query needs one of these
FTM_DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"  # ISO prefix; a time part may follow
_FTM_DATE_VALUE = {"type": "string", "pattern": FTM_DATE_PATTERN, "maxLength": MAX_NAME_CHARS}
_FTM_DATE = {"anyOf": [_FTM_DATE_VALUE, {"type": "array", "items": _FTM_DATE_VALUE}]}
_FTM_PROPERTIES_SCHEMA: dict[str, Any] = {
    "propertyNames": {"pattern": FTM_PROPERTY_PATTERN},
    "properties": {"birthDate": _FTM_DATE, "incorporationDate": _FTM_DATE},
    "anyOf": [
        {
            "required": [key],
            "properties": {
                key: {
                    "anyOf": [
                        {"type": "string", "pattern": _VISIBLE},
                        {"type": "array", "contains": {"pattern": _VISIBLE}},
                    ]
                }
            },
        }
        for key in FTM_SCREENABLE
    ],
}


class YenteExampleIn(_Strict):
    """A FollowTheMoney entity example, as yente takes it: a schema and properties (strings or lists)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    id: str | None = Field(None, max_length=MAX_REF_CHARS)
    schema_: FtmSchema = Field(..., alias="schema", examples=["Person"])
    properties: dict[str, FtmValues] = Field(
        ...,
        examples=[{"name": ["Vladimir Putin"], "birthDate": ["1952"]}],
        description="FtM properties; at least one name, name part or identifier property is required",
        json_schema_extra=_FTM_PROPERTIES_SCHEMA,
    )


class YenteMatchRequest(_Strict):
    queries: dict[RefStr, YenteExampleIn] = Field(..., min_length=1)
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="scoring feature weights by this server's feature names (name_match, birth_date_mismatch, ...; "
        "-1..1); other names are accepted and listed back in ignored_weights",
    )
    config: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="accepted for compatibility; ignored"
    )


class YenteExplanationOut(_Out):
    score: float
    detail: str | None
    query: str | None = None
    candidate: str | None = None


class YenteResultOut(_Out):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    caption: str
    schema_: str = Field(..., alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str]
    target: bool
    first_seen: str | None
    last_seen: str | None
    last_change: str | None
    score: float
    match: bool
    features: dict[str, float]
    explanations: dict[str, YenteExplanationOut]


class YenteTotalOut(_Out):
    value: int
    relation: str


class YenteQueryOut(_Out):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str | None
    schema_: str = Field(..., alias="schema")
    properties: dict[str, list[str]]


class YenteMatchesOut(_Out):
    status: int
    results: list[YenteResultOut]
    total: YenteTotalOut
    query: YenteQueryOut


class YenteMatchResponse(_Out):
    responses: dict[str, YenteMatchesOut]
    limit: int
    screening_id: str = Field(..., description="extension: the audit record of this request")
    lists: list[ListVersionOut] = Field(..., description="extension: list versions screened against")
    ignored_weights: list[str] = Field(
        default_factory=list, description="extension: weights naming no feature of this server (yente's own)"
    )
