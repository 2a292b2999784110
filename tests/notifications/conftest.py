"""The runtime's company and launched cycle, and the field-work company, for the events
and reminders each area raises."""

from tests.runtime.conftest import company, launched  # noqa: F401
from tests.runtime.fieldwork.conftest import field  # noqa: F401
