#!/usr/bin/env bash
# A real sshd on localhost for test/remote.test.ts: Debian's openssh-server on 127.0.0.1:2222, key login only, for
# the user running CI. Its files live in /tmp/pipeline-sshd; the test reaches it through ssh_config there (host
# alias pipeline-test). No systemd: sshd runs as a daemon with its own pid file; .ci/stop-sshd.sh stops it.
set -euo pipefail
dir=/tmp/pipeline-sshd
if [ ! -x /usr/sbin/sshd ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server openssh-client > /dev/null
fi
bash "$(dirname "$0")/stop-sshd.sh"
mkdir -p "$dir" /run/sshd
chmod 700 "$dir"
ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
cp "$dir/client_key.pub" "$dir/authorized_keys"
cat > "$dir/sshd_config" <<CONFIG
Port 2222
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
# The keys live under /tmp, which is world-writable: strict modes would refuse them.
StrictModes no
PidFile $dir/sshd.pid
CONFIG
/usr/sbin/sshd -f "$dir/sshd_config"
echo "[127.0.0.1]:2222 $(cut -d' ' -f1,2 "$dir/host_key.pub")" > "$dir/known_hosts"
cat > "$dir/ssh_config" <<CONFIG
Host pipeline-test
  HostName 127.0.0.1
  Port 2222
  User $(id -un)
  IdentityFile $dir/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
CONFIG
for _ in $(seq 50); do
  ssh -F "$dir/ssh_config" -o BatchMode=yes pipeline-test true 2>/dev/null && exit 0
  sleep 0.2
done
echo "sshd on 127.0.0.1:2222 does not answer" >&2
exit 1
