"""dynarep: pretrain visual encoders on multitask demonstrations, then imitate with few demos."""

__version__ = "0.1.0"
