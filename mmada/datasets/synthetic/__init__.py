"""Embedded synthetic benchmark: "synthetic -> real" street scenes (no download).

``generator`` seeds and writes the scenes of a preset (``scene``: the default
one, ``hard``: the harder target) and measures their properties
(``properties``); ``dataset`` reads them as an mmseg dataset and generates
them on first use.
"""
from .dataset import SyntheticCityscapesDataset
from .generator import (GENERATOR_VERSION, PRESETS, SyntheticConfig, generate_benchmark,
                        generate_scene, image_name)
from .properties import TAIL_SHARE, format_properties, measure_properties
from .scene import (BICYCLE, BUILDING, BUS, CAR, CLASSES, DOMAINS, FENCE, IGNORE, LIGHT,
                    MOTORCYCLE, NUM_CLASSES, PERSON, POLE, RIDER, ROAD, SIDEWALK, SIGN,
                    SKY, SPLITS, STYLES, TERRAIN, TRAIN, TRUCK, VEGETATION, WALL,
                    DomainStyle, render)

__all__ = [
    'SyntheticCityscapesDataset', 'SyntheticConfig', 'DomainStyle', 'STYLES', 'PRESETS',
    'generate_benchmark', 'generate_scene', 'image_name', 'render', 'measure_properties',
    'format_properties', 'TAIL_SHARE', 'DOMAINS', 'SPLITS', 'CLASSES', 'NUM_CLASSES',
    'IGNORE', 'GENERATOR_VERSION', 'ROAD', 'SIDEWALK', 'BUILDING', 'WALL', 'FENCE', 'POLE',
    'LIGHT', 'SIGN', 'VEGETATION', 'TERRAIN', 'SKY', 'PERSON', 'RIDER', 'CAR', 'TRUCK',
    'BUS', 'TRAIN', 'MOTORCYCLE', 'BICYCLE'
]
