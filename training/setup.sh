#!/bin/sh
# Installs what `amused-train` needs beyond the build: the Debian wallpaper packages whose
# photographs and artwork the VQ trains on beside procedural scenes (--photo-share), into
# /usr/share/backgrounds and /usr/share/wallpapers. Licences: each package's
# /usr/share/doc/PACKAGE/copyright (GPL-2+, CC BY-SA 3.0 and 4.0).
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
  mate-backgrounds plasma-workspace-wallpapers ukui-wallpapers
