#!/bin/sh
# Run every libFuzzer target built in BUILD_DIR for SECONDS each, starting from its seed corpus.
# The committed corpus stays read-only: new inputs go to BUILD_DIR/corpus/<name>. Prints each
# target's last status line (execs/s, coverage). Usage: run-fuzzers.sh BUILD_DIR SECONDS
set -eu
build=${1:?build dir}
seconds=${2:?seconds}
src=$(cd "$(dirname "$0")" && pwd)
status=0
found=0
for bin in "$build"/tests/fuzz_*; do
	[ -x "$bin" ] || continue
	found=1
	name=$(basename "$bin" | sed 's/^fuzz_//')
	work="$build/corpus/$name"
	mkdir -p "$work" "$build/artifacts/$name"
	log="$build/fuzz-$name.log"
	echo "fuzz_$name: $seconds s"
	if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$name/" "$work" "$src/corpus/$name" >"$log" 2>&1; then
		echo "fuzz_$name FAILED; see $log"
		tail -n 40 "$log"
		status=1
	fi
	grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -n 1 || true
	grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$log" || true
done
if [ "$found" = 0 ]; then
	echo "no fuzz targets in $build/tests (build with: cmake --preset fuzz)"
	exit 1
fi
exit $status
