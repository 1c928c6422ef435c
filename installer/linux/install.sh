#!/usr/bin/env sh
# Installs SOD Send for the current user on Linux and registers the .sod file type, so a double-click
# on a received .sod opens it in the app. Run from a source checkout:  installer/linux/install.sh
# (--system installs for all users under /usr/local, and the site defaults under /etc/sodsend; needs root.)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# SODSEND_SKIP_PIP=1 registers the files only (the app is already installed, or in tests).
if [ "${1:-}" = "--system" ]; then
    share=/usr/local/share
    [ "${SODSEND_SKIP_PIP:-}" = 1 ] || python3 -m pip install "$root"
    # The site's defaults (installer/site-defaults.ini, no secrets); an existing file is the admin's: kept.
    if [ ! -e /etc/sodsend/site-defaults.ini ]; then
        install -D -m 0644 "$root/installer/site-defaults.ini" /etc/sodsend/site-defaults.ini
    fi
else
    share=${XDG_DATA_HOME:-$HOME/.local/share}
    [ "${SODSEND_SKIP_PIP:-}" = 1 ] || python3 -m pip install --user "$root"
fi

icons="$share/icons/hicolor"
install -d "$share/applications" "$share/mime/packages" "$icons/scalable/apps" "$icons/scalable/mimetypes"
install -m 0644 "$here/sodsend.desktop" "$share/applications/sodsend.desktop"
install -m 0644 "$here/sodsend-mime.xml" "$share/mime/packages/sodsend.xml"
install -m 0644 "$root/resources/sodsend.svg" "$icons/scalable/apps/sodsend.svg"
install -m 0644 "$root/resources/sod-document.svg" "$icons/scalable/mimetypes/application-x-sod-container.svg"
for size in 16 24 32 48 64 128 256 512; do     # PNG for desktops that do not draw SVG (scripts/make-icons)
    install -d "$icons/${size}x${size}/apps" "$icons/${size}x${size}/mimetypes"
    install -m 0644 "$root/resources/icons/sodsend-$size.png" "$icons/${size}x${size}/apps/sodsend.png"
    install -m 0644 "$root/resources/icons/sod-document-$size.png" \
            "$icons/${size}x${size}/mimetypes/application-x-sod-container.png"
done

if command -v update-mime-database >/dev/null; then update-mime-database "$share/mime"; fi
command -v update-desktop-database >/dev/null && update-desktop-database "$share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$icons" || true
command -v xdg-mime >/dev/null && xdg-mime default sodsend.desktop application/x-sod-container || true
echo "SOD Send installed; .sod files now open with it."
