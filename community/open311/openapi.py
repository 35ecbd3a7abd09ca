"""The OpenAPI 3 description of every JSON endpoint Jiayuan offers, served at /api/openapi.json.

Written by hand next to the code it describes (tests/test_open311_openapi.py
checks it against the URL patterns and fuzzes it with Schemathesis).
"""

from __future__ import annotations

import copy
import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from .services import CALLBACK_BACKOFF, CALLBACK_TIMEOUT
from .views import REQUEST_FIELD_LIMITS, UPDATE_FIELD_LIMITS

ERRORS = {
    "description": "GeoReport v2 error list",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}},
}


def _error_responses(*codes: int) -> dict:
    return {str(code): ERRORS for code in codes}


ID_PATTERN = "^[0-9]{1,18}$"
IDS_PATTERN = "^( *[0-9]{1,18} *(, *[0-9]{1,18} *)*,? *)?$"  # empty: no filter
STRING_OR_NULL = {"type": ["string", "null"]}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
    "Errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}, "minItems": 1},
    "Discovery": {
        "type": "object",
        "required": ["changeset", "endpoints"],
        "properties": {
            "changeset": {"type": "string"},
            "contact": {"type": "string"},
            "key_service": {"type": "string"},
            "endpoints": {"type": "array", "items": {
                "type": "object",
                "required": ["specification", "url", "type", "formats"],
                "properties": {
                    "specification": {"type": "string"},
                    "url": {"type": "string"},
                    "changeset": {"type": "string"},
                    "type": {"type": "string", "enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"type": "string"}},
                }}},
        },
    },
    "Service": {
        "type": "object",
        "required": ["service_code", "service_name", "metadata", "type"],
        "properties": {
            "service_code": {"type": "string"},
            "service_name": {"type": "string"},
            "description": {"type": "string"},
            "metadata": {"type": "boolean"},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
            "keywords": {"type": "string"},
            "group": {"type": "string"},
        },
    },
    "ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "properties": {
            "service_code": {"type": "string"},
            "attributes": {"type": "array", "items": {
                "type": "object",
                "required": ["variable", "code", "datatype", "required", "order", "description"],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string"},
                    "datatype": {"type": "string", "enum": [
                        "string", "number", "datetime", "text", "singlevaluelist",
                        "multivaluelist"]},
                    "required": {"type": "boolean"},
                    "datatype_description": {"type": "string"},
                    "order": {"type": "integer"},
                    "description": {"type": "string"},
                    "values": {"type": "array", "items": {
                        "type": "object", "required": ["key", "name"],
                        "properties": {"key": {"type": "string"}, "name": {"type": "string"}}}},
                }}},
        },
    },
    "ServiceRequest": {
        "type": "object",
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
        "properties": {
            "service_request_id": {"type": "string", "pattern": ID_PATTERN},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": {"type": "string"},
            "service_name": {"type": "string"},
            "service_code": {"type": "string"},
            "description": {"type": "string"},
            "agency_responsible": {"type": "string"},
            "service_notice": {"type": "string"},
            "requested_datetime": {"type": "string", "format": "date-time"},
            "updated_datetime": {"type": "string", "format": "date-time"},
            "expected_datetime": {"type": ["string", "null"], "format": "date-time"},
            "address": {"type": "string"},
            "address_id": {"type": "string"},
            "zipcode": {"type": "string"},
            "lat": {"type": ["number", "null"]},
            "long": {"type": ["number", "null"]},
            "media_url": {"type": "string"},
            "extended_attributes": {"type": "object"},
        },
    },
    "Submitted": {
        "type": "object",
        "required": ["service_request_id"],
        "properties": {
            "service_request_id": {"type": "string"},
            "service_notice": {"type": "string"},
            "account_id": STRING_OR_NULL,
        },
    },
    "Token": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
    },
    "RequestUpdate": {
        "type": "object",
        "required": ["update_id", "service_request_id", "status", "updated_datetime",
                     "description"],
        "properties": {
            "update_id": {"type": "string"},
            "service_request_id": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "external_status_code": {"type": "string"},
            "external_status": {"type": "string"},
            "update_kind": {"type": "string"},
            "description": {"type": "string"},
            "updated_datetime": {"type": "string", "format": "date-time"},
            "media_url": {"type": "string"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
        },
    },
    "UpdateReceived": {
        "type": "object",
        "required": ["update_id", "service_request_id"],
        "properties": {"update_id": {"type": "string"},
                       "service_request_id": {"type": "string"},
                       "account_id": STRING_OR_NULL},
    },
    "ChatMessages": {
        "type": "object",
        "required": ["ok"],
        "properties": {"ok": {"type": "boolean"}, "items": {"type": "array"},
                       "state": {"type": "object"}, "message": {"type": "string"}},
    },
}




