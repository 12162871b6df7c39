"""Input checks of the label store: everything a caller hands in (shapes,
flat indices, labels, pseudo labels, meta, round numbers) is validated here
before anything is written, with one message saying what is wrong where."""
import json
from typing import Any, Mapping, Optional, Tuple

import numpy as np

from .records import MAX_ROUND, LabelStoreError, RoundUpdate, Shape
from .sparse import SparseState


def as_flat_indices(values: Any, name: str, size: int) -> np.ndarray:
    """Validate flat pixel indices and return them as int64."""
    array = np.asarray(values if values is not None else [])
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1:
        raise LabelStoreError(
            f'{name} must be a 1-D array of flat indices, got shape '
            f'{array.shape}')
    if not np.issubdtype(array.dtype, np.integer):
        raise LabelStoreError(
            f'{name} must hold integer flat indices, got dtype {array.dtype}')
    array = array.astype(np.int64)
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= size:
        raise LabelStoreError(
            f'{name} out of range: indices span [{low}, {high}], the image '
            f'has {size} pixels')
    return array


def check_shape(shape: Any) -> Shape:
    """Validate an (H, W) shape."""
    try:
        h, w = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise LabelStoreError(f'shape must be (H, W), got {shape!r}')
    if h <= 0 or w <= 0:
        raise LabelStoreError(f'shape must be positive, got {shape!r}')
    return h, w


class UpdateChecks:
    """Validation of round updates, meta and round numbers (a mixin of
    :class:`~mmada.active.label_store.LabelStore`; uses its
    ``num_classes``, ``ignore_index``, ``root`` and ``_read_state``)."""

    def _validate_update(self, key: str, update: RoundUpdate,
                         manifest: dict) -> Tuple[dict, SparseState]:
        """Check one image's update against its current state.

        Returns:
            tuple[dict, SparseState]: The delta to store and the image's
            current (old) state.
        """
        if not isinstance(key, str) or not key:
            raise LabelStoreError(f'keys must be non-empty strings, got '
                                  f'{key!r}')
        if not isinstance(update, RoundUpdate):
            raise LabelStoreError(
                f'{key!r}: expected a RoundUpdate, got {type(update)}')
        shape = check_shape(update.shape)
        size = shape[0] * shape[1]
        entry = manifest['images'].get(key)
        if entry is not None and tuple(entry['shape']) != shape:
            raise LabelStoreError(
                f'{key!r}: shape {shape} differs from the shape '
                f'{tuple(entry["shape"])} of earlier rounds')
        old = (self._read_state(key, shape)
               if entry is not None else SparseState.empty(shape))
        pixels = as_flat_indices(update.pixels, f'{key!r}: pixels', size)
        labels = self._check_labels(key, update.labels, len(pixels))
        self._check_not_annotated(key, pixels, old)
        order = np.argsort(pixels, kind='stable')
        excluded = as_flat_indices(update.excluded, f'{key!r}: excluded', size)
        delta = dict(
            shape=shape,
            pixels=pixels[order],
            labels=labels[order],
            excluded=np.unique(excluded[~old.excluded_mask()[excluded]]))
        if update.pseudo is not None:
            delta.update(self._check_pseudo(key, update.pseudo, shape))
        return delta, old

    def _check_labels(self, key: str, labels: Any, num: int) -> np.ndarray:
        """Labels of an update: one per pixel, valid class or void."""
        array = np.asarray(labels if labels is not None else [])
        if array.size == 0 and num == 0:
            return np.zeros(0, dtype=np.uint8)
        if array.shape != (num, ):
            raise LabelStoreError(
                f'{key!r}: {num} pixel(s) but labels of shape {array.shape}')
        if not np.issubdtype(array.dtype, np.integer):
            raise LabelStoreError(
                f'{key!r}: labels must be integers, got dtype {array.dtype}')
        bad = (array < 0) | ((array >= self.num_classes) &
                             (array != self.ignore_index))
        if bad.any():
            raise LabelStoreError(
                f'{key!r}: {int(bad.sum())} label(s) outside [0, '
                f'{self.num_classes}) and not the ignore index '
                f'{self.ignore_index}, e.g. {int(array[bad][0])}')
        return array.astype(np.uint8)

    @staticmethod
    def _check_not_annotated(key: str, pixels: np.ndarray,
                             old: SparseState) -> None:
        """Reject pixels given twice or annotated in an earlier round."""
        unique, counts = np.unique(pixels, return_counts=True)
        if (counts > 1).any():
            raise LabelStoreError(
                f'{key!r}: pixel {int(unique[counts > 1][0])} appears '
                f'{int(counts.max())} times in the update; a pixel is '
                'labelled once')
        again = np.intersect1d(unique, old.pixels)
        if len(again):
            where = np.searchsorted(old.pixels, again[0])
            raise LabelStoreError(
                f'{key!r}: {len(again)} pixel(s) were already annotated in '
                f'an earlier round, e.g. pixel {int(again[0])} in round '
                f'{int(old.rounds[where])}; a pixel is labelled once')

    def _check_pseudo(self, key: str, pseudo: Any, shape: Shape) -> dict:
        """Sparse form of a dense pseudo-label map."""
        array = np.asarray(pseudo)
        if array.shape != shape:
            raise LabelStoreError(
                f'{key!r}: pseudo labels of shape {array.shape}, expected '
                f'{shape}')
        flat = array.reshape(-1)
        keep = np.flatnonzero(flat != self.ignore_index)
        values = flat[keep]
        if len(values) and (values.min() < 0
                            or values.max() >= self.num_classes):
            raise LabelStoreError(
                f'{key!r}: pseudo labels outside [0, {self.num_classes}) '
                f'and not {self.ignore_index}')
        return dict(
            pseudo_pixels=keep.astype(np.int64),
            pseudo_values=values.astype(np.uint8))

    def _round_stats(self, deltas: Mapping[str, dict]) -> dict:
        """Counts of one round's deltas."""
        counts = np.zeros(self.num_classes, dtype=np.int64)
        pixels = void = excluded = 0
        for delta in deltas.values():
            labels = delta['labels']
            valid = labels[labels < self.num_classes]
            counts += np.bincount(valid, minlength=self.num_classes)
            pixels += len(labels)
            void += len(labels) - len(valid)
            excluded += len(delta['excluded'])
        return dict(
            images=len(deltas),
            pixels=int(pixels),
            labelled=int(pixels - void),
            void=int(void),
            excluded=int(excluded),
            class_counts=[int(c) for c in counts])

    @staticmethod
    def _check_meta(meta: Optional[dict]) -> dict:
        """Meta must be a JSON-serialisable dict."""
        meta = {} if meta is None else meta
        if not isinstance(meta, dict):
            raise LabelStoreError(f'meta must be a dict, got {type(meta)}')
        try:
            return json.loads(json.dumps(meta, sort_keys=True))
        except (TypeError, ValueError) as e:
            raise LabelStoreError(
                f'meta must be JSON-serialisable: {e}') from e

    def _check_next_round(self, round_index: int, manifest: dict,
                          what: str) -> None:
        current = int(manifest['current_round'])
        if round_index != current + 1:
            raise LabelStoreError(
                f'cannot {what} round {round_index}: the store at '
                f'{self.root} has {current} committed round(s), the next '
                f'round is {current + 1}')
        if round_index > MAX_ROUND:
            raise LabelStoreError(f'at most {MAX_ROUND} rounds are supported')
