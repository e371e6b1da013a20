"""Fuzzing the service through its own OpenAPI description (schemathesis): whatever a client
sends within or outside the schema, no answer is a server error, and every error is a problem
document. With a read key and a write key, so that the writes are exercised past their auth."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tastemaker.service import create_app, keys

EXAMPLES = 30                      # per operation and mode: about a minute for the whole API


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from .conftest import home_with_weeks, make_tiny_world
    settings, _ = home_with_weeks(make_tiny_world(tmp_path_factory.mktemp("fuzz")), publish=True)
    token = keys.create(settings, "admin", "fuzz")[1]
    app = create_app(settings)
    app.state.snapshot.settle()
    return schemathesis.openapi.from_asgi("/openapi.json", app), token


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_request_is_a_server_error(api, mode):
    schema, token = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    seen, unsatisfiable = [], []
    for operation in operations:
        if operation.path.startswith("/v1/admin/") and operation.method.upper() == "POST":
            continue      # starting batch jobs many times a second is not a request's bug to find
        # half the cases carry an admin key, so that checks past auth are reached
        @given(case=operation.as_strategy(generation_mode=mode), keyed=st.booleans())
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                             database=None)
        def check(case, keyed):
            if keyed:
                case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
            response = case.call()
            seen.append(response.status_code)
            assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
            if response.status_code >= 400:
                media = response.headers.get("content-type", [""])       # every value of the header
                assert media[0].startswith("application/problem+json"), response.text[:300]
                assert response.json()["detail"]
        try:
            check()
        except Unsatisfiable:
            # nothing of this operation can be made invalid (no parameters, or free strings only)
            assert mode is GenerationMode.NEGATIVE, operation.label
            unsatisfiable.append(operation.label)
    assert len(unsatisfiable) < len(operations) / 2, unsatisfiable
    assert len(seen) > 10 * (len(operations) - len(unsatisfiable)), (len(seen), unsatisfiable)
