"""A deterministic benchmark data set: contacts and a year of their activities, as CSV or JSON Lines import files.

    python benchmarks/dataset.py OUT_DIR [--contacts 100000] [--activities 2000000] [--format csv] [--seed 7]

Writes contacts.<ext> and activities.<ext> (sorted by time, as event exports are) for `scorebridge import`. A few
activity-heavy contacts and many quiet ones, as real engagement is skewed; about one contact in a thousand has a
garbage employees or revenue value, so the import's warning path is exercised too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml

#: The end of the generated year; scoring benchmarks use it as "now".
DATASET_END = datetime(2026, 11, 1, tzinfo=UTC)
YEAR_SECONDS = 365 * 24 * 3600
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "mappings" / "scoring.yaml"

PAGES = (
    "/pricing",
    "/careers",
    "/product",
    "/product/integrations",
    "/blog/lead-scoring",
    "/blog/engagement",
    "/docs/getting-started",
    "/case-studies",
    "/about",
    "/contact",
    "/webinars",
    "/security",
)
CAMPAIGNS = (
    "spring-launch",
    "newsletter-2026-03",
    "newsletter-2026-06",
    "newsletter-2026-09",
    "webinar-invite",
    "product-update",
    "event-follow-up",
    "nurture-1",
    "nurture-2",
    "nurture-3",
)
FORMS = ("contact_us", "whitepaper", "brochure", "webinar_signup", "newsletter")
CALL_OUTCOMES = ("good conversation", "not interested", "left voicemail", "no answer")

#: (activity type, relative frequency, attribute column it fills, values for that column).
ACTIVITY_MIX: tuple[tuple[str, float, str | None, Sequence[str]], ...] = (
    ("page_view", 45.0, "url", PAGES),
    ("email_open", 25.0, "campaign", CAMPAIGNS),
    ("email_click", 10.0, "campaign", CAMPAIGNS),
    ("form_fill", 5.0, "form", FORMS),
    ("webinar_attended", 2.0, "campaign", CAMPAIGNS[4:5]),
    ("demo_attended", 0.5, None, ()),
    ("call", 2.0, "outcome", CALL_OUTCOMES),
    ("webinar_registered", 3.0, "campaign", CAMPAIGNS[4:5]),
    ("demo_scheduled", 0.8, None, ()),
    ("meeting", 0.5, None, ()),
    ("unsubscribe", 0.3, None, ()),
    ("email_bounce", 0.2, None, ()),
    ("not_interested", 0.1, None, ()),
)
ATTRIBUTE_COLUMNS = ("url", "campaign", "form", "outcome")
#: Weight of a type the model knows but this mix does not describe.
OTHER_TYPE_WEIGHT = 0.5

INDUSTRIES = ("Technology", "Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education", "")
TITLES = ("CEO", "VP Marketing", "Marketing Manager", "Software Engineer", "Student", "Sales Manager", "Consultant", "")
COUNTRIES = ("US", "GB", "DE", "FR", "IN", "JP", "BR", "")
LEAD_SOURCES = ("Web", "Webinar", "Trade Show", "Partner", "Purchased List", "")
PRODUCTS = ("Analytics", "Automation", "Platform", "")


@dataclass(frozen=True)
class DatasetFiles:
    contacts: Path
    activities: Path
    contact_count: int
    activity_count: int


def activity_mix(model_path: Path = DEFAULT_MODEL) -> list[tuple[str, float, str | None, Sequence[str]]]:
    """The mix above limited to the model's vocabulary when a model file exists, plus its other types."""
    if not model_path.exists():
        return list(ACTIVITY_MIX)
    vocabulary = (yaml.safe_load(model_path.read_text(encoding="utf-8")) or {}).get("activity_types") or []
    known = {entry[0] for entry in ACTIVITY_MIX}
    mix = [entry for entry in ACTIVITY_MIX if entry[0] in vocabulary]
    mix += [(name, OTHER_TYPE_WEIGHT, None, ()) for name in vocabulary if name not in known]
    return mix or list(ACTIVITY_MIX)


def write_dataset(
    directory: Path,
    *,
    contacts: int,
    activities: int,
    file_format: str = "csv",
    seed: int = 7,
    model_path: Path = DEFAULT_MODEL,
) -> DatasetFiles:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    contact_path = directory / f"contacts.{file_format}"
    activity_path = directory / f"activities.{file_format}"
    _write(contact_path, file_format, CONTACT_HEADER, _contact_rows(rng, contacts))
    activity_rows = _activity_rows(rng, contacts, activities, activity_mix(model_path), DATASET_END, "A")
    _write(activity_path, file_format, ACTIVITY_HEADER, activity_rows)
    return DatasetFiles(contact_path, activity_path, contacts, activities)


