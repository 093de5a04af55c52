"""Pseudo-labelling action-free trajectories with a non-causal inverse dynamics model (VPT)."""
