"""Start MADAv2's target-anchor memory from the loaded model (Algorithm 1, step 7)."""
import os
import os.path as osp

import numpy as np
import torch
from mmengine.dist import broadcast, is_main_process
from mmengine.hooks import Hook

from mmada.datasets.active_dataset import find_active_dataset
from mmada.registry import HOOKS
from mmada.utils.errors import UserFacingError

ANCHOR_FILE = 'stage2_target_anchors.npz'


def _anchor_losses(model):
    from mmada.models.losses import SoftAnchorAlignmentLoss
    return [m for m in model.modules() if isinstance(m, SoftAnchorAlignmentLoss)]


@HOOKS.register_module()
class TargetAnchorInitHook(Hook):
    """k-means target anchors for :class:`SoftAnchorAlignmentLoss` before training.

    Before the first step of a run whose anchor losses hold no anchors yet
    (a fresh stage 2 that loaded the stage-1 model with ``load_from``; a
    resumed run restores them from the checkpoint and skips this), one pass
    over the target pool with the loaded model gives every image its
    class-wise vector under the model's prediction (MADAv2 Eq. 4, the
    vectors :class:`~mmada.active.MultiAnchorScorer` clusters), and k-means
    (scikit-learn, seeded, every vector) gives each loss its anchors. The
    vectors are gathered on rank 0 in bounded chunks
    (:class:`~mmada.active.engine.PassRows`), which clusters and broadcasts; the anchors are also written to
    ``<work_dir>/anchors/stage2_target_anchors.npz`` (key ``target``).

    Args:
        seed: k-means seed.
        kmeans_iters: k-means iterations (20, the authors' code).
        min_pixels: Fewest feature pixels that give a class its row.
        batch_size: Images per forward of the pass.
        mask_resolution: Where the prediction mask is read, as
            :class:`~mmada.active.MultiAnchorScorer`: ``'feature'`` (the
            authors' code: argmax of the decode head's low-resolution output)
            or ``'label'``.
    """
    priority = 'LOW'

    def __init__(self, seed: int = 0, kmeans_iters: int = 20, min_pixels: int = 10,
                 batch_size: int = 1, mask_resolution: str = 'feature') -> None:
        from mmada.active.anchors import PREDICTION_INPUT
        if mask_resolution not in PREDICTION_INPUT:
            raise ValueError(f'TargetAnchorInitHook: mask_resolution must be one of '
                             f'{tuple(PREDICTION_INPUT)}, got {mask_resolution!r}')
        self.seed, self.kmeans_iters = int(seed), int(kmeans_iters)
        self.min_pixels, self.batch_size = int(min_pixels), int(batch_size)
        self.mask_resolution = mask_resolution
        self.pred_name = PREDICTION_INPUT[mask_resolution]

    def _pool(self, runner):
        from mmada.active.engine import TargetPool
        dataset = find_active_dataset(runner.train_dataloader.dataset)
        if dataset is None:
            raise UserFacingError('TargetAnchorInitHook needs an ActiveTargetDataset in '
                                  'train_dataloader (the target of a TwoDomainDataset).')
        return TargetPool(dataset)

    def _vectors(self, runner, pool, indices=None, title: str = 'target anchor pass'):
        """(N, C x D) class-wise vectors of the pool's images on rank 0, or of ``indices``.

        Returns:
            Tensor | None: With ``indices``, their vectors (this rank);
            otherwise the pool's table on rank 0 and ``None`` elsewhere.
        """
        from mmada.active.anchors import class_feature_vector, prediction_mask
        from mmada.active.engine import PoolPass

        def vector(idx, out):
            pred = out[self.pred_name]
            mask = prediction_mask(out['feats'], pred, self.mask_resolution)
            return class_feature_vector(out['feats'], mask, pred.shape[0], self.min_pixels)
        model = runner.model
        training = model.training
        model.eval()
        names = ['feats', self.pred_name]
        try:
            pool_pass = PoolPass(model, self.batch_size)
            if indices is not None:
                kept = pool_pass.run(pool, names, vector, indices=indices, title=title)
                return torch.stack(list(kept.values()))
            return pool_pass.run_rows(pool, names, vector, dst=0, title=title)
        finally:
            model.train(training)

    def _check(self, runner, pool, losses) -> None:
        """Refuse K > images and anchors of another size before the pass (one image)."""
        dim = self._vectors(runner, pool, indices=[0], title='').shape[1]
        for loss in losses:
            if loss.anchors.shape[0] > len(pool):
                raise UserFacingError(
                    f'TargetAnchorInitHook: {type(loss).__name__} wants K = '
                    f'{loss.anchors.shape[0]} anchors, the target pool has {len(pool)} images: '
                    'set num_anchors <= the number of target images.')
            if dim != loss.dim:
                raise UserFacingError(
                    f'TargetAnchorInitHook: the model gives {dim}-d image vectors, '
                    f'{type(loss).__name__} expects {loss.dim} (num_classes x feat_channels = '
                    f'{loss.num_classes} x {loss.feat_channels}): fix the loss config.')

    def before_train(self, runner) -> None:
        """Cluster the target vectors into every uninitialised anchor memory."""
        from mmada.active.anchors import kmeans_anchors
        losses = [m for m in _anchor_losses(runner.model) if not bool(m.initialised)]
        if not losses:
            return
        pool = self._pool(runner)
        self._check(runner, pool, losses)
        vectors = self._vectors(runner, pool)
        for loss in losses:
            device = loss.anchors.device
            anchors = torch.zeros_like(loss.anchors, device='cpu')
            if is_main_process():
                anchors = torch.from_numpy(kmeans_anchors(
                    vectors.numpy(), loss.anchors.shape[0], self.seed, self.kmeans_iters))
            anchors = anchors.to(device)
            broadcast(anchors, 0)
            loss.set_anchors(anchors)
        runner.logger.info(f'TargetAnchorInitHook: {len(losses)} anchor memories of '
                           f'{tuple(losses[0].anchors.shape)} from {len(pool)} target images')
        self._save(runner.work_dir, losses[0].anchors)

    @staticmethod
    def _save(work_dir: str, anchors: torch.Tensor) -> None:
        """Write the anchors for users to inspect (rank 0, atomic)."""
        if not is_main_process():
            return
        folder = osp.join(work_dir, 'anchors')
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, ANCHOR_FILE)
        with open(path + '.tmp', 'wb') as f:
            np.savez(f, target=anchors.cpu().numpy())
            f.flush()
            os.fsync(f.fileno())
        os.replace(path + '.tmp', path)
