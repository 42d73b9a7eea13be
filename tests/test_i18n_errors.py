"""The one-sentence errors of the lower layers, in the person's language.

Each error is raised by the real code (a real vault, a real file check, the real address
check, the real config reader), so what is asserted is what the person would read: the
sentence is looked up when it is raised, in the language in effect then.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from companion import config, i18n, paths
from companion.engine.remote_address import check_engine_url
from companion.errors import CompanionError, ModelError, UsageError, WrongPassphrase
from companion.memory import entries
from companion.models.download import download
from companion.models.files import check_file
from companion.vault import Vault
from companion.vault.keys import KdfParams
from tests.conftest import PASSPHRASE, run_cli

CHEAP = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
ERROR_TABLES = ("vault_errors", "model_errors", "engine_errors", "conversation_errors",
                "memory_errors", "care_errors", "config_errors")


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    i18n.use("en")


def said(code: str, raising: object) -> str:
    """The sentence of the CompanionError that `raising()` raises while `code` is in use."""
    i18n.use(code)
    with pytest.raises(CompanionError) as caught:
        raising()  # type: ignore[operator]
    return str(caught.value)


def test_a_wrong_passphrase_on_a_real_vault(tmp_path: Path) -> None:
    db, key = tmp_path / "vault.db", tmp_path / "vault.key"
    Vault.create(db, key, PASSPHRASE, kdf=CHEAP).close()

    def unlock() -> None:
        Vault.unlock(db, key, "not the passphrase")

    assert said("en", unlock) == ("That passphrase does not open this vault; check it and "
                                  "try again.")
    assert said("ko", unlock) == ("이 암호문구로는 이 보관함이 열리지 않습니다. 확인하고 다시 "
                                  "시도하세요.")
    assert said("de", unlock) == ("Diese Passphrase öffnet diesen Tresor nicht; prüfe sie und "
                                  "versuche es noch einmal.")
    i18n.use("fr")
    with pytest.raises(WrongPassphrase, match="n'ouvre pas ce coffre"):
        unlock()


def test_a_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "gone.gguf"
    assert said("en", lambda: check_file(missing)) == (
        f"The model file {missing} does not exist; check the path and try again.")
    assert said("es", lambda: check_file(missing)) == (
        f"El archivo del modelo {missing} no existe; revisa la ruta e inténtalo de nuevo.")
    assert said("ru", lambda: check_file(tmp_path)) == (
        f"{tmp_path} — это папка, а не файл модели; укажите путь к файлу .gguf.")  # noqa: RUF001


def test_a_refused_engine_address() -> None:
    def far_away() -> None:
        check_engine_url("http://example.org:8080", resolve=lambda host, port: ["8.8.8.8"])

    english = said("en", far_away)
    assert english.startswith("The engine address http://example.org:8080 leads to 8.8.8.8, "
                              "which is not this computer or your own network")
    assert said("zh", far_away) == (
        "服务器地址 http://example.org:8080 指向 8.8.8.8，它既不是这台电脑，也不在你自己的"  # noqa: RUF001
        "网络里，所以 companion 不会把你的文字发送到那里；请使用这台电脑上或你家庭网络中的"  # noqa: RUF001
        "服务器。")
    assert said("pt-BR", lambda: check_engine_url("ftp://h")) == (
        "O endereço do servidor precisa começar com http:// ou https:// ('ftp://h' não "
        "começa); escreva assim: http://127.0.0.1:8080.")


def test_a_bad_fingerprint_refuses_a_download(tmp_path: Path) -> None:
    def fetch() -> None:
        download("http://127.0.0.1:9/model.gguf", tmp_path / "m.gguf", sha256="abc")

    assert said("hi", fetch) == ("'abc' कोई sha256 फ़िंगरप्रिंट नहीं है (64 हेक्साडेसिमल "
                                 "अक्षर); मॉडल की प्रविष्टि जाँचें।")
    with pytest.raises(ModelError):
        fetch()


def test_config_and_memory_errors_speak_too(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text("seed = \"seven\"\n", encoding="utf-8")
    assert said("fr", lambda: config.load_with_warnings(file)) == (
        f"{file}, ligne 1 : seed doit être un nombre entier, pas 'seven' ; corrigez-le ou "
        "supprimez la ligne.")
    assert said("ko", lambda: entries.parse_score("9")) == (
        "기분은 1(아주 안 좋음)부터 5(아주 좋음)까지의 정수입니다. '9'은(는) 그렇지 않습니다.")
    assert said("en", lambda: entries.clean_text("  ", "journal entry")) == (
        "The journal entry is empty; nothing was saved.")


def test_the_cli_says_it_in_the_language_of_config_toml(tmp_path: Path) -> None:
    home = tmp_path / "home"
    where = paths.resolve(home)
    where.ensure()
    Vault.create(where.vault_db, where.vault_key, PASSPHRASE, kdf=CHEAP).close()
    where.config_file.write_text('ui_language = "es"\n', encoding="utf-8")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("nope\n", encoding="utf-8")
    result = run_cli("--home", home, "--passphrase-file", wrong, "history")
    assert result.code == 3
    assert result.err.strip() == ("companion: Esa frase de contraseña no abre esta bóveda; "
                                  "revísala e inténtalo de nuevo.")


@pytest.mark.parametrize("code", i18n.codes())
def test_no_error_sentence_lost_a_placeholder(code: str) -> None:
    """Every sentence fills in each of its values, and English's values are all there."""
    english, mine = i18n.catalogue(i18n.SOURCE), i18n.catalogue(code)
    keys = [k for k in english if k.split(".")[0] in ERROR_TABLES]
    assert len(keys) > 200
    for key in keys:
        names = i18n.placeholders(english[key])
        assert i18n.placeholders(mine[key]) == names, key
        filled = mine[key].format(**{name: f"<{name}>" for name in names})
        assert all(f"<{name}>" in filled for name in names), key
        assert "{" not in filled and "}" not in filled, key


def test_an_error_raised_in_one_language_stays_in_it() -> None:
    """The text is looked up at raise time: switching later does not rewrite it."""
    i18n.use("de")
    error = UsageError(i18n.t("conversation_errors.nothing_to_send"))
    i18n.use("en")
    assert str(error) == "Es gibt nichts zu senden; schreib zuerst eine Nachricht."
