"""The HTML page of a report: the Markdown rendered with its images inlined, so that one file
travels alone, then the configurations and software versions that produced the numbers."""

from __future__ import annotations

import base64
import html
import json
import platform
import re
from pathlib import Path

from dynarep.data.store import atomic_write_bytes
from dynarep.files import read_json

HTML_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
th { background: #f2f2f2; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 12px; }
"""


def write_html(
    out: Path, report_md: str, title: str, page: str = "report.html", configs: list[Path] | None = None
) -> Path:
    """``out/PAGE`` (``report.html``): the Markdown report rendered, its images (PNG plots, GIF
    rollouts) inlined as data URIs, then the ``configs`` (default: the run's preset and each
    encoder's pretraining config) and software versions."""
    import markdown

    body = markdown.markdown(report_md, extensions=["tables"])

    def inline(match: re.Match) -> str:
        image = out / match.group(1)
        if not image.exists():
            return match.group(0)
        return f'src="data:image/{match.group(2)};base64,{base64.b64encode(image.read_bytes()).decode()}"'

    body = re.sub(r'src="([^":]+\.(png|gif))"', inline, body)
    if configs is None:
        configs = [out / "preset.json", *sorted(out.glob("encoders/*/config.json"))]
    sections = "".join(
        f"<h3>{html.escape(str(path.relative_to(out)))}</h3>"
        f"<pre>{html.escape(json.dumps(read_json(path), indent=2), quote=False)}</pre>"
        for path in configs
        if path.exists()
    )
    html_page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{HTML_STYLE}</style></head>
<body>
{body}
<h2>Configurations</h2>
{sections}
<h2>Software</h2>
<pre>{html.escape(json.dumps(software_versions(), indent=2), quote=False)}</pre>
</body></html>
"""
    path = out / page
    atomic_write_bytes(path, html_page.encode())
    return path


def software_versions() -> dict[str, str]:
    """Versions of what produced the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version(), "machine": platform.machine()}
    for package in ("dynarep", "torch", "numpy", "mujoco", "gymnasium", "metaworld"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions
