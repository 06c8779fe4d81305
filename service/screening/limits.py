"""The caps on what one screening may carry, shared by the server (request validation), the CLI and the CI hook's
remote client (which clips records to them so that one oversized cell cannot fail a whole batch).

Real names are far shorter than these caps (the longest primary name across the mirrored lists is under 300
characters); the caps bound the work a single request can cause.
"""

from __future__ import annotations

MAX_NAME_CHARS = 500
MAX_IDENTIFIER_CHARS = 100
MAX_COUNTRY_CHARS = 100
MAX_ALIASES = 50
MAX_IDENTIFIERS = 50
MAX_COUNTRIES = 20
MAX_FILTER_ITEMS = 100
MAX_EXCLUDE_IDS = 1000
MAX_LIMIT = 100  # hits per query
DEFAULT_LIMIT = 10
MAX_REF_CHARS = 200
MAX_REASON_CHARS = 2000  # a reviewer's reason for a decision

# Server-side defaults of the configurable caps (SANCTIONS_MAX_BATCH, SANCTIONS_MAX_BODY_BYTES, ...).
DEFAULT_MAX_BATCH = 1000
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_TEXT_CHARS = 100_000
MAX_MONITOR_BATCH = 10_000
# What a client may send in one batch body so that JSON escaping differences never push it over the server's
# default body cap.
CLIENT_MAX_BODY_BYTES = 1_500_000
