"""Where the shipped sounds live."""
from pathlib import Path

SOUNDS_DIR = Path(__file__).resolve().parents[2] / "assets" / "sounds"
DEFAULT_CHIME = SOUNDS_DIR / "chime.wav"
