"""The label store: construction, summaries, reading and committing rounds.

Manifest and layout (:mod:`.manifest`), input checks (:mod:`.checks`),
queries (:mod:`.queries`) and restore (:mod:`.restore`) are mixins of
:class:`LabelStore`; the per-image sparse state is :mod:`.sparse`.
"""
import os.path as osp
import shutil
import time
import warnings
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmada.utils.fileio import atomic_write

from .checks import UpdateChecks, check_shape
from .files import chain_digest, json_str, write_npz
from .manifest import ManifestMixin
from .queries import QueriesMixin
from .records import MANIFEST, ImageLabels, LabelStoreError, RoundUpdate
from .restore import RestoreMixin
from .sparse import SparseState, load_round_deltas


class LabelStore(ManifestMixin, UpdateChecks, QueriesMixin, RestoreMixin):
    """Append-only store of actively acquired labels, one round at a time.

    See :mod:`mmada.active.label_store` for the on-disk format. Writes
    (:meth:`commit_round`, :meth:`save_queries`, :meth:`restore`) must happen
    in ONE process (rank 0 in distributed training); every other process may
    read concurrently.

    Args:
        root: Folder of the store, e.g. ``<work_dir>/active_labels``. Created
            on the first write.
        num_classes: Number of classes C. ``None`` takes it from an existing
            store (readers and tools).
        ignore_index: Label of unlabelled pixels. Defaults to 255.
    """

    def __init__(self,
                 root: str,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255) -> None:
        self.root = osp.abspath(root)
        if not 0 <= ignore_index <= 255:
            raise ValueError(
                f'ignore_index must fit uint8, got {ignore_index}')
        self.ignore_index = int(ignore_index)
        self._manifest: Optional[dict] = None
        self._manifest_stat: Optional[Tuple[int, int, int]] = None
        self._manifest_seen = False
        # round file -> (sha256, file stamp) hashed by this object (a commit
        # hashes only what is new; see ManifestMixin._verify_unchanged)
        self._verified: Dict[str, Tuple[str, Tuple[int, int, int]]] = {}
        self.num_classes = num_classes
        if self.exists(self.root):
            self._check_config(self._refresh())
        elif num_classes is None:
            raise LabelStoreError(
                f'no label store at {self.root} (no {MANIFEST}); pass '
                'num_classes to create one')
        if not 0 < int(self.num_classes) <= 255:
            raise ValueError(
                f'num_classes must be in [1, 255], got {self.num_classes}')
        self.num_classes = int(self.num_classes)

    # ----------------------------------------------------------- basics
    @staticmethod
    def exists(root: str) -> bool:
        """Whether ``root`` holds a label store (a manifest)."""
        return osp.isfile(osp.join(root, MANIFEST))

    @classmethod
    def archive_used(cls, root: str) -> Optional[str]:
        """Move a store that holds rounds aside, for a new (not resumed) run.

        A new run must not continue on the labels of an earlier one; an
        empty store (or none) is left where it is.

        Args:
            root: The store's folder.

        Returns:
            str or None: Where the store went (``<root>.bak-<time>``).
        """
        if not cls.exists(root) or cls(root).current_round == 0:
            return None
        backup = f'{root}.bak-{time.strftime("%Y%m%d_%H%M%S")}'
        shutil.move(root, backup)
        return backup

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(root={self.root!r}, '
                f'num_classes={self.num_classes}, round={self.current_round})')

    def __getstate__(self) -> dict:
        """Pickle without the cached manifest (workers re-read it)."""
        state = self.__dict__.copy()
        state['_manifest'] = None
        state['_manifest_stat'] = None
        return state

    @property
    def current_round(self) -> int:
        """Index of the last committed round (0 before any round)."""
        return int(self._refresh()['current_round'])

    def keys(self) -> List[str]:
        """Keys of all images touched by a round (labels, exclusion or
        pseudo labels)."""
        return sorted(self._refresh()['images'])

    def keys_with_labels(self, upto_round: Optional[int] = None) -> List[str]:
        """Keys of the images with at least one annotated pixel.

        Args:
            upto_round: Count only the pixels of rounds 1..``upto_round``
                (the store as it was after that round); ``None`` = all.

        Returns:
            list[str]: Sorted keys.
        """
        images = self._refresh()['images']
        if upto_round is None or upto_round >= self.current_round:
            return sorted(k for k, v in images.items() if v['annotated'] > 0)
        keys = []
        for key, entry in sorted(images.items()):
            if not entry['annotated'] or min(entry['rounds']) > upto_round:
                continue
            if max(entry['rounds']) <= upto_round or \
                    (self._read_state(key, None).rounds <= upto_round).any():
                keys.append(key)
        return keys

    def annotated_per_image(self) -> Dict[str, int]:
        """Annotated pixels (void answers included) of every touched image."""
        return {k: int(v['annotated']) for k, v in sorted(self._refresh()['images'].items())}

    def class_counts(self) -> np.ndarray:
        """(C,) int64 number of labelled pixels per class so far."""
        return np.asarray(
            self._refresh()['totals']['class_counts'], dtype=np.int64)

    def num_labelled(self) -> int:
        """Number of pixels labelled with a class (void answers excluded)."""
        return int(self._refresh()['totals']['labelled'])

    def budget_spent(self) -> Dict[str, float]:
        """Budget spent so far.

        Returns:
            dict: ``pixels`` (queried pixels, void answers included) and
            ``units`` (sum of the ``units`` entries of the rounds' meta).
        """
        totals = self._refresh()['totals']
        return dict(pixels=int(totals['pixels']), units=totals['units'])

    def round_records(self) -> List[dict]:
        """Per-round records of the manifest (stats, meta, digest)."""
        return [dict(r) for r in self._refresh()['rounds']]

    def digest(self, upto_round: Optional[int] = None) -> str:
        """Digest of the committed rounds 1..``upto_round``.

        Args:
            upto_round: Last round included; ``None`` = the current round.

        Returns:
            str: sha256 hex digest over the rounds' file digests in order.
        """
        rounds = self._refresh()['rounds']
        if upto_round is None:
            upto_round = len(rounds)
        if not 0 <= upto_round <= len(rounds):
            raise LabelStoreError(
                f'cannot digest up to round {upto_round}: the store at '
                f'{self.root} has {len(rounds)} committed round(s)')
        return chain_digest([r['sha256'] for r in rounds[:upto_round]])

    def state_dict(self) -> dict:
        """Plain-python summary for checkpoints.

        Only str/int/float/list/dict, so it loads under
        ``torch.load(weights_only=True)``.

        Returns:
            dict: round, digest, per-round digests, budget and class counts.
        """
        manifest = self._refresh()
        totals = manifest['totals']
        return dict(
            round=int(manifest['current_round']),
            digest=self.digest(),
            round_digests=[str(r['sha256']) for r in manifest['rounds']],
            num_classes=int(self.num_classes),
            pixels_spent=int(totals['pixels']),
            units_spent=totals['units'],
            num_labelled=int(totals['labelled']),
            class_counts=[int(c) for c in totals['class_counts']])

    # ------------------------------------------------------------ reading
    def read(self, key: str, shape: Optional[Sequence[int]] = None
             ) -> ImageLabels:
        """Current labels of one image, as of the latest committed round.

        Args:
            key: Image key.
            shape: (H, W) of the image's label map. Required for images no
                round touched; checked against the stored shape otherwise.

        Returns:
            ImageLabels: Dense arrays (all unlabelled for untouched images).
        """
        state = self._read_state(key, shape)
        return state.densify(self.ignore_index)

    def _read_state(self, key: str,
                    shape: Optional[Sequence[int]]) -> SparseState:
        """Sparse state of one image from its cache file."""
        for attempt in range(2):
            entry = self._refresh(force=attempt > 0)['images'].get(key)
            if entry is None:
                if shape is None:
                    raise LabelStoreError(
                        f'image {key!r} has no labels in {self.root}; pass '
                        'its shape to read it')
                return SparseState.empty(check_shape(shape))
            stored = tuple(entry['shape'])
            if shape is not None and check_shape(shape) != stored:
                raise LabelStoreError(
                    f'image {key!r}: requested shape {tuple(shape)} differs '
                    f'from the stored shape {stored}')
            try:
                return SparseState.load(osp.join(self.root, entry['cache']))
            except FileNotFoundError:
                continue  # a newer manifest replaced this cache; retry
        warnings.warn(f'cache of {key!r} is missing in {self.root}; replaying '
                      'its round files (slow)')
        return self._replay([key], self._refresh())[key]

    # ------------------------------------------------------------- rounds
    def _replay(self, keys: Sequence[str],
                manifest: dict) -> Dict[str, SparseState]:
        """States of some images rebuilt from the round files.

        Every round file is opened once, and only the requested images'
        arrays are read from it.
        """
        states, by_round = {}, {}
        for key in keys:
            entry = manifest['images'][key]
            states[key] = SparseState.empty(tuple(entry['shape']))
            for round_index in entry['rounds']:
                by_round.setdefault(round_index, []).append(key)
        for round_index in sorted(by_round):
            deltas = load_round_deltas(
                self._round_path(round_index), by_round[round_index])
            for key in by_round[round_index]:
                states[key] = states[key].apply(deltas[key], round_index)
        return states

    def _write_cache(self, state: SparseState, name: str) -> None:
        """Atomically write one image's cumulative cache file."""
        state.save(osp.join(self.root, name))

    def commit_round(self,
                     round_index: int,
                     updates: Mapping[str, RoundUpdate],
                     meta: Optional[dict] = None) -> str:
        """Validate and append one round of labels.

        Everything is validated before anything is written; files are
        written atomically and the manifest last, so a crash leaves the
        previous state intact and readable.

        Args:
            round_index: Must be ``current_round + 1``.
            updates: key -> what the round adds to that image.
            meta: JSON-serialisable metadata of the round; a numeric
                ``units`` entry is summed into the spent budget.

        Returns:
            str: The store's digest after the commit.
        """
        with self._write_lock():
            manifest = self._refresh(force=True)
            self._check_next_round(round_index, manifest, 'commit')
            meta = self._check_meta(meta)
            self._verify_unchanged()
            prepared = {
                key: self._validate_update(key, updates[key], manifest)
                for key in sorted(updates)
            }
            deltas = {key: delta for key, (delta, _) in prepared.items()}
            stats = self._round_stats(deltas)
            sha = self._write_round_file(round_index, deltas, stats, meta)
            new_manifest = self._next_manifest(manifest, round_index, deltas,
                                               stats, meta, sha)
            for key, (delta, old) in prepared.items():
                self._write_cache(
                    old.apply(delta, round_index),
                    new_manifest['images'][key]['cache'])
            self._write_manifest(new_manifest)
            self._remove_stale_caches(manifest, new_manifest)
        return self.digest()

    def _write_round_file(self, round_index: int, deltas: Mapping[str, dict],
                          stats: dict, meta: dict) -> str:
        """Write the round file (moving an uncommitted leftover aside).

        Returns:
            str: sha256 of the written file.
        """
        arrays = dict(
            keys=np.array(list(deltas), dtype=str),
            record=json_str(
                dict(
                    round=round_index,
                    num_classes=self.num_classes,
                    ignore_index=self.ignore_index,
                    stats=stats,
                    meta=meta)))
        for i, delta in enumerate(deltas.values()):
            arrays[f'shape_{i}'] = np.asarray(delta['shape'], dtype=np.int64)
            for name in ('pixels', 'labels', 'excluded', 'pseudo_pixels',
                         'pseudo_values'):
                if name in delta:
                    arrays[f'{name}_{i}'] = delta[name]
        path = self._round_path(round_index)
        if osp.exists(path):  # left over by a crash before the manifest
            self._move_aside(path, f'uncommitted_round_{round_index:04d}')
        atomic_write(path, lambda f: write_npz(f, arrays))
        return self._hash_round_file(path)
