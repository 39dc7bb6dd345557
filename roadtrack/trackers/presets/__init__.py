"""Tracker presets: builders that compose a `MultiObjectTracker` from parts, one module per method family.

Defaults are the published ones of each method (paper or reference code); a builder's signature is their only
home, and where a value is the same as a part's default the signature takes it from the part. Importing this
package registers every preset (``roadtrack.build("tracker", name)``).
"""

from roadtrack.trackers.presets.classic import botsort, bytetrack, deepsort, ocsort, sort, strongsort
from roadtrack.trackers.presets.ucmctrack import ucmctrack

__all__ = ["botsort", "bytetrack", "deepsort", "ocsort", "sort", "strongsort"]
