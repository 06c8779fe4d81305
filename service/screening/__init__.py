"""The use-case layer: the serving state and its loader, list selection, and the use cases (screen one, batch,
text, compare, yente match; monitors) returning typed results plus the audit record. The API's routes, the CLI
and the CI hook are adapters over it; `wire` is the one JSON format they share."""
