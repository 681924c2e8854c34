"""mmvmae.models.layers."""
