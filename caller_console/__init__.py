"""The nurse call console (Qt): queue panes, one-click actions with shortcuts, alerts, devices."""
from display.qt_compat import keep_none_alive

keep_none_alive()
