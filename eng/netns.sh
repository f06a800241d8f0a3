#!/usr/bin/env bash
# Creates (or removes) the isolated network namespace the tests run in: loopback plus a veth pair
# whose ends (10.99.0.1, 10.99.0.2) are test hosts of our own, a default route on it so Chromium
# gathers ICE candidates, and no way out. Nothing a test sends can leave this namespace.
set -eu
name=${2:-wtnet}
case "${1:-up}" in
  up)
    ip netns add "$name"
    ip netns exec "$name" ip link set lo up
    ip netns exec "$name" ip link add wta type veth peer name wtb
    ip netns exec "$name" ip addr add 10.99.0.1/24 dev wta
    ip netns exec "$name" ip addr add 10.99.0.2/24 dev wtb
    ip netns exec "$name" ip link set wta up
    ip netns exec "$name" ip link set wtb up
    ip netns exec "$name" ip route add default dev wta ;;
  down) ip netns del "$name" 2>/dev/null || true ;;
  *) echo "usage: $0 up|down [name]" >&2; exit 2 ;;
esac
