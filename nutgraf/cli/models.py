"""Commands about the language models: the packaged models, and the prefix cache of what they read."""

from __future__ import annotations

import click

from ..llm.packaged import list_models, model_path
from ..llm.prefix_cache import PrefixCache
from .common import dump, json_option, reports_errors


@click.command()
@click.option("--clear", is_flag=True, help="Delete everything kept: every article is read again when next asked about.")
@json_option
@click.pass_obj
@reports_errors
def cache(settings, clear, as_json):
    """Show (or clear) the prefix cache: what a local model has read of each article (the
    evaluated prompt up to the article's end), kept so that later questions, processes and
    servers skip reading it again. The least recently used go first when the cap is reached
    (NUTGRAF_STATE_CACHE_MB)."""
    cache = PrefixCache.from_settings(settings)
    removed = cache.clear() if clear else 0
    usage = cache.usage()
    if as_json:
        dump({"directory": str(usage.directory) if usage.directory else None, "files": usage.files,
              "bytes": usage.bytes, "capacity_bytes": usage.capacity, "removed": removed})
        return
    if clear:
        click.echo(f"Removed {removed} read article{'s' if removed != 1 else ''}.")
    click.echo(f"{usage.files} read articles kept (one per article and model), {usage.bytes / 2**20:,.1f} MB of "
               f"{usage.capacity / 2**20:,.0f} MB, in {usage.directory or 'memory only'}")


@click.command()
@click.option("--verify", is_flag=True, help="Join missing files and re-check every sha256 now.")
@json_option
@click.pass_obj
@reports_errors
def models(settings, verify, as_json):
    """List the packaged language models: installed, joined, verified, where."""
    rows = list_models(settings.models_dir)
    if verify:
        for info in rows:
            if info.installed:
                model_path(info.name, settings.models_dir, verify=True)
        rows = list_models(settings.models_dir)
    if as_json:
        dump([{**info.__dict__, "path": str(info.path) if info.path else None} for info in rows])
        return
    width = max(len(info.name) for info in rows)
    for info in rows:
        state = "verified" if info.verified else ("installed" if info.installed else "not installed")
        size = f"{info.size / 1e6:,.0f} MB" if info.size else ""
        formerly = f" (formerly {', '.join(info.aliases)})" if info.aliases else ""
        click.echo(f"{info.name:{width}} {state:13} {size:>9}  {info.path or ''}\n"
                   f"{'':{width}} {info.description}{formerly}")
