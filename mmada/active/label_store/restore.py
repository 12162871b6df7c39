"""Restoring the label store to a checkpoint: verify rounds 1..R against
the checkpoint's digests, then drop later rounds (moved to ``discarded/``)
and rebuild the caches, or change nothing and raise."""
import os
import os.path as osp
from typing import Any, Mapping

from mmada.utils.errors import AnnotationRequired, UserFacingError

from .files import chain_digest
from .records import QUERIES_DIR, LabelStoreError


class RestoreMixin:
    """:meth:`restore` and the truncation behind it, and what a checkpoint
    waiting for annotations may resume to (a mixin of
    :class:`~mmada.active.label_store.LabelStore`)."""

    @staticmethod
    def initial_state() -> dict:
        """The :meth:`state_dict` of a store without rounds (checkpoints from before any)."""
        return dict(round=0, digest=chain_digest([]), round_digests=[])

    def annotations_imported(self, pending_round: int, digest: str) -> bool:
        """Whether a checkpoint that stopped for annotations can go on.

        The checkpoint was saved after round ``pending_round`` exported its
        queries, with the store at ``pending_round - 1`` rounds and
        ``digest``. ``True`` when that round has been imported since (and the
        rounds before it are unchanged), ``False`` when the checkpoint waits
        for nothing (``pending_round == 0``).

        Args:
            pending_round: The checkpoint's pending round (0: none).
            digest: The checkpoint's store digest.

        Raises:
            AnnotationRequired: The round's queries still wait for answers.
            UserFacingError: The store does not match the checkpoint.
        """
        if not pending_round:
            return False
        if self.current_round == pending_round:
            if self.digest(upto_round=pending_round - 1) != digest:
                raise UserFacingError(
                    f'Label store {self.root} does not match the checkpoint '
                    f'(rounds 1..{pending_round - 1} differ); refusing to resume.')
            return True
        if self.current_round == pending_round - 1 and self.has_queries(pending_round):
            raise AnnotationRequired(
                f'round {pending_round} is still waiting for annotations: run '
                f'tools/import_annotations.py {self.root} --round {pending_round} '
                'ANNOTATION_DIR, then --resume again.')
        raise UserFacingError(
            f'the checkpoint waits for the annotations of round {pending_round}, but '
            f'the label store {self.root} has neither that round nor its '
            'queries; resume from an earlier checkpoint.')

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
