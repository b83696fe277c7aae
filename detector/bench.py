"""Throughput benchmark: the detector (Python API and CLI) against baseline peers.

>>> from detector import bench
>>> bench.build_corpus("corpus.jsonl", size_mb=50)                   # doctest: +SKIP
>>> print(bench.format_report(bench.bench("corpus.jsonl")))          # doctest: +SKIP

or from a shell: ``python -m detector.bench --size-mb 50 --workers 1 2``.

Conventions:

* MB = 10**6 bytes; the MB of a run are the UTF-8 bytes of the ``text`` fields it processed.
* Paragraphs are the non-blank ``\\n``-separated lines of those texts, counted the same way for
  every mode, so paragraphs/s compare across modes.
* Every run happens in a fresh Python process, so runs cannot contaminate each other's memory
  or warm each other's caches:

  - ``api`` and peer runs execute in a ``sys.executable`` subprocess that reads the corpus
    lazily; ``seconds`` times the processing loop only (corpus reading and JSON decoding
    included, interpreter start-up and model loading excluded). ``peak_rss_mb`` is the
    subprocess's own peak RSS plus the largest peak of its worker processes
    (``getrusage(RUSAGE_CHILDREN).ru_maxrss``, a maximum over the workers, not a sum). Pages the
    forked workers share with their parent are counted in both, so this is a rough upper bound
    for 2 workers and a lower bound for more. The subprocess's own peak is read from
    ``VmHWM`` in ``/proc/self/status`` where there is one: Linux carries a process's
    ``ru_maxrss`` across ``exec``, so ``getrusage(RUSAGE_SELF)`` of a process started from a big
    parent (a test runner, this benchmark) reports at least the parent's size. Elsewhere it
    falls back to ``getrusage(RUSAGE_SELF)``.
  - ``cli`` runs time ``python -m detector clean ...`` wall-clock, start-up and model loading
    included, from a fresh, small wrapper process that starts the CLI and then reads
    ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak of the largest single process of the
    CLI's process tree (the main process or one worker), uncontaminated by earlier runs or by
    this process's size.
  - Peers get the very same paragraphs (each text split on ``\\n``) and run single-process.

This module imports only the standard library at the top: the measuring subprocesses load it
(and :mod:`detector.peers`) by file path, so a peer's memory is not inflated by the detector.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.util
import io
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

__all__ = ["build_corpus", "iter_texts", "corpus_stats", "bench_api", "bench_cli", "cli_available",
           "bench_peers", "bench", "format_report", "main", "MB", "PEER_NAMES"]

MB = 1_000_000
PEER_NAMES = {"c4": "C4 rules", "justext": "jusText"}
DEFAULT_PEER_LIMIT_MB = 20.0

_HERE = Path(__file__).resolve().parent
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# Run by the measuring subprocess: load this very file (not the detector package) and run a job.
_CHILD_CODE = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('_detector_bench_child', sys.argv[1])\n"
    "mod = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(mod)\n"
    "mod._child_main(sys.argv[2])\n"
)


# --------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------

def _default_labels_dir(labels_dir: str | Path) -> Path:
    p = Path(labels_dir)
    if not p.exists() and str(labels_dir) == "labels" and (_HERE.parent / "labels").is_dir():
        return _HERE.parent / "labels"  # source checkout, run from another directory
    return p


def build_corpus(path: str | Path, size_mb: float, labels_dir: str | Path = "labels",
                 seed: int = 0) -> dict:
    """Write a JSONL benchmark corpus of about ``size_mb`` MB to ``path``.

    Each record is ``{"id", "text"}``, the text being a labelled document's paragraphs joined
    with ``"\\n"``. Documents are drawn from the labelled JSONL under ``labels_dir`` (read with
    :func:`detector.labels.read_labelled`) in a shuffled order, reshuffled on every pass, until
    the uncompressed JSONL reaches ``size_mb`` MB (overshooting by less than one record). Records
    are streamed to disk; only the labelled documents are held in memory. A path ending in
    ``.gz`` is written gzip-compressed (its *uncompressed* size is the target). The file appears
    atomically, complete or not at all. Returns ``{"path", "records", "bytes", "text_bytes"}``.
    """
    from .io import atomic_path
    from .labels import read_labelled

    if not size_mb > 0:
        raise ValueError(f"size_mb must be positive, not {size_mb!r}")
    docs = [(d.id, "\n".join(d.texts)) for d in read_labelled([_default_labels_dir(labels_dir)])]
    docs = [(i, t) for i, t in docs if t.strip()]
    if not docs:
        raise ValueError(f"{labels_dir}: no labelled documents with text found")
    target = int(size_mb * MB)
    path = Path(path)
    rng = random.Random(seed)
    written = text_bytes = records = 0
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        if path.name.endswith(".gz"):
            sink = gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=raw, mtime=0)
        else:
            sink = contextlib.nullcontext(raw)
        with sink as out:
            passes = 0
            while written < target:
                order = list(range(len(docs)))
                rng.shuffle(order)
                for k in order:
                    doc_id, text = docs[k]
                    line = json.dumps({"id": f"{doc_id}~{passes}", "text": text},
                                      ensure_ascii=False) + "\n"
                    data = line.encode("utf-8")
                    out.write(data)
                    written += len(data)
                    text_bytes += len(text.encode("utf-8"))
                    records += 1
                    if written >= target:
                        break
                passes += 1
    return {"path": str(path), "records": records, "bytes": written, "text_bytes": text_bytes}


def _open_text(path: str | Path) -> io.TextIOBase:
    """Open a (possibly gzip- or zstd-compressed) text file for reading, by its magic bytes."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic.startswith(_GZIP_MAGIC):
        return gzip.open(path, "rt", encoding="utf-8")
    if magic == _ZSTD_MAGIC:
        import zstandard

        raw = open(path, "rb")  # noqa: SIM115 - closed with the reader (closefd)
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True,
                                                            read_across_frames=True)
        return io.TextIOWrapper(reader, encoding="utf-8")
    return open(path, encoding="utf-8")


