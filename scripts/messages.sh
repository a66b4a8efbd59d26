#!/usr/bin/env bash
# Extract translatable strings per module and merge them into that module's Persian catalog
# (src/smartgov/i18n/locale/fa/LC_MESSAGES/<module>.po). New strings arrive untranslated;
# tests/web/test_i18n.py fails until every one has a Persian text.
set -euo pipefail
cd "$(dirname "$0")/.."
BABEL=${BABEL:-.venv/bin/pybabel}
KEYWORDS=(-k _ -k N_ -k gettext -k DomainError:2 -k Conflict:2 -k Forbidden:1)
LOCALES=src/smartgov/i18n/locale
tmp=$(mktemp -d)
for dir in src/smartgov/*/; do
  module=$(basename "$dir")
  case "$module" in i18n|migrations|__pycache__) continue ;; esac
  paths=("$dir")
  # Kernel files share the web catalog.
  [ "$module" = web ] && paths+=(src/smartgov/errors.py src/smartgov/app.py src/smartgov/fonts.py src/smartgov/digits.py src/smartgov/files.py)
  "$BABEL" -q extract --no-location --no-wrap -F babel.cfg "${KEYWORDS[@]}" -o "$tmp/$module.pot" "${paths[@]}"
  po="$LOCALES/fa/LC_MESSAGES/$module.po"
  if [ -f "$po" ]; then
    "$BABEL" -q update --no-wrap -i "$tmp/$module.pot" -d "$LOCALES" -D "$module" -l fa --no-fuzzy-matching --ignore-obsolete
  else
    "$BABEL" -q init -i "$tmp/$module.pot" -d "$LOCALES" -D "$module" -l fa
  fi
done
rm -rf "$tmp"
