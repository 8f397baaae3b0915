r"""Readers of emitted HLS C++ shared by the csim tests of the primitives: loop headers and
labels, the pragma lines opening a loop or function body, array declarations and the pragmas
that follow them.

>>> code = "void f(\n  int32_t v0[4]\n) {\n  l_S_i_0_i: for (int i = 0; i < 4; i++) {\t// L3\n" \
...        "    #pragma HLS unroll\n    v0[i] = 0;\n  }\n}\n"
>>> loop_header(code, "l_S_i_0_i"), pragmas_opening(code, "l_S_i_0_i"), loop_labels(code)
('l_S_i_0_i: for (int i = 0; i < 4; i++) {', ['#pragma HLS unroll'], ['l_S_i_0_i'])
"""

import re


def hls_code(s, target="vhls", **kwargs):
    """The C++ code of ``s`` built for ``target`` (code only, no project)."""
    return s.build(target, **kwargs).hls_code


def _strip(line: str) -> str:
    return line.split("\t//")[0].strip()


def loop_header(code: str, label: str) -> str:
    """The ``label: for (...) {`` line of loop ``label`` (its trailing comment removed)."""
    found = [_strip(ln) for ln in code.splitlines() if _strip(ln).startswith(label + ": for (")]
    assert len(found) == 1, f"expected one loop labelled {label}, found {len(found)}:\n{code}"
    return found[0]


def loop_labels(code: str, func: str | None = None) -> list[str]:
    """Every loop label of ``func`` (all functions when ``None``), in program order."""
    body = function_body(code, func) if func else code
    return re.findall(r"^\s*(l_\w+): for \(", body, flags=re.M)


def pragmas_opening(code: str, label: str) -> list[str]:
    """The ``#pragma`` lines that open the body of loop ``label``."""
    lines = code.splitlines()
    for k, ln in enumerate(lines):
        if _strip(ln).startswith(label + ": for ("):
            out = []
            for nxt in lines[k + 1:]:
                if not nxt.strip().startswith("#pragma"):
                    break
                out.append(nxt.strip())
            return out
    raise AssertionError(f"loop {label} not found")


def function_body(code: str, func: str) -> str:
    """The text of function ``func`` from its ``void func(`` line to its closing brace."""
    start = code.index(f"void {func}(\n")
    end = code.index("\n}\n", start)
    return code[start:end + 2]


def body_pragmas(code: str, func: str) -> list[str]:
    """The ``#pragma`` lines that open the body of function ``func``."""
    body = function_body(code, func).split(") {\n", 1)[1]
    out = []
    for ln in body.splitlines():
        if not ln.strip().startswith("#pragma"):
            break
        out.append(ln.strip())
    return out


def assert_unique_labels(code: str) -> None:
    """C++ labels are function-scoped: a duplicate would not even compile."""
    for func in re.findall(r"^void (\w+)\(\n", code, flags=re.M):
        labels = loop_labels(code, func)
        assert len(labels) == len(set(labels)), f"duplicate loop labels in {func}: {labels}"


def array_pragmas_after(code: str, declaration: str) -> list[str]:
    """The ``#pragma`` lines right after the line declaring ``declaration`` (e.g.
    ``int32_t T[6][12];``), or right after the opening brace of the function whose parameter
    list contains it (``int32_t v0[6]``)."""
    lines = code.splitlines()
    for k, ln in enumerate(lines):
        text = _strip(ln)
        if text == declaration or text.rstrip(",") == declaration:
            start = k + 1
            if not text.endswith(";"):  # a parameter: pragmas open the function body
                while not lines[start - 1].startswith(") {"):
                    start += 1
            out = []
            for nxt in lines[start:]:
                if not nxt.strip().startswith("#pragma"):
                    break
                out.append(nxt.strip())
            return out
    raise AssertionError(f"{declaration} not declared in:\n{code}")