def write_increment(
    directory: Path,
    *,
    contacts: int,
    share: float = 0.01,
    after: datetime = DATASET_END,
    hours: int = 1,
    file_format: str = "csv",
    seed: int = 8,
    model_path: Path = DEFAULT_MODEL,
    name: str = "increment",
) -> Path:
    """One new activity for ``share`` of the contacts, in the ``hours`` after ``after``: the incremental case."""
    rng = np.random.default_rng(seed)
    count = max(1, int(contacts * share))
    chosen = rng.choice(contacts, size=count, replace=False)
    path = directory / f"{name}.{file_format}"
    rows = _activity_rows(rng, contacts, count, activity_mix(model_path), after, "N", chosen, hours * 3600)
    _write(path, file_format, ACTIVITY_HEADER, rows)
    return path


CONTACT_HEADER = (
    "object_type",
    "crm_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "lead_source",
    "product_interest",
    "lifecycle",
    "owner_id",
    "is_customer",
    "email_opt_out",
    "created_at",
)
ACTIVITY_HEADER = ("source_id", "contact_object_type", "contact_crm_id", "type", "occurred_at", *ATTRIBUTE_COLUMNS)


def object_type_of(index: np.ndarray) -> np.ndarray:
    """Every third record is a Contact, the rest Leads: both kinds of CRM record take part."""
    return np.where(index % 3 == 0, "Contact", "Lead")


def _contact_rows(rng: np.random.Generator, count: int) -> Iterator[tuple]:
    index = np.arange(count)
    types = object_type_of(index)
    employees = rng.lognormal(4.5, 1.5, count).astype(int).astype(str)
    revenue = (rng.lognormal(15, 1.5, count) // 1000 * 1000).astype(int).astype(str)
    garbage = rng.random(count) < 0.001
    employees[garbage] = "ten"
    revenue[garbage] = "$5M"
    created = DATASET_END.timestamp() - YEAR_SECONDS - rng.integers(0, YEAR_SECONDS, count)
    created_text = _iso(created)
    picks = {
        name: rng.integers(0, len(values), count)
        for name, values in (
            ("title", TITLES),
            ("industry", INDUSTRIES),
            ("country", COUNTRIES),
            ("lead_source", LEAD_SOURCES),
            ("product", PRODUCTS),
        )
    }
    flags = rng.random((2, count)) < np.array([[0.05], [0.02]])
    for i in range(count):
        yield (
            types[i],
            f"{types[i][0]}{i:07d}",
            f"person{i}@company{i % 5000}.example",
            f"First{i}",
            f"Last{i}",
            TITLES[picks["title"][i]],
            f"Company {i % 5000}",
            INDUSTRIES[picks["industry"][i]],
            employees[i],
            revenue[i],
            COUNTRIES[picks["country"][i]],
            LEAD_SOURCES[picks["lead_source"][i]],
            PRODUCTS[picks["product"][i]],
            "lead",
            f"U{i % 50:03d}",
            str(flags[0, i]).lower(),
            str(flags[1, i]).lower(),
            created_text[i],
        )


def _activity_rows(
    rng: np.random.Generator,
    contacts: int,
    count: int,
    mix: list,
    end: datetime,
    prefix: str,
    chosen: np.ndarray | None = None,
    span: int = YEAR_SECONDS,
) -> Iterator[tuple]:
    if chosen is None:
        # Skewed engagement: a contact's share of activity follows a lognormal weight.
        weights = rng.lognormal(0, 1.2, contacts)
        chosen = rng.choice(contacts, size=count, p=weights / weights.sum())
    moments = np.sort(int(end.timestamp()) - span + rng.integers(1, span + 1, count))
    times = _iso(moments)
    frequencies = np.array([entry[1] for entry in mix])
    type_index = rng.choice(len(mix), size=count, p=frequencies / frequencies.sum())
    value_pick = rng.integers(0, 1 << 30, count)
    types = object_type_of(chosen)
    blank = ("",) * len(ATTRIBUTE_COLUMNS)
    for i in range(count):
        name, _, column, values = mix[type_index[i]]
        attributes = blank
        if column:
            attributes = tuple(values[value_pick[i] % len(values)] if c == column else "" for c in ATTRIBUTE_COLUMNS)
        contact = chosen[i]
        yield (f"{prefix}{i:08d}", types[i], f"{types[i][0]}{contact:07d}", name, times[i], *attributes)


def _iso(epochs: np.ndarray) -> list[str]:
    return [text + "Z" for text in np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s").tolist()]


def _write(path: Path, file_format: str, header: Sequence[str], rows: Iterator[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        if file_format == "csv":
            # The values hold no commas, quotes or newlines, so joining is a correct and fast CSV writer.
            stream.write(",".join(header) + "\n")
            stream.writelines(",".join(row) + "\n" for row in rows)
        else:
            for row in rows:
                stream.write(json.dumps({k: v for k, v in zip(header, row, strict=True) if v != ""}) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args(argv)
    files = write_dataset(
        options.directory,
        contacts=options.contacts,
        activities=options.activities,
        file_format=options.format,
        seed=options.seed,
    )
    print(f"wrote {files.contacts} ({files.contact_count} rows) and {files.activities} ({files.activity_count} rows)")


if __name__ == "__main__":
    sys.exit(main())
