"""Network building blocks: the image encoder and MLP heads."""
