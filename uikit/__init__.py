"""Small pieces shared by the Qt apps (kiosk, console, displays): fonts and paths."""
