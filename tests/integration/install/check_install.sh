#!/bin/sh
# Install the build into a fresh prefix, build a consumer against it with pkg-config (as a
# project outside the tree would), and run it with the installed boot ROM and firmware.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1
src=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
pc_dir=$(dirname "$(find "$prefix" -name amp.pc | head -n 1)")
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs amp)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$src/consumer.c" -o "$work/consumer" $flags
test -x "$prefix/bin/ampctl"
"$prefix/bin/ampctl" inspect "$prefix/share/amp/firmware/rpmsg-echo.elf" >/dev/null
core=$(find "$prefix" -name amp-sim-core -type f | head -n 1)
AMP_SIM_CORE="$core" "$work/consumer" "$prefix/share/amp/firmware/rpmsg-echo.elf"
