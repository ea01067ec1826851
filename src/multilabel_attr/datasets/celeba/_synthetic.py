"""Synthetic CelebA: a CelebA-format folder of drawn faces with CelebA-like labels.

Labels come from a small Bayesian network whose conditional probabilities were estimated from the
public CelebA attribute file (each attribute conditioned on at most two parents, so every marginal
and the strong pairwise dependencies are reproduced), or from real label rows. Images are drawn with
Pillow: every attribute with a visual meaning gets a visible cue, and pose, size, skin tone,
background, lighting and noise vary so that the task is learnable but not trivial.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._annotations import (
    ATTRIBUTES,
    read_attributes,
    write_attributes,
    write_identities,
    write_partition,
)
from ._layout import LAYOUTS, CelebAFiles, find_files

__all__ = ["IMAGE_SIZE", "make_synthetic", "render_face", "sample_labels", "split_sizes"]

IMAGE_SIZE = (178, 218)
"""(width, height) of aligned CelebA images."""

_CELEBA_SPLITS = (162_770, 19_867, 19_962)

_MALE = 0.4168
# P(hair category | Male, Young), rows (F,old) (F,young) (M,old) (M,young); categories
# Black, Blond, Brown, Gray, Bald, other. Several colour flags at once are rare in CelebA; the
# model keeps the colours exclusive.
_HAIR = np.array(
    [
        [0.1073, 0.3102, 0.2007, 0.0547, 0.0001, 0.3270],
        [0.2103, 0.2287, 0.2332, 0.0008, 0.0001, 0.3269],
        [0.1609, 0.0192, 0.0860, 0.2208, 0.0766, 0.4365],
        [0.3774, 0.0216, 0.1773, 0.0036, 0.0186, 0.4016],
    ]
)
_HAIR_NAMES = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Bald")
# attribute: (parents, P(attribute | parents) for parent bits 0.., most significant first).
# "beard_any" is Goatee or Mustache or Sideburns; No_Beard is forced to 0 when it holds.
_TABLES: dict[str, tuple[tuple[str, ...], list[float]]] = {
    "Young": (("Male",), [0.8741, 0.633]),
    "Smiling": (("Male",), [0.5405, 0.4003]),
    "High_Cheekbones": (("Male", "Smiling"), [0.1629, 0.8982, 0.0878, 0.637]),
    "Mouth_Slightly_Open": (("Smiling",), [0.2248, 0.7613]),
    "Heavy_Makeup": (("Male", "Young"), [0.5157, 0.6824, 0.0006, 0.004]),
    "Wearing_Lipstick": (("Male", "Heavy_Makeup"), [0.4702, 0.9773, 0.0046, 0.594]),
    "Goatee": (("Male", "Young"), [0.0003, 0.0001, 0.1635, 0.1429]),
    "Mustache": (("Male", "Goatee"), [0.0, 0.0769, 0.0484, 0.3893]),
    "Sideburns": (("Male", "Goatee"), [0.0001, 0.2308, 0.0684, 0.5144]),
    "5_o_Clock_Shadow": (("Male", "Young"), [0.0003, 0.0001, 0.1515, 0.333]),
    "No_Beard": (("Male", "beard_any"), [0.999, 0.3043, 0.7896, 0.0271]),
    "Chubby": (("Male", "Young"), [0.046, 0.0073, 0.251, 0.0458]),
    "Double_Chin": (("Chubby",), [0.0189, 0.5023]),
    "Receding_Hairline": (("Male", "Young"), [0.0512, 0.0531, 0.2355, 0.0489]),
    "Bags_Under_Eyes": (("Male", "Young"), [0.1887, 0.0894, 0.4669, 0.2795]),
    "Attractive": (("Male", "Young"), [0.3271, 0.7299, 0.0713, 0.3999]),
    "Arched_Eyebrows": (("Male", "Heavy_Makeup"), [0.2375, 0.5127, 0.0531, 0.1966]),
    "Bushy_Eyebrows": (("Male",), [0.0692, 0.2442]),
    "Wearing_Earrings": (("Male",), [0.3125, 0.016]),
    "Wearing_Necklace": (("Male",), [0.1981, 0.0178]),
    "Wearing_Necktie": (("Male",), [0.0003, 0.1741]),
    "Rosy_Cheeks": (("Male", "Heavy_Makeup"), [0.0127, 0.1606, 0.003, 0.0214]),
    "Pale_Skin": (("Male",), [0.0562, 0.0244]),
    "Bangs": (("Male", "Bald"), [0.2011, 0.0, 0.087, 0.0]),
    "Straight_Hair": (("Male", "Bald"), [0.1841, 0.0, 0.2553, 0.0157]),
    "Wavy_Hair": (("Male", "Straight_Hair"), [0.539, 0.0409, 0.1817, 0.0131]),
    "Wearing_Hat": (("Male",), [0.0249, 0.0814]),
    "Eyeglasses": (("Male", "Young"), [0.0667, 0.0167, 0.2161, 0.0708]),
    "Blurry": ((), [0.0509]),
    "Big_Lips": (("Male",), [0.3013, 0.1561]),
    "Big_Nose": (("Male",), [0.1023, 0.4196]),
    "Narrow_Eyes": ((), [0.1151]),
    "Oval_Face": (("Male",), [0.33, 0.2199]),
    "Pointy_Nose": (("Male",), [0.3596, 0.1624]),
}

_IDX = {name: i for i, name in enumerate(ATTRIBUTES)}


def sample_labels(num_images: int, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Draw ``(num_images, 40)`` 0/1 labels from the built-in model of CelebA's label statistics.

    The model reproduces each attribute's positive rate and CelebA's strong dependencies:
    Heavy_Makeup and Wearing_Lipstick almost never with Male, Goatee/Mustache/Sideburns imply
    not No_Beard, High_Cheekbones and Mouth_Slightly_Open with Smiling, Double_Chin with Chubby,
    exclusive hair colours (and Bald), Gray_Hair and Receding_Hairline with age.

    Examples
    --------
    >>> labels = sample_labels(20000, np.random.default_rng(0))
    >>> abs(float(labels[:, ATTRIBUTES.index("Male")].mean()) - 0.4168) < 0.01
    True
    """
    if num_images < 0:
        raise ValueError(f"num_images: expected >= 0, got {num_images}")
    n = num_images
    cols: dict[str, npt.NDArray[np.bool_]] = {"Male": rng.random(n) < _MALE}

    def draw(name: str) -> None:
        parents, probs = _TABLES[name]
        code = np.zeros(n, dtype=np.int64)
        for p in parents:
            code = code * 2 + cols[p]
        cols[name] = rng.random(n) < np.asarray(probs)[code]

    draw("Young")
    hair_rows = _HAIR[cols["Male"].astype(np.int64) * 2 + cols["Young"]]
    cum = np.cumsum(hair_rows, axis=1)
    cat = (rng.random(n)[:, None] * cum[:, -1:] > cum).sum(axis=1)
    for k, name in enumerate(_HAIR_NAMES):
        cols[name] = cat == k
    for name in ("Goatee", "Mustache", "Sideburns"):
        draw(name)
    cols["beard_any"] = cols["Goatee"] | cols["Mustache"] | cols["Sideburns"]
    for name in _TABLES:
        if name not in cols:
            draw(name)
    cols["No_Beard"] &= ~cols["beard_any"]
    out = np.zeros((n, len(ATTRIBUTES)), dtype=np.uint8)
    for name, j in _IDX.items():
        out[:, j] = cols[name]
    return out


