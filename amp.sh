#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The entry point on any machine, even a fresh minimal Debian 12 without make or a compiler:
# installs the Debian packages the job needs (the list is written here only: the Makefile and
# .ci/run come through this script), then configures, builds and runs with CMake's presets.
#
#   ./amp.sh demo                         build, then run the demo (samples/amp_demo.c)
#   ./amp.sh test [PRESET...]             build and pass every test: default, asan-ubsan, tsan
#   ./amp.sh build [PRESET]               configure and build one preset (default: default)
#   ./amp.sh deps [build|demo|test]       only install what is missing
#   ./amp.sh packages [build|demo|test]   print the Debian packages a job needs
#
# Installing takes root: as root apt-get runs as is, otherwise through sudo when there is one;
# without either, the script prints the apt-get line to run and stops. AMP_NO_INSTALL=1 skips
# the check (another distribution: install the equivalents of the list below yourself).
set -eu

cd "$(dirname "$0")"

# What a build of the default preset needs: CMake drives make and gcc; libfdt reads SoC
# descriptions, dtc compiles the example ones; the default build compiles the cmocka tests.
packages_build="cmake make gcc libc6-dev pkg-config libcmocka-dev libfdt-dev device-tree-compiler"
# The demo tells the seed's story on a Cortex-M4 too: its firmware is built with Debian's
# bare-metal ARM compiler and runs on QEMU.
packages_m4="gcc-arm-none-eabi qemu-system-arm"
# What the tests add: the sanitizer and fuzz builds are clang's (their runtimes are
# libclang-rt-14-dev's; llvm brings llvm-symbolizer for readable reports), the end-to-end checks
# are python3 scripts, gdb and gdb-multiarch open the coredumps of the sim and M4 cores, and
# groff renders the man pages.
packages_test="clang libclang-rt-14-dev llvm python3 gdb gdb-multiarch groff-base"

say() {
	printf 'amp.sh: %s\n' "$*" >&2
}

packages() {
	case "${1:-test}" in
	build) echo "$packages_build" ;;
	demo) echo "$packages_build $packages_m4" ;;
	test) echo "$packages_build $packages_m4 $packages_test" ;;
	*)
		say "no package list for '$1' (build, demo or test)"
		exit 2
		;;
	esac
}

# Install what @1's list lacks; silent when nothing does.
deps() {
	missing=""
	if [ "${AMP_NO_INSTALL:-0}" = 1 ]; then
		return 0
	fi
	if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
		say "not a Debian-like system: make sure the equivalents of these are installed:"
		say "  $(packages "$1")"
		return 0
	fi
	for p in $(packages "$1"); do
		if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
			missing="$missing $p"
		fi
	done
	if [ -z "$missing" ]; then
		return 0
	fi
	line="apt-get update && apt-get install -y --no-install-recommends$missing"
	if [ "$(id -u)" = 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		say "missing Debian packages:$missing"
		say "install them as root, then run this again:"
		echo "  $line" >&2
		exit 1
	fi
	say "installing:$missing"
	# Another apt run (unattended upgrades on a fresh machine) holds the lock for a while.
	$sudo apt-get -o DPkg::Lock::Timeout=600 update
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y \
		--no-install-recommends $missing
}

njobs() {
	n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
	echo "${AMP_JOBS:-$n}"
}

build() {
	cmake --preset "$1" >/dev/null
	cmake --build --preset "$1" -j "$(njobs)"
}

test_preset() {
	build "$1"
	ctest --preset "$1"
}

job=${1:-}
[ $# -gt 0 ] && shift
case "$job" in
demo)
	deps demo
	build default
	build/default/samples/amp-demo
	;;
test)
	deps test
	[ $# -gt 0 ] || set -- default asan-ubsan tsan
	for preset in "$@"; do
		test_preset "$preset"
	done
	;;
build)
	preset=${1:-default}
	if [ "$preset" = default ]; then deps build; else deps test; fi
	build "$preset"
	;;
deps) deps "${1:-test}" ;;
packages) packages "${1:-test}" ;;
*)
	sed -n '3,16s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
