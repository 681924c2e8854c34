"""mmvmae.models.algorithms."""