def _limited(limits: dict[str, int], properties: dict) -> dict:
    """Form fields with the ``maxLength`` the server enforces (``views.*_FIELD_LIMITS``)."""
    out = {}
    for name, schema in properties.items():
        schema = dict(schema)
        if name in limits and schema.get("type") == "string":
            schema["maxLength"] = limits[name]
        out[name] = schema
    return out


def _with_xml(paths: dict) -> dict:
    """Every GeoReport ``.json`` endpoint again as ``.xml``: the same parameters, the
    answers (errors too) as application/xml, the same data as XML elements."""
    out = dict(paths)
    for path, item in paths.items():
        if not (path.startswith("/open311/v2/") and path.endswith(".json")):
            continue
        xml_item = {}
        for method, operation in item.items():
            op = copy.deepcopy(operation)
            op["operationId"] += "Xml"
            op["summary"] += " (XML)"
            for response in op.get("responses", {}).values():
                if "content" in response:
                    response["content"] = {"application/xml": {"schema": {"type": "string"}}}
            xml_item[method] = op
        out[path[:-len(".json")] + ".xml"] = xml_item
    return out


def _json(schema_ref: str, description: str = "OK", array: bool = False) -> dict:
    schema = {"$ref": f"#/components/schemas/{schema_ref}"}
    if array:
        schema = {"type": "array", "items": schema}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


API_KEY_PARAM = {"name": "api_key", "in": "query", "required": False,
                 "schema": {"type": "string"},
                 "description": "The platform's key (issued in the Wagtail admin). Prefer "
                                "the X-Api-Key header: a key in a URL ends up in logs."}
KEY = [{"apiKeyHeader": []}, {"apiKeyQuery": []}]
KEY_OR_NONE = [{"apiKeyHeader": []}, {"apiKeyQuery": []}, {}]
JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": False,
                "schema": {"type": "string"}}


def _date(name: str, description: str) -> dict:
    # Empty is the same as absent (no filter).
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string",
                       "anyOf": [{"format": "date-time"}, {"maxLength": 0}]}}


def _header(name: str, description: str, example: str) -> dict:
    return {"name": name, "in": "header", "required": True, "description": description,
            "schema": {"type": "string"}, "example": example}


def _wait(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _waits() -> str:
    """The retry schedule as ``services.CALLBACK_BACKOFF`` has it, in words."""
    words = [_wait(d) for d in CALLBACK_BACKOFF]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _given_up_hours() -> float:
    return sum(d.total_seconds() for d in CALLBACK_BACKOFF) / 3600


WEBHOOK = {
    "summary": "A case from your platform moved on (we call you)",
    "operationId": "open311ServiceRequestUpdated",
    "description": (
        "POSTed to the key's callback URL after every public step of a case your platform "
        "submitted (triage, dispatch, accept, result, confirmation, reopening, a public "
        "note...), after the step is committed, one by one and in order for each case. "
        "The body is the service request as it stood right after that step (status, "
        "status_notes and updated_datetime of the step), with the step's update_id and "
        "the update itself (as servicerequestupdates lists it) under `update`; a retry "
        "carries the same step. Drop an update_id you already have.\n\n"
        "Check the signature: HMAC-SHA256 with the key's callback secret over the "
        "bytes `<X-Jiayuan-Timestamp>.<body>`, hex, prefixed `sha256=`; refuse old "
        f"timestamps. Answer 2xx within {CALLBACK_TIMEOUT} s. Anything else is retried "
        f"after {_waits()}, then given up, about {_given_up_hours():.1f} h after the "
        "first try (the community admin sees every attempt and can send it again). "
        "X-Jiayuan-Delivery stays the same across retries of one update."),
    "parameters": [
        _header("X-Jiayuan-Signature", "sha256=<hex HMAC-SHA256>", "sha256=9f86d08..."),
        _header("X-Jiayuan-Timestamp", "Unix seconds when it was signed", "1764118800"),
        _header("X-Jiayuan-Delivery", "This update's id, the same on every retry", "42"),
        _header("X-Jiayuan-Event", "The step (community.choices.EventKind)", "resolve"),
    ],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "array", "minItems": 1, "maxItems": 1,
        "items": {"$ref": "#/components/schemas/ServiceRequest"}}}}},
    "responses": {"200": {"description": "Received (any 2xx)"}},
}


