"""Published figures the benchmark scales its results to, each with its source.

One table, :data:`FACTS`, holds every published count the code uses, with the
source ``shared/reference/facts.md`` gives for it.  Modules take figures from
here, never as literals of their own, so a figure and its source change in one
place.

Examples
--------
>>> f"{FILE_REQUESTS:,}"
'1,280,000'
>>> FACTS["tin_path_disclosures"].source
"Judge Kollar-Kotelly's ruling of 26 Feb 2026 (Center for Taxpayer Rights v. IRS)"
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    """One published figure: its value, what it counts, and where it was published.

    ``rounding`` is the unit the figure was rounded to when published ("about
    33,000": 1,000; 0 for an exact count).
    """

    value: int
    counts: str
    source: str
    url: str
    rounding: int = 0


FACTS: dict[str, Fact] = {
    "file_requests": Fact(
        1_280_000,
        'records in ICE\'s final 2025 request file to the IRS ("more than 1.27 million")',
        "FedScoop, reading the Oct 2025 administrative record",
        "https://fedscoop.com/ice-irs-data-sharing-millions-of-records-court-case",
    ),
    "matches_2025": Fact(
        47_289,
        "requests the IRS matched and disclosed an address for, 7 Aug 2025",
        "Romo declaration; FedScoop",
        "https://fedscoop.com/?p=88789",
    ),
    "tin_path_disclosures": Fact(
        42_695,
        "disclosures through the TIN path, without confirming the address",
        "Judge Kollar-Kotelly's ruling of 26 Feb 2026 (Center for Taxpayer Rights v. IRS)",
        "https://www.mediaite.com/media/news/"
        "judge-rules-irs-broke-the-law-approximately-42695-times-by-sharing-confidential-"
        "data-with-ice/",
    ),
    "junk_disclosures": Fact(
        2_350,
        'disclosures resting on junk address fields ("nearly 5%" of 47,289)',
        "Romo declaration, filed 11 Feb 2026",
        "https://stateofsurveillance.org/news/"
        "irs-42695-violations-taxpayer-data-dhs-ice-ruling-2026/",
        rounding=50,
    ),
    "updated_addresses": Fact(
        33_000,
        "updated addresses ICE found by cross-referencing the IRS data (about 70% of "
        "47,289; a soft figure: it may count people, and junk entries are trivially updated)",
        "ICE, D. Mass. filing, Dec 2025 (declaration of Richard S. Fitzgerald)",
        "https://usnewsrss.blogspot.com/2025/12/ice-has-not-used-taxpayer-data-to.html",
        rounding=1_000,
    ),
}

FILE_REQUESTS = FACTS["file_requests"].value
