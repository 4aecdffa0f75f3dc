"""The noise registry: every kind of recording error, as data, in the order applied.

Each :class:`NoiseType` names the columns it touches, which cells are eligible
(the noise must be able to change them), its default rate on each side (the IRS
tax records and the enforcement requests) and the source of those defaults.
The functions themselves live in :mod:`data_gen.noise_names`,
:mod:`data_gen.noise_dates` and :mod:`data_gen.noise_addresses`;
:func:`data_gen.noise.apply_noise` applies the registry to a table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from data_gen import noise_addresses as addr
from data_gen import noise_dates as dates
from data_gen import noise_names as names
from data_gen import vocab
from data_gen.text import has_text, mask_each_distinct

NAME_COLUMNS = ("first_name", "last_name")
ADDRESS_COLUMNS = ("house_number", "street", "unit", "city", "state", "zip")
# the two sides a noise type has a default rate for, named as the [noise] tables of a scenario
SIDES = ("irs", "requests")


def _cells(pred: Callable[[str], bool]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda values: mask_each_distinct(pred, values)


@dataclass(frozen=True, kw_only=True)
class NoiseType:
    """One kind of recording error.

    Attributes
    ----------
    name : str
        Registry key, used in configs and in the noise log.
    family : str
        ``name``, ``dob``, ``address`` or ``tin``.
    columns : tuple of str
        Columns the type touches.  Each column is noised independently, unless
        ``joint`` is true, in which case the columns are passed together.
    fn : callable
        ``fn(values, rng, **params) -> values``; changes every cell it gets.
    eligible : callable
        ``eligible(values) -> bool array``: cells the type can change.
    irs_rate : float
        Default probability that an eligible cell of the IRS tax records
        (``irs_filers``) is noised.
    request_rate : float
        Default probability that an eligible cell of the enforcement requests
        is noised.
    source : str
        Where the defaults come from, or ``assumption``.
    params : mapping
        Extra keyword arguments for ``fn``.
    joint : bool
        Whether ``columns`` are noised together as one 2-D array.
    origin_multipliers : mapping
        Rate multipliers by origin group (rate is capped at 1).
    """

    name: str
    family: str
    columns: tuple[str, ...]
    fn: Callable[..., np.ndarray]
    eligible: Callable[[np.ndarray], np.ndarray]
    irs_rate: float
    request_rate: float
    source: str
    params: Mapping[str, object] = field(default_factory=dict)
    joint: bool = False
    origin_multipliers: Mapping[str, float] = field(default_factory=dict)

    def default_rate(self, side: str) -> float:
        """Return the default rate on ``side``.

        Parameters
        ----------
        side : str
            ``"irs"`` (the tax records) or ``"requests"``, as in :data:`SIDES`.

        Raises
        ------
        ValueError
            If ``side`` is neither.

        Examples
        --------
        >>> NOISE_BY_NAME["typo"].default_rate("irs"), NOISE_BY_NAME["typo"].default_rate("requests")
        (0.01, 0.03)
        """
        if side == "irs":
            return self.irs_rate
        if side == "requests":
            return self.request_rate
        raise ValueError(f"unknown side {side!r} (expected one of {', '.join(SIDES)})")


NOISE_TYPES: tuple[NoiseType, ...] = (
    # structural name changes first, character-level ones after, order swap last
    NoiseType(
        name="compound_surname",
        family="name",
        columns=("last_name",),
        fn=names.compound_surname,
        eligible=_cells(names.is_compound),
        irs_rate=0.60,
        request_rate=0.30,
        source="assumption: many foreign-born filers drop or rearrange the maternal surname on US tax forms; about 20% of Latino surnames are recorded compound in US files (NC voter file, via pseudopeople)",
        params={
            "weights": {
                "drop_maternal": 0.60,
                "hyphenate": 0.15,
                "swap": 0.05,
                "merge": 0.08,
                "keep_maternal": 0.12,
            }
        },
    ),
    NoiseType(
        name="given_name_variant",
        family="name",
        columns=("first_name",),
        fn=names.given_name_variant,
        eligible=_cells(names.is_double_given),
        irs_rate=0.0,
        request_rate=0.30,
        source="assumption; generators.md §4 row 6 (middle-name mismatch in 58% of duplicate pairs, Just et al. 2016)",
    ),
    NoiseType(
        name="nickname",
        family="name",
        columns=("first_name",),
        fn=names.nickname,
        eligible=_cells(names.has_nickname),
        irs_rate=0.03,
        request_rate=0.06,
        source="assumption; pseudopeople default 1% per cell (generators.md), raised for encounter records",
    ),
    NoiseType(
        name="transliteration",
        family="name",
        columns=NAME_COLUMNS,
        fn=names.transliteration,
        eligible=_cells(names.has_transliteration),
        irs_rate=0.05,
        request_rate=0.20,
        source="assumption; generators.md §4 row 4 (Cantonese romanisation blocking recall 68.8%)",
    ),
    NoiseType(
        name="accent_drop",
        family="name",
        columns=NAME_COLUMNS,
        fn=names.accent_drop,
        eligible=_cells(names.has_accent),
        irs_rate=0.95,
        request_rate=0.60,
        source="assumption: IRS name fields are upper-case ASCII; encounter records keep some accents",
    ),
    NoiseType(
        name="phonetic",
        family="name",
        columns=NAME_COLUMNS,
        fn=names.phonetic,
        eligible=_cells(names.has_pair(vocab.PHONETIC_PAIRS)),
        irs_rate=0.01,
        request_rate=0.03,
        source="pseudopeople default 1% per cell (generators.md); request rate assumption",
    ),
    NoiseType(
        name="ocr",
        family="name",
        columns=NAME_COLUMNS,
        fn=names.ocr,
        eligible=_cells(names.has_pair(vocab.OCR_PAIRS)),
        irs_rate=0.005,
        request_rate=0.01,
        source="pseudopeople default 1% per cell (generators.md)",
    ),
    NoiseType(
        name="typo",
        family="name",
        columns=NAME_COLUMNS,
        fn=names.typo,
        eligible=_cells(names.typo_eligible),
        irs_rate=0.01,
        request_rate=0.03,
        source="pseudopeople default 1% per cell; Damerau: 80% of misspellings are single edits (generators.md)",
        params={
            "op_weights": {"substitute": 0.45, "delete": 0.2, "insert": 0.15, "transpose": 0.2}
        },
    ),
    NoiseType(
        name="name_swap",
        family="name",
        columns=NAME_COLUMNS,
        fn=names.name_swap,
        eligible=names.swap_eligible,
        irs_rate=0.005,
        request_rate=0.03,
        source="splink_synthetic_data: 5% baseline, 20% PRC-born (generators.md §4 row 5); base rates assumption",
        joint=True,
        origin_multipliers={"api": 4.0},
    ),
    NoiseType(
        name="dob_placeholder",
        family="dob",
        columns=("dob",),
        fn=dates.dob_placeholder,
        eligible=dates.not_jan1,
        irs_rate=0.002,
        request_rate=0.05,
        source="splink_synthetic_data uses 10% Jan-1 corruption (generators.md §4 row 9); assumption",
    ),
    NoiseType(
        name="dob_day_month_swap",
        family="dob",
        columns=("dob",),
        fn=dates.dob_day_month_swap,
        eligible=dates.swap_dob_eligible,
        irs_rate=0.005,
        request_rate=0.04,
        source="pseudopeople default 1% of cells (generators.md §4 row 8); request rate assumption",
    ),
    NoiseType(
        name="dob_year_off_by_one",
        family="dob",
        columns=("dob",),
        fn=dates.dob_year_off_by_one,
        eligible=dates.has_date,
        irs_rate=0.002,
        request_rate=0.02,
        source="assumption",
    ),
    NoiseType(
        name="dob_missing",
        family="dob",
        columns=("dob",),
        fn=dates.dob_missing,
        eligible=dates.has_date,
        irs_rate=0.0,
        request_rate=0.08,
        source="assumption",
    ),
    NoiseType(
        name="address_missing",
        family="address",
        columns=ADDRESS_COLUMNS,
        fn=addr.address_missing,
        eligible=addr.any_part,
        irs_rate=0.0,
        request_rate=0.02,
        source="assumption",
        joint=True,
    ),
    NoiseType(
        name="unit_dropped",
        family="address",
        columns=("unit",),
        fn=addr.unit_dropped,
        eligible=has_text,
        irs_rate=0.03,
        request_rate=0.25,
        source="assumption; pseudopeople blanks units at 1% (generators.md §4 row 11)",
    ),
    NoiseType(
        name="unit_format",
        family="address",
        columns=("unit",),
        fn=addr.unit_format,
        eligible=has_text,
        irs_rate=0.10,
        request_rate=0.20,
        source="assumption",
    ),
    NoiseType(
        name="street_abbreviation",
        family="address",
        columns=("street",),
        fn=addr.street_abbreviation,
        eligible=_cells(addr.has_street_word),
        irs_rate=0.70,
        request_rate=0.50,
        source="assumption; Tax Policy Center: 'North Street' vs 'N St.' (facts.md §4)",
    ),
    NoiseType(
        name="house_number_typo",
        family="address",
        columns=("house_number",),
        fn=addr.house_number_typo,
        eligible=_cells(addr.all_digits),
        irs_rate=0.005,
        request_rate=0.02,
        source="assumption",
    ),
    NoiseType(
        name="zip_digit_error",
        family="address",
        columns=("zip",),
        fn=addr.digit_substitution,
        eligible=_cells(addr.all_digits),
        irs_rate=0.002,
        request_rate=0.02,
        source="pseudopeople wrong ZIP digits 1% (generators.md); assumption",
    ),
    NoiseType(
        name="tin_digit_error",
        family="tin",
        columns=("tin",),
        fn=addr.digit_substitution,
        eligible=_cells(addr.all_digits),
        irs_rate=0.0,
        request_rate=0.02,
        source="assumption",
    ),
    NoiseType(
        name="tin_transposition",
        family="tin",
        columns=("tin",),
        fn=addr.tin_transposition,
        eligible=_cells(addr.has_adjacent_pair),
        irs_rate=0.0,
        request_rate=0.01,
        source="assumption",
    ),
)

NOISE_NAMES = tuple(nt.name for nt in NOISE_TYPES)
NOISE_BY_NAME = {nt.name: nt for nt in NOISE_TYPES}
