#!/usr/bin/env bash
# Stops the sshd of .ci/start-sshd.sh (by its pid file) and removes its files; nothing to do when it is not running.
dir=/tmp/pipeline-sshd
if [ -s "$dir/sshd.pid" ]; then kill "$(cat "$dir/sshd.pid")" 2>/dev/null || true; fi
rm -rf "$dir"
