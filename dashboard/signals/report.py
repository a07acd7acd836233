"""`chipwatch signals` as text: one block a signal, strongest first, with the stories behind
it, then the signals that ended in the week before. Pure: signals and stories in, text out."""

from __future__ import annotations

from datetime import date

from dashboard.signals.detect import BASELINE, MIN_OUTLETS, MIN_STORIES, WINDOW, Signal

STORIES_SHOWN = 5  # newest stories listed under a signal


def text(
    active: list[Signal],
    ended: list[Signal],
    as_of: date,
    labels: dict[str, str],
    stories: dict[str, tuple],
) -> str:
    """`stories` maps a story id to (id, title, url, first seen, outlets)."""
    out = [
        f"Signals as of {as_of.isoformat()}: escalating stories of the last {WINDOW} days "
        f"against each series' own {BASELINE} days before "
        f"(at least {MIN_STORIES} stories from {MIN_OUTLETS} outlets)."
    ]
    if not active:
        out.append("Nothing is rising above its normal.")
    for sig in active:
        out += [
            "",
            f"{sig.level.upper():<9}{sig.name(labels)}",
            f"         {sig.stories} stories from {sig.outlets} outlets, normal "
            f"{sig.expected:.1f} in {WINDOW} days, since {sig.since.isoformat()}"
            + ("; fewer than half of the usual feeds answered" if sig.low_coverage else ""),
        ]
        shown = [stories[i] for i in sig.story_ids if i in stories]
        shown.sort(key=lambda row: row[3], reverse=True)
        for _id, title, _url, first, outlets in shown[:STORIES_SHOWN]:
            out.append(f"         - {first[:10]} {title} ({outlets} outlet{'s' * (outlets != 1)})")
        if len(sig.story_ids) > STORIES_SHOWN:
            out.append(f"         … and {len(sig.story_ids) - STORIES_SHOWN} more")
    if ended:
        out += ["", "Ended in the week before:"]
        out += [
            f"  {s.name(labels)} ({s.level}, {s.since.isoformat()} to {s.ended.isoformat()})"
            for s in ended
        ]
    return "\n".join(out) + "\n"
