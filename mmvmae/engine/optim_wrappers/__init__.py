"""mmvmae.engine.optim_wrappers."""
