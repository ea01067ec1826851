"""``python -m multilabel_attr`` runs the command line."""

from .cli import run

run()
