from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Canonical paths have no trailing slash; the slashed form is served too."""

    def __init__(self):
        super().__init__(trailing_slash="/?")
