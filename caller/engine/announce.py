"""What a call says: display text and speech text (visit items for lists: common.wire.visit_item)."""
from __future__ import annotations

from caller.engine.model import Visit
from common import privacy
from common.queue_rules import QueueRules
from common.speech_text import speakable, spoken_room, spoken_ticket


def screen_name(name: str, rules: QueueRules) -> str:
    """The name as public screens show it: masked, or nothing (the privacy package's rule)."""
    return privacy.screen_name(name, rules.screen_name)


def speech_name(name: str, rules: QueueRules) -> str:
    """The name as speakers say it: nothing, surname + 某某 (患者 without a surname), or the full name."""
    return privacy.spoken_name(name, rules.speech_name)


def render(template: str, **fields: str) -> str:
    """Fill a call template; an empty field leaves no double space behind."""
    return " ".join(template.format(**fields).split())


def call_texts(visit: Visit, rules: QueueRules, room_name: str, dept_name: str, doctor_name: str) -> tuple[str, str]:
    """(display text, speech text) of the call of `visit` to `room_name`: the one place both are made.

    The speech text is exactly what a speaker says (speakers add nothing): the same template with the
    spoken name (``privacy.spoken_name`` under the area's ``speech_name``), the ticket read one character at
    a time, room numbers read with 号, no symbols, Latin letters spelled (common/speech_text.py)."""
    template = rules.template_for(visit.number_kind)
    common = {"dept": dept_name, "doctor": doctor_name}
    display = render(template, ticket=visit.ticket, room=room_name, name=screen_name(visit.patient_name, rules),
                     **common)
    speech = speakable(render(template, ticket=spoken_ticket(visit.ticket), room=spoken_room(room_name),
                              name=speech_name(visit.patient_name, rules), **common))
    return display, speech
