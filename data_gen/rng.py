"""Named, independent random streams derived from one master seed.

Every stochastic component asks for its own stream by name, so adding a
component (or a noise type) leaves every other component's draws unchanged.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(name: str) -> int:
    """Return a 64-bit integer hash of ``name`` that is stable across processes.

    Python's built-in ``hash`` is salted per process, so it cannot be used.
    """
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def substream(seed: int, *names: str) -> np.random.Generator:
    """Return the generator for the stream ``names`` under master ``seed``.

    Parameters
    ----------
    seed : int
        Master seed of the world (non-negative).
    *names : str
        Path of the stream, e.g. ``("noise", "requests", "typo", "last_name")``.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator seeded from ``seed`` and the hash of the joined names.

    Examples
    --------
    >>> a = substream(1, "persons", "sex").random(3)
    >>> b = substream(1, "persons", "sex").random(3)
    >>> bool((a == b).all())
    True
    """
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return np.random.default_rng([int(seed), stable_hash("/".join(names))])
