#!/usr/bin/env python3
"""check_includes.py passes on this repository and fails on each kind of layering mistake.

Each case lays out a small tree (exporter/CMakeLists.txt with kci_library calls, a few sources,
tests/unit/) in a temporary folder, runs the checker on it and asserts its exit code and the
problem line it prints. Prints `N passed, N failed`.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_includes.py")
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

GOOD_CMAKE = """
kci_library(kci_util SOURCES util/a.cpp PUBLIC spdlog::spdlog)
kci_library(kci_http SOURCES http/b.cpp PUBLIC kci_util)
kci_library(kci_app SOURCES app/c.cpp PUBLIC kci_http PRIVATE kci_util)
"""
GOOD_FILES = {
    "exporter/util/a.hpp": "#pragma once\n",
    "exporter/util/a.cpp": '#include "exporter/util/a.hpp"\n',
    "exporter/http/b.hpp": '#pragma once\n#include "exporter/util/a.hpp"\n',
    "exporter/http/b.cpp": '#include "exporter/http/b.hpp"\n',
    "exporter/app/c.hpp": '#pragma once\n#include "exporter/http/b.hpp"\n',
    "exporter/app/c.cpp": '#include "exporter/app/c.hpp"\n#include "exporter/util/a.hpp"\n',
    "tests/unit/http/test_b.cpp": '#include "exporter/http/b.hpp"\n#include "exporter/util/a.hpp"\n',
}


def run_on(cmake, files):
    with tempfile.TemporaryDirectory() as root:
        for path, text in files.items():
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
        with open(os.path.join(root, "exporter", "CMakeLists.txt"), "w", encoding="utf-8") as f:
            f.write(cmake)
        done = subprocess.run([sys.executable, CHECKER, root], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
        return done.returncode, done.stdout


def with_changes(**changes):
    files = dict(GOOD_FILES)
    files.update(changes)
    return files


CASES = [
    ("this repository passes", None, None, 0, "layering: ok"),
    ("a well-declared tree passes", GOOD_CMAKE, GOOD_FILES, 0, "layering: ok"),
    ("an include of an undeclared folder fails", GOOD_CMAKE.replace(
        "kci_library(kci_http SOURCES http/b.cpp PUBLIC kci_util)",
        "kci_library(kci_http SOURCES http/b.cpp PUBLIC kci_util)\n"
        "kci_library(kci_config SOURCES)"),
     with_changes(**{"exporter/config/x.hpp": "#pragma once\n",
                     "exporter/http/b.cpp": '#include "exporter/http/b.hpp"\n'
                                            '#include "exporter/config/x.hpp"\n'}),
     1, "exporter/http/b.cpp includes exporter/config/ but kci_http does not declare kci_config"),
    ("a cycle fails", GOOD_CMAKE.replace("kci_library(kci_util SOURCES util/a.cpp PUBLIC spdlog::spdlog)",
                                         "kci_library(kci_util SOURCES util/a.cpp PRIVATE kci_http)"),
     with_changes(**{"exporter/util/a.cpp": '#include "exporter/util/a.hpp"\n'
                                            '#include "exporter/http/b.hpp"\n'}),
     1, "cycle: http -> util -> http"),
    ("a header's folder declared PRIVATE fails", GOOD_CMAKE.replace(
        "PUBLIC kci_http PRIVATE kci_util", "PRIVATE kci_http kci_util"), GOOD_FILES,
     1, "kci_app declares kci_http PRIVATE but a header of exporter/app/ includes exporter/http/"),
    ("a PUBLIC folder only .cpp files include fails", GOOD_CMAKE.replace(
        "PUBLIC kci_http PRIVATE kci_util", "PUBLIC kci_http kci_util"), GOOD_FILES,
     1, "kci_app declares kci_util PUBLIC but only .cpp files include exporter/util/"),
    ("a .cpp missing from SOURCES fails", GOOD_CMAKE,
     with_changes(**{"exporter/http/extra.cpp": '#include "exporter/http/b.hpp"\n'}),
     1, "exporter/http/extra.cpp is not in kci_http's SOURCES"),
    ("a declared folder that no file includes fails", GOOD_CMAKE,
     with_changes(**{"exporter/app/c.cpp": '#include "exporter/app/c.hpp"\n'}),
     1, "kci_app declares kci_util but no file of exporter/app/ includes exporter/util/"),
    ("a unit test reaching above its folder fails", GOOD_CMAKE,
     with_changes(**{"tests/unit/http/test_b.cpp": '#include "exporter/app/c.hpp"\n'}),
     1, "tests/unit/http/test_b.cpp includes exporter/app/, which kci_http does not reach"),
]


def main():
    passed = failed = 0
    for name, cmake, files, want_code, want_text in CASES:
        if cmake is None:
            done = subprocess.run([sys.executable, CHECKER, REPO], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
            code, out = done.returncode, done.stdout
        else:
            code, out = run_on(cmake, files)
        if code == want_code and want_text in out:
            passed += 1
            print(f"ok - {name}")
        else:
            failed += 1
            print(f"FAIL - {name}: exit {code} (want {want_code}), output:\n{out}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
