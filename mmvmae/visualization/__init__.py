"""mmvmae.visualization."""
