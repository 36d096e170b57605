"""The screens: the chat screen, the start-up skeleton, and the dialogs over them.

One screen per module, each named `*_screen.py`. Screens may use widgets; no
widget imports a screen (import-linter checks it).
"""
