"""A GeoReport v2 client written from the specification's text alone, against our server.

``SpecClient`` knows what http://wiki.open311.org/GeoReport_v2 says and nothing of
Jiayuan: the discovery document, the service list and definitions, POST and GET of
service requests, the error format, JSON and XML (parsed with ``xml.etree``). Its
only inputs are the discovery URL, an api_key and the jurisdiction_id that the
discovery document names. The server fixture below is the only Jiayuan-specific
part: it stands up a community and issues the key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest

# --- The client: the specification, nothing more ------------------------------------

LIST_TAGS = {  # the specification's XML: a list is a parent of same-named children
    "services": "service", "service_requests": "request", "attributes": "attribute",
    "values": "value", "endpoints": "endpoint", "formats": "format", "errors": "error",
}
REQUEST_FIELDS = {  # GET Service Request(s): the response fields
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
}
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description",
                    "order", "description"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


class GeoReportError(Exception):
    def __init__(self, http_status: int, errors: list[dict]):
        super().__init__(f"{http_status}: {errors}")
        self.http_status = http_status
        self.errors = errors


def _xml_value(element: ET.Element):
    if element.tag in LIST_TAGS:
        return [_xml_value(child) for child in element]
    children = list(element)
    if not children:
        return element.text or ""
    return {child.tag: _xml_value(child) for child in children}


class SpecClient:
    """GeoReport v2, as its text describes it. ``http`` is anything with Django's test
    client's ``get(path, params)`` and ``post(path, data)``."""

    def __init__(self, http, discovery_url: str, *, api_key: str, fmt: str = "json"):
        self.http, self.api_key, self.fmt = http, api_key, fmt
        self.discovery = self._call("get", discovery_url.rsplit(".", 1)[0] + f".{fmt}", {},
                                    root="discovery")
        endpoint = next(e for e in self.discovery["endpoints"]
                        if "GeoReport_v2" in e["specification"])
        formats = endpoint["formats"]
        assert {"application/json"} <= set(formats) if fmt == "json" else (
            {"application/xml", "text/xml"} & set(formats))
        self.base = endpoint["url"].rstrip("/") + "/"
        self.jurisdiction_id = self.discovery.get("jurisdiction_id", "")

    # transport
    def _call(self, method: str, url: str, params: dict, *, root: str):
        path = urlsplit(url).path
        response = getattr(self.http, method)(path, params)
        body = response.content
        if self.fmt == "json":
            assert response["Content-Type"].startswith("application/json")
            data = json.loads(body)
        else:
            # The spec says "XML"; either registered XML media type will do.
            assert response["Content-Type"].startswith(("application/xml", "text/xml"))
            element = ET.fromstring(body)
            if response.status_code >= 400:
                assert element.tag == "errors", element.tag
            else:
                assert element.tag == root, (element.tag, root)
            data = _xml_value(element)
        if response.status_code >= 400:
            assert isinstance(data, list) and data, data
            for error in data:
                assert set(error) == {"code", "description"}, error
                assert str(error["code"]) == str(response.status_code)
                assert error["description"]
            raise GeoReportError(response.status_code, data)
        return data

    def _url(self, resource: str) -> str:
        return f"{self.base}{resource}.{self.fmt}"

    def _params(self, **extra) -> dict:
        params = {k: v for k, v in extra.items() if v is not None}
        if self.jurisdiction_id:
            params["jurisdiction_id"] = self.jurisdiction_id
        return params

    # the methods of the specification
    def services(self) -> list[dict]:
        return self._call("get", self._url("services"), self._params(), root="services")

    def service_definition(self, service_code: str) -> dict:
        return self._call("get", self._url(f"services/{service_code}"), self._params(),
                          root="service_definition")

    def post_request(self, *, service_code: str, lat=None, long=None, address_string=None,
                     address_id=None, attributes: dict | None = None, **fields) -> dict:
        data = self._params(api_key=self.api_key, service_code=service_code, lat=lat,
                            long=long, address_string=address_string, address_id=address_id,
                            **fields)
        for code, value in (attributes or {}).items():
            data[f"attribute[{code}]"] = value
        answer = self._call("post", self._url("requests"), data, root="service_requests")
        assert len(answer) == 1
        item = answer[0]
        assert item.get("service_request_id") or item.get("token"), item
        return item

    def get_requests(self, **filters) -> list[dict]:
        for name in ("start_date", "end_date"):
            if isinstance(filters.get(name), datetime):
                filters[name] = filters[name].isoformat()
        if isinstance(filters.get("service_request_id"), list | tuple):
            filters["service_request_id"] = ",".join(filters["service_request_id"])
        return self._call("get", self._url("requests"), self._params(**filters),
                          root="service_requests")

    def get_request(self, service_request_id: str) -> dict:
        answer = self._call("get", self._url(f"requests/{service_request_id}"),
                            self._params(), root="service_requests")
        assert len(answer) == 1
        return answer[0]


# --- The server, as a platform would find it ----------------------------------------


