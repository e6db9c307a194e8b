#!/usr/bin/python3
"""Validates telltale's JSON lines against docs/schema/<type>.schema.json.

usage: validate.py [--gaps] FILE...

Every line must be one JSON object of a known type that its schema accepts,
and `seq` must count up by one per stream within each file, from the first
line seen (alerts form the alert stream; metrics, host and agent lines the
metrics stream). With --gaps, seq may skip forward (lines the agent counted
as dropped); the summary then says how many numbers were skipped per stream. Exit 0 when every line passes, 1 otherwise, printing each
problem with its file and line number.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator

try:  # jsonschema 4.18 on; RefResolver, before it, is deprecated there
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012
except ImportError:
    Registry = None

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "schema")
TYPES = ("metrics", "host", "alert", "agent")


def load_validators():
    store = {}
    for name in os.listdir(SCHEMA_DIR):
        if name.endswith(".schema.json"):
            with open(os.path.join(SCHEMA_DIR, name)) as f:
                doc = json.load(f)
            store[doc["$id"]] = doc
    validators = {}
    for t in TYPES:
        doc = store[t + ".schema.json"]
        Draft202012Validator.check_schema(doc)
        if Registry:
            registry = Registry().with_resources(
                (uri, DRAFT202012.create_resource(d)) for uri, d in store.items())
            validators[t] = Draft202012Validator(doc, registry=registry)
        else:  # Debian 12's python3-jsonschema (4.10)
            from jsonschema import RefResolver
            resolver = RefResolver(base_uri=doc["$id"], referrer=doc, store=store)
            validators[t] = Draft202012Validator(doc, resolver=resolver)
    return validators


def check_file(path, validators, allow_gaps):
    problems = 0
    last_seq = {}
    gaps = {}
    counts = {}
    with open(path, "rb") as f:
        for no, raw in enumerate(f, 1):
            where = "%s:%d" % (path, no)
            if not raw.endswith(b"\n"):
                print("%s: line not terminated (torn write?)" % where)
                problems += 1
                continue
            try:
                line = json.loads(raw)
            except ValueError as e:
                print("%s: not JSON: %s" % (where, e))
                problems += 1
                continue
            kind = line.get("type") if isinstance(line, dict) else None
            if kind not in validators:
                print("%s: unknown line type %r" % (where, kind))
                problems += 1
                continue
            for err in validators[kind].iter_errors(line):
                print("%s: %s at %s" % (where, err.message, "/".join(map(str, err.path)) or "top"))
                problems += 1
            stream = "alerts" if kind == "alert" else "metrics"
            seq = line.get("seq")
            if isinstance(seq, int):
                if stream in last_seq and seq != last_seq[stream] + 1:
                    if allow_gaps and seq > last_seq[stream]:
                        gaps[stream] = gaps.get(stream, 0) + seq - last_seq[stream] - 1
                    else:
                        print("%s: %s seq %d follows %d" % (where, stream, seq, last_seq[stream]))
                        problems += 1
                last_seq[stream] = seq
            counts[kind] = counts.get(kind, 0) + 1
    summary = ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items()))
    if allow_gaps:
        summary += "; gaps %s" % json.dumps(gaps, sort_keys=True)
    print("%s: %s; %d problems" % (path, summary or "no lines", problems))
    return problems


def main():
    args = sys.argv[1:]
    allow_gaps = bool(args) and args[0] == "--gaps"
    if allow_gaps:
        args = args[1:]
    if not args:
        print(__doc__)
        return 2
    validators = load_validators()
    return 1 if sum(check_file(p, validators, allow_gaps) for p in args) else 0


if __name__ == "__main__":
    sys.exit(main())
