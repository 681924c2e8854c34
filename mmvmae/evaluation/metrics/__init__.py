"""mmvmae.evaluation.metrics."""
