"""Your own tables: a mapped CSV/Parquet pair links and evaluates like the world it came from,
every malformed input is refused with one line before anything is written, and outputs with
names or small counts appear only when asked for."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmark.cli import main
from benchmark.evaluation.evaluate import evaluate
from benchmark.evaluation.privacy import suppress_small_counts
from benchmark.linking.link import run_link
from benchmark.tables.addresses import parse_addresses
from benchmark.tables.export import export_user_tables
from benchmark.tables.reading import MAX_FIELD_CHARS
from benchmark.tables.user_tables import load_user_tables
from data_gen.dataset import read_table

# the unsupervised strategies: rules and Splink's EM
STRATEGIES = ("irs_2025", "exact_name_address", "name_dob", "fuzzy_rules", "splink")
COMPARED = ("threshold_sweep", "operating_points", "outcomes")


@pytest.fixture(scope="module")
def exported(smoke_world, tmp_path_factory) -> Path:
    return export_user_tables(smoke_world, tmp_path_factory.mktemp("own") / "tables")


@pytest.fixture(scope="module")
def both_ways(smoke_world, exported, tmp_path_factory):
    """Every strategy linked and evaluated on the folder and on its exported tables."""
    tmp = tmp_path_factory.mktemp("both")
    user = load_user_tables(
        exported / "requests.csv", exported / "filers.parquet", exported / "mapping.toml"
    )
    for name in STRATEGIES:
        run_link(smoke_world, name, tmp / "folder_links" / name)
        run_link(user, name, tmp / "user_links" / name)
    evaluate(smoke_world, [tmp / "folder_links"], tmp / "folder_eval")
    evaluate(user, [tmp / "user_links"], tmp / "user_eval")
    return tmp


def _tables(requests: Path, filers: Path, mapping: Path) -> list[str]:
    """The command-line options naming user tables and their mapping."""
    return ["--requests", str(requests), "--filers", str(filers), "--mapping", str(mapping)]


def _exported(folder: Path, mapping: str = "mapping.toml") -> list[str]:
    return _tables(folder / "requests.csv", folder / "filers.parquet", folder / mapping)


# --------------------------------------------------------------------------- same metrics


@pytest.mark.parametrize("table", COMPARED)
def test_mapped_tables_give_the_same_metrics_as_the_folder(both_ways, table):
    folder = pd.read_parquet(both_ways / "folder_eval" / f"{table}.parquet")
    user = pd.read_parquet(both_ways / "user_eval" / f"{table}.parquet")
    assert set(folder["strategy"]) == set(STRATEGIES)
    pd.testing.assert_frame_equal(user, folder)


def test_mapped_tables_give_the_same_pairs(both_ways):
    for name in STRATEGIES:
        folder = pd.read_parquet(both_ways / "folder_links" / name / "pairs.parquet")
        user = pd.read_parquet(both_ways / "user_links" / name / "pairs.parquet")
        pd.testing.assert_frame_equal(user, folder)


def test_user_evaluation_has_no_harm_but_disparities_by_surname_and_state(both_ways):
    files = {p.name for p in (both_ways / "user_eval").iterdir()}
    assert "harm_summary.csv" not in files and "harm_households.csv" not in files
    disp = pd.read_csv(both_ways / "user_eval" / "disparities.csv")
    assert set(disp["dimension"]) == {"surname_decile", "state"}
    # every request is counted once per dimension
    one = disp[(disp["strategy"] == "irs_2025") & (disp["operating_point"] == "natural")]
    n = len(read_table(_world(both_ways), "requests"))
    assert one.groupby(["assignment", "dimension"])["requests"].sum().eq(n).all()


def _world(both_ways: Path) -> Path:
    manifest = pd.read_json(both_ways / "folder_eval" / "evaluation_manifest.json", typ="series")
    return Path(manifest["data"])


def test_one_line_addresses_are_parsed_into_parts(smoke_world, exported, tmp_path):
    """A mapping with only the one-line request address: usaddress splits it, nearly as generated."""
    text = (exported / "mapping.toml").read_text()
    requests_part, filers_part = text.split("[filers]")
    for key in ("house_number", "street", "unit", "city", "state", "zip"):
        requests_part = re.sub(rf"(?m)^{key} = .*\n", "", requests_part)
    mapping = tmp_path / "one_line.toml"
    mapping.write_text(requests_part + "[filers]" + filers_part)
    user = load_user_tables(exported / "requests.csv", exported / "filers.parquet", mapping)
    generated = read_table(smoke_world, "requests")
    parsed = user.link_data.requests
    for part in ("house_number", "zip", "street"):
        same = (
            parsed[part].fillna("~").to_numpy() == generated[part].fillna("~").to_numpy()
        ).mean()
        assert same > 0.95, (part, same)
    # an address rule on parsed parts finds (nearly) the true pairs it finds on the given parts
    found = {}
    for name, tables in (("parsed", user), ("given", _with_given_parts(exported))):
        folder = tmp_path / name / "exact_name_address"
        run_link(tables, "exact_name_address", folder)
        found[name] = pd.read_json(folder / "blocking_report.json", typ="series")[
            "true_pairs_found"
        ]
    assert found["given"] > 0 and found["parsed"] >= 0.95 * found["given"], found


def _with_given_parts(exported: Path):
    return load_user_tables(
        exported / "requests.csv", exported / "filers.parquet", exported / "mapping.toml"
    )


def test_parse_addresses_keeps_nulls_and_reads_units():
    parsed = parse_addresses(pd.Series(["410 W OAK AVE APT 12, ALAMO, TX 78516", None]))
    assert parsed.iloc[0].tolist() == ["410", "W OAK AVE", "APT 12", "ALAMO", "TX", "78516"]
    assert parsed.iloc[1].isna().all()


def test_text_ids_are_numbered_and_kept(exported, tmp_path):
    """Ids such as "A-000017" are numbered in sorted order; pairs carry the original ids."""
    req = pd.read_csv(exported / "requests.csv", dtype=str, keep_default_na=False)
    req["case_number"] = "A-" + req["case_number"].str.zfill(6)
    req.to_csv(tmp_path / "requests.csv", index=False)
    user = load_user_tables(
        tmp_path / "requests.csv", exported / "filers.parquet", exported / "mapping.toml"
    )
    assert user.request_keys is not None and user.record_keys is None
    run_link(user, "irs_2025", tmp_path / "links" / "irs_2025")
    pairs = pd.read_parquet(tmp_path / "links" / "irs_2025" / "pairs.parquet")
    assert len(pairs) > 0
    numbers = pairs["request_key"].str.removeprefix("A-").astype(int)
    # zero-padded numbers sort as numbers, so the numbering is the original one
    assert (numbers == pairs["request_id"]).all()


def test_without_truth_only_match_counts_and_score_distribution(exported, tmp_path, capsys):
    base = _exported(exported, "mapping_no_truth.toml")
    for name in ("exact_name_address", "splink"):
        out = tmp_path / "links" / name
        assert main(["-q", "link", *base, "--strategy", name, "--out", str(out)]) == 0
    assert (
        main(
            [
                "-q",
                "evaluate",
                *base,
                "--pairs",
                str(tmp_path / "links"),
                "--out",
                str(tmp_path / "e"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "no ground truth" in printed and "splink" in printed
    files = {p.name for p in (tmp_path / "e").iterdir()}
    assert {"match_counts.csv", "score_distribution.csv"} <= files
    assert "threshold_sweep.csv" not in files and "outcomes.csv" not in files
    counts = pd.read_csv(tmp_path / "e" / "match_counts.csv")
    dist = pd.read_csv(tmp_path / "e" / "score_distribution.csv")
    for name in ("exact_name_address", "splink"):
        pairs = pd.read_parquet(tmp_path / "links" / name / "pairs.parquet")
        row = counts[(counts["strategy"] == name) & (counts["assignment"] == "none")].iloc[0]
        threshold = row["threshold"]
        kept = pairs if np.isnan(threshold) else pairs[pairs["score"] >= threshold]
        assert row["pairs"] == len(kept)
        assert row["requests_matched"] == kept["request_id"].nunique()
        d = dist[(dist["strategy"] == name) & (dist["assignment"] == "none")]
        assert d["pairs"].sum() == len(pairs)
        assert d["requests_best"].sum() == pairs["request_id"].nunique()
        assert d["pairs_at_or_above"].iloc[0] == len(pairs)


# --------------------------------------------------------------------------- malformed input


def _base(exported: Path, tmp: Path) -> dict[str, Path]:
    """A private, valid copy of the exported tables (CSV requests, CSV filers too)."""
    paths = {
        "requests": tmp / "requests.csv",
        "filers": tmp / "filers.csv",
        "mapping": tmp / "mapping.toml",
    }
    paths["requests"].write_bytes((exported / "requests.csv").read_bytes())
    filers = pd.read_parquet(exported / "filers.parquet")
    filers["dob"] = pd.to_datetime(filers["dob"]).dt.strftime("%Y-%m-%d")
    filers.to_csv(paths["filers"], index=False)
    paths["mapping"].write_text((exported / "mapping.toml").read_text())
    return paths


def _edit_csv(path: Path, edit) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame)
    frame.to_csv(path, index=False)


def _set_cell(column: str, row: int, value: str):
    def edit(frame: pd.DataFrame) -> None:
        frame.loc[row, column] = value

    return edit


def _mapping_replace(old: str, new: str):
    def change(paths: dict[str, Path]) -> None:
        text = paths["mapping"].read_text()
        assert old in text, old
        paths["mapping"].write_text(text.replace(old, new, 1))

    return change


def _csv(which: str, edit):
    return lambda paths: _edit_csv(paths[which], edit)


def _write(which: str, data: bytes):
    return lambda paths: paths[which].write_bytes(data)


def _header_only(paths: dict[str, Path]) -> None:
    header = paths["requests"].read_text().splitlines()[0]
    paths["requests"].write_text(header + "\n")


def _not_utf8(paths: dict[str, Path]) -> None:
    lines = paths["requests"].read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b",", "é".encode("latin-1") + b",", 1)
    paths["requests"].write_bytes(b"\n".join(lines))


def _ragged(paths: dict[str, Path]) -> None:
    lines = paths["requests"].read_text().split("\n")
    lines[4] = lines[4] + ",extra,cells"
    paths["requests"].write_text("\n".join(lines))


def _misspell_family_name(frame: pd.DataFrame) -> None:
    frame.columns = ["familyname" if c == "family_name" else c for c in frame.columns]


def _duplicate_id(frame: pd.DataFrame) -> None:
    frame.loc[9, "case_number"] = frame.loc[2, "case_number"]


def _filers_as_parquet(edit):
    """The filer table written as Parquet after ``edit`` (which returns the new frame)."""

    def change(paths: dict[str, Path]) -> None:
        frame = edit(pd.read_csv(paths["filers"], dtype=str, keep_default_na=False))
        target = paths["filers"].with_suffix(".parquet")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), target)
        paths["filers"].unlink()
        paths["filers"] = target

    return change


def _rename_to(which: str, suffix: str):
    def change(paths: dict[str, Path]) -> None:
        target = paths[which].with_suffix(suffix)
        paths[which].rename(target)
        paths[which] = target

    return change


def _same_file(paths: dict[str, Path]) -> None:
    paths["filers"] = paths["requests"]


CASES = [
    # the mapping
    pytest.param(_write("mapping", b"[requests\nid = 1"), "not valid TOML", id="mapping-not-toml"),
    pytest.param(_write("mapping", b"\xff\xfe[requests]"), "not UTF-8", id="mapping-not-utf8"),
    pytest.param(
        _mapping_replace("[filers]", "[filer]"),
        "unknown table [filer] (did you mean",
        id="mapping-unknown-table",
    ),
    pytest.param(
        _mapping_replace('first_name = "given_name"', 'frist_name = "given_name"'),
        "unknown key 'frist_name' (did you mean 'first_name'?)",
        id="mapping-misspelt-key",
    ),
    pytest.param(
        _mapping_replace('last_name = "family_name"\n', ""),
        "[requests] lacks last_name",
        id="mapping-missing-key",
    ),
    pytest.param(
        _mapping_replace('last_name = "family_name"', 'last_name = "given_name"'),
        "first_name and last_name both name column 'given_name'",
        id="mapping-column-twice",
    ),
    pytest.param(
        _mapping_replace('dob_format = "%m/%d/%Y"', 'dob_format = "MM/DD/YYYY"'),
        "dob_format 'MM/DD/YYYY' cannot read dates",
        id="mapping-bad-dob-format",
    ),
    pytest.param(
        _mapping_replace('entity_id = "true_person"\n', ""),
        "entity_id is given for [filers] but not [requests]",
        id="mapping-entity-one-side",
    ),
    pytest.param(
        _mapping_replace('id = "case_number"', "id = 3"),
        "id must be a column name in quotes",
        id="mapping-value-not-text",
    ),
    # the tables
    pytest.param(
        lambda p: p["requests"].unlink(), "requests.csv: no such file", id="table-missing"
    ),
    pytest.param(
        _rename_to("requests", ".txt"), "expected a .csv or .parquet file", id="table-extension"
    ),
    pytest.param(_write("requests", b""), "the file is empty", id="table-empty-file"),
    pytest.param(_header_only, "requests.csv: the table has no rows", id="table-no-rows"),
    pytest.param(_not_utf8, "requests.csv: line 4 is not UTF-8 text", id="table-not-utf8"),
    pytest.param(_ragged, "not a readable CSV file", id="table-ragged-csv"),
    pytest.param(
        _rename_to("filers", ".parquet"),
        "filers.parquet: not a readable Parquet file",
        id="table-corrupt-parquet",
    ),
    pytest.param(
        _csv("requests", _misspell_family_name),
        "no column 'family_name' (named by",
        id="table-misspelt-column",
    ),
    pytest.param(
        _csv("requests", _duplicate_id),
        "column 'case_number': id '2' appears on data rows 3 and 10",
        id="table-duplicate-id",
    ),
    pytest.param(
        _csv("filers", _set_cell("record_id", 5, "")),
        "data row 6, column 'record_id': the record id is empty",
        id="table-empty-id",
    ),
    pytest.param(
        _csv("requests", _set_cell("date_of_birth", 7, "31/12/1980")),
        "data row 8, column 'date_of_birth': '31/12/1980' is not a date in the format '%m/%d/%Y'",
        id="table-bad-date",
    ),
    pytest.param(
        _csv("requests", _set_cell("given_name", 11, "X" * (MAX_FIELD_CHARS + 1))),
        f"data row 12, column 'given_name': {MAX_FIELD_CHARS + 1:,} characters",
        id="table-absurdly-long",
    ),
    pytest.param(
        _filers_as_parquet(lambda f: f.assign(zip=pd.to_numeric(f["zip"]))),
        "column 'zip' holds numbers; store it as text",
        id="table-numeric-zip",
    ),
    pytest.param(
        _filers_as_parquet(lambda f: f.rename(columns={"last_name": "lastname"})),
        "filers.parquet: no column 'last_name' (named by",
        id="parquet-misspelt-column",
    ),
    pytest.param(
        _filers_as_parquet(lambda f: f.iloc[:0]),
        "filers.parquet: the table has no rows",
        id="parquet-no-rows",
    ),
    pytest.param(
        _filers_as_parquet(lambda f: f.assign(record_id=f["record_id"].astype(float) + 0.5)),
        "ids must be whole numbers or text",
        id="parquet-fractional-ids",
    ),
    pytest.param(_same_file, "given as both --requests and --filers", id="table-same-file"),
]


@pytest.mark.parametrize("command", ["link", "evaluate"])
@pytest.mark.parametrize(("damage", "needle"), CASES)
def test_malformed_input_exits_2_with_one_line_and_writes_nothing(
    exported, tmp_path, capsys, damage, needle, command
):
    paths = _base(exported, tmp_path)
    if command == "evaluate":
        # a valid link folder made before the damage
        link = tmp_path / "links" / "irs_2025"
        args = _tables(paths["requests"], paths["filers"], paths["mapping"])
        assert main(["-q", "link", *args, "--strategy", "irs_2025", "--out", str(link)]) == 0
        capsys.readouterr()
    damage(paths)
    out = tmp_path / "out"
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = ["-q", command, *_tables(paths["requests"], paths["filers"], paths["mapping"])]
    argv += ["--out", str(out)]
    argv += (
        ["--strategy", "irs_2025"] if command == "link" else ["--pairs", str(tmp_path / "links")]
    )
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("itin-bench: error:"), err
    assert needle in err[0], err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        pytest.param(["--data", "{world}"], "either --data or", id="data-and-tables"),
        pytest.param(["--no-mapping"], "also need(s) --mapping", id="tables-without-mapping"),
        pytest.param(
            ["--strategy", "splink_supervised"], "unsupervised strategies only", id="supervised"
        ),
    ],
)
def test_link_argument_errors(smoke_world, exported, tmp_path, capsys, extra, needle):
    tables = _exported(exported)
    if extra == ["--no-mapping"]:
        tables, extra = tables[:4], []  # --requests and --filers only
    argv = ["link", *tables, "--out", str(tmp_path / "out")]
    argv += [e.format(world=smoke_world) for e in extra]
    if "--strategy" not in argv:
        argv += ["--strategy", "irs_2025"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "out").exists()


def test_evaluate_refuses_pairs_from_other_tables_or_replicates(
    both_ways, exported, tmp_path, capsys
):
    tables = _exported(exported)
    out = str(tmp_path / "e")
    # pairs linked on the folder are not pairs of these tables
    assert (
        main(["evaluate", *tables, "--pairs", str(both_ways / "folder_links"), "--out", out]) == 2
    )
    assert "not linked on these tables" in capsys.readouterr().err
    assert (
        main(
            [
                "evaluate",
                *tables,
                "--pairs",
                str(both_ways / "user_links"),
                "--out",
                out,
                "--replicates",
                "2",
            ]
        )
        == 2
    )
    assert "user tables are one world" in capsys.readouterr().err
    assert (
        main(
            [
                "evaluate",
                *tables,
                "--pairs",
                str(both_ways / "user_links"),
                "--out",
                out,
                "--suppress-below",
                "0",
            ]
        )
        == 2
    )
    assert "--suppress-below 0" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


# --------------------------------------------------------------------------- privacy


def _output_files(folder: Path) -> list[Path]:
    return [
        p for p in folder.rglob("*") if p.is_file() and p.suffix in (".csv", ".parquet", ".json")
    ]


def test_no_names_are_written_without_write_records(smoke_world, both_ways, tmp_path):
    requests = read_table(smoke_world, "requests")
    names = set(requests["last_name"].dropna()) | set(requests["first_name"].dropna())
    for folder in (both_ways / "user_links", both_ways / "user_eval"):
        for path in _output_files(folder):
            text = path.read_bytes().decode("utf-8", errors="replace")
            if path.suffix == ".parquet":
                frame = pd.read_parquet(path)
                assert not any("name" in c for c in frame.columns), path
                cells = set(frame.select_dtypes(exclude="number").astype(str).to_numpy().ravel())
            else:
                cells = set(re.split(r"[,\n\"]", text))
            assert not (cells & names), (path, sorted(cells & names)[:3])
    assert not list((both_ways / "user_links").rglob("records.parquet"))


def test_write_records_adds_both_sides_of_every_pair(exported, tmp_path, capsys):
    out = tmp_path / "links" / "irs_2025"
    argv = [
        "-q",
        "link",
        *_exported(exported),
        "--strategy",
        "irs_2025",
        "--out",
        str(out),
        "--write-records",
    ]
    assert main(argv) == 0
    assert "personal data" in capsys.readouterr().out
    records = pd.read_parquet(out / "records.parquet")
    pairs = pd.read_parquet(out / "pairs.parquet")
    assert records[["request_id", "record_id"]].equals(pairs[["request_id", "record_id"]])
    req = pd.read_csv(exported / "requests.csv", dtype=str).set_index(
        pd.read_csv(exported / "requests.csv")["case_number"]
    )
    expected = req.loc[records["request_id"], "family_name"].to_numpy()
    assert (records["request_last_name"].to_numpy() == expected).all()
    assert records["record_last_name"].notna().all()


def test_suppress_below_blanks_small_counts_and_what_is_computed_from_them():
    sweep = pd.DataFrame(
        {
            "strategy": ["s"] * 4,
            "threshold": [0.9, 0.8, 0.7, 0.6],
            "tp": [0, 4, 12, 40],
            "fp": [0, 0, 3, 25],
            "fn": [50, 46, 38, 10],
            "precision": [np.nan, 1.0, 0.8, 40 / 65],
        }
    )
    harm = pd.DataFrame({"household_id": [1, 2], "people": [3, 12], "people_per_100k": [3.0, 12.0]})
    out = suppress_small_counts({"threshold_sweep": sweep, "harm_households": harm}, 10)
    s = out["threshold_sweep"]
    assert s["tp"].tolist()[0] == 0 and pd.isna(s["tp"].iloc[1]) and s["tp"].iloc[3] == 40
    assert pd.isna(s["fp"].iloc[2]) and s["fp"].iloc[1] == 0
    # precision from a blanked count is blanked; from kept counts it is kept
    assert pd.isna(s["precision"].iloc[1]) and pd.isna(s["precision"].iloc[2])
    assert s["precision"].iloc[3] == pytest.approx(40 / 65)
    h = out["harm_households"]
    assert h["household_id"].tolist() == [1, 2]  # ids are not counts
    assert pd.isna(h["people"].iloc[0]) and pd.isna(h["people_per_100k"].iloc[0])
    assert h["people"].iloc[1] == 12 and h["people_per_100k"].iloc[1] == 12.0


def test_suppress_below_on_a_whole_evaluation(smoke_world, both_ways, tmp_path, capsys):
    below = 10
    out = tmp_path / "e"
    argv = [
        "-q",
        "evaluate",
        "--data",
        str(smoke_world),
        "--pairs",
        str(both_ways / "folder_links"),
        "--out",
        str(out),
        "--suppress-below",
        str(below),
    ]
    assert main(argv) == 0
    capsys.readouterr()
    blanked = 0
    for path in out.glob("*.parquet"):
        frame = pd.read_parquet(path)
        for column in frame.columns:
            if column in ("household_id", "address_id", "replicate", "replicates", "bin", "worlds"):
                continue
            values = frame[column]
            if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
                numbers = values.dropna().to_numpy()
                assert not ((numbers > 0) & (numbers < below)).any(), (path.name, column)
                blanked += int(values.isna().sum())
        if path.stem in ("replicate_figures", "intervals"):
            value = "value" if path.stem == "replicate_figures" else "mean"
            counts = frame[frame["metric"].isin(["tp", "fp", "wrong_person", "households"])]
            numbers = counts[value].dropna().to_numpy()
            assert not ((numbers > 0) & (numbers < below)).any(), path.name
    # the smoke world has small counts: something was blanked
    assert blanked > 0
    unsuppressed = pd.read_parquet(both_ways / "folder_eval" / "outcomes.parquet")
    suppressed = pd.read_parquet(out / "outcomes.parquet")
    keep = unsuppressed["correct"].to_numpy()
    shown = suppressed["correct"].to_numpy(dtype=float, na_value=np.nan)
    # small counts are blanked; what is shown is the true count (secondary suppression
    # blanks more, tests/benchmark/test_privacy.py checks that nothing can be rebuilt)
    small = (keep > 0) & (keep < below)
    published = ~np.isnan(shown)
    assert np.isnan(shown[small]).all() and (shown[published] == keep[published]).all()
