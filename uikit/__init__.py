"""Small pieces shared by the Qt apps (kiosk, console, displays): fonts, paths, and the GUI thread's garbage collector."""
