"""Sparse per-image state of the label store and its files.

A cache file holds the cumulative :class:`SparseState` of one image (sorted
flat pixel indices with their labels and rounds, a packed exclusion bitmap,
optional sparse pseudo labels); a round file holds, per image, the delta of
that round (see :func:`load_round_deltas`). :meth:`SparseState.apply` folds a
delta into a state, :meth:`SparseState.densify` gives the dense view.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import numpy as np

from mmada.utils.fileio import atomic_write

from .files import write_npz
from .records import ImageLabels, LabelStoreError, Shape


@dataclass
class SparseState:
    """Sparse cumulative state of one image (what a cache file holds)."""
    shape: Shape
    pixels: np.ndarray  # int64, sorted
    labels: np.ndarray  # uint8
    rounds: np.ndarray  # uint16
    excluded_bits: np.ndarray  # packed (H * W,) bool bitmap
    pseudo_pixels: Optional[np.ndarray] = None  # int64, sorted
    pseudo_values: Optional[np.ndarray] = None  # uint8

    @classmethod
    def empty(cls, shape: Shape) -> 'SparseState':
        """State of an image that no round touched."""
        bits = np.zeros((shape[0] * shape[1] + 7) // 8, dtype=np.uint8)
        return cls(shape, np.zeros(0, np.int64), np.zeros(0, np.uint8),
                   np.zeros(0, np.uint16), bits)

    @property
    def size(self) -> int:
        """Number of pixels H x W."""
        return self.shape[0] * self.shape[1]

    def excluded_mask(self) -> np.ndarray:
        """(H * W,) bool exclusion map."""
        return np.unpackbits(self.excluded_bits, count=self.size).view(bool)

    def apply(self, delta: dict, round_index: int) -> 'SparseState':
        """State after adding one round's delta.

        Args:
            delta: One image's entry of a round (see
                :func:`load_round_deltas`).
            round_index: Round of the delta.

        Returns:
            SparseState: A new state; ``self`` is unchanged.
        """
        pixels = np.concatenate(
            [self.pixels.astype(np.int64), delta['pixels']])
        order = np.argsort(pixels, kind='stable')
        rounds = np.concatenate([
            self.rounds,
            np.full(len(delta['pixels']), round_index, dtype=np.uint16)
        ])
        excluded = self.excluded_mask().copy()
        excluded[delta['excluded']] = True
        new = SparseState(
            self.shape, pixels[order],
            np.concatenate([self.labels, delta['labels']])[order],
            rounds[order], np.packbits(excluded), self.pseudo_pixels,
            self.pseudo_values)
        if 'pseudo_pixels' in delta:
            new.pseudo_pixels = delta['pseudo_pixels']
            new.pseudo_values = delta['pseudo_values']
        return new

    def densify(self, ignore_index: int) -> ImageLabels:
        """Dense (H, W) arrays of this state.

        Args:
            ignore_index: Label of unlabelled pixels.

        Returns:
            ImageLabels: Labels, rounds, exclusion and pseudo labels.
        """
        h, w = self.shape
        labels = np.full(h * w, ignore_index, dtype=np.uint8)
        labels[self.pixels] = self.labels
        rounds = np.zeros(h * w, dtype=np.uint16)
        rounds[self.pixels] = self.rounds
        excluded = self.excluded_mask()
        pseudo = None
        if self.pseudo_pixels is not None:
            pseudo = np.full(h * w, ignore_index, dtype=np.uint8)
            pseudo[self.pseudo_pixels] = self.pseudo_values
            pseudo = pseudo.reshape(h, w)
        return ImageLabels(
            labels.reshape(h, w), rounds.reshape(h, w), excluded.reshape(h, w),
            pseudo)

    @classmethod
    def load(cls, path: str) -> 'SparseState':
        """Load one cache file.

        Args:
            path: Path of the cache file.

        Returns:
            SparseState: The image's state.
        """
        with np.load(path, allow_pickle=False) as z:
            state = cls(
                tuple(int(v) for v in z['shape']), z['pixels'], z['labels'],
                z['rounds'], z['excluded_bits'])
            if 'pseudo_pixels' in z.files:
                state.pseudo_pixels = z['pseudo_pixels']
                state.pseudo_values = z['pseudo_values']
        return state

    def save(self, path: str) -> None:
        """Atomically write this state as a cache file.

        Args:
            path: Path of the cache file.
        """
        index_dtype = np.int32 if self.size < 2**31 else np.int64
        arrays = dict(
            shape=np.asarray(self.shape, dtype=np.int64),
            pixels=self.pixels.astype(index_dtype),
            labels=self.labels.astype(np.uint8),
            rounds=self.rounds.astype(np.uint16),
            excluded_bits=self.excluded_bits)
        if self.pseudo_pixels is not None:
            arrays['pseudo_pixels'] = self.pseudo_pixels.astype(index_dtype)
            arrays['pseudo_values'] = self.pseudo_values.astype(np.uint8)
        atomic_write(path, lambda f: write_npz(f, arrays))


def load_round_deltas(path: str, keys: Sequence[str]) -> Dict[str, dict]:
    """Deltas of some images from one committed round file.

    Args:
        path: Path of the round file.
        keys: Images to read; each must have an entry in the file.

    Returns:
        dict[str, dict]: key -> ``shape``, ``pixels``, ``labels``,
        ``excluded`` and, if the round replaced them, ``pseudo_pixels`` and
        ``pseudo_values``.
    """
    deltas = {}
    with np.load(path, allow_pickle=False) as z:
        position = {k: i for i, k in enumerate(z['keys'].tolist())}
        for key in keys:
            if key not in position:
                raise LabelStoreError(
                    f'{path} holds no entry for {key!r} although the '
                    'manifest lists it; the store is inconsistent')
            i = position[key]
            delta = dict(
                shape=tuple(int(v) for v in z[f'shape_{i}']),
                pixels=z[f'pixels_{i}'],
                labels=z[f'labels_{i}'],
                excluded=z[f'excluded_{i}'])
            if f'pseudo_pixels_{i}' in z.files:
                delta['pseudo_pixels'] = z[f'pseudo_pixels_{i}']
                delta['pseudo_values'] = z[f'pseudo_values_{i}']
            deltas[key] = delta
    return deltas
