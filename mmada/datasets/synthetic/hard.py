"""Scenes of the ``hard`` preset: a target on which *which* labels matter.

Designed from what makes label selection matter on Cityscapes (issue 15),
not tuned for any method; ``properties.py`` measures each property on the
generated files:

* **long tail**: object rates aim at Cityscapes' pixel shares (rider,
  motorcycle, train, bus, truck, traffic light under 0.5 %), and the rare
  classes are concentrated in a few images (a per-image Gamma(0.5) factor on
  their rates, mean 1);
* **small and thin objects**: poles 1-2 px wide, lights and signs of a few
  pixels, bicycles as wheel rings and frame lines, slim persons and riders;
* **class-dependent domain shift**: every class gets the same mild global
  photometric change (white balance, gamma, contrast), but a third of the
  classes (``SHIFTED``) get another colour in the target;
* **images of different difficulty**: each target image draws a difficulty
  ``d ~ U(0, 1)`` that scales its sensor noise, blur, uneven lighting and
  haze; source images are all clean (``d = 0``).
"""
from dataclasses import replace
from typing import Dict, Tuple

import cv2
import numpy as np

from .scene import (BICYCLE, BUILDING, BUS, CAR, FENCE, LIGHT, MOTORCYCLE, PERSON,
                    POLE, RIDER, ROAD, SIDEWALK, SIGN, STYLES, TERRAIN, TRAIN, TRUCK,
                    VEGETATION, WALL, Canvas, DomainStyle, _depth_scale, _road_x,
                    _vehicle, _walk_x, render)

# Classes whose look changes between the domains beyond the global change.
SHIFTED = (SIDEWALK, WALL, TERRAIN, TRUCK, BUS, RIDER)
# Classes whose objects are rare; their rates get the per-image factor.
RARE = (LIGHT, SIGN, RIDER, TRUCK, BUS, TRAIN, MOTORCYCLE, BICYCLE)
_SHIFTED_RGB = {SIDEWALK: (120, 150, 170), WALL: (200, 110, 90),
                TERRAIN: (160, 130, 80), TRUCK: (205, 205, 195),
                BUS: (190, 70, 30), RIDER: (120, 40, 200)}


def _target_palette(source: np.ndarray) -> np.ndarray:
    """The source palette after the global change, ``SHIFTED`` recoloured."""
    base = source.copy()
    for cls, rgb in _SHIFTED_RGB.items():
        base[cls] = rgb
    white_balance = np.array([0.92, 0.97, 1.08], np.float32)
    out = 255 * (base / 255) ** 1.15 * white_balance
    return np.clip(0.85 * out + 15, 0, 255).astype(np.float32)


_SOURCE_RATES = {CAR: 3.0, TRUCK: 0.6, BUS: 0.3, TRAIN: 0.08, PERSON: 1.2,
                 RIDER: 0.25, MOTORCYCLE: 0.2, BICYCLE: 0.25, POLE: 3.0, LIGHT: 0.6,
                 SIGN: 1.0, WALL: 0.6, FENCE: 0.6, VEGETATION: 1.5}
_TARGET_RATES = {CAR: 2.5, TRUCK: 0.15, BUS: 0.12, TRAIN: 0.05, PERSON: 3.0,
                 RIDER: 0.4, MOTORCYCLE: 0.15, BICYCLE: 0.8, POLE: 4.0, LIGHT: 1.2,
                 SIGN: 2.0, WALL: 0.5, FENCE: 0.7, VEGETATION: 2.5}
HARD_STYLES = {
    'source': replace(STYLES['source'], object_rates=_SOURCE_RATES),
    'target': DomainStyle(
        palette=_target_palette(STYLES['source'].palette), horizon=(0.44, 0.52),
        object_rates=_TARGET_RATES, colour_jitter=0.08, texture=0.12,
        lighting=0.0, blur=0.0, noise=0.0),
}


def _line(cv: Canvas, p0, p1, cls: int, inst: int, thickness: int = 1) -> None:
    mask = np.zeros((cv.h, cv.w), np.uint8)
    cv2.line(mask, tuple(int(round(v)) for v in p0), tuple(int(round(v)) for v in p1),
             1, thickness)
    cv.paint(mask.astype(bool), cls, inst)


