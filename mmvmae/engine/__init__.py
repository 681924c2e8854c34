"""mmvmae.engine."""
