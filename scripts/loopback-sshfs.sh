#!/usr/bin/env bash
# A network file system on this machine, for the data benchmark's shared-directory baseline: an sshd on
# 127.0.0.1 serving one directory over SFTP, mounted with sshfs (FUSE), so that every file written and read
# crosses a network protocol as it would on a cluster's shared file system.
#
#   scripts/loopback-sshfs.sh start DIR    mounts a shared directory at DIR (needs sshfs and openssh-server)
#   scripts/loopback-sshfs.sh stop DIR     unmounts it and stops its sshd
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
mountpoint=$(realpath -m "$2")
state="$mountpoint.sshfs"

case "$action" in
  start)
    for tool in sshfs /usr/sbin/sshd ssh-keygen; do
      command -v "$tool" > /dev/null || { echo "$tool is missing: apt-get install sshfs openssh-server" >&2; exit 1; }
    done
    mkdir -p "$mountpoint" "$state/export"
    [ -f "$state/host" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/host"
    [ -f "$state/client" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/client"
    cp "$state/client.pub" "$state/authorized_keys"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat > "$state/sshd_config" <<CONFIG
Port $port
ListenAddress 127.0.0.1
HostKey $state/host
AuthorizedKeysFile $state/authorized_keys
PasswordAuthentication no
StrictModes no
Subsystem sftp internal-sftp
PidFile $state/sshd.pid
CONFIG
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$state/sshd_config" -E "$state/sshd.log"
    for _ in $(seq 50); do [ -s "$state/sshd.pid" ] && break; sleep 0.1; done
    sshfs -p "$port" -o "IdentityFile=$state/client,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null" \
      "$(id -un)@127.0.0.1:$state/export" "$mountpoint"
    echo "$mountpoint: sshfs over 127.0.0.1:$port (files kept in $state/export)"
    ;;
  stop)
    fusermount3 -u "$mountpoint" 2> /dev/null || fusermount -u "$mountpoint" 2> /dev/null || true
    [ -s "$state/sshd.pid" ] && kill "$(cat "$state/sshd.pid")" 2> /dev/null || true
    rm -rf "$state"
    rmdir "$mountpoint" 2> /dev/null || true
    ;;
  *) usage ;;
esac