def split_sizes(num_images: int) -> tuple[int, int, int]:
    """Train/validation/test sizes in CelebA's proportions (162,770 / 19,867 / 19,962).

    Examples
    --------
    >>> split_sizes(202599)
    (162770, 19867, 19962)
    >>> split_sizes(1000)
    (803, 98, 99)
    """
    total = sum(_CELEBA_SPLITS)
    train = round(num_images * _CELEBA_SPLITS[0] / total)
    val = round(num_images * _CELEBA_SPLITS[1] / total)
    if num_images >= 3:
        val = max(val, 1)
        train = min(max(train, 1), num_images - val - 1)
    test = num_images - train - val
    return train, val, test


# Colours --------------------------------------------------------------------------------------

_HAIR_RGB = {
    "Black_Hair": (28, 22, 22),
    "Blond_Hair": (226, 196, 118),
    "Brown_Hair": (112, 68, 38),
    "Gray_Hair": (176, 176, 172),
}
_OTHER_HAIR = ((150, 62, 32), (78, 50, 40), (190, 120, 70), (60, 40, 30))
_SKIN = ((234, 196, 170), (214, 170, 130), (180, 130, 95), (140, 95, 65), (98, 64, 44))
_PALE = (248, 228, 218)


def _jitter(rng: np.random.Generator, rgb: Sequence[int], amount: float) -> tuple[int, int, int]:
    v = np.clip(np.asarray(rgb, float) + rng.normal(0, amount, 3), 0, 255)
    return int(v[0]), int(v[1]), int(v[2])


