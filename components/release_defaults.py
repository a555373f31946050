"""The Astronomer release the program installs unless a stack says otherwise.

Facts of the chart (astronomer/astronomer v2.1.0, see README, "The chart") that the config's
defaults (components/config/shared.py) and the platform (components/platform/chart.py) both read:
kept below both, so that config never imports the platform.
"""

from __future__ import annotations

DEFAULT_CHART_VERSION = "2.1.0"
DEFAULT_NAMESPACE = "astronomer"
DEFAULT_RELEASE_NAME = "astronomer"
