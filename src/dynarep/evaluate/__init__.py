"""Rollouts, success metrics and statistics."""
