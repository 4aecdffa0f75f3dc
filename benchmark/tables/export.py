"""``itin-bench export``: a generated world written as a user would bring their own tables.

The request table becomes a CSV with its own column names and US-style dates,
the tax records a Parquet file, and a ``mapping.toml`` names their columns.
Linking and evaluating these with ``--requests/--filers/--mapping`` gives the
same metrics as ``--data`` on the world's folder; it is also a template for
mapping real tables.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_gen.dataset import atomic_folder, read_manifest, read_table

# our column → the column name in the exported request CSV (as an agency file might call it)
REQUEST_EXPORT = {
    "request_id": "case_number",
    "first_name": "given_name",
    "last_name": "family_name",
    "dob": "date_of_birth",
    "address": "last_known_address",
    "house_number": "house_no",
    "street": "street_name",
    "unit": "apt",
    "city": "city",
    "state": "state",
    "zip": "zip_code",
    "tin": "ssn_or_itin",
    "person_id": "true_person",
}
RECORD_EXPORT = {
    "record_id": "record_id",
    "first_name": "first_name",
    "middle_name": "middle_name",
    "last_name": "last_name",
    "dob": "dob",
    "house_number": "house_number",
    "street": "street",
    "unit": "unit",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "tin": "tin",
    "person_id": "person_id",
}
REQUEST_DOB_FORMAT = "%m/%d/%Y"


def mapping_text(truth: bool = True) -> str:
    """The mapping file of an exported world (with or without the entity ids)."""
    ours = {"request_id": "id", "record_id": "id", "person_id": "entity_id"}
    lines = ["# Columns of requests.csv and filers.parquet, as written by `itin-bench export`."]
    for table, export in (("requests", REQUEST_EXPORT), ("filers", RECORD_EXPORT)):
        lines.append(f"\n[{table}]")
        for column, name in export.items():
            key = ours.get(column, column)
            if key == "entity_id" and not truth:
                continue
            lines.append(f'{key} = "{name}"')
            if key == "dob" and table == "requests":
                lines.append(f'dob_format = "{REQUEST_DOB_FORMAT}"')
    return "\n".join(lines) + "\n"


def export_user_tables(data: str | Path, out: str | Path, *, force: bool = False) -> Path:
    """Write a dataset folder's requests and IRS records as user tables plus their mapping.

    Writes ``requests.csv``, ``filers.parquet``, ``mapping.toml`` (with the
    ground-truth entity id) and ``mapping_no_truth.toml`` (without it).

    Returns
    -------
    Path
        The folder written.
    """
    read_manifest(data)
    out = Path(out)
    requests = read_table(data, "requests", list(REQUEST_EXPORT))
    records = read_table(data, "irs_filers", list(RECORD_EXPORT))
    dob = pd.to_datetime(requests["dob"])
    requests["dob"] = dob.dt.strftime(REQUEST_DOB_FORMAT).where(dob.notna(), None)
    with atomic_folder(out, force=force, kind="user tables", inputs=[data]) as tmp:
        requests[list(REQUEST_EXPORT)].rename(columns=REQUEST_EXPORT).to_csv(
            tmp / "requests.csv", index=False
        )
        pq.write_table(
            pa.Table.from_pandas(
                records[list(RECORD_EXPORT)].rename(columns=RECORD_EXPORT), preserve_index=False
            ),
            tmp / "filers.parquet",
        )
        (tmp / "mapping.toml").write_text(mapping_text(truth=True))
        (tmp / "mapping_no_truth.toml").write_text(mapping_text(truth=False))
    return out
