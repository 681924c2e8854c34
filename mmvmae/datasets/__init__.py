"""mmvmae.datasets."""
