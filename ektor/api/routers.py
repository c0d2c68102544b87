from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Canonical paths have no trailing slash; the slashed form is served too."""

    def __init__(self):
        super().__init__()
        # SimpleRouter only knows "/" or ""; its regex routes take any suffix pattern.
        self.trailing_slash = "/?"
