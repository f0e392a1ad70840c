"""Terminal output as lines of plain text with colour runs: frontend/js/ansi.js in Python.

The exports use it: the HTML page renders each run as a span (classes for the
sixteen named colours, an inline ``color``/``background-color`` computed from
numbers for 256-colour and true-colour codes), the Markdown transcript keeps only
the text. The rules are the page's, line for line, so an export reads like the
window: SGR codes kept as colour, every other escape (cursor, erase, OSC titles
and links) dropped, a carriage return leaving only the line's last overwrite,
control characters removed. Nothing here is HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), other ESC pairs.
ESCAPES = re.compile(r"\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                      r"|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]")
# Control characters a terminal does not print (tab, newline and CR are handled).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

BASE = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


@dataclass(frozen=True)
class Colour:
    name: str | None = None  # "red", "bright-cyan": one of the sixteen
    css: str | None = None   # "rgb(r, g, b)": a 256-colour or true-colour code


@dataclass(frozen=True)
class Style:
    fg: Colour | None = None
    bg: Colour | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False

    def styled(self) -> bool:
        return bool(self.fg or self.bg or self.bold or self.dim or self.italic
                    or self.underline)


PLAIN = Style()


@dataclass(frozen=True)
class Run:
    start: int
    end: int
    style: Style


@dataclass(frozen=True)
class Line:
    text: str
    runs: tuple[Run, ...]


def _cube(n: int) -> str | None:
    if n < 16:
        return None
    if n >= 232:
        v = 8 + (n - 232) * 10
        return f"rgb({v}, {v}, {v})"
    k = n - 16

    def level(x: int) -> int:
        return 0 if x == 0 else 55 + x * 40

    return f"rgb({level(k // 36)}, {level((k // 6) % 6)}, {level(k % 6)})"


def _number(p: str) -> int:
    try:
        return int(p) if p else 0
    except ValueError:  # a private parameter ("?25"): no SGR meaning
        return -1


def apply_sgr(state: Style, params: str) -> Style:
    """The style after one SGR parameter list."""
    codes = [0] if params == "" else [_number(p) for p in re.split(r"[;:]", params)]
    s = state
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            s = PLAIN
        elif c == 1:
            s = replace(s, bold=True)
        elif c == 2:
            s = replace(s, dim=True)
        elif c == 3:
            s = replace(s, italic=True)
        elif c == 4:
            s = replace(s, underline=True)
        elif c == 22:
            s = replace(s, bold=False, dim=False)
        elif c == 23:
            s = replace(s, italic=False)
        elif c == 24:
            s = replace(s, underline=False)
        elif 30 <= c <= 37:
            s = replace(s, fg=Colour(name=BASE[c - 30]))
        elif 90 <= c <= 97:
            s = replace(s, fg=Colour(name=f"bright-{BASE[c - 90]}"))
        elif 40 <= c <= 47:
            s = replace(s, bg=Colour(name=BASE[c - 40]))
        elif 100 <= c <= 107:
            s = replace(s, bg=Colour(name=f"bright-{BASE[c - 100]}"))
        elif c == 39:
            s = replace(s, fg=None)
        elif c == 49:
            s = replace(s, bg=None)
        elif c in (38, 48):
            colour: Colour | None = None
            mode = codes[i + 1] if i + 1 < len(codes) else None
            if mode == 5:
                n = codes[i + 2] if i + 2 < len(codes) else 0
                if 0 <= n < 8:
                    colour = Colour(name=BASE[n])
                elif 8 <= n < 16:
                    colour = Colour(name=f"bright-{BASE[n - 8]}")
                elif 16 <= n <= 255:
                    colour = Colour(css=_cube(n))
                i += 2
            elif mode == 2:
                rgb = [max(0, min(255, v)) for v in [*codes[i + 2:i + 5], 0, 0, 0][:3]]
                colour = Colour(css=f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})")
                i += 4
            s = replace(s, fg=colour) if c == 38 else replace(s, bg=colour)
        i += 1
    return s


def _last_write(line: str) -> str:
    """What a carriage return leaves of a line: the last overwrite (a progress bar's end)."""
    cr = line.rfind("\r")
    return line if cr < 0 else line[cr + 1:]


def parse(output: str) -> list[Line]:
    """Terminal output as the lines a person read, with the ranges that were coloured."""
    source = str(output or "").replace("\r\n", "\n")
    state = PLAIN
    lines: list[Line] = []
    for raw_line in source.split("\n"):
        raw = raw_line[:-1] if raw_line.endswith("\r") else raw_line
        if "\x1b" not in raw and "\x9b" not in raw:
            text = _CONTROLS.sub("", _last_write(raw))
            lines.append(Line(text, (Run(0, len(text), state),) if state.styled() and text
                              else ()))
            continue
        text = ""
        runs: list[Run] = []
        last = 0
        chunks = []  # (text between escapes, the style it is written in)
        for m in ESCAPES.finditer(raw):
            chunks.append((raw[last:m.start()], state))
            if m.group(3) == "m" and m.group(0).startswith("\x1b["):
                state = apply_sgr(state, m.group(1))
            last = m.end()
        chunks.append((raw[last:], state))
        for chunk, style in chunks:
            clean = _CONTROLS.sub("", chunk)
            cr = clean.rfind("\r")
            if cr >= 0:  # keep only what comes after the last carriage return
                text, runs = "", []
            piece = clean[cr + 1:] if cr >= 0 else clean
            if not piece:
                continue
            if style.styled():
                runs.append(Run(len(text), len(text) + len(piece), style))
            text += piece
        lines.append(Line(text, tuple(runs)))
    if len(lines) > 1 and lines[-1].text == "" and source.endswith("\n"):
        lines.pop()
    return lines


def plain_text(output: str) -> str:
    """The output with every escape code and control character removed."""
    return "\n".join(line.text for line in parse(output))


def _luminance(rgb: list[int]) -> float:
    def lin(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])


def readable_on_white(css: str) -> str:
    """An ``rgb(r, g, b)`` colour moved toward black only as far as a 3:1 contrast on
    white needs (ansi.js's readableColours for the light theme): pale yellow stays
    yellow and becomes readable."""
    rgb = [int(v) for v in re.findall(r"\d+", css)[:3]]
    if len(rgb) != 3:
        return css
    for k in range(11):
        mixed = [round(v * (1 - k / 10)) for v in rgb]
        if 1.05 / (_luminance(mixed) + 0.05) >= 3:
            return f"rgb({mixed[0]}, {mixed[1]}, {mixed[2]})"
    return "rgb(0, 0, 0)"


def text_on(css: str) -> str:
    """Dark text on a light background colour, light text on a dark one."""
    rgb = [int(v) for v in re.findall(r"\d+", css)[:3]]
    return "#1f2328" if len(rgb) == 3 and _luminance(rgb) > 0.3 else "#f0f0f0"
