#!/usr/bin/env python3
"""The rebuild's counts (crates/registry/src/feed/counts.rs counts them in hash maps) written as
grouped queries in DuckDB, over the CSV files written by `dancu export DIR`, for the comparison in
docs/PERFORMANCE.md.

    python3 bench/analytics_duckdb.py DIR [--threads N]

Prints the time to load the CSV files into DuckDB tables (and to write them as Parquet), and the
time of each aggregate query on the tables and on the Parquet files.
"""
import argparse
import os
import time

import duckdb

QUERIES = {
    "residents by profile": """
        SELECT current_commune, COALESCE(substr(birth_date, 1, 4), ''), COALESCE(gender, ''),
               COALESCE(ethnicity, ''), COALESCE(religion, ''), COUNT(*)
        FROM persons WHERE status = 'living' AND current_commune IS NOT NULL GROUP BY ALL""",
    "births and deaths": """
        SELECT current_commune,
               CASE WHEN length(birth_date) >= 7 THEN substr(birth_date, 1, 7) ELSE '' END AS bm,
               CASE WHEN status = 'deceased' AND length(death_date) >= 7 THEN substr(death_date, 1, 7) ELSE '' END AS dm,
               COUNT(*)
        FROM persons WHERE current_commune IS NOT NULL
          AND (length(birth_date) >= 7 OR (status = 'deceased' AND length(death_date) >= 7)) GROUP BY ALL""",
    "households by size": """
        SELECT h.commune_code, s.n, COUNT(*) FROM (SELECT household_id, COUNT(*) AS n FROM persons
          WHERE status = 'living' AND household_id IS NOT NULL GROUP BY household_id) s
        JOIN households h ON h.id = s.household_id GROUP BY ALL""",
    "residence moves": """
        SELECT p.commune_code, n.commune_code, substr(n.start_date, 1, 7), COUNT(*) FROM residences p
        JOIN residences n ON n.personal_id = p.personal_id AND n.start_date = p.end_date
        WHERE p.kind = 'permanent' AND n.kind = 'permanent' AND p.end_date IS NOT NULL
          AND p.commune_code <> n.commune_code GROUP BY ALL""",
    "temporary residence": """
        SELECT t.commune_code, p.commune_code, COUNT(*) FROM residences t
        JOIN persons x ON x.personal_id = t.personal_id AND x.status = 'living'
        LEFT JOIN residences p ON p.personal_id = t.personal_id AND p.kind = 'permanent' AND p.end_date IS NULL
        WHERE t.kind = 'temporary' AND t.end_date IS NULL GROUP BY ALL""",
}

TABLES = ["persons", "households", "residences"]


def run_queries(con, label):
    total = 0.0
    for name, sql in QUERIES.items():
        start = time.perf_counter()
        rows = con.execute(sql).fetchall()
        secs = time.perf_counter() - start
        total += secs
        print(f"  {label:8} {name:22} {secs:7.2f} s  ({len(rows)} groups)")
    print(f"  {label:8} {'all five':22} {total:7.2f} s")
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    print(f"duckdb {duckdb.__version__}, {a.threads} threads, data in {a.dir}")
    start = time.perf_counter()
    for t in TABLES:
        path = os.path.join(a.dir, f"{t}.csv")
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_csv('{path}', all_varchar = true, header = true)")
    print(f"  load CSV into tables: {time.perf_counter() - start:.1f} s")
    run_queries(con, "tables")
    start = time.perf_counter()
    for t in TABLES:
        con.execute(f"COPY {t} TO '{os.path.join(a.dir, t)}.parquet' (FORMAT parquet)")
    print(f"  write Parquet: {time.perf_counter() - start:.1f} s")
    pq = duckdb.connect()
    pq.execute(f"SET threads = {a.threads}")
    for t in TABLES:
        pq.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{os.path.join(a.dir, t)}.parquet')")
    run_queries(pq, "parquet")


if __name__ == "__main__":
    main()
