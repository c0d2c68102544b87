"""The project's own API operations for the role matrix (tests/test_role_matrix.py)."""

from ektor.files import file_save, file_url
from ektor.testing import RoleCase


def _file_link() -> str:
    return file_url(file_save("role-matrix/note.txt", b"a stored file"))


CASES = [
    # A signed link is its own credential: any caller holding one gets the file (ektor/files.py).
    RoleCase("GET", "api/v1/files/<file>", _file_link, staff_allowed=True, anonymous_allowed=True),
]
