"""The nurse call console (Qt): queue panes, one-click actions with shortcuts, alerts, devices."""
