"""The groups requests are compared by: disparity dimensions and building-size bands.

Examples
--------
>>> DIMENSIONS
('surname_decile', 'origin', 'building_size', 'state')
>>> BUILDING_SIZE_LABELS[0], BUILDING_SIZE_LABELS[-1]
('1', '50+')
"""

from __future__ import annotations

import numpy as np

# dimensions of the disparity tables of a generated world
DIMENSIONS = ("surname_decile", "origin", "building_size", "state")
# your own tables know nothing of origin or buildings
USER_DIMENSIONS = ("surname_decile", "state")
# housing units in the building, binned into the bands of BUILDING_SIZE_LABELS
BUILDING_SIZE_BINS = (0, 1, 4, 9, 49, np.inf)
BUILDING_SIZE_LABELS = ("1", "2-4", "5-9", "10-49", "50+")
