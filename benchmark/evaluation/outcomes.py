"""Request-level outcomes: what the agency that sent the requests gets back.

Each accepted (request, record) pair is one disclosure: the tax agency confirms
that record for that request.  A disclosure is *correct* when the record is the
requested person's, otherwise it is a *wrong-person* disclosure.  This includes
every match for a person who never filed.  A request with no disclosure is
*missed* when the person has a record and *correctly unmatched* when not.
A request with several accepted records yields several disclosures, as the
agency would see them, so the four counts add up to the number of requests only
when no request has more than one.
"""

from __future__ import annotations

import pandas as pd

PER = 100_000


def request_outcomes(decisions: pd.DataFrame, requests: pd.DataFrame) -> dict[str, float]:
    """Count correct, wrong-person, missed and correctly unmatched outcomes.

    Parameters
    ----------
    decisions : DataFrame
        The accepted pairs: request_id, record_id, is_true.
    requests : DataFrame
        Every request: request_id, has_true_pair, person_filed.

    Returns
    -------
    dict
        ``n_requests``, ``correct``, ``wrong_person``, ``missed``,
        ``correctly_unmatched`` and details: ``requests_matched``,
        ``requests_with_wrong_person``, ``requests_wrong_person_only`` (a
        wrong record returned and the right one not), ``wrong_person_never_filed``
        (disclosures for people who never filed), ``requests_with_multiple_disclosures``
        and ``extra_disclosures`` (disclosures beyond the first per request),
        plus ``wrong_person_per_100k`` and ``correct_per_100k`` requests.

    Examples
    --------
    >>> req = pd.DataFrame({"request_id": [1, 2, 3], "has_true_pair": [True, True, False],
    ...                     "person_filed": [True, True, False]})
    >>> dec = pd.DataFrame({"request_id": [1, 3], "record_id": [10, 11], "is_true": [True, False]})
    >>> o = request_outcomes(dec, req)
    >>> [o[k] for k in ("correct", "wrong_person", "missed", "correctly_unmatched")]
    [1, 1, 1, 0]
    """
    n = len(requests)
    per_request = decisions.groupby("request_id")["is_true"].agg(["size", "sum"])
    per_request.columns = ["disclosures", "correct"]
    per_request["wrong"] = per_request["disclosures"] - per_request["correct"]
    matched = requests["request_id"].isin(per_request.index)
    wrong_rows = decisions[~decisions["is_true"].astype(bool)]
    never_filed = set(requests.loc[~requests["person_filed"].astype(bool), "request_id"])
    correct = int(decisions["is_true"].sum())
    wrong = int(len(decisions) - correct)
    multiple = per_request["disclosures"] > 1
    return {
        "n_requests": n,
        "correct": correct,
        "wrong_person": wrong,
        "missed": int((~matched & requests["has_true_pair"]).sum()),
        "correctly_unmatched": int((~matched & ~requests["has_true_pair"]).sum()),
        "requests_matched": int(matched.sum()),
        "requests_with_wrong_person": int((per_request["wrong"] > 0).sum()),
        "requests_wrong_person_only": int(
            ((per_request["wrong"] > 0) & (per_request["correct"] == 0)).sum()
        ),
        "wrong_person_never_filed": int(wrong_rows["request_id"].isin(never_filed).sum()),
        "requests_with_multiple_disclosures": int(multiple.sum()),
        "extra_disclosures": int((per_request["disclosures"] - 1).clip(lower=0).sum()),
        "wrong_person_per_100k": per_100k(wrong, n),
        "correct_per_100k": per_100k(correct, n),
    }


def per_100k(count: float, n_requests: int) -> float:
    """``count`` per 100,000 requests (NaN for an empty request file)."""
    return float("nan") if n_requests == 0 else count * PER / n_requests
