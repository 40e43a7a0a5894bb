"""compile_translations: the project's .po catalogues to .mo files with polib, so that no system package (gettext's
msgfmt, which Django's compilemessages calls) is needed to build or run the app.

It compiles the catalogues of LOCALE_PATHS and of the project's own apps (not those of installed packages, which
ship theirs compiled), and first checks each the way `msgfmt --check-format` does: a translation keeps the
placeholders of its source, and a plural entry has the catalogue's number of forms. A catalogue with a problem is
not written and the command fails.
"""

import re
import sys
from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# printf-style placeholders as Python formats them (%(name)s, %s, %d, %.2f, %%) and str.format's {name}.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGoc%]|\{[^{}]*\}")


def placeholders(text: str, *, brace: bool) -> list[str]:
    found = [item for item in PLACEHOLDER.findall(text) if item != "%%"]
    return sorted(item for item in found if brace or not item.startswith("{"))


def catalogue_problems(po: polib.POFile) -> list[str]:
    """What msgfmt --check would refuse, or a translator would regret: an empty list when all is well."""
    problems = []
    if "charset=UTF-8" not in po.metadata.get("Content-Type", "").replace(" ", ""):
        problems.append("the header does not declare Content-Type: text/plain; charset=UTF-8")
    plural_forms = po.metadata.get("Plural-Forms", "")
    match = re.search(r"nplurals\s*=\s*(\d+)", plural_forms)
    nplurals = int(match.group(1)) if match else None
    if nplurals is None and any(entry.msgid_plural for entry in po):
        problems.append("plural entries but no Plural-Forms header")
    for entry in po.translated_entries():
        where = f"line {entry.linenum}: {entry.msgid[:60]!r}"
        python_format = "python-format" in entry.flags
        brace = "python-brace-format" in entry.flags
        if not (python_format or brace):
            continue
        if entry.msgid_plural:
            if nplurals is not None and len(entry.msgstr_plural) != nplurals:
                problems.append(
                    f"{where}: {len(entry.msgstr_plural)} plural forms, the header says {nplurals}"
                )
            expected = {
                tuple(placeholders(source, brace=brace)) for source in (entry.msgid, entry.msgid_plural)
            }
            translations = list(entry.msgstr_plural.values())
            # Like msgfmt: a form may drop the number (Danish "én" for one), never add or rename a placeholder.
            allowed = set().union(*expected)
            for text in translations:
                extra = set(placeholders(text, brace=brace)) - allowed
                if extra:
                    problems.append(
                        f"{where}: the translation has placeholders the source lacks: {sorted(extra)}"
                    )
        else:
            source, text = placeholders(entry.msgid, brace=brace), placeholders(entry.msgstr, brace=brace)
            if source != text:
                problems.append(f"{where}: placeholders {text} in the translation, {source} in the source")
    return problems


def catalogues() -> list[Path]:
    """The project's .po files: LOCALE_PATHS and the locale/ folder of each of its own apps (not installed ones)."""
    base, environment = (
        Path(settings.BASE_DIR).resolve(),
        Path(sys.prefix).resolve(),
    )  # a venv may sit in BASE_DIR
    folders = [Path(path) for path in settings.LOCALE_PATHS]
    for app in apps.get_app_configs():
        path = Path(app.path).resolve()
        if path.is_relative_to(base) and not path.is_relative_to(environment):
            folders.append(path / "locale")
    found = []
    for folder in dict.fromkeys(folder.resolve() for folder in folders):
        found += sorted(folder.glob("*/LC_MESSAGES/*.po"))
    return found


class Command(BaseCommand):
    help = "Compile the project's .po catalogues to .mo files with polib (no gettext needed), after checking them."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Check the catalogues only; write nothing.")

    def handle(self, *args, check: bool, **options):
        failures = []
        for po_path in catalogues():
            po = polib.pofile(str(po_path), wrapwidth=0)
            problems = catalogue_problems(po)
            if problems:
                failures.append(f"{po_path}:\n  " + "\n  ".join(problems))
                continue
            if not check:
                po.save_as_mofile(str(po_path.with_suffix(".mo")))
            if options["verbosity"] > 0:
                action = "checked" if check else "compiled"
                self.stdout.write(f"{action} {po_path} ({len(po.translated_entries())} messages)")
        if failures:
            raise CommandError("catalogues with problems:\n" + "\n".join(failures))
