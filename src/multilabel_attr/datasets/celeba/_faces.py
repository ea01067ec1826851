"""Drawing the faces of synthetic CelebA with Pillow.

Every attribute with a visual meaning gets a visible cue, and pose, size, skin tone, background,
lighting and noise vary so that the task is learnable but not trivial.  The face is drawn back to
front (background, clothing, hair, face, features, hat); each step draws from the same random
generator in a fixed order, so an image is a function of its seeds only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._annotations import ATTRIBUTES
from ._label_model import ATTRIBUTE_INDEX

IMAGE_SIZE = (218, 178)
"""(height, width) of aligned CelebA images, the order of every image size in the package."""

_HAIR_RGB = {
    "Black_Hair": (28, 22, 22),
    "Blond_Hair": (226, 196, 118),
    "Brown_Hair": (112, 68, 38),
    "Gray_Hair": (176, 176, 172),
}
_OTHER_HAIR = ((150, 62, 32), (78, 50, 40), (190, 120, 70), (60, 40, 30))
_SKIN = ((234, 196, 170), (214, 170, 130), (180, 130, 95), (140, 95, 65), (98, 64, 44))
_PALE = (248, 228, 218)

RGB = tuple[int, int, int]


def _jitter(rng: np.random.Generator, rgb: Sequence[int], amount: float) -> RGB:
    v = np.clip(np.asarray(rgb, float) + rng.normal(0, amount, 3), 0, 255)
    return int(v[0]), int(v[1]), int(v[2])


def _shade(rgb: Sequence[int], factor: float) -> RGB:
    return tuple(int(min(255, max(0, c * factor))) for c in rgb)  # type: ignore[return-value]


def _random_rgb(rng: np.random.Generator, low: int = 0, high: int = 256) -> RGB:
    r, g, b = (int(c) for c in rng.integers(low, high, 3))
    return r, g, b


@dataclass
class _Face:
    """One face being drawn: its labels, canvas, random generator and geometry."""

    has: Callable[[str], bool]
    d: Any  # PIL.ImageDraw.ImageDraw
    rng: np.random.Generator
    s: float
    cx: float
    cy: float
    fw: float
    fh: float
    eye_gap: float
    skin: RGB
    hair: RGB = (0, 0, 0)
    hair_dark: RGB = (0, 0, 0)

    @property
    def bald(self) -> bool:
        return self.has("Bald")


def _draw_clutter(d: Any, rng: np.random.Generator, w: int, h: int) -> None:
    # Background clutter so that the background alone carries no signal.
    for _ in range(int(rng.integers(0, 4))):
        x0, y0 = (int(v) for v in rng.integers(0, (w, h)))
        d.rectangle(
            (x0, y0, x0 + int(rng.integers(10, 60)), y0 + int(rng.integers(10, 60))),
            fill=_random_rgb(rng),
        )


def _choose_hair(f: _Face) -> bool:
    """Set the hair colours; returns whether the hair is long."""
    if f.bald:
        f.hair = f.skin
    elif any(f.has(n) for n in _HAIR_RGB):
        f.hair = _jitter(f.rng, next(_HAIR_RGB[n] for n in _HAIR_RGB if f.has(n)), 10)
    else:
        f.hair = _jitter(f.rng, _OTHER_HAIR[int(f.rng.integers(len(_OTHER_HAIR)))], 12)
    f.hair_dark = _shade(f.hair, 0.7)
    return not f.bald and (not f.has("Male") or f.rng.random() < 0.08)


def _draw_clothing(f: _Face, h: int) -> None:
    """Clothing, neck, necktie, necklace."""
    d, s, cx, cy, fh = f.d, f.s, f.cx, f.cy, f.fh
    cloth = _random_rgb(f.rng)
    d.ellipse((cx - 80 * s, cy + fh + 18 * s, cx + 80 * s, cy + fh + 150 * s), fill=cloth)
    d.rectangle(
        (cx - 15 * s, cy + fh * 0.6, cx + 15 * s, cy + fh + 30 * s), fill=_shade(f.skin, 0.9)
    )
    if f.has("Wearing_Necktie"):
        tie = _jitter(f.rng, (150, 20, 40) if f.rng.random() < 0.5 else (30, 40, 120), 20)
        top = cy + fh + 24 * s
        d.polygon(
            [(cx - 6 * s, top), (cx + 6 * s, top), (cx + 9 * s, h), (cx - 9 * s, h)], fill=tie
        )
        d.rectangle((cx - 14 * s, top - 5 * s, cx + 14 * s, top + 2 * s), fill=(240, 240, 240))
    if f.has("Wearing_Necklace"):
        ny = cy + fh + 14 * s
        for k in range(9):
            t = math.pi * (0.15 + 0.7 * k / 8)
            px, py = cx + 17 * s * math.cos(t), ny + 9 * s * math.sin(t)
            d.ellipse((px - 2.5, py - 2.5, px + 2.5, py + 2.5), fill=(235, 215, 120))


def _draw_back_hair_and_ears(f: _Face, long_hair: bool) -> None:
    d, s, cx, cy, fw, fh = f.d, f.s, f.cx, f.cy, f.fw, f.fh
    if long_hair:
        bottom = cy + fh + 40 * s * float(f.rng.uniform(0.6, 1.2))
        d.rounded_rectangle(
            (cx - fw - 14 * s, cy - fh - 12 * s, cx + fw + 14 * s, bottom), radius=30, fill=f.hair
        )
    if not f.bald:
        d.ellipse(
            (cx - fw - 7 * s, cy - fh - 14 * s, cx + fw + 7 * s, cy + fh * 0.3), fill=f.hair
        )
    for sx in (-1, 1):
        ex = cx + sx * fw
        d.ellipse((ex - 7 * s, cy - 8 * s, ex + 7 * s, cy + 12 * s), fill=_shade(f.skin, 0.95))
        if f.has("Wearing_Earrings"):
            ey = cy + 16 * s
            d.ellipse((ex - 3.5 * s, ey - 3.5 * s, ex + 3.5 * s, ey + 3.5 * s), fill=(245, 210, 60))


def _draw_face_and_hairline(f: _Face) -> None:
    """The face; the hairline (receding or not) is the top of the skin showing below the hair."""
    d, s, cx, cy, fw, fh = f.d, f.s, f.cx, f.cy, f.fw, f.fh
    d.ellipse((cx - fw, cy - fh, cx + fw, cy + fh), fill=f.skin)
    if f.bald:
        d.ellipse(
            (cx - fw * 0.45, cy - fh * 0.95, cx - fw * 0.05, cy - fh * 0.7),
            fill=_shade(f.skin, 1.25),
        )
        return
    receding = f.has("Receding_Hairline")
    hairline = cy - fh * (0.95 if receding else 0.62)
    d.chord(
        (cx - fw - 2, cy - fh - 14 * s, cx + fw + 2, hairline + (hairline - cy + fh + 14 * s)),
        180,
        360,
        fill=f.hair,
    )
    if receding:
        for sx in (-1, 1):  # bare temples
            tx = cx + sx * fw * 0.55
            d.ellipse((tx - 9 * s, cy - fh * 0.98, tx + 9 * s, cy - fh * 0.68), fill=f.skin)
    if f.has("Straight_Hair") or f.has("Wavy_Hair"):
        for k in range(9):
            x = cx - fw + (k + 0.5) * 2 * fw / 9
            if f.has("Wavy_Hair"):
                pts = [
                    (x + 4 * s * math.sin(t / 3.0), cy - fh - 8 * s + t * 3 * s) for t in range(12)
                ]
            else:
                pts = [(x, cy - fh - 8 * s), (x, cy - fh + 25 * s)]
            d.line(pts, fill=f.hair_dark, width=2)


def _draw_bangs_and_lower_face(f: _Face) -> RGB:
    """Bangs, then stubble, beard, goatee, sideburns and chins; returns the beard colour."""
    d, s, cx, cy, fw, fh = f.d, f.s, f.cx, f.cy, f.fw, f.fh
    if f.has("Bangs") and not f.bald:
        d.chord(
            (cx - fw * 0.95, cy - fh * 1.05, cx + fw * 0.95, cy - fh * 0.25), 180, 360, fill=f.hair
        )
        d.rectangle((cx - fw * 0.8, cy - fh * 0.66, cx + fw * 0.8, cy - fh * 0.45), fill=f.hair)
    if f.has("Double_Chin"):
        d.arc(
            (cx - fw * 0.55, cy + fh * 0.75, cx + fw * 0.55, cy + fh * 1.12),
            20,
            160,
            fill=_shade(f.skin, 0.75),
            width=3,
        )
    if f.has("5_o_Clock_Shadow"):
        d.chord(
            (cx - fw * 0.95, cy - fh * 0.2, cx + fw * 0.95, cy + fh),
            20,
            160,
            fill=_shade(f.skin, 0.8),
        )
    beard = _shade(f.hair_dark if not f.bald else (60, 45, 35), 0.9)
    partial = f.has("Goatee") or f.has("Mustache") or f.has("Sideburns")
    if not f.has("No_Beard") and not partial:
        d.chord(
            (cx - fw * 0.97, cy - fh * 0.1, cx + fw * 0.97, cy + fh * 1.02), 10, 170, fill=beard
        )
    if f.has("Sideburns"):
        for sx in (-1, 1):
            bx = cx + sx * fw * 0.97
            d.rectangle((bx - 5 * s, cy - 12 * s, bx + 5 * s, cy + 22 * s), fill=beard)
    if f.has("Goatee"):
        d.ellipse((cx - 11 * s, cy + fh * 0.7, cx + 11 * s, cy + fh * 1.02), fill=beard)
    return beard


def _draw_eye(f: _Face, ex: float, eye_y: float, eye_rx: float, eye_ry: float) -> None:
    """One eye with its makeup, bags, brow and glasses rim."""
    d, s = f.d, f.s
    if f.has("Heavy_Makeup"):
        d.ellipse(
            (ex - eye_rx - 2, eye_y - eye_ry - 6 * s, ex + eye_rx + 2, eye_y + 1),
            fill=_jitter(f.rng, (120, 60, 130), 20),
        )
    if f.has("Bags_Under_Eyes"):
        d.arc(
            (ex - eye_rx, eye_y, ex + eye_rx, eye_y + 10 * s),
            20,
            160,
            fill=_shade(f.skin, 0.65),
            width=2,
        )
    d.ellipse((ex - eye_rx, eye_y - eye_ry, ex + eye_rx, eye_y + eye_ry), fill=(245, 245, 245))
    pupil = min(eye_ry, 3 * s)
    d.ellipse((ex - 3 * s, eye_y - pupil, ex + 3 * s, eye_y + pupil), fill=(40, 30, 25))
    if f.has("Heavy_Makeup"):
        d.arc(
            (ex - eye_rx, eye_y - eye_ry, ex + eye_rx, eye_y + eye_ry),
            180,
            360,
            fill=(10, 10, 10),
            width=2,
        )
    bw = 5 if f.has("Bushy_Eyebrows") else 2
    by = eye_y - 12 * s
    brow = f.hair_dark if not f.bald else (70, 55, 45)
    if f.has("Arched_Eyebrows"):
        d.arc((ex - 10 * s, by - 4 * s, ex + 10 * s, by + 8 * s), 200, 340, fill=brow, width=bw)
    else:
        d.line((ex - 10 * s, by + 1 * s, ex + 10 * s, by + 1 * s), fill=brow, width=bw)
    if f.has("Eyeglasses"):
        d.rectangle(
            (ex - 12 * s, eye_y - 8 * s, ex + 12 * s, eye_y + 8 * s),
            outline=(15, 15, 15),
            width=3,
        )


def _draw_eyes(f: _Face) -> None:
    """Eyes, the glasses' bridge, and the wrinkles of age."""
    d, s, cx, cy, fw, fh = f.d, f.s, f.cx, f.cy, f.fw, f.fh
    eye_y = cy - fh * 0.12
    eye_rx = 7.5 * s * (1.1 if f.has("Attractive") else 1.0)
    eye_ry = (1.8 if f.has("Narrow_Eyes") else 4.2) * s
    for sx in (-1, 1):
        _draw_eye(f, cx + sx * f.eye_gap * s, eye_y, eye_rx, eye_ry)
    if f.has("Eyeglasses"):
        d.line(
            (cx - (f.eye_gap - 12) * s, eye_y, cx + (f.eye_gap - 12) * s, eye_y),
            fill=(15, 15, 15),
            width=3,
        )
    if not f.has("Young"):
        for k in range(3):
            fy = cy - fh * 0.45 + k * 4 * s
            d.line((cx - fw * 0.4, fy, cx + fw * 0.4, fy), fill=_shade(f.skin, 0.72), width=1)
        for side in (-1.0, 1.0):
            wx = cx + side * (f.eye_gap + 10) * s
            d.line(
                (wx, eye_y - 3 * s, wx + side * 5 * s, eye_y + 3 * s), fill=_shade(f.skin, 0.7)
            )


