"""Pending queries of the label store: pixels asked to an annotator in a
round, saved before their answers exist (``queries/round_XXXX.npz``)."""
import json
import os.path as osp
import zipfile
from typing import Any, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmada.utils.fileio import atomic_write

from .checks import as_flat_indices
from .files import json_str, write_npz
from .records import LabelStoreError, RoundQueries, RoundUpdate


class QueriesMixin:
    """Saving and loading the queries of a round (a mixin of
    :class:`~mmada.active.label_store.LabelStore`)."""

    def save_queries(self,
                     round_index: int,
                     queries: Mapping[str, Tuple[Sequence[int], Any]],
                     meta: Optional[dict] = None,
                     excluded: Optional[Mapping[str, Any]] = None,
                     pseudo: Optional[Mapping[str, Any]] = None) -> str:
        """Save the queries of the next round (pending, NOT labels).

        Replaces earlier pending queries of the same round (the old file is
        moved to ``discarded/``).

        Args:
            round_index: Must be ``current_round + 1``.
            queries: key -> ((H, W), flat int64 indices of queried pixels).
            meta: JSON-serialisable metadata (e.g. ``units`` spent).
            excluded: Optional key -> flat positions to exclude when the
                round is committed.
            pseudo: Optional key -> (H, W) uint8 pseudo-label map (the
                model's prediction where no human label is asked;
                ``ignore_index`` elsewhere), committed with the round's
                answers into the pseudo-label channel; never budget.

        Returns:
            str: Path of the written queries file.
        """
        excluded = {} if excluded is None else dict(excluded)
        pseudo = {} if pseudo is None else dict(pseudo)
        for name, given in (('excluded positions', excluded), ('pseudo labels', pseudo)):
            unknown = sorted(set(given) - set(queries))
            if unknown:
                raise LabelStoreError(
                    f'{name} given for {unknown[0]!r}, which has no queries (give it '
                    'an empty query)')
        with self._write_lock():
            manifest = self._refresh(force=True)
            self._check_next_round(round_index, manifest, 'save queries of')
            meta = self._check_meta(meta)
            arrays = dict(
                keys=np.array(sorted(queries), dtype=str),
                record=json_str(dict(round=round_index, meta=meta)))
            for i, key in enumerate(sorted(queries)):
                shape, pixels = queries[key]
                update = RoundUpdate(
                    shape, pixels,
                    np.zeros(len(np.asarray(pixels)), np.uint8),
                    excluded.get(key))
                delta, _ = self._validate_update(key, update, manifest)
                arrays[f'shape_{i}'] = np.asarray(delta['shape'], np.int64)
                arrays[f'pixels_{i}'] = delta['pixels']
                arrays[f'excluded_{i}'] = as_flat_indices(
                    excluded.get(key), f'{key!r}: excluded',
                    delta['shape'][0] * delta['shape'][1])
                if key in pseudo:
                    sparse = self._check_pseudo(key, pseudo[key], delta['shape'])
                    arrays[f'pseudo_pixels_{i}'] = sparse['pseudo_pixels']
                    arrays[f'pseudo_values_{i}'] = sparse['pseudo_values']
            if not osp.exists(self._manifest_path()):
                self._write_manifest(manifest)
            path = self._query_path(round_index)
            if osp.exists(path):
                self._move_aside(path, f'queries_round_{round_index:04d}')
            atomic_write(path, lambda f: write_npz(f, arrays))
        return path

    def has_queries(self, round_index: int) -> bool:
        """Whether queries were saved for ``round_index``."""
        return osp.isfile(self._query_path(round_index))

    def load_queries(self, round_index: int) -> RoundQueries:
        """Load the queries saved for one round.

        Args:
            round_index: Round of the queries.

        Returns:
            RoundQueries: Queried pixels, exclusions and meta.
        """
        path = self._query_path(round_index)
        if not osp.isfile(path):
            raise LabelStoreError(
                f'no queries saved for round {round_index} in {self.root} '
                f'(missing {path})')
        queries, excluded, pseudo = {}, {}, {}
        try:
            with np.load(path, allow_pickle=False) as z:
                record = json.loads(str(z['record']))
                for i, key in enumerate(z['keys'].tolist()):
                    shape = tuple(int(v) for v in z[f'shape_{i}'])
                    queries[key] = (shape, z[f'pixels_{i}'].astype(np.int64))
                    excluded[key] = z[f'excluded_{i}'].astype(np.int64)
                    if f'pseudo_pixels_{i}' in z.files:
                        page = np.full(shape[0] * shape[1], self.ignore_index, np.uint8)
                        page[z[f'pseudo_pixels_{i}']] = z[f'pseudo_values_{i}']
                        pseudo[key] = page.reshape(shape)
        except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as e:
            raise LabelStoreError(
                f'cannot read the queries file {path}: {e}') from e
        return RoundQueries(round_index, queries, excluded, record['meta'], pseudo)
