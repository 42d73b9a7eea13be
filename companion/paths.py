"""Where companion keeps things.

One `--home DIR` (or COMPANION_HOME) puts every folder under one root, so tests,
portable installs and a USB stick all work the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "companion"
HOME_ENV = "COMPANION_HOME"


@dataclass(frozen=True)
class Paths:
    config: Path
    data: Path
    models: Path
    cache: Path
    log: Path

    @property
    def vault_db(self) -> Path:
        return self.data / "vault.db"

    @property
    def vault_key(self) -> Path:
        return self.data / "vault.key"

    @property
    def config_file(self) -> Path:
        return self.config / "config.toml"

    @property
    def log_file(self) -> Path:
        return self.log / "companion.log"

    @property
    def user_registry(self) -> Path:
        return self.config / "models.toml"

    @property
    def user_themes(self) -> Path:
        return self.config / "themes"

    def ensure(self) -> None:
        """Create the folders with owner-only permissions; the vault is private.

        A home that is a file or cannot be written is said in one sentence (exit 2)
        before anything else happens, rather than failing later mid-command.
        """
        from companion.errors import UsageError
        from companion.i18n import t

        for folder in (self.config, self.data, self.models, self.cache, self.log):
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except (FileExistsError, NotADirectoryError):
                raise UsageError(t("config_errors.home_is_file",
                                   path=_first_file(folder))) from None
            except OSError:
                raise UsageError(t("config_errors.home_not_created", folder=folder)) from None
            if not os.access(folder, os.W_OK | os.X_OK):
                raise UsageError(t("config_errors.home_not_writable", folder=folder))


def resolve(home: str | os.PathLike[str] | None = None) -> Paths:
    """Pick the folders: an explicit home, then COMPANION_HOME, then the OS defaults."""
    root = home if home is not None else os.environ.get(HOME_ENV) or None
    if root is not None:
        base = Path(root).expanduser().resolve()
        return Paths(
            config=base / "config",
            data=base / "data",
            models=base / "models",
            cache=base / "cache",
            log=base / "log",
        )
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    data = Path(dirs.user_data_dir)
    return Paths(
        config=Path(dirs.user_config_dir),
        data=data,
        models=data / "models",
        cache=Path(dirs.user_cache_dir),
        log=Path(dirs.user_log_dir),
    )


def _first_file(folder: Path) -> Path:
    """The part of `folder`'s path that exists as a file (what blocks the folder)."""
    for part in [folder, *folder.parents]:
        if part.exists() and not part.is_dir():
            return part
    return folder