def _ring(cv: Canvas, cx, cy, r, cls: int, inst: int) -> None:
    mask = np.zeros((cv.h, cv.w), np.uint8)
    cv2.circle(mask, (int(round(cx)), int(round(cy))), max(1, int(round(r))), 1, 1)
    cv.paint(mask.astype(bool), cls, inst)


def _thin_pole(cv: Canvas, rng, x, y, s, h, rates: Dict[int, float], boost) -> None:
    ph = rng.uniform(0.45, 0.7) * h * s
    pw = max(0.5, 0.009 * h * s)
    cv.rect(x - pw, y - ph, x + pw, y, POLE)
    if rng.random() < min(1.0, boost * rates[LIGHT] / rates[POLE]):
        arm = rng.choice([-1, 1]) * 4 * pw
        cv.rect(x + arm - 2 * pw, y - ph, x + arm + 2 * pw, y - ph + 10 * pw, LIGHT)
    elif rng.random() < min(1.0, boost * rates[SIGN] / rates[POLE]):
        cv.poly([(x - 5 * pw, y - ph + 8 * pw), (x + 5 * pw, y - ph + 8 * pw),
                 (x, y - ph)], SIGN)


def _slim_person(cv: Canvas, cls: int, x, y, s, h) -> None:
    ph = 0.26 * h * s
    inst = cv.new_instance(cls)
    cv.ellipse(x, y - ph * 0.45, ph * 0.09, ph * 0.42, cls, inst)
    cv.ellipse(x, y - ph * 0.93, ph * 0.07, ph * 0.07, cls, inst)


def _thin_two_wheeler(cv: Canvas, cls: int, x, y, s, h, rider: bool) -> None:
    r = 0.05 * h * s
    inst = cv.new_instance(cls)
    if cls == BICYCLE:  # wheel rings and a frame of lines
        for dx in (-2.2 * r, 2.2 * r):
            _ring(cv, x + dx, y - r, r, cls, inst)
        _line(cv, (x - 2.2 * r, y - r), (x, y - 2.4 * r), cls, inst)
        _line(cv, (x + 2.2 * r, y - r), (x, y - 2.4 * r), cls, inst)
        _line(cv, (x - 1.6 * r, y - 2.4 * r), (x + 1.6 * r, y - 2.4 * r), cls, inst)
    else:  # a motorcycle: solid wheels and body
        for dx in (-2.2 * r, 2.2 * r):
            cv.ellipse(x + dx, y - r, r, r, cls, inst)
        cv.rect(x - 2.2 * r, y - 2.6 * r, x + 2.2 * r, y - 1.6 * r, cls, inst)
    if rider:
        _slim_person(cv, RIDER, x, y - 2.2 * r, s * 0.8, h)


def _draw_hard_objects(cv: Canvas, rng, horizon: int, road, style: DomainStyle,
                       boost: float) -> None:
    """Ground objects far to near (as the default preset), thin and rarer."""
    h, w = cv.h, cv.w
    vx, half_bottom, walk = road
    rates = style.object_rates
    items = []
    for cls in (CAR, TRUCK, BUS, TRAIN, PERSON, RIDER, MOTORCYCLE, BICYCLE, POLE,
                WALL, FENCE, VEGETATION):
        rate = rates[cls] * (boost if cls in RARE else 1.0)
        for _ in range(rng.poisson(rate)):
            items.append((horizon + rng.uniform(0.08, 1.0) * (h - horizon), cls))
    for y, cls in sorted(items):
        s = _depth_scale(y, horizon, h)
        if cls in (CAR, TRUCK, BUS):
            _vehicle(cv, cls, _road_x(rng, y, horizon, h, vx, half_bottom), y, s, h, rng)
        elif cls == TRAIN:
            _vehicle(cv, cls, rng.uniform(0.2, 0.8) * w, horizon + 0.05 * h, 0.5, h, rng)
        elif cls == PERSON:
            _slim_person(cv, cls, _walk_x(rng, y, horizon, h, vx, half_bottom, walk), y, s, h)
        elif cls in (RIDER, MOTORCYCLE, BICYCLE):
            x = _road_x(rng, y, horizon, h, vx, half_bottom, margin=1.0)
            wheeler = BICYCLE if cls == BICYCLE else MOTORCYCLE
            if cls == RIDER:
                wheeler = BICYCLE if rng.random() < 0.6 else MOTORCYCLE
            _thin_two_wheeler(cv, wheeler, x, y, s, h,
                              rider=(cls == RIDER) or rng.random() < 0.5)
        elif cls == POLE:
            x = _walk_x(rng, y, horizon, h, vx, half_bottom, walk)
            _thin_pole(cv, rng, x, y, s, h, rates, boost)
        elif cls in (WALL, FENCE):
            x = _walk_x(rng, y, horizon, h, vx, half_bottom, walk)
            ln, ht = rng.uniform(0.2, 0.5) * w * s, rng.uniform(0.06, 0.12) * h * s
            cv.rect(x - ln / 2, y - ht, x + ln / 2, y, cls)
        elif cls == VEGETATION:
            x = _walk_x(rng, y, horizon, h, vx, half_bottom, walk)
            r = rng.uniform(0.08, 0.16) * h * s
            cv.rect(x - r * 0.08, y - 2.0 * r, x + r * 0.08, y, VEGETATION)
            cv.ellipse(x, y - 2.4 * r, r * 1.2, r, VEGETATION)


