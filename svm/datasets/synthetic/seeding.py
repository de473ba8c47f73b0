"""Seeds of the parts of a synthetic benchmark (its sequences or video groups), derived from one seed."""
from typing import List

import numpy as np


def derived_seeds(seed: int, num: int, stream: int) -> List[int]:
    """``num`` independent seeds from the benchmark ``seed`` and a ``stream`` number (e.g. one per split).

    numpy's ``SeedSequence.spawn`` keeps them independent and stable across numpy versions, so a benchmark is
    reproduced exactly by its seed and options.
    """
    children = np.random.SeedSequence([seed, stream]).spawn(num)
    return [int(c.generate_state(1)[0]) for c in children]
