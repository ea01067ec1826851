"""CelebA: annotation files, synthetic CelebA, sharded TFRecords and tf.data readers.

Parsers, the synthetic generator and the numpy reader need only numpy and Pillow (the ``data``
extra), and so do [`convert`][multilabel_attr.datasets.celeba.convert] and
[`verify`][multilabel_attr.datasets.celeba.verify], which write and check TFRecord files
themselves (``google-crc32c`` makes their checksums fast);
[`load`][multilabel_attr.datasets.celeba.load] and the legacy format need TensorFlow, imported
when they are called.
"""

from ...core import signed_to_binary
from ._annotations import (
    ATTRIBUTES,
    SPLITS,
    AnnotationError,
    Annotations,
    format_attributes,
    format_identities,
    format_partition,
    join_annotations,
    read_attributes,
    read_identities,
    read_partition,
    write_attributes,
    write_identities,
    write_partition,
)
from ._convert import convert
from ._layout import LAYOUTS, CelebAFiles, find_files, read_annotations
from ._legacy import convert_legacy, load_legacy, write_legacy
from ._manifest import (
    MANIFEST,
    SCHEMA_VERSION,
    ShardVerificationError,
    read_manifest,
    shard_name,
    verify,
)
from ._numpy import load_numpy
from ._readers import load
from ._stats import LabelStatistics, format_statistics, label_statistics
from ._synthetic import IMAGE_SIZE, make_synthetic, render_face, sample_labels, split_sizes

__all__ = [
    "ATTRIBUTES",
    "IMAGE_SIZE",
    "LAYOUTS",
    "MANIFEST",
    "SCHEMA_VERSION",
    "SPLITS",
    "AnnotationError",
    "Annotations",
    "CelebAFiles",
    "LabelStatistics",
    "ShardVerificationError",
    "convert",
    "convert_legacy",
    "find_files",
    "format_attributes",
    "format_identities",
    "format_partition",
    "format_statistics",
    "join_annotations",
    "label_statistics",
    "load",
    "load_legacy",
    "load_numpy",
    "make_synthetic",
    "read_annotations",
    "read_attributes",
    "read_identities",
    "read_manifest",
    "read_partition",
    "render_face",
    "sample_labels",
    "shard_name",
    "signed_to_binary",
    "split_sizes",
    "verify",
    "write_attributes",
    "write_identities",
    "write_legacy",
    "write_partition",
]
