"""The session shape: the contract's errors, timestamps, the session models, workspaces.

The bottom layer: imports nothing else of this package.
"""