def build() -> dict:
    o311 = "/open311/v2"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "仫佬家园 Jiayuan API",
            "version": "1.0",
            "description": (
                "Open311 GeoReport v2 for the county's hotline platforms (every endpoint "
                "also answers in XML with the .xml suffix), and the JSON endpoints of the "
                "portal itself. Datetimes carry the +08:00 offset. Extensions to GeoReport: "
                "page/page_size paging (X-Total-Count), updated_after (+ after_id) for "
                "incremental sync: poll with updated_after = the last row's "
                "updated_datetime and after_id = its id, or follow Link rel=next, which "
                "carries that cursor; extensions=true for extended_attributes (with a key); "
                "servicerequestupdates (FixMyStreet's extension) for every step, both "
                "ways. Jurisdiction id: see discovery.json. The key goes in the X-Api-Key "
                "header (or api_key); reads of public fields need none.\n\n"
                "Updates go back out: a key with a callback URL (set by the community "
                "admin) is sent every public step of the cases its platform submitted, "
                "as the webhook serviceRequestUpdated below describes."),
        },
        "servers": [{"url": "/"}],
        "paths": _with_xml({
            f"{o311}/discovery.json": {"get": {
                "summary": "GeoReport v2 discovery",
                "operationId": "open311Discovery",
                "responses": {"200": _json("Discovery"), **_error_responses(400, 429)},
            }},
            f"{o311}/services.json": {"get": {
                "summary": "Service list: our case categories",
                "operationId": "open311Services",
                "parameters": [JURISDICTION],
                "responses": {"200": _json("Service", array=True),
                              **_error_responses(400, 404, 429)},
            }},
            f"{o311}/services/{{service_code}}.json": {"get": {
                "summary": "Service definition: the extra questions (attributes)",
                "operationId": "open311ServiceDefinition",
                "parameters": [{"name": "service_code", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}},
                               JURISDICTION],
                "responses": {"200": _json("ServiceDefinition"),
                              **_error_responses(400, 404, 429)},
            }},
            f"{o311}/requests.json": {
                "get": {
                    "summary": "Service requests (cases) this key may see",
                    "operationId": "open311Requests",
                    "security": KEY_OR_NONE,
                    "parameters": [
                        API_KEY_PARAM, JURISDICTION,
                        {"name": "service_request_id", "in": "query", "required": False,
                         "schema": {"type": "string", "pattern": IDS_PATTERN,
                                    "maxLength": 2000},
                         "description": "Comma-separated ids"},
                        {"name": "service_code", "in": "query", "required": False,
                         "schema": {"type": "string"}},
                        _date("start_date", "Requested at or after"),
                        _date("end_date", "Requested at or before"),
                        {"name": "status", "in": "query", "required": False,
                         "schema": {"type": "string",
                                    "enum": ["open", "closed", "open,closed", "closed,open"]}},
                        _date("updated_after", "Extension: changed after (incremental sync)"),
                        {"name": "page", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100000}},
                        {"name": "page_size", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                        {"name": "extensions", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": ["true", "false"]}},
                    ],
                    "responses": {"200": _json("ServiceRequest", array=True),
                                  **_error_responses(400, 403, 404, 429)},
                },
                "post": {
                    "summary": "Register a case from the platform (channel: hotline)",
                    "operationId": "open311CreateRequest",
                    "security": KEY,
                    "requestBody": {"required": True, "content": {
                        "application/x-www-form-urlencoded": {"schema": {
                            "type": "object",
                            "required": ["service_code"],
                            "description": (
                                "A location is required, in any of four ways (GeoReport v2: "
                                "lat/long, address_string or address_id; or our "
                                "attribute[building]). Without one: 400. One that matches no "
                                "building or public place is still registered, as 待定位 "
                                "(unplaced), on the community's top grid."),
                            "properties": _limited(REQUEST_FIELD_LIMITS, {
                                "api_key": {"type": "string"},
                                "jurisdiction_id": {"type": "string"},
                                "service_code": {"type": "string"},
                                "attribute[building]": {
                                    "type": "string",
                                    "description": "A building id from the service definition; "
                                                   "wins over the other location fields."},
                                "attribute[unit]": {"type": "string"},
                                "attribute[ticket_no]": {"type": "string"},
                                "attribute[ticket]": {"type": "string", "description":
                                                      "The same as attribute[ticket_no]"},
                                "lat": {"type": "string", "description": (
                                    "WGS-84 latitude, with long: matched to the nearest "
                                    "building or public place within OPEN311_MATCH_METRES "
                                    "(150 m by default).")},
                                "long": {"type": "string", "description": "WGS-84 longitude."},
                                "address_string": {"type": "string", "description": (
                                    "An address as written: 3栋2单元, 仫佬家园 3 栋, 3号楼, "
                                    "3-2-501, full-width digits, a public place's name.")},
                                "address_id": {"type": "string", "description": (
                                    "A building id (as address_id in our answers), or p<id> "
                                    "for a public place.")},
                                "email": {"type": "string"},
                                "device_id": {"type": "string"},
                                "account_id": {"type": "string"},
                                "first_name": {"type": "string"},
                                "last_name": {"type": "string"},
                                "phone": {"type": "string"},
                                "description": {"type": "string"},
                                "media_url": {"type": "string"},
                            })}}}},
                    "responses": {"201": _json("Submitted", "Registered", array=True),
                                  **_error_responses(400, 403, 404, 429)},
                },
            },
            f"{o311}/requests/{{service_request_id}}.json": {"get": {
                "summary": "One service request",
                "operationId": "open311Request",
                "security": KEY_OR_NONE,
                "parameters": [{"name": "service_request_id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": ID_PATTERN}},
                               API_KEY_PARAM, JURISDICTION,
                               {"name": "extensions", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["true", "false"]}}],
                "responses": {"200": _json("ServiceRequest", array=True),
                              **_error_responses(400, 403, 404, 429)},
            }},
            f"{o311}/servicerequestupdates.json": {
                "get": {
                    "summary": "Every public step of the cases this key may see, oldest first",
                    "operationId": "open311Updates",
                    "security": KEY,
                    "parameters": [
                        API_KEY_PARAM, JURISDICTION,
                        {"name": "service_request_id", "in": "query", "required": False,
                         "schema": {"type": "string", "pattern": ID_PATTERN}},
                        _date("start_date", "At or after"), _date("end_date", "At or before"),
                        _date("updated_after", "Cursor: after this time (with after_id)"),
                        {"name": "after_id", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 0}},
                        {"name": "page_size", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                    ],
                    "responses": {"200": _json("RequestUpdate", array=True),
                                  **_error_responses(400, 403, 404, 429)},
                },
                "post": {
                    "summary": "The platform's own update: confirmation and rating, not "
                               "fixed, a note or follow-up call",
                    "operationId": "open311CreateUpdate",
                    "security": KEY,
                    "requestBody": {"required": True, "content": {
                        "application/x-www-form-urlencoded": {"schema": {
                            "type": "object",
                            "required": ["service_request_id", "update_id"],
                            "properties": _limited(UPDATE_FIELD_LIMITS, {
                                "api_key": {"type": "string"},
                                "jurisdiction_id": {"type": "string"},
                                "service_request_id": {"type": "string",
                                                       "pattern": ID_PATTERN},
                                "update_id": {"type": "string", "minLength": 1},
                                "status": {"type": "string"},
                                "external_status_code": {"type": "string"},
                                "description": {"type": "string"},
                                "updated_datetime": {"type": "string"},
                                "media_url": {"type": "string"},
                                "first_name": {"type": "string"},
                                "last_name": {"type": "string"},
                                "attribute[rating]": {"type": "string"},
                                "attribute[fixed]": {"type": "string"},
                            })}}}},
                    "responses": {"201": _json("UpdateReceived", "Recorded", array=True),
                                  **_error_responses(400, 403, 404, 429)},
                },
            },
            f"{o311}/tokens/{{token}}.json": {"get": {
                "summary": "The service request a POST's token became",
                "operationId": "open311Token",
                "parameters": [{"name": "token", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": "^[0-9A-Za-z_-]+$"}},
                               API_KEY_PARAM, JURISDICTION],
                "responses": {"200": _json("Token", array=True),
                              **_error_responses(400, 403, 404, 429)},
            }},
            "/chat/{conversation_id}/messages/": {"get": {
                "summary": "Live chat: messages numbered after `after` (a signed-in "
                           "resident or the staff of the conversation; session cookie)",
                "operationId": "chatMessages",
                "security": [{"session": []}],
                "parameters": [
                    {"name": "conversation_id", "in": "path", "required": True,
                     "schema": {"type": "integer", "minimum": 1}},
                    {"name": "after", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 0}},
                    {"name": "upto", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 0}},
                ],
                "responses": {
                    "200": _json("ChatMessages"),
                    "302": {"description": "Not signed in: to the sign-in page"},
                    "400": _json("ChatMessages", "Bad parameters"),
                    "404": {"description": "No such conversation for this person"},
                },
            }},
            "/manifest.webmanifest": {"get": {
                "summary": "The web app manifest",
                "operationId": "manifest",
                "responses": {"200": {"description": "OK", "content": {
                    "application/manifest+json": {"schema": {"type": "object"}}}}},
            }},
            "/api/openapi.json": {"get": {
                "summary": "This description",
                "operationId": "openapi",
                "responses": {"200": {"description": "OK", "content": {
                    "application/json": {"schema": {"type": "object"}}}}},
            }},
        }),
        "webhooks": {"serviceRequestUpdated": {"post": WEBHOOK}},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                                 "description": "The platform's key; never logged in full."},
                "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key",
                                "description": "The same key as a parameter (GeoReport "
                                               "v2); masked in every log."},
            },
        },
    }


@require_GET
@cache_control(max_age=300, public=True)
def openapi_json(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json.dumps(build(), ensure_ascii=False, indent=1),
                        content_type="application/json; charset=utf-8")
