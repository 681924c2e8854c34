"""mmvmae.evaluation."""
from .knn import weighted_knn  # noqa: F401
