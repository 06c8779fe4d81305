"""Domain errors. No HTTP codes here: `service.api.app` maps them in one table.

ServiceError
├── ConfigError              bad settings or manifest
├── SourceError              a list could not be obtained or accepted
│   ├── FetchError           network, HTTP status, timeout, size cap
│   ├── ParseError           the bytes are not a complete, well-formed list
│   │   └── HostileInputError  entity expansion, external entities, oversized trees
│   └── ValidationError      parsed, but refused (empty, collapsed against the last good snapshot)
├── StoreError               the store cannot be read or written
│   └── LockedError          another worker holds the sync lock
│       └── LockLostError    this worker's lock expired or was taken: its writes are refused (fencing)
├── NotReadyError            no matcher loaded yet
├── NotFoundError            unknown entity or screening id
└── QueryError               a request the service cannot run (nothing to screen, unknown list id, ...)
    └── TooLargeError        over a cap (batch size, text length)
"""


class ServiceError(Exception):
    """Base of every error this service raises on purpose."""


class ConfigError(ServiceError):
    pass


class SourceError(ServiceError):
    pass


class FetchError(SourceError):
    pass


class ParseError(SourceError):
    pass


class HostileInputError(ParseError):
    pass


class ValidationError(SourceError):
    pass


class StoreError(ServiceError):
    pass


class LockedError(StoreError):
    pass


class LockLostError(LockedError):
    pass


class NotReadyError(ServiceError):
    pass


class NotFoundError(ServiceError):
    pass


class QueryError(ServiceError):
    pass


class TooLargeError(QueryError):
    pass
