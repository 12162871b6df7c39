"""Append-only, on-disk store of the labels acquired by active learning.

Per target image (identified by a string key, typically the image path
relative to the data root; never a pool-relative index) the store keeps:

* the labelled pixels and their labels (uint8 class ids; ``ignore_index``
  where unlabelled),
* the round at which each pixel was annotated (0 = never),
* an exclusion map: positions a selection method forbids from now on,
* an optional pseudo-label channel (``ignore_index`` = none),
* the queries of a round (pixels asked to a human but not yet answered).

A pixel that was queried and answered with ``ignore_index`` (the annotator
or the ground truth says *void*) counts as spent budget: its round is set,
so it is never queried again, but its label stays ``ignore_index``.

On-disk layout (``root`` is usually ``<work_dir>/active_labels``)::

    root/
      manifest.json                 # written last: committed rounds, sha256
                                    # of each round file, totals, index
      rounds/round_0001.npz         # deltas of round 1 (append-only)
      queries/round_0002.npz        # queries of a round, pending or answered
      cache/<sha1(key)>.r0001.npz   # cumulative state of one image after
                                    # the last round that touched it
      discarded/...                 # rounds moved aside by restore()

A round file holds, for every image touched in that round, the flat indices
and labels of the newly annotated pixels, the newly excluded positions and
the pseudo labels (if replaced). Reading an image is one small cache file
(sparse pixels + a packed exclusion bitmap), so dataloader workers stay cheap;
the caches can always be rebuilt from the round files.

Concurrency: only one process writes (rank 0 in distributed training; the
callers ensure it, a lock file makes a second writer fail loudly). Readers in
other processes (dataloader workers, other ranks) tolerate a concurrent writer
because every file is replaced atomically and the manifest is replaced last;
a reader notices a new manifest through its inode, mtime and size.
"""
import contextlib
import datetime
import hashlib
import json
import os
import os.path as osp
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from typing import (Any, Callable, Dict, IO, Iterator, List, Mapping,
                    Optional, Sequence, Tuple)

import numpy as np

try:  # POSIX only; on other systems the write lock is a no-op.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

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
    """
    round_index: int
    queries: Dict[str, Tuple[Shape, np.ndarray]]
    excluded: Dict[str, np.ndarray]
    meta: dict

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
                excluded=self.excluded.get(key))
            for key, (shape, pixels) in self.queries.items()
        }


@dataclass
class _SparseState:
    """Sparse cumulative state of one image (what a cache file holds)."""
    shape: Shape
    pixels: np.ndarray  # int64, sorted
    labels: np.ndarray  # uint8
    rounds: np.ndarray  # uint16
    excluded_bits: np.ndarray  # packed (H * W,) bool bitmap
    pseudo_pixels: Optional[np.ndarray] = None  # int64, sorted
    pseudo_values: Optional[np.ndarray] = None  # uint8

    @classmethod
    def empty(cls, shape: Shape) -> '_SparseState':
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


# --------------------------------------------------------------------------
# Small file helpers
# --------------------------------------------------------------------------
def _fsync_dir(path: str) -> None:
    """Flush a directory entry (new or renamed files) to disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. not supported
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file atomically: temp file, fsync, ``os.replace``.

    Args:
        path: Destination path.
        write: Function writing the content to a binary file object.
    """
    dirname = osp.dirname(osp.abspath(path))
    os.makedirs(dirname, exist_ok=True)
    tmp = osp.join(dirname,
                   f'.{osp.basename(path)}.tmp-{os.getpid()}-'
                   f'{uuid.uuid4().hex[:8]}')
    try:
        with open(tmp, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    _fsync_dir(dirname)


def write_npz(f: IO[bytes],
              arrays: Mapping[str, np.ndarray],
              compress: bool = True) -> None:
    """Write arrays as an ``.npz`` with fixed timestamps (same bytes for the
    same content, hence reproducible digests).

    Args:
        f: Binary file object.
        arrays: name -> array (no object arrays).
        compress: Deflate the members.
    """
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(f, 'w', compression=method) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f'{name}.npy', date_time=(1980, 1, 1, 0,
                                                             0, 0))
            info.compress_type = method
            with zf.open(info, 'w', force_zip64=True) as member:
                np.lib.format.write_array(
                    member, np.asarray(array), allow_pickle=False)


def _sha256_file(path: str) -> str:
    """sha256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def _json_str(obj: Any) -> np.ndarray:
    """A JSON document as a 0-d unicode array (loads without pickle)."""
    return np.array(json.dumps(obj, sort_keys=True))


