"""mmvmae.models.heads."""
