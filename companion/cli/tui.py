"""No subcommand: the app itself, in the terminal."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from companion.cli.steps import overrides, settings_for


def cmd_tui(args: argparse.Namespace) -> int:
    from companion.conversation import unlock
    from companion.ui.app import CompanionApp

    where, settings = settings_for(args)
    settings = replace(settings, model=args.model or settings.model)
    passphrase = None
    if args.passphrase_file is not None:
        passphrase = unlock.read_passphrase_file(args.passphrase_file)
    app = CompanionApp(where, settings, passphrase=passphrase, overrides=overrides(args))
    app.run()
    if app.failure is not None:
        print(f"companion: {app.failure}", file=sys.stderr)
        return app.failure.exit_code
    return app.return_code or 0
