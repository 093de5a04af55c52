"""Environments (gymnasium API) and their scripted experts."""
