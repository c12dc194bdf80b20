"""Hypothesis profiles. `ci` (set by .ci/run) draws the same examples on every run, so a CI run
is reproducible and a red one points at code, not at the dice; `make fuzz` draws fresh random
examples, many more of them, to look for new counterexamples (pin each as an @example)."""
from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("fuzz", max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
