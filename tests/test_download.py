"""The model downloader against a real local HTTP server: verify, resume, fail in words."""

from __future__ import annotations

import hashlib
import io
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion import __version__
from companion.models import download as dl
from companion.models.download import (
    DownloadCancelled,
    DownloadError,
    Progress,
    download,
    partial_path,
)
from companion.models.progress import ProgressLine, human_bytes, human_duration
from tests.http_server import FileServer
from tests.tiny_model import write_tiny_gguf


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real tiny GGUF (a few hundred KB): what the downloader exists to fetch."""
    data = write_tiny_gguf(tmp_path_factory.mktemp("served") / "tiny.gguf", seed=0).read_bytes()
    assert len(data) > 300_000
    return data


@pytest.fixture
def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture(autouse=True)
def _small_reads_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small reads so a few hundred KB make many chunks; no proxy between us and 127.0.0.1."""
    monkeypatch.setattr(dl, "CHUNK_SIZE", 64 * 1024)
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as srv:
        yield srv


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "models" / "tiny.gguf"


def plain_sentence(message: str) -> None:
    """What a person sees: sentences, not a traceback or an exception repr."""
    assert message[:1].isupper() and message.endswith("."), message
    assert not re.search(r"Traceback|Error\b|Exception|<|errno|\\n", message), message
    assert message.count(". ") <= 1, message


def test_full_download_verifies_and_renames(server: FileServer, content: bytes, digest: str,
                                           dest: Path) -> None:
    url = server.add("/tiny.gguf", content)
    seen: list[Progress] = []
    started = time.monotonic()
    assert download(url, dest, sha256=digest.upper(), size=len(content),
                    progress=seen.append) == dest
    elapsed = time.monotonic() - started
    assert dest.read_bytes() == content
    assert not partial_path(dest).exists()
    assert server.ranges() == [None]
    assert server.seen[0].user_agent == f"companion/{__version__}"
    assert {name.lower() for name, _ in server.seen[0].headers} <= {
        "host", "user-agent", "accept-encoding", "connection"}
    assert [p.phase for p in seen] == ["downloading"] * len(seen)
    assert seen[-1].done == seen[-1].total == len(content)
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert len(seen) <= 3 + elapsed * 10  # throttled to 10/s, plus the start and the end
    assert dest.parent.stat().st_mode & 0o777 == 0o700


def test_wrong_hash_deletes_everything(server: FileServer, content: bytes, dest: Path) -> None:
    url = server.add("/tiny.gguf", content)
    with pytest.raises(DownloadError) as err:
        download(url, dest, sha256="0" * 64)
    assert "did not match" in str(err.value) and "deleted" in str(err.value)
    plain_sentence(str(err.value))
    assert not dest.exists() and not partial_path(dest).exists()


def test_dropped_connection_keeps_prefix_and_resumes_with_range(
        server: FileServer, content: bytes, digest: str, dest: Path) -> None:
    half = len(content) // 2
    url = server.add("/tiny.gguf", content, drop_after=half)
    with pytest.raises(DownloadError) as err:
        download(url, dest, sha256=digest, size=len(content))
    message = str(err.value)
    assert f"interrupted after {human_bytes(half)};" in message and "resume" in message, message
    plain_sentence(message)
    assert partial_path(dest).read_bytes() == content[:half]
    assert not dest.exists()

    seen: list[Progress] = []
    download(url, dest, sha256=digest, size=len(content), progress=seen.append)
    assert server.ranges() == [None, f"bytes={half}-"]
    assert dest.read_bytes() == content
    assert not partial_path(dest).exists()
    checking = [p for p in seen if p.phase == "checking"]
    assert checking and checking[-1].done == checking[-1].total == half
    assert seen[-1].phase == "downloading" and seen[-1].done == len(content)


def test_truncated_body_without_size_is_an_interruption(
        server: FileServer, content: bytes, digest: str, dest: Path) -> None:
    url = server.add("/tiny.gguf", content, drop_after=100_000)
    with pytest.raises(DownloadError, match="interrupted"):
        download(url, dest, sha256=digest)  # only Content-Length tells it is short
    assert partial_path(dest).stat().st_size == 100_000


def test_cancel_keeps_a_prefix_that_resumes(server: FileServer, content: bytes, digest: str,
                                           dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "PROGRESS_INTERVAL", 0.0)  # report every chunk
    url = server.add("/tiny.gguf", content)
    cancel = threading.Event()

    def stop_after_first_chunk(p: Progress) -> None:
        if p.done > 0:
            cancel.set()

    with pytest.raises(DownloadCancelled) as err:
        download(url, dest, sha256=digest, progress=stop_after_first_chunk, cancel=cancel)
    assert "kept" in str(err.value)
    plain_sentence(str(err.value))
    kept = partial_path(dest).read_bytes()
    assert 0 < len(kept) <= dl.CHUNK_SIZE and content.startswith(kept)

    download(url, dest, sha256=digest)
    assert server.ranges()[-1] == f"bytes={len(kept)}-"
    assert dest.read_bytes() == content


