"""Wall (area) display, door (room) display and the speaker agent of a waiting area."""
from display.qt_compat import keep_none_alive

keep_none_alive()
