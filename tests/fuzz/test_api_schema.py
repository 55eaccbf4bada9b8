"""Schemathesis against the OpenAPI schema of /api/v1, authenticated as an admin: no 5xx, and every
response matches the schema (content type and body as documented).

Schemathesis' pytest plugin (``from_fixture``) does not run under this pytest, so the test drives
its Python API: one Hypothesis run per operation, over the strategy schemathesis derives from the
schema (positive and negative cases).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.conftest import Server

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def schema_conformance_except_422(ctx: object, response: object, case: object) -> bool | None:
    """The documented response schema, for every status but 422.

    Known deviation, reported to the owners of hotline/core: a 422 answers
    ``{"detail": "invalid request", "fields": [...]}`` while the OpenAPI schema still documents
    FastAPI's default ``HTTPValidationError`` (``detail`` an array). The shape we do answer is
    asserted by test_422_has_the_shape_clients_get below.
    """
    if getattr(response, "status_code", None) == 422:
        return None
    return response_schema_conformance(ctx, response, case)  # type: ignore[arg-type]


# Content types are not checked: /api/v1/stats.csv answers text/csv, documented as JSON (reported
# to the owners of hotline/stats).
CHECKS = [schemathesis.checks.not_a_server_error, schema_conformance_except_422]


def test_api_v1_never_answers_5xx_and_keeps_its_schema(server: Server) -> None:
    """Whatever a client sends to /api/v1 with a valid token, the answer is not a 5xx and matches
    the documented schema."""
    schema = schemathesis.openapi.from_url(server.base + "/api/openapi.json").include(path_regex="^/api/v1/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    headers = {"Authorization": f"Bearer {server.token}"}
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)


def test_422_has_the_shape_clients_get(server: Server) -> None:
    """Bad input to /api/v1 gets a 422 with a one-line reason and the names of the fields, never a 500."""
    import httpx

    response = httpx.get(
        server.base + "/api/v1/cases",
        params={"limit": "many"},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert response.status_code == 422
    body = response.json()
    assert isinstance(body["detail"], str)
    assert "query.limit" in body["fields"]
