"""Schemathesis (the real tool) against /api/openapi.json, in-process through the WSGI app.

Every operation of the OpenAPI document gets generated requests, valid and invalid ones, and
each response is checked: no server error, and the response (status, content type, body)
conforms to what the document says. Example counts are bounded so the suite stays fast;
SEARCHAPP_SCHEMATHESIS_EXAMPLES raises them for a deeper run by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from searchapp.engines.whoosh import index
from searchapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = int(os.environ.get("SEARCHAPP_SCHEMATHESIS_EXAMPLES", "40"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schemathesis")
    index.rebuild(folder / "ix", [ROOT / "seeds", FIXTURES / "archive.jsonl", FIXTURES / "hostile.jsonl"])
    return create_app({"INDEX_DIR": str(folder / "ix"), "TESTING": True})


# The document is loaded from the app itself (it needs no index). Not through
# schemathesis.pytest.from_fixture: with pytest 9 it fails (`Function` has no `_nodeid`); each
# generated request goes to the fixture's app instead.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", create_app({"INDEX_DIR": str(ROOT / "no-index")}))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_api_conforms_to_its_openapi_document(case, app):
    case.call_and_validate(checks=CHECKS, app=app)