def test_keyboard_interrupt_propagates_and_leaves_a_prefix(
        server: FileServer, content: bytes, digest: str, dest: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "PROGRESS_INTERVAL", 0.0)
    url = server.add("/tiny.gguf", content)

    def interrupt(p: Progress) -> None:
        if p.done > 100_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download(url, dest, sha256=digest, progress=interrupt)
    kept = partial_path(dest).read_bytes()
    assert len(kept) > 100_000 and content.startswith(kept)
    download(url, dest, sha256=digest)
    assert dest.read_bytes() == content


def test_server_ignoring_range_starts_over(server: FileServer, content: bytes, digest: str,
                                          dest: Path) -> None:
    url = server.add("/tiny.gguf", content, ignore_range=True)
    partial_path(dest).parent.mkdir(parents=True)
    partial_path(dest).write_bytes(content[:50_000])
    download(url, dest, sha256=digest, size=len(content))
    assert server.ranges() == ["bytes=50000-"]
    assert dest.read_bytes() == content


def test_partial_bigger_than_size_restarts(server: FileServer, content: bytes, digest: str,
                                          dest: Path) -> None:
    url = server.add("/tiny.gguf", content)
    partial_path(dest).parent.mkdir(parents=True)
    partial_path(dest).write_bytes(content + b"junk")
    download(url, dest, sha256=digest, size=len(content))
    assert server.ranges() == [None]
    assert dest.read_bytes() == content


def test_complete_partial_is_verified_on_416(server: FileServer, content: bytes, digest: str,
                                            dest: Path) -> None:
    url = server.add("/tiny.gguf", content)
    partial_path(dest).parent.mkdir(parents=True)
    partial_path(dest).write_bytes(content)
    download(url, dest, sha256=digest)  # no size: only the server can say it is complete
    assert server.ranges() == [f"bytes={len(content)}-"]
    assert dest.read_bytes() == content


def test_complete_partial_with_known_size_needs_no_request(
        server: FileServer, content: bytes, digest: str, dest: Path) -> None:
    partial_path(dest).parent.mkdir(parents=True)
    partial_path(dest).write_bytes(content)
    download(server.url("/nothing-here"), dest, sha256=digest, size=len(content))
    assert server.seen == [] and dest.read_bytes() == content


def test_redirect_to_the_file_succeeds_and_keeps_the_range(
        server: FileServer, content: bytes, digest: str, dest: Path) -> None:
    server.add("/cdn/tiny.gguf", content)
    partial_path(dest).parent.mkdir(parents=True)
    partial_path(dest).write_bytes(content[:12345])
    download(server.url("/redirect/cdn/tiny.gguf"), dest, sha256=digest)
    assert [s.path for s in server.seen] == ["/redirect/cdn/tiny.gguf", "/cdn/tiny.gguf"]
    assert server.ranges("/cdn/tiny.gguf") == ["bytes=12345-"]
    assert dest.read_bytes() == content


@pytest.mark.parametrize(("path", "words"), [
    ("/missing.gguf", "not found at http://127.0.0.1"),
    ("/busy", "had a problem (HTTP 503)"),
    ("/forbidden", "refused the download (HTTP 403)"),
    ("/loop/a", "redirecting in a loop"),
])
def test_http_failures_are_sentences(server: FileServer, dest: Path, digest: str, path: str,
                                     words: str) -> None:
    with pytest.raises(DownloadError) as err:
        download(server.url(path) + "?token=secret", dest, sha256=digest)
    message = str(err.value)
    assert words in message
    assert "secret" not in message
    plain_sentence(message)
    assert err.value.exit_code == 4
    assert not dest.exists() and not partial_path(dest).exists()


def test_503_with_a_partial_says_it_is_kept(server: FileServer, dest: Path, digest: str,
                                           content: bytes) -> None:
    partial_path(dest).parent.mkdir(parents=True)
    partial_path(dest).write_bytes(content[:1000])
    with pytest.raises(DownloadError, match=r"partial download is kept, try again later to"):
        download(server.url("/busy"), dest, sha256=digest)
    assert partial_path(dest).read_bytes() == content[:1000]


