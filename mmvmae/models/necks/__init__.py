"""mmvmae.models.necks."""
