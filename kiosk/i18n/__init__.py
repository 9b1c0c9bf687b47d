"""Kiosk translations: Chinese in the source, English through Qt's QTranslator.

Every string a patient sees goes through :func:`tr`. English lives in ``strings_en.py``; ``build.py`` writes
``kiosk_en.ts`` from it and compiles ``kiosk_en.qm`` with pyside6-lrelease. When the .qm is missing the same
table is served by a generated translator, so a screen is never half Chinese, half English.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

CONTEXT = "Kiosk"
HERE = Path(__file__).resolve().parent
QM_FILE = HERE / "kiosk_en.qm"

_installed: QTranslator | None = None
_language = "zh"


def tr(text: str) -> str:
    """Translate a Chinese source string into the current language."""
    return QCoreApplication.translate(CONTEXT, text)


def language() -> str:
    """"zh" or "en"."""
    return _language


class TableTranslator(QTranslator):
    """A translator generated from the English table (used when the compiled .qm is absent)."""

    def __init__(self, table: dict[str, str]) -> None:
        super().__init__()
        self._table = table

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: D401 - Qt override
        if context != CONTEXT:
            return ""
        return self._table.get(source, "")

    def isEmpty(self) -> bool:  # noqa: N802 - Qt name
        return False


def english_translator() -> QTranslator:
    """The compiled translator if shipped, else one generated from the table."""
    translator = QTranslator()
    if QM_FILE.exists() and translator.load(str(QM_FILE)):
        return translator
    from kiosk.i18n.strings_en import EN  # noqa: PLC0415 - the whole English table, only without a compiled .qm

    return TableTranslator(EN)


def set_language(lang: str) -> None:
    """Switch the application's language ("zh" or "en")."""
    global _installed, _language
    app = QCoreApplication.instance()
    if _installed is not None and app is not None:
        app.removeTranslator(_installed)
        _installed = None
    if lang == "en" and app is not None:
        _installed = english_translator()
        app.installTranslator(_installed)
    _language = "en" if lang == "en" else "zh"


def pick(zh: str | None, en: str | None, strict: bool = False) -> str:
    """Choose between the Chinese and English form of data from the service.

    A name without English falls back to Chinese; with strict (descriptions, directions) it is left out
    rather than putting a Chinese sentence on an English screen.
    """
    if _language == "en":
        return en or ("" if strict else zh or "")
    return zh or en or ""
