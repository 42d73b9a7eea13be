"""The conversation: a session and one turn end to end, the answer of each mode, start-up."""
