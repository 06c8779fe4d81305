"""The deployment files: hadolint on the Dockerfile, `docker compose config` on the Compose files, and the
properties the README promises (non-root, health check, data volume, one worker and several replicas on Redis).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_ENV = {"SANCTIONS_MIRROR_DIR": str(ROOT / "lists")}  # any folder: config only checks the file


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        reason = f"{name} not installed (pip install -c constraints.txt -e '.[dev]')"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_passes_hadolint() -> None:
    run = subprocess.run(
        [tool("hadolint"), "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_dockerfile_is_multi_stage_non_root_with_healthcheck_and_volume() -> None:
    text = dockerfile()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, flags=re.M)
    assert len(stages) == 2 and stages[0][1] == "builder"
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, flags=re.M)
    assert "COPY --from=builder /opt/venv /opt/venv" in text
    user = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    assert user and not user[-1].startswith(("root", "0:", "0")), user
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, flags=re.M)
    assert 'VOLUME ["/data"]' in text and "SANCTIONS_DATA_DIR=/data" in text
    assert "COPY lists /app/lists" in text and "SANCTIONS_LISTS_DIR=/app/lists" in text
    assert 'CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]' in text


def test_dockerignore_keeps_the_context_to_what_the_image_copies() -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln.strip()]
    assert lines[lines.index("*")] == "*"  # everything out, then the few inputs back in
    copied = {"pyproject.toml", "constraints.txt", "README.md", "service/", "lists/"}
    assert copied <= {ln[1:] for ln in lines if ln.startswith("!")}
    for src in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile(), flags=re.M):
        for name in src.split():
            assert (ROOT / name).exists(), name


@pytest.mark.parametrize(
    "files", [["docker-compose.yml"], ["docker-compose.yml", "docker-compose.mirror.yml"]], ids=["stack", "mirror"]
)
def test_compose_file_is_valid(files: list[str]) -> None:
    args = [tool("docker-compose")]
    for f in files:
        args += ["-f", f]
    run = subprocess.run(
        [*args, "config", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **COMPOSE_ENV},
    )
    assert run.returncode == 0, run.stderr
    assert '"worker"' in run.stdout


def test_compose_stack_is_redis_one_worker_and_replicas() -> None:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = doc["services"]
    assert set(services) == {"redis", "worker", "api"}
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]
    for name in ("worker", "api"):
        assert services[name]["environment"]["SANCTIONS_REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["worker"]["command"][0] == "sync"
    assert "deploy" not in services["worker"]  # exactly one worker
    assert services["api"]["command"][0] == "serve"
    assert services["api"]["environment"]["SANCTIONS_SYNC_ON_START"] == "false"
    assert services["api"]["deploy"]["replicas"] == "${API_REPLICAS:-3}"
    mirror = yaml.safe_load((ROOT / "docker-compose.mirror.yml").read_text())
    assert mirror["services"]["worker"]["environment"]["SANCTIONS_MIRROR"] == "/mirror"
