"""JSON codecs on a large account, in this process (issue 27: which codec the JSON account file
is read and written with): the standard library's json, msgspec and orjson, side by side, on
the same synthetic account (generate.py), each operation interleaved with the others, best of
N, its result kept until the round ends (no freeing timed), the cycle collector off as in
extadmin.

    python benchmarks/codecs.py [--size 100000] [--shape half] [--repeat 5]

orjson is not a dependency of extadmin: `pip install orjson` into the environment to see it
(its rows are left out otherwise).

- decode: the whole file into dicts; msgspec typed: into the dicts of storage/decoder.py's
  types (the fields, types, choices and lengths of storage/schema.py's specs checked in C).
- encode: the extensions into the file's layout (one a line, `, ` and `: ` between values):
  the standard library's C encoder an item at a time (extadmin before issue 27), msgspec's
  encoder laid out by msgspec.json.format (extadmin since); orjson and msgspec alone give
  compact JSON (`,` and `:`), another file, for the cost of the encoder itself.
- read and check: what a read of unseen content costs, json.loads and schema.check_document
  (before issue 27) against storage/decoder.py (since).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from generate import SHAPES, write  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--shape", default="half", choices=SHAPES)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    gc.disable()

    import msgspec

    from extadmin.storage import codec, decoder, schema

    try:
        import orjson  # type: ignore[import-not-found]
    except ImportError:
        orjson = None
    with tempfile.TemporaryDirectory() as folder:
        path = write(args.size, Path(folder) / "account.json", args.shape)
        data = path.read_bytes()
    doc = json.loads(data)
    exts = doc["extensions"]
    sep = ",\n    "
    stdlib_item = codec._item_encoder(False)
    typed = decoder._decoders()[1]
    raw = msgspec.json.decode(data, type=dict[str, msgspec.Raw])["extensions"]

    def typed_decode() -> Any:
        return typed.decode(bytes(raw))

    cases: dict[str, dict[str, Callable[[], Any]]] = {
        "decode the file": {
            "json.loads": lambda: json.loads(data),
            "msgspec": lambda: msgspec.json.decode(data),
            "msgspec typed": typed_decode,
        },
        "encode the extensions, the file's layout": {
            "json (C encoder an item)": lambda: sep.join(map(stdlib_item, exts)).encode(),
            "msgspec + format": lambda: b"".join(codec._items(exts, sep.encode())),
        },
        "encode the extensions, compact": {
            "json.dumps": lambda: json.dumps(exts, ensure_ascii=False, separators=(",", ":")),
            "msgspec": lambda: msgspec.json.encode(exts),
        },
        "read and check unseen content": {
            "json + check_document": lambda: schema.check_document(path, json.loads(data)),
            "decoder": lambda: decoder._load(path, data, None),
        },
    }
    if orjson is not None:
        cases["decode the file"]["orjson"] = lambda: orjson.loads(data)
        cases["encode the extensions, compact"]["orjson"] = lambda: orjson.dumps(exts)
        cases["encode the extensions, the file's layout"]["orjson an item + join"] = lambda: (
            sep.encode().join(map(orjson.dumps, exts))  # compact items: another layout
        )
    print(
        f"{args.size} extensions, shape {args.shape}, {len(data) / 2**20:.1f} MiB; best of "
        f"{args.repeat}, interleaved; ratio: to the first line of each block"
        + ("" if orjson else " (orjson not installed)")
    )
    for title, variants in cases.items():
        best = dict.fromkeys(variants, float("inf"))
        for _ in range(args.repeat):
            kept = []
            for name, run in variants.items():
                start = time.perf_counter()
                kept.append(run())
                best[name] = min(best[name], time.perf_counter() - start)
            del kept
        first = next(iter(best.values()))
        print(title)
        for name, seconds in best.items():
            print(f"  {name:<34} {seconds * 1000:8.1f} ms  {seconds / first:5.2f}x")


if __name__ == "__main__":
    main()
