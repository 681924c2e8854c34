"""mmvmae.models.encoders."""
