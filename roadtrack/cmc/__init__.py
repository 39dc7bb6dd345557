"""Camera-motion compensation: global image motion between consecutive frames, for warping track states."""

from roadtrack.cmc.base import CameraMotion, identity
from roadtrack.cmc.methods import ECCCMC, ORBCMC, SparseFlowCMC, build_cmc

__all__ = ["CameraMotion", "ECCCMC", "ORBCMC", "SparseFlowCMC", "build_cmc", "identity"]
