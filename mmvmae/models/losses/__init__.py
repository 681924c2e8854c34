"""mmvmae.models.losses."""
