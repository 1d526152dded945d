"""Raw frames for the port security tests, run inside a workload namespace (as root).

  send-udp IFACE FRAMES_JSON                                  UDP datagrams exactly as given:
                                                              [{srcMac, srcIp, dstMac, dstIp,
                                                                port, token}, ...]
  arp IFACE SRC_MAC SENDER_IP TARGET_IP                       an ARP who-has; prints the answer's
                                                              sender MAC, or "none"
  listen-udp PORT SECONDS                                     prints one JSON line: the TOKENs
                                                              received, with their source address
"""
import json
import socket
import sys
import time


def send_udp(iface, frames_json):
    from scapy.all import IP, UDP, Ether, sendp

    frames = [
        Ether(src=f["srcMac"], dst=f["dstMac"])
        / IP(src=f["srcIp"], dst=f["dstIp"])
        / UDP(sport=40000, dport=int(f["port"]))
        / f["token"].encode()
        for f in json.loads(frames_json)
    ]
    sendp(frames, iface=iface, verbose=False)


def arp(iface, src_mac, sender_ip, target_ip):
    from scapy.all import ARP, Ether, srp1

    request = Ether(src=src_mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=src_mac, psrc=sender_ip, pdst=target_ip
    )
    answer = srp1(request, iface=iface, timeout=1.5, verbose=False)
    print(answer[ARP].hwsrc if answer is not None and ARP in answer else "none")


def listen_udp(port, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", int(port)))
    print("ready", flush=True)
    received = []
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            data, (address, _) = sock.recvfrom(2048)
        except socket.timeout:
            break
        received.append({"token": data.decode(errors="replace"), "from": address})
    print(json.dumps(received), flush=True)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"send-udp": send_udp, "arp": arp, "listen-udp": listen_udp}[command](*args)
