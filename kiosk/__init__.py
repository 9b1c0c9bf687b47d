"""Patient self-service kiosk (PySide6 Qt Widgets).

    python -m kiosk --service URL --token TOKEN --reader URL --printer URL --scanner URL --payment URL [--fullscreen]

``kiosk.app.build_kiosk(...)`` builds a ready window (the entry point and the demo use it);
``kiosk.screenshots.write_screenshots(out_dir, base_url, token)`` writes a PNG of every screen.

Layout: ``window`` (chrome, countdown, session end), ``flows/`` (what happens after each touch), ``screens/``
(one decision per screen), ``backend`` (the service over HTTP), ``devices`` (card reader, scanner, printer,
speech), ``worker`` (work off the GUI thread), ``i18n/`` (English through QTranslator).
"""
