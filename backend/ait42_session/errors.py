"""``ait42_session.errors.SessionError`` and its subclasses: where the contract
(``CONTRACT.md``) tells callers to find the errors, kept when the package was
folded into layers; the classes themselves are ``shape.errors``."""

from ait42_session.shape.errors import *  # noqa: F403
from ait42_session.shape.errors import __all__ as __all__
