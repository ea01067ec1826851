"""Reproducing the paper "Unveiling Facial Attributes with Convolutional Neural Networks".

`multilabel_attr.paper` holds the published table, the paper's own way of
computing it (so its arithmetic can be checked), the corrected table and the
end-to-end reproduction pipeline.
"""

from ._compute import ModelRun
from ._pipeline import DataSource, ReproductionResult, prepare_data, reproduce
from ._protocols import PROTOCOLS, Protocol, default_cache_dir, scaled_protocol
from ._subgroups import (
    FACTORS,
    SubgroupTables,
    plot_subgroup_gaps,
    subgroup_markdown,
    subgroup_tables,
)
from ._tables import (
    PAPER_GRID_SIZE,
    PUBLISHED_TABLE,
    TABLE_ROWS,
    corrected_column,
    majority_baseline,
    markdown_table,
    paper_grid_thresholds,
    papers_way_table,
)

__all__ = [
    "FACTORS",
    "PAPER_GRID_SIZE",
    "PROTOCOLS",
    "PUBLISHED_TABLE",
    "TABLE_ROWS",
    "DataSource",
    "ModelRun",
    "Protocol",
    "ReproductionResult",
    "SubgroupTables",
    "corrected_column",
    "default_cache_dir",
    "majority_baseline",
    "markdown_table",
    "paper_grid_thresholds",
    "papers_way_table",
    "plot_subgroup_gaps",
    "prepare_data",
    "reproduce",
    "scaled_protocol",
    "subgroup_markdown",
    "subgroup_tables",
]
