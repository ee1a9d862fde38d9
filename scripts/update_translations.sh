#!/usr/bin/env bash
# Brings the translation catalogues up to date with the code (see docs/i18n.md):
#   1. extract every user-facing string from caseapp/ into caseapp/translations/messages.pot,
#   2. merge it into each language's messages.po (new strings are left empty for a translator,
#      strings no longer in the code are dropped),
#   3. compile every messages.po into the messages.mo the app reads.
# Afterwards translate the empty msgstr entries in the .po files and run this script again,
# so the .mo matches; tests/test_i18n.py fails until both are done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=.venv/bin/pybabel
TRANSLATIONS=caseapp/translations
POT="$TRANSLATIONS/messages.pot"

# _l, lazy_gettext and lazy_pgettext are not among pybabel's default keywords; tests/test_i18n.py uses the same list.
"$PYBABEL" extract --mapping-file=babel.cfg \
    --keywords=_l --keywords=lazy_gettext --keywords=lazy_pgettext:1c,2 \
    --add-comments=TRANSLATORS: --no-wrap --sort-by-file \
    --project=caseapp --copyright-holder="caseapp contributors" \
    --output-file="$POT" .

for locale_dir in "$TRANSLATIONS"/*/; do
    locale="$(basename "$locale_dir")"
    "$PYBABEL" update --input-file="$POT" --output-dir="$TRANSLATIONS" --locale="$locale" \
        --no-wrap --no-fuzzy-matching --ignore-obsolete
done

"$PYBABEL" compile --directory="$TRANSLATIONS" --statistics
