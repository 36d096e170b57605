"""The Textual face of chatcli: screens, widgets and app.tcss.

Only this package imports textual. `chatcli.tui.app.ChatApp` is the entry point;
importing it must not import litellm (the model layer loads after the first paint).
"""
