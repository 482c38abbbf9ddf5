"""Models and machines from outside the catalog: HF config.json files, local GGUF files, this machine."""
