"""US addresses: one-line addresses split into parts (``usaddress``), and parts joined into one line."""

from __future__ import annotations

import numpy as np
import pandas as pd

# the one-line address the generator writes; used when only parts are given
_LINE_PARTS = ("house_number", "street", "unit")


# usaddress labels → our address parts, in the order they are written
_LABELS = {
    "house_number": ("AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix"),
    "street": (
        "StreetNamePreDirectional",
        "StreetNamePreModifier",
        "StreetNamePreType",
        "StreetName",
        "StreetNamePostType",
        "StreetNamePostModifier",
        "StreetNamePostDirectional",
    ),
    "unit": ("OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier"),
    "city": ("PlaceName",),
    "state": ("StateName",),
    "zip": ("ZipCode",),
}


def parse_addresses(lines: pd.Series) -> pd.DataFrame:
    """Split one-line US addresses into house_number, street, unit, city, state, zip.

    Uses ``usaddress`` (a conditional random field trained on US addresses),
    once per distinct line.  A part the parser cannot find is null.

    Examples
    --------
    >>> parse_addresses(pd.Series(["12 N MAIN ST APT 4, YUMA, AZ 85364"])).iloc[0].tolist()
    ['12', 'N MAIN ST', 'APT 4', 'YUMA', 'AZ', '85364']
    """
    import usaddress

    def parse(line: str) -> tuple:
        tokens: dict[str, list[str]] = {}
        for token, label in usaddress.parse(line):
            tokens.setdefault(label, []).append(token.strip(",;"))
        return tuple(
            " ".join(t for label in labels for t in tokens.get(label, []) if t) or None
            for labels in _LABELS.values()
        )

    distinct = lines.dropna().unique()
    table = pd.DataFrame(
        [parse(str(v)) for v in distinct], columns=list(_LABELS), index=distinct, dtype=object
    )
    out = table.reindex(lines.to_numpy())
    out.index = lines.index
    return out.astype(object).where(out.notna(), None)


def compose_addresses(parts: pd.DataFrame) -> pd.Series:
    """The one-line address (``12 MAIN ST APT 4, YUMA, AZ 85364``) from its parts.

    Examples
    --------
    >>> parts = pd.DataFrame({"house_number": ["12", None], "street": ["MAIN ST", None],
    ...                       "city": ["YUMA", "ALAMO"], "state": ["AZ", "TX"], "zip": [None, "78516"]})
    >>> compose_addresses(parts).tolist()
    ['12 MAIN ST, YUMA, AZ', 'ALAMO, TX 78516']
    """

    def joined(columns: list[pd.Series], sep: str) -> pd.Series:
        text = pd.Series("", index=parts.index, dtype="str")
        for column in columns:
            value = column.astype("str").fillna("")
            gap = pd.Series(np.where((text != "") & (value != ""), sep, ""), index=parts.index)
            text = text + gap + value
        return text

    def present(names: tuple[str, ...]) -> list[pd.Series]:
        return [parts[n] for n in names if n in parts]

    line = joined(
        [
            joined(present(_LINE_PARTS), " "),
            joined(present(("city",)), " "),
            joined(present(("state", "zip")), " "),
        ],
        ", ",
    )
    return line.where(line != "")
