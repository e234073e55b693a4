"""STAND-IN for SGLang, baked into the image (non-editable)."""
__version__ = "0.0.1+standin.baked"
