"""(to be written)"""

from __future__ import annotations

from flask import Flask

from ..runtime.web import Routes

routes = Routes()


def init_app(app: Flask) -> None:
    """(to be written: the bell's unread count in every page's navigation)"""
