"""Tracker presets: builders that compose a `MultiObjectTracker` from parts, one module per method family.

Defaults are the published ones of each method (paper or reference code); a builder's signature is their only
home, and where a value is the same as a part's default the signature takes it from the part. Importing this
package registers every preset (``roadtrack.build("tracker", name)``).
"""

from roadtrack.trackers.presets.boosttrack import boosttrack
from roadtrack.trackers.presets.cbiou import cbiou
from roadtrack.trackers.presets.classic import botsort, bytetrack, deepsort, ocsort, sort, strongsort
from roadtrack.trackers.presets.deepocsort import deepocsort
from roadtrack.trackers.presets.fasttracker import fasttracker
from roadtrack.trackers.presets.hybridsort import hybridsort
from roadtrack.trackers.presets.tracktrack import tracktrack
from roadtrack.trackers.presets.ucmctrack import ucmctrack

__all__ = ["boosttrack", "botsort", "bytetrack", "cbiou", "deepocsort", "deepsort", "fasttracker", "hybridsort",
           "ocsort", "sort", "strongsort", "tracktrack", "ucmctrack"]
