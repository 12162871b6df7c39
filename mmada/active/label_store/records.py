"""Records of the label store: format constants, the error type and the
plain data classes exchanged with callers (dense labels of one image, the
update of one round, the queries of one round)."""
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

FORMAT_NAME = 'mmada.LabelStore'
FORMAT_VERSION = 1
MANIFEST = 'manifest.json'
ROUNDS_DIR = 'rounds'
QUERIES_DIR = 'queries'
CACHE_DIR = 'cache'
DISCARDED_DIR = 'discarded'
LOCK_FILE = '.write.lock'
MAX_ROUND = np.iinfo(np.uint16).max

Shape = Tuple[int, int]


class LabelStoreError(RuntimeError):
    """The label store is inconsistent, corrupted or used incorrectly."""


@dataclass
class ImageLabels:
    """Dense view of the current labels of one image.

    Attributes:
        labels: (H, W) uint8 class ids, ``ignore_index`` where unlabelled.
        rounds: (H, W) uint16 round at which each pixel was annotated,
            0 = never. A pixel with a round but label ``ignore_index`` was
            answered as void.
        excluded: (H, W) bool positions that may not be selected again.
        pseudo: (H, W) uint8 pseudo labels (``ignore_index`` = none), or
            ``None`` if the image never received any.
    """
    labels: np.ndarray
    rounds: np.ndarray
    excluded: np.ndarray
    pseudo: Optional[np.ndarray] = None

    @property
    def annotated(self) -> np.ndarray:
        """(H, W) bool mask of pixels answered by the oracle (incl. void)."""
        return self.rounds > 0


@dataclass
class RoundUpdate:
    """What one round adds to one image.

    Attributes:
        shape: (H, W) of the image's label map.
        pixels: (n,) flat int64 indices of the newly annotated pixels.
        labels: (n,) uint8 labels of ``pixels``, in ``[0, num_classes)`` or
            ``ignore_index`` (queried but void: spent budget, unlabelled).
        excluded: (m,) flat int64 indices of positions excluded from now on.
        pseudo: Optional (H, W) uint8 pseudo-label map replacing the image's
            pseudo channel (``ignore_index`` = no pseudo label).
    """
    shape: Shape
    pixels: np.ndarray
    labels: np.ndarray
    excluded: Optional[np.ndarray] = None
    pseudo: Optional[np.ndarray] = None


@dataclass
class RoundQueries:
    """The queries of one round.

    Attributes:
        round_index: Round the queries belong to.
        queries: key -> ((H, W), (n,) flat int64 indices of queried pixels).
        excluded: key -> (m,) flat int64 positions to exclude once the round
            is committed (empty arrays where the selection excluded nothing).
        meta: JSON-serialisable metadata given to
            :meth:`LabelStore.save_queries`.
        pseudo: key -> (H, W) uint8 pseudo-label map committed with the
            round (``ignore_index`` = none); not budget, never asked.
    """
    round_index: int
    queries: Dict[str, Tuple[Shape, np.ndarray]]
    excluded: Dict[str, np.ndarray]
    meta: dict
    pseudo: Dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_pixels(self) -> int:
        """Total number of queried pixels."""
        return int(sum(len(pix) for _, pix in self.queries.values()))

    def to_updates(
            self, answers: Mapping[str,
                                   np.ndarray]) -> Dict[str, RoundUpdate]:
        """Turn per-image answers into the round's updates.

        Args:
            answers: key -> (n,) uint8 labels of the queried pixels, in the
                order of ``queries[key][1]``.

        Returns:
            dict[str, RoundUpdate]: One update per queried image.
        """
        missing = sorted(set(self.queries) - set(answers))
        if missing:
            raise LabelStoreError(
                f'no answers for {len(missing)} queried image(s) of round '
                f'{self.round_index}, e.g. {missing[0]!r}')
        return {
            key: RoundUpdate(
                shape=shape,
                pixels=pixels,
                labels=np.asarray(answers[key]),
                excluded=self.excluded.get(key),
                pseudo=self.pseudo.get(key))
            for key, (shape, pixels) in self.queries.items()
        }
