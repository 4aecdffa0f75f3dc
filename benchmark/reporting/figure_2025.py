"""The figure of what the 2025 record allows: each calibration draw's estimate against its
borrowed-number rate, kept draws coloured by whose numbers were borrowed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ALLOWED = "file_2025_allowed"
TITLE = "Wrong-person disclosures the 2025 record allows, by borrowed-number rate"


def allowed(draws: pd.DataFrame, plt):
    """Scatter of the whole-file wrong-person estimate of every draw against its borrowed rate.

    Draws that do not reproduce the record are grey; kept ones carry their
    95% interval and are coloured by the share of borrowed numbers that were
    a household member's.
    """
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ok = draws[draws["status"] == "ok"]
    kept = ok["kept"].astype(bool)
    out = ok[~kept]
    ax.scatter(
        out["borrowed_tin_share"],
        out["wrong_person_file"],
        s=10,
        color="#BBBBBB",
        label=f"does not reproduce the record ({len(out)})",
    )
    fit = ok[kept]
    if len(fit):
        ax.errorbar(
            fit["borrowed_tin_share"],
            fit["wrong_person_file"],
            yerr=[
                fit["wrong_person_file"] - fit["wrong_person_file_low"],
                fit["wrong_person_file_high"] - fit["wrong_person_file"],
            ],
            fmt="none",
            ecolor="#999999",
            elinewidth=0.6,
            zorder=1,
        )
        points = ax.scatter(
            fit["borrowed_tin_share"],
            fit["wrong_person_file"],
            c=fit["borrowed_from_household_share"],
            cmap="viridis",
            vmin=0,
            vmax=1,
            s=22,
            zorder=2,
            label=f"reproduces the record ({len(fit)})",
        )
        fig.colorbar(points, ax=ax, label="borrowed numbers that were a household member's")
    ax.set_xlabel("TIN-carrying requests whose number was somebody else's")
    ax.set_ylabel("wrong-person disclosures, whole 1.28M file")
    ax.set_title(TITLE, fontsize=9)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def draw_allowed(calibration: Path, out: Path, plt, save) -> list[str]:
    """Draw :func:`allowed` from ``calibration/draws.csv`` into ``out`` (nothing without it)."""
    table = Path(calibration) / "draws.csv"
    if not table.is_file():
        return []
    fig = allowed(pd.read_csv(table), plt)
    save(fig, out, ALLOWED)
    plt.close(fig)
    return [ALLOWED]
