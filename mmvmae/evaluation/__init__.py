"""mmvmae.evaluation."""
from .knn import weighted_knn  # noqa: F401
from . import metrics  # noqa: F401,E402  (registers the metrics)
