#!/usr/bin/python3
# Jinja oracle: /usr/bin/python3 jinja_oracle.py IN OUT
# Renders each line of IN ({"template": source, "context": {...}}) with Debian's python3-jinja2 in
# the environment Hugging Face transformers builds for apply_chat_template: an immutable sandbox,
# trim_blocks, lstrip_blocks, the loopcontrols extension, its own tojson filter (json.dumps,
# ensure_ascii=False, keys unsorted) and the globals raise_exception and strftime_now.
# OUT gets one line per case: {"text": rendered} or {"error": message}.
import json
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in src:
        case = json.loads(line)
        try:
            result = {"text": env.from_string(case["template"]).render(**case["context"])}
        except Exception as e:  # the C++ side checks that it fails too
            result = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
