"""Build llama.cpp's own `llama-bench` from the very sources the installed wheel was built from.

Run: .venv/bin/python -m bench.build_llama_bench      (prints the path of llama-bench)

`bench/decode.py` compares the app's decode speed with llama.cpp's; the comparison only
means something if both run the same llama.cpp, so the sdist of the installed
llama-cpp-python version is fetched (`pip download`, usually from pip's cache) and its
`vendor/llama.cpp` built with the flags the wheel's build uses (Release, shared libraries,
native CPU features, OpenMP, no curl). The result lives in a cache folder
(`$COMPANION_BENCH_CACHE`, or `companion-bench` in the user cache folder) and is built
once; later calls only check that the binary is there. The build runs under `nice` with at
most two jobs, so it does not starve whatever else the machine is doing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=ON",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=OFF",
)


def cache_folder() -> Path:
    env = os.environ.get("COMPANION_BENCH_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return platformdirs.user_cache_path() / "companion-bench"


def wheel_version() -> str:
    return metadata.version("llama-cpp-python")


def _sources(folder: Path, version: str) -> Path:
    """The sdist's vendored llama.cpp, unpacked once."""
    source = folder / f"llama-cpp-python-{version}" / "vendor" / "llama.cpp"
    if (source / "CMakeLists.txt").is_file():
        return source
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "--no-binary", ":all:", f"llama-cpp-python=={version}", "-d", tmp],
                       check=True)
        archive = next(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        unpacked = Path(tmp) / f"llama_cpp_python-{version}"
        target = folder / f"llama-cpp-python-{version}"
        shutil.rmtree(target, ignore_errors=True)
        unpacked.rename(target)
    return source


def llama_bench(folder: Path | None = None) -> Path:
    """The path of llama-bench for the installed llama-cpp-python, built on first use."""
    folder = folder or cache_folder()
    version = wheel_version()
    build = folder / f"build-{version}"
    binary = build / "bin" / "llama-bench"
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary
    folder.mkdir(parents=True, exist_ok=True)
    source = _sources(folder, version)
    nice = ["nice", "-n", "19"] if shutil.which("nice") else []
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run([*nice, "cmake", "-S", str(source), "-B", str(build), *generator,
                    *CMAKE_FLAGS], check=True)
    subprocess.run([*nice, "cmake", "--build", str(build), "--target", "llama-bench",
                    "-j", "2"], check=True)
    if not binary.is_file():
        raise SystemExit(f"the build finished but {binary} is missing")
    return binary


def main() -> None:
    print(llama_bench())


if __name__ == "__main__":
    main()
