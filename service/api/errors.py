"""Domain errors (service.errors) as HTTP statuses: the one table the JSON API and the review page share."""

from __future__ import annotations

from collections.abc import Mapping

from service.errors import (
    ConfigError,
    FetchError,
    LockedError,
    NotFoundError,
    NotReadyError,
    ParseError,
    QueryError,
    ServiceError,
    SourceError,
    StoreError,
    TooLargeError,
    ValidationError,
)

# Domain error -> HTTP status. The most specific class in an exception's MRO wins.
ERROR_STATUS: Mapping[type[ServiceError], int] = {
    TooLargeError: 413,
    QueryError: 422,
    NotFoundError: 404,
    NotReadyError: 503,
    LockedError: 409,
    StoreError: 503,
    FetchError: 502,
    ParseError: 502,
    ValidationError: 502,
    SourceError: 502,
    ConfigError: 500,
    ServiceError: 500,
}


def status_for(exc: ServiceError) -> int:
    for cls in type(exc).__mro__:
        status = ERROR_STATUS.get(cls)
        if status is not None:
            return status
    return 500
