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

Integrity: the manifest records the sha256 of every round file.
``restore()`` and ``verify()`` hash all of them; a commit hashes only the
round files this store object has not hashed (or written) yet and checks the
others by existence, inode, size and mtime, so its cost does not grow with
the number of earlier rounds (ADA-MCU commits every few iterations).

Concurrency: only one process writes (rank 0 in distributed training; the
callers ensure it, a lock file makes a second writer fail loudly). Readers in
other processes (dataloader workers, other ranks) tolerate a concurrent writer
because every file is replaced atomically and the manifest is replaced last;
a reader notices a new manifest through its inode, mtime and size.

Modules: :mod:`.records` (constants, error, data classes), :mod:`.files`
(atomic writes, ``.npz`` writing, digests), :mod:`.sparse` (per-image sparse
state, cache and round files), :mod:`.checks` (input validation),
:mod:`.manifest` (manifest, lock, layout, integrity), :mod:`.store`
(:class:`LabelStore`: summaries, reading, committing), :mod:`.queries`
(pending queries) and :mod:`.restore` (back to a checkpoint).
"""
from mmada.utils.fileio import atomic_write

from .files import chain_digest, write_npz
from .records import (CACHE_DIR, DISCARDED_DIR, FORMAT_NAME, FORMAT_VERSION,
                      LOCK_FILE, MANIFEST, MAX_ROUND, QUERIES_DIR, ROUNDS_DIR,
                      ImageLabels, LabelStoreError, RoundQueries, RoundUpdate,
                      Shape)
from .store import LabelStore

__all__ = [
    'LabelStore', 'LabelStoreError', 'ImageLabels', 'RoundUpdate',
    'RoundQueries', 'Shape', 'atomic_write', 'write_npz', 'chain_digest',
    'FORMAT_NAME', 'FORMAT_VERSION', 'MANIFEST', 'ROUNDS_DIR', 'QUERIES_DIR',
    'CACHE_DIR', 'DISCARDED_DIR', 'LOCK_FILE', 'MAX_ROUND'
]
