"""Spoken announcements: the announcement worker (the text it says comes from ``common.speech_text``)."""
from hardware.speech.worker import SpeechEvent, SpeechWorker

__all__ = ["SpeechEvent", "SpeechWorker"]
