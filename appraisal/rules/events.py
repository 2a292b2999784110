"""The kinds of business events other systems push (CRM, OA, ticketing) and the typed
attributes each carries.

Each kind is declared as an activity form (`activity/1`) whose fields are its attributes,
so an event's attributes are checked, stored and read by metrics exactly as a field
record's values are: numbers and money as exact decimal text, yes/no as booleans, dates
as ISO text; a duration is never negative. Every attribute is optional; one a kind does
not declare is refused (a typo in a CRM export should show, not vanish). A customer is
referred to by its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .activities import CheckedValues, CompiledActivity, check_activity_values, compile_activity


def _attribute(key: str, en: str, zh: str, kind: str, **limits: Any) -> dict[str, Any]:
    return {"key": key, "label": {"en": en, "zh": zh}, "type": kind, **limits}


_CUSTOMER = _attribute("customer", "Customer code", "客户编码", "text")
_AMOUNT = _attribute("amount", "Amount", "金额", "money")
_ON_TIME = _attribute("on_time", "On time", "是否按时", "yes_no")

_DECLARED: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {
    "lead_created": (
        {"en": "Lead created", "zh": "新增线索"},
        [_CUSTOMER, _AMOUNT, _attribute("channel", "Channel", "渠道", "text")],
    ),
    "contract_signed": (
        {"en": "Contract signed", "zh": "签订合同"},
        [_CUSTOMER, _AMOUNT, _attribute("product", "Product", "产品", "text")],
    ),
    "payment_collected": (
        {"en": "Payment collected", "zh": "回款"},
        [_CUSTOMER, _AMOUNT, _ON_TIME],
    ),
    "ticket_closed": (
        {"en": "Ticket closed", "zh": "工单关闭"},
        [
            _CUSTOMER,
            _attribute("handling_minutes", "Handling minutes", "处理时长（分钟）", "number", min=0),
            _attribute("sla_met", "Within SLA", "是否达成 SLA", "yes_no"),
            _attribute("reopened", "Reopened", "是否重开", "yes_no"),
            _attribute("priority", "Priority", "优先级", "text"),
            _attribute("opened_at", "Opened at", "创建时间", "datetime"),
        ],
    ),
    "service_report_submitted": (
        {"en": "Service report submitted", "zh": "提交服务报告"},
        [
            _CUSTOMER,
            _ON_TIME,
            _attribute("response_hours", "Response hours", "响应时长（小时）", "number", min=0),
        ],
    ),
    "oa_approval_done": (
        {"en": "OA approval done", "zh": "OA 审批完成"},
        [
            _attribute("process", "Process", "流程", "text"),
            _attribute("minutes", "Minutes taken", "用时（分钟）", "number", min=0),
            _ON_TIME,
        ],
    ),
    "crm_updated": (
        {"en": "CRM record updated", "zh": "CRM 记录更新"},
        [_CUSTOMER, _ON_TIME],
    ),
}

#: The event kinds, each as the form its attributes are checked with.
EVENT_KINDS: dict[str, CompiledActivity] = {
    kind: compile_activity(
        {
            "format": "activity/1",
            "key": kind,
            "name": name,
            "kind": "other",
            "fields": [{**field, "required": False} for field in fields],
        }
    )
    for kind, (name, fields) in _DECLARED.items()
}


def check_event_attributes(kind: str, raw: Mapping[str, Any]) -> CheckedValues:
    """The attributes to store for an event of `kind` (which must be in EVENT_KINDS), and
    what is wrong with them, by attribute."""
    return check_activity_values(EVENT_KINDS[kind], raw)
