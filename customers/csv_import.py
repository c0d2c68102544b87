"""Customers and properties from a CSV file: the one place that reads and checks such a file.
The admin's import page and `manage.py import_customers` both use it.

Format (UTF-8, a header row, one row per property):

    first_name,last_name,email,phone,property_label,address1,address2,city,state,postal_code

A customer is known by email (compared case-insensitively): an existing customer gets the new
properties and keeps its name and phone; rows of the same new email make one customer. Every
row is checked before anything is written, and a file with any bad row imports nothing.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower

from customers import services
from customers.models import Customer, Property
from ektor.api.errors import ApplicationError

COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "property_label",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
)
REQUIRED = ("first_name", "last_name", "email", "property_label", "address1")
CUSTOMER_COLUMNS = ("first_name", "last_name", "email", "phone")
# CSV column -> Property field.
PROPERTY_COLUMNS = {
    "property_label": "label",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
}
# The confirm step posts the file back as a form field, which Django caps at
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): stay under it so what previews can also be imported.
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000


def _max_length(column: str) -> int:
    if column in CUSTOMER_COLUMNS:
        return Customer._meta.get_field(column).max_length
    return Property._meta.get_field(PROPERTY_COLUMNS[column]).max_length


@dataclass
class Row:
    line: int
    values: dict[str, str]
    existing_customer: Customer | None = None

    @property
    def email_key(self) -> str:
        return self.values["email"].lower()


@dataclass
class ImportPlan:
    rows: list[Row] = field(default_factory=list)
    # (line number, message); line 0 is the file as a whole.
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def new_customer_count(self) -> int:
        return len({row.email_key for row in self.rows if row.existing_customer is None})

    def error_lines(self) -> list[str]:
        return [f"line {line}: {message}" if line else message for line, message in self.errors]


@dataclass(frozen=True)
class ImportResult:
    customers_created: int
    properties_created: int


def decode(data: bytes) -> str:
    """The file's text; a byte order mark (as spreadsheets write it) is dropped."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"The file is not UTF-8 text (byte {exc.start + 1})") from None


def _lines(reader, result: ImportPlan):
    """(line number, cells) per row; a row the csv module cannot read (an unclosed quote, a
    field over its size limit) is reported at its line and ends the reading."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.errors.append((reader.line_num, f"unreadable CSV: {exc}"))
            return
        yield reader.line_num, cells


def plan(text: str) -> ImportPlan:
    """Read and check every row; nothing is written."""
    result = ImportPlan()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        result.errors.append((reader.line_num, f"unreadable CSV: {exc}"))
        return result
    if header is None:
        result.errors.append((0, "The file is empty"))
        return result
    header = [name.strip().lower() for name in header]
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown or len(header) != len(set(header)):
        result.errors.append(
            (
                1,
                f"the header must be {','.join(COLUMNS)}"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            )
        )
        return result
    for line, cells in _lines(reader, result):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, as spreadsheets often leave at the end
        if len(result.rows) >= MAX_ROWS:
            result.errors.append((line, f"more than {MAX_ROWS} rows; split the file"))
            break
        if len(cells) != len(header):
            result.errors.append((line, f"{len(cells)} columns where the header has {len(header)}"))
            continue
        by_name = dict(zip(header, cells, strict=True))
        values = {name: by_name[name].strip() for name in COLUMNS}
        problems = _row_problems(values)
        if problems:
            result.errors.extend((line, problem) for problem in problems)
            continue
        result.rows.append(Row(line=line, values=values))
    if not result.rows and not result.errors:
        result.errors.append((0, "The file has a header but no rows"))
    _check_together(result)
    return result


def _row_problems(values: dict[str, str]) -> list[str]:
    problems = [f"{name} is required" for name in REQUIRED if not values[name]]
    for name, value in values.items():
        limit = _max_length(name)
        if len(value) > limit:
            problems.append(f"{name} is longer than {limit} characters")
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            problems.append(f"email {values['email']!r} is not a valid email address")
    column_of = {field: column for column, field in PROPERTY_COLUMNS.items()}
    fields = {field: values[column] for column, field in PROPERTY_COLUMNS.items()}
    problems += [
        f"{column_of[field]}: {message}"
        for field, message in services.property_text_errors(fields)
        if fields[field]  # an empty one is already "is required"
    ]
    return problems


def _check_together(result: ImportPlan) -> None:
    """What a row cannot know alone: the same customer spelled two ways, a property twice,
    and what the database already holds."""
    first_of: dict[str, Row] = {}
    labels: dict[tuple[str, str], int] = {}
    for row in result.rows:
        first = first_of.setdefault(row.email_key, row)
        if any(row.values[c] != first.values[c] for c in ("first_name", "last_name", "phone")):
            result.errors.append(
                (row.line, f"{row.values['email']} is named differently on line {first.line}")
            )
        key = (row.email_key, row.values["property_label"].lower())
        if key in labels:
            result.errors.append(
                (row.line, f"property {row.values['property_label']!r} repeats line {labels[key]}")
            )
        labels.setdefault(key, row.line)
    existing = _existing_customers(set(first_of))
    taken = set(
        Property.objects.filter(customer__in=existing.values()).values_list("customer_id", "label")
    )
    taken = {(customer_id, label.lower()) for customer_id, label in taken}
    for row in result.rows:
        row.existing_customer = existing.get(row.email_key)
        if row.existing_customer is None:
            continue
        if (row.existing_customer.pk, row.values["property_label"].lower()) in taken:
            result.errors.append(
                (
                    row.line,
                    f"{row.existing_customer} already has a property labelled "
                    f"{row.values['property_label']!r}",
                )
            )
    result.errors.sort(key=lambda error: error[0])


def _existing_customers(emails: set[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    ordered = sorted(emails)
    # In slices, so a big file never makes one enormous IN (...) list. Lower(email) is what
    # the unique index holds, so this is an index lookup.
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        matches = Customer.objects.annotate(email_key=Lower("email")).filter(email_key__in=chunk)
        for customer in matches:
            found[customer.email_key] = customer
    return found


@transaction.atomic
def run(import_plan: ImportPlan) -> ImportResult:
    """Create the plan's customers and properties through the services, all or nothing."""
    if not import_plan.ok:
        raise ValueError("the plan has errors; nothing to import")
    customers: dict[str, Customer] = {}
    properties = 0
    for row in import_plan.rows:
        values = {name: value or None for name, value in row.values.items()}
        customer = row.existing_customer or customers.get(row.email_key)
        if customer is None:
            customer = services.customer_create(**{name: values[name] for name in CUSTOMER_COLUMNS})
            customers[row.email_key] = customer
        services.property_create(
            customer_id=customer.pk,
            **{target: values[column] for column, target in PROPERTY_COLUMNS.items()},
        )
        properties += 1
    return ImportResult(customers_created=len(customers), properties_created=properties)


def import_text(text: str, *, dry_run: bool = False) -> tuple[ImportPlan, ImportResult | None]:
    """Plan, and run unless asked not to or the plan has errors. A refusal by a service at
    write time (a customer created meanwhile with the same email) becomes a plan error."""
    import_plan = plan(text)
    if dry_run or not import_plan.ok:
        return import_plan, None
    try:
        return import_plan, run(import_plan)
    except ApplicationError as exc:
        import_plan.errors.append((0, f"Nothing was imported: {exc.message}"))
        return import_plan, None
