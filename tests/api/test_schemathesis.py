"""Property-based run of schemathesis against the app's own OpenAPI schema: no 5xx, responses as documented.

Positive and negative cases for every operation, bounded (a few examples each) so the suite stays fast; the app
serves the real UN list with API keys on, and POST /v1/sync runs the real worker against the local mirror.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.python import asgi

from service.api.app import create_app
from tests.api.conftest import KEYS, make_settings

MAX_EXAMPLES = 15
REJECTIONS = (400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429)


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, synced_dir: Path, fixture_mirror: Path
) -> schemathesis.BaseSchema:
    data_dir = tmp_path_factory.mktemp("schemathesis")
    shutil.copytree(synced_dir, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("audit.sqlite3*"))
    app = create_app(make_settings(data_dir, lists=["un_sc_sanctions"], mirror=str(fixture_mirror)), reload_poll_s=0.2)
    # Schemathesis starts the app's lifespan on its first request; wait until the list is loaded.
    with asgi.get_client(app) as client:
        deadline = time.monotonic() + 60
        while client.get("http://testserver/readyz").status_code != 200:
            assert time.monotonic() < deadline, "app not ready"
            time.sleep(0.05)
    # Credentials through schemathesis' own auth config, so it never counts a header we override as its input.
    # 413 is how the server refuses a text or batch over its cap: a rejection like 422.
    config = schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"HTTPBearer": {"bearer": KEYS[0]}, "APIKeyHeader": {"api_key": KEYS[1]}}},
            "checks": {"negative_data_rejection": {"expected-statuses": [*REJECTIONS]}},
        }
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_api_conforms_to_its_schema(api_schema: schemathesis.BaseSchema, mode: GenerationMode) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate()

        try:
            run()
        except Unsatisfiable:
            # No input to break (e.g. GET /healthz): nothing negative to send.
            assert mode is GenerationMode.NEGATIVE, operation.label
