"""Web screens (/screen/): pairing, the live boards, media, playlists, call clips (docs/screens.md)."""
