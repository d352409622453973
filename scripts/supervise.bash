# Keeping the product's processes together; sourced by scripts/run-product.
#
#   start_process NAME COMMAND...     run COMMAND in the background as NAME
#   may_stop NAME MESSAGE             NAME may stop while the rest runs on;
#                                     MESSAGE is printed when it does
#   supervise                         wait until the product must stop
#
# The product stops as a whole on Ctrl-C or SIGTERM, or when a process that
# is not allowed to stop (the API, the UI) stops; its other processes are
# then stopped as well. A process allowed to stop (the Kivra emulator) only
# leaves a message: the others keep running without it.

declare -A process_name=()
declare -A stop_message=()

start_process() {
  local name=$1
  shift
  "$@" &
  process_name[$!]=$name
}

may_stop() {
  stop_message[$1]=$2
}

stop_processes() {
  local pid
  for pid in "${!process_name[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# Returns (and the product stops) with the stopped process's exit status, or 1.
supervise() {
  local pid status name
  while ((${#process_name[@]})); do
    pid=""
    status=0
    wait -n -p pid "${!process_name[@]}" || status=$?
    if [[ -z "$pid" ]]; then
      # Interrupted by a signal whose trap did not end the script.
      continue
    fi
    name=${process_name[$pid]}
    unset "process_name[$pid]"
    if [[ -n "${stop_message[$name]+set}" ]]; then
      echo "$name stopped (exit status $status). ${stop_message[$name]}" >&2
      continue
    fi
    echo "$name stopped (exit status $status); stopping the product." >&2
    return $((status ? status : 1))
  done
  return 1
}
