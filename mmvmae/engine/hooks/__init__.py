"""mmvmae.engine.hooks."""
