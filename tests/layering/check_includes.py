#!/usr/bin/env python3
"""Enforces the folder layering that exporter/CMakeLists.txt declares.

Usage: check_includes.py [REPO_ROOT]

Each folder of exporter/ is a CMake library declared with
    kci_library(kci_<folder> SOURCES ... PUBLIC <deps> PRIVATE <deps>)
This check maps every `#include "exporter/<folder>/..."` to those declarations and fails on
- an include of a folder the including folder does not declare,
- a folder declared but never included (the declaration says more than the code uses),
- a folder a header includes declared PRIVATE (users of the header need it: PUBLIC),
- a folder declared PUBLIC that no header includes (PRIVATE would do),
- a cycle among the folders,
- a .cpp file of a folder missing from its SOURCES, or a listed source that does not exist,
- a unit test under tests/unit/<folder>/ including a folder its library cannot reach.
It prints one line per problem and exits 1, or prints the layering and exits 0.
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
INCLUDE = re.compile(r'^\s*#\s*include\s+"exporter/([A-Za-z0-9_]+)/', re.M)
CALL = re.compile(r"kci_library\((kci_[a-z0-9_]+)(.*?)\)\s*$", re.S | re.M)


def parse_libraries(cmake_text):
    """{folder: {"sources": [...], "public": set(folders), "private": set(folders)}}"""
    cmake_text = re.sub(r"#[^\n]*", "", cmake_text)
    libraries = {}
    for match in re.finditer(r"kci_library\((kci_[a-z0-9_]+)\s(.*?)\)", cmake_text, re.S):
        folder = match.group(1)[len("kci_"):]
        words = match.group(2).split()
        section, parsed = None, {"SOURCES": [], "PUBLIC": [], "PRIVATE": []}
        for word in words:
            if word in parsed:
                section = word
            elif section:
                parsed[section].append(word)
        libraries[folder] = {
            "sources": parsed["SOURCES"],
            "public": {w[len("kci_"):] for w in parsed["PUBLIC"] if w.startswith("kci_")},
            "private": {w[len("kci_"):] for w in parsed["PRIVATE"] if w.startswith("kci_")},
        }
    return libraries


def included_folders(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return set(INCLUDE.findall(f.read()))


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def closure(graph, start):
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(graph.get(node, ()))
    return seen


def main():
    exporter = os.path.join(ROOT, "exporter")
    with open(os.path.join(exporter, "CMakeLists.txt"), encoding="utf-8") as f:
        libraries = parse_libraries(f.read())
    problems, includes_checked = [], 0
    graph = {folder: lib["public"] | lib["private"] for folder, lib in libraries.items()}

    folders = sorted(d for d in os.listdir(exporter) if os.path.isdir(os.path.join(exporter, d)))
    for folder in folders:
        if folder not in libraries:
            problems.append(f"exporter/{folder}/: no kci_library(kci_{folder} ...) declares it")
            continue
        lib = libraries[folder]
        header_uses, source_uses = set(), set()
        files = sorted(os.listdir(os.path.join(exporter, folder)))
        for name in files:
            path = os.path.join(exporter, folder, name)
            if not name.endswith((".hpp", ".cpp")):
                continue
            used = included_folders(path) - {folder}
            includes_checked += len(used)
            (header_uses if name.endswith(".hpp") else source_uses).update(used)
            for dep in sorted(used - graph[folder]):
                problems.append(f"exporter/{folder}/{name} includes exporter/{dep}/ but "
                                f"kci_{folder} does not declare kci_{dep}")
            if name.endswith(".cpp") and f"{folder}/{name}" not in lib["sources"]:
                problems.append(f"exporter/{folder}/{name} is not in kci_{folder}'s SOURCES")
        for source in lib["sources"]:
            if not os.path.exists(os.path.join(exporter, source)):
                problems.append(f"kci_{folder} lists {source}, which does not exist")
        for dep in sorted(graph[folder] - header_uses - source_uses):
            problems.append(f"kci_{folder} declares kci_{dep} but no file of exporter/{folder}/ "
                            f"includes exporter/{dep}/")
        for dep in sorted(header_uses & lib["private"]):
            problems.append(f"kci_{folder} declares kci_{dep} PRIVATE but a header of "
                            f"exporter/{folder}/ includes exporter/{dep}/ (make it PUBLIC)")
        for dep in sorted(lib["public"] - header_uses):
            if dep in source_uses:
                problems.append(f"kci_{folder} declares kci_{dep} PUBLIC but only .cpp files "
                                f"include exporter/{dep}/ (make it PRIVATE)")

    cycle = find_cycle(graph)
    if cycle:
        problems.append("cycle: " + " -> ".join(cycle))

    unit = os.path.join(ROOT, "tests", "unit")
    for folder in sorted(os.listdir(unit)):
        test_dir = os.path.join(unit, folder)
        if not os.path.isdir(test_dir) or folder not in libraries:
            continue
        reachable = closure(graph, folder)
        for name in sorted(os.listdir(test_dir)):
            if not name.endswith((".hpp", ".cpp")):
                continue
            used = included_folders(os.path.join(test_dir, name))
            includes_checked += len(used)
            for dep in sorted(used - reachable):
                problems.append(f"tests/unit/{folder}/{name} includes exporter/{dep}/, which "
                                f"kci_{folder} does not reach (move the test up a layer)")

    for problem in problems:
        print(f"layering: {problem}")
    if problems:
        print(f"layering: {len(problems)} problem(s)")
        return 1
    order = []
    for folder in sorted(graph, key=lambda f: (len(closure(graph, f)), f)):
        deps = sorted(graph[folder])
        order.append(f"  {folder:<10} -> {', '.join(deps) if deps else '(packages only)'}")
    print("layering: ok: no cycle; every folder declares exactly the folders it includes "
          f"({len(folders)} folders, {includes_checked} folder includes checked)")
    print("\n".join(order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
