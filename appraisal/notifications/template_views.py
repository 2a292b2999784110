"""(to be written)"""

from __future__ import annotations

from ..runtime.web import Routes

routes = Routes()
