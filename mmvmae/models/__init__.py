"""mmvmae.models."""
