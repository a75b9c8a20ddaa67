from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocs(SpectacularSwaggerSplitView):
    """Swagger UI from the vendored files (drf-spectacular-sidecar), its start-up script from a
    URL of its own and no inline style, so that it runs under the site's strict CSP."""

    template_name = "api/swagger_ui.html"
    title = "Repair Center API"
