"""The public demo accounts of assets/demo-hospital.toml, for the demo, screenshots and tests of every part.

The service refuses to start with these values outside `--demo` (caller/demo_secrets.py).
"""

# Tokens and password of assets/demo-hospital.toml (public demo values), for tests of every part.
DEMO_TOKENS = {
    "kiosk": "demo-kiosk-1-7d41c0e9a2b8",
    "kiosk2": "demo-kiosk-2-53ab8e1f6c07",
    "console_nk": "demo-console-nk-9c2e47b1d3a6",
    "console_wy": "demo-console-wy-0f8d6a2c4e91",
    "console_jz": "demo-console-jz-2a7c5e8b1f40",
    "console_dt": "demo-console-dt-5e2b7a9c1d84",
    "wall_nk": "demo-wall-nk-4e1b8c6d2a93",
    "door_nk1": "demo-door-nk1-8a5d2f7e0c16",
    "wall_jz": "demo-wall-jz-3d8b6e1a4c75",
    "speaker_nk": "demo-speaker-nk-5b0e9c3f7a12",
    "admin": "demo-admin-0a9b8c7d6e5f",
}
DEMO_PASSWORD = "demo1234"  # every demo console user (wanghs: NK nurse, zhangys: NK doctor, lihs: WY+FE, zhouhs: JZ, wangdy: the lobby guide desk DT)
