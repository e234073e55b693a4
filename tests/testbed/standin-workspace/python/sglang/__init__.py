"""STAND-IN for SGLang: the bind-mounted workspace copy."""
__version__ = "0.0.2+standin.workspace"
