from .synthetic import SyntheticCityscapesDataset, generate_benchmark, generate_scene
from .two_domain import InfiniteTwoDomainSampler, TwoDomainDataset

__all__ = [
    'SyntheticCityscapesDataset', 'generate_benchmark', 'generate_scene',
    'InfiniteTwoDomainSampler', 'TwoDomainDataset'
]
