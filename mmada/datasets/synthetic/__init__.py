"""Embedded synthetic benchmark: "synthetic -> real" street scenes (no download).

``generator`` draws and writes the scenes (a pure function of the seed, the
domain, the split and the index); ``dataset`` reads them as an mmseg dataset
and generates them on first use.
"""
from .dataset import SyntheticCityscapesDataset
from .generator import (BICYCLE, BUILDING, BUS, CAR, DOMAINS, FENCE, GENERATOR_VERSION,
                        IGNORE, LIGHT, MOTORCYCLE, NUM_CLASSES, PERSON, POLE, RIDER,
                        ROAD, SIDEWALK, SIGN, SKY, SPLITS, STYLES, TERRAIN, TRAIN,
                        TRUCK, VEGETATION, WALL, DomainStyle, SyntheticConfig,
                        generate_benchmark, generate_scene, image_name, render)

__all__ = [
    'SyntheticCityscapesDataset', 'SyntheticConfig', 'DomainStyle', 'STYLES',
    'generate_benchmark', 'generate_scene', 'image_name', 'render', 'DOMAINS',
    'SPLITS', 'NUM_CLASSES', 'IGNORE', 'GENERATOR_VERSION', 'ROAD', 'SIDEWALK',
    'BUILDING', 'WALL', 'FENCE', 'POLE', 'LIGHT', 'SIGN', 'VEGETATION', 'TERRAIN',
    'SKY', 'PERSON', 'RIDER', 'CAR', 'TRUCK', 'BUS', 'TRAIN', 'MOTORCYCLE', 'BICYCLE'
]
