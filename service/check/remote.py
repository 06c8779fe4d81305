"""Screen against a running service: POST /v1/screen/batch in chunks, GET /v1/entities/{id} for allowlist ids.

Any transport failure, timeout or non-2xx answer is a RemoteError (exit 2): a check that could not screen
must not pass.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx

from service import __version__
from service.errors import ServiceError
from service.model import Hit, ListInfo, Query
from service.redact import redact_url
from service.screening.limits import CLIENT_MAX_BODY_BYTES, DEFAULT_MAX_BATCH
from service.screening.wire import hit_from_dict, list_info_from_dict, query_to_wire

RETRY_STATUSES = frozenset({502, 503, 504})


class RemoteError(ServiceError):
    """The service could not be reached, refused the request, or answered something unreadable."""


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200].strip() or resp.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else body
    return str(detail)[:300]


class RemoteScreener:
    mode = "remote"
    threshold: float | None = None  # the server's default, read from its batch response

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        batch_size: int = DEFAULT_MAX_BATCH,
        retries: int = 2,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise RemoteError(f"--url {url!r}: expected http://host:port or https://host")
        self.source = redact_url(url)
        self.warnings: list[str] = []
        self._batch_size = max(1, min(batch_size, DEFAULT_MAX_BATCH))
        self._retries = retries
        self._timeout_s = timeout_s
        headers = {"User-Agent": f"sanctions-check/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            base_url=url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
        )
        self._lists: dict[str, ListInfo] = {}

    def _request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        attempt = 0
        while True:
            try:
                resp = self._client.request(method, path, json=body)
            except httpx.TimeoutException:
                error = f"{self.source}{path}: no answer within {self._timeout_s:g}s"
            except httpx.HTTPError as exc:
                error = f"{self.source}{path}: {type(exc).__name__}: {exc}"
            else:
                if resp.status_code not in RETRY_STATUSES or attempt >= self._retries:
                    return resp
                error = f"{self.source}{path}: HTTP {resp.status_code}: {_detail(resp)}"
            if attempt >= self._retries:
                raise RemoteError(error)
            attempt += 1
            time.sleep(0.5 * 2 ** (attempt - 1))  # 0.5 s, 1 s: rides out a blip, not an outage

    def _fail(self, resp: httpx.Response, what: str) -> RemoteError:
        code = resp.status_code
        if code in (401, 403):
            return RemoteError(f"{what}: the service refused the API key (HTTP {code}); pass --api-key")
        if code == 503:
            return RemoteError(f"{what}: the service is not ready (HTTP 503: {_detail(resp)}); no lists loaded yet?")
        return RemoteError(f"{what}: HTTP {code}: {_detail(resp)}")

    def _chunks(self, items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        out = []
        for i in range(0, len(items), self._batch_size):
            out.append(items[i : i + self._batch_size])
        return out

    def _post_batch(self, items: list[dict[str, Any]], threshold: float | None, limit: int) -> dict[str, list[Hit]]:
        body: dict[str, Any] = {"queries": items, "limit": limit}
        if threshold is not None:
            body["threshold"] = threshold
        if len(items) > 1 and len(httpx.Request("POST", "/", json=body).content) > CLIENT_MAX_BODY_BYTES:
            half = len(items) // 2
            return self._post_batch(items[:half], threshold, limit) | self._post_batch(items[half:], threshold, limit)
        resp = self._request("POST", "/v1/screen/batch", body)
        if resp.status_code == 413 and len(items) > 1:
            # The server's batch or body cap (SANCTIONS_MAX_BATCH, SANCTIONS_MAX_BODY_BYTES) is lower than ours.
            half = len(items) // 2
            return self._post_batch(items[:half], threshold, limit) | self._post_batch(items[half:], threshold, limit)
        if resp.status_code != 200:
            raise self._fail(resp, "POST /v1/screen/batch")
        try:
            doc = resp.json()
            if doc.get("threshold") is not None:
                self.threshold = float(doc["threshold"])
            for li in doc.get("lists", []):
                info = list_info_from_dict(li)
                seen = self._lists.get(info.id)
                if seen is not None and seen.version != info.version:
                    self.warnings.append(
                        f"list {info.id} changed from {seen.version} to {info.version} during the check"
                    )
                self._lists[info.id] = info
            return {str(r["ref"]): [hit_from_dict(h) for h in r["hits"]] for r in doc["results"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise RemoteError(f"POST /v1/screen/batch: unreadable response ({type(exc).__name__}: {exc})") from None

    def screen(self, queries: Sequence[Query], *, threshold: float | None, limit: int) -> list[list[Hit]]:
        items = []
        for i, q in enumerate(queries):
            item = query_to_wire(q, ref=str(i))
            if item is not None:
                items.append(item)
        hits: dict[str, list[Hit]] = {}
        for chunk in self._chunks(items):
            hits |= self._post_batch(chunk, threshold, limit)
        missing = [it["ref"] for it in items if it["ref"] not in hits]
        if missing:
            raise RemoteError(f"POST /v1/screen/batch: no result for {len(missing)} quer(ies)")
        if items and not self._lists:
            raise RemoteError("the service reported no lists: it has nothing to screen against")
        return [hits.get(str(i), []) for i in range(len(queries))]

    def lists(self) -> list[ListInfo]:
        """The lists the screening used (from the batch answers), with titles and states from GET /v1/lists."""
        resp = self._request("GET", "/v1/lists")
        if resp.status_code != 200:
            raise self._fail(resp, "GET /v1/lists")
        try:
            doc = resp.json()
            rows = doc.get("lists", doc) if isinstance(doc, dict) else doc
            status = {str(li["id"]): li for li in rows}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RemoteError(f"GET /v1/lists: unreadable response ({exc})") from None
        if not self._lists:  # nothing was screened: report what the service holds
            self._lists = {
                i: ListInfo(id=i, version=li.get("version"), entities=li.get("entities"))
                for i, li in status.items()
                if li.get("version")
            }
        return [
            replace(
                info,
                title=status.get(info.id, {}).get("title") or info.title,
                status=status.get(info.id, {}).get("status") or info.status,
            )
            for info in self._lists.values()
        ]

    def unknown_entities(self, entity_ids: Sequence[str]) -> list[str]:
        unknown = []
        for entity_id in entity_ids:
            resp = self._request("GET", f"/v1/entities/{quote(entity_id, safe=':')}")
            if resp.status_code == 404:
                unknown.append(entity_id)
            elif resp.status_code != 200:
                raise self._fail(resp, f"GET /v1/entities/{entity_id}")
        return unknown

    def close(self) -> None:
        self._client.close()
