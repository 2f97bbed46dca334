#!/usr/bin/env python3
"""Replaces the section of a Markdown file between `<!-- NAME begin -->` and `<!-- NAME end -->`
(appending it when absent), so scripts that measure one thing each can share BENCHMARKS.md.

Usage: splice.py FILE NAME TEXT
"""
import sys

file, name, text = sys.argv[1:4]
begin, end = f"<!-- {name} begin -->", f"<!-- {name} end -->"
try:
    content = open(file, encoding="utf-8").read()
except FileNotFoundError:
    content = ""
block = f"{begin}\n{text.strip()}\n{end}"
if begin in content and end in content:
    head, rest = content.split(begin, 1)
    _, tail = rest.split(end, 1)
    content = head + block + tail
else:
    content = content.rstrip() + "\n\n" + block + "\n"
open(file, "w", encoding="utf-8").write(content)
