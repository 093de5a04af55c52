"""Training: the objective-agnostic pretraining loop, finetuning, checkpoints."""
