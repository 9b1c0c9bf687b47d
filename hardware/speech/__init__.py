"""Spoken announcements: text normalisation for the Mandarin voice and the announcement worker."""
from hardware.speech.normalize import (
    DEFAULT_CALL_TEMPLATE,
    call_text,
    display_text,
    mask_name,
    speakable,
    spell_latin,
    spoken_name,
    spoken_room,
    spoken_ticket,
)
from hardware.speech.worker import SpeechEvent, SpeechWorker

__all__ = [
    "DEFAULT_CALL_TEMPLATE",
    "SpeechEvent",
    "SpeechWorker",
    "call_text",
    "display_text",
    "mask_name",
    "speakable",
    "spell_latin",
    "spoken_name",
    "spoken_room",
    "spoken_ticket",
]
