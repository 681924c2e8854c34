"""mmvmae.engine.runner."""
