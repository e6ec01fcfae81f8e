# SPDX-License-Identifier: BSD-3-Clause
# bash completion for ampctl. The commands, each command's options and what its arguments are
# come from the ampctl being completed (`ampctl --help`, `ampctl COMMAND --help`), so that the
# completion follows the binary; processor names come from the daemon (`ampctl ls`). Needs
# only bash (bash-completion loads it from share/bash-completion/completions/ampctl).

# The lines of `ampctl --help` that name a command: two spaces, then a lower-case word.
_ampctl_commands()
{
	"$1" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'
}

# The processors the daemon has (the first column of `ampctl ls`, after its heading).
_ampctl_procs()
{
	local ampctl=$1
	shift
	"$ampctl" "$@" ls 2>/dev/null | sed -n '2,$s/^\([^ ]*\).*/\1/p'
}

_ampctl()
{
	local ampctl=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]} cmd="" i global=() usage
	COMPREPLY=()

	# The global options, then the command.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--socket)
			global+=(--socket "${COMP_WORDS[i + 1]}")
			((i++))
			;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	if [[ $prev == --socket ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
	fi
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--socket --json --help --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_ampctl_commands "$ampctl")" -- "$cur")
		fi
		return
	fi

	# What the command takes, from its usage line: "usage: ampctl listen CHANNEL [-n COUNT]
	# [-t SECONDS] [--send MESSAGE]", "usage: ampctl recovery NAME on|off|now".
	usage=$("$ampctl" "$cmd" --help 2>/dev/null | sed -n "s/^usage: [^ ]* $cmd *//p")
	local valued flags positional
	valued=$(grep -o '\[-[-a-z]* [A-Z]*\]' <<<"$usage" | tr -d '[]' | cut -d' ' -f1)
	flags=$(grep -o '\[-[-a-z]*\]' <<<"$usage" | tr -d '[]')
	positional=$(sed 's/\[-[^]]*\]//g; s/[][]//g' <<<"$usage")

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$valued $flags --help --json" -- "$cur")
		return
	fi
	# An option's value: nothing to offer.
	if [[ -n $prev && " $valued " == *" $prev "* ]]; then
		return
	fi
	# Which positional argument this is: the words after the command, without options and
	# their values.
	local n=0 j
	for ((j = i + 1; j < COMP_CWORD; j++)); do
		if [[ " $valued " == *" ${COMP_WORDS[j]} "* ]]; then
			((j++))
		elif [[ ${COMP_WORDS[j]} != -* ]]; then
			((n++))
		fi
	done
	local spec
	read -r -a spec <<<"$positional"
	case ${spec[n]} in
	NAME)
		mapfile -t COMPREPLY < <(compgen -W "$(_ampctl_procs "$ampctl" "${global[@]}")" -- "$cur")
		;;
	FIRMWARE)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	*'|'*)
		mapfile -t COMPREPLY < <(compgen -W "${spec[n]//|/ }" -- "$cur")
		;;
	esac
}

complete -F _ampctl ampctl