def test_unreachable_host(dest: Path, digest: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError) as err:
        download(f"http://127.0.0.1:{port}/x.gguf", dest, sha256=digest)
    assert "Could not reach 127.0.0.1" in str(err.value) and "--mirror" in str(err.value)
    plain_sentence(str(err.value))


def test_stalled_server_times_out_and_keeps_prefix(server: FileServer, content: bytes,
                                                  digest: str, dest: Path) -> None:
    url = server.add("/tiny.gguf", content, stall_after=100_000)
    with pytest.raises(DownloadError, match=r"interrupted after 100\.0 kB"):
        download(url, dest, sha256=digest, timeout=0.3)
    assert partial_path(dest).read_bytes() == content[:100_000]


def test_not_enough_space_fails_before_any_request(server: FileServer, content: bytes,
                                                  digest: str, dest: Path) -> None:
    url = server.add("/tiny.gguf", content)
    with pytest.raises(DownloadError) as err:
        download(url, dest, sha256=digest, size=10**15)
    assert "not enough free space" in str(err.value) and "1.0 PB" in str(err.value)
    plain_sentence(str(err.value))
    assert server.seen == [] and not dest.parent.exists()


def test_other_sizes_and_existing_files_are_refused(server: FileServer, content: bytes,
                                                   digest: str, dest: Path) -> None:
    url = server.add("/tiny.gguf", content)
    with pytest.raises(DownloadError, match="offers a file of"):
        download(url, dest, sha256=digest, size=len(content) - 1)
    with pytest.raises(DownloadError, match="not a sha256"):
        download(url, dest, sha256="abc")
    with pytest.raises(DownloadError, match="only be downloaded from an http"):
        download("file:///etc/passwd", dest, sha256=digest)
    dest.write_bytes(b"x")
    with pytest.raises(DownloadError, match="already exists"):
        download(url, dest, sha256=digest)
    assert len(server.seen) == 1 and dest.read_bytes() == b"x"


FULL_DISK = r"""
import resource, signal, sys
from pathlib import Path
from companion.models.download import DownloadError, download
url, dest, sha, limit = sys.argv[1:]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), resource.RLIM_INFINITY))
try:
    download(url, Path(dest), sha256=sha)
except DownloadError as exc:
    print(exc)
    sys.exit(4)
print("downloaded past the limit")
"""


def test_disk_full_keeps_a_clean_prefix(server: FileServer, content: bytes, digest: str,
                                       dest: Path) -> None:
    pytest.importorskip("resource")
    limit = 100_000  # not a multiple of the server's pieces: one write is cut short
    url = server.add("/tiny.gguf", content)
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, url, str(dest), digest, str(limit)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    message = proc.stdout.strip()
    assert "disk is full" in message and "resume" in message, message
    plain_sentence(message)
    kept = partial_path(dest).read_bytes()
    # The write that crossed the limit was partly done, then cut back to what was hashed.
    assert 0 < len(kept) < limit and content.startswith(kept)
    download(url, dest, sha256=digest)
    assert server.ranges()[-1] == f"bytes={len(kept)}-"
    assert dest.read_bytes() == content


def test_progress_line_without_a_terminal() -> None:
    out = io.StringIO()
    line = ProgressLine("tiny.gguf", out)
    total = 1_100_000_000
    for done in range(0, total + 1, total // 100):
        line.update(Progress(done, total, 4_300_000.0, (total - done) / 4_300_000, "downloading"))
    line.finish("Downloaded and verified.")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert 10 <= len(lines) <= 13, lines  # every 10 %, not 100 lines
    assert lines[0] == "tiny.gguf  0 B / 1.1 GB  4.3 MB/s  ETA 4m 16s"
    assert lines[-2] == "tiny.gguf  1.1 GB / 1.1 GB  4.3 MB/s"
    assert lines[-1] == "Downloaded and verified."


def test_progress_line_for_hashing_and_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    line = ProgressLine("check", out)
    line.bytes_done(0, 2_000_000)
    line.bytes_done(2_000_000, 2_000_000)
    line.finish()
    text = out.getvalue()
    assert text.startswith("\rcheck  checking  0 B / 2.0 MB") and text.endswith("\n")
    assert "2.0 MB / 2.0 MB" in text and text.count("\n") == 1


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (45_200_000, "45.2 MB"),
    (999_960, "1.0 MB"), (1_100_000_000, "1.1 GB"), (10**15, "1.0 PB"),
])
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(n) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (59.4, "59s"), (192, "3m 12s"), (3605, "1h 00m"), (90_000, "1d 1h"),
    (None, "?"), (float("inf"), "?"), (-3, "0s"),
])
def test_human_duration(seconds: float | None, text: str) -> None:
    assert human_duration(seconds) == text