def iter_texts(corpus: str | Path, limit_mb: float | None = None,
               field: str = "text") -> Iterator[str]:
    """The ``field`` strings of a JSONL corpus, read lazily; stop once ``limit_mb`` MB are read.

    Blank lines and records without a string ``field`` are skipped.
    """
    limit = None if limit_mb is None else limit_mb * MB
    seen = 0
    with _open_text(corpus) as fh:
        for line in fh:
            if limit is not None and seen >= limit:
                return
            if not line.strip():
                continue
            text = json.loads(line).get(field)
            if not isinstance(text, str):
                continue
            seen += len(text.encode("utf-8"))
            yield text


def _count_paragraphs(text: str) -> int:
    return sum(1 for line in text.split("\n") if line.strip())


class _Counted:
    """Wrap an iterator of texts, counting documents, UTF-8 bytes and paragraphs as they pass."""

    def __init__(self, texts: Iterator[str]):
        self._texts = texts
        self.documents = self.bytes = self.paragraphs = 0

    def __iter__(self) -> Iterator[str]:
        for text in self._texts:
            self.documents += 1
            self.bytes += len(text.encode("utf-8"))
            self.paragraphs += _count_paragraphs(text)
            yield text

    def stats(self) -> dict:
        return {"documents": self.documents, "mb": self.bytes / MB, "paragraphs": self.paragraphs}


def corpus_stats(corpus: str | Path, limit_mb: float | None = None) -> dict:
    """``{"documents", "mb", "paragraphs"}`` of (the first ``limit_mb`` MB of) a corpus."""
    counted = _Counted(iter_texts(corpus, limit_mb))
    for _ in counted:
        pass
    return counted.stats()


# --------------------------------------------------------------------------------------------
# Measuring subprocesses
# --------------------------------------------------------------------------------------------

