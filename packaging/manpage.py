"""squeezeapp(1), written from the CLI's own argparse parser so the two cannot disagree.

Every command and option comes from squeezeapp.cli.main.build_parser(); the prose sections (files,
environment, privacy) are short and fixed. The output is plain man(7) roff: `man -l` and
lintian's `man --warnings` read it without complaint.
"""

from __future__ import annotations

import argparse
import datetime as dt

FIXED_SECTIONS = {
    "FILES": [
        (r"\fI~/.config/squeezeapp/squeezeapp.ini\fR",
         "the window's settings (model, camera, window geometry)."),
        (r"\fI~/.cache/squeezeapp/\fR",
         "downloaded and quantised models."),
        (r"\fI~/Pictures/squeezeapp/\fR",
         "pictures and predictions saved with Ctrl+S."),
        (r"\fI/opt/squeezeapp/_internal/resources/models/\fR",
         "the default model shipped with the package."),
    ],
    "ENVIRONMENT": [
        (r"\fBSQUEEZEAPP_MODEL\fR", "the default model name or path."),
        (r"\fBSQUEEZEAPP_MODEL_DIR\fR", "an extra folder searched for models."),
        (r"\fBSQUEEZEAPP_CACHE_DIR\fR", "replaces ~/.cache/squeezeapp."),
        (r"\fBORT_DISABLE_TELEMETRY\fR",
         "set to 1 by squeezeapp itself before onnxruntime loads (see PRIVACY)."),
    ],
}
PRIVACY = (
    "Images, video frames and camera frames are classified on this computer and never sent "
    "anywhere. onnxruntime's telemetry is switched off. The only network access is "
    r"\fBsqueezeapp models download\fR (or the window's download button), which the user starts."
)


def _escape(text: str) -> str:
    """Roff-safe text: backslashes, leading dots/quotes, and hyphens that are minus signs."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def _option_label(action: argparse.Action) -> str:
    names = [rf"\fB{_escape(name)}\fR" for name in action.option_strings]
    if action.nargs == 0:
        return ", ".join(names)
    metavar = action.metavar or (
        "{" + ",".join(action.choices) + "}" if action.choices else action.dest.upper())
    return ", ".join(f"{name} \\fI{_escape(str(metavar))}\\fR" for name in names)


def _first_sentence(text: str) -> str:
    sentence = text.split(". ", maxsplit=1)[0].rstrip(".")
    return sentence[:1].lower() + sentence[1:]


def _usage(parser: argparse.ArgumentParser) -> str:
    usage = parser.format_usage().removeprefix("usage: ").strip()
    return _escape(" ".join(usage.split()))


def _describe_parser(parser: argparse.ArgumentParser, lines: list[str]) -> None:
    """Options, positionals and (recursively) sub-commands of one parser, as .TP paragraphs."""
    for action in parser._actions:  # argparse has no public walk over its actions
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                lines += [".SS " + _escape(sub.prog), _escape(helps.get(name) or ""), ".PP",
                          ".B Usage:", _usage(sub)]
                _describe_parser(sub, lines)
            continue
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
            continue
        label = (_option_label(action) if action.option_strings
                 else rf"\fI{_escape(str(action.metavar or action.dest))}\fR")
        lines += [".TP", label, _escape(action.help or "")]


def render_manpage(parser: argparse.ArgumentParser, version: str, date: dt.date) -> str:
    """The whole man page for parser (the CLI's top-level parser) as roff text."""
    name = parser.prog
    lines = [
        f'.TH {name.upper()} 1 "{date.isoformat()}" "{name} {version}" "User Commands"',
        ".SH NAME",
        rf"{name} \- {_escape(_first_sentence(parser.description))}",
        ".SH SYNOPSIS",
        _usage(parser),
        ".SH DESCRIPTION",
        _escape(parser.description),
        ".SH OPTIONS AND COMMANDS",
    ]
    _describe_parser(parser, lines)
    for section, items in FIXED_SECTIONS.items():
        lines.append(f".SH {section}")
        for term, text in items:
            lines += [".TP", term, _escape(text)]
    lines += [".SH PRIVACY", PRIVACY, ".SH SEE ALSO", r"\fBsqueezeapp \-\-selftest\fR checks an "
              "installation."]
    return "\n".join(lines) + "\n"
