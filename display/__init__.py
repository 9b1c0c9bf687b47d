"""Wall (area) display, door (room) display and the speaker agent of a waiting area."""
