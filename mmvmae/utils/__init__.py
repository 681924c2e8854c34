"""mmvmae.utils: helpers shared by the command line tools."""
