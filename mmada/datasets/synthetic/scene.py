"""Scenes of the synthetic benchmark's default preset (styles, drawing, rendering).

Two domains share the 19-class Cityscapes label space and its long tail:

* ``source``: a flat, rendered look: clean class colours, sharp edges, high
  camera, many vehicles (like GTA5 / SYNTHIA);
* ``target``: the "real" domain: another palette, textured surfaces, uneven
  lighting, blur and sensor noise, a lower camera (higher horizon), more
  pedestrians and cyclists and fewer vehicles (like Cityscapes).

Scenes are drawn back to front (painter's order) into a label map and an
instance map; the image is then coloured per instance from the domain's
palette. ``generator.py`` seeds one random generator per image.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

IGNORE = 255
(ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, LIGHT, SIGN, VEGETATION, TERRAIN,
 SKY, PERSON, RIDER, CAR, TRUCK, BUS, TRAIN, MOTORCYCLE, BICYCLE) = range(19)
NUM_CLASSES = 19
CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
           'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
           'truck', 'bus', 'train', 'motorcycle', 'bicycle')
DOMAINS = ('source', 'target')
SPLITS = ('train', 'val')

# Base RGB colour of every class in each domain. The target palette is not a
# global colour shift of the source one: several classes change hue
# differently, so colour alone does not transfer.
_SOURCE_RGB = np.array([
    [110, 110, 120], [200, 170, 160], [150, 90, 70], [170, 160, 120],
    [120, 140, 100], [230, 230, 60], [250, 150, 30], [230, 230, 230],
    [60, 160, 40], [170, 210, 120], [120, 180, 250], [220, 40, 60],
    [255, 60, 180], [30, 60, 200], [20, 120, 140], [240, 200, 40],
    [60, 200, 200], [140, 40, 230], [200, 100, 40]], dtype=np.float32)
_TARGET_RGB = np.array([
    [85, 80, 75], [140, 140, 135], [120, 115, 125], [105, 100, 90],
    [95, 90, 70], [70, 70, 75], [70, 90, 60], [190, 170, 60],
    [70, 95, 55], [115, 125, 70], [200, 205, 215], [95, 70, 80],
    [120, 60, 70], [110, 110, 130], [150, 140, 120], [150, 90, 60],
    [110, 120, 105], [80, 60, 90], [100, 80, 70]], dtype=np.float32)


@dataclass
class DomainStyle:
    """How one domain looks and what it contains.

    Attributes:
        palette: (19, 3) base RGB colour per class.
        horizon: Range of the horizon row as a fraction of the height (the
            camera height changes it).
        object_rates: Expected number of objects per image by class.
        colour_jitter: Std of the per-instance multiplicative colour change.
        texture: Amplitude of per-class textures (0 = flat shading).
        lighting: Amplitude of the low-frequency illumination field.
        blur: Gaussian blur sigma in pixels (0 = none).
        noise: Std of additive sensor noise (0-255 scale).
    """
    palette: np.ndarray
    horizon: Tuple[float, float]
    object_rates: Dict[int, float]
    colour_jitter: float
    texture: float
    lighting: float
    blur: float
    noise: float


STYLES = {
    'source': DomainStyle(
        palette=_SOURCE_RGB, horizon=(0.36, 0.44),
        object_rates={CAR: 3.0, TRUCK: 0.8, BUS: 0.4, TRAIN: 0.12, PERSON: 1.2,
                      RIDER: 0.25, MOTORCYCLE: 0.2, BICYCLE: 0.2, POLE: 3.0,
                      LIGHT: 0.8, SIGN: 1.0, WALL: 0.6, FENCE: 0.6, VEGETATION: 1.5},
        colour_jitter=0.06, texture=0.05, lighting=0.0, blur=0.0, noise=0.0),
    'target': DomainStyle(
        palette=_TARGET_RGB, horizon=(0.46, 0.54),
        object_rates={CAR: 2.0, TRUCK: 0.25, BUS: 0.2, TRAIN: 0.08,
                      PERSON: 2.5, RIDER: 0.6, MOTORCYCLE: 0.3, BICYCLE: 0.6,
                      POLE: 3.5, LIGHT: 1.0, SIGN: 1.2, WALL: 0.8, FENCE: 0.8,
                      VEGETATION: 2.5},
        colour_jitter=0.12, texture=0.22, lighting=0.35, blur=0.8, noise=6.0),
}


class Canvas:
    """Label and instance maps drawn back to front."""

    def __init__(self, h: int, w: int) -> None:
        self.h, self.w = h, w
        self.label = np.full((h, w), SKY, np.uint8)
        self.instance = np.zeros((h, w), np.int32)
        self.instance_class: List[int] = [SKY]

    def new_instance(self, cls: int) -> int:
        self.instance_class.append(cls)
        return len(self.instance_class) - 1

    def paint(self, mask: np.ndarray, cls: int, inst: Optional[int] = None) -> None:
        inst = self.new_instance(cls) if inst is None else inst
        self.label[mask] = cls
        self.instance[mask] = inst

    def poly(self, pts, cls: int, inst: Optional[int] = None) -> None:
        mask = np.zeros((self.h, self.w), np.uint8)
        cv2.fillPoly(mask, [np.round(np.asarray(pts)).astype(np.int32)], 1)
        self.paint(mask.astype(bool), cls, inst)

    def rect(self, x0, y0, x1, y1, cls: int, inst: Optional[int] = None) -> None:
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], cls, inst)

    def ellipse(self, cx, cy, rx, ry, cls: int, inst: Optional[int] = None) -> None:
        mask = np.zeros((self.h, self.w), np.uint8)
        cv2.ellipse(mask, (int(round(cx)), int(round(cy))),
                    (max(1, int(round(rx))), max(1, int(round(ry)))), 0, 0, 360, 1, -1)
        self.paint(mask.astype(bool), cls, inst)


def _draw_background(cv: Canvas, rng: np.random.Generator, horizon: int) -> Tuple:
    """Buildings, trees, road, sidewalks and terrain; returns road geometry."""
    h, w = cv.h, cv.w
    x = 0.0
    while x < w:  # building facades along the horizon
        bw = rng.uniform(0.12, 0.35) * w
        top = horizon - rng.uniform(0.15, 0.42) * h
        cv.rect(x, top, x + bw, horizon + 2, BUILDING)
        if rng.random() < 0.35:  # a tree in front of the facade
            cx = x + rng.uniform(0.2, 0.8) * bw
            r = rng.uniform(0.06, 0.13) * h
            cv.ellipse(cx, horizon - r * 1.2, r * 1.3, r, VEGETATION)
        x += bw
    vx = w * rng.uniform(0.4, 0.6)
    half_bottom = w * rng.uniform(0.32, 0.48)
    walk = w * rng.uniform(0.12, 0.25)
    left = [(vx - 2, horizon), (vx - half_bottom, h), (vx + half_bottom, h), (vx + 2, horizon)]
    cv.poly([(vx - 4, horizon), (vx - half_bottom - walk, h), (0, h), (0, horizon + 1)],
            TERRAIN if rng.random() < 0.5 else SIDEWALK)
    cv.poly([(vx + 4, horizon), (vx + half_bottom + walk, h), (w, h), (w, horizon + 1)],
            TERRAIN if rng.random() < 0.5 else SIDEWALK)
    cv.poly([(vx - 3, horizon), (vx - half_bottom - walk, h), (vx + half_bottom + walk, h),
             (vx + 3, horizon)], SIDEWALK)
    cv.poly(left, ROAD)
    return vx, half_bottom, walk


def _depth_scale(y: float, horizon: int, h: int) -> float:
    """Apparent size of a ground object whose base is at row ``y``."""
    return max(0.05, (y - horizon) / max(1.0, h - horizon))


def _road_x(rng, y, horizon, h, vx, half_bottom, margin=0.8) -> float:
    s = _depth_scale(y, horizon, h)
    return vx + rng.uniform(-margin, margin) * half_bottom * s


def _walk_x(rng, y, horizon, h, vx, half_bottom, walk) -> float:
    s = _depth_scale(y, horizon, h)
    side = rng.choice([-1, 1])
    return vx + side * (half_bottom + rng.uniform(0.1, 0.9) * walk) * s


def _vehicle(cv, cls, x, y, s, h, rng) -> None:
    length = {CAR: 0.30, TRUCK: 0.40, BUS: 0.55, TRAIN: 1.1}[cls] * h * s
    height = {CAR: 0.14, TRUCK: 0.30, BUS: 0.30, TRAIN: 0.28}[cls] * h * s
    inst = cv.new_instance(cls)
    cv.rect(x - length / 2, y - height, x + length / 2, y, cls, inst)
    if cls == CAR:  # cabin
        cv.rect(x - length * 0.3, y - height * 1.6, x + length * 0.25, y - height, cls, inst)
    if cls == TRUCK:  # cab in front of the box
        cv.rect(x + length / 2, y - height * 0.6, x + length * 0.7, y, cls, inst)


def _two_wheeler(cv, cls, x, y, s, h, rider: bool) -> None:
    r = 0.035 * h * s
    inst = cv.new_instance(cls)
    for dx in (-2.2 * r, 2.2 * r):
        cv.ellipse(x + dx, y - r, r, r, cls, inst)
    cv.rect(x - 2.2 * r, y - 2.6 * r, x + 2.2 * r, y - 1.6 * r, cls, inst)
    if rider:
        _person(cv, RIDER, x, y - 2.2 * r, s * 0.8, h)


def _person(cv, cls, x, y, s, h) -> None:
    ph = 0.26 * h * s
    inst = cv.new_instance(cls)
    cv.ellipse(x, y - ph * 0.45, ph * 0.13, ph * 0.42, cls, inst)
    cv.ellipse(x, y - ph * 0.95, ph * 0.09, ph * 0.09, cls, inst)


def _pole(cv, rng, x, y, s, h, style) -> None:
    ph = rng.uniform(0.45, 0.7) * h * s
    pw = max(1.0, 0.012 * h * s)
    cv.rect(x - pw, y - ph, x + pw, y, POLE)
    if rng.random() < style.object_rates[LIGHT] / style.object_rates[POLE]:
        cv.rect(x - 3 * pw, y - ph - 7 * pw, x + 3 * pw, y - ph, LIGHT)
    elif rng.random() < style.object_rates[SIGN] / style.object_rates[POLE]:
        cv.ellipse(x, y - ph, 4 * pw, 4 * pw, SIGN)


def _draw_objects(cv: Canvas, rng, horizon: int, road, style: DomainStyle) -> None:
    """Ground objects sorted far to near, so nearer ones occlude farther ones."""
    h, w = cv.h, cv.w
    vx, half_bottom, walk = road
    rates = style.object_rates
    items = []
    for cls in (CAR, TRUCK, BUS, TRAIN, PERSON, RIDER, MOTORCYCLE, BICYCLE, POLE,
                WALL, FENCE, VEGETATION):
        for _ in range(rng.poisson(rates[cls])):
            y = horizon + rng.uniform(0.08, 1.0) * (h - horizon)
            items.append((y, cls))
    for y, cls in sorted(items):
        s = _depth_scale(y, horizon, h)
        if cls in (CAR, TRUCK, BUS):
            _vehicle(cv, cls, _road_x(rng, y, horizon, h, vx, half_bottom), y, s, h, rng)
        elif cls == TRAIN:
            _vehicle(cv, cls, rng.uniform(0.2, 0.8) * w, horizon + 0.05 * h, 0.5, h, rng)
        elif cls in (PERSON, ):
            _person(cv, cls, _walk_x(rng, y, horizon, h, vx, half_bottom, walk), y, s, h)
        elif cls in (RIDER, MOTORCYCLE, BICYCLE):
            x = _road_x(rng, y, horizon, h, vx, half_bottom, margin=1.0)
            wheeler = BICYCLE if cls == BICYCLE else MOTORCYCLE
            if cls == RIDER:
                wheeler = BICYCLE if rng.random() < 0.6 else MOTORCYCLE
            _two_wheeler(cv, wheeler, x, y, s, h, rider=(cls == RIDER) or rng.random() < 0.7)
        elif cls == POLE:
            _pole(cv, rng, _walk_x(rng, y, horizon, h, vx, half_bottom, walk), y, s, h, style)
        elif cls in (WALL, FENCE):
            x = _walk_x(rng, y, horizon, h, vx, half_bottom, walk)
            ln, ht = rng.uniform(0.2, 0.5) * w * s, rng.uniform(0.08, 0.14) * h * s
            cv.rect(x - ln / 2, y - ht, x + ln / 2, y, cls)
        elif cls == VEGETATION:
            x = _walk_x(rng, y, horizon, h, vx, half_bottom, walk)
            r = rng.uniform(0.08, 0.16) * h * s
            cv.rect(x - r * 0.12, y - 2.0 * r, x + r * 0.12, y, VEGETATION)
            cv.ellipse(x, y - 2.4 * r, r * 1.2, r, VEGETATION)


def _texture(cls: int, yy: np.ndarray, xx: np.ndarray, phase: float) -> np.ndarray:
    """Class-specific texture pattern in [-1, 1]."""
    if cls == BUILDING:  # window grid
        return np.where(((xx + phase) % 9 < 4) & (yy % 8 < 4), -1.0, 0.3)
    if cls == FENCE:
        return np.where((xx + phase) % 4 < 2, -1.0, 1.0)
    if cls in (ROAD, SIDEWALK):
        return np.sin((xx * 0.9 + yy * 1.7 + phase)) * np.cos(xx * 0.37 - yy * 0.8)
    if cls in (VEGETATION, TERRAIN):
        return np.sin(xx * 1.3 + phase) * np.sin(yy * 1.1 - phase)
    if cls == SKY:
        return (yy / max(1.0, yy.max())) * 2 - 1
    return np.sin((xx + yy) * 0.5 + phase) * 0.5


def render(label: np.ndarray, instance: np.ndarray, instance_class: List[int],
           style: DomainStyle, rng: np.random.Generator) -> np.ndarray:
    """Colour a scene in a domain's style.

    Args:
        label: (H, W) train ids.
        instance: (H, W) instance ids indexing ``instance_class``.
        instance_class: Class of each instance.
        style: The domain's style.
        rng: Random generator of this image.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    h, w = label.shape
    n = len(instance_class)
    jitter = 1 + rng.normal(0, style.colour_jitter, (n, 3)).astype(np.float32)
    colours = style.palette[np.asarray(instance_class)] * jitter
    img = colours[instance]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if style.texture > 0:
        tex = np.zeros((h, w), np.float32)
        for cls in np.unique(label):
            m = label == cls
            tex[m] = _texture(int(cls), yy[m], xx[m], rng.uniform(0, 10))
        img = img * (1 + style.texture * tex[..., None])
    if style.lighting > 0:
        gx, gy = rng.uniform(-1, 1, 2)
        field_ = gx * (xx / w - 0.5) + gy * (yy / h - 0.5)
        img = img * (1 + style.lighting * field_[..., None]) * rng.uniform(0.8, 1.05)
    if style.blur > 0:
        img = cv2.GaussianBlur(img, (0, 0), style.blur)
    if style.noise > 0:
        img = img + rng.normal(0, style.noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def default_scene(domain: str, rng: np.random.Generator, height: int,
                  width: int) -> Tuple[np.ndarray, np.ndarray]:
    """One scene of the ``default`` preset.

    Args:
        domain: ``'source'`` or ``'target'``.
        rng: Random generator of this image.
        height: Image height.
        width: Image width.

    Returns:
        tuple: (H, W, 3) uint8 RGB image and (H, W) uint8 label map.
    """
    style = STYLES[domain]
    cv = Canvas(height, width)
    horizon = int(rng.uniform(*style.horizon) * height)
    road = _draw_background(cv, rng, horizon)
    _draw_objects(cv, rng, horizon, road, style)
    img = render(cv.label, cv.instance, cv.instance_class, style, rng)
    return img, cv.label
