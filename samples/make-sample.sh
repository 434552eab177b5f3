#!/usr/bin/env bash
# How samples/sample.pcap was made (as root): two network namespaces joined by a
# veth pair, real traffic from stock tools, captured by tcpdump. Kept so the
# sample can be re-made; the tests and README use the committed file.
set -euo pipefail
out=${1:-samples/sample.pcap}
A=trk-sample-a B=trk-sample-b
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $A; ip netns add $B
ip link add veth-a netns $A type veth peer name veth-b netns $B
ip -n $A addr add 10.10.1.1/24 dev veth-a; ip -n $B addr add 10.10.1.20/24 dev veth-b
ip -n $A addr add 2001:db8:10::1/64 dev veth-a nodad; ip -n $B addr add 2001:db8:10::20/64 dev veth-b
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A link set veth-a up
ip netns exec $A tcpdump -i veth-a -U -s 256 -w "$out" 2>/dev/null & cap=$!
sleep 1
ip -n $B link set veth-b up
sleep 3                                                        # IPv6 DAD and router solicitations
ip netns exec $B ping -c 3 -i 0.2 10.10.1.1 >/dev/null          # ARP, ICMP echo
ip netns exec $B ping -6 -c 3 -i 0.2 2001:db8:10::1 >/dev/null  # NS/NA, ICMPv6 echo
ip netns exec $A sh -c 'head -c 200000 /dev/urandom | nc -l -p 8080 -q 1' & srv=$!
sleep 0.5
ip netns exec $B sh -c 'nc -q 1 10.10.1.1 8080 >/dev/null' || true   # a TCP transfer
wait $srv || true
for i in 1 2 3 4 5; do ip netns exec $B sh -c "echo query$i | nc -u -w 0 10.10.1.1 53" || true; done
ip netns exec $B sh -c 'echo hello | nc -6 -q 1 2001:db8:10::1 9 ' || true   # a refused IPv6 TCP connection (RST)
sleep 1
kill -INT $cap; wait $cap || true
