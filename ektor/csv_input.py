"""Reading an uploaded CSV file, as every import does (customers, catalog items): its text, its
delimiter and its records numbered by line, with a clear message for what cannot be read."""

import csv
from collections.abc import Callable, Iterator
from typing import IO, Any

# A file is read whole before any row is checked, so it is bounded. The customers' import
# posts the file back at its confirm step as a form field, which Django caps at
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): under it, what previews can also be imported.
MAX_BYTES = 2 * 1024 * 1024
# The delimiters a header line may use; the one it uses most is the file's.
DELIMITERS = (",", ";", "\t")


def read_text(file: IO[bytes]) -> str:
    """The text of an upload or an open file, read no further than the limit (a file far over
    it is not loaded whole to be refused)."""
    return decode(file.read(MAX_BYTES + 1))


def decode(data: bytes) -> str:
    """The file's text; a byte order mark (as spreadsheets write it) is dropped."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"The file is not UTF-8 text (byte {exc.start + 1}): save it as CSV UTF-8"
        ) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most (a spreadsheet in a decimal-comma language
    writes ";"); column names contain none of them, so the header line alone decides."""
    header = text.split("\n", 1)[0]
    return max(DELIMITERS, key=header.count)


def numbered(reader: Any, on_error: Callable[[int, str], None]) -> Iterator[tuple[int, Any]]:
    """(line number, record) for each record of a csv reader or DictReader, the line being the
    one the record ends on (a quoted field may span lines; blank lines are counted). A record
    the csv module cannot read (a field over its size limit) is given to `on_error` with its
    line and ends the reading."""
    while True:
        first_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The csv module does not always count the line it fails on (a quoted field after
            # a comma going over the size limit): the record starts on first_line at least.
            on_error(max(first_line, reader.line_num), f"unreadable CSV: {exc}")
            return
        yield reader.line_num, record