def _timestamp() -> str:
    """Compact local timestamp for names of moved-aside files."""
    return datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')


def chain_digest(round_digests: Sequence[str]) -> str:
    """Digest of a sequence of rounds: sha256 over their digests in order.

    Args:
        round_digests: sha256 hex digests of rounds 1..R.

    Returns:
        str: sha256 hex digest (of the empty string for R = 0).
    """
    h = hashlib.sha256()
    for i, digest in enumerate(round_digests, start=1):
        h.update(f'{i}:{digest}\n'.encode())
    return h.hexdigest()


def _as_flat_indices(values: Any, name: str, size: int) -> np.ndarray:
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


def _check_shape(shape: Any) -> Shape:
    """Validate an (H, W) shape."""
    try:
        h, w = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise LabelStoreError(f'shape must be (H, W), got {shape!r}')
    if h <= 0 or w <= 0:
        raise LabelStoreError(f'shape must be positive, got {shape!r}')
    return h, w


# --------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------
class LabelStore:
    """Append-only store of actively acquired labels, one round at a time.

    See the module docstring for the on-disk format. Writes
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

    def keys_with_labels(self) -> List[str]:
        """Keys of the images with at least one annotated pixel."""
        images = self._refresh()['images']
        return sorted(k for k, v in images.items() if v['annotated'] > 0)

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
        return self._densify(state)

    def _read_state(self, key: str,
                    shape: Optional[Sequence[int]]) -> _SparseState:
        """Sparse state of one image from its cache file."""
        for attempt in range(2):
            entry = self._refresh(force=attempt > 0)['images'].get(key)
            if entry is None:
                if shape is None:
                    raise LabelStoreError(
                        f'image {key!r} has no labels in {self.root}; pass '
                        'its shape to read it')
                return _SparseState.empty(_check_shape(shape))
            stored = tuple(entry['shape'])
            if shape is not None and _check_shape(shape) != stored:
                raise LabelStoreError(
                    f'image {key!r}: requested shape {tuple(shape)} differs '
                    f'from the stored shape {stored}')
            try:
                return self._load_cache(osp.join(self.root, entry['cache']))
            except FileNotFoundError:
                continue  # a newer manifest replaced this cache; retry
        warnings.warn(f'cache of {key!r} is missing in {self.root}; replaying '
                      'its round files (slow)')
        return self._replay([key], self._refresh())[key]

    @staticmethod
    def _load_cache(path: str) -> _SparseState:
        """Load one cache file."""
        with np.load(path, allow_pickle=False) as z:
            state = _SparseState(
                tuple(int(v) for v in z['shape']), z['pixels'], z['labels'],
                z['rounds'], z['excluded_bits'])
            if 'pseudo_pixels' in z.files:
                state.pseudo_pixels = z['pseudo_pixels']
                state.pseudo_values = z['pseudo_values']
        return state

    def _densify(self, state: _SparseState) -> ImageLabels:
        """Dense (H, W) arrays of a sparse state."""
        h, w = state.shape
        labels = np.full(h * w, self.ignore_index, dtype=np.uint8)
        labels[state.pixels] = state.labels
        rounds = np.zeros(h * w, dtype=np.uint16)
        rounds[state.pixels] = state.rounds
        excluded = state.excluded_mask()
        pseudo = None
        if state.pseudo_pixels is not None:
            pseudo = np.full(h * w, self.ignore_index, dtype=np.uint8)
            pseudo[state.pseudo_pixels] = state.pseudo_values
            pseudo = pseudo.reshape(h, w)
        return ImageLabels(
            labels.reshape(h, w), rounds.reshape(h, w), excluded.reshape(h, w),
            pseudo)

    # ------------------------------------------------------------ manifest
    def _manifest_path(self) -> str:
        return osp.join(self.root, MANIFEST)

    def _empty_manifest(self) -> dict:
        return dict(
            format=FORMAT_NAME,
            version=FORMAT_VERSION,
            num_classes=self.num_classes,
            ignore_index=self.ignore_index,
            current_round=0,
            rounds=[],
            totals=self._empty_totals(),
            images={})

    def _empty_totals(self) -> dict:
        return dict(
            pixels=0,
            labelled=0,
            void=0,
            excluded=0,
            units=0,
            class_counts=[0] * int(self.num_classes))

    def _refresh(self, force: bool = False) -> dict:
        """The manifest, re-read only when the file changed."""
        path = self._manifest_path()
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if self._manifest_seen:
                raise LabelStoreError(
                    f'the manifest {path} of the label store disappeared; '
                    'refusing to continue without the labels')
            return self._empty_manifest()
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if force or self._manifest is None or stamp != self._manifest_stat:
            self._manifest = self._parse_manifest(path)
            self._manifest_stat = stamp
            self._manifest_seen = True
        return self._manifest

    def _parse_manifest(self, path: str) -> dict:
        """Load and sanity-check the manifest."""
        try:
            with open(path, 'r', encoding='utf-8') as f:
                manifest = json.load(f)
        except (OSError, ValueError) as e:
            raise LabelStoreError(
                f'cannot parse the label store manifest {path}: {e}. Restore '
                'it from a backup or start a new store') from e
        if manifest.get('format') != FORMAT_NAME:
            raise LabelStoreError(f'{path} is not a {FORMAT_NAME} manifest')
        if manifest.get('version') != FORMAT_VERSION:
            raise LabelStoreError(
                f'{path} has format version {manifest.get("version")}, this '
                f'code reads version {FORMAT_VERSION}')
        if manifest['current_round'] != len(manifest['rounds']):
            raise LabelStoreError(
                f'{path} is inconsistent: current_round '
                f'{manifest["current_round"]} but {len(manifest["rounds"])} '
                'round record(s)')
        return manifest

    def _check_config(self, manifest: dict) -> None:
        """Check the constructor arguments against an existing store."""
        stored_c = manifest['num_classes']
        if self.num_classes is None:
            self.num_classes = stored_c
        elif int(self.num_classes) != stored_c:
            raise LabelStoreError(
                f'label store {self.root} holds {stored_c} classes, but '
                f'num_classes={self.num_classes} was given')
        if manifest['ignore_index'] != self.ignore_index:
            raise LabelStoreError(
                f'label store {self.root} uses ignore_index '
                f'{manifest["ignore_index"]}, but {self.ignore_index} was '
                'given')

    def _write_manifest(self, manifest: dict) -> None:
        """Atomically replace the manifest (the commit point)."""
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        atomic_write(self._manifest_path(), lambda f: f.write(data))
        self._refresh(force=True)

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Exclusive, non-blocking lock against a second writer."""
        os.makedirs(self.root, exist_ok=True)
        if fcntl is None:  # pragma: no cover
            yield
            return
        with open(osp.join(self.root, LOCK_FILE), 'a') as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                raise LabelStoreError(
                    f'another process is writing to the label store '
                    f'{self.root}; only one process (rank 0) may write') from e
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    # ---------------------------------------------------------- integrity
    def _round_path(self, round_index: int) -> str:
        return osp.join(self.root, ROUNDS_DIR, f'round_{round_index:04d}.npz')

    def _query_path(self, round_index: int) -> str:
        return osp.join(self.root, QUERIES_DIR,
                        f'round_{round_index:04d}.npz')

    def _cache_name(self, key: str, round_index: int) -> str:
        digest = hashlib.sha1(key.encode('utf-8')).hexdigest()
        return f'{CACHE_DIR}/{digest}.r{round_index:04d}.npz'

    def verify(self, upto_round: Optional[int] = None) -> None:
        """Check that the files of rounds 1..``upto_round`` are intact.

        Args:
            upto_round: Last round checked; ``None`` = the current round.

        Raises:
            LabelStoreError: A round file is missing or its sha256 differs
                from the one recorded in the manifest.
        """
        rounds = self._refresh(force=True)['rounds']
        upto_round = len(rounds) if upto_round is None else upto_round
        for record in rounds[:upto_round]:
            path = osp.join(self.root, record['file'])
            if not osp.isfile(path):
                raise LabelStoreError(
                    f'round {record["round"]} of the label store is missing: '
                    f'{path} does not exist. Put the file back (e.g. from a '
                    'backup) or start from a checkpoint without active '
                    'labels; nothing was changed')
            actual = _sha256_file(path)
            if actual != record['sha256']:
                raise LabelStoreError(
                    f'round {record["round"]} of the label store was modified '
                    f'or corrupted: sha256 of {path} is {actual[:12]}..., the '
                    f'manifest recorded {record["sha256"][:12]}.... Restore '
                    'the original file (or manifest); nothing was changed')

    # ------------------------------------------------------------- rounds
    def _load_round(self, round_index: int,
                    keys: Sequence[str]) -> Dict[str, dict]:
        """Deltas of some images from one committed round file."""
        path = self._round_path(round_index)
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

    @staticmethod
    def _apply(state: _SparseState, delta: dict,
               round_index: int) -> _SparseState:
        """State after adding one round's delta."""
        pixels = np.concatenate(
            [state.pixels.astype(np.int64), delta['pixels']])
        order = np.argsort(pixels, kind='stable')
        rounds = np.concatenate([
            state.rounds,
            np.full(len(delta['pixels']), round_index, dtype=np.uint16)
        ])
        excluded = state.excluded_mask().copy()
        excluded[delta['excluded']] = True
        new = _SparseState(
            state.shape, pixels[order],
            np.concatenate([state.labels, delta['labels']])[order],
            rounds[order], np.packbits(excluded), state.pseudo_pixels,
            state.pseudo_values)
        if 'pseudo_pixels' in delta:
            new.pseudo_pixels = delta['pseudo_pixels']
            new.pseudo_values = delta['pseudo_values']
        return new

    def _replay(self, keys: Sequence[str],
                manifest: dict) -> Dict[str, _SparseState]:
        """States of some images rebuilt from the round files.

        Every round file is opened once, and only the requested images'
        arrays are read from it.
        """
        states, by_round = {}, {}
        for key in keys:
            entry = manifest['images'][key]
            states[key] = _SparseState.empty(tuple(entry['shape']))
            for round_index in entry['rounds']:
                by_round.setdefault(round_index, []).append(key)
        for round_index in sorted(by_round):
            deltas = self._load_round(round_index, by_round[round_index])
            for key in by_round[round_index]:
                states[key] = self._apply(states[key], deltas[key],
                                          round_index)
        return states

    def _write_cache(self, state: _SparseState, name: str) -> None:
        """Atomically write one image's cumulative cache file."""
        index_dtype = np.int32 if state.size < 2**31 else np.int64
        arrays = dict(
            shape=np.asarray(state.shape, dtype=np.int64),
            pixels=state.pixels.astype(index_dtype),
            labels=state.labels.astype(np.uint8),
            rounds=state.rounds.astype(np.uint16),
            excluded_bits=state.excluded_bits)
        if state.pseudo_pixels is not None:
            arrays['pseudo_pixels'] = state.pseudo_pixels.astype(index_dtype)
            arrays['pseudo_values'] = state.pseudo_values.astype(np.uint8)
        atomic_write(
            osp.join(self.root, name), lambda f: write_npz(f, arrays))

    def _validate_update(self, key: str, update: RoundUpdate,
                         manifest: dict) -> Tuple[dict, _SparseState]:
        """Check one image's update against its current state.

        Returns:
            tuple[dict, _SparseState]: The delta to store and the image's
            current (old) state.
        """
        if not isinstance(key, str) or not key:
            raise LabelStoreError(f'keys must be non-empty strings, got '
                                  f'{key!r}')
        if not isinstance(update, RoundUpdate):
            raise LabelStoreError(
                f'{key!r}: expected a RoundUpdate, got {type(update)}')
        shape = _check_shape(update.shape)
        size = shape[0] * shape[1]
        entry = manifest['images'].get(key)
        if entry is not None and tuple(entry['shape']) != shape:
            raise LabelStoreError(
                f'{key!r}: shape {shape} differs from the shape '
                f'{tuple(entry["shape"])} of earlier rounds')
        old = (self._read_state(key, shape)
               if entry is not None else _SparseState.empty(shape))
        pixels = _as_flat_indices(update.pixels, f'{key!r}: pixels', size)
        labels = self._check_labels(key, update.labels, len(pixels))
        self._check_not_annotated(key, pixels, old)
        order = np.argsort(pixels, kind='stable')
        excluded = _as_flat_indices(update.excluded, f'{key!r}: excluded',
                                    size)
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
                             old: _SparseState) -> None:
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
            self.verify()
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
                    self._apply(old, delta, round_index),
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
            record=_json_str(
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
        return _sha256_file(path)

    def _next_manifest(self, manifest: dict, round_index: int,
                       deltas: Mapping[str, dict], stats: dict, meta: dict,
                       sha: str) -> dict:
        """Manifest after appending one round."""
        new = json.loads(json.dumps(manifest))
        new['current_round'] = round_index
        new['rounds'].append(
            dict(
                round=round_index,
                file=f'{ROUNDS_DIR}/round_{round_index:04d}.npz',
                sha256=sha,
                committed_at=datetime.datetime.now().isoformat(
                    timespec='seconds'),
                stats=stats,
                meta=meta))
        self._add_totals(new['totals'], stats, meta)
        for key, delta in deltas.items():
            entry = new['images'].setdefault(
                key, dict(shape=list(delta['shape']), rounds=[],
                          annotated=0))
            entry['rounds'].append(round_index)
            entry['annotated'] += len(delta['pixels'])
            entry['cache'] = self._cache_name(key, round_index)
        return new

    @staticmethod
    def _add_totals(totals: dict, stats: dict, meta: dict) -> None:
        """Accumulate one round's stats into the totals (in place)."""
        for name in ('pixels', 'labelled', 'void', 'excluded'):
            totals[name] += stats[name]
        totals['class_counts'] = [
            a + b for a, b in zip(totals['class_counts'],
                                  stats['class_counts'])
        ]
        units = meta.get('units', 0)
        if isinstance(units, (int, float)) and not isinstance(units, bool):
            totals['units'] += units

    def _remove_stale_caches(self, old: dict, new: dict) -> None:
        """Delete cache files the new manifest no longer references."""
        for key, entry in old['images'].items():
            new_entry = new['images'].get(key)
            if new_entry is None or new_entry['cache'] != entry['cache']:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(osp.join(self.root, entry['cache']))

    def _move_aside(self, path: str, stem: str) -> str:
        """Move a file to ``discarded/<stem>-<timestamp><ext>``."""
        dest_dir = osp.join(self.root, DISCARDED_DIR)
        os.makedirs(dest_dir, exist_ok=True)
        dest = osp.join(dest_dir,
                        f'{stem}-{_timestamp()}{osp.splitext(path)[1]}')
        os.replace(path, dest)
        _fsync_dir(dest_dir)
        return dest

    # ------------------------------------------------------------ queries
    def save_queries(self,
                     round_index: int,
                     queries: Mapping[str, Tuple[Sequence[int], Any]],
                     meta: Optional[dict] = None,
                     excluded: Optional[Mapping[str, Any]] = None) -> str:
        """Save the queries of the next round (pending, NOT labels).

        Replaces earlier pending queries of the same round (the old file is
        moved to ``discarded/``).

        Args:
            round_index: Must be ``current_round + 1``.
            queries: key -> ((H, W), flat int64 indices of queried pixels).
            meta: JSON-serialisable metadata (e.g. ``units`` spent).
            excluded: Optional key -> flat positions to exclude when the
                round is committed.

        Returns:
            str: Path of the written queries file.
        """
        excluded = {} if excluded is None else dict(excluded)
        unknown = sorted(set(excluded) - set(queries))
        if unknown:
            raise LabelStoreError(
                f'excluded positions given for {unknown[0]!r}, which has no '
                'queries')
        with self._write_lock():
            manifest = self._refresh(force=True)
            self._check_next_round(round_index, manifest, 'save queries of')
            meta = self._check_meta(meta)
            arrays = dict(
                keys=np.array(sorted(queries), dtype=str),
                record=_json_str(dict(round=round_index, meta=meta)))
            for i, key in enumerate(sorted(queries)):
                shape, pixels = queries[key]
                update = RoundUpdate(
                    shape, pixels,
                    np.zeros(len(np.asarray(pixels)), np.uint8),
                    excluded.get(key))
                delta, _ = self._validate_update(key, update, manifest)
                arrays[f'shape_{i}'] = np.asarray(delta['shape'], np.int64)
                arrays[f'pixels_{i}'] = delta['pixels']
                arrays[f'excluded_{i}'] = _as_flat_indices(
                    excluded.get(key), f'{key!r}: excluded',
                    delta['shape'][0] * delta['shape'][1])
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
        queries, excluded = {}, {}
        try:
            with np.load(path, allow_pickle=False) as z:
                record = json.loads(str(z['record']))
                for i, key in enumerate(z['keys'].tolist()):
                    shape = tuple(int(v) for v in z[f'shape_{i}'])
                    queries[key] = (shape, z[f'pixels_{i}'].astype(np.int64))
                    excluded[key] = z[f'excluded_{i}'].astype(np.int64)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
            raise LabelStoreError(
                f'cannot read the queries file {path}: {e}') from e
        return RoundQueries(round_index, queries, excluded, record['meta'])

    # ------------------------------------------------------------ resume
    def restore(self, state: Mapping[str, Any]) -> None:
        """Bring the store back to a checkpoint's :meth:`state_dict`.

        Rounds committed after the checkpoint (a run killed before its next
        checkpoint) are moved to ``discarded/`` and the caches rebuilt. If
        rounds 1..R of the checkpoint are missing, edited or corrupted, raise
        and change nothing.

        Args:
            state: A dict returned by :meth:`state_dict`.
        """
        target = int(state['round'])
        with self._write_lock():
            manifest = self._refresh(force=True)
            current = int(manifest['current_round'])
            if target > current:
                raise LabelStoreError(
                    f'the checkpoint has {target} round(s) of active labels '
                    f'but the store at {self.root} has only {current}; point '
                    'the run at the work dir holding its label store '
                    '(active_labels/), or resume from an older checkpoint. '
                    'Nothing was changed')
            self.verify(upto_round=target)
            self._check_checkpoint_digest(state, manifest, target)
            if target == current:
                self._repair_caches(manifest)
                return
            self._truncate(manifest, target)

    def _check_checkpoint_digest(self, state: Mapping[str, Any],
                                 manifest: dict, target: int) -> None:
        """Compare the checkpoint's digests with the store's rounds."""
        ours = [r['sha256'] for r in manifest['rounds'][:target]]
        theirs = list(state.get('round_digests') or [])
        for i, (a, b) in enumerate(zip(ours, theirs), start=1):
            if a != b:
                raise LabelStoreError(
                    f'round {i} of the label store at {self.root} differs '
                    f'from the checkpoint (sha256 {a[:12]}... vs '
                    f'{b[:12]}...): these are not the labels this '
                    'checkpoint was trained on. Use the matching work dir or '
                    'checkpoint; nothing was changed')
        if chain_digest(ours) != state['digest']:
            raise LabelStoreError(
                f'the label store at {self.root} (rounds 1..{target}) does '
                'not match the checkpoint digest: these are not the labels '
                'this checkpoint was trained on. Use the matching work dir '
                'or checkpoint; nothing was changed')

    def _truncate(self, manifest: dict, target: int) -> None:
        """Drop the rounds after ``target`` (rounds 1..target verified).

        New caches first, then the manifest (the commit point), then the
        later round files go to ``discarded/``.
        """
        new = self._empty_manifest()
        new['current_round'] = target
        new['rounds'] = manifest['rounds'][:target]
        for record in new['rounds']:
            self._add_totals(new['totals'], record['stats'], record['meta'])
        changed = []
        for key, entry in manifest['images'].items():
            rounds = [r for r in entry['rounds'] if r <= target]
            if rounds == entry['rounds']:
                new['images'][key] = entry
            elif rounds:
                new['images'][key] = dict(
                    shape=entry['shape'],
                    rounds=rounds,
                    cache=self._cache_name(key, rounds[-1]))
                changed.append(key)
        for key, state in self._replay(changed, new).items():
            new['images'][key]['annotated'] = int(len(state.pixels))
            self._write_cache(state, new['images'][key]['cache'])
        self._write_manifest(new)
        for record in manifest['rounds'][target:]:
            path = self._round_path(record['round'])
            if osp.exists(path):
                self._move_aside(path, f'round_{record["round"]:04d}')
        self._discard_queries_after(target)
        self._remove_stale_caches(manifest, new)

    def _discard_queries_after(self, target: int) -> None:
        """Move aside queries of rounds after ``target``: they were selected
        with labels that no longer exist."""
        folder = osp.join(self.root, QUERIES_DIR)
        if not osp.isdir(folder):
            return
        for name in sorted(os.listdir(folder)):
            stem, ext = osp.splitext(name)
            if (ext == '.npz' and stem.startswith('round_')
                    and stem[6:].isdigit() and int(stem[6:]) > target):
                self._move_aside(
                    osp.join(folder, name), f'queries_{stem}')

    def _repair_caches(self, manifest: dict) -> None:
        """Rebuild the missing cache files of the current state."""
        missing = [
            key for key, entry in manifest['images'].items()
            if not osp.isfile(osp.join(self.root, entry['cache']))
        ]
        for key, state in self._replay(missing, manifest).items():
            self._write_cache(state, manifest['images'][key]['cache'])
