#!/usr/bin/env bash
# Renders every page of the console, for every role, at desktop (1280x900) and phone
# (390x844) width into target/screenshots/pages/<role>/<page>-<width>.png, then copies
# the four the README shows into tests/screenshots/. Run it by hand after a visual
# change and look at the images; the test command does not run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rm -rf target/screenshots/pages
cargo test --locked --test app -- --ignored --exact \
    screenshots::every_page_for_every_role_at_both_widths --nocapture
for page in members invite usage activity-log; do
    cp "target/screenshots/pages/administrator/$page-desktop.png" "tests/screenshots/$page.png"
done
echo "README images updated in tests/screenshots/; every page is in target/screenshots/pages/"
