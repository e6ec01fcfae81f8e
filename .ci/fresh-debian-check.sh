#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Proves the README's set-up claim: on a fresh minimal Debian 12 (debootstrap --variant=minbase
# bookworm: no make, no compiler, no git, no sudo), as root, each of the two commands of the
# README's first code block works alone. Each runs in its own fresh copy of the root, on a copy
# of this checkout without its build trees.
#
# usage: .ci/fresh-debian-check.sh [WORK_DIR]
#   WORK_DIR: where the roots go (a new temporary directory when left out); everything made in
#   it is unmounted and deleted at the end. Needs root, debootstrap and Debian's mirror (or
#   DEBIAN_MIRROR=URL). Exit status: 0 when both commands succeeded, 1 when one failed, 2
#   without root or debootstrap, 75 when the root could not be made (no mirror).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm

say() {
	printf 'fresh-debian: %s\n' "$*"
}

if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null 2>&1; then
	say "needs root and debootstrap (apt-get install debootstrap)" >&2
	exit 2
fi

if [ $# -gt 0 ]; then
	mkdir -p "$1"
	work=$(mktemp -d "$(cd "$1" && pwd)/fresh-debian.XXXXXX")
else
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/fresh-debian.XXXXXX")
fi

# The README's first code block, one command a line, comments dropped.
commands=$(awk '/^```/ { if (inside) exit; inside = 1; next } inside' "$src/README.md" |
	sed 's/[[:space:]]*#.*$//; /^[[:space:]]*$/d')
if [ "$(printf '%s\n' "$commands" | wc -l)" != 2 ]; then
	say "the README's first code block should hold two commands, it holds:" >&2
	printf '%s\n' "$commands" >&2
	exit 1
fi

mounted_under() {
	# Mount points inside $1 (field 5 of mountinfo), deepest first.
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# Processes whose root is $1 (a test's daemon that outlived the command) hold its mounts.
kill_inside() {
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/root" 2>/dev/null)" = "$1" ]; then
			kill -KILL "${p#/proc/}" 2>/dev/null || true
		fi
	done
}

release() {
	root=$1
	kill_inside "$root"
	for m in $(mounted_under "$root"); do
		umount -l "$m" || true
	done
	if [ -n "$(mounted_under "$root")" ]; then
		say "still mounted under $root, not deleting it:" >&2
		mounted_under "$root" >&2
		return 1
	fi
	rm -rf "$root"
}

cleanup() {
	status=$?
	for r in "$work"/root-*; do
		[ -d "$r" ] && release "$r"
	done
	if [ -z "$(mounted_under "$work")" ]; then
		rm -rf "$work"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() {
	date +%s
}

# The checkout as it is now (later edits do not reach the second root), without build trees.
tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./.git --exclude=./.cache \
	-cf "$work/checkout.tar" .

t0=$(now)
say "debootstrap --variant=minbase $suite into $work/base"
# shellcheck disable=SC2086 # an empty mirror is no argument: debootstrap's default
if ! debootstrap --variant=minbase "$suite" "$work/base" ${DEBIAN_MIRROR:-} \
	>"$work/debootstrap.log" 2>&1; then
	tail -n 20 "$work/debootstrap.log" >&2
	say "could not make the root (is Debian's mirror reachable?)" >&2
	exit 75
fi
t_base=$(($(now) - t0))
say "base root made in ${t_base}s ($(du -sm "$work/base" | cut -f1) MiB)"
# What the claim says is missing really is.
for tool in make cc gcc git sudo cmake; do
	if chroot "$work/base" sh -c "command -v $tool" >/dev/null 2>&1; then
		say "the base root already has $tool: not the fresh machine the claim is about" >&2
		exit 1
	fi
done

results=""
failed=0
i=0
printf '%s\n' "$commands" >"$work/commands"
while IFS= read -r cmd; do
	i=$((i + 1))
	root="$work/root-$i"
	cp -a "$work/base" "$root"
	mkdir -p "$root/root/amp"
	tar -C "$root/root/amp" -xf "$work/checkout.tar"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	mount --rbind /dev "$root/dev"
	mount --make-rslave "$root/dev"
	say "[$i] $cmd"
	t0=$(now)
	if env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 TERM=dumb chroot "$root" sh -c "cd /root/amp && $cmd" \
		>"$work/log-$i" 2>&1 </dev/null; then
		rc=0
	else
		rc=$?
	fi
	t=$(($(now) - t0))
	if [ "$rc" = 0 ]; then
		results="$results$(printf '\n  %-20s ok in %ss' "$cmd" "$t")"
		# What it installed, what the test runs counted, and how it ended.
		grep -E '^amp\.sh: installing|% tests passed' "$work/log-$i" | sed 's/^/    /'
		tail -n 1 "$work/log-$i" | sed 's/^/    /'
	else
		failed=$((failed + 1))
		results="$results$(printf '\n  %-20s FAILED (exit %s) after %ss' "$cmd" "$rc" "$t")"
		tail -n 60 "$work/log-$i" | sed 's/^/    /'
	fi
	release "$root"
done <"$work/commands"

say "on a fresh minimal Debian 12 root (base root ${t_base}s), each command alone:$results"
echo "fresh-debian: $((2 - failed)) passed, $failed failed"
[ "$failed" = 0 ]
