#!/bin/bash
# A stand-in for powershell.exe on Linux. Checks the exact command line, decodes the script
# (-EncodedCommand: base64 of UTF-16LE) and the parameters (FAILBACK_PS_PARAMS: base64 of UTF-8
# JSON) with tools independent of the agent, compares both byte for byte with what the test
# expects for this call, then replies with the recorded stdout, stderr and exit code.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/count"
call="$dir/call-$n"
if [ "$#" -ne 6 ] || [ "$1" != -NoProfile ] || [ "$2" != -NonInteractive ] \
    || [ "$3" != -ExecutionPolicy ] || [ "$4" != Bypass ] || [ "$5" != -EncodedCommand ]; then
  echo "fake powershell: unexpected arguments: $*" >&2
  exit 90
fi
printf %s "$6" | base64 -d | iconv -f UTF-16LE -t UTF-8 > "$call.script"
printf %s "${FAILBACK_PS_PARAMS-}" | base64 -d > "$call.params"
if [ ! -f "$call.expected-script" ]; then
  echo "fake powershell: call $n was not expected" >&2
  exit 91
fi
if ! cmp -s "$call.script" "$call.expected-script"; then
  echo "fake powershell: call $n ran a different script than $(cat "$call.name")" >&2
  exit 92
fi
if ! cmp -s "$call.params" "$call.expected-params"; then
  echo "fake powershell: call $n got parameters $(cat "$call.params")" >&2
  exit 93
fi
cat "$call.stdout"
cat "$call.stderr" >&2
exit "$(cat "$call.exit")"
