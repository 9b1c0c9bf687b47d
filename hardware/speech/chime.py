"""Write the call chime WAV: ``python -m hardware.speech.chime [path]``."""
from __future__ import annotations

import sys
from pathlib import Path

from hardware.speech.pcm import concat, silence, two_tone_chime
from hardware.speech.sounds import DEFAULT_CHIME


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_CHIME
    path.parent.mkdir(parents=True, exist_ok=True)
    clip = concat([two_tone_chime(), silence(22050, 0.15)])
    path.write_bytes(clip.to_wav())
    print(f"wrote {path} ({clip.duration_s:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