def _hard_background(cv: Canvas, rng, horizon: int) -> Tuple[float, float, float]:
    """Taller buildings and tree rows (less sky), a wide road, narrow walks."""
    h, w = cv.h, cv.w
    x = 0.0
    while x < w:
        bw = rng.uniform(0.12, 0.35) * w
        cv.rect(x, horizon - rng.uniform(0.25, 0.45) * h, x + bw, horizon + 2, BUILDING)
        if rng.random() < 0.5:
            r = rng.uniform(0.08, 0.16) * h
            cv.ellipse(x + rng.uniform(0.2, 0.8) * bw, horizon - r * 1.1, r * 1.5, r,
                       VEGETATION)
        x += bw
    vx = w * rng.uniform(0.4, 0.6)
    half_bottom = w * rng.uniform(0.4, 0.55)
    walk = w * rng.uniform(0.08, 0.16)
    for side in (-1, 1):
        edge = vx + side * (half_bottom + walk)
        cls = TERRAIN if rng.random() < 0.25 else SIDEWALK
        far = 0 if side < 0 else w
        cv.poly([(vx + side * 4, horizon), (edge, h), (far, h), (far, horizon + 1)], cls)
    cv.poly([(vx - 3, horizon), (vx - half_bottom - walk, h), (vx + half_bottom + walk, h),
             (vx + 3, horizon)], SIDEWALK)
    cv.poly([(vx - 2, horizon), (vx - half_bottom, h), (vx + half_bottom, h),
             (vx + 2, horizon)], ROAD)
    return vx, half_bottom, walk


def _haze(img: np.ndarray, horizon: int, amount: float) -> np.ndarray:
    """Blend towards a grey that is strongest at the horizon (distance haze)."""
    h = img.shape[0]
    rows = np.arange(h, dtype=np.float32)[:, None, None]
    weight = amount * np.exp(-np.abs(rows - horizon) / (0.25 * h))
    out = img.astype(np.float32) * (1 - weight) + 175.0 * weight
    return np.clip(out, 0, 255).astype(np.uint8)


def hard_scene(domain: str, rng: np.random.Generator, height: int,
               width: int) -> Tuple[np.ndarray, np.ndarray, float]:
    """One scene of the ``hard`` preset.

    Args:
        domain: ``'source'`` or ``'target'``.
        rng: Random generator of this image.
        height: Image height.
        width: Image width.

    Returns:
        tuple: (H, W, 3) uint8 RGB image, (H, W) uint8 label map and the
        image's difficulty ``d`` in [0, 1] (0 for source images).
    """
    style = HARD_STYLES[domain]
    difficulty = float(rng.uniform()) if domain == 'target' else 0.0
    boost = float(rng.gamma(0.5, 2.0))
    cv = Canvas(height, width)
    horizon = int(rng.uniform(*style.horizon) * height)
    road = _hard_background(cv, rng, horizon)
    _draw_hard_objects(cv, rng, horizon, road, style, boost)
    if domain == 'target':
        style = replace(style, noise=2 + 14 * difficulty, blur=0.3 + 1.2 * difficulty,
                        lighting=0.1 + 0.45 * difficulty)
    img = render(cv.label, cv.instance, cv.instance_class, style, rng)
    if difficulty > 0:
        img = _haze(img, horizon, 0.5 * difficulty)
    return img, cv.label, difficulty
