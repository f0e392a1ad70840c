"""The session shape: the contract's errors, the session models, workspaces.

The bottom layer: imports nothing else of this package.
"""
