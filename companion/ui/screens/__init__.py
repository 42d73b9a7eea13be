"""The app's screens: unlocking the vault and the conversation."""
