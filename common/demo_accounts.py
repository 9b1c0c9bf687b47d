"""The public demo accounts of assets/demo-hospital.toml, for the demo, screenshots and tests of every part.

The service refuses to start with these values outside `--demo` (caller/demo_secrets.py).
"""

# Tokens and password of assets/demo-hospital.toml (public demo values), for tests of every part.
DEMO_TOKENS = {
    "kiosk": "demo-kiosk-1-7d41c0e9a2b8",
    "kiosk2": "demo-kiosk-2-53ab8e1f6c07",
    "console_nk": "demo-console-nk-9c2e47b1d3a6",
    "caller_nk1": "demo-caller-nk1-6c1f0a9e3b72",
    "console_wy": "demo-console-wy-0f8d6a2c4e91",
    "console_jz": "demo-console-jz-2a7c5e8b1f40",
    "console_dt": "demo-console-dt-5e2b7a9c1d84",
    "wall_nk": "demo-wall-nk-4e1b8c6d2a93",
    "door_nk1": "demo-door-nk1-8a5d2f7e0c16",
    "wall_jz": "demo-wall-jz-3d8b6e1a4c75",
    "speaker_nk": "demo-speaker-nk-5b0e9c3f7a12",
    "admin": "demo-admin-0a9b8c7d6e5f",
    "console_yf": "demo-console-yf-3d8a1f6c2e07",
    "console_jy": "demo-console-jy-8b2e5c9f1a46",
    "console_yx": "demo-console-yx-1f7c3a9e5d28",
    "console_sf": "demo-console-sf-6e0d4b8a2c93",
    "wall_yf": "demo-wall-yf-9a3c7e1b5f20",
    "wall_jy": "demo-wall-jy-4c8e2a6f0b19",
    "speaker_yf": "demo-speaker-yf-5f9b3d7a1c84",
    "speaker_jy": "demo-speaker-jy-0a4e8c2f6b17",
    "wall_sf": "demo-wall-sf-00a96482d07b",
    "speaker_sf": "demo-speaker-sf-c3f4ecc7d946",
}
DEMO_PASSWORD = "demo1234"  # every demo console user (wanghs: NK nurse, zhangys: NK doctor, lihs: WY+FE, zhouhs: JZ, wangdy: the lobby guide desk DT)
