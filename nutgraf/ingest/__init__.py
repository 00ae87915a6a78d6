"""Reading articles in: files, folders, URLs and feeds to :class:`~nutgraf.records.Document`."""

from .options import IngestOptions
from .results import Failed, Loaded
from .sources import expand_inputs, load

__all__ = ["Failed", "IngestOptions", "Loaded", "expand_inputs", "load"]
