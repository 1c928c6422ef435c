#!/usr/bin/env sh
# Installs SOD Send for the current user on Linux and registers the .sod file type, so a double-click
# on a received .sod opens it in the app. Run from a source checkout:  installer/linux/install.sh
# (--system installs for all users under /usr/local; needs root.)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# SODSEND_SKIP_PIP=1 registers the files only (the app is already installed, or in tests).
if [ "${1:-}" = "--system" ]; then
    share=/usr/local/share
    [ "${SODSEND_SKIP_PIP:-}" = 1 ] || python3 -m pip install "$root"
else
    share=${XDG_DATA_HOME:-$HOME/.local/share}
    [ "${SODSEND_SKIP_PIP:-}" = 1 ] || python3 -m pip install --user "$root"
fi

install -d "$share/applications" "$share/mime/packages" "$share/icons/hicolor/scalable/apps" \
           "$share/icons/hicolor/scalable/mimetypes"
install -m 0644 "$here/sodsend.desktop" "$share/applications/sodsend.desktop"
install -m 0644 "$here/sodsend-mime.xml" "$share/mime/packages/sodsend.xml"
install -m 0644 "$root/resources/sodsend.svg" "$share/icons/hicolor/scalable/apps/sodsend.svg"
install -m 0644 "$root/resources/sodsend.svg" \
        "$share/icons/hicolor/scalable/mimetypes/application-x-sod-container.svg"

if command -v update-mime-database >/dev/null; then update-mime-database "$share/mime"; fi
command -v update-desktop-database >/dev/null && update-desktop-database "$share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
command -v xdg-mime >/dev/null && xdg-mime default sodsend.desktop application/x-sod-container || true
echo "SOD Send installed; .sod files now open with it."
