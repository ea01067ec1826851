"""The label model of synthetic CelebA: CelebA-like 0/1 attribute rows and split sizes.

Labels come from a small Bayesian network whose conditional probabilities were estimated from the
public CelebA attribute file: each attribute is conditioned on at most two parents, so every
marginal and the strong pairwise dependencies are reproduced.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._annotations import ATTRIBUTES

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

ATTRIBUTE_INDEX = {name: i for i, name in enumerate(ATTRIBUTES)}


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
    for name, j in ATTRIBUTE_INDEX.items():
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