def _draw_cheeks_and_nose(f: _Face) -> None:
    d, s, cx, cy, fw, fh = f.d, f.s, f.cx, f.cy, f.fw, f.fh
    for sx in (-1, 1):
        chx = cx + sx * fw * 0.55
        if f.has("Rosy_Cheeks"):
            d.ellipse((chx - 9 * s, cy + 4 * s, chx + 9 * s, cy + 16 * s), fill=(235, 120, 130))
        if f.has("High_Cheekbones"):
            d.arc(
                (chx - 11 * s, cy - 2 * s, chx + 11 * s, cy + 14 * s),
                200,
                340,
                fill=_shade(f.skin, 1.18),
                width=3,
            )
    nl = (18 if f.has("Big_Nose") else 13) * s
    nw = (9 if f.has("Big_Nose") else 6) * s * (0.7 if f.has("Pointy_Nose") else 1.0)
    ny = cy + fh * 0.02
    d.polygon(
        [(cx, ny - nl * 0.6), (cx - nw, ny + nl * 0.4), (cx + nw, ny + nl * 0.4)],
        fill=_shade(f.skin, 0.85),
    )


def _draw_mouth_and_hat(f: _Face, beard: RGB) -> None:
    d, s, cx, cy, fw, fh = f.d, f.s, f.cx, f.cy, f.fw, f.fh
    my = cy + fh * 0.5
    mw = (17 if f.has("Smiling") else 13) * s
    lip = (190, 20, 45) if f.has("Wearing_Lipstick") else _shade(f.skin, 0.72)
    lw = 5 if f.has("Big_Lips") else 3
    if f.has("Mustache"):
        d.rounded_rectangle(
            (cx - 14 * s, my - 10 * s, cx + 14 * s, my - 4 * s), radius=3, fill=beard
        )
    if f.has("Mouth_Slightly_Open"):
        d.ellipse((cx - mw * 0.75, my - 4 * s, cx + mw * 0.75, my + 7 * s), fill=(60, 15, 20))
        d.rectangle((cx - mw * 0.5, my - 3 * s, cx + mw * 0.5, my), fill=(240, 240, 235))
    if f.has("Smiling"):
        d.arc((cx - mw, my - 12 * s, cx + mw, my + 6 * s), 20, 160, fill=lip, width=lw)
    else:
        d.line((cx - mw, my, cx + mw, my), fill=lip, width=lw)
    if f.has("Wearing_Hat"):
        hat = _random_rgb(f.rng)
        top = cy - fh - 30 * s
        d.rectangle((cx - fw * 0.9, top, cx + fw * 0.9, cy - fh * 0.55), fill=hat)
        d.rectangle(
            (cx - fw * 1.35, cy - fh * 0.62, cx + fw * 1.35, cy - fh * 0.5), fill=_shade(hat, 0.8)
        )