@pytest.fixture
def server(world):
    from community.open311.services import api_key_issue
    from community.tests.factories import category

    category("repair", name="维修")
    category("hygiene", name="环境卫生")
    world.building_a.latitude, world.building_a.longitude = Decimal("24.779"), Decimal("108.902")
    world.building_a.save()
    _key, raw = api_key_issue(actor=world.admin, platform="某市民热线")
    return raw


def check_request(item: dict) -> None:
    """What the specification says of a service request, field by field."""
    assert REQUEST_FIELDS <= set(item), REQUEST_FIELDS - set(item)
    assert item["status"] in {"open", "closed"}
    for name in ("requested_datetime", "updated_datetime"):
        assert datetime.fromisoformat(item[name]).tzinfo is not None, item[name]
    if item["lat"] not in (None, ""):
        assert -90 <= float(item["lat"]) <= 90 and -180 <= float(item["long"]) <= 180


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_spec_only_client_works_against_the_server(client, server, fmt):
    geo = SpecClient(client, "http://testserver/open311/v2/discovery.json", api_key=server,
                     fmt=fmt)
    assert geo.jurisdiction_id
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(geo.discovery)

    services = geo.services()
    assert services
    for service in services:
        assert SERVICE_FIELDS <= set(service), service
        assert str(service["metadata"]).lower() in {"true", "false"}
        assert service["type"] in {"realtime", "batch", "blackbox"}
    code = services[0]["service_code"]

    definition = geo.service_definition(code)
    assert definition["service_code"] == code
    required = []
    for attribute in definition["attributes"]:
        assert ATTRIBUTE_FIELDS <= set(attribute), attribute
        assert attribute["datatype"] in DATATYPES
        if str(attribute["required"]).lower() == "true":
            required.append(attribute)
    # The client fills what the definition marks required, from the listed values.
    attributes = {a["code"]: a["values"][0]["key"] for a in required
                  if a["datatype"] in {"singlevaluelist", "multivaluelist"}}
    assert len(attributes) == len(required), "a required attribute the client cannot fill"

    before = datetime.now(UTC) - timedelta(minutes=1)
    # The specification's own way to say where: lat/long, or an address; nothing more.
    near = geo.post_request(service_code=code, lat="24.7791", long="108.9021",
                            attributes=attributes, description="路灯不亮",
                            first_name="Li", last_name="Wei", phone="13900001234")
    far = geo.post_request(service_code=code, lat="24.9000", long="108.7000",
                           attributes=attributes, description="井盖松动")
    written = geo.post_request(service_code=code, address_string="1栋1单元",
                               attributes=attributes, description="楼道堵塞")
    assert not attributes  # no extra question stands between a spec client and a request
    ids = [item["service_request_id"] for item in (near, far, written)]
    after = datetime.now(UTC) + timedelta(minutes=1)

    one = geo.get_request(ids[0])
    check_request(one)
    assert one["service_request_id"] == ids[0] and one["service_code"] == code
    assert one["status"] == "open"
    assert float(one["lat"]) == pytest.approx(24.7791) and one["address"]
    assert geo.get_request(ids[1])["service_request_id"] == ids[1]  # far away: still taken

    listed = geo.get_requests(service_request_id=ids)
    assert sorted(r["service_request_id"] for r in listed) == sorted(ids)
    for item in listed:
        check_request(item)
    assert {r["service_request_id"] for r in geo.get_requests(status="open")} >= set(ids)
    assert not {r["service_request_id"] for r in geo.get_requests(status="closed")} & set(ids)
    window = geo.get_requests(start_date=before, end_date=after)
    assert {r["service_request_id"] for r in window} >= set(ids)
    # The W3C format with "Z" is as good as an offset.
    zulu = geo.get_requests(start_date=before.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            end_date=after.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert {r["service_request_id"] for r in zulu} >= set(ids)
    assert not geo.get_requests(start_date=after)
    assert {r["service_request_id"] for r in geo.get_requests(service_code=code)} >= set(ids)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_spec_only_client_reads_the_errors(client, server, fmt):
    geo = SpecClient(client, "http://testserver/open311/v2/discovery.json", api_key=server,
                     fmt=fmt)
    code = geo.services()[0]["service_code"]
    with pytest.raises(GeoReportError) as no_location:
        geo.post_request(service_code=code, description="没说在哪")
    assert no_location.value.http_status == 400
    with pytest.raises(GeoReportError) as unknown:
        geo.service_definition("no-such-service")
    assert unknown.value.http_status == 404
    with pytest.raises(GeoReportError) as missing:
        geo.get_request("999999")
    assert missing.value.http_status == 404
    stranger = SpecClient(client, "http://testserver/open311/v2/discovery.json",
                          api_key="not-a-key", fmt=fmt)
    with pytest.raises(GeoReportError) as refused:
        stranger.post_request(service_code=code, lat="24.78", long="108.90")
    assert refused.value.http_status == 403
    with pytest.raises(GeoReportError) as bad_date:
        geo.get_requests(start_date="yesterday")
    assert bad_date.value.http_status == 400