def _maxrss_mb(value: int) -> float:
    """``ru_maxrss`` in MB: kilobytes on Linux and most systems, bytes on macOS."""
    return value / MB if sys.platform == "darwin" else value * 1024 / MB


def _own_peak_rss_mb() -> float | None:
    """This process's peak RSS: ``VmHWM`` (Linux; reset by exec) or ``ru_maxrss`` elsewhere."""
    with contextlib.suppress(OSError, ValueError, IndexError), \
            open("/proc/self/status", encoding="ascii", errors="replace") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / MB  # kB
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    return _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _children_peak_rss_mb() -> float:
    """Peak RSS of the largest waited-for child process (0 without any)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    return _maxrss_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def _record(mode: str, workers: int, stats: dict, seconds: float, peak_rss_mb: float | None,
            **extra) -> dict:
    """One result row; ``stats`` is :func:`corpus_stats`-shaped (documents, mb, paragraphs)."""
    seconds = max(seconds, 1e-9)
    return {"mode": mode, "workers": workers, "mb": stats["mb"], "seconds": seconds,
            "mb_per_s": stats["mb"] / seconds, "paragraphs_per_s": stats["paragraphs"] / seconds,
            "peak_rss_mb": peak_rss_mb, "documents": stats["documents"],
            "paragraphs": stats["paragraphs"], **extra}


def _load_peers():
    """:mod:`detector.peers` by file path (the package, with its model code, stays unimported)."""
    if __name__ != "_detector_bench_child":
        from . import peers

        return peers
    spec = importlib.util.spec_from_file_location("_detector_peers", _HERE / "peers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _child_main(job_path: str) -> None:
    """Body of a measuring subprocess: run the job described in ``job_path``, print a JSON record."""
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    counted = _Counted(iter_texts(job["corpus"], job.get("limit_mb")))
    if job["kind"] == "api":
        from detector.allocator import tune_malloc

        tune_malloc()  # as the README advises for a process that only cleans
        if job.get("detector_pickle"):
            with open(job["detector_pickle"], "rb") as fh:
                det = pickle.load(fh)  # written by our parent process a moment ago
        else:
            import detector as package

            det = package.load(job.get("model"))
        workers = int(job["workers"])
        start = time.perf_counter()
        for result in det.clean_many(counted, n_jobs=workers):
            result.text  # noqa: B018 - the cleaned text is the product
        seconds = time.perf_counter() - start
        mode, extra = "api", {}
    else:
        name = job["peer"]
        peer = _load_peers().PEERS[name]
        workers = 1
        start = time.perf_counter()
        for text in counted:
            paragraphs = text.split("\n")
            boiler = peer(paragraphs)
            _kept = "\n".join(p for p, b in zip(paragraphs, boiler.tolist()) if not b)
        seconds = time.perf_counter() - start
        mode, extra = f"peer:{name}", {"peer": name}
    own = _own_peak_rss_mb()
    rss = None if own is None else own + _children_peak_rss_mb()
    record = _record(mode, workers, counted.stats(), seconds, rss, **extra)
    sys.stdout.write("\n" + json.dumps(record) + "\n")


def _child_env() -> dict:
    """Environment for subprocesses: ours, with this package importable from a source checkout."""
    env = dict(os.environ)
    root = str(_HERE.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run_child(job: dict, detector=None) -> dict:
    """Run one measuring job in a fresh ``sys.executable`` and return its record."""
    with tempfile.TemporaryDirectory(prefix="detector-bench-") as tmp:
        job = dict(job)
        if detector is not None:
            job["detector_pickle"] = str(Path(tmp) / "detector.pkl")
            with open(job["detector_pickle"], "wb") as fh:
                pickle.dump(detector, fh, protocol=pickle.HIGHEST_PROTOCOL)
        job_path = Path(tmp) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        cmd = [sys.executable, "-c", _CHILD_CODE, str(_HERE / "bench.py"), str(job_path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env())
    what = f"{job['kind']} {job.get('peer') or ''} workers={job.get('workers', 1)}".replace("  ", " ")
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark run ({what}) failed with exit code {proc.returncode}:\n"
                           f"{_tail(proc.stderr)}")
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise RuntimeError(f"benchmark run ({what}) printed no result:\n{_tail(proc.stdout)}"
                           f"\n{_tail(proc.stderr)}") from None


# A fresh, small process that runs a command and reports its wall time and peak RSS. Started
# from this (possibly big) process, the command would inherit our RSS high-water mark across
# exec on Linux; started from the wrapper it inherits only the wrapper's few MB.
_WRAPPER_CODE = (
    "import json, resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "seconds = time.perf_counter() - start\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(json.dumps({'returncode': code, 'seconds': seconds, 'maxrss': rss}))\n"
)


def _run_measured(cmd: list[str]) -> tuple[float, int, float | None, str]:
    """Run ``cmd`` through the wrapper; return (wall seconds, exit code, peak RSS MB, stderr).

    The peak RSS is the wrapper's ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after the command
    ended: the largest single process of the command's process tree.
    """
    proc = subprocess.run([sys.executable, "-c", _WRAPPER_CODE, *cmd], capture_output=True,
                          text=True, env=_child_env())
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return 0.0, proc.returncode or 1, None, proc.stderr + proc.stdout
    return report["seconds"], report["returncode"], _maxrss_mb(report["maxrss"]), proc.stderr


# --------------------------------------------------------------------------------------------
# Benchmarks
# --------------------------------------------------------------------------------------------

def bench_api(corpus: str | Path, workers_list: Sequence[int] = (1, 2), detector=None,
              limit_mb: float | None = None) -> list[dict]:
    """Time ``Detector.clean_many(texts, n_jobs=w)`` over the corpus for each ``w``.

    ``detector``: None for the shipped model, a model file path, or a loaded
    :class:`~detector.Detector` (handed to the measuring process through a private temporary
    pickle). ``limit_mb``: only the first that many MB of text. Returns one record per ``w``:
    ``{"mode": "api", "workers", "mb", "seconds", "mb_per_s", "paragraphs_per_s",
    "peak_rss_mb", "documents", "paragraphs"}``.
    """
    corpus = str(Path(corpus).resolve())
    results = []
    for w in workers_list:
        job = {"kind": "api", "corpus": corpus, "limit_mb": limit_mb, "workers": int(w)}
        if isinstance(detector, (str, Path)):
            job["model"] = str(Path(detector).resolve())
            results.append(_run_child(job))
        else:
            results.append(_run_child(job, detector))
    return results


def _cli_cmd(corpus: str, out: str, workers: int, model: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "detector", "clean", corpus, "--field", "text", "-o", out,
           "--workers", str(workers), "--quiet"]
    return cmd + ["--model", model] if model else cmd


def cli_available() -> tuple[bool, str]:
    """Whether ``python -m detector clean --help`` works; (False, why) when it does not."""
    try:
        proc = subprocess.run([sys.executable, "-m", "detector", "clean", "--help"],
                              capture_output=True, text=True, env=_child_env(), timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"`python -m detector clean --help` could not run: {exc}"
    if proc.returncode != 0:
        return False, (f"`python -m detector clean --help` failed (exit code {proc.returncode}): "
                       f"{_tail(proc.stderr, 3) or _tail(proc.stdout, 3)}")
    return True, ""


def bench_cli(corpus: str | Path, workers_list: Sequence[int] = (1, 2),
              model: str | Path | None = None) -> list[dict]:
    """Time ``python -m detector clean CORPUS --field text -o OUT --workers W --quiet`` per ``W``.

    Wall-clock, interpreter start-up and model loading included; the output goes to a temporary
    file that is deleted afterwards. MB and paragraphs are those of the whole corpus. ``model``
    adds ``--model PATH``. Raises RuntimeError (with the CLI's stderr) when a run fails.
    """
    corpus = str(Path(corpus).resolve())
    model = str(Path(model).resolve()) if model else None
    stats = corpus_stats(corpus)
    results = []
    with tempfile.TemporaryDirectory(prefix="detector-bench-cli-") as tmp:
        for w in workers_list:
            out = str(Path(tmp) / f"cleaned-w{w}.jsonl")
            seconds, code, rss, stderr = _run_measured(_cli_cmd(corpus, out, int(w), model))
            if code != 0:
                raise RuntimeError(f"`python -m detector clean` with --workers {w} failed with exit "
                                   f"code {code}:\n{_tail(stderr)}")
            results.append(_record("cli", int(w), stats, seconds, rss))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(out)
    return results


def _justext_installed() -> bool:
    return importlib.util.find_spec("justext") is not None


def _stderr_log(message: str) -> None:
    print(message, file=sys.stderr)


def bench_peers(corpus: str | Path, limit_mb: float | None = DEFAULT_PEER_LIMIT_MB,
                peers: Sequence[str] | None = None,
                log: Callable[[str], None] | None = None) -> list[dict]:
    """Run each peer (default: all of :data:`detector.peers.PEERS`) single-process on the corpus.

    Each peer gets every text split on ``"\\n"`` (the very paragraphs the corpus was built from);
    ``limit_mb`` caps the text read (jusText is slow). A peer whose package is missing is skipped
    with a message to ``log`` (default: stderr). Records: ``mode`` ``"peer:NAME"``, ``peer``
    ``NAME``, ``workers`` 1, and the fields of :func:`bench_api`.
    """
    log = log or _stderr_log
    corpus = str(Path(corpus).resolve())
    names = list(peers) if peers is not None else list(PEER_NAMES)
    unknown = [n for n in names if n not in PEER_NAMES]
    if unknown:
        raise ValueError(f"unknown peer(s) {unknown}; known: {sorted(PEER_NAMES)}")
    results = []
    for name in names:
        if name == "justext" and not _justext_installed():
            log("skipping the jusText peer: jusText is not installed (pip install detector[peers])")
            continue
        results.append(_run_child({"kind": "peer", "peer": name, "corpus": corpus,
                                   "limit_mb": limit_mb, "workers": 1}))
    return results


def _api_one_worker(results: Sequence[dict]) -> dict | None:
    return next((r for r in results if r["mode"] == "api" and r["workers"] == 1), None)


def _ratio(ours: dict | None, peer: dict) -> float | None:
    if ours is None or not peer.get("mb_per_s"):
        return None
    return ours["mb_per_s"] / peer["mb_per_s"]


def bench(corpus: str | Path, workers_list: Sequence[int] = (1, 2), *, limit_mb: float | None = None,
          peer_limit_mb: float | None = DEFAULT_PEER_LIMIT_MB, peers: Sequence[str] | None = None,
          cli: bool = True, detector=None, log: Callable[[str], None] | None = None) -> list[dict]:
    """Everything: :func:`bench_api`, :func:`bench_cli` (when the CLI is there and ``cli``) and
    :func:`bench_peers`. Each peer record gets ``ratio`` = the 1-worker API's MB/s divided by the
    peer's MB/s (None without a 1-worker API run). Skipped parts are reported to ``log``.
    ``detector`` is as for :func:`bench_api`; the CLI runs get ``--model`` with its file.
    """
    log = log or _stderr_log
    results = bench_api(corpus, workers_list, detector=detector, limit_mb=limit_mb)
    if cli:
        ok, why = cli_available()
        if ok:
            # the CLI can only be given a model file: a loaded Detector's own file, if it has one
            model = detector if isinstance(detector, (str, Path)) else getattr(detector, "path", None)
            results += bench_cli(corpus, workers_list, model=model)
        else:
            log(f"skipping the CLI benchmark: {why}")
    peer_results = bench_peers(corpus, limit_mb=peer_limit_mb, peers=peers, log=log)
    ours = _api_one_worker(results)
    for r in peer_results:
        r["ratio"] = _ratio(ours, r)
    return results + peer_results


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _speedups(results: Sequence[dict], mode: str) -> list[tuple[int, float]]:
    runs = {r["workers"]: r for r in results if r["mode"] == mode}
    base = runs.get(1)
    if not base or not base["mb_per_s"]:
        return []
    return [(w, runs[w]["mb_per_s"] / base["mb_per_s"]) for w in sorted(runs) if w != 1]


def format_report(results: Sequence[dict]) -> str:
    """A plain aligned table of the runs, then the peer ratios and multi-worker speed-ups."""
    header = ("mode", "workers", "MB", "s", "MB/s", "paragraphs/s", "peak RSS MB")
    rows = [(r["mode"], str(r["workers"]), _fmt(r["mb"], ".2f"), _fmt(r["seconds"], ".2f"),
             _fmt(r["mb_per_s"], ".2f"), _fmt(r["paragraphs_per_s"], ",.0f"),
             _fmt(r.get("peak_rss_mb"), ".0f")) for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *map(line, rows)]
    ours = _api_one_worker(results)
    ratios = []
    for r in results:
        if not r["mode"].startswith("peer:"):
            continue
        ratio = r.get("ratio") if r.get("ratio") is not None else _ratio(ours, r)
        if ratio is not None:
            name = r.get("peer") or r["mode"].removeprefix("peer:")
            ratios.append(f"{ratio:.1f}x {PEER_NAMES.get(name, name)}")
    out.append("")
    if ratios:
        out.append("detector (1 worker) is " + ", ".join(ratios))
    for mode, label in (("api", "speed-up"), ("cli", "CLI speed-up")):
        for w, s in _speedups(results, mode):
            out.append(f"{label} 1 -> {w} workers: {s:.2f}x")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m detector.bench",
        description="Throughput of the detector (API and CLI) against C4 line rules and jusText.")
    p.add_argument("--corpus", help="JSONL(.gz) corpus with a 'text' field; built there with "
                   "--size-mb if it does not exist (default: a temporary corpus)")
    p.add_argument("--size-mb", type=float, default=50.0, help="size of a corpus to build (50)")
    p.add_argument("--labels", default="labels", help="labelled JSONL to build it from (labels)")
    p.add_argument("--seed", type=int, default=0, help="shuffling seed (0)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], metavar="N",
                   help="worker counts to run (1 2)")
    p.add_argument("--limit-mb", type=float, default=None,
                   help="API runs: only the first this many MB of text (default: all)")
    p.add_argument("--peer-limit-mb", type=float, default=DEFAULT_PEER_LIMIT_MB,
                   help=f"peer runs: only the first this many MB (default {DEFAULT_PEER_LIMIT_MB:g})")
    p.add_argument("--peers", nargs="*", choices=sorted(PEER_NAMES), default=None,
                   help="peers to run (default: all; none with an empty list)")
    p.add_argument("--no-cli", action="store_true", help="skip the CLI runs")
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH "
                   "('-': print JSON instead of the table)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if any(w < 1 for w in args.workers):
        _parser().error("--workers takes counts of 1 or more")
    with tempfile.TemporaryDirectory(prefix="detector-bench-corpus-") as tmp:
        corpus = Path(args.corpus) if args.corpus else Path(tmp) / "corpus.jsonl"
        try:
            if not corpus.exists():
                _stderr_log(f"building a {args.size_mb:g} MB corpus at {corpus} ...")
                build_corpus(corpus, args.size_mb, args.labels, args.seed)
            results = bench(corpus, args.workers, limit_mb=args.limit_mb,
                            peer_limit_mb=args.peer_limit_mb, peers=args.peers,
                            cli=not args.no_cli, detector=args.model)
        except (OSError, ValueError, RuntimeError) as exc:
            _stderr_log(f"error: {exc}")
            return 1
    if args.json == "-":
        print(json.dumps(results, indent=2))
        return 0
    print(format_report(results), end="")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
