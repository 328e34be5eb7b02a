"""Do scalar indexes speed up the filtered lookups qa makes in Milvus?

qa's Milvus store filters scalar fields in every request: paragraphs by primary key (`id in [...]`),
by `article_id` and write `token`, `searchable`, `date`; wire-copy bands by `band in [...]`. This
script builds two collections shaped like qa's (`bands`: one row per band; `paragraphs`: one row
per paragraph, here with a 16-value ARRAY of its bands as well), times those lookups, then asks the
engine for scalar indexes on the filtered fields (INVERTED, and the other Milvus scalar index types
on a small collection, to record which the engine accepts), shows what `list_indexes` /
`describe_index` report, and times the same lookups again.

    .venv/bin/python bench/milvus_scalar_index.py --rows 200000                       # Milvus Lite (in process)
    .venv/bin/python bench/milvus_scalar_index.py --rows 200000 --index http://127.0.0.1:19633   # a server

The default address is a fresh Milvus Lite file in the temporary folder; any `milvus:PATH.db` or
`http(s)://HOST:PORT` is used as given (its `bench_*` collections are dropped first).
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time

import _common  # noqa: E402,F401 - first: puts the repository on sys.path

from qa.index.milvus_client import connect  # noqa: E402

BANDS_PER_PARAGRAPH = 16
PARAGRAPHS_PER_ARTICLE = 20
LOOKUP = BANDS_PER_PARAGRAPH * PARAGRAPHS_PER_ARTICLE  # 320 values: one article's bands, or 320 paragraph ids
DUMMY = [0.0, 0.0]


def outcome(fn) -> str:
    try:
        fn()
        return "accepted"
    except Exception as exc:  # noqa: BLE001 - the engine's refusal is the answer recorded
        return "refused: " + " ".join(str(exc).split())[:150]


def acceptance(client) -> list[tuple[str, str, str]]:
    """Which (field type, index type) pairs the engine accepts, on a small collection."""
    from pymilvus import DataType

    name = "bench_accept"
    fields = {"pk_int": DataType.INT64, "int": DataType.INT64, "varchar": DataType.VARCHAR, "bool": DataType.BOOL,
              "array": DataType.ARRAY}
    out = []
    for index_type in ("INVERTED", "STL_SORT", "Trie", "BITMAP"):
        if client.has_collection(name):
            client.drop_collection(name)
        schema = client.create_schema(auto_id=False)
        schema.add_field("pk_int", DataType.INT64, is_primary=True)
        schema.add_field("int", DataType.INT64)
        schema.add_field("varchar", DataType.VARCHAR, max_length=100)
        schema.add_field("bool", DataType.BOOL)
        schema.add_field("array", DataType.ARRAY, element_type=DataType.INT64, max_capacity=BANDS_PER_PARAGRAPH)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
        index = client.prepare_index_params()
        index.add_index(field_name="v", index_type="FLAT", metric_type="L2")
        client.create_collection(name, schema=schema, index_params=index)
        client.insert(name, [{"pk_int": i, "int": i % 7, "varchar": f"s{i}", "bool": i % 2 == 0, "array": [i, i + 1],
                              "v": DUMMY} for i in range(100)])
        for field, kind in fields.items():
            def create(field=field):
                params = client.prepare_index_params()
                params.add_index(field_name=field, index_type=index_type)
                client.create_index(name, params)
            result = outcome(create)
            if result == "accepted":
                listed = client.list_indexes(name, field_name=field)
                result += f" (list_indexes: {listed})"
            out.append((kind.name + (" primary key" if field.startswith("pk") else ""), index_type, result))
    client.drop_collection(name)
    return out


def build(client, rows: int, seed: int) -> dict:
    """The two collections, filled the way qa fills them (batches of 1,000 rows); what lookups need."""
    from pymilvus import DataType

    rng = random.Random(seed)
    for name in ("bench_bands", "bench_paragraphs"):
        if client.has_collection(name):
            client.drop_collection(name)
    schema = client.create_schema(auto_id=True)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    schema.add_field("band", DataType.INT64)
    schema.add_field("paragraph_id", DataType.INT64)
    schema.add_field("article_id", DataType.VARCHAR, max_length=65535)
    schema.add_field("token", DataType.VARCHAR, max_length=65535)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index(field_name="v", index_type="FLAT", metric_type="L2")
    client.create_collection("bench_bands", schema=schema, index_params=index, consistency_level="Strong")

    schema = client.create_schema(auto_id=True)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("article_id", DataType.VARCHAR, max_length=65535)
    schema.add_field("token", DataType.VARCHAR, max_length=65535)
    schema.add_field("date", DataType.VARCHAR, max_length=65535)
    schema.add_field("searchable", DataType.BOOL)
    schema.add_field("bands", DataType.ARRAY, element_type=DataType.INT64, max_capacity=BANDS_PER_PARAGRAPH)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index(field_name="v", index_type="FLAT", metric_type="L2")
    client.create_collection("bench_paragraphs", schema=schema, index_params=index, consistency_level="Strong")

    band_values: list[list[int]] = []  # per article
    paragraph_ids: list[int] = []
    started = time.perf_counter()
    batch: list[dict] = []
    for n in range(rows):
        article = n // PARAGRAPHS_PER_ARTICLE
        if n % PARAGRAPHS_PER_ARTICLE == 0:
            band_values.append([])
        bands = [rng.getrandbits(63) for _ in range(BANDS_PER_PARAGRAPH)]
        band_values[-1].extend(bands)
        day = 1 + article % 28
        batch.append({"article_id": f"a{article}", "token": f"t{article}", "date": f"2024-{1 + article % 12:02d}-{day:02d}",
                      "searchable": n % 10 != 0, "bands": bands, "v": DUMMY})
        if len(batch) == 1000 or n == rows - 1:
            paragraph_ids += [int(i) for i in client.insert("bench_paragraphs", batch)["ids"]]
            batch = []
    paragraphs_s = time.perf_counter() - started
    started = time.perf_counter()
    n = 0
    for article, values in enumerate(band_values):
        for value in values:
            batch.append({"band": value, "paragraph_id": n // BANDS_PER_PARAGRAPH, "article_id": f"a{article}",
                          "token": f"t{article}", "v": DUMMY})
            n += 1
            if len(batch) == 1000 or n >= rows:
                client.insert("bench_bands", batch)
                batch = []
            if n >= rows:
                break
        if n >= rows:
            break
    bands_s = time.perf_counter() - started
    return {"band_values": band_values[: rows // LOOKUP], "paragraph_ids": paragraph_ids,
            "articles": len(band_values), "build": f"paragraphs {paragraphs_s:.0f} s, bands {bands_s:.0f} s"}


def lookups(data: dict, rng: random.Random) -> dict[str, tuple[str, str]]:
    """qa's lookups (collection, filter), with fresh values each time they are drawn."""
    article = rng.randrange(len(data["band_values"]))
    present = data["band_values"][article]
    absent = [rng.getrandbits(63) for _ in range(LOOKUP)]
    ids = rng.sample(data["paragraph_ids"], LOOKUP)
    other = rng.randrange(len(data["band_values"]))  # an article with rows in both collections
    month = 1 + other % 12  # its month
    return {
        "bands: band in [320 present] and article_id != (wire-copy lookup)":
            ("bench_bands", f"(band in {present}) and (article_id != \"a{other}\")"),
        "bands: band in [320 absent]": ("bench_bands", f"band in {absent}"),
        "bands: article_id == and token != (replaced rows)":
            ("bench_bands", f"(article_id == \"a{other}\") and (token != \"x\")"),
        "paragraphs: id in [320] (primary key)": ("bench_paragraphs", f"id in {ids}"),
        "paragraphs: article_id == and token !=": ("bench_paragraphs", f"(article_id == \"a{other}\") and (token != \"x\")"),
        "paragraphs: searchable and date in one month":
            ("bench_paragraphs", f"(searchable == true) and (date >= \"2024-{month:02d}-01\") and "
                                 f"(date <= \"2024-{month:02d}-31\") and (article_id == \"a{other}\")"),
        "paragraphs: array_contains_any(bands, [320 present])":
            ("bench_paragraphs", f"array_contains_any(bands, {present})"),
    }


