"""Customers and properties from a CSV file: the one place that reads and checks such a file.
The admin's import page and `manage.py import_customers` both use it.

Format (UTF-8, a header row, one row per property; commas, or the semicolons of spreadsheets
set to a decimal comma, as the header line shows):

    first_name,last_name,email,phone,property_label,address1,address2,city,state,postal_code

Optional columns may be left out of the header. A customer is known by email (compared
case-insensitively): an existing customer gets the new properties and keeps its name and phone;
rows of the same new email make one customer. A row its customer already has, to the letter,
is "unchanged" and skipped, so a file can be imported again. Every row is checked before
anything is written, and a file with any bad row imports nothing.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower

from audit.services import recorded_in_bulk
from core.context import Ctx
from core.errors import ApplicationError
from customers import services
from customers.models import Customer, Property
from ektor.csv_input import numbered, sniff_delimiter
from ektor.text import plural

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
OPTIONAL = tuple(name for name in COLUMNS if name not in REQUIRED)
# The downloadable template: the header and one example row.
TEMPLATE_ROW = (
    "Ana",
    "Rivera",
    "ana@example.com",
    "787-555-0101",
    "Casa Playa",
    "12 Calle Sol",
    "Apt 2",
    "Isabela",
    "PR",
    "00662",
)
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
MAX_ROWS = 10_000


def _max_length(column: str) -> int:
    if column in CUSTOMER_COLUMNS:
        return Customer._meta.get_field(column).max_length
    return Property._meta.get_field(PROPERTY_COLUMNS[column]).max_length


@dataclass
class Row:
    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    existing_customer: Customer | None = None
    # The customer already has this property, every field the same: nothing to write.
    unchanged: bool = False

    @property
    def email_key(self) -> str:
        return self.values["email"].lower()

    @property
    def status(self) -> str:
        """What the import does with the row, for the preview."""
        if self.problems:
            return "; ".join(self.problems)
        if self.unchanged:
            return f"unchanged (already a property of {self.existing_customer})"
        if self.existing_customer is not None:
            return f"new property for {self.existing_customer}"
        return "new customer"


@dataclass
class ImportPlan:
    # Every row read, good or bad, in file order (the preview shows them all).
    rows: list[Row] = field(default_factory=list)
    # (line number, message); line 0 is the file as a whole.
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def rows_to_write(self) -> list[Row]:
        return [row for row in self.rows if not row.problems and not row.unchanged]

    @property
    def unchanged_count(self) -> int:
        return sum(row.unchanged for row in self.rows)

    @property
    def new_customer_count(self) -> int:
        return len({row.email_key for row in self.rows_to_write if row.existing_customer is None})

    def summary(self) -> str:
        """'3 properties for 2 new customers, 1 unchanged row' (what a confirm would write)."""
        text = (
            f"{plural(len(self.rows_to_write), 'property', 'properties')} for "
            f"{plural(self.new_customer_count, 'new customer')}"
        )
        return text + unchanged_note(self.unchanged_count)

    def error_lines(self) -> list[str]:
        return [f"line {line}: {message}" if line else message for line, message in self.errors]

    def add_problem(self, row: Row, message: str) -> None:
        row.problems.append(message)
        self.errors.append((row.line, message))


def unchanged_note(count: int) -> str:
    return f", {plural(count, 'unchanged row')} skipped" if count else ""


@dataclass(frozen=True)
class ImportResult:
    customers_created: int
    properties_created: int
    unchanged: int = 0

    def summary(self) -> str:
        """'2 new customers and 3 properties, 1 unchanged row skipped'."""
        return (
            f"{plural(self.customers_created, 'new customer')} and "
            f"{plural(self.properties_created, 'property', 'properties')}"
            + unchanged_note(self.unchanged)
        )


def template_csv() -> str:
    """The file to start from: the header and one example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(TEMPLATE_ROW)
    return out.getvalue()


def plan(ctx: Ctx, text: str) -> ImportPlan:
    """Read and check every row; nothing is written."""
    result = ImportPlan()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        result.errors.append((reader.line_num, f"unreadable CSV: {exc}"))
        return result
    if header is None:
        result.errors.append((0, "The file is empty"))
        return result
    header = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown or len(header) != len(set(header)):
        result.errors.append(
            (
                1,
                f"the header must name the columns {','.join(REQUIRED)} "
                f"(and may name {','.join(OPTIONAL)})"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            )
        )
        return result
    for line, cells in numbered(reader, lambda line, error: result.errors.append((line, error))):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, as spreadsheets often leave at the end
        if len(result.rows) >= MAX_ROWS:
            result.errors.append((line, f"more than {MAX_ROWS} rows; split the file"))
            break
        by_name = dict(zip(header, cells, strict=False))
        row = Row(line=line, values={name: by_name.get(name, "").strip() for name in COLUMNS})
        result.rows.append(row)
        if len(cells) != len(header):
            result.add_problem(row, f"{len(cells)} columns where the header has {len(header)}")
            continue
        for problem in _row_problems(ctx, row.values):
            result.add_problem(row, problem)
    if not result.rows and not result.errors:
        result.errors.append((0, "The file has a header but no rows"))
    _check_together(ctx, result)
    return result


