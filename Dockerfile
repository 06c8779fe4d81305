# syntax=docker/dockerfile:1
# The screening service in one image: `docker run -p 8000:8000 sanctions-screening` syncs the lists, then serves.
# PYTHON_IMAGE: python:3.11-slim, or any Debian-based image with Python 3.11 as `python` and its venv module
# (scripts/docker-smoke.sh builds such a base from Debian packages where the registry cannot be reached).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/build
# Dependencies first, pinned by constraints.txt: a code change does not download them again.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir -p service \
    && touch service/__init__.py \
    && /opt/build/bin/pip wheel --wheel-dir /wheels -c constraints.txt . \
    && rm -rf /wheels/sanctions_screening-*.whl service build ./*.egg-info
COPY service ./service
RUN /opt/build/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /wheels /wheels/*.whl \
    && /opt/venv/bin/sanctions --version

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="sanctions-screening" \
      org.opencontainers.image.description="Self-hosted sanctions screening: official lists, fuzzy matching, HTTP API" \
      org.opencontainers.image.licenses="MIT"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SANCTIONS_DATA_DIR=/data \
    SANCTIONS_LISTS_DIR=/app/lists \
    SANCTIONS_LOG_JSON=true
RUN groupadd --system --gid 10001 sanctions \
    && useradd --system --uid 10001 --gid sanctions --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin sanctions \
    && mkdir -p /data /app \
    && chown sanctions:sanctions /data
COPY --from=builder /opt/venv /opt/venv
COPY lists /app/lists
WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
# /healthz answers while the process lives; readiness (/readyz) is for load balancers, not for restarts.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["sanctions"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