def _finish(img: Any, rng: np.random.Generator, bg: RGB, blurry: bool) -> Any:
    """Pose, light, focus and sensor noise."""
    from PIL import Image, ImageFilter

    img = img.rotate(float(rng.normal(0, 4)), resample=Image.Resampling.BILINEAR, fillcolor=bg)
    if blurry:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(2.2, 3.2))))
    arr = np.asarray(img, dtype=np.float32)
    arr = arr * float(rng.uniform(0.8, 1.15)) + float(rng.normal(0, 10))
    arr += rng.normal(0, float(rng.uniform(2, 7)), arr.shape).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def render_face(
    labels: npt.ArrayLike, rng: np.random.Generator, identity_rng: np.random.Generator | None = None
) -> Any:
    """Draw one face showing the cues of a 0/1 label row; returns a ``PIL.Image``.

    The image has `IMAGE_SIZE` (218 × 178 pixels, height × width).

    ``identity_rng`` fixes the traits an identity keeps across its images (skin tone, face
    shape, eye spacing); pose, background, lighting and noise come from ``rng``.
    """
    from PIL import Image, ImageDraw

    y = np.asarray(labels).astype(bool)
    if y.shape != (len(ATTRIBUTES),):
        raise ValueError(f"labels: expected 40 values, got shape {y.shape}")

    def has(name: str) -> bool:
        return bool(y[ATTRIBUTE_INDEX[name]])

    ident = identity_rng if identity_rng is not None else rng
    h, w = IMAGE_SIZE
    skin_base = _PALE if has("Pale_Skin") else _SKIN[int(ident.integers(len(_SKIN)))]
    skin = _jitter(rng, skin_base, 6)
    face_w = 36 * float(ident.uniform(0.92, 1.08))
    face_h = 48 * float(ident.uniform(0.95, 1.05))
    eye_gap = float(ident.uniform(15, 19))

    bg = _random_rgb(rng, 20, 236)
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    _draw_clutter(d, rng, w, h)

    s = float(rng.uniform(0.88, 1.12))
    cx = w / 2 + float(rng.normal(0, 4))
    cy = 122 + float(rng.normal(0, 4))
    fw = face_w * s * (1.16 if has("Chubby") else 1.0) * (0.94 if has("Oval_Face") else 1.0)
    fh = face_h * s * (1.05 if has("Oval_Face") else 1.0)
    face = _Face(has, d, rng, s, cx, cy, fw, fh, eye_gap, skin)
    long_hair = _choose_hair(face)
    _draw_clothing(face, h)
    _draw_back_hair_and_ears(face, long_hair)
    _draw_face_and_hairline(face)
    beard = _draw_bangs_and_lower_face(face)
    _draw_eyes(face)
    _draw_cheeks_and_nose(face)
    _draw_mouth_and_hat(face, beard)
    return _finish(img, rng, bg, has("Blurry"))
