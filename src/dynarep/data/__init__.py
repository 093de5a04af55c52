"""Episode stores, collection and the window sampler."""
