"""Checks that the generated clients kept the whole contract (used by .ci/client-check).

Usage: generated_clients.py OPENAPI_JSON PYTHON_PACKAGE PYTHON_LOG TYPESCRIPT_FILE TYPESCRIPT_LOG

Fails (exit 1) naming each loss: a warning from either generator, an operation of the document
that a client lacks (or has extra), an answer status an operation's Python code does not read,
a schema that became no Python class or no TypeScript type.
"""

import json
import pathlib
import re
import sys

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def document_operations(document):
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def generator_warnings(log_text, allowed):
    """Lines of a generator's output that are not one of its ordinary progress lines."""
    lines = [line.strip() for line in log_text.splitlines()]
    return [line for line in lines if line and not any(re.search(a, line) for a in allowed)]


def python_operations(package):
    """(method, path) -> statuses read, from each generated endpoint module."""
    found = {}
    for module in sorted((package / "api").glob("*/*.py")):
        if module.name == "__init__.py":
            continue
        text = module.read_text()
        method = re.search(r'"method": "(\w+)"', text)
        url = re.search(r'"url": "([^"]+)"', text)
        if not (method and url):
            raise SystemExit(f"FAILED: cannot read the method and path of {module}")
        statuses = {int(s) for s in re.findall(r"response\.status_code == (\d{3})", text)}
        found[(method.group(1), url.group(1))] = statuses
    return found


def python_classes(package):
    names = set()
    for module in (package / "models").glob("*.py"):
        names.update(re.findall(r"^class (\w+)\b", module.read_text(), re.MULTILINE))
    return names


def typescript_operations(text):
    """(method, path) of every operation in the `paths` interface of openapi-typescript's output."""
    body = text.split("export interface paths {", 1)[1].split("\nexport ", 1)[0]
    found = set()
    path = None
    for line in body.splitlines():
        start = re.match(r'^    "([^"]+)": \{$', line)
        if start:
            path = start.group(1)
            continue
        operation = re.match(r"^        (\w+)(\??): (.+)$", line)
        if path and operation and operation.group(1) in METHODS and operation.group(3) != "never;":
            found.add((operation.group(1), path))
    return found


def typescript_schemas(text):
    components = text.split("export interface components {", 1)[1]
    schemas = components.split("    schemas: {", 1)[1].split("\n    };", 1)[0]
    return set(re.findall(r"^        (\w+): ", schemas, re.MULTILINE))


def main(document_path, package, python_log, typescript_file, typescript_log):
    document = json.loads(pathlib.Path(document_path).read_text())
    operations = document_operations(document)
    schemas = set(document["components"]["schemas"])
    package = pathlib.Path(package)
    problems = []

    # openapi-python-client prints what it generates and nothing else when all goes well.
    for line in generator_warnings(pathlib.Path(python_log).read_text(), [r"^Generating "]):
        problems.append(f"openapi-python-client: {line}")
    python = python_operations(package)
    for key in sorted(set(operations) - set(python)):
        problems.append(f"Python client: no function for {key[0].upper()} {key[1]}")
    for key in sorted(set(python) - set(operations)):
        problems.append(f"Python client: {key[0].upper()} {key[1]} is not in the document")
    for key, statuses in sorted(python.items()):
        declared = {int(s) for s in operations.get(key, {}).get("responses", {}) if s.isdigit()}
        for status in sorted(declared - statuses):
            problems.append(f"Python client: {key[0].upper()} {key[1]} does not read its {status} answer")
    classes = {name.lower() for name in python_classes(package)}
    for name in sorted(schemas):
        if name.replace("_", "").lower() not in classes:
            problems.append(f"Python client: no class for schema {name}")

    for line in generator_warnings(
        pathlib.Path(typescript_log).read_text(), [r"openapi-typescript \d", r"\u2192 .*\[\d"]
    ):
        problems.append(f"openapi-typescript: {line}")
    typescript_text = pathlib.Path(typescript_file).read_text()
    typescript = typescript_operations(typescript_text)
    for key in sorted(set(operations) - typescript):
        problems.append(f"TypeScript types: no operation {key[0].upper()} {key[1]}")
    for name in sorted(schemas - typescript_schemas(typescript_text)):
        problems.append(f"TypeScript types: no schema {name}")

    if problems:
        print("FAILED: the generated clients lost part of the contract:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(
        f"generated clients: {len(python)} of {len(operations)} operations in Python, "
        f"{len(typescript)} in TypeScript; {len(schemas)} schemas in both; no generator warnings"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 6:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
