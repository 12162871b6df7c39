from .active_dataset import ActiveTargetDataset
from .cityscapes import CheckedCityscapesDataset
from .gta5 import GTA5Dataset
from .labelled_sampler import LabelledTargetTwoDomainSampler
from .samplers import RareClassSampler, RareClassTwoDomainSampler, rare_class_weights
from .online_dataset import OnlineActiveTargetDataset, online_pipeline
from .synscapes import SynscapesDataset
from .synthia import SynthiaDataset
from .synthetic import SyntheticCityscapesDataset, generate_benchmark, generate_scene
from .transforms import LoadActiveLabels, LoadOracleLabels, PackOnlineSegInputs
from .two_domain import InfiniteTwoDomainSampler, TwoDomainDataset
from .utils import DatasetNotFoundError

__all__ = [
    'LabelledTargetTwoDomainSampler',
    'ActiveTargetDataset', 'CheckedCityscapesDataset', 'LoadActiveLabels', 'GTA5Dataset', 'SynscapesDataset',
    'SynthiaDataset', 'DatasetNotFoundError',
    'SyntheticCityscapesDataset', 'generate_benchmark', 'generate_scene',
    'InfiniteTwoDomainSampler', 'TwoDomainDataset', 'RareClassSampler',
    'RareClassTwoDomainSampler', 'rare_class_weights', 'OnlineActiveTargetDataset', 'online_pipeline',
    'LoadOracleLabels', 'PackOnlineSegInputs'
]
