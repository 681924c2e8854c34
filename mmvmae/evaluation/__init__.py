"""mmvmae.evaluation."""
