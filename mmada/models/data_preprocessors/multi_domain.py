"""Data preprocessor for batches holding several domains."""
from typing import Any, Dict

from mmengine.model import BaseDataPreprocessor

from mmada.registry import MODELS

DOMAINS = ('source', 'target')


@MODELS.register_module()
class MultiDomainDataPreProcessor(BaseDataPreprocessor):
    """Applies one segmentation preprocessor to every domain of a batch.

    A two-domain batch ``dict(source=dict(inputs, data_samples),
    target=dict(...))`` becomes ``dict(inputs=dict(source=Tensor,
    target=Tensor), data_samples=dict(source=[...], target=[...]))``; a plain
    batch (validation, test, single-domain training) is passed to the inner
    preprocessor unchanged, so evaluation is exactly mmseg's.

    Args:
        data_preprocessor: Config of the inner preprocessor, usually mmseg's
            ``SegDataPreProcessor``.
    """

    def __init__(self, data_preprocessor: dict) -> None:
        super().__init__()
        self.data_preprocessor = MODELS.build(data_preprocessor)

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Preprocess each domain of ``data`` (or ``data`` itself).

        Args:
            data: A batch from the dataloader.
            training: Whether the batch is for training.

        Returns:
            dict: ``inputs`` and ``data_samples``, each a dict per domain for a
            multi-domain batch.
        """
        domains = [d for d in DOMAINS if d in data]
        if not domains:
            return self.data_preprocessor(data, training)
        processed = {d: self.data_preprocessor(data[d], training) for d in domains}
        return dict(
            inputs={d: out['inputs'] for d, out in processed.items()},
            data_samples={d: out['data_samples'] for d, out in processed.items()})