def _row_problems(ctx: Ctx, values: dict[str, str]) -> list[str]:
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
        for field, message in services.property_text_errors(ctx, fields)
        if fields[field]  # an empty one is already "is required"
    ]
    return problems


def _check_together(ctx: Ctx, result: ImportPlan) -> None:
    """What a row cannot know alone: the same customer spelled two ways, a property twice,
    and what the database already holds."""
    first_of: dict[str, Row] = {}
    labels: dict[tuple[str, str], int] = {}
    readable = [row for row in result.rows if row.values["email"] and not row.problems]
    for row in readable:
        first = first_of.setdefault(row.email_key, row)
        if any(row.values[c] != first.values[c] for c in ("first_name", "last_name", "phone")):
            result.add_problem(
                row, f"{row.values['email']} is named differently on line {first.line}"
            )
        key = (row.email_key, row.values["property_label"].lower())
        if key in labels:
            result.add_problem(
                row, f"property {row.values['property_label']!r} repeats line {labels[key]}"
            )
        labels.setdefault(key, row.line)
    existing = _existing_customers(ctx, set(first_of))
    stored = {
        (prop.customer_id, prop.label.lower()): prop
        for prop in Property.objects.of(ctx).filter(customer__in=existing.values())
    }
    for row in readable:
        row.existing_customer = existing.get(row.email_key)
        if row.existing_customer is None or row.problems:
            continue
        prop = stored.get((row.existing_customer.pk, row.values["property_label"].lower()))
        if prop is None:
            continue
        if _same_property(prop, row.values):
            row.unchanged = True
        else:
            result.add_problem(
                row,
                f"{row.existing_customer} already has a property labelled "
                f"{row.values['property_label']!r} that differs from this row",
            )
    result.errors.sort(key=lambda error: error[0])


def _same_property(prop: Property, values: dict[str, str]) -> bool:
    """The row says what the stored property says (a blank cell is a NULL column)."""
    return all(
        (getattr(prop, target) or "") == values[column]
        for column, target in PROPERTY_COLUMNS.items()
    )


def _existing_customers(ctx: Ctx, emails: set[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    ordered = sorted(emails)
    # In slices, so a big file never makes one enormous IN (...) list. Lower(email) is what
    # the unique index holds, so this is an index lookup.
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        matches = (
            Customer.objects.of(ctx).annotate(email_key=Lower("email")).filter(email_key__in=chunk)
        )
        for customer in matches:
            found[customer.email_key] = customer
    return found


@transaction.atomic
def run(ctx: Ctx, import_plan: ImportPlan) -> ImportResult:
    """Create the plan's customers and properties through the services, all or nothing; their
    audit events (one per customer and property created) are inserted together at the end."""
    if not import_plan.ok:
        raise ValueError("the plan has errors; nothing to import")
    with recorded_in_bulk(ctx):
        return _write_rows(ctx, import_plan)


def _write_rows(ctx: Ctx, import_plan: ImportPlan) -> ImportResult:
    customers: dict[str, Customer] = {}
    properties = 0
    for row in import_plan.rows_to_write:
        values = {name: value or None for name, value in row.values.items()}
        customer = row.existing_customer or customers.get(row.email_key)
        if customer is None:
            customer = services.customer_create(
                ctx, **{name: values[name] for name in CUSTOMER_COLUMNS}
            )
            customers[row.email_key] = customer
        services.property_create(
            ctx,
            customer_id=customer.pk,
            **{target: values[column] for column, target in PROPERTY_COLUMNS.items()},
        )
        properties += 1
    return ImportResult(
        customers_created=len(customers),
        properties_created=properties,
        unchanged=import_plan.unchanged_count,
    )


def import_text(
    ctx: Ctx, text: str, *, dry_run: bool = False
) -> tuple[ImportPlan, ImportResult | None]:
    """Plan, and run unless asked not to or the plan has errors. A refusal by a service at
    write time (a customer created meanwhile with the same email) becomes a plan error."""
    import_plan = plan(ctx, text)
    if dry_run or not import_plan.ok:
        return import_plan, None
    try:
        return import_plan, run(ctx, import_plan)
    except ApplicationError as exc:
        import_plan.errors.append((0, f"Nothing was imported: {exc.message}"))
        return import_plan, None