def _shade(rgb: Sequence[int], factor: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, c * factor))) for c in rgb)  # type: ignore[return-value]


def render_face(
    labels: npt.ArrayLike, rng: np.random.Generator, identity_rng: np.random.Generator | None = None
) -> Any:
    """Draw one 178×218 face showing the cues of a 0/1 label row; returns a ``PIL.Image``.

    ``identity_rng`` fixes the traits an identity keeps across its images (skin tone, face
    shape, eye spacing); pose, background, lighting and noise come from ``rng``.
    """
    from PIL import Image, ImageDraw, ImageFilter

    y = np.asarray(labels).astype(bool)
    if y.shape != (len(ATTRIBUTES),):
        raise ValueError(f"labels: expected 40 values, got shape {y.shape}")

    def a(name: str) -> bool:
        return bool(y[_IDX[name]])

    ident = identity_rng if identity_rng is not None else rng
    w, h = IMAGE_SIZE
    skin_base = _PALE if a("Pale_Skin") else _SKIN[int(ident.integers(len(_SKIN)))]
    skin = _jitter(rng, skin_base, 6)
    face_w = 36 * float(ident.uniform(0.92, 1.08))
    face_h = 48 * float(ident.uniform(0.95, 1.05))
    eye_gap = float(ident.uniform(15, 19))

    bg = tuple(int(c) for c in rng.integers(20, 236, 3))
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    # Background clutter so that the background alone carries no signal.
    for _ in range(int(rng.integers(0, 4))):
        x0, y0 = (int(v) for v in rng.integers(0, (w, h)))
        d.rectangle(
            (x0, y0, x0 + int(rng.integers(10, 60)), y0 + int(rng.integers(10, 60))),
            fill=tuple(int(c) for c in rng.integers(0, 256, 3)),
        )

    s = float(rng.uniform(0.88, 1.12))
    cx = w / 2 + float(rng.normal(0, 4))
    cy = 122 + float(rng.normal(0, 4))
    fw = face_w * s * (1.16 if a("Chubby") else 1.0) * (0.94 if a("Oval_Face") else 1.0)
    fh = face_h * s * (1.05 if a("Oval_Face") else 1.0)
    male = a("Male")
    bald = a("Bald")

    if bald:
        hair = skin
    elif any(a(n) for n in _HAIR_RGB):
        hair = _jitter(rng, next(_HAIR_RGB[n] for n in _HAIR_RGB if a(n)), 10)
    else:
        hair = _jitter(rng, _OTHER_HAIR[int(rng.integers(len(_OTHER_HAIR)))], 12)
    hair_dark = _shade(hair, 0.7)
    long_hair = not bald and (not male or rng.random() < 0.08)

    # Clothing, neck, necktie, necklace.
    cloth = tuple(int(c) for c in rng.integers(0, 256, 3))
    d.ellipse((cx - 80 * s, cy + fh + 18 * s, cx + 80 * s, cy + fh + 150 * s), fill=cloth)
    d.rectangle((cx - 15 * s, cy + fh * 0.6, cx + 15 * s, cy + fh + 30 * s), fill=_shade(skin, 0.9))
    if a("Wearing_Necktie"):
        tie = _jitter(rng, (150, 20, 40) if rng.random() < 0.5 else (30, 40, 120), 20)
        top = cy + fh + 24 * s
        d.polygon(
            [(cx - 6 * s, top), (cx + 6 * s, top), (cx + 9 * s, h), (cx - 9 * s, h)], fill=tie
        )
        d.rectangle((cx - 14 * s, top - 5 * s, cx + 14 * s, top + 2 * s), fill=(240, 240, 240))
    if a("Wearing_Necklace"):
        ny = cy + fh + 14 * s
        for k in range(9):
            t = math.pi * (0.15 + 0.7 * k / 8)
            px, py = cx + 17 * s * math.cos(t), ny + 9 * s * math.sin(t)
            d.ellipse((px - 2.5, py - 2.5, px + 2.5, py + 2.5), fill=(235, 215, 120))

    # Hair behind the head.
    if long_hair:
        d.rounded_rectangle(
            (
                cx - fw - 14 * s,
                cy - fh - 12 * s,
                cx + fw + 14 * s,
                cy + fh + 40 * s * float(rng.uniform(0.6, 1.2)),
            ),
            radius=30,
            fill=hair,
        )
    if not bald:
        d.ellipse((cx - fw - 7 * s, cy - fh - 14 * s, cx + fw + 7 * s, cy + fh * 0.3), fill=hair)

    # Ears and earrings.
    for sx in (-1, 1):
        ex = cx + sx * fw
        d.ellipse((ex - 7 * s, cy - 8 * s, ex + 7 * s, cy + 12 * s), fill=_shade(skin, 0.95))
        if a("Wearing_Earrings"):
            ey = cy + 16 * s
            d.ellipse((ex - 3.5 * s, ey - 3.5 * s, ex + 3.5 * s, ey + 3.5 * s), fill=(245, 210, 60))

    # Face; the hairline (receding or not) is the top of the skin ellipse showing below the hair.
    d.ellipse((cx - fw, cy - fh, cx + fw, cy + fh), fill=skin)
    if not bald:
        hairline = cy - fh * (0.95 if a("Receding_Hairline") else 0.62)
        d.chord(
            (cx - fw - 2, cy - fh - 14 * s, cx + fw + 2, hairline + (hairline - cy + fh + 14 * s)),
            180,
            360,
            fill=hair,
        )
        if a("Receding_Hairline"):
            for sx in (-1, 1):  # bare temples
                d.ellipse(
                    (
                        cx + sx * fw * 0.55 - 9 * s,
                        cy - fh * 0.98,
                        cx + sx * fw * 0.55 + 9 * s,
                        cy - fh * 0.68,
                    ),
                    fill=skin,
                )
        if a("Straight_Hair") or a("Wavy_Hair"):
            for k in range(9):
                x = cx - fw + (k + 0.5) * 2 * fw / 9
                if a("Wavy_Hair"):
                    pts = [
                        (x + 4 * s * math.sin(t / 3.0), cy - fh - 8 * s + t * 3 * s)
                        for t in range(12)
                    ]
                else:
                    pts = [(x, cy - fh - 8 * s), (x, cy - fh + 25 * s)]
                d.line(pts, fill=hair_dark, width=2)
    else:
        d.ellipse(
            (cx - fw * 0.45, cy - fh * 0.95, cx - fw * 0.05, cy - fh * 0.7), fill=_shade(skin, 1.25)
        )
    if a("Bangs") and not bald:
        d.chord(
            (cx - fw * 0.95, cy - fh * 1.05, cx + fw * 0.95, cy - fh * 0.25), 180, 360, fill=hair
        )
        d.rectangle((cx - fw * 0.8, cy - fh * 0.66, cx + fw * 0.8, cy - fh * 0.45), fill=hair)

    # Lower face: stubble, beard, goatee, sideburns, chins.
    if a("Double_Chin"):
        d.arc(
            (cx - fw * 0.55, cy + fh * 0.75, cx + fw * 0.55, cy + fh * 1.12),
            20,
            160,
            fill=_shade(skin, 0.75),
            width=3,
        )
    if a("5_o_Clock_Shadow"):
        d.chord(
            (cx - fw * 0.95, cy - fh * 0.2, cx + fw * 0.95, cy + fh),
            20,
            160,
            fill=_shade(skin, 0.8),
        )
    beard = _shade(hair_dark if not bald else (60, 45, 35), 0.9)
    if not a("No_Beard") and not (a("Goatee") or a("Mustache") or a("Sideburns")):
        d.chord(
            (cx - fw * 0.97, cy - fh * 0.1, cx + fw * 0.97, cy + fh * 1.02), 10, 170, fill=beard
        )
    if a("Sideburns"):
        for sx in (-1, 1):
            d.rectangle(
                (
                    cx + sx * fw * 0.97 - 5 * s,
                    cy - 12 * s,
                    cx + sx * fw * 0.97 + 5 * s,
                    cy + 22 * s,
                ),
                fill=beard,
            )
    if a("Goatee"):
        d.ellipse((cx - 11 * s, cy + fh * 0.7, cx + 11 * s, cy + fh * 1.02), fill=beard)

    # Eyes, makeup, bags, brows, glasses.
    eye_y = cy - fh * 0.12
    eye_rx = 7.5 * s * (1.1 if a("Attractive") else 1.0)
    eye_ry = (1.8 if a("Narrow_Eyes") else 4.2) * s
    for sx in (-1, 1):
        ex = cx + sx * eye_gap * s
        if a("Heavy_Makeup"):
            d.ellipse(
                (ex - eye_rx - 2, eye_y - eye_ry - 6 * s, ex + eye_rx + 2, eye_y + 1),
                fill=_jitter(rng, (120, 60, 130), 20),
            )
        if a("Bags_Under_Eyes"):
            d.arc(
                (ex - eye_rx, eye_y, ex + eye_rx, eye_y + 10 * s),
                20,
                160,
                fill=_shade(skin, 0.65),
                width=2,
            )
        d.ellipse((ex - eye_rx, eye_y - eye_ry, ex + eye_rx, eye_y + eye_ry), fill=(245, 245, 245))
        d.ellipse(
            (ex - 3 * s, eye_y - min(eye_ry, 3 * s), ex + 3 * s, eye_y + min(eye_ry, 3 * s)),
            fill=(40, 30, 25),
        )
        if a("Heavy_Makeup"):
            d.arc(
                (ex - eye_rx, eye_y - eye_ry, ex + eye_rx, eye_y + eye_ry),
                180,
                360,
                fill=(10, 10, 10),
                width=2,
            )
        bw = 5 if a("Bushy_Eyebrows") else 2
        by = eye_y - 12 * s
        brow = hair_dark if not bald else (70, 55, 45)
        if a("Arched_Eyebrows"):
            d.arc((ex - 10 * s, by - 4 * s, ex + 10 * s, by + 8 * s), 200, 340, fill=brow, width=bw)
        else:
            d.line((ex - 10 * s, by + 1 * s, ex + 10 * s, by + 1 * s), fill=brow, width=bw)
        if a("Eyeglasses"):
            d.rectangle(
                (ex - 12 * s, eye_y - 8 * s, ex + 12 * s, eye_y + 8 * s),
                outline=(15, 15, 15),
                width=3,
            )
    if a("Eyeglasses"):
        d.line(
            (cx - (eye_gap - 12) * s, eye_y, cx + (eye_gap - 12) * s, eye_y),
            fill=(15, 15, 15),
            width=3,
        )
    if not a("Young"):
        for k in range(3):
            fy = cy - fh * 0.45 + k * 4 * s
            d.line((cx - fw * 0.4, fy, cx + fw * 0.4, fy), fill=_shade(skin, 0.72), width=1)
        for side in (-1.0, 1.0):
            wx = cx + side * (eye_gap + 10) * s
            d.line((wx, eye_y - 3 * s, wx + side * 5 * s, eye_y + 3 * s), fill=_shade(skin, 0.7))

    # Cheeks.
    for sx in (-1, 1):
        chx = cx + sx * fw * 0.55
        if a("Rosy_Cheeks"):
            d.ellipse((chx - 9 * s, cy + 4 * s, chx + 9 * s, cy + 16 * s), fill=(235, 120, 130))
        if a("High_Cheekbones"):
            d.arc(
                (chx - 11 * s, cy - 2 * s, chx + 11 * s, cy + 14 * s),
                200,
                340,
                fill=_shade(skin, 1.18),
                width=3,
            )

    # Nose.
    nl = (18 if a("Big_Nose") else 13) * s
    nw = (9 if a("Big_Nose") else 6) * s * (0.7 if a("Pointy_Nose") else 1.0)
    ny = cy + fh * 0.02
    d.polygon(
        [(cx, ny - nl * 0.6), (cx - nw, ny + nl * 0.4), (cx + nw, ny + nl * 0.4)],
        fill=_shade(skin, 0.85),
    )

    # Mouth.
    my = cy + fh * 0.5
    mw = (17 if a("Smiling") else 13) * s
    lip = (190, 20, 45) if a("Wearing_Lipstick") else _shade(skin, 0.72)
    lw = 5 if a("Big_Lips") else 3
    if a("Mustache"):
        d.rounded_rectangle(
            (cx - 14 * s, my - 10 * s, cx + 14 * s, my - 4 * s), radius=3, fill=beard
        )
    if a("Mouth_Slightly_Open"):
        d.ellipse((cx - mw * 0.75, my - 4 * s, cx + mw * 0.75, my + 7 * s), fill=(60, 15, 20))
        d.rectangle((cx - mw * 0.5, my - 3 * s, cx + mw * 0.5, my), fill=(240, 240, 235))
    if a("Smiling"):
        d.arc((cx - mw, my - 12 * s, cx + mw, my + 6 * s), 20, 160, fill=lip, width=lw)
    else:
        d.line((cx - mw, my, cx + mw, my), fill=lip, width=lw)

    if a("Wearing_Hat"):
        hat = tuple(int(c) for c in rng.integers(0, 256, 3))
        top = cy - fh - 30 * s
        d.rectangle((cx - fw * 0.9, top, cx + fw * 0.9, cy - fh * 0.55), fill=hat)
        d.rectangle(
            (cx - fw * 1.35, cy - fh * 0.62, cx + fw * 1.35, cy - fh * 0.5), fill=_shade(hat, 0.8)
        )

    # Pose, light, focus and sensor noise.
    img = img.rotate(float(rng.normal(0, 4)), resample=Image.Resampling.BILINEAR, fillcolor=bg)
    if a("Blurry"):
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(2.2, 3.2))))
    arr = np.asarray(img, dtype=np.float32)
    arr = arr * float(rng.uniform(0.8, 1.15)) + float(rng.normal(0, 10))
    arr += rng.normal(0, float(rng.uniform(2, 7)), arr.shape).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _image_rngs(
    seed: int, index: int, identity: int
) -> tuple[np.random.Generator, np.random.Generator]:
    return (np.random.default_rng([seed, 1, index]), np.random.default_rng([seed, 2, identity]))


