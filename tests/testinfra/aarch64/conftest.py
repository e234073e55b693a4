"""Loads the shared fixtures and helpers of tests/testinfra/helpers.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from helpers import engine, gh200  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
