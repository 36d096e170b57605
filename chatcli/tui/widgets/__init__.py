"""The widgets of the chat screen: one public widget per module.

Each widget posts its own messages (past-tense classes nested in it) and
renders what it is given; none imports a screen or does store I/O on the UI thread.
"""
