"""GeoReport v2's two formats: the same data as JSON or as XML, chosen by the suffix."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

# In XML, a list is a parent element whose children all have one name.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "keywords": "keyword",
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        tag = ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def respond(data, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """``root`` names the XML root element (services, service_requests, ...)."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, data), status=status,
                            content_type="application/xml; charset=utf-8")
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status,
                        content_type="application/json; charset=utf-8")


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """The specification's error list: ``[{"code": ..., "description": ...}]``."""
    return respond([{"code": status, "description": description}], fmt, root="errors",
                   status=status)
