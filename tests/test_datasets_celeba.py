"""CelebA annotation formats, layouts, synthetic generator and statistics (no TensorFlow)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multilabel_attr.datasets import celeba
from multilabel_attr.datasets.celeba import ATTRIBUTES, AnnotationError

SHARED = Path(
    os.environ.get(
        "MULTILABEL_ATTR_CELEBA_ANNOTATIONS",
        Path(__file__).resolve().parents[1].parent / "shared" / "celeba",
    )
)
ATTR_FILE = SHARED / "list_attr_celeba.txt"
needs_real = pytest.mark.skipif(not ATTR_FILE.is_file(), reason="real CelebA annotations absent")


@pytest.fixture(scope="module")
def real() -> tuple[list[str], np.ndarray]:
    return celeba.read_attributes(ATTR_FILE)


def test_import_does_not_load_tensorflow_or_pillow() -> None:
    code = (
        "import sys; import multilabel_attr.datasets.celeba; "
        "print('tensorflow' in sys.modules, 'PIL' in sys.modules)"
    )
    import subprocess

    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": src},
        check=True,
    )
    assert out.stdout.split() == ["False", "False"]


def test_attribute_names() -> None:
    assert len(ATTRIBUTES) == 40
    assert len(set(ATTRIBUTES)) == 40
    assert ATTRIBUTES[0] == "5_o_Clock_Shadow"
    assert ATTRIBUTES[20] == "Male"


# Real files --------------------------------------------------------------------------------------


@needs_real
def test_real_attribute_file(real: tuple[list[str], np.ndarray]) -> None:
    names, labels = real
    assert len(names) == 202_599
    assert labels.shape == (202_599, 40)
    assert labels.dtype == np.uint8
    assert names[0] == "000001.jpg"
    assert names[-1] == "202599.jpg"
    # Row 000001 read by hand from the file.
    row = (
        "-1 1 1 -1 -1 -1 -1 -1 -1 -1 -1 1 -1 -1 -1 -1 -1 -1 1 1 "
        "-1 1 -1 -1 1 -1 -1 1 -1 -1 -1 1 1 -1 1 -1 1 -1 -1 1"
    )
    assert labels[0].tolist() == celeba.signed_to_binary([int(v) for v in row.split()]).tolist()
    assert abs(labels[:, ATTRIBUTES.index("Male")].mean() - 0.4168) < 1e-4


@needs_real
def test_real_partition_and_identity_files(real: tuple[list[str], np.ndarray]) -> None:
    pnames, part = celeba.read_partition(SHARED / "list_eval_partition.txt")
    assert pnames == real[0]
    assert np.bincount(part).tolist() == [162_770, 19_867, 19_962]
    assert part[162_769] == 0
    assert part[162_770] == 1
    assert part[182_637] == 2
    inames, ids = celeba.read_identities(SHARED / "identity_CelebA.txt")
    assert inames == real[0]
    assert ids.min() == 1
    assert ids.max() == 10_177
    sets = [set(ids[part == k].tolist()) for k in range(3)]
    assert not (sets[0] & sets[1])
    assert not (sets[0] & sets[2])
    assert not (sets[1] & sets[2])


@needs_real
def test_formatting_is_byte_identical_to_the_real_files(real: tuple[list[str], np.ndarray]) -> None:
    names, labels = real
    raw = ATTR_FILE.read_bytes()
    lines = raw.split(b"\r\n")
    ours = celeba.format_attributes(names[:500], labels[:500]).split(b"\r\n")
    assert ours[1] == lines[1]  # names line, trailing space included
    assert ours[2:502] == lines[2:502]
    assert celeba.format_attributes(names, labels) == raw
    part_raw = (SHARED / "list_eval_partition.txt").read_bytes()
    assert (
        celeba.format_partition(*celeba.read_partition(SHARED / "list_eval_partition.txt"))
        == part_raw
    )
    id_raw = (SHARED / "identity_CelebA.txt").read_bytes()
    assert (
        celeba.format_identities(*celeba.read_identities(SHARED / "identity_CelebA.txt")) == id_raw
    )


@needs_real
def test_real_folder_annotations_join(tmp_path: Path) -> None:
    ann = celeba.join_annotations(
        ATTR_FILE, SHARED / "list_eval_partition.txt", SHARED / "identity_CelebA.txt"
    )
    assert len(ann.split("test")) == 19_962
    assert ann.split("validation")[0] == 162_770
    stats = celeba.label_statistics(ann.labels, ann.partition)
    assert stats.counts == {"all": 202_599, "train": 162_770, "validation": 19_867, "test": 19_962}


# Writers and readers -------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 1), min_size=40, max_size=40), min_size=1, max_size=12))
def test_attribute_round_trip(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[int]]
) -> None:
    d = tmp_path_factory.mktemp("rt")
    labels = np.array(rows, dtype=np.uint8)
    names = [f"{i + 1:06d}.jpg" for i in range(len(rows))]
    for fname in ("list_attr_celeba.txt", "list_attr_celeba.csv"):
        celeba.write_attributes(d / fname, names, labels)
        got_names, got = celeba.read_attributes(d / fname)
        assert got_names == names
        assert np.array_equal(got, labels)
    text = (d / "list_attr_celeba.txt").read_bytes()
    for name, line, row in zip(names, text.split(b"\r\n")[2:], rows, strict=False):
        # The first value follows one space; the other 39 are right-aligned in 3 characters.
        expected = name + " " + str(2 * row[0] - 1) + "".join(f"{2 * v - 1:>3}" for v in row[1:])
        assert line == expected.encode()


def test_permuted_header_is_reordered(tmp_path: Path) -> None:
    order = list(reversed(ATTRIBUTES))
    body = (
        "\r\n".join(
            [
                "1",
                " ".join(order) + " ",
                "000001.jpg " + " ".join("1" if a == "Male" else "-1" for a in order),
            ]
        )
        + "\r\n"
    )
    (tmp_path / "a.txt").write_text(body, newline="")
    _, labels = celeba.read_attributes(tmp_path / "a.txt")
    assert labels[0].tolist() == [int(a == "Male") for a in ATTRIBUTES]


def _attr_text(rows: list[str], count: int | None = None, names: str | None = None) -> str:
    header = names if names is not None else " ".join(ATTRIBUTES) + " "
    n = len(rows) if count is None else count
    return "\r\n".join([str(n), header, *rows]) + "\r\n"


def _row(name: str, value: str = "-1", at: int | None = None, fields: int = 40) -> str:
    vals = ["1" if i % 3 == 0 else "-1" for i in range(fields)]
    if at is not None:
        vals[at] = value
    return name + " " + " ".join(f"{v:>2}" for v in vals)


MALFORMED = [
    (
        "field count",
        _attr_text([_row("000001.jpg"), _row("000002.jpg", fields=39)]),
        4,
        "expected 41 fields, found 40",
    ),
    (
        "bad value",
        _attr_text([_row("000001.jpg"), _row("000002.jpg", "0", at=20)]),
        4,
        "value '0' for attribute 'Male' is not -1 or 1",
    ),
    ("bad value 2", _attr_text([_row("000001.jpg", "+1", at=0)]), 3, "'5_o_Clock_Shadow'"),
    ("count", _attr_text([_row("000001.jpg")], count=3), 1, "count line says 3"),
    (
        "count text",
        _attr_text([_row("000001.jpg")]).replace("1\r\n", "x\r\n", 1),
        1,
        "expected the image count",
    ),
    ("duplicate", _attr_text([_row("000001.jpg"), _row("000001.jpg")]), 4, "duplicate image id"),
    ("unsorted", _attr_text([_row("000002.jpg"), _row("000001.jpg")]), 4, "unsorted image id"),
    (
        "unknown name",
        _attr_text([_row("000001.jpg")], names=" ".join(("Mustache_X", *ATTRIBUTES[1:]))),
        2,
        "unknown attribute name(s) ['Mustache_X']",
    ),
    (
        "missing name",
        _attr_text([_row("000001.jpg")], names=" ".join(ATTRIBUTES[:-1])),
        2,
        "missing attribute name(s) ['Young']",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_attribute_files(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "list_attr_celeba.txt"
    path.write_text(text, newline="")
    with pytest.raises(AnnotationError, match=re.escape(message)) as info:
        celeba.read_attributes(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}, line {line}: ")
    assert isinstance(info.value, ValueError)


def test_malformed_csv_and_partition_files(tmp_path: Path) -> None:
    csv = tmp_path / "list_attr_celeba.csv"
    csv.write_text("id," + ",".join(ATTRIBUTES) + "\n")
    with pytest.raises(AnnotationError, match="line 1: expected a header starting with 'image_id'"):
        celeba.read_attributes(csv)
    part = tmp_path / "list_eval_partition.txt"
    part.write_text("000001.jpg 0\r\n000002.jpg 3\r\n", newline="")
    with pytest.raises(AnnotationError, match=r"line 2: partition 3 is not 0"):
        celeba.read_partition(part)
    part.write_text("000001.jpg 0\r\n000002.jpg x\r\n", newline="")
    with pytest.raises(AnnotationError, match=r"line 2: expected a non-negative integer, got 'x'"):
        celeba.read_partition(part)
    part.write_text("000001.jpg 0\r\n000002.jpg\r\n", newline="")
    with pytest.raises(AnnotationError, match=r"line 2: expected 2 fields, found 1"):
        celeba.read_partition(part)
    pcsv = tmp_path / "list_eval_partition.csv"
    pcsv.write_text("image,partition\n000001.jpg,0\n")
    with pytest.raises(AnnotationError, match="expected header 'image_id,partition'"):
        celeba.read_partition(pcsv)
    ident = tmp_path / "identity_CelebA.txt"
    ident.write_text("000002.jpg 5\r\n000001.jpg 7\r\n", newline="")
    with pytest.raises(AnnotationError, match=r"line 2: unsorted image id"):
        celeba.read_identities(ident)
    with pytest.raises(FileNotFoundError, match="annotation file not found"):
        celeba.read_partition(tmp_path / "nope.txt")


_HEADER = (" ".join(ATTRIBUTES) + "\n").encode()
_ROW = b" ".join([b"1"] * 40)


@pytest.mark.parametrize(
    ("reader", "data", "message"),
    [
        (celeba.read_attributes, b"", r"\.txt: the file is empty"),
        (celeba.read_partition, b" \r\n", r"\.txt: the file is empty"),
        (celeba.read_attributes, b"0\n" + _HEADER, r"\.txt: the file lists no images"),
        (celeba.read_identities, b"\xff\xfe 3\n", r"line 1: b'\\xff\\xfe' is not valid UTF-8"),
        (
            celeba.read_attributes,
            b"1\n" + _HEADER + b"\xe9t\xe9.jpg " + _ROW + b"\n",
            r"line 3: b'\\xe9t\\xe9\.jpg' is not valid UTF-8",
        ),
        (celeba.read_attributes, b"9" * 5000 + b"\n" + _HEADER, r"line 1: expected the image"),
        (
            celeba.read_partition,
            b"000001.jpg 0\n000002.jpg " + b"9" * 30 + b"\n",
            r"line 2: expected an integer below 10\*\*18, got '9999",
        ),
        (
            celeba.read_identities,
            b"000001.jpg 4\n000002.jpg 0\n",
            r"line 2: identity 0 is not valid",
        ),
        (
            celeba.read_identities,
            b"000001.jpg 4\n../../../etc/passwd 5\n",
            r"line 2: image id '\.\./\.\./\.\./etc/passwd' is not a plain file name",
        ),
        (
            celeba.read_attributes,
            b"1\n" + _HEADER + b"/etc/passwd " + _ROW + b"\n",
            r"line 3: image id '/etc/passwd' is not a plain file name",
        ),
        (celeba.read_partition, b"..\\x.jpg 0\n", r"line 1: image id .* is not a plain file name"),
    ],
)
def test_readers_name_file_and_line_for_hostile_files(
    tmp_path: Path, reader: Any, data: bytes, message: str
) -> None:
    path = tmp_path / "annotations.txt"
    path.write_bytes(data)
    with pytest.raises(AnnotationError, match=message) as info:
        reader(path)
    assert str(info.value).startswith(str(path))


def test_partition_must_cover_attribute_file(tmp_path: Path) -> None:
    names = ["000001.jpg", "000002.jpg", "000003.jpg"]
    celeba.write_attributes(tmp_path / "a.txt", names, np.zeros((3, 40), np.uint8))
    celeba.write_partition(tmp_path / "p.txt", names[:2], np.array([0, 0]))
    with pytest.raises(AnnotationError, match=r"a\.txt, line 5: image '000003.jpg' is not listed"):
        celeba.join_annotations(tmp_path / "a.txt", tmp_path / "p.txt")
    celeba.write_partition(tmp_path / "p.txt", [*names, "000004.jpg"], np.array([0, 0, 1, 2]))
    with pytest.raises(AnnotationError, match=r"'000004\.jpg' is not in the attribute file"):
        celeba.join_annotations(tmp_path / "a.txt", tmp_path / "p.txt")


def test_signed_to_binary() -> None:
    out = celeba.signed_to_binary(np.array([[-1, 1], [1, -1]], dtype=np.int8))
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match=r"only -1 and 1; found \[0\]"):
        celeba.signed_to_binary([0, 1])
    with pytest.raises(TypeError, match="numeric"):
        celeba.signed_to_binary(np.array(["a"]))


def test_writer_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"labels: expected shape \(n, 40\)"):
        celeba.write_attributes(tmp_path / "a.txt", ["a.jpg"], np.zeros((1, 39)))
    with pytest.raises(ValueError, match="labels: expected only 0 and 1"):
        celeba.write_attributes(tmp_path / "a.txt", ["a.jpg"], np.full((1, 40), 2))
    with pytest.raises(ValueError, match="partition: expected 1 codes"):
        celeba.write_partition(tmp_path / "p.txt", ["a.jpg"], np.array([5]))
    assert not list(tmp_path.iterdir())


# Layouts and synthetic data -------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["original", "torchvision", "kaggle", "flat"])
def test_synthetic_layouts_are_found(tmp_path: Path, layout: celeba._synthetic.Layout) -> None:
    files = celeba.make_synthetic(tmp_path, 6, seed=2, layout=layout, workers=0)
    assert files.layout == layout
    assert files.images is not None
    assert (files.identities is None) == (layout == "kaggle")
    ann = celeba.read_annotations(tmp_path)
    assert ann.filenames == [f"{i:06d}.jpg" for i in range(1, 7)]
    assert sorted(p.name for p in files.images.iterdir()) == ann.filenames
    from PIL import Image

    with Image.open(files.images / "000001.jpg") as im:
        assert im.format == "JPEG"
        assert im.size == (178, 218)  # Pillow gives (width, height)
        assert im.size[::-1] == celeba.IMAGE_SIZE == (218, 178)
        assert im.mode == "RGB"


def test_find_files_reports_what_was_searched(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        celeba.find_files(tmp_path)
    msg = str(info.value)
    for rel in (
        "Anno/list_attr_celeba.txt",
        "celeba/list_eval_partition.txt",
        "list_attr_celeba.csv",
        "list_eval_partition.txt",
    ):
        assert str(tmp_path / rel) in msg
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        celeba.find_files(tmp_path / "absent")


def test_synthetic_is_deterministic_and_independent_of_workers(tmp_path: Path) -> None:
    a = celeba.make_synthetic(tmp_path / "a", 9, seed=5, layout="flat", workers=0)
    b = celeba.make_synthetic(tmp_path / "b", 9, seed=5, layout="flat", workers=2)
    c = celeba.make_synthetic(tmp_path / "c", 9, seed=6, layout="flat", workers=0)
    assert a.images is not None
    assert b.images is not None
    assert c.images is not None
    for name in ("list_attr_celeba.txt", "list_eval_partition.txt", "identity_CelebA.txt"):
        assert (a.root / name).read_bytes() == (b.root / name).read_bytes()
    for img in a.images.iterdir():
        assert img.read_bytes() == (b.images / img.name).read_bytes()
    assert (a.images / "000001.jpg").read_bytes() != (c.images / "000001.jpg").read_bytes()


def test_synthetic_splits_and_identities(tmp_path: Path) -> None:
    files = celeba.make_synthetic(tmp_path, 100, seed=0, layout="flat", workers=0)
    ann = celeba.read_annotations(files)
    assert np.bincount(ann.partition).tolist() == list(celeba.split_sizes(100)) == [80, 10, 10]
    assert np.all(np.diff(ann.partition.astype(int)) >= 0)  # contiguous, like CelebA
    assert ann.identities is not None
    sets = [set(ann.identities[ann.partition == k].tolist()) for k in range(3)]
    assert not (sets[0] & sets[1])
    assert not (sets[0] & sets[2])
    assert not (sets[1] & sets[2])
    assert celeba.split_sizes(202_599) == (162_770, 19_867, 19_962)


def test_label_model_matches_celeba_statistics() -> None:
    y = celeba.sample_labels(40_000, np.random.default_rng(0)).astype(bool)
    col = {a: y[:, i] for i, a in enumerate(ATTRIBUTES)}
    # Positive rates of the real file (rounded); the model keeps every one within 2 points.
    expected = {
        "Male": 0.417,
        "No_Beard": 0.835,
        "Young": 0.774,
        "Smiling": 0.482,
        "Wearing_Lipstick": 0.472,
        "Heavy_Makeup": 0.387,
        "Bald": 0.022,
        "Eyeglasses": 0.065,
        "Black_Hair": 0.239,
        "Attractive": 0.513,
    }
    for name, rate in expected.items():
        assert abs(col[name].mean() - rate) < 0.02, name
    male = col["Male"]
    assert col["Heavy_Makeup"][male].mean() < 0.01
    assert col["Wearing_Lipstick"][male].mean() < 0.02
    beard = col["Goatee"] | col["Mustache"] | col["Sideburns"]
    assert beard.any()
    assert not (beard & col["No_Beard"]).any()
    assert (
        col["High_Cheekbones"][col["Smiling"]].mean()
        > 0.6
        > col["High_Cheekbones"][~col["Smiling"]].mean()
    )
    assert (
        col["Double_Chin"][col["Chubby"]].mean() > 0.4 > col["Double_Chin"][~col["Chubby"]].mean()
    )
    hair = y[
        :,
        [
            ATTRIBUTES.index(a)
            for a in ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Bald")
        ],
    ]
    assert hair.sum(axis=1).max() == 1


@needs_real
def test_synthetic_reuses_real_label_rows(
    tmp_path: Path, real: tuple[list[str], np.ndarray]
) -> None:
    files = celeba.make_synthetic(tmp_path, 12, seed=1, layout="flat", labels=ATTR_FILE, workers=0)
    _, labels = celeba.read_attributes(files.attributes)
    real_rows = {r.tobytes() for r in real[1]}
    assert all(r.tobytes() in real_rows for r in labels)


def test_make_synthetic_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="num_images must be at least 3; got 2"):
        celeba.make_synthetic(tmp_path, 2, seed=0)
    with pytest.raises(ValueError, match="layout: expected one of"):
        celeba.make_synthetic(tmp_path, 5, seed=0, layout="zip")  # type: ignore[arg-type]
    labels = tmp_path / "l.txt"
    celeba.write_attributes(labels, ["000001.jpg"], np.zeros((1, 40), np.uint8))
    with pytest.raises(ValueError, match="has 1 rows, fewer than num_images=5"):
        celeba.make_synthetic(tmp_path / "x", 5, seed=0, labels=labels)


def test_load_numpy_reads_split(tmp_path: Path) -> None:
    files = celeba.make_synthetic(tmp_path, 20, seed=4, layout="kaggle", workers=0)
    names, y, x = celeba.load_numpy(tmp_path, "validation")
    ann = celeba.read_annotations(files)
    rows = ann.split("validation")
    assert names == [ann.filenames[i] for i in rows]
    assert np.array_equal(y, ann.labels[rows])
    assert x is not None
    assert x.shape == (len(rows), 218, 178, 3)
    assert x.dtype == np.uint8
    _, _, none = celeba.load_numpy(tmp_path, "train", images=False, limit=3)
    assert none is None
    with pytest.raises(ValueError, match="split: expected one of"):
        celeba.load_numpy(tmp_path, "dev")


def test_label_statistics_by_hand() -> None:
    y = np.zeros((6, 40), np.uint8)
    y[:3, 0] = 1
    y[0, 1] = 1
    stats = celeba.label_statistics(y, partition=[0, 0, 0, 0, 1, 2])
    assert stats.counts == {"all": 6, "train": 4, "validation": 1, "test": 1}
    assert stats.prevalence("train")[0] == 0.75
    assert stats.prevalence("all")[1] == 1 / 6
    assert stats.imbalance("all")[0] == 1.0
    assert stats.imbalance("all")[1] == pytest.approx(5.0)
    assert np.isinf(stats.imbalance("all")[2])
    assert stats.majority_accuracy("all") == pytest.approx((0.5 + 5 / 6 + 38) / 40)
    table = celeba.format_statistics(stats)
    assert "5_o_Clock_Shadow" in table
    assert "75.00%" in table
    with pytest.raises(ValueError, match="partition: expected 6 codes"):
        celeba.label_statistics(y, partition=[0, 1])
    with pytest.raises(ValueError, match=r"source: expected a \(n, 40\) array"):
        celeba.label_statistics(np.zeros((2, 3)))
