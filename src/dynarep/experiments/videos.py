"""The rollouts a benchmark report shows: the first method's best and worst finetuning seed.

One evaluation episode of each (the best seed's first success, the worst seed's first failure) is
replayed from the same start the table scored, and written as a GIF
under ``OUT/videos/``, with ``videos.json`` holding what each shows, so ``dynarep report`` can
rebuild the page without a simulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dynarep.data.store import atomic_write_json
from dynarep.files import read_json

INDEX = "videos.json"


def record_videos(
    out: Path, records: list[dict[str, Any]], methods: tuple[str, ...], new_contexts: bool
) -> None:
    """GIFs of one episode of the best and of the worst seed of ``methods[0]`` (at 2 demos where
    the run has them, else its fewest); skipped when already written."""
    from dynarep.evaluate.video import rollout_frames, write_gif

    folder = out / "videos"
    if (folder / INDEX).exists() or not records:
        return
    method = methods[0]
    demo_counts = sorted({r["demos"] for r in records if r["method"] == method})
    if not demo_counts:
        return
    demos = 2 if 2 in demo_counts else demo_counts[0]
    by_seed: dict[int, list[dict[str, Any]]] = {}
    for r in records:
        if r["method"] == method and r["demos"] == demos:
            by_seed.setdefault(r["finetune_seed"], []).append(r)
    success = {seed: sum(r["success"] for r in rs) / len(rs) for seed, rs in by_seed.items()}
    best, worst = max(success, key=success.get), min(success, key=success.get)
    shown = []
    for which, seed in (("best", best), ("worst", worst)):
        # what the seed mostly does: the best seed's first success, the worst seed's first failure
        episodes = sorted(by_seed[seed], key=lambda r: r["episode"])
        episode = next((r for r in episodes if r["success"] == (which == "best")), episodes[0])
        frames, replay = rollout_frames(episode["policy"], episode["seed"], episode["episode"], new_contexts)
        name = f"{method}_demos{demos}_{which}.gif"
        write_gif(frames, folder / name)
        shown.append(
            {
                "file": f"videos/{name}",
                "method": method,
                "demos": demos,
                "finetune_seed": seed,
                "seed_success": round(success[seed], 3),
                "episode": episode["episode"],
                "episode_success": bool(replay["success"]),
                "which": which,
            }
        )
    atomic_write_json(folder / INDEX, shown)


def videos_section(out: Path, label: Any) -> str:
    """The report's Markdown for the recorded GIFs ('' when there are none)."""
    index = out / "videos" / INDEX
    if not index.exists():
        return ""
    lines = ["Rollouts (the best finetuning seed's first success, the worst one's first failure):", ""]
    for video in read_json(index):
        outcome = "succeeds" if video["episode_success"] else "fails"
        lines.append(
            f"![{video['which']} seed]({video['file']}) {label(video['method'])}, {video['demos']} demos, "
            f"{video['which']} seed ({video['finetune_seed']}, success {video['seed_success']:.2f}): "
            f"evaluation episode {video.get('episode', 0)}, which {outcome}."
        )
        lines.append("")
    return "\n".join(lines) + "\n"
