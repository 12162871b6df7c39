"""Online acquisition: labels acquired inside the training step (ADA-MCU).

* :mod:`.base`: the extension point :class:`BaseOnlineAcquisition` (built
  by ``TwoDomainSegmentor(online_acquisition=...)``), budgets, errors.
* :mod:`.ada_mcu`: ADA-MCU's :class:`AdaMCUOnlineAcquisition`.
* :mod:`.schedule`: Algorithm 1's phases and ``pi_high`` decay.
* :mod:`.pending`: labels acquired since the last commit.
* :mod:`.oracle`: the only reader of the ground truth hidden in a sample.
* :mod:`.scorer`: ADA-MCU's uncertainty as a pool scorer for offline rounds.
"""
from .ada_mcu import AdaMCUOnlineAcquisition
from .base import (ORIGIN_OFFSET, BaseOnlineAcquisition, OnlineSettingsError, budget_pixels,
                   check_online_budget)
from .oracle import HIDDEN_FIELDS, HiddenFieldOracle
from .pending import PendingLabels
from .schedule import AdaptiveSamplingSchedule
from .scorer import MCUUncertaintyScorer

__all__ = [
    'BaseOnlineAcquisition', 'AdaMCUOnlineAcquisition', 'AdaptiveSamplingSchedule',
    'PendingLabels', 'HiddenFieldOracle', 'HIDDEN_FIELDS', 'MCUUncertaintyScorer',
    'ORIGIN_OFFSET', 'budget_pixels', 'check_online_budget', 'OnlineSettingsError'
]
