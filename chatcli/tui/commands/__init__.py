"""The chat window's commands: one table feeds keys, slash commands, the palette and F1."""
