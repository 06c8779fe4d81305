"""The review page under /ui: server-rendered HTML over the same use cases as the JSON API (routes in
service.api.routes.ui), with its templates and static files shipped in this package."""
