"""mmvmae.datasets.transforms."""
