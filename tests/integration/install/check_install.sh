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
# The daemon's socket in a short directory: the work directory's path may be too long for one.
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
pc_dir=$(dirname "$(find "$prefix" -name amp.pc | head -n 1)")
# The shared libraries, found at run time through the rpath.
rpath="-Wl,-rpath,$(PKG_CONFIG_PATH="$pc_dir" pkg-config --variable=libdir amp)"
flags="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs amp) $rpath"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$src/consumer.c" -o "$work/consumer" $flags
test -x "$prefix/bin/ampctl"
"$prefix/bin/ampctl" inspect "$prefix/share/amp/firmware/rpmsg-echo.elf" >/dev/null
core=$(find "$prefix" -name amp-sim-core -type f | head -n 1)
AMP_SIM_CORE="$core" "$work/consumer" "$prefix/share/amp/firmware/rpmsg-echo.elf"

# The installed daemon and an application on the installed libamp-client.
flags="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs amp-client) $rpath"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$src/client_consumer.c" -o "$work/client_consumer" $flags
mkfifo "$work/ampd.out"
AMP_SIM_CORE="$core" "$prefix/sbin/ampd" --socket "$run/ampd.sock" \
	--firmware-dir "$prefix/share/amp/firmware" >"$work/ampd.out" 2>"$work/ampd.log" &
ampd_pid=$!
trap 'kill "$ampd_pid" 2>/dev/null || true; rm -rf "$run"' EXIT
# Held open, so that the daemon's later lines find a reader; its first says it listens.
exec 3<"$work/ampd.out"
read -r ready <&3
case "$ready" in *ready*) ;; *) echo "ampd did not start: $(cat "$work/ampd.log")"; exit 1 ;; esac
"$work/client_consumer" "$run/ampd.sock"
# The Python client, from where the install put it.
pydir=$(dirname "$(find "$prefix" -name ampclient -type d | head -n 1)")
PYTHONPATH="$pydir" python3 -c 'import ampclient, sys
print("ampclient: the installed package lists", *[p["name"] for p in
      ampclient.Client(sys.argv[1]).request("ls")])' "$run/ampd.sock"
kill -TERM "$ampd_pid"
wait "$ampd_pid"