def _render_chunk(
    args: tuple[
        str, int, Sequence[int], Sequence[str], npt.NDArray[np.uint8], npt.NDArray[np.int64], int
    ],
) -> int:
    folder, seed, indices, names, labels, identities, quality = args
    out = Path(folder)
    for k, index in enumerate(indices):
        rng, id_rng = _image_rngs(seed, index, int(identities[k]))
        buf = io.BytesIO()
        render_face(labels[k], rng, id_rng).save(buf, format="JPEG", quality=quality)
        target = out / names[k]
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, target)
    return len(indices)


def _identities(sizes: Sequence[int], rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """About 20 images per identity (as in CelebA), no identity shared across splits."""
    out: list[npt.NDArray[np.int64]] = []
    next_id = 1
    for size in sizes:
        count = max(1, math.ceil(size / 20)) if size else 0
        ids = rng.integers(0, count, size) + next_id if size else np.empty(0, np.int64)
        out.append(ids.astype(np.int64))
        next_id += count
    return np.concatenate(out) if out else np.empty(0, np.int64)


Layout = Literal["original", "torchvision", "kaggle", "flat"]


def make_synthetic(
    root: str | os.PathLike[str],
    num_images: int,
    *,
    seed: int = 0,
    layout: Layout = "original",
    labels: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    quality: int = 90,
    progress: bool = False,
) -> CelebAFiles:
    """Write a complete synthetic CelebA folder: 178×218 JPEG faces and annotation files.

    The annotation files are byte-compatible with the real ones (CRLF, count line, trailing
    space, field widths); partitions are contiguous in file order in CelebA's proportions
    (see :func:`split_sizes`); identities (about 20 images each) never cross splits.

    Parameters
    ----------
    root
        Output folder (created). Existing images with the same names are overwritten.
    num_images
        Number of images, at least 3 (one per split).
    seed
        Everything (labels, identities, every pixel) is a function of ``seed`` only; the number
        of workers does not change the output.
    layout
        Folder layout: ``"original"`` (``Anno/``, ``Eval/``, ``Img/img_align_celeba/``),
        ``"torchvision"`` (``celeba/...``), ``"kaggle"`` (CSV files, no identity file) or
        ``"flat"``.
    labels
        ``None`` draws labels from the built-in model of CelebA's label statistics
        (:func:`sample_labels`). A path to an attribute file reuses its rows: all of them in
        order when ``num_images`` equals its row count, otherwise a seeded random subset kept in
        file order, so that the joint statistics are the real ones.
    workers
        Worker processes for drawing (default: the CPU count, at most 8); ``0`` or ``1`` draws in
        this process.
    quality
        JPEG quality (1-95).
    progress
        Show a tqdm progress bar.

    Returns
    -------
    CelebAFiles
        The files written, as :func:`find_files` sees them.

    Raises
    ------
    ValueError
        For a bad ``num_images``, ``layout``, ``quality``, or a ``labels`` file with fewer rows
        than ``num_images``.

    Examples
    --------
    >>> import tempfile
    >>> files = make_synthetic(tempfile.mkdtemp(), 5, seed=1, layout="flat", workers=0)
    >>> files.layout, len(list(files.images.glob("*.jpg")))
    ('flat', 5)
    """
    if not isinstance(num_images, int) or isinstance(num_images, bool) or num_images < 3:
        raise ValueError(f"num_images: expected an integer >= 3, got {num_images!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout: expected one of {sorted(LAYOUTS)}, got {layout!r}")
    if not 1 <= quality <= 95:
        raise ValueError(f"quality: expected 1..95, got {quality}")
    if num_images > 999_999:
        raise ValueError(f"num_images: at most 999999 (six-digit file names), got {num_images}")
    rng = np.random.default_rng([seed, 0])
    if labels is None:
        y = sample_labels(num_images, rng)
    else:
        _, real = read_attributes(labels)
        if real.shape[0] < num_images:
            raise ValueError(
                f"labels: {labels} has {real.shape[0]} rows, fewer than num_images={num_images}"
            )
        rows = (
            np.arange(num_images)
            if real.shape[0] == num_images
            else np.sort(rng.choice(real.shape[0], num_images, replace=False))
        )
        y = real[rows]
    sizes = split_sizes(num_images)
    partition = np.repeat(np.arange(3, dtype=np.uint8), sizes)
    identities = _identities(sizes, rng)
    names = [f"{i + 1:06d}.jpg" for i in range(num_images)]

    base = Path(root)
    rel = LAYOUTS[layout]
    images = base / rel["images"]
    images.mkdir(parents=True, exist_ok=True)
    n_workers = min(os.cpu_count() or 1, 8) if workers is None else workers
    if n_workers < 0:
        raise ValueError(f"workers: expected >= 0, got {workers}")
    chunk = 250
    jobs = [
        (
            str(images),
            seed,
            list(range(i, min(i + chunk, num_images))),
            names[i : i + chunk],
            y[i : i + chunk],
            identities[i : i + chunk],
            quality,
        )
        for i in range(0, num_images, chunk)
    ]
    from tqdm.auto import tqdm

    with tqdm(total=num_images, desc="synth", unit="img", disable=not progress) as bar:
        if n_workers <= 1:
            for job in jobs:
                bar.update(_render_chunk(job))
        else:
            with ProcessPoolExecutor(n_workers) as pool:
                for done in pool.map(_render_chunk, jobs):
                    bar.update(done)

    # Annotation files last: a folder interrupted while drawing is not mistaken for a complete one.
    write_attributes(base / rel["attributes"], names, y)
    write_partition(base / rel["partition"], names, partition)
    if "identities" in rel:
        write_identities(base / rel["identities"], names, identities)
    return find_files(base)
