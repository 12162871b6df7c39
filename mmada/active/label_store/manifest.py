"""The manifest of the label store and the store's layout on disk.

The manifest (``manifest.json``) is the commit point: it lists the committed
rounds with the sha256 of each round file, the running totals and, per
image, its shape, rounds and current cache file. It is replaced atomically
and last; readers re-read it only when its inode, mtime or size changed.
"""
import contextlib
import datetime
import hashlib
import json
import os
import os.path as osp
from typing import Iterator, Mapping, Optional, Tuple

from mmada.utils.fileio import atomic_write, fsync_dir

from .files import sha256_file, timestamp
from .records import (CACHE_DIR, DISCARDED_DIR, FORMAT_NAME, FORMAT_VERSION,
                      LOCK_FILE, MANIFEST, QUERIES_DIR, ROUNDS_DIR,
                      LabelStoreError)

try:  # POSIX only; on other systems the write lock is a no-op.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None


class ManifestMixin:
    """Manifest, write lock, paths and integrity checks (a mixin of
    :class:`~mmada.active.label_store.LabelStore`; uses its ``root``,
    ``num_classes``, ``ignore_index`` and manifest cache attributes)."""

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

        Hashes every file again (restore and explicit checks). A commit uses
        :meth:`_verify_unchanged` instead, which hashes only what this store
        has not verified yet.

        Args:
            upto_round: Last round checked; ``None`` = the current round.

        Raises:
            LabelStoreError: A round file is missing or its sha256 differs
                from the one recorded in the manifest.
        """
        rounds = self._refresh(force=True)['rounds']
        upto_round = len(rounds) if upto_round is None else upto_round
        for record in rounds[:upto_round]:
            self._verify_round(record, trust_unchanged=False)

    def _verify_unchanged(self) -> None:
        """:meth:`verify` of all rounds, hashing only new or changed files.

        A round file this store hashed (or wrote) before is trusted while
        the manifest records the same sha256 and the file keeps its inode,
        size and mtime; it is hashed again otherwise. So the first commit
        of a store object hashes every earlier round once, and each later
        commit only the rounds it has not seen; a missing file, a changed
        manifest digest or a rewritten file is still caught at once.

        Raises:
            LabelStoreError: As :meth:`verify`.
        """
        for record in self._refresh(force=True)['rounds']:
            self._verify_round(record, trust_unchanged=True)

    def _verify_round(self, record: dict, trust_unchanged: bool) -> None:
        """Check one round file against its manifest record."""
        path = osp.join(self.root, record['file'])
        if not osp.isfile(path):
            raise LabelStoreError(
                f'round {record["round"]} of the label store is missing: '
                f'{path} does not exist. Put the file back (e.g. from a '
                'backup) or start from a checkpoint without active '
                'labels; nothing was changed')
        known = (record['sha256'], _file_stamp(path))
        if trust_unchanged and self._verified.get(path) == known:
            return
        actual = self._hash_round_file(path)
        if actual != record['sha256']:
            del self._verified[path]
            raise LabelStoreError(
                f'round {record["round"]} of the label store was modified '
                f'or corrupted: sha256 of {path} is {actual[:12]}..., the '
                f'manifest recorded {record["sha256"][:12]}.... Restore '
                'the original file (or manifest); nothing was changed')

    def _hash_round_file(self, path: str) -> str:
        """sha256 of a round file, remembered with the file's stamp.

        Returns:
            str: The hex digest.
        """
        stamp = _file_stamp(path)
        digest = sha256_file(path)
        self._verified[path] = (digest, stamp)
        return digest

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
                        f'{stem}-{timestamp()}{osp.splitext(path)[1]}')
        os.replace(path, dest)
        fsync_dir(dest_dir)
        return dest


def _file_stamp(path: str) -> Tuple[int, int, int]:
    """(inode, size, mtime in ns) of a file: changes when it is rewritten."""
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns
