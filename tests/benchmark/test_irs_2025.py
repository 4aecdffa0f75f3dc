"""The 2025 two-path protocol, pinned down on hand-made records."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.strategies import Backend, LinkData
from benchmark.strategies.rules import Irs2025

RECORDS = pd.DataFrame(
    [
        # record_id, tin, first, last, house, street, unit, zip
        (100, "912701234", "JOSE", "GARCIA LOPEZ", "1200", "NORTH MAIN STREET", "APT 4", "60639"),
        (101, "555443333", "MARIA", "HERNANDEZ", "77", "OAK AVENUE", None, "90011"),
        (102, "123456789", "ANA", "RUIZ", "10", "ELM STREET", None, "77036"),
        (103, "987650001", "LUIS", "PEREZ", "15", "PINE ROAD", None, "10001"),
    ],
    columns=[
        "record_id",
        "tin",
        "first_name",
        "last_name",
        "house_number",
        "street",
        "unit",
        "zip",
    ],
).assign(
    return_id=lambda d: d["record_id"],
    role="primary",
    tin_type="SSN",
    middle_name=None,
    dob=pd.Timestamp("1980-05-06"),
    city="CITY",
    state="IL",
)


def request(
    rid, *, tin=None, first="X", last="Y", address=None, house=None, street=None, zip_=None
):
    return {
        "request_id": rid,
        "first_name": first,
        "last_name": last,
        "dob": pd.Timestamp("1980-05-06"),
        "address": address,
        "house_number": house,
        "street": street,
        "unit": None,
        "city": None,
        "state": None,
        "zip": zip_,
        "tin": tin,
    }


CASES = [
    # TIN path: TIN and name control equal; the address only needs a ZIP-like token
    (
        "failed-to-provide-with-zip",
        request(1, tin="912701234", first="JOSE", last="GARCIA", address="FAILED TO PROVIDE 12345"),
        {100},
    ),
    (
        "nine-digit-zip-token",
        request(
            2, tin="912701234", first="PEDRO", last="Garcia-Lopez", address="UNKNOWN 60639-1234"
        ),
        {100},
    ),
    (
        "blank-address",
        request(3, tin="912701234", first="JOSE", last="GARCIA LOPEZ", address=None),
        set(),
    ),
    (
        "no-zip-token",
        request(4, tin="912701234", first="JOSE", last="GARCIA LOPEZ", address="UNKNOWN ADDRESS"),
        set(),
    ),
    ("na-na", request(5, tin="912701234", first="JOSE", last="GARCIA", address="NA NA"), set()),
    # a borrowed TIN whose owner has another surname fails the name control
    (
        "borrowed-tin-other-surname",
        request(
            6, tin="555443333", first="MARIA", last="LOPEZ", address="77 OAK AVE, LA, CA 90011"
        ),
        set(),
    ),
    # a borrowed TIN whose owner shares the first four letters passes (a false positive by design)
    (
        "borrowed-tin-same-name-control",
        request(7, tin="555443333", first="ROSA", last="HERNAN", address="1 X ST 90011"),
        {101},
    ),
    # a TIN request never goes down the address path, even when name and address match exactly
    (
        "tin-mismatch-no-fallback",
        request(
            8,
            tin="000000001",
            first="ANA",
            last="RUIZ",
            address="10 ELM ST, HOUSTON, TX 77036",
            house="10",
            street="ELM STREET",
            zip_="77036",
        ),
        set(),
    ),
    # address path: exact normalised name, house number, street and ZIP
    (
        "address-exact",
        request(
            9,
            first="Ana",
            last="Ruiz",
            address="10 Elm St, Houston, TX 77036",
            house="10",
            street="ELM ST",
            zip_="77036",
        ),
        {102},
    ),
    (
        "address-accents-and-case",
        request(
            10,
            first="Luís",
            last="Pérez",
            address="15 PINE RD 10001",
            house="15",
            street="Pine Road",
            zip_="10001",
        ),
        {103},
    ),
    (
        "address-wrong-house",
        request(
            11,
            first="ANA",
            last="RUIZ",
            address="12 ELM ST 77036",
            house="12",
            street="ELM STREET",
            zip_="77036",
        ),
        set(),
    ),
    (
        "address-name-variant",
        request(
            12,
            first="ANITA",
            last="RUIZ",
            address="10 ELM ST 77036",
            house="10",
            street="ELM STREET",
            zip_="77036",
        ),
        set(),
    ),
    (
        "address-other-zip",
        request(
            13,
            first="ANA",
            last="RUIZ",
            address="10 ELM ST 77037",
            house="10",
            street="ELM STREET",
            zip_="77037",
        ),
        set(),
    ),
    (
        "address-junk",
        request(14, first="ANA", last="RUIZ", address="FAILED TO PROVIDE 77036", zip_="77036"),
        set(),
    ),
]


@pytest.fixture(scope="module")
def linked():
    reqs = pd.DataFrame([case[1] for case in CASES])
    data = LinkData(requests=reqs, records=RECORDS.copy())
    pairs = Irs2025().link(data, Backend())
    return pairs.groupby("request_id")["record_id"].agg(set).to_dict()


@pytest.mark.parametrize(("description", "req", "expected"), CASES, ids=[c[0] for c in CASES])
def test_irs_2025(linked, description, req, expected):
    assert linked.get(req["request_id"], set()) == expected