def time_lookups(client, data: dict, runs: int, seed: int) -> dict[str, tuple[float, float, int]]:
    """Median and max milliseconds of each lookup over `runs` draws, and the rows the last returned."""
    rng = random.Random(seed)
    draws = [lookups(data, rng) for _ in range(runs)]
    out = {}
    for label in draws[0]:
        times, found = [], 0
        for draw in draws:
            collection, expression = draw[label]
            started = time.perf_counter()
            found = len(client.query(collection, filter=expression, output_fields=["article_id"], limit=16384))
            times.append((time.perf_counter() - started) * 1000)
        out[label] = (statistics.median(times), max(times), found)
    return out


INDEXED = {"bench_bands": ["band", "article_id", "token"],
           "bench_paragraphs": ["id", "article_id", "token", "date", "searchable", "bands"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", help="milvus:PATH.db or http(s)://HOST:PORT (default: Milvus Lite in a temp file)")
    parser.add_argument("--rows", type=int, default=200_000, help="rows in each collection (default 200,000)")
    parser.add_argument("--runs", type=int, default=15, help="draws of each lookup (default 15)")
    parser.add_argument("--flush", action="store_true", help="flush the collections before timing (qa never does)")
    parser.add_argument("--keep", action="store_true", help="leave the collections in place")
    args = parser.parse_args()
    temp = None
    if args.index is None:
        temp = tempfile.TemporaryDirectory()
        args.index = f"milvus:{temp.name}/bench.db"
    client = connect(args.index)
    import pymilvus

    print(f"engine at {args.index}; pymilvus {pymilvus.__version__}; {args.rows:,} rows per collection")
    print("\n| field type | index type | create_index |\n|---|---|---|")
    for kind, index_type, result in acceptance(client):
        print(f"| {kind} | {index_type} | {result} |")

    data = build(client, args.rows, seed=1)
    print(f"\nbuilt in: {data['build']}")
    if args.flush:
        for name in INDEXED:
            client.flush(name)
    before = time_lookups(client, data, args.runs, seed=2)

    print("\nINVERTED indexes asked for:")
    for name, fields in INDEXED.items():
        for field in fields:
            def create(name=name, field=field):
                params = client.prepare_index_params()
                params.add_index(field_name=field, index_type="INVERTED")
                client.create_index(name, params)
            started = time.perf_counter()
            result = outcome(create)
            print(f"  {name}.{field}: {result} ({time.perf_counter() - started:.1f} s)")
        for index_name in client.list_indexes(name):
            d = client.describe_index(name, index_name)
            print(f"    describe_index {index_name}: type {d.get('index_type')}, state {d.get('state')}, "
                  f"indexed_rows {d.get('indexed_rows')} of {d.get('total_rows')}, pending {d.get('pending_index_rows')}")
    for name in INDEXED:  # a server builds indexes on sealed segments: give it the chance (qa does not wait either)
        client.load_collection(name)
    time.sleep(5)
    after = time_lookups(client, data, args.runs, seed=2)

    print(f"\n| lookup ({args.runs} draws) | rows returned | before: median / max ms | after INVERTED: median / max ms |")
    print("|---|---|---|---|")
    for label, (median, worst, found) in before.items():
        a_median, a_worst, a_found = after[label]
        print(f"| {label} | {found} / {a_found} | {median:.1f} / {worst:.1f} | {a_median:.1f} / {a_worst:.1f} |")
    if not args.keep:
        for name in INDEXED:
            client.drop_collection(name)
    client.close()
    if temp is not None:
        temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
