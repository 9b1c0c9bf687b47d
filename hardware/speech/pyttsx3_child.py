"""Child process owning one pyttsx3 engine (see ``synth.Pyttsx3Process``).

Reads JSON lines ``{"text", "path", "voice", "rate"}`` on stdin, writes the WAV to
``path`` and answers ``{"ok": true}`` or ``{"ok": false, "error": ...}`` on stdout.
"""
from __future__ import annotations

import json
import os
import sys


def main() -> int:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # pyttsx3 prints progress on stdout; keep it out of the replies
    import pyttsx3

    engine = pyttsx3.init("espeak")
    # pyttsx3 silently keeps the English default for a voice it does not know: check first.
    known = set()
    for voice in engine.getProperty("voices"):
        known.update({voice.id.lower(), voice.id.lower().rsplit("/", 1)[-1], voice.name.lower()})
    for line in sys.stdin:
        try:
            request = json.loads(line)
            if request["voice"].lower() not in known:
                raise ValueError(f"voice {request['voice']!r} is not installed in espeak-ng")
            engine.setProperty("voice", request["voice"])
            engine.setProperty("rate", int(request["rate"]))
            path = request["path"]
            for _attempt in range(2):  # runAndWait occasionally returns without writing the file
                engine.save_to_file(request["text"], path)
                engine.runAndWait()
                if os.path.exists(path) and os.path.getsize(path) > 44:
                    break
            else:
                raise RuntimeError("pyttsx3 wrote no audio")
            replies.write(json.dumps({"ok": True}) + "\n")
        except Exception as exc:  # reported to the parent, the engine keeps serving
            replies.write(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
